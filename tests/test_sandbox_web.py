"""The sandbox web page's HTTP API, against a FakeTelegram and a FakeGraph; the bot's side is
played by hand.

Bot messages are made the way the bot makes them: HTTP calls to the fakes' Bot API and Graph
API. What a Messenger persona does reaches a small webhook receiver here, signed as Meta
signs it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.fakegram import CallEvent, FakeChat, FakeTelegram, FakeUser, MessageEvent
from bot.fakegraph import FakeGraph, sign
from bot.sandbox.messenger import MessengerSide, Thread
from bot.sandbox.web import CSP, DEMO_PHONE, MessengerPersona, Persona, build_web

JSON = dict[str, Any]
POST_HEADERS = {"X-Sandbox": "1"}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class World:
    fake: FakeTelegram
    client: TestClient[web.Request, web.Application]
    http: aiohttp.ClientSession
    ann: FakeUser
    boss: FakeUser
    group: FakeChat
    channel: FakeChat

    async def bot(self, method: str, **params: Any) -> Any:
        """A Bot API call as the bot makes it."""
        url = f"{self.fake.url}/bot{self.fake.token}/{method}"
        async with self.http.post(url, json=params) as response:
            body = await response.json()
        assert body["ok"], body
        return body["result"]

    async def get(self, path: str) -> JSON:
        response = await self.client.get(path)
        assert response.status == 200, await response.text()
        body: JSON = await response.json()
        return body

    async def post(self, path: str, body: JSON, status: int = 200) -> JSON:
        response = await self.client.post(path, json=body, headers=POST_HEADERS)
        assert response.status == status, await response.text()
        result: JSON = await response.json()
        return result


@pytest.fixture
async def w() -> AsyncIterator[World]:
    fake = FakeTelegram(bot_name="Test bot")
    await fake.start()
    ann = fake.user(first_name="Анн", last_name="Б.")
    boss = fake.user(first_name="Дарга")
    group = fake.group(title="Staff", members=[boss])
    channel = fake.channel(title="News")
    personas = [
        Persona("ann", "Анн (иргэн)", "citizen", ann.chat, ann),
        Persona("boss", "Дарга (ажилтан)", "staff", boss.chat, boss),
        Persona("staff-group", "Staff (групп)", "group", group, boss),
        Persona("news", "News (суваг)", "channel", channel, None),
    ]
    app = build_web(fake, personas, bot_name="Test bot")
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    async with aiohttp.ClientSession() as http:
        yield World(fake, client, http, ann, boss, group, channel)
    await client.close()
    await fake.stop()


async def next_event(stream: aiohttp.ClientResponse, wanted: str, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
    """The next server-sent event of type `wanted` (others are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            block = (await stream.content.readuntil(b"\n\n")).decode()
            for line in block.splitlines():
                if line.startswith("data: "):
                    event: JSON = json.loads(line.removeprefix("data: "))
                    if event["type"] == wanted:
                        return event


# --- the page -------------------------------------------------------------------------------


async def test_the_page_says_it_is_a_sandbox_under_a_strict_csp(w: World) -> None:
    response = await w.client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    assert "Туршилтын орчин — энд юу ч Telegram, Facebook руу явахгүй" in page
    assert "Sandbox — nothing here reaches Telegram or Facebook" in page
    csp = response.headers["Content-Security-Policy"]
    assert csp == CSP
    assert "script-src 'self'" in csp and "unsafe" not in csp and "default-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in page and not re.search(r"\son[a-z]+=", page)  # no inline code
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        static = await w.client.get(f"/static/{name}")
        assert static.status == 200 and static.content_type == kind
        assert static.headers["Content-Security-Policy"] == CSP
    script = await (await w.client.get("/static/app.js")).text()
    assert "innerHTML" not in script and "eval(" not in script and "new Function" not in script
    # Nothing from elsewhere: the only absolute URL is SVG's namespace (never fetched).
    for name in ("app.js", "style.css", "icon.svg"):
        text = await (await w.client.get(f"/static/{name}")).text()
        found = set(re.findall(r"https?://[\w.-]+[^\s\"'`)]*", text + page))
        assert found <= {"http://www.w3.org/2000/svg"}, found


@pytest.mark.parametrize(
    "path",
    [
        "/static/../web.py",
        "/static/..%2fweb.py",
        "/static/%2e%2e/web.py",
        "/static/..%5cweb.py",
        "/static/%2e%2e%2f%2e%2e%2fconfig.py",
        "/static/web.py",
        "/static/",
        "/static//etc/passwd",
        "/files/..%2f..%2fetc%2fpasswd",
        "/mfiles/..%2f..%2fetc%2fpasswd",
    ],
)
async def test_no_path_reaches_the_disk(w: World, path: str) -> None:
    response = await w.client.get(path)
    assert response.status == 404
    body = await response.text()
    assert "def build_web" not in body and "root:" not in body
    assert response.headers["Content-Security-Policy"]


async def test_personas_list_the_chats(w: World) -> None:
    await w.bot("sendMessage", chat_id=w.ann.id, text="Сайн байна уу")
    body = await w.get("/api/personas")
    assert body["bot"]["name"] == "Test bot"
    shown = {p["key"]: p for p in body["personas"]}
    assert list(shown) == ["ann", "boss", "staff-group", "news"]
    assert shown["ann"]["last"]["message"]["text"] == "Сайн байна уу"
    assert shown["ann"]["as"] == "Анн Б." and shown["ann"]["can_write"] is True
    assert shown["news"]["can_write"] is False and shown["news"]["chat_type"] == "channel"
    assert shown["boss"]["last"] is None
    assert body["demo_phone"] == DEMO_PHONE


# --- messages -----------------------------------------------------------------------------


async def test_messages_show_both_sides_with_edits_applied_and_deletions_gone(w: World) -> None:
    first = await w.bot("sendMessage", chat_id=w.ann.id, text="<b>Нэг</b>", parse_mode="HTML")
    second = await w.bot("sendMessage", chat_id=w.ann.id, text="Хоёр")
    await w.post("/api/chats/ann/send", {"text": "Миний бичсэн"})
    keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    await w.bot("sendMessage", chat_id=w.ann.id, text="Гурав", reply_markup=keyboard)
    await w.bot(
        "editMessageText", chat_id=w.ann.id, message_id=first["message_id"], text="Нэг (засав)"
    )
    await w.bot("deleteMessage", chat_id=w.ann.id, message_id=second["message_id"])
    body = await w.get("/api/chats/ann/messages")
    views = body["messages"]
    assert [v["message"].get("text") for v in views] == ["Нэг (засав)", "Миний бичсэн", "Гурав"]
    assert [v["own"] for v in views] == [False, True, False]
    assert [v["by_bot"] for v in views] == [True, False, True]
    assert views[0]["message"]["edit_date"] and views[0]["sender"] == "Test bot"
    assert views[1]["sender"] == "Анн Б."
    assert views[2]["message"]["reply_markup"] == keyboard
    assert [v["edited"] for v in views] == [True, False, False]
    assert [v["id"] for v in views] == sorted(v["id"] for v in views)


async def test_taking_buttons_away_is_not_shown_as_an_edit(w: World) -> None:
    keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    sent = await w.bot("sendMessage", chat_id=w.ann.id, text="Асуулт", reply_markup=keyboard)
    await w.bot("editMessageReplyMarkup", chat_id=w.ann.id, message_id=sent["message_id"])
    view = (await w.get("/api/chats/ann/messages"))["messages"][0]
    assert "reply_markup" not in view["message"] and view["message"]["edit_date"]
    assert view["edited"] is False  # Telegram's edit_hide


async def test_entities_reach_the_page_as_entities_not_html(w: World) -> None:
    await w.bot(
        "sendMessage",
        chat_id=w.ann.id,
        text='<b>bold</b> <tg-spoiler>secret</tg-spoiler> <a href="https://example.org">x</a>'
        " &lt;script&gt;",
        parse_mode="HTML",
    )
    message = (await w.get("/api/chats/ann/messages"))["messages"][0]["message"]
    assert message["text"] == "bold secret x <script>"
    assert {e["type"] for e in message["entities"]} == {"bold", "spoiler", "text_link"}


async def test_reply_keyboard_and_commands_come_with_the_chat(w: World) -> None:
    keyboard = {
        "keyboard": [[{"text": "📮 Илгээх"}], [{"text": "📱 Утас", "request_contact": True}]],
        "resize_keyboard": True,
    }
    await w.bot("sendMessage", chat_id=w.ann.id, text="Цэс", reply_markup=keyboard)
    await w.bot("setMyCommands", commands=[{"command": "start", "description": "Эхлэх"}])
    await w.bot(
        "setMyCommands",
        commands=[{"command": "inbox", "description": "Хэргүүд"}],
        scope={"type": "chat", "chat_id": w.boss.id},
    )
    ann = await w.get("/api/chats/ann/messages")
    assert ann["reply_keyboard"] == keyboard["keyboard"]
    assert [c["command"] for c in ann["commands"]] == ["start"]
    boss = await w.get("/api/chats/boss/messages")
    assert boss["reply_keyboard"] is None
    assert [c["command"] for c in boss["commands"]] == ["inbox"]
    await w.bot(
        "sendMessage", chat_id=w.ann.id, text="Болсон", reply_markup={"remove_keyboard": True}
    )
    assert (await w.get("/api/chats/ann/messages"))["reply_keyboard"] is None


# --- acting as a persona -----------------------------------------------------------------------


async def test_sending_a_command_reaches_the_bot_as_a_command(w: World) -> None:
    body = await w.post("/api/chats/ann/send", {"text": "/status 1234 5678"})
    sent = body["message"]
    assert sent["own"] is True and sent["message"]["text"] == "/status 1234 5678"
    updates = await w.bot("getUpdates", timeout=0)
    message = updates[-1]["message"]
    assert message["from"]["id"] == w.ann.id and message["chat"]["id"] == w.ann.id
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]


