"""The Messenger side: the webhook, its events, the Graph client, and `python -m bot run`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import FacebookSettings, Secret, Settings
from bot.core import reach
from bot.fakegram import FakeTelegram
from bot.fakegraph import FakeGraph, sign
from bot.i18n import t
from bot.messenger import (
    AttachmentTooLarge,
    Delivery,
    Dispatcher,
    GraphClient,
    GraphError,
    IncomingMessage,
    InsightsUnavailable,
    InvalidToken,
    OutsideWindow,
    PersonUnavailable,
    Postback,
    RateLimited,
    Read,
    ReferralEvent,
)
from bot.messenger.chat import plain
from bot.messenger.events import Event, dedup_key, parse
from bot.messenger.graph import (
    HUMAN_AGENT,
    PhoneQuickReply,
    PostbackButton,
    QuickReply,
    split_text,
)
from bot.messenger.profile import Payload, messenger_profile
from bot.messenger.serve import (
    DispatcherFactory,
    MessengerContext,
    Running,
    running_with_messenger,
)
from bot.messenger.webhook import Seen
from bot.tg.app import build_app
from tests.harness import Clock, expect

VERIFY = "verify-me-0123"
PAGE = "102030405060708"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def facebook(graph: FakeGraph) -> FacebookSettings:
    return FacebookSettings(page_id=graph.page_id, page_token=Secret(graph.page_token),
                            app_secret=Secret(graph.app_secret), verify_token=Secret(VERIFY),
                            graph_url=graph.graph_url)


class Bot:
    """The real bot with Facebook on, against both fakes."""

    def __init__(self, tg: FakeTelegram, graph: FakeGraph, data: Path,
                 dispatcher: DispatcherFactory | None = None) -> None:
        self.tg, self.graph = tg, graph
        self._factory = {} if dispatcher is None else {"dispatcher": dispatcher}
        self.clock = Clock(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
        self.settings = Settings(token=Secret(tg.token), api_url=tg.url, data_dir=data,
                                 receipt_scrypt_n=2**8, http_port=free_port(),
                                 facebook=facebook(graph))
        self.stack = AsyncExitStack()
        self.app: Any = None
        self.running: Running | None = None

    async def start(self, **overrides: Any) -> Running:
        if overrides:
            self.settings = Settings(**{**self.settings.__dict__, **overrides})
        self.app = build_app(self.settings, clock=self.clock)
        self.running = await self.stack.enter_async_context(
            running_with_messenger(self.app, poll_timeout=1, **self._factory))
        await self.graph.subscribe_webhook(self.hook_url, VERIFY)
        return self.running

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    @property
    def hook_url(self) -> str:
        return f"{self.url}/messenger/webhook"

    async def idle(self) -> None:
        """Until the webhook's background work is done."""
        assert self.running is not None
        for _ in range(500):
            if self.running.webhook.pending == 0:
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("Messenger events still pending")

    async def stop(self) -> None:
        await self.stack.aclose()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    server = FakeGraph(page_id=PAGE)
    await server.start()
    yield server
    await server.stop()
    assert server.unknown_calls == []


@pytest.fixture
async def bot(fake: FakeTelegram, graph: FakeGraph, tmp_path: Path) -> AsyncIterator[Bot]:
    found = Bot(fake, graph, tmp_path / "data")
    await found.start()
    yield found
    await found.stop()


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session, session.post(
            url, data=body, headers=headers) as response:
        return response.status


# --- verification and signatures -----------------------------------------------------------
async def test_verification_echoes_the_challenge_only_to_the_right_token(bot: Bot) -> None:
    async with aiohttp.ClientSession() as session:
        async def get(**query: str) -> tuple[int, str]:
            async with session.get(bot.hook_url, params=query) as response:
                return response.status, await response.text()

        good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
        assert await get(**good) == (200, "1158201444")
        assert (await get(**{**good, "hub.verify_token": "guess"}))[0] == 403
        assert (await get(**{**good, "hub.mode": "unsubscribe"}))[0] == 403
        assert (await get(**{k: v for k, v in good.items() if k != "hub.verify_token"}))[0] \
            == 403
        assert (await get())[0] == 403


