"""The sandbox's web page: a small Telegram-like client over the fake Bot API, on loopback.

The page (``static/``: plain HTML, CSS and JavaScript, no build step) lists the personas'
chats and shows the selected one. It talks to this JSON API:

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
``GET  /api/calls``                         the Bot API calls so far (the newest 200)
``GET  /api/events``                        server-sent events: messages new, edited and
                                            deleted, callback answers, API calls
``GET  /files/{file_id}``                   a file's bytes (``?download=1`` to save it)
==========================================  ==================================================

Nothing here talks to Telegram: the only Bot API is the fake in this process. Every response
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


class ApiError(Exception):
    """A request the sandbox refuses, answered as ``{"error": ...}`` with a status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def build_web(fake: FakeTelegram, personas: Sequence[Persona], *, bot_name: str) -> web.Application:
    """The sandbox's web application (serve it on loopback only)."""
    keys = [persona.key for persona in personas]
    if len(set(keys)) != len(keys):
        raise ValueError(f"persona keys must be unique: {keys}")
    sandbox = _SandboxWeb(fake, personas, bot_name)
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
    router.add_get("/files/{file_id}", sandbox.file)
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

    def __init__(self, fake: FakeTelegram, personas: Sequence[Persona], bot_name: str) -> None:
        self.fake = fake
        self.personas = {persona.key: persona for persona in personas}
        self.bot_name = bot_name
        self._by_chat: dict[int, list[Persona]] = {}
        for persona in personas:
            self._by_chat.setdefault(persona.chat.id, []).append(persona)
        self._titles = {persona.chat.id: persona.title for persona in personas}
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
        for persona in self.personas.values():
            history = persona.chat.history.all_messages()
            last = self._stored_view(persona, history[-1]) if history else None
            shown.append(
                {
                    "key": persona.key,
                    "title": persona.title,
                    "role": persona.role,
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
                "personas": shown,
                "demo_phone": DEMO_PHONE,
            }
        )

    async def messages(self, request: web.Request) -> web.Response:
        """One chat as its persona sees it."""
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
        """The Bot API calls worth showing, oldest first."""
        shown = [view for call in self.fake.calls if (view := self._call_view(call)) is not None]
        return _json({"calls": shown[-CALLS_SHOWN:]})

    async def file(self, request: web.Request) -> web.Response:
        """The bytes of a file the bot sent or a person uploaded."""
        stored = self.fake.files.record(request.match_info["file_id"])
        if stored is None:
            raise ApiError(404, "no such file")
        content_type = _content_type(stored.data, str(stored.meta.get("mime_type", "")))
        base, extension = _DEFAULT_NAMES.get(stored.file_type, ("file", ""))
        name = str(stored.meta.get("file_name") or f"{base}{extension}")
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
        return web.Response(body=stored.data, content_type=content_type, headers=headers)

    # --- acting ---------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        """The persona types a message (or a command) in the chat."""
        persona, user = self._writer(request)
        body = await _body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "text is required")
        if len(text) > MAX_TEXT:
            raise ApiError(400, f"a message holds at most {MAX_TEXT} characters")
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
        """The persona sends a photo, a video or a file, with an optional caption."""
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
        closing = asyncio.ensure_future(self._closing.wait())
        getter: asyncio.Future[Event] | None = None
        dropped = 0
        try:
            await response.write(b"retry: 1000\n\n" + _sse({"type": "hello"}))
            while not self._closing.is_set():
                if getter is None:
                    getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait(
                    (getter, closing),
                    timeout=HEARTBEAT_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if getter not in done:
                    if not self._closing.is_set():
                        await response.write(b": keep-alive\n\n")
                    continue
                event = getter.result()
                getter = None
                if queue.dropped != dropped:  # we fell behind: the page reloads its state
                    dropped = queue.dropped
                    await response.write(_sse({"type": "resync"}))
                chunk = b"".join(_sse(payload) for payload in self._payloads(event))
                if chunk:
                    await response.write(chunk)
        except ConnectionError:
            pass  # the page was closed
        finally:
            self.fake.unsubscribe(queue)
            for future in (getter, closing):
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

    # --- helpers --------------------------------------------------------------------------

    def _persona(self, request: web.Request) -> Persona:
        persona = self.personas.get(request.match_info["key"])
        if persona is None:
            raise ApiError(404, "no such chat")
        return persona

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


def _result_summary(result: Any) -> str | None:
    if isinstance(result, dict) and "message_id" in result:
        return f"message {result['message_id']}"
    if isinstance(result, list) and result and isinstance(result[0], dict):
        ids = [str(item.get("message_id")) for item in result if "message_id" in item]
        return f"messages {', '.join(ids)}" if ids else f"{len(result)} item(s)"
    if isinstance(result, bool | int):
        return json.dumps(result)
    return None
