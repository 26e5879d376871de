"""The sandbox's web page: a small chat client over the fake Bot API and Graph API, on loopback.

The page (``static/``: plain HTML, CSS and JavaScript, no build step) lists the personas'
chats and shows the selected one: a Telegram chat (`Persona`, over the fake Bot API) or a
Messenger conversation with the office's Page (`MessengerPersona`, over the fake Graph API
through `bot.sandbox.messenger`). It talks to this JSON API:

==========================================  ==================================================
``GET  /api/personas``                      the bot's name and the chats in the list
``GET  /api/chats/{key}/messages``          the chat's messages (the bot's and the people's,
                                            edits applied, deletions gone), its reply
                                            keyboard and the command menu
``POST /api/chats/{key}/send``              ``{"text": ...}``; a leading ``/`` is a command
``POST /api/chats/{key}/press``             ``{"message_id": ..., "data": ...}``: a button
``POST /api/chats/{key}/upload``            multipart ``file`` (+ ``caption``, ``as`` =
                                            photo/video/document, ``width``/``height``)
``POST /api/chats/{key}/contact``           ``{"phone": ...}``: the request_contact button
``GET  /api/calls``                         the Bot API and Graph API calls and the webhook
                                            events so far (the newest 200)
``GET  /api/events``                        server-sent events: messages new, edited and
                                            deleted, callback answers, API calls
``GET  /files/{file_id}``                   a file's bytes (``?download=1`` to save it)
==========================================  ==================================================

A Messenger chat answers ``messages`` (with the persistent menu and the welcome screen),
``send`` and ``upload`` (one or more ``file`` parts: one message) too, and has its own:

==========================================  ==================================================
``POST /api/chats/{key}/quick-reply``       ``{"message_id", "index"}``: a quick reply under
                                            the newest message (the phone-number one too)
``POST /api/chats/{key}/postback``          ``{"message_id", "index"}``: a template's button
``POST /api/chats/{key}/menu``              ``{"index"}``: a persistent-menu item
``POST /api/chats/{key}/get-started``       the welcome screen's Get Started
``POST /api/chats/{key}/ice-breaker``       ``{"index"}``: a welcome-screen question
``POST /api/chats/{key}/read``              the person's Messenger got and showed the news
``GET  /mfiles/{key}``                      a Messenger attachment's bytes
==========================================  ==================================================

Nothing here talks to Telegram or Facebook: the only Bot API and Graph API are the fakes in
this process. Every response
carries a strict Content-Security-Policy (scripts and styles from this origin only); the page
builds the DOM with ``textContent``, never from HTML strings. Requests naming another host are
refused (DNS rebinding), and state-changing requests need the ``X-Sandbox`` header, which a
foreign web page cannot send without a CORS preflight that this server never grants.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from bot.fakegram import (
    BotApiError,
    Call,
    CallbackAnswerEvent,
    CallEvent,
    Event,
    FakeChat,
    FakeTelegram,
    FakeUser,
    MessageEvent,
)
from bot.fakegram.state import StoredMessage
from bot.fakegraph import CdnFile
from bot.sandbox.messenger import (
    FILES_PER_MESSAGE,
    EventFeed,
    GraphCallEvent,
    MessengerEvent,
    MessengerSide,
    Thread,
    ThreadError,
    ThreadEvent,
    WebhookEvent,
)

JSON = dict[str, Any]

STATIC_DIR = Path(__file__).parent / "static"
_STATIC_TYPES = {
    "app.js": "text/javascript",
    "style.css": "text/css",
    "icon.svg": "image/svg+xml",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
_SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
CLIENT_HEADER = "X-Sandbox"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the most a bot may download
MAX_TEXT = 4096
CALLS_SHOWN = 200
HEARTBEAT_SECONDS = 15.0
DEMO_PHONE = "+97699112233"
# Shown inline; anything else (HTML, SVG, ...) is only ever served as a download.
_INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/webm",
        "audio/mpeg",
        "audio/ogg",
        "audio/mp4",
        "application/pdf",
    }
)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
)
_DEFAULT_NAMES = {
    "Photo": ("photo", ".jpg"),
    "Video": ("video", ".mp4"),
    "VoiceNote": ("voice", ".oga"),
    "Audio": ("audio", ".mp3"),
    "Animation": ("animation", ".mp4"),
    "Sticker": ("sticker", ".webp"),
    "Document": ("file", ""),
}


@dataclass(frozen=True)
class Persona:
    """One entry of the chat list: whose chat it is and who types in it."""

    key: str  # url-safe id, e.g. "saraa", "admin", "staff-group", "news"
    title: str  # shown in the chat list, e.g. "Сараа (иргэн)"
    role: str  # "citizen" | "staff" | "group" | "channel"
    chat: FakeChat  # the chat shown on the right
    user: FakeUser | None  # who types in that chat (None for a channel: read-only)


@dataclass(frozen=True)
class MessengerPersona:
    """A chat-list entry for someone writing to the office's Page in Messenger."""

    key: str
    title: str  # e.g. "Оюун (Messenger)"
    thread: Thread
    role: str = "citizen"


