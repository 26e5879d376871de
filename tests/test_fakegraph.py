"""The fake Graph API is as strict as Meta: errors, windows, limits, profile, Page, webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.fakegraph import FakeGraph, FakePerson, SendLimits, VerificationFailed, sign

HOUR = 3600


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    server = FakeGraph()
    await server.start()
    yield server
    await server.stop()
    assert server.unknown_calls == []


async def call(graph: FakeGraph, method: str, path: str, body: dict[str, Any] | None = None,
               *, token: str | None = None, params: dict[str, str] | None = None
               ) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token or graph.page_token}"}
    async with aiohttp.ClientSession() as session, session.request(
            method, f"{graph.graph_url}/{path}", json=body, params=params,
            headers=headers) as response:
        return response.status, await response.json()


async def send(graph: FakeGraph, person: FakePerson | str, message: dict[str, Any] | None,
               **extra: Any) -> tuple[int, dict[str, Any]]:
    psid = person if isinstance(person, str) else person.psid
    body: dict[str, Any] = {"recipient": {"id": psid}, **extra}
    if message is not None:
        body["message"] = message
    body.setdefault("messaging_type", "RESPONSE")
    return await call(graph, "POST", "me/messages", body)


def error_of(answer: tuple[int, dict[str, Any]]) -> tuple[int, int | None]:
    status, body = answer
    assert status >= 400, body
    assert set(body) == {"error"}
    error = body["error"]
    assert {"message", "type", "code", "fbtrace_id"} <= set(error) <= {
        "message", "type", "code", "error_subcode", "fbtrace_id"}
    return error["code"], error.get("error_subcode")


async def talking(graph: FakeGraph, name: str = "Сараа") -> FakePerson:
    """A person who has written to the Page (the window is open)."""
    person = graph.person(name)
    await person.send("Сайн байна уу")
    return person


# --- the Send API --------------------------------------------------------------------------
async def test_a_reply_inside_the_window_reaches_the_person(graph: FakeGraph) -> None:
    sara = await talking(graph)
    status, body = await send(graph, sara, {"text": "Өдрийн мэнд! Өө Үү"})
    assert status == 200
    assert body["recipient_id"] == sara.psid and body["message_id"].startswith("m_")
    received = await sara.next_message()
    assert received.text == "Өдрийн мэнд! Өө Үү" and received.messaging_type == "RESPONSE"
    # The page id works as well as /me
    assert (await call(graph, "POST", f"{graph.page_id}/messages", {
        "recipient": {"id": sara.psid}, "messaging_type": "UPDATE",
        "message": {"text": "Дахин"}}))[0] == 200


async def test_bad_tokens_are_refused_with_190_in_metas_shape(graph: FakeGraph) -> None:
    sara = await talking(graph)
    answer = await call(graph, "POST", "me/messages", {
        "recipient": {"id": sara.psid}, "messaging_type": "RESPONSE", "message": {"text": "x"}},
        token="EAAwrong")
    assert error_of(answer) == (190, None)
    assert answer[1]["error"]["type"] == "OAuthException"
    graph.expire_token()
    assert error_of(await send(graph, sara, {"text": "x"})) == (190, 463)
    assert sara.messages() == []
    assert all("access_token" not in c.params for c in graph.calls)


async def test_the_24_hour_window_and_human_agents_7_days(graph: FakeGraph) -> None:
    sara = await talking(graph)
    graph.clock.advance(hours=23, minutes=59)
    assert (await send(graph, sara, {"text": "Хариу"}))[0] == 200
    graph.clock.advance(hours=1, minutes=2)  # 25 hours after her message
    assert error_of(await send(graph, sara, {"text": "Хоцорсон"})) == (10, 2018278)
    assert error_of(await send(graph, sara, {"text": "Шинэчлэл"}, messaging_type="UPDATE")) \
        == (10, 2018278)
    human = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    assert (await send(graph, sara, {"text": "Ажилтны хариу"}, **human))[0] == 200
    graph.clock.advance(days=6)  # 7 days and 1 hour
    assert error_of(await send(graph, sara, {"text": "Хэтэрхий хожуу"}, **human)) \
        == (10, 2018278)
    await sara.send("Би энд байна")  # her message opens the window again
    assert (await send(graph, sara, {"text": "Баярлалаа"}))[0] == 200
    assert [r.text for r in sara.messages()] == ["Хариу", "Ажилтны хариу", "Баярлалаа"]


async def test_only_people_who_wrote_can_be_messaged(graph: FakeGraph) -> None:
    stranger = graph.person("Бат")
    assert error_of(await send(graph, stranger, {"text": "Сурталчилгаа"})) == (10, 2018278)
    assert error_of(await send(graph, "1234567890123456", {"text": "x"})) == (100, 2018001)


async def test_a_person_who_blocked_the_page_is_unavailable(graph: FakeGraph) -> None:
    sara = await talking(graph)
    sara.available = False
    assert error_of(await send(graph, sara, {"text": "Сайн уу"})) == (551, 1545041)


@pytest.mark.parametrize(("message", "extra"), [
    ({"text": "ө" * 2001}, {}),
    ({"text": "  "}, {}),
    ({"text": "a", "attachment": {"type": "image", "payload": {"url": "https://x.mn/a.png"}}},
     {}),
    ({"text": "Сонго", "quick_replies": [
        {"content_type": "text", "title": f"{i}", "payload": f"P{i}"} for i in range(14)]}, {}),
    ({"text": "Сонго", "quick_replies": [
        {"content_type": "text", "title": "ө" * 21, "payload": "P"}]}, {}),
    ({"text": "Сонго", "quick_replies": [{"content_type": "text", "title": "Тийм"}]}, {}),
    ({"text": "Утас", "quick_replies": [
        {"content_type": "user_phone_number", "title": "Утас", "payload": "PHONE"}]}, {}),
    ({"text": "Сонго", "quick_replies": [
        {"content_type": "text", "title": "Тийм", "payload": "x" * 1001}]}, {}),
    ({"attachment": {"type": "template", "payload": {
        "template_type": "button", "text": "ө" * 641,
        "buttons": [{"type": "postback", "title": "Тийм", "payload": "Y"}]}}}, {}),
    ({"attachment": {"type": "template", "payload": {
        "template_type": "button", "text": "Сонго",
        "buttons": [{"type": "postback", "title": f"{i}", "payload": "Y"} for i in range(4)]}}},
     {}),
    ({"attachment": {"type": "template", "payload": {
        "template_type": "button", "text": "Сонго",
        "buttons": [{"type": "postback", "title": "ө" * 21, "payload": "Y"}]}}}, {}),
    ({"attachment": {"type": "template", "payload": {
        "template_type": "generic", "elements": []}}}, {}),
    ({"text": "Мэдээ"}, {"messaging_type": "MESSAGE_TAG"}),
    ({"text": "Мэдээ"}, {"messaging_type": "RESPONSE", "tag": "HUMAN_AGENT"}),
    ({"text": "Мэдээ"}, {"messaging_type": "MESSAGE_TAG", "tag": "CONFIRMED_EVENT_UPDATE"}),
    ({"text": "Мэдээ"}, {"messaging_type": "BROADCAST"}),
])
async def test_messages_beyond_metas_limits_are_refused(
    graph: FakeGraph, message: dict[str, Any], extra: dict[str, Any]
) -> None:
    sara = await talking(graph)
    assert error_of(await send(graph, sara, message, **extra))[0] == 100
    assert sara.messages() == []


async def test_messages_at_metas_limits_are_accepted(graph: FakeGraph) -> None:
    sara = await talking(graph)
    quick = [{"content_type": "text", "title": "ө" * 20, "payload": f"P{i}"} for i in range(12)]
    quick.append({"content_type": "user_phone_number"})
    buttons = [{"type": "postback", "title": "ү" * 20, "payload": "x" * 1000},
               {"type": "web_url", "title": "Вэб", "url": "https://bayankhongor.gov.mn"},
               {"type": "phone_number", "title": "Залгах", "payload": "+97670000110"}]
    for message in ({"text": "ө" * 2000, "quick_replies": quick},
                    {"attachment": {"type": "template", "payload": {
                        "template_type": "button", "text": "ү" * 640, "buttons": buttons}}},
                    {"attachment": {"type": "file",
                                    "payload": {"url": "https://x.mn/guide.pdf"}}}):
        assert (await send(graph, sara, message))[0] == 200
    assert len(sara.messages()) == 3
    assert len(sara.messages()[0].quick_replies) == 13
    await sara.tap_quick_reply(phone="+97699112233")
    await sara.tap_quick_reply("ө" * 20)


async def test_sender_actions_stand_alone(graph: FakeGraph) -> None:
    sara = await talking(graph)
    body = {"recipient": {"id": sara.psid}, "sender_action": "typing_on"}
    status, answer = await call(graph, "POST", "me/messages", body)
    assert status == 200 and answer == {"recipient_id": sara.psid}
    assert sara.inbox[-1].sender_action == "typing_on" and sara.messages() == []
    assert error_of(await call(graph, "POST", "me/messages", {
        **body, "message": {"text": "ба"}}))[0] == 100
    assert error_of(await call(graph, "POST", "me/messages", {
        **body, "sender_action": "dancing"}))[0] == 100


async def test_sending_too_fast_is_613(graph: FakeGraph) -> None:
    await graph.stop()
    strict = FakeGraph(send_limits=SendLimits(per_second=2, media_per_second=1))
    await strict.start()
    try:
        sara = await talking(strict)
        results = [await send(strict, sara, {"text": f"{i}"}) for i in range(4)]
        assert [r[0] for r in results[:2]] == [200, 200]
        assert error_of(results[-1]) == (613, None)
    finally:
        await strict.stop()


async def test_injected_failures_and_missing_permissions(graph: FakeGraph) -> None:
    sara = await talking(graph)
    graph.fail_next("messages", 613, psid=sara.psid)
    assert error_of(await send(graph, sara, {"text": "1"})) == (613, None)
    assert (await send(graph, sara, {"text": "2"}))[0] == 200
    graph.scopes = frozenset({"pages_show_list"})
    assert error_of(await send(graph, sara, {"text": "3"})) == (230, None)
    assert error_of(await call(graph, "POST", "me/feed", {"message": "x"})) == (200, None)


async def test_appsecret_proof_is_checked(graph: FakeGraph) -> None:
    sara = await talking(graph)
    good = hmac.new(graph.app_secret.encode(), graph.page_token.encode(),
                    hashlib.sha256).hexdigest()
    body = {"recipient": {"id": sara.psid}, "messaging_type": "RESPONSE",
            "message": {"text": "ok"}}
    assert error_of(await call(graph, "POST", "me/messages", body,
                               params={"appsecret_proof": "0" * 64}))[0] == 100
    assert (await call(graph, "POST", "me/messages", body,
                       params={"appsecret_proof": good}))[0] == 200
    graph.require_appsecret_proof = True
    assert error_of(await call(graph, "POST", "me/messages", body))[0] == 100


async def test_unknown_edges_are_refused_and_noted(graph: FakeGraph) -> None:
    assert error_of(await call(graph, "POST", "me/broadcast_messages", {}))[0] == 100
    assert graph.unknown_calls == ["POST me/broadcast_messages"]
    graph.unknown_calls.clear()


# --- the Messenger Profile API ---------------------------------------------------------
MENU = [{"type": "postback", "title": "📮 Гомдол илгээх", "payload": "COMPLAIN"}]


@pytest.mark.parametrize("profile", [
    {"persistent_menu": [{"locale": "default", "call_to_actions": MENU}]},  # no Get Started
    {"get_started": {"payload": ""}},
    {"greeting": [{"locale": "default", "text": "ө" * 161}]},
    {"greeting": [{"locale": "en_US", "text": "Hello"}]},  # the default locale is required
    {"greeting": [{"locale": "mongolian", "text": "Сайн уу"}]},
    {"get_started": {"payload": "GO"}, "persistent_menu": [
        {"locale": "default", "call_to_actions": MENU * 21}]},
    {"get_started": {"payload": "GO"}, "persistent_menu": [
        {"locale": "default", "call_to_actions": [{"type": "postback", "title": "ө" * 21,
                                                   "payload": "X"}]}]},
    {"ice_breakers": [{"locale": "default", "call_to_actions": [
        {"question": f"Асуулт {i}?", "payload": f"Q{i}"} for i in range(5)]}]},
    {"ice_breakers": [{"question": "Асуулт?"}]},
    {"whitelisted_domains": ["https://x.mn"]},
])
async def test_profile_properties_beyond_the_limits_are_refused(
    graph: FakeGraph, profile: dict[str, Any]
) -> None:
    assert error_of(await call(graph, "POST", "me/messenger_profile", profile))[0] == 100
    assert graph.profile == {}


async def test_a_valid_profile_is_stored_and_drives_what_people_can_tap(
    graph: FakeGraph
) -> None:
    profile = {
        "get_started": {"payload": "GET_STARTED"},
        "greeting": [{"locale": "default", "text": "ө" * 160},
                     {"locale": "en_US", "text": "Hello"}],
        "persistent_menu": [{"locale": "default", "composer_input_disabled": False,
                             "call_to_actions": MENU}],
        "ice_breakers": [{"locale": "default", "call_to_actions": [
            {"question": "Гомдол яаж илгээх вэ?", "payload": "COMPLAIN"}]}],
    }
    assert await call(graph, "POST", "me/messenger_profile", profile) == (
        200, {"result": "success"})
    status, got = await call(graph, "GET", "me/messenger_profile",
                             params={"fields": "get_started,greeting"})
    assert status == 200 and got["data"][0]["get_started"] == {"payload": "GET_STARTED"}
    assert error_of(await call(graph, "DELETE", "me/messenger_profile",
                               {"fields": ["get_started"]}))[0] == 100
    # Nobody is subscribed: taps change the person's window but reach no webhook.
    sara = graph.person()
    await sara.tap_ice_breaker("Гомдол яаж илгээх вэ?")
    await sara.tap_menu("📮 Гомдол илгээх")
    assert sara.last_interaction is not None


# --- the Page: posts and insights ------------------------------------------------------
async def test_page_posts_and_their_figures(graph: FakeGraph) -> None:
    status, feed = await call(graph, "POST", f"{graph.page_id}/feed", {
        "message": "Авлигын эсрэг 110", "link": "https://iaac.mn"})
    assert status == 200 and feed["id"].startswith(f"{graph.page_id}_")
    status, photo = await call(graph, "POST", f"{graph.page_id}/photos", {
        "url": "https://x.mn/poster.png", "message": "Зурагт хуудас"})
    assert status == 200 and set(photo) == {"id", "post_id"}
    status, video = await call(graph, "POST", f"{graph.page_id}/videos", {
        "file_url": "https://x.mn/spot.mp4", "description": "Шторк"})
    assert status == 200 and set(video) == {"id"}
    status, found = await call(graph, "GET", video["id"], params={"fields": "post_id"})
    assert found["post_id"] in {p.id for p in graph.posts}
    assert [p.kind for p in graph.posts] == ["link", "photo", "video"]

    post = graph.post(feed["id"])
    fields = "shares,reactions.summary(total_count).limit(0),comments.summary(total_count)"
    status, read = await call(graph, "GET", post.id, params={"fields": fields})
    assert "shares" not in read  # Meta leaves it out while nobody has shared
    assert read["reactions"]["summary"]["total_count"] == 0
    post.views, post.reactions, post.comments, post.shares = 900, 12, 3, 4
    status, read = await call(graph, "GET", post.id, params={"fields": fields})
    assert read["shares"] == {"count": 4} and read["comments"]["summary"]["total_count"] == 3
    status, insights = await call(graph, "GET", f"{post.id}/insights",
                                  params={"metric": "post_total_media_view_unique"})
    assert status == 200
    assert insights["data"][0]["values"] == [{"value": 900}]
    assert insights["data"][0]["period"] == "lifetime"
    # Impression metrics were removed in 2025.
    assert error_of(await call(graph, "GET", f"{post.id}/insights",
                               params={"metric": "post_impressions_unique"}))[0] == 100
    assert error_of(await call(graph, "POST", f"{graph.page_id}/feed", {}))[0] == 100


async def test_no_insights_for_a_page_under_100_likes(graph: FakeGraph) -> None:
    _, feed = await call(graph, "POST", f"{graph.page_id}/feed", {"message": "Мэдээ"})
    graph.page_likes = 99
    params = {"metric": "post_total_media_view_unique"}
    assert error_of(await call(graph, "GET", f"{feed['id']}/insights", params=params)) \
        == (2874008, None)
    graph.small_page_insights = "empty"
    assert await call(graph, "GET", f"{feed['id']}/insights", params=params) == (
        200, {"data": []})


async def test_uploads_by_multipart(graph: FakeGraph) -> None:
    form = aiohttp.FormData()
    form.add_field("message", "Зурагт хуудас")
    form.add_field("source", b"\x89PNG" + b"0" * 100, filename="poster.png")
    async with aiohttp.ClientSession() as session, session.post(
            f"{graph.graph_url}/{graph.page_id}/photos", data=form,
            headers={"Authorization": f"Bearer {graph.page_token}"}) as response:
        assert response.status == 200
    assert graph.posts[0].media_bytes == 104 and graph.posts[0].message == "Зурагт хуудас"


# --- attachments people send ---------------------------------------------------------------
async def test_attachments_are_served_with_their_size(graph: FakeGraph) -> None:
    small = graph.attachment("image", data=b"\xff\xd8photo")
    big = graph.attachment("video", size=30 * 1024 * 1024)
    async with aiohttp.ClientSession() as session:
        async with session.get(small["payload"]["url"]) as response:
            assert response.headers["Content-Type"] == "image/jpeg"
            assert await response.read() == b"\xff\xd8photo"
        async with session.get(big["payload"]["url"]) as response:
            assert response.content_length == 30 * 1024 * 1024
            first = await response.content.read(1000)
            assert len(first) == 1000
        async with session.get(f"{graph.url}/cdn/nothing") as response:
            assert response.status == 404
    assert graph.downloads(small) == 1 and graph.downloads(big) == 1


# --- webhook delivery ----------------------------------------------------------------------
class Receiver:
    """A stand-in for the bot's webhook: records bodies, answers as told."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.statuses: list[int] = []
        self.challenge_answer: str | None = None
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/hook", self.verify)
        app.router.add_post("/hook", self.receive)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"

    async def verify(self, request: web.Request) -> web.Response:
        if request.query.get("hub.verify_token") != "verify-me":
            return web.Response(status=403)
        return web.Response(text=self.challenge_answer or request.query["hub.challenge"])

    async def receive(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        self.headers.append(dict(request.headers))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    yield found
    assert found.runner is not None
    await found.runner.cleanup()


async def test_subscribing_checks_the_challenge(graph: FakeGraph, receiver: Receiver) -> None:
    with pytest.raises(VerificationFailed):
        await graph.subscribe_webhook(receiver.url, "wrong-token")
    receiver.challenge_answer = "not-the-challenge"
    with pytest.raises(VerificationFailed):
        await graph.subscribe_webhook(receiver.url, "verify-me")
    receiver.challenge_answer = None
    await graph.subscribe_webhook(receiver.url, "verify-me")
    assert graph.webhook.url == receiver.url


async def test_deliveries_are_signed_escaped_like_metas_and_batched(
    graph: FakeGraph, receiver: Receiver
) -> None:
    await graph.subscribe_webhook(receiver.url, "verify-me")
    sara, bat = graph.person("Сараа"), graph.person("Бат")
    mid = await sara.send("Өө Үү https://x.mn/a")
    body, headers = receiver.bodies[0], receiver.headers[0]
    expected = hmac.new(graph.app_secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"
    assert sign(body, graph.app_secret)["X-Hub-Signature-256"] == headers["X-Hub-Signature-256"]
    assert b"\\u04e9" in body and b"https:\\/\\/x.mn" in body and body.isascii()
    event = json.loads(body)["entry"][0]["messaging"][0]
    assert event["sender"] == {"id": sara.psid} and event["message"]["mid"] == mid
    assert event["message"]["text"] == "Өө Үү https://x.mn/a"
    async with graph.batch():
        await sara.send("Нэг")
        await bat.send("Хоёр")
    assert len(receiver.bodies) == 2
    entries = json.loads(receiver.bodies[1])["entry"]
    assert [e["messaging"][0]["message"]["text"] for e in entries] == ["Нэг", "Хоёр"]


async def test_deliveries_are_retried_until_answered_200(
    graph: FakeGraph, receiver: Receiver
) -> None:
    await graph.subscribe_webhook(receiver.url, "verify-me")
    sara = graph.person()
    receiver.statuses = [500, 403]
    await sara.send("Дахин дахин")
    assert len(receiver.bodies) == 3 and len(set(receiver.bodies)) == 1
    assert [p.status for p in graph.webhook.posts] == [500, 403, 200]
    graph.webhook.lose_answers(1)
    await sara.send("Хариу нь алга болсон")
    assert [p.ok for p in graph.webhook.posts[-2:]] == [False, True]
    assert receiver.bodies[-1] == receiver.bodies[-2]


async def test_events_of_fields_not_subscribed_are_not_sent(
    graph: FakeGraph, receiver: Receiver
) -> None:
    await graph.subscribe_webhook(receiver.url, "verify-me", fields=["messages"])
    sara = await talking(graph)
    await send(graph, sara, {"text": "Хариу"})
    await sara.read()
    await sara.confirm_delivery()
    assert len(receiver.bodies) == 1  # only her message


async def test_every_kind_of_event_people_make(graph: FakeGraph, receiver: Receiver) -> None:
    await graph.subscribe_webhook(receiver.url, "verify-me")
    await call(graph, "POST", "me/messenger_profile", {"get_started": {"payload": "START"}})
    sara = graph.person()
    assert await sara.open_link("s123") is None  # a new conversation: the welcome screen
    await sara.get_started()
    await sara.open_link("s456")
    await send(graph, sara, {"attachment": {"type": "template", "payload": {
        "template_type": "button", "text": "Сонго",
        "buttons": [{"type": "postback", "title": "Илгээх", "payload": "SEND"}]}},
        "quick_replies": [{"content_type": "text", "title": "Тийм", "payload": "YES"}]})
    await sara.tap_button("Илгээх")
    await sara.tap_quick_reply("Тийм")
    await sara.send_attachments(graph.attachment("image", data=b"jpg"))
    delivered = await sara.confirm_delivery()
    watermark = await sara.read()
    events = [json.loads(b)["entry"][0]["messaging"][0] for b in receiver.bodies]
    assert events[0]["postback"]["referral"] == {"ref": "s123", "source": "SHORTLINK",
                                                 "type": "OPEN_THREAD"}
    assert events[0]["postback"]["payload"] == "START"
    assert events[1]["referral"]["ref"] == "s456"
    assert events[2]["postback"]["payload"] == "SEND"
    assert events[3]["message"]["quick_reply"] == {"payload": "YES"}
    assert events[4]["message"]["attachments"][0]["type"] == "image"
    assert events[5]["delivery"]["mids"] == delivered
    assert events[6]["read"]["watermark"] == watermark
    await asyncio.sleep(0)