async def test_writing_in_the_group_is_as_its_member(w: World) -> None:
    await w.post("/api/chats/staff-group/send", {"text": "/inbox"})
    updates = await w.bot("getUpdates", timeout=0)
    message = updates[-1]["message"]
    assert message["chat"]["id"] == w.group.id and message["from"]["id"] == w.boss.id
    view = (await w.get("/api/chats/staff-group/messages"))["messages"][-1]
    assert view["own"] is True and view["sender"] == "Дарга"


async def test_pressing_a_button_sends_its_callback_and_the_answer_comes_as_an_event(
    w: World,
) -> None:
    keyboard = {"inline_keyboard": [[{"text": "Тийм", "callback_data": "yes:1"}]]}
    sent = await w.bot("sendMessage", chat_id=w.ann.id, text="Асуулт?", reply_markup=keyboard)
    async with w.client.get("/api/events") as stream:
        await next_event(stream, "hello")
        pressed = await w.post(
            "/api/chats/ann/press", {"message_id": sent["message_id"], "data": "yes:1"}
        )
        updates = await w.bot("getUpdates", timeout=0)
        query = updates[-1]["callback_query"]
        assert query["id"] == pressed["query_id"] and query["data"] == "yes:1"
        assert query["message"]["message_id"] == sent["message_id"]
        await w.bot("answerCallbackQuery", callback_query_id=query["id"], text="Баярлалаа!")
        answer = await next_event(stream, "answer")
    assert answer == {
        "type": "answer",
        "chat": "ann",
        "query_id": query["id"],
        "message_id": sent["message_id"],
        "text": "Баярлалаа!",
        "show_alert": False,
        "url": None,
    }