AnyPersona = Persona | MessengerPersona


class ApiError(Exception):
    """A request the sandbox refuses, answered as ``{"error": ...}`` with a status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def build_web(fake: FakeTelegram, personas: Sequence[AnyPersona], *, bot_name: str,
              messenger: MessengerSide | None = None) -> web.Application:
    """The sandbox's web application (serve it on loopback only).

    Messenger personas need the `MessengerSide` their threads belong to.
    """
    keys = [persona.key for persona in personas]
    if len(set(keys)) != len(keys):
        raise ValueError(f"persona keys must be unique: {keys}")
    for persona in personas:
        if isinstance(persona, MessengerPersona) and persona.thread.side is not messenger:
            raise ValueError(f"{persona.key}: a Messenger persona needs its MessengerSide")
    sandbox = _SandboxWeb(fake, personas, bot_name, messenger)
    app = web.Application(
        client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024,
        middlewares=[_guard],
    )
    app[SANDBOX] = sandbox
    app.on_shutdown.append(sandbox.close_streams)
    router = app.router
    router.add_get("/", sandbox.index)
    router.add_get("/static/{name}", sandbox.static)
    router.add_get("/api/personas", sandbox.list_personas)
    router.add_get("/api/calls", sandbox.list_calls)
    router.add_get("/api/events", sandbox.events)
    router.add_get("/api/chats/{key}/messages", sandbox.messages)
    router.add_post("/api/chats/{key}/send", sandbox.send)
    router.add_post("/api/chats/{key}/press", sandbox.press)
    router.add_post("/api/chats/{key}/upload", sandbox.upload)
    router.add_post("/api/chats/{key}/contact", sandbox.contact)
    router.add_post("/api/chats/{key}/quick-reply", sandbox.quick_reply)
    router.add_post("/api/chats/{key}/postback", sandbox.postback)
    router.add_post("/api/chats/{key}/menu", sandbox.menu)
    router.add_post("/api/chats/{key}/get-started", sandbox.get_started)
    router.add_post("/api/chats/{key}/ice-breaker", sandbox.ice_breaker)
    router.add_post("/api/chats/{key}/read", sandbox.read)
    router.add_get("/files/{file_id}", sandbox.file)
    router.add_get("/mfiles/{key}", sandbox.messenger_file)
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Loopback host names only, the client header on changes, security headers everywhere."""
    try:
        _check_request(request)
        response = await handler(request)
    except ApiError as error:
        response = web.json_response({"error": error.message}, status=error.status)
    except web.HTTPException as exc:
        response = web.json_response({"error": exc.reason}, status=exc.status)
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _check_request(request: web.Request) -> None:
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    if host.lower() not in _LOOPBACK_HOSTS:
        raise ApiError(421, "the sandbox answers on 127.0.0.1 / localhost only")
    if request.method not in ("GET", "HEAD"):
        if request.headers.get(CLIENT_HEADER) != "1":
            raise ApiError(403, f"missing the {CLIENT_HEADER} header")
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            raise ApiError(403, "cross-origin request refused")


