"""Bot API requests as they arrive: query string, form, JSON or multipart, every argument a string.

Telegram's server (tdlib's ``Query``) sees each argument as a string whatever the encoding, and
converts it when a method reads it. PTB 22 sends form-urlencoded bodies, or multipart when a file
is attached, with non-string values JSON-encoded (``"123"``, ``"true"``, ``'{"inline_keyboard":
...}'``). Normalising every encoding to strings first keeps the method code identical for PTB,
curl and JSON clients, and as lenient or strict as the real server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, TypeAlias

from aiohttp import BodyPartReader, hdrs, web

from .errors import bad_request, entity_too_large

JSON: TypeAlias = dict[str, Any]

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 50 * MB
# Room for the text fields that travel with a maximal upload.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + MB

_INTEGER = re.compile(r"\s*(-?\d+)")

# Only used to make recorded calls readable in tests; methods read arguments with explicit types.
_JSON_ARGS = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "menu_button",
        "message_ids",
        "options",
        "reply_markup",
        "reply_parameters",
        "results",
        "scope",
    }
)
_BOOL_ARGS = frozenset(
    {
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "allows_multiple_answers",
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "has_spoiler",
        "is_anonymous",
        "is_personal",
        "protect_content",
        "show_alert",
        "show_caption_above_media",
    }
)


_INT_ARGS = frozenset(
    {
        "cache_time",
        "chat_id",
        "correct_option_id",
        "duration",
        "from_chat_id",
        "height",
        "limit",
        "max_connections",
        "message_id",
        "message_thread_id",
        "offset",
        "reply_to_message_id",
        "timeout",
        "user_id",
        "width",
    }
)


@dataclass(frozen=True, slots=True)
class Upload:
    """One file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.data)} bytes)"


class Params:
    """The arguments of one request, read with tdlib's conversions."""

    __slots__ = ("_files", "_values")

    def __init__(self, values: dict[str, str], files: dict[str, Upload] | None = None) -> None:
        self._values = values
        self._files = files or {}

    def has(self, name: str) -> bool:
        """Whether the argument was sent at all (an empty value counts, as in tdlib)."""
        return name in self._values

    def text(self, name: str) -> str:
        """The raw string, empty when absent (tdlib's ``query->arg``)."""
        return self._values.get(name, "")

    def required(self, name: str) -> str:
        """A string argument that must be present and non-empty."""
        value = self.text(name)
        if not value:
            raise bad_request(f'Parameter "{name}" is required')
        return value

    def integer(self, name: str, default: int = 0) -> int:
        """An integer argument; ``default`` when absent."""
        raw = self.text(name)
        return to_integer(raw) if raw else default

    def flag(self, name: str) -> bool:
        """Read a boolean like tdlib's ``to_bool``: only true, yes and 1 are true."""
        return self.text(name).strip().lower() in ("true", "yes", "1")

    def json(self, name: str, what: str) -> Any:
        """A JSON-serialized argument, ``None`` when absent; ``what`` names it in the error."""
        raw = self.text(name)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise bad_request(f"Can't parse {what} JSON object") from None

    def file(self, name: str) -> Upload | None:
        """The uploaded part called ``name`` (a parameter name or an ``attach://`` name)."""
        return self._files.get(name)

    def decoded(self) -> JSON:
        """Arguments with JSON, integer and boolean values decoded, for assertions in tests."""
        result: JSON = {name: _decode(name, value) for name, value in self._values.items()}
        result.update(self._files)
        return result


def to_integer(raw: str) -> int:
    """The leading integer, like ``td::to_integer``: garbage reads as 0, not as an error."""
    match = _INTEGER.match(raw)
    return int(match.group(1)) if match else 0


def _decode(name: str, value: str) -> Any:
    if name in _JSON_ARGS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _BOOL_ARGS:
        return value.strip().lower() in ("true", "yes", "1")
    if name in _INT_ARGS and _INTEGER.fullmatch(value):
        return int(value)
    return value


def _as_argument(value: Any) -> str:
    """Turn a JSON body value into the string a form field would carry."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


async def read_params(request: web.Request) -> Params:
    """Collect the arguments of a Bot API request from any encoding Telegram accepts."""
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        raise entity_too_large()
    values = dict(request.query)
    files: dict[str, Upload] = {}
    content_type = request.content_type
    if content_type == "multipart/form-data":
        await _read_multipart(request, values, files)
    elif content_type == "application/json":
        body = await request.read()
        if body:
            try:
                document = json.loads(body)
            except ValueError:
                raise bad_request("Can't parse JSON object") from None
            if not isinstance(document, dict):
                raise bad_request("Can't parse JSON object")
            values.update(
                (key, _as_argument(value)) for key, value in document.items() if value is not None
            )
    elif request.can_read_body:
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            raise entity_too_large() from None
        values.update((key, value) for key, value in form.items() if isinstance(value, str))
    return Params(values, files)


async def _read_multipart(
    request: web.Request, values: dict[str, str], files: dict[str, Upload]
) -> None:
    total = 0
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        chunks: list[bytes] = []
        while chunk := await part.read_chunk():
            total += len(chunk)
            if total > MAX_REQUEST_BYTES:
                raise entity_too_large()
            chunks.append(chunk)
        data = b"".join(chunks)
        if part.filename is None:
            values[part.name] = data.decode(part.get_charset("utf-8"))
        else:
            files[part.name] = Upload(part.filename, part.headers.get(hdrs.CONTENT_TYPE), data)