async def test_pressing_on_a_message_that_is_gone_is_refused(w: World) -> None:
    body = await w.post("/api/chats/ann/press", {"message_id": 99, "data": "x"}, status=404)
    assert "no bot message" in body["error"]
    await w.post("/api/chats/ann/press", {"message_id": "1"}, status=400)


async def test_upload_a_photo_and_download_it_inline(w: World) -> None:
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename="зураг.png", content_type="image/png")
    form.add_field("caption", "Баримт")
    form.add_field("width", "1")
    form.add_field("height", "1")
    response = await w.client.post("/api/chats/ann/upload", data=form, headers=POST_HEADERS)
    assert response.status == 200, await response.text()
    message = (await response.json())["message"]["message"]
    assert message["caption"] == "Баримт"
    largest = message["photo"][-1]
    assert (largest["width"], largest["height"]) == (1, 1)
    update = (await w.bot("getUpdates", timeout=0))[-1]["message"]
    assert update["photo"][-1]["file_id"] == largest["file_id"]
    download = await w.client.get(f"/files/{largest['file_id']}")
    assert download.status == 200
    assert await download.read() == PNG
    assert download.content_type == "image/png"
    assert download.headers["Content-Disposition"].startswith("inline;")
    assert "sandbox" in download.headers["Content-Security-Policy"]


async def test_upload_a_document_and_download_it_as_an_attachment(w: World) -> None:
    # As Chromium sends it: the file name in raw UTF-8.
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="../../'
        + "тайлан.html".encode()
        + b'"\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>\r\n--XyZ--\r\n'
    )
    headers = {**POST_HEADERS, "Content-Type": "multipart/form-data; boundary=XyZ"}
    response = await w.client.post("/api/chats/ann/upload", data=body, headers=headers)
    assert response.status == 200, await response.text()
    document = (await response.json())["message"]["message"]["document"]
    assert document["file_name"] == "тайлан.html"  # no directories from the browser
    assert document["mime_type"] == "text/html"
    download = await w.client.get(f"/files/{document['file_id']}")
    assert await download.read() == b"<script>alert(1)</script>"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D1%82%D0%B0%D0%B9%D0%BB%D0%B0%D0%BD.html" in disposition
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_file_the_bot_sent_can_be_downloaded(w: World) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(w.ann.id))
    form.add_field("document", b"%PDF-1.4 fake", filename="hariu.pdf",
                   content_type="application/pdf")
    url = f"{w.fake.url}/bot{w.fake.token}/sendDocument"
    async with w.http.post(url, data=form) as response:
        sent = (await response.json())["result"]
    file_id = sent["document"]["file_id"]
    download = await w.client.get(f"/files/{file_id}?download=1")
    assert await download.read() == b"%PDF-1.4 fake"
    assert download.content_type == "application/pdf"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="hariu.pdf"')
    assert (await w.client.get("/files/no-such-file")).status == 404