class _SandboxWeb:
    """The handlers, over one fake and its personas."""

    def __init__(self, fake: FakeTelegram, personas: Sequence[AnyPersona], bot_name: str,
                 messenger: MessengerSide | None) -> None:
        self.fake = fake
        self.messenger = messenger
        self.order = [persona.key for persona in personas]
        self.personas = {p.key: p for p in personas if isinstance(p, Persona)}
        self.mpersonas = {p.key: p for p in personas if isinstance(p, MessengerPersona)}
        self.bot_name = bot_name
        self._by_chat: dict[int, list[Persona]] = {}
        for persona in self.personas.values():
            self._by_chat.setdefault(persona.chat.id, []).append(persona)
        self._titles = {persona.chat.id: persona.title for persona in self.personas.values()}
        self._by_thread = {id(p.thread): p for p in self.mpersonas.values()}
        self._index = (STATIC_DIR / "index.html").read_bytes()
        self._static = {name: (STATIC_DIR / name).read_bytes() for name in _STATIC_TYPES}
        self._closing = asyncio.Event()

    # --- the page ---------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        """The single page."""
        return web.Response(
            body=self._index,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    async def static(self, request: web.Request) -> web.Response:
        """One of a fixed set of files: no path from the request ever reaches the disk."""
        name = request.match_info["name"]
        body = self._static.get(name)
        if body is None:
            raise ApiError(404, "no such file")
        content_type = _STATIC_TYPES[name]
        return web.Response(
            body=body,
            content_type=content_type,
            charset=None if content_type.startswith("image/") else "utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    # --- reading ----------------------------------------------------------------------------

    async def list_personas(self, request: web.Request) -> web.Response:
        """The chat list, with the last message of each chat."""
        shown = []
        for key in self.order:
            if key in self.mpersonas:
                shown.append(self._messenger_entry(self.mpersonas[key]))
                continue
            persona = self.personas[key]
            history = persona.chat.history.all_messages()
            last = self._stored_view(persona, history[-1]) if history else None
            shown.append(
                {
                    "key": persona.key,
                    "title": persona.title,
                    "role": persona.role,
                    "channel": "telegram",
                    "chat_id": persona.chat.id,
                    "chat_type": persona.chat.type,
                    "can_write": persona.user is not None,
                    "as": _full_name(persona.user) if persona.user is not None else None,
                    "last": last,
                }
            )
        bot = self.fake.bot
        return _json(
            {
                "bot": {"name": self.bot_name, "username": bot.get("username"), "id": bot["id"]},
                "page": None if self.messenger is None else {"name": self.messenger.page_name},
                "personas": shown,
                "demo_phone": DEMO_PHONE,
            }
        )

    def _messenger_entry(self, persona: MessengerPersona) -> JSON:
        thread = persona.thread
        return {
            "key": persona.key,
            "title": persona.title,
            "role": persona.role,
            "channel": "messenger",
            "chat_id": None,
            "chat_type": "messenger",
            "can_write": True,
            "as": thread.name,
            "last": thread.view(thread.items[-1]) if thread.items else None,
        }

    async def messages(self, request: web.Request) -> web.Response:
        """One chat as its persona sees it."""
        if (mpersona := self.mpersonas.get(request.match_info["key"])) is not None:
            thread = mpersona.thread
            return _json(
                {
                    "messages": thread.views(),
                    "menu": [_menu_item(item) for item in thread.menu()],
                    "welcome": {
                        "greeting": thread.greeting(),
                        "get_started": thread.has_get_started(),
                        "ice_breakers": [str(q.get("question")) for q in thread.ice_breakers()],
                    },
                    "phone": thread.phone,
                }
            )
        persona = self._persona(request)
        views = [self._stored_view(persona, s) for s in persona.chat.history.all_messages()]
        return _json(
            {
                "messages": views,
                "reply_keyboard": persona.chat.reply_keyboard(),
                "commands": self._commands(persona),
            }
        )

    async def list_calls(self, request: web.Request) -> web.Response:
        """The Bot API calls worth showing, the Graph API's and the webhooks', oldest first."""
        shown = [view for call in self.fake.calls if (view := self._call_view(call)) is not None]
        if self.messenger is not None:
            shown += [self._messenger_call_view(event) for event in self.messenger.log]
            shown.sort(key=lambda view: float(view["at"]))
        return _json({"calls": shown[-CALLS_SHOWN:]})

    async def file(self, request: web.Request) -> web.Response:
        """The bytes of a file the bot sent or a person uploaded."""
        stored = self.fake.files.record(request.match_info["file_id"])
        if stored is None:
            raise ApiError(404, "no such file")
        content_type = _content_type(stored.data, str(stored.meta.get("mime_type", "")))
        base, extension = _DEFAULT_NAMES.get(stored.file_type, ("file", ""))
        name = str(stored.meta.get("file_name") or f"{base}{extension}")
        return _file_response(request, stored.data, content_type, name)

    # --- acting ---------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        """The persona types a message (or a command) in the chat."""
        mpersona = self.mpersonas.get(request.match_info["key"])
        body = await _body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "text is required")
        if len(text) > MAX_TEXT:
            raise ApiError(400, f"a message holds at most {MAX_TEXT} characters")
        if mpersona is not None:
            thread = mpersona.thread
            return _json({"message": thread.view(await thread.send_text(text))})
        persona, user = self._writer(request)
        reply_to = body.get("reply_to")
        with _as_api_errors():
            message = await user.send(
                text,
                chat=persona.chat,
                reply_to=reply_to if isinstance(reply_to, int) else None,
            )
        return _json({"message": self._view(persona, message, by_bot=False)})

    async def press(self, request: web.Request) -> web.Response:
        """The persona presses an inline button under one of the bot's messages."""
        persona, user = self._writer(request)
        body = await _body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str) or not data:
            raise ApiError(400, "message_id (a number) and data (a string) are required")
        with _as_api_errors():
            query_id = await user.press_data(data, message_id=message_id, chat=persona.chat)
        return _json({"query_id": query_id})

    async def upload(self, request: web.Request) -> web.Response:
        """The persona sends a photo, a video or a file, with an optional caption.

        In Messenger: every ``file`` part, in one message (Messenger has no captions).
        """
        if (mpersona := self.mpersonas.get(request.match_info["key"])) is not None:
            return await self._messenger_upload(request, mpersona.thread)
        persona, user = self._writer(request)
        fields = await _multipart(request)
        upload = fields.get("file")
        if not isinstance(upload, _Upload):
            raise ApiError(400, "a file is required")
        caption = _text_field(fields, "caption") or None
        if caption is not None and len(caption) > 1024:
            raise ApiError(400, "a caption holds at most 1024 characters")
        wanted = _text_field(fields, "as") or _guess_kind(upload.content_type)
        chat = persona.chat
        with _as_api_errors():
            if wanted == "photo":
                message = await user.send_photo(
                    upload.data,
                    caption,
                    width=_int_field(fields, "width", 1280),
                    height=_int_field(fields, "height", 960),
                    chat=chat,
                )
            elif wanted == "video":
                message = await user.send_video(
                    upload.data,
                    caption=caption,
                    width=_int_field(fields, "width", 640),
                    height=_int_field(fields, "height", 360),
                    file_name=upload.filename,
                    mime_type=upload.content_type,
                    chat=chat,
                )
            elif wanted == "document":
                message = await user.send_document(
                    upload.data, upload.filename, upload.content_type, caption, chat=chat
                )
            else:
                raise ApiError(400, "as must be photo, video or document")
        return _json({"message": self._view(persona, message, by_bot=False)})

    async def contact(self, request: web.Request) -> web.Response:
        """The persona shares their phone number (a ``request_contact`` button)."""
        persona, user = self._writer(request)
        body = await _body(request)
        phone = body.get("phone") or DEMO_PHONE
        if not isinstance(phone, str) or not _plausible_phone(phone):
            raise ApiError(400, "a phone number has 5 to 15 digits, optionally after +")
        with _as_api_errors():
            message = await user.send_contact(
                phone.replace(" ", ""), user.first_name, user.last_name, chat=persona.chat
            )
        return _json({"message": self._view(persona, message, by_bot=False)})

    # --- acting in Messenger ----------------------------------------------------------------

    async def _messenger_upload(self, request: web.Request, thread: Thread) -> web.Response:
        files = [(u.filename, u.content_type, u.data)
                 for u in await _multipart_files(request, "file")]
        if not files:
            raise ApiError(400, "a file is required")
        with _as_thread_errors():
            item = await thread.send_files(files)
        return _json({"message": thread.view(item)})

    async def quick_reply(self, request: web.Request) -> web.Response:
        """The Messenger persona taps a quick reply under the newest message."""
        thread = self._thread(request)
        body = await _body(request)
        message_id, index = body.get("message_id"), body.get("index")
        if not isinstance(message_id, int) or not isinstance(index, int):
            raise ApiError(400, "message_id and index (numbers) are required")
        with _as_thread_errors():
            item = await thread.tap_quick_reply(message_id, index)
        return _json({"message": thread.view(item)})

    async def postback(self, request: web.Request) -> web.Response:
        """The Messenger persona taps a postback button of a button template."""
        thread = self._thread(request)
        body = await _body(request)
        message_id, index = body.get("message_id"), body.get("index")
        if not isinstance(message_id, int) or not isinstance(index, int):
            raise ApiError(400, "message_id and index (numbers) are required")
        with _as_thread_errors():
            item = await thread.tap_button(message_id, index)
        return _json({"message": thread.view(item)})

    async def menu(self, request: web.Request) -> web.Response:
        """The Messenger persona taps an item of the persistent menu."""
        thread = self._thread(request)
        index = (await _body(request)).get("index")
        if not isinstance(index, int):
            raise ApiError(400, "index (a number) is required")
        with _as_thread_errors():
            item = await thread.tap_menu(index)
        return _json({"message": thread.view(item)})

    async def get_started(self, request: web.Request) -> web.Response:
        """The Messenger persona taps Get Started."""
        thread = self._thread(request)
        with _as_thread_errors():
            item = await thread.get_started()
        return _json({"message": thread.view(item)})

    async def ice_breaker(self, request: web.Request) -> web.Response:
        """The Messenger persona taps a question of the welcome screen."""
        thread = self._thread(request)
        index = (await _body(request)).get("index")
        if not isinstance(index, int):
            raise ApiError(400, "index (a number) is required")
        with _as_thread_errors():
            item = await thread.tap_ice_breaker(index)
        return _json({"message": thread.view(item)})

    async def read(self, request: web.Request) -> web.Response:
        """The Messenger persona's app got and showed the Page's messages."""
        thread = self._thread(request)
        return _json({"read": await thread.read()})

    async def messenger_file(self, request: web.Request) -> web.Response:
        """The bytes of a Messenger attachment: a person's, or one the Page uploaded."""
        if self.messenger is None:
            raise ApiError(404, "no such file")
        graph = self.messenger.graph
        stored = graph.file(f"{graph.url}/cdn/{request.match_info['key']}")
        if stored is None or stored.data is None:
            raise ApiError(404, "no such file")
        return _file_response(request, stored.data, _cdn_type(stored),
                              stored.name or "file")

    # --- events ---------------------------------------------------------------------------

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events until the page goes away or the server stops."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
                **_SECURITY_HEADERS,
            }
        )
        await response.prepare(request)
        queue = self.fake.subscribe()
        feed: EventFeed | None = None if self.messenger is None else self.messenger.subscribe()
        closing = asyncio.ensure_future(self._closing.wait())
        getter: asyncio.Future[Event] | None = None
        mgetter: asyncio.Future[MessengerEvent] | None = None
        dropped = mdropped = 0
        try:
            await response.write(b"retry: 1000\n\n" + _sse({"type": "hello"}))
            while not self._closing.is_set():
                if getter is None:
                    getter = asyncio.ensure_future(queue.get())
                if feed is not None and mgetter is None:
                    mgetter = asyncio.ensure_future(feed.get())
                done, _ = await asyncio.wait(
                    [f for f in (getter, mgetter, closing) if f is not None],
                    timeout=HEARTBEAT_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if getter not in done and mgetter not in done:
                    if not self._closing.is_set():
                        await response.write(b": keep-alive\n\n")
                    continue
                payloads: list[JSON] = []
                fell_behind = False  # the page reloads its state
                if getter in done:
                    payloads += self._payloads(getter.result())
                    getter = None
                    fell_behind, dropped = queue.dropped != dropped, queue.dropped
                if mgetter is not None and mgetter in done and feed is not None:
                    payloads += self._messenger_payloads(mgetter.result())
                    mgetter = None
                    fell_behind = fell_behind or feed.dropped != mdropped
                    mdropped = feed.dropped
                if fell_behind:
                    payloads.insert(0, {"type": "resync"})
                chunk = b"".join(_sse(payload) for payload in payloads)
                if chunk:
                    await response.write(chunk)
        except ConnectionError:
            pass  # the page was closed
        finally:
            self.fake.unsubscribe(queue)
            if feed is not None and self.messenger is not None:
                self.messenger.unsubscribe(feed)
            for future in (getter, mgetter, closing):
                if future is not None:
                    future.cancel()
        return response

    async def close_streams(self, app: web.Application) -> None:
        """On shutdown: end the event streams so the server stops at once."""
        self._closing.set()

    def _payloads(self, event: Event) -> Iterator[JSON]:
        if isinstance(event, MessageEvent):
            for persona in self._by_chat.get(event.chat_id, ()):
                payload: JSON = {
                    "type": "message",
                    "chat": persona.key,
                    "change": event.change,
                    "id": event.message_id,
                    "reply_keyboard": persona.chat.reply_keyboard(),
                }
                if event.change != "deleted":
                    stored = persona.chat.history.get(event.message_id)
                    edited = stored is not None and stored.content_edited
                    payload["message"] = self._view(
                        persona, event.message, by_bot=event.by_bot, edited=edited
                    )
                yield payload
        elif isinstance(event, CallbackAnswerEvent):
            for persona in self._by_chat.get(event.chat_id or 0, ()):
                if persona.user is not None and persona.user.id == event.user_id:
                    yield {
                        "type": "answer",
                        "chat": persona.key,
                        "query_id": event.query_id,
                        "message_id": event.message_id,
                        "text": event.text,
                        "show_alert": event.show_alert,
                        "url": event.url,
                    }
        elif isinstance(event, CallEvent):
            view = self._call_view(event.call)
            if view is not None:
                yield {"type": "call", "call": view}

    def _messenger_payloads(self, event: MessengerEvent) -> Iterator[JSON]:
        if isinstance(event, ThreadEvent):
            persona = self._by_thread.get(id(event.thread))
            if persona is not None:
                yield {
                    "type": "message",
                    "chat": persona.key,
                    "channel": "messenger",
                    "change": "new",
                    "id": event.item.id,
                    "message": event.thread.view(event.item),
                }
        else:
            yield {"type": "call", "call": self._messenger_call_view(event)}

    def _messenger_call_view(self, event: GraphCallEvent | WebhookEvent) -> JSON:
        """A line of the "what just happened" panel for Messenger."""
        if isinstance(event, WebhookEvent):
            persona = self._by_thread.get(id(event.thread))
            return {
                "api": "webhook",
                "method": event.field,
                "ok": True,
                "summary": _clip(event.detail, 300),
                "chat": persona.title if persona is not None else None,
                "error": None,
                "result": None,
                "at": round(event.at, 3),
            }
        call = event.call
        params = call.params
        recipient = params.get("recipient")
        psid = str(recipient.get("id")) if isinstance(recipient, dict) else None
        thread = self.messenger.by_psid(psid) if self.messenger and psid else None
        persona = None if thread is None else self._by_thread.get(id(thread))
        error = call.error
        return {
            "api": "graph",
            "method": f"{call.method} /{call.edge}",
            "ok": call.ok,
            "summary": _clip(_graph_summary(call.edge, params), 300),
            "chat": persona.title if persona is not None else (psid and "PSID …" + psid[-4:]),
            "error": None if error is None else
            f"{error.code}{f'/{error.subcode}' if error.subcode else ''} {error.message}",
            "result": _graph_result(call.result) if call.ok else None,
            "at": round(event.at, 3),
        }

    # --- helpers --------------------------------------------------------------------------

    def _persona(self, request: web.Request) -> Persona:
        key = request.match_info["key"]
        persona = self.personas.get(key)
        if persona is None:
            if key in self.mpersonas:
                raise ApiError(409, "a Messenger chat has quick replies, postbacks and the menu")
            raise ApiError(404, "no such chat")
        return persona

    def _thread(self, request: web.Request) -> Thread:
        key = request.match_info["key"]
        mpersona = self.mpersonas.get(key)
        if mpersona is None:
            raise ApiError(409 if key in self.personas else 404, "not a Messenger chat")
        return mpersona.thread

    def _writer(self, request: web.Request) -> tuple[Persona, FakeUser]:
        persona = self._persona(request)
        if persona.user is None:
            raise ApiError(403, "this chat is read-only (a channel)")
        return persona, persona.user

    def _stored_view(self, persona: Persona, stored: StoredMessage) -> JSON:
        return self._view(persona, stored.data, by_bot=stored.by_bot, edited=stored.content_edited)

    def _view(self, persona: Persona, message: JSON, *, by_bot: bool, edited: bool = False) -> JSON:
        """A message as the page shows it: the Bot API object, its sender, whether it is own."""
        author = message.get("from")
        own = (
            not by_bot
            and persona.user is not None
            and isinstance(author, dict)
            and author.get("id") == persona.user.id
        )
        if by_bot:
            sender = self.bot_name
        elif isinstance(author, dict):
            sender = " ".join(
                str(part) for part in (author.get("first_name"), author.get("last_name")) if part
            )
        else:
            sender = str(message.get("sender_chat", {}).get("title") or "")
        return {
            "id": message["message_id"],
            "own": own,
            "by_bot": by_bot,
            "edited": edited,  # the text or media changed (not just the buttons)
            "sender": sender,
            "message": message,
        }

    def _commands(self, persona: Persona) -> list[JSON]:
        """The command menu this chat shows, resolved like Telegram: narrowest scope first."""
        chat = persona.chat
        scopes: list[JSON | None] = [{"type": "chat", "chat_id": chat.id}]
        if chat.type == "private":
            scopes.append({"type": "all_private_chats"})
        elif chat.type in ("group", "supergroup"):
            scopes.append({"type": "all_group_chats"})
        scopes.append(None)
        language = (persona.user.language_code or "") if persona.user is not None else ""
        for scope in scopes:
            for code in dict.fromkeys((language, "")):
                found = self.fake.commands(scope, code)
                if found:
                    return found
        return []

    def _call_view(self, call: Call) -> JSON | None:
        """One line of the "what just happened" panel; ``None`` for empty polls."""
        if call.method.lower() == "getupdates":
            if not call.ok or not call.result:
                return None
            kinds = [next((k for k in update if k != "update_id"), "?") for update in call.result]
            summary = f"{len(kinds)} update(s): {', '.join(kinds)}"
            return self._call_json(call, summary, None)
        params = call.params
        chat_id = params.get("chat_id")
        shown = {
            key: value
            for key, value in params.items()
            if key not in ("chat_id", "parse_mode", "offset", "timeout")
        }
        summary = ", ".join(f"{key}={_short(value)}" for key, value in shown.items())
        return self._call_json(call, _clip(summary, 300), chat_id)

    def _call_json(self, call: Call, summary: str, chat_id: Any) -> JSON:
        error = call.error
        wall = time.time() - (time.monotonic() - call.at) if call.at else time.time()
        chat = self._titles.get(chat_id) if isinstance(chat_id, int) else None
        return {
            "method": call.method,
            "ok": call.ok,
            "summary": summary,
            "chat": chat if chat is not None else (None if chat_id is None else str(chat_id)),
            "error": _error_text(error) if error is not None else None,
            "result": _result_summary(call.result) if call.ok else None,
            "at": round(wall, 3),
        }


SANDBOX = web.AppKey("sandbox", _SandboxWeb)


# --- request and response helpers -----------------------------------------------------------


@dataclass(frozen=True)
class _Upload:
    filename: str
    content_type: str
    data: bytes


def _file_response(request: web.Request, data: bytes, content_type: str, name: str
                   ) -> web.Response:
    """A file: inline only for the media types a browser shows safely, else a download."""
    inline = content_type in _INLINE_TYPES and not request.query.get("download")
    disposition = "inline" if inline else "attachment"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    headers = {
        "Content-Disposition": (
            f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
        ),
        "Cache-Control": "private, max-age=3600",
        # Uploaded bytes are never a page of this origin, whatever they contain.
        "Content-Security-Policy": FILE_CSP,
    }
    return web.Response(body=data, content_type=content_type, headers=headers)


def _cdn_type(stored: CdnFile) -> str:
    return _content_type(stored.data or b"", stored.content_type)


def _json(body: JSON, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


def _sse(payload: JSON) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


async def _body(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


async def _multipart(request: web.Request) -> dict[str, str | _Upload]:
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, "send multipart/form-data")
    fields: dict[str, str | _Upload] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            data = await part.read(decode=False)
            if len(data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "files of up to 20 MB only")
            content_type = part.headers.get("Content-Type", "") or "application/octet-stream"
            name = Path(part.filename.replace("\\", "/")).name or "file"
            fields[part.name] = _Upload(name[:255], content_type, bytes(data))
        else:
            fields[part.name] = await part.text()
    return fields


async def _multipart_files(request: web.Request, name: str) -> list[_Upload]:
    """Every file part called ``name`` (at most FILES_PER_MESSAGE, 20 MB each)."""
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, "send multipart/form-data")
    found: list[_Upload] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name != name or part.filename is None:
            continue
        if len(found) == FILES_PER_MESSAGE:
            raise ApiError(400, f"at most {FILES_PER_MESSAGE} files in one message")
        data = await part.read(decode=False)
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "files of up to 20 MB only")
        content_type = part.headers.get("Content-Type", "") or "application/octet-stream"
        filename = Path(part.filename.replace("\\", "/")).name or "file"
        found.append(_Upload(filename[:255], content_type, bytes(data)))
    return found


