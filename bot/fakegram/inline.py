"""Inline mode: answerInlineQuery results as Telegram parses them, its cache, inline messages.

Results are checked like tdlib's ``Client::get_inline_query_result`` (wording included), then
like the server (result ids). What a client posts when a user picks a result is prepared here
too: the message content (text, location, venue, contact, or a file the bot has by file_id) and
its inline keyboard. Results the fake cannot turn into a message (media by URL, games,
invoices) are accepted, as Telegram accepts them, but cannot be chosen in a test.

Telegram caches answers on its server for ``cache_time`` seconds (300 by default), for every
user sending the same query unless the bot answered with ``is_personal``. A bot that puts a
personal deep link in a shared answer hands the first user's link to everyone: the fake
reproduces that, so a test catches it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import BotApiError, bad_request
from .files import FileStore
from .formatting import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, format_text
from .markup import validated_markup
from .methods.content import MEDIA_KINDS, media_content
from .wire import JSON, Params

if TYPE_CHECKING:
    from .actors import FakeChat
    from .state import ChatHistory

MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
DEFAULT_CACHE_SECONDS = 300
MAX_CACHE_SECONDS = 24 * 60 * 60
MAX_INLINE_QUERY_LENGTH = 256  # what a client lets a user type after @bot

# Fields each result type requires besides type and id; a tuple means "the first, or else the
# second" (a URL, or else a file_id of a file the bot has), as tdlib reads them.
_REQUIRED: dict[str, tuple[str | tuple[str, str], ...]] = {
    "article": ("title",),
    "audio": (("audio_url", "audio_file_id"),),
    "contact": ("phone_number", "first_name"),
    "document": ("title", ("document_url", "document_file_id")),
    "game": ("game_short_name",),
    "gif": (("gif_url", "gif_file_id"),),
    "location": ("latitude", "longitude", "title"),
    "mpeg4_gif": (("mpeg4_url", "mpeg4_file_id"),),
    "photo": (("photo_url", "photo_file_id"),),
    "sticker": ("sticker_file_id",),
    "venue": ("latitude", "longitude", "title", "address"),
    "video": ("title", ("video_url", "video_file_id")),
    "voice": ("title", ("voice_url", "voice_file_id")),
}
# Result types whose file_id the fake can post: result type -> media kind
_CACHED_MEDIA = {
    "audio": "audio",
    "document": "document",
    "photo": "photo",
    "sticker": "sticker",
    "video": "video",
    "voice": "voice",
}


class _ResultError(Exception):
    """A problem tdlib reports as "Can't parse inline query result: ..."."""


@dataclass(frozen=True, slots=True)
class InlineResult:
    """One result of an answer, with the message a client would post for it."""

    id: str
    type: str
    raw: JSON  # as the bot sent it
    content: JSON | None  # Message content fields; None when the fake cannot build them
    reply_markup: JSON | None  # the inline keyboard of the posted message
    why_not: str = ""  # why ``content`` is None


@dataclass(slots=True)
class InlineAnswer:
    """An answerInlineQuery call: results and caching."""

    results: list[InlineResult]
    cache_time: int = DEFAULT_CACHE_SECONDS
    is_personal: bool = False
    next_offset: str = ""
    expires: int = 0  # server clock; 0: not cached
    query_id: str = ""  # the query it answered first

    def result(self, result_id: str) -> InlineResult | None:
        """The result with this id, if the answer has one."""
        return next((r for r in self.results if r.id == result_id), None)


@dataclass(eq=False, slots=True)
class InlineMessage:
    """A message a user posted through inline mode; the bot edits it by inline_message_id."""

    history: ChatHistory
    message_id: int
    chat_instance: str
    chat: FakeChat | None = None  # where it is, if the bot could be in that chat
    peers: tuple[int, ...] = ()  # the two users of a private chat between users


@dataclass(eq=False, slots=True)
class InlineCache:
    """Telegram's server-side cache of answers, by query, offset and (if personal) user."""

    answers: dict[tuple[str, str, int | None], InlineAnswer] = field(default_factory=dict)

    def get(self, query: str, offset: str, user_id: int, now: int) -> InlineAnswer | None:
        """A live cached answer for this user's query, personal ones first."""
        for key in ((query, offset, user_id), (query, offset, None)):
            answer = self.answers.get(key)
            if answer is not None and answer.expires > now:
                return answer
        return None

    def put(self, query: str, offset: str, user_id: int, answer: InlineAnswer, now: int) -> None:
        """Remember an answer for ``cache_time`` seconds (not at all when it is 0)."""
        if answer.cache_time <= 0:
            return
        answer.expires = now + answer.cache_time
        self.answers[(query, offset, user_id if answer.is_personal else None)] = answer

    def clear(self) -> None:
        """Forget every cached answer."""
        self.answers.clear()