async def test_upload_a_video(w: World) -> None:
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    form = aiohttp.FormData()
    form.add_field("file", mp4, filename="clip.mp4", content_type="video/mp4")
    form.add_field("width", "320")
    form.add_field("height", "240")
    response = await w.client.post("/api/chats/ann/upload", data=form, headers=POST_HEADERS)
    assert response.status == 200, await response.text()
    video = (await response.json())["message"]["message"]["video"]
    assert (video["width"], video["height"], video["file_name"]) == (320, 240, "clip.mp4")
    download = await w.client.get(f"/files/{video['file_id']}")
    assert download.content_type == "video/mp4" and await download.read() == mp4


async def test_upload_needs_a_file(w: World) -> None:
    form = aiohttp.FormData()
    form.add_field("caption", "no file")
    response = await w.client.post("/api/chats/ann/upload", data=form, headers=POST_HEADERS)
    assert response.status == 400


async def test_sharing_the_contact_sends_the_persona_s_own(w: World) -> None:
    body = await w.post("/api/chats/ann/contact", {})
    contact = body["message"]["message"]["contact"]
    assert contact == {
        "phone_number": DEMO_PHONE,
        "first_name": "Анн",
        "last_name": "Б.",
        "user_id": w.ann.id,
    }
    body = await w.post("/api/chats/ann/contact", {"phone": "+976 8811 2233"})
    assert body["message"]["message"]["contact"]["phone_number"] == "+97688112233"
    await w.post("/api/chats/ann/contact", {"phone": "<b>"}, status=400)


# --- refusals ---------------------------------------------------------------------------------


async def test_the_channel_is_read_only_and_unknown_chats_are_404(w: World) -> None:
    body = await w.post("/api/chats/news/send", {"text": "hi"}, status=403)
    assert "read-only" in body["error"]
    await w.post("/api/chats/nobody/send", {"text": "hi"}, status=404)
    assert (await w.client.get("/api/chats/nobody/messages")).status == 404
    await w.post("/api/chats/ann/send", {"text": "   "}, status=400)
    await w.post("/api/chats/ann/send", {"text": "x" * 4097}, status=400)


async def test_changes_need_the_client_header_and_a_loopback_host(w: World) -> None:
    response = await w.client.post("/api/chats/ann/send", json={"text": "hi"})
    assert response.status == 403  # a plain cross-site form post has no custom header
    response = await w.client.post(
        "/api/chats/ann/send",
        json={"text": "hi"},
        headers={**POST_HEADERS, "Origin": "http://evil.example"},
    )
    assert response.status == 403
    response = await w.client.get("/api/personas", headers={"Host": "evil.example:8110"})
    assert response.status == 421  # DNS rebinding
    response = await w.client.get("/", headers={"Host": "localhost:8110"})
    assert response.status == 200
    assert w.ann.chat.history.all_messages() == []


# --- events -----------------------------------------------------------------------------------