def _text_field(fields: dict[str, str | _Upload], name: str) -> str:
    value = fields.get(name)
    return value if isinstance(value, str) else ""


def _int_field(fields: dict[str, str | _Upload], name: str, default: int) -> int:
    raw = _text_field(fields, name)
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 20_000 else default


def _guess_kind(content_type: str) -> str:
    if content_type in ("image/jpeg", "image/png", "image/webp"):
        return "photo"
    if content_type in ("video/mp4", "video/webm"):
        return "video"
    return "document"


def _plausible_phone(phone: str) -> bool:
    digits = phone.replace(" ", "").removeprefix("+")
    return digits.isdigit() and 5 <= len(digits) <= 15


@contextlib.contextmanager
def _as_thread_errors() -> Iterator[None]:
    """What a Messenger thread refuses (a quick reply no longer offered ...) becomes a 409."""
    try:
        yield
    except ThreadError as error:
        raise ApiError(409, str(error)) from None


def _menu_item(item: JSON) -> JSON:
    """A persistent-menu item as the page shows it (no payload)."""
    return {"type": item.get("type"), "title": item.get("title"), "url": item.get("url")}


@contextlib.contextmanager
def _as_api_errors() -> Iterator[None]:
    """What the fake refuses (not a member, a button that is not there ...) becomes a 4xx."""
    try:
        yield
    except LookupError as error:
        raise ApiError(404, str(error)) from None
    except (ValueError, RuntimeError) as error:
        raise ApiError(409, str(error)) from None