def parse_answer(p: Params, files: FileStore) -> InlineAnswer:
    """The arguments of answerInlineQuery, checked as tdlib and then the server check them."""
    raw = p.text("cache_time")
    cache_time = min(max(p.integer("cache_time"), 0), MAX_CACHE_SECONDS) if raw else None
    results = _parse_results(p.text("results"), files)
    seen: set[str] = set()
    for result in results:
        if not result.id:
            raise bad_request("RESULT_ID_EMPTY")
        if len(result.id.encode()) > MAX_RESULT_ID_BYTES:
            raise bad_request("RESULT_ID_INVALID")
        if result.id in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result.id)
        if result.type == "article" and not str(result.raw.get("title", "")).strip():
            raise bad_request("ARTICLE_TITLE_EMPTY")
    return InlineAnswer(
        results=results,
        cache_time=DEFAULT_CACHE_SECONDS if cache_time is None else cache_time,
        is_personal=p.flag("is_personal"),
        next_offset=p.text("next_offset"),
    )


def _parse_results(raw: str, files: FileStore) -> list[InlineResult]:
    if not raw:
        return []
    try:
        values = json.loads(raw)
    except ValueError as error:
        raise bad_request(f"Can't parse JSON encoded inline query results: {error}") from None
    if values is None:
        return []
    if not isinstance(values, list):
        raise bad_request("Expected an Array of inline query results")
    if len(values) > MAX_INLINE_RESULTS:
        raise bad_request("Too many inline query results specified")
    results = []
    for value in values:
        try:
            results.append(_result(value, files))
        except _ResultError as error:
            raise bad_request(f"Can't parse inline query result: {error}") from None
    return results


def _result(value: Any, files: FileStore) -> InlineResult:
    if not isinstance(value, dict):
        raise _ResultError("Inline query result must be an object")
    kind = _string(value, "type", required=True).lower()
    result_id = _string(value, "id", required=True)
    content_object = value.get("input_message_content")
    if content_object is not None and not isinstance(content_object, dict):
        raise _ResultError('Field "input_message_content" must be of type Object')
    content, why_not = _message_content(value, kind, content_object)
    reply_markup = _reply_markup(value)
    if kind not in _REQUIRED:
        raise _ResultError(f'type "{kind}" is unsupported for the inline query result')
    present: dict[str, str] = {}
    for required in _REQUIRED[kind]:
        if isinstance(required, tuple):
            url_field, file_field = required
            url = _string(value, url_field)
            if url:
                present[url_field] = url
            else:
                present[file_field] = _string(value, file_field, required=True)
        elif required in ("latitude", "longitude"):
            _number(value, required)
        else:
            present[required] = _string(value, required, required=True)
    if content is None and not why_not:
        content, why_not = _own_content(value, kind, present, files)
    return InlineResult(result_id, kind, value, content, reply_markup, why_not)