async def test_the_event_stream_follows_new_edited_and_deleted_messages(w: World) -> None:
    async with w.client.get("/api/events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        await next_event(stream, "hello")
        sent = await w.bot("sendMessage", chat_id=w.ann.id, text="Шинэ")
        new = await next_event(stream, "message")
        assert new["chat"] == "ann" and new["change"] == "new"
        assert new["message"]["message"]["text"] == "Шинэ" and new["message"]["own"] is False
        await w.bot("editMessageText", chat_id=w.ann.id, message_id=sent["message_id"],
                    text="Засав")
        edited = await next_event(stream, "message")
        assert edited["change"] == "edited" and edited["message"]["message"]["text"] == "Засав"
        await w.bot("deleteMessage", chat_id=w.ann.id, message_id=sent["message_id"])
        deleted = await next_event(stream, "message")
        assert deleted["change"] == "deleted" and deleted["id"] == sent["message_id"]
        assert "message" not in deleted
        await w.post("/api/chats/staff-group/send", {"text": "сайн уу"})
        own = await next_event(stream, "message")
        assert own["chat"] == "staff-group" and own["message"]["own"] is True
        await w.bot("sendMessage", chat_id=w.channel.id, text="Мэдээ")
        post = await next_event(stream, "message")
        assert post["chat"] == "news" and post["message"]["by_bot"] is True


async def test_the_event_stream_logs_api_calls_but_not_empty_polls(w: World) -> None:
    async with w.client.get("/api/events") as stream:
        await next_event(stream, "hello")
        await w.bot("getUpdates", timeout=0)
        await w.bot("sendMessage", chat_id=w.ann.id, text="Лог")
        call = (await next_event(stream, "call"))["call"]
    assert call["method"] == "sendMessage" and call["ok"] is True
    assert call["chat"] == "Анн (иргэн)" and '"Лог"' in call["summary"]
    assert call["result"].startswith("message ")
    calls = (await w.get("/api/calls"))["calls"]
    assert [c["method"] for c in calls] == ["sendMessage"]


async def test_failed_calls_are_logged_with_their_error(w: World) -> None:
    url = f"{w.fake.url}/bot{w.fake.token}/sendMessage"
    bad = {"chat_id": w.ann.id, "text": "<b>", "parse_mode": "HTML"}
    async with w.http.post(url, json=bad) as response:
        assert response.status == 400
    calls = (await w.get("/api/calls"))["calls"]
    assert calls[-1]["ok"] is False and "can't parse entities" in calls[-1]["error"].lower()


async def test_stopping_the_server_ends_open_streams_at_once(w: World) -> None:
    app = build_web(w.fake, [Persona("ann", "Анн", "citizen", w.ann.chat, w.ann)], bot_name="B")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with w.http.get(f"http://127.0.0.1:{port}/api/events") as stream:
        await next_event(stream, "hello")
        loop = asyncio.get_running_loop()
        started = loop.time()
        await runner.cleanup()
        assert loop.time() - started < 2
        assert await stream.content.read() == b""


# --- the observer API of the fake ---------------------------------------------------------------


async def test_a_slow_subscriber_loses_the_oldest_events_and_never_blocks(w: World) -> None:
    queue = w.fake.subscribe(maxsize=3)
    for index in range(5):
        await w.ann.send(f"m{index}")
    assert queue.qsize() == 3 and queue.dropped == 2
    texts = [queue.get_nowait() for _ in range(3)]
    assert all(isinstance(e, MessageEvent) for e in texts)
    assert [e.message["text"] for e in texts if isinstance(e, MessageEvent)] == ["m2", "m3", "m4"]
    w.fake.unsubscribe(queue)
    await w.ann.send("later")
    assert queue.empty()
    w.fake.unsubscribe(queue)  # twice is harmless


async def test_subscribers_see_calls_and_message_changes(w: World) -> None:
    queue = w.fake.subscribe()
    sent = await w.bot("sendMessage", chat_id=w.ann.id, text="a")
    await w.bot("deleteMessage", chat_id=w.ann.id, message_id=sent["message_id"])
    events = [queue.get_nowait() for _ in range(queue.qsize())]
    changes = [(e.change, e.chat_id, e.by_bot) for e in events if isinstance(e, MessageEvent)]
    assert changes == [("new", w.ann.id, True), ("deleted", w.ann.id, True)]
    methods = [e.call.method for e in events if isinstance(e, CallEvent)]
    assert methods == ["sendMessage", "deleteMessage"]
    with pytest.raises(ValueError, match="bounded"):
        w.fake.subscribe(maxsize=0)
    w.fake.unsubscribe(queue)


# --- Messenger ----------------------------------------------------------------------------------


@dataclass
class Meta:
    """A FakeGraph, a Messenger persona in the web page, and the bot's webhook played by hand."""

    graph: FakeGraph
    side: MessengerSide
    oyun: Thread
    client: TestClient[web.Request, web.Application]
    http: aiohttp.ClientSession
    events: list[JSON]  # what reached the webhook, signature checked

    async def send(self, message: JSON, *, files: bytes | None = None) -> JSON:
        """The bot's Send API call to Оюун (a JSON body, or a multipart upload)."""
        url = f"{self.graph.graph_url}/{self.graph.page_id}/messages"
        params = {"access_token": self.graph.page_token}
        body = {"recipient": {"id": self.oyun.person.psid}, "messaging_type": "RESPONSE",
                "message": message}
        if files is None:
            request = self.http.post(url, params=params, json=body)
        else:
            form = aiohttp.FormData()
            for key, value in body.items():
                form.add_field(key, json.dumps(value) if isinstance(value, dict) else value)
            form.add_field("filedata", files, filename="poster.png", content_type="image/png")
            request = self.http.post(url, params=params, data=form)
        async with request as response:
            answer: JSON = await response.json()
            assert response.status == 200, answer
        return answer

    async def get(self, path: str) -> JSON:
        response = await self.client.get(path)
        assert response.status == 200, await response.text()
        body: JSON = await response.json()
        return body

    async def post(self, path: str, body: JSON, status: int = 200) -> JSON:
        response = await self.client.post(path, json=body, headers=POST_HEADERS)
        assert response.status == status, await response.text()
        result: JSON = await response.json()
        return result

    async def hello(self) -> None:
        """Оюун writes first: Meta lets the Page answer only then."""
        await self.post("/api/chats/oyun/send", {"text": "Сайн уу"})

    def last_event(self) -> JSON:
        """The newest webhook event (``messaging`` entry)."""
        event: JSON = self.events[-1]["entry"][0]["messaging"][0]
        return event


QUICK = [{"content_type": "text", "title": "😠 Гомдол", "payload": "K:complaint"},
         {"content_type": "text", "title": "💡 Санал", "payload": "K:suggestion"}]
PROFILE = {
    "get_started": {"payload": "GET_STARTED"},
    "greeting": [{"locale": "default", "text": "110 хайрцаг"}],
    "persistent_menu": [{"locale": "default", "composer_input_disabled": False,
                         "call_to_actions": [
                             {"type": "postback", "title": "📮 Гомдол илгээх",
                              "payload": "COMPLAIN"},
                             {"type": "web_url", "title": "🌐 Сайт",
                              "url": "https://example.org/"}]}],
    "ice_breakers": [{"locale": "default", "call_to_actions": [
        {"question": "Яаж илгээх вэ?", "payload": "COMPLAIN"}]}],
}


@pytest.fixture
async def m(w: World) -> AsyncIterator[Meta]:
    graph = FakeGraph()
    await graph.start()
    side = MessengerSide(graph, "Test page")
    oyun = side.thread("oyun", "Оюун (Messenger)", "Оюун", phone="+97699001122")
    events: list[JSON] = []

    async def verify(request: web.Request) -> web.Response:
        return web.Response(text=request.query["hub.challenge"])

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        expected = sign(body, graph.app_secret)["X-Hub-Signature-256"]
        assert request.headers["X-Hub-Signature-256"] == expected
        events.append(json.loads(body))
        return web.Response()

    hook = web.Application()
    hook.router.add_get("/hook", verify)
    hook.router.add_post("/hook", receive)
    hook_server = TestServer(hook, host="127.0.0.1")
    await hook_server.start_server()
    await graph.subscribe_webhook(str(hook_server.make_url("/hook")), "v")
    personas: list[Persona | MessengerPersona] = [
        Persona("ann", "Анн (иргэн)", "citizen", w.ann.chat, w.ann),
        MessengerPersona("oyun", "Оюун (Messenger)", oyun),
    ]
    client = TestClient(TestServer(build_web(w.fake, personas, bot_name="Test bot",
                                             messenger=side), host="127.0.0.1"))
    await client.start_server()
    async with w.http.post(f"{graph.graph_url}/me/messenger_profile",
                           params={"access_token": graph.page_token}, json=PROFILE) as response:
        assert response.status == 200
    yield Meta(graph, side, oyun, client, w.http, events)
    await client.close()
    await hook_server.close()
    side.close()
    await graph.stop()


async def test_a_messenger_persona_is_listed_and_greets_with_the_welcome_screen(m: Meta) -> None:
    body = await m.get("/api/personas")
    assert body["page"] == {"name": "Test page"}
    shown = {p["key"]: p for p in body["personas"]}
    assert [p["channel"] for p in body["personas"]] == ["telegram", "messenger"]
    oyun = shown["oyun"]
    assert oyun["chat_type"] == "messenger" and oyun["can_write"] is True
    assert oyun["as"] == "Оюун" and oyun["last"] is None
    chat = await m.get("/api/chats/oyun/messages")
    assert chat["messages"] == []
    assert chat["welcome"] == {"greeting": "110 хайрцаг", "get_started": True,
                               "ice_breakers": ["Яаж илгээх вэ?"]}
    assert chat["menu"] == [{"type": "postback", "title": "📮 Гомдол илгээх", "url": None},
                            {"type": "web_url", "title": "🌐 Сайт",
                             "url": "https://example.org/"}]
    assert chat["phone"] == "+97699001122"
    started = await m.post("/api/chats/oyun/get-started", {})
    assert started["message"]["own"] and started["message"]["via"] == "get_started"
    assert m.last_event()["postback"]["payload"] == "GET_STARTED"
    await m.post("/api/chats/oyun/ice-breaker", {"index": 0})
    assert m.last_event()["postback"] == {"mid": m.last_event()["postback"]["mid"],
                                          "title": "Яаж илгээх вэ?", "payload": "COMPLAIN"}
    await m.post("/api/chats/oyun/menu", {"index": 0})
    assert m.last_event()["postback"]["payload"] == "COMPLAIN"
    await m.post("/api/chats/oyun/menu", {"index": 1}, status=409)  # a link, opened by the page


async def test_messenger_shows_both_sides_and_quick_replies_go_once_used(m: Meta) -> None:
    await m.post("/api/chats/oyun/send", {"text": "Сайн байна уу"})
    assert m.last_event()["message"]["text"] == "Сайн байна уу"
    await m.send({"text": "Юу илгээх вэ?", "quick_replies": QUICK})
    views = (await m.get("/api/chats/oyun/messages"))["messages"]
    assert [(v["own"], v["text"]) for v in views] == [(True, "Сайн байна уу"),
                                                      (False, "Юу илгээх вэ?")]
    offered = views[-1]
    assert offered["sender"] == "Test page" and offered["by_page"] is True
    assert offered["quick_replies"] == [{"content_type": "text", "title": "😠 Гомдол"},
                                        {"content_type": "text", "title": "💡 Санал"}]
    assert "K:complaint" not in json.dumps(views)  # payloads stay on the server
    tapped = await m.post("/api/chats/oyun/quick-reply",
                          {"message_id": offered["id"], "index": 1})
    assert tapped["message"]["text"] == "💡 Санал" and tapped["message"]["via"] == "quick_reply"
    assert m.last_event()["message"]["quick_reply"] == {"payload": "K:suggestion"}
    assert m.last_event()["message"]["text"] == "💡 Санал"
    # Messenger takes quick replies away once anything is sent: a second tap is refused.
    again = await m.post("/api/chats/oyun/quick-reply",
                         {"message_id": offered["id"], "index": 0}, status=409)
    assert "gone" in again["error"]
    await m.send({"text": "Дахин", "quick_replies": QUICK})
    newest = (await m.get("/api/chats/oyun/messages"))["messages"][-1]["id"]
    await m.post("/api/chats/oyun/quick-reply", {"message_id": newest, "index": 9}, status=409)
    await m.post("/api/chats/oyun/quick-reply", {"message_id": "1", "index": 0}, status=400)
    listed = {p["key"]: p for p in (await m.get("/api/personas"))["personas"]}
    assert listed["oyun"]["last"]["text"] == "Дахин"


async def test_the_phone_quick_reply_sends_the_persona_s_number(m: Meta) -> None:
    await m.hello()
    phone = [{"content_type": "user_phone_number"},
             {"content_type": "text", "title": "❌ Цуцлах", "payload": "CANCEL"}]
    await m.send({"text": "Утасны дугаараа", "quick_replies": phone})
    offered = (await m.get("/api/chats/oyun/messages"))["messages"][-1]
    assert offered["quick_replies"][0] == {"content_type": "user_phone_number"}
    tapped = await m.post("/api/chats/oyun/quick-reply",
                          {"message_id": offered["id"], "index": 0})
    assert tapped["message"]["text"] == "+97699001122" and tapped["message"]["via"] == "phone"
    message = m.last_event()["message"]
    assert message["text"] == "+97699001122"
    assert message["quick_reply"] == {"payload": "+97699001122"}


async def test_a_template_s_postback_buttons_stay_tappable_and_links_are_not_pressed(
    m: Meta,
) -> None:
    await m.hello()
    template = {"attachment": {"type": "template", "payload": {
        "template_type": "button", "text": "Илгээх үү?", "buttons": [
            {"type": "postback", "title": "✅ Илгээх", "payload": "SEND"},
            {"type": "web_url", "title": "Дэлгэрэнгүй", "url": "https://example.org/a"}]}}}
    await m.send(template)
    await m.send({"text": "Дараагийн мессеж"})
    views = (await m.get("/api/chats/oyun/messages"))["messages"][1:]
    card = views[0]
    assert card["text"] == "Илгээх үү?"
    assert card["buttons"] == [{"type": "postback", "title": "✅ Илгээх"},
                               {"type": "web_url", "title": "Дэлгэрэнгүй",
                                "url": "https://example.org/a"}]
    pressed = await m.post("/api/chats/oyun/postback", {"message_id": card["id"], "index": 0})
    assert pressed["message"]["via"] == "postback" and pressed["message"]["text"] == "✅ Илгээх"
    assert m.last_event()["postback"]["payload"] == "SEND"
    await m.post("/api/chats/oyun/postback", {"message_id": card["id"], "index": 1},
                 status=409)
    await m.post("/api/chats/oyun/postback", {"message_id": views[1]["id"], "index": 0},
                 status=409)


async def test_files_go_in_one_message_and_are_served_from_this_origin(m: Meta) -> None:
    form = aiohttp.FormData(quote_fields=False)  # UTF-8 names, as browsers send them
    form.add_field("file", PNG, filename="зураг.png", content_type="image/png")
    form.add_field("file", b"%PDF-1.4 x", filename="бичиг.pdf", content_type="application/pdf")
    response = await m.client.post("/api/chats/oyun/upload", data=form, headers=POST_HEADERS)
    assert response.status == 200, await response.text()
    sent = (await response.json())["message"]
    assert [(a["type"], a["name"], a["size"]) for a in sent["attachments"]] == [
        ("image", "зураг.png", len(PNG)), ("file", "бичиг.pdf", 10)]
    attachments = m.last_event()["message"]["attachments"]
    assert [a["type"] for a in attachments] == ["image", "file"]
    assert all(a["payload"]["url"].startswith(m.graph.url) for a in attachments)
    image = await m.client.get(sent["attachments"][0]["url"])
    assert await image.read() == PNG and image.content_type == "image/png"
    assert image.headers["Content-Disposition"].startswith("inline;")
    assert "sandbox" in image.headers["Content-Security-Policy"]
    pdf = await m.client.get(sent["attachments"][1]["url"] + "?download=1")
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert (await m.client.get("/mfiles/nothing")).status == 404
    empty = aiohttp.FormData()
    empty.add_field("caption", "no file")
    response = await m.client.post("/api/chats/oyun/upload", data=empty, headers=POST_HEADERS)
    assert response.status == 400


async def test_a_file_the_page_uploaded_is_shown(m: Meta) -> None:
    await m.hello()
    await m.send({"attachment": {"type": "image", "payload": {"is_reusable": False}}}, files=PNG)
    view = (await m.get("/api/chats/oyun/messages"))["messages"][-1]
    assert view["via"] == "attachment" and not view["own"]
    [shown] = view["attachments"]
    assert shown["type"] == "image" and shown["name"] == "poster.png"
    assert await (await m.client.get(shown["url"])).read() == PNG


async def test_reading_sends_a_delivery_and_a_read_once(m: Meta) -> None:
    await m.hello()
    await m.send({"text": "Мэдээ"})
    assert (await m.post("/api/chats/oyun/read", {}))["read"] is True
    fields = [next(k for k in e["entry"][0]["messaging"][0] if k in ("delivery", "read"))
              for e in m.events[-2:]]
    assert fields == ["delivery", "read"]
    assert (await m.post("/api/chats/oyun/read", {}))["read"] is False  # nothing new


async def test_each_channel_refuses_the_other_s_actions(m: Meta) -> None:
    await m.post("/api/chats/oyun/press", {"message_id": 1, "data": "x"}, status=409)
    await m.post("/api/chats/oyun/contact", {}, status=409)
    await m.post("/api/chats/ann/quick-reply", {"message_id": 1, "index": 0}, status=409)
    await m.post("/api/chats/ann/get-started", {}, status=409)
    await m.post("/api/chats/nobody/menu", {"index": 0}, status=404)
    response = await m.client.post("/api/chats/oyun/send", json={"text": "hi"})
    assert response.status == 403  # the client header, as for Telegram
    assert m.oyun.items == []


async def test_the_event_stream_follows_messenger_and_logs_graph_calls_and_webhooks(
    m: Meta,
) -> None:
    async with m.client.get("/api/events") as stream:
        await next_event(stream, "hello")
        await m.post("/api/chats/oyun/send", {"text": "Сайн уу"})
        own = await next_event(stream, "message")
        assert own["chat"] == "oyun" and own["channel"] == "messenger"
        assert own["message"]["own"] is True and own["message"]["text"] == "Сайн уу"
        hook = (await next_event(stream, "call"))["call"]
        assert hook["api"] == "webhook" and hook["method"] == "messages"
        assert hook["chat"] == "Оюун (Messenger)" and "Сайн уу" in hook["summary"]
        await m.send({"text": "Юу илгээх вэ?", "quick_replies": QUICK})
        new = await next_event(stream, "message")
        assert new["message"]["by_page"] is True and len(new["message"]["quick_replies"]) == 2
        call = (await next_event(stream, "call"))["call"]
    assert call["api"] == "graph" and call["method"] == "POST /messages" and call["ok"]
    assert call["chat"] == "Оюун (Messenger)"
    assert "quick_replies=[😠 Гомдол, 💡 Санал]" in call["summary"]
    assert call["result"].startswith("message m_")
    assert m.graph.page_token not in json.dumps(call)
    calls = (await m.get("/api/calls"))["calls"]
    assert [c["api"] for c in calls] == ["graph", "webhook", "graph"]  # the profile first
    assert [c["at"] for c in calls] == sorted(c["at"] for c in calls)