def _content_type(data: bytes, declared: str) -> str:
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if declared and declared in _INLINE_TYPES:
        return "application/octet-stream"  # claims a media type its bytes do not have
    return declared or "application/octet-stream"


def _full_name(user: FakeUser) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part)


def _short(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(_clip(value, 80), ensure_ascii=False)
    if isinstance(value, dict | list):
        return _clip(json.dumps(value, ensure_ascii=False), 80)
    return _clip(repr(value), 80)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _error_text(error: BotApiError) -> str:
    return f"{error.error_code} {error.description}"


def _graph_summary(edge: str, params: JSON) -> str:
    """What a Graph API call asked, in a line: the message, its quick replies and buttons."""
    if edge == "messages":
        parts = []
        if params.get("sender_action"):
            return f"sender_action={params['sender_action']}"
        if params.get("messaging_type"):
            parts.append(f"messaging_type={params['messaging_type']}")
        if params.get("tag"):
            parts.append(f"tag={params['tag']}")
        message = params.get("message")
        message = message if isinstance(message, dict) else {}
        attachment = message.get("attachment")
        if isinstance(message.get("text"), str):
            parts.append(f"text={_short(message['text'])}")
        if isinstance(attachment, dict):
            payload = attachment.get("payload")
            payload = payload if isinstance(payload, dict) else {}
            if attachment.get("type") == "template":
                parts.append(f"{payload.get('template_type')} template "
                             f"text={_short(str(payload.get('text', '')))}")
                titles = [str(b.get("title")) for b in payload.get("buttons", [])
                          if isinstance(b, dict)]
                parts.append(f"buttons=[{', '.join(titles)}]")
            else:
                parts.append(f"attachment={attachment.get('type')} (upload)")
        replies = message.get("quick_replies")
        if isinstance(replies, list) and replies:
            titles = [str(q.get("title") or q.get("content_type")) for q in replies
                      if isinstance(q, dict)]
            parts.append(f"quick_replies=[{', '.join(titles)}]")
        return ", ".join(parts)
    if edge == "messenger_profile":
        return ", ".join(k for k in params if k != "platform")
    return ", ".join(f"{key}={_short(value)}" for key, value in params.items())


def _graph_result(result: Any) -> str | None:
    if isinstance(result, dict):
        if "message_id" in result:
            return f"message {_clip(str(result['message_id']), 14)}"
        if "id" in result:
            return f"id {result['id']}"
        if "result" in result:
            return str(result["result"])
    return None


def _result_summary(result: Any) -> str | None:
    if isinstance(result, dict) and "message_id" in result:
        return f"message {result['message_id']}"
    if isinstance(result, list) and result and isinstance(result[0], dict):
        ids = [str(item.get("message_id")) for item in result if "message_id" in item]
        return f"messages {', '.join(ids)}" if ids else f"{len(result)} item(s)"
    if isinstance(result, bool | int):
        return json.dumps(result)
    return None