def _message_content(
    value: JSON, kind: str, content_object: JSON | None
) -> tuple[JSON | None, str]:
    """What input_message_content (or the legacy top-level message_text) makes a message of."""
    if content_object is None:
        text = (
            _string(value, "message_text", required=True)
            if kind == "article"
            else _string(value, "message_text")
        )
        if kind == "article" or text:
            return _text_content(text, value), ""
        return None, ""
    text = _string(content_object, "message_text")
    if text:
        return _text_content(text, content_object), ""
    if "latitude" in content_object and "longitude" in content_object:
        location = {
            "latitude": _number(content_object, "latitude"),
            "longitude": _number(content_object, "longitude"),
        }
        if "title" in content_object and "address" in content_object:
            venue = {
                "location": location,
                "title": _string(content_object, "title", required=True),
                "address": _string(content_object, "address", required=True),
            }
            return {"venue": venue, "location": location}, ""
        return {"location": location}, ""
    if "phone_number" in content_object:
        contact = {
            "phone_number": _string(content_object, "phone_number", required=True),
            "first_name": _string(content_object, "first_name", required=True),
        }
        if last_name := _string(content_object, "last_name"):
            contact["last_name"] = last_name
        return {"contact": contact}, ""
    if "payload" in content_object:
        return None, "the fake does not model invoices"
    if kind == "article":
        raise _ResultError("Input message content is not specified")
    return None, ""


def _text_content(text: str, source: JSON) -> JSON:
    parse_mode = _string(source, "parse_mode")
    formatted = format_text(text, parse_mode, source.get("entities"))
    if len(formatted.text) > MAX_TEXT_LENGTH:
        raise bad_request("Message is too long")
    return formatted.fields("text", "entities")


def _own_content(
    value: JSON, kind: str, present: dict[str, str], files: FileStore
) -> tuple[JSON | None, str]:
    """The message of a result without input_message_content: its own file, place or contact."""
    if kind == "location":
        return {"location": _location(value)}, ""
    if kind == "venue":
        location = _location(value)
        venue = {"location": location, "title": present["title"], "address": present["address"]}
        return {"venue": venue, "location": location}, ""
    if kind == "contact":
        contact = {"phone_number": present["phone_number"], "first_name": present["first_name"]}
        if last_name := _string(value, "last_name"):
            contact["last_name"] = last_name
        return {"contact": contact}, ""
    media = _CACHED_MEDIA.get(kind)
    file_id = present.get(f"{kind}_file_id")
    if media is None or file_id is None:
        return None, f"the fake cannot post a {kind} result given by URL or game; use a file_id"
    stored = files.record(file_id)
    if stored is None:
        raise bad_request("Wrong file identifier/HTTP URL specified")
    content = media_content(MEDIA_KINDS[media], stored)
    if MEDIA_KINDS[media].captioned:
        caption = format_text(
            _string(value, "caption"),
            _string(value, "parse_mode"),
            value.get("caption_entities"),
            allow_empty=True,
        )
        if len(caption.text) > MAX_CAPTION_LENGTH:
            raise bad_request("Message caption is too long")
        content.update(caption.fields("caption", "caption_entities"))
    return content, ""


def _reply_markup(value: JSON) -> JSON | None:
    raw = value.get("reply_markup")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _ResultError('Field "reply_markup" must be of type Object')
    try:
        markup = validated_markup(raw)
    except BotApiError as error:
        detail = error.description.removeprefix("Bad Request: ")
        if detail[:2].isupper():  # a server error code such as BUTTON_DATA_INVALID
            raise
        raise _ResultError(detail[:1].upper() + detail[1:]) from None
    if markup is None:
        return None
    if markup.inline is None:
        raise bad_request("Inline keyboard expected")
    return markup.inline


def _location(value: JSON) -> JSON:
    return {"latitude": _number(value, "latitude"), "longitude": _number(value, "longitude")}


def _string(value: JSON, name: str, *, required: bool = False) -> str:
    """A string field as tdlib reads one (get_required/optional_string_field): numbers too."""
    if name not in value or value[name] is None:
        if required:
            raise _ResultError(f'Can\'t find field "{name}"')
        return ""
    raw = value[name]
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _ResultError(f'Field "{name}" must be of type String')
    return raw if isinstance(raw, str) else json.dumps(raw)


def _number(value: JSON, name: str) -> float:
    if name not in value:
        raise _ResultError(f'Can\'t find field "{name}"')
    raw = value[name]
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise _ResultError(f'Field "{name}" must be of type Number')
    try:
        return float(raw)
    except ValueError:
        raise _ResultError(f'Field "{name}" must be of type Number') from None