async def test_signatures_good_bad_and_missing(bot: Bot, graph: FakeGraph,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sara = graph.person("Сараа")
    await sara.send("Сайн уу")  # her window is open: only the signature stands in the way
    await sara.next_message()
    secret_words = "Даргын нууц гомдол Өө Үү"
    event = {"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [{
        "sender": {"id": sara.psid}, "recipient": {"id": PAGE}, "timestamp": 1,
        "message": {"mid": "m_forged", "text": secret_words}}]}]}
    body = json.dumps(event, ensure_ascii=False).encode()
    forged = sign(body, "not-the-app-secret")
    assert await post(bot.hook_url, body, {"Content-Type": "application/json"}) == 403
    assert await post(bot.hook_url, body, forged) == 403
    assert await post(bot.hook_url, body, {"X-Hub-Signature-256": "sha256=zz"}) == 403
    tampered = body.replace(b"m_forged", b"m_other")
    assert await post(bot.hook_url, tampered, sign(body, graph.app_secret)) == 403
    await bot.idle()
    assert len(sara.messages()) == 1
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1  # once, then counted
    log = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert secret_words not in log and sara.psid not in log and "m_forged" not in log
    assert await post(bot.hook_url, body, sign(body, graph.app_secret)) == 200
    await bot.idle()
    assert len(sara.messages()) == 2


async def test_a_message_out_of_any_step_gets_the_welcome_and_nothing_is_kept(
    bot: Bot, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sara = graph.person("Сараа")
    words = "Сумын даргын авлигын тухай гомдол Өө Үү"
    await sara.send(words)
    answer = await sara.next_message()
    assert answer.text == plain(t("mn", "messenger.welcome"))
    assert answer.messaging_type == "RESPONSE"
    assert [q["payload"] for q in answer.quick_replies] == [
        "COMPLAIN", "STATUS", "MATERIALS", "SURVEY", "PRIVACY", "LANG"]
    await bot.stop()
    log = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert words not in log and sara.psid not in log
    for file in bot.settings.data_dir.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert words.encode() not in data and sara.psid.encode() not in data, file


# --- at least once: retries, batches, order ------------------------------------------------
async def test_a_retried_delivery_is_processed_once(bot: Bot, graph: FakeGraph) -> None:
    sara = graph.person("Сараа")
    graph.webhook.lose_answers(1)  # the bot's 200 never reaches Meta, so Meta sends again
    await sara.send("Нэг удаа")
    assert [p.ok for p in graph.webhook.posts[-2:]] == [False, True]
    assert graph.webhook.posts[-1].body == graph.webhook.posts[-2].body
    await sara.next_message()
    await bot.idle()
    await asyncio.sleep(0.05)
    assert len(sara.messages()) == 1
    # Meta's own duplicates (a 200 answered, the same event sent later) are dropped too.
    assert await post(bot.hook_url, graph.webhook.posts[-1].body,
                      sign(graph.webhook.posts[-1].body, graph.app_secret)) == 200
    await bot.idle()
    assert len(sara.messages()) == 1


async def test_batched_entries_are_each_handled(bot: Bot, graph: FakeGraph) -> None:
    people = [graph.person(name) for name in ("Сараа", "Бат", "Дорж")]
    async with graph.batch():
        for person in people:
            await person.send("Сайн байна уу")
    assert len(graph.webhook.posts[-1].payload["entry"]) == 3
    for person in people:
        await person.next_message()


class Recorder(Dispatcher):
    """Keeps what it was handed; the first message of each person is slow."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.slow_done = False

    async def on_message(self, event: IncomingMessage) -> None:
        if event.text == "1":
            await asyncio.sleep(0.2)
        self.events.append(event)

    async def on_postback(self, event: Postback) -> None:
        self.events.append(event)

    async def on_referral(self, event: ReferralEvent) -> None:
        self.events.append(event)

    async def on_delivery(self, event: Delivery) -> None:
        self.events.append(event)

    async def on_read(self, event: Read) -> None:
        self.events.append(event)


async def test_each_persons_events_in_order_different_people_at_once(
    fake: FakeTelegram, graph: FakeGraph, tmp_path: Path
) -> None:
    recorder = Recorder()

    def factory(ctx: MessengerContext) -> Dispatcher:
        assert ctx.telegram_link == "https://t.me/ac110_bot"
        return recorder

    found = Bot(fake, graph, tmp_path / "data", dispatcher=factory)
    await found.start()
    try:
        sara, bat = graph.person("Сараа"), graph.person("Бат")
        for text in ("1", "2", "3"):
            await sara.send(text)
        await bat.send("Бат")
        await found.idle()
        texts = [e.text for e in recorder.events if isinstance(e, IncomingMessage)]
        assert texts == ["Бат", "1", "2", "3"]  # Бат did not wait for Сараа's slow message
    finally:
        await found.stop()


# --- parsing -------------------------------------------------------------------------------
def _entry(*events: dict[str, Any], page: str = PAGE) -> dict[str, Any]:
    return {"id": page, "time": 1767225600000, "messaging": list(events)}


def test_every_event_type_is_parsed() -> None:
    who = {"sender": {"id": "7001"}, "recipient": {"id": PAGE}}
    at = 1767225600123
    payload = {"object": "page", "entry": [
        _entry({**who, "timestamp": at, "message": {"mid": "m_1", "text": "Сайн уу"}}),
        _entry({**who, "timestamp": at, "message": {
            "mid": "m_2", "text": "Тийм", "quick_reply": {"payload": "YES"}}}),
        _entry({**who, "timestamp": at, "message": {"mid": "m_3", "attachments": [
            {"type": "image", "payload": {"url": "https://cdn.x/1.jpg"}},
            {"type": "file", "payload": {"url": "https://cdn.x/2.pdf"}}]}}),
        _entry({**who, "timestamp": at, "postback": {
            "mid": "m_4", "title": "Get Started", "payload": "GET_STARTED",
            "referral": {"ref": "s1", "source": "SHORTLINK", "type": "OPEN_THREAD"}}}),
        _entry({**who, "timestamp": at, "referral": {
            "ref": "s2", "source": "SHORTLINK", "type": "OPEN_THREAD"}}),
        _entry({**who, "delivery": {"mids": ["m_9"], "watermark": at}}),
        _entry({**who, "timestamp": at, "read": {"watermark": at}}),
        _entry({**who, "timestamp": at, "message": {"mid": "m_e", "is_echo": True, "text": "x"}}),
        _entry({**who, "timestamp": at, "message": {"mid": "m_o", "text": "other page"}},
               page="999"),
        _entry({"timestamp": at, "message": {"mid": "m_bad"}}),  # no sender: skipped
        _entry({**who, "timestamp": at, "optin": {"ref": "x"}}),  # not handled
    ]}
    events = parse(payload, PAGE)
    when = dt.datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=dt.UTC)
    text, quick, files, started, referral, delivery, read = events
    assert isinstance(text, IncomingMessage) and text.text == "Сайн уу" and text.at == when
    assert isinstance(quick, IncomingMessage) and quick.quick_reply == "YES"
    assert isinstance(files, IncomingMessage) and files.text is None
    assert [(a.type, a.url) for a in files.attachments] == [
        ("image", "https://cdn.x/1.jpg"), ("file", "https://cdn.x/2.pdf")]
    assert isinstance(started, Postback) and started.payload == Payload.GET_STARTED
    assert started.referral is not None and started.referral.ref == "s1"
    assert isinstance(referral, ReferralEvent) and referral.referral.ref == "s2"
    assert isinstance(delivery, Delivery) and delivery.mids == ("m_9",)
    assert isinstance(read, Read) and read.watermark == when
    assert all(e.psid == "7001" for e in events)
    # Reprs leave out the person and their words.
    assert "7001" not in repr(events) and "Сайн" not in repr(events) and "YES" not in repr(events)
    keys = [dedup_key(e) for e in events]
    assert len(set(keys)) == len(keys)
    legacy = Postback(psid="7001", at=when, payload="X")  # before v11 postbacks had no mid
    assert dedup_key(legacy) == dedup_key(Postback(psid="7001", at=when, payload="Y"))


def test_seen_is_bounded_and_expires() -> None:
    now = [0.0]
    seen = Seen(capacity=3, ttl=10.0, clock=lambda: now[0])
    assert [seen.first(k) for k in ("a", "b", "a", "c", "d")] == [True, True, False, True, True]
    assert len(seen) == 3 and seen.first("a")  # "a" was pushed out by the capacity
    now[0] = 20.0
    assert seen.first("d") and len(seen) == 1  # everything older expired


# --- the Graph client against the fake -----------------------------------------------------
@pytest.fixture
async def client(graph: FakeGraph) -> AsyncIterator[GraphClient]:
    async with aiohttp.ClientSession() as session:
        yield GraphClient(session, facebook(graph))


async def test_client_sends_what_meta_accepts(client: GraphClient, graph: FakeGraph) -> None:
    sara = graph.person()
    await sara.send("Сайн уу")
    mid = await client.send_text(sara.psid, "Сонгоно уу", quick_replies=[
        QuickReply("Гомдол", "KIND:complaint"), PhoneQuickReply()])
    assert mid.startswith("m_")
    await client.send_buttons(sara.psid, "Илгээх үү?", [PostbackButton("Илгээх", "SEND")])
    await client.sender_action(sara.psid, "typing_on")
    first, second = sara.messages()
    assert [q.get("title") for q in first.quick_replies] == ["Гомдол", None]
    assert second.buttons == [{"type": "postback", "title": "Илгээх", "payload": "SEND"}]
    await sara.tap_quick_reply(phone="+97699112233")
    sent = graph.calls_to("messages")
    assert all(c.ok for c in sent) and len(sent) == 3


async def test_client_maps_each_error_code_to_its_exception(
    client: GraphClient, graph: FakeGraph
) -> None:
    sara = graph.person()
    await sara.send("Сайн уу")
    graph.clock.advance(hours=25)  # 25 hours after her last message
    with pytest.raises(OutsideWindow) as outside:
        await client.send_text(sara.psid, "Хоцорсон хариу")
    assert (outside.value.code, outside.value.subcode) == (10, 2018278)
    assert outside.value.fbtrace_id
    # A human's reply may still go, up to 7 days after her last message.
    await client.send_text(sara.psid, "Ажилтны хариу", tag=HUMAN_AGENT)
    assert sara.messages()[-1].tag == "HUMAN_AGENT"
    assert sara.messages()[-1].messaging_type == "MESSAGE_TAG"
    graph.clock.advance(days=6, hours=1)
    with pytest.raises(OutsideWindow):
        await client.send_text(sara.psid, "Долоо хоногийн дараа", tag=HUMAN_AGENT)
    await sara.send("Дахин бичлээ")
    graph.fail_next("messages", 613)
    with pytest.raises(RateLimited):
        await client.send_text(sara.psid, "Хэт хурдан")
    sara.available = False
    with pytest.raises(PersonUnavailable):
        await client.send_text(sara.psid, "Хаасан")
    sara.available = True
    graph.fail_next("messages", 2)
    with pytest.raises(GraphError) as unknown:
        await client.send_text(sara.psid, "Meta-д алдаа")
    assert type(unknown.value) is GraphError and unknown.value.code == 2
    graph.expire_token()
    with pytest.raises(InvalidToken):
        await client.send_text(sara.psid, "Токен")


async def test_client_publishes_and_reads_figures(client: GraphClient, graph: FakeGraph) -> None:
    text_id = await client.publish("Авлигын эсрэг 110", link="https://iaac.mn")
    photo_id = await client.publish_photo(caption="Зурагт хуудас", data=b"\x89PNG....")
    video_id = await client.publish_video(description="Шторк", url="https://x.mn/spot.mp4")
    assert [p.id for p in graph.posts] == [text_id, photo_id, video_id]
    graph.post(text_id).views, graph.post(text_id).shares = 6735, 203
    graph.post(text_id).reactions = 40
    figures = await client.post_figures(text_id)
    assert (figures.views, figures.reactions, figures.comments, figures.shares) == (
        6735, 40, 0, 203)
    assert (await client.post_figures(photo_id)).shares == 0  # Meta omits shares at 0
    graph.page_likes = 40
    assert (await client.post_figures(text_id)).views is None  # Meta's documented error
    graph.small_page_insights = "empty"
    assert (await client.post_figures(text_id)).views is None  # older API: empty data
    assert all(c.edge != "insights" or c.params["metric"] == "post_total_media_view_unique"
               for c in graph.calls)
    with pytest.raises(InsightsUnavailable):
        graph.small_page_insights = "error"
        await client._call("GET", f"{text_id}/insights", params={"metric": "post_media_view"})


async def test_downloads_keep_to_the_size_limit(client: GraphClient, graph: FakeGraph) -> None:
    small = graph.attachment("image", data=b"\xff\xd8" + b"1" * 5000)
    big = graph.attachment("video", size=30 * 1024 * 1024)
    assert await client.download(small["payload"]["url"], max_bytes=25 * 1024 * 1024) \
        == b"\xff\xd8" + b"1" * 5000
    with pytest.raises(AttachmentTooLarge):
        await client.download(big["payload"]["url"], max_bytes=25 * 1024 * 1024)
    with pytest.raises(AttachmentTooLarge):
        await client.download(small["payload"]["url"], max_bytes=4000)


def test_split_text_keeps_to_2000_characters() -> None:
    paragraph = "Өргөдөл гомдлыг 30 хоногт шийдвэрлэнэ. " * 30  # about 1,200 characters
    parts = split_text(f"{paragraph}\n\n{paragraph}\n\n{paragraph}")
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    assert split_text("ү" * 4500) == ["ү" * 2000, "ү" * 2000, "ү" * 500]
    assert split_text("богино") == ["богино"]


# --- the profile, reach, health ------------------------------------------------------------
async def test_the_messenger_profile_is_set_at_start(bot: Bot, graph: FakeGraph) -> None:
    assert graph.calls_to("messenger_profile")[-1].ok
    profile = graph.profile
    assert profile["get_started"] == {"payload": "GET_STARTED"}
    menu = {m["locale"]: m["call_to_actions"] for m in profile["persistent_menu"]}
    assert [i["payload"] for i in menu["default"]] == [
        "COMPLAIN", "STATUS", "MATERIALS", "PRIVACY", "LANG"]
    assert menu["default"][0]["title"] == t("mn", "messenger.menu.complain")
    assert menu["en_US"][0]["title"] == t("en", "messenger.menu.complain")
    assert len(profile["ice_breakers"][0]["call_to_actions"]) == 4
    assert profile == messenger_profile()
    # The menu works for a person, and Get Started answers.
    sara = graph.person("Сараа")
    await sara.get_started()
    await sara.next_message()
    await sara.tap_menu(t("mn", "messenger.menu.status"))
    await sara.next_message()


async def test_deliveries_reads_and_sources_are_counted_without_the_person(
    bot: Bot, graph: FakeGraph
) -> None:
    backend = bot.app.bot_data["svc"].backend
    code = await reach.add_source(backend, "Автобусны буудлын зурагт хуудас", bot.clock())
    sara = graph.person("Сараа")
    await sara.open_link(code)  # a new conversation: the ref comes with Get Started
    await sara.get_started()
    await sara.next_message()
    await sara.open_link(code)  # again, in the conversation: counted once per person
    await sara.open_link("sNOSUCH")
    await sara.confirm_delivery()
    await sara.read()
    await bot.idle()
    assert [s.people for s in await reach.sources(backend) if s.code == code] == [1]
    async with backend.db.read() as conn:
        rows = await (await conn.execute(
            "SELECT name, channel, dims FROM events WHERE channel = 'messenger' ORDER BY id"
        )).fetchall()
    names = [r["name"] for r in rows]
    assert names == ["start", "source", "message_delivered", "message_read"]
    dims = [json.loads(r["dims"]) for r in rows]
    assert dims[0] == {"source": code}
    assert dims[2]["messages"] == 1 and len(dims[2]["who"]) == 16
    assert dims[2]["who"] != dims[3]["who"]  # a delivery and a read cannot be joined
    assert all(sara.psid not in r["dims"] for r in rows)


async def test_healthz(bot: Bot) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as r:
        assert r.status == 200
        assert await r.json() == {"status": "ok", "telegram": "polling", "messenger": True}


async def test_telegram_webhook_shares_the_port_and_checks_its_secret(
    fake: FakeTelegram, graph: FakeGraph, tmp_path: Path
) -> None:
    found = Bot(fake, graph, tmp_path / "data")
    url = f"http://127.0.0.1:{found.settings.http_port}/telegram"
    await found.start(webhook_url=url, webhook_secret=Secret("tg-s3cret"))
    try:
        assert fake.calls_to("setWebhook")[-1].params["secret_token"] == "tg-s3cret"
        assert fake.calls_to("setWebhook")[-1].params["url"] == url
        alice = fake.user(first_name="Сараа")
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": int(time.time()), "text": "/start",
            "chat": {"id": alice.id, "type": "private", "first_name": "Сараа"},
            "from": {"id": alice.id, "is_bot": False, "first_name": "Сараа"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
        body = json.dumps(update).encode()
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            assert await post(url, body, {"Content-Type": "application/json", **headers}) == 403
        assert not alice.messages()
        assert await post(url, body, {"Content-Type": "application/json",
                                      "X-Telegram-Bot-Api-Secret-Token": "tg-s3cret"}) == 200
        await expect(alice, "Сайн байна уу")
        # Messenger on the same port.
        sara = graph.person("Сараа")
        await sara.send("Сайн уу")
        await sara.next_message()
        async with aiohttp.ClientSession() as session, \
                session.get(f"{found.url}/healthz") as response:
            assert (await response.json())["telegram"] == "webhook"
    finally:
        await found.stop()


# --- `python -m bot run` -------------------------------------------------------------------
async def test_python_m_bot_run_serves_messenger_beside_telegram(
    fake: FakeTelegram, graph: FakeGraph, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_TOKEN=fake.token, BOT_API_URL=fake.url, BOT_DATA_DIR=str(tmp_path / "d"),
               BOT_LOG_LEVEL="INFO", BOT_HTTP_PORT=str(port), BOT_FB_PAGE_ID=graph.page_id,
               BOT_FB_PAGE_TOKEN=graph.page_token, BOT_FB_APP_SECRET=graph.app_secret,
               BOT_FB_VERIFY_TOKEN=VERIFY, BOT_FB_GRAPH_URL=graph.graph_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"{base}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("no /healthz")
        await graph.subscribe_webhook(f"{base}/messenger/webhook", VERIFY)
        sara = graph.person("Сараа")
        await sara.send("Сайн байна уу")
        assert "110" in ((await sara.next_message(timeout=20)).text or "")
        assert graph.profile["get_started"] == {"payload": "GET_STARTED"}
        alice = fake.user(first_name="Бат")
        await alice.send("/start")
        await expect(alice, "Сайн байна уу", timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    log = output.decode()
    assert process.returncode == 0, log
    assert "Messenger webhook listening" in log and "bot ready" in log
    for secret in (fake.token, graph.page_token, graph.app_secret, VERIFY, sara.psid):
        assert secret not in log


async def test_python_m_bot_run_names_missing_facebook_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_TOKEN="1:x", BOT_FB_PAGE_ID="123", BOT_FB_APP_SECRET="s")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert "BOT_FB_PAGE_TOKEN, BOT_FB_VERIFY_TOKEN missing" in output.decode()
