"""A stored post as Telegram messages: text or media, buttons, and its callback data.

Used by the broadcast sender, by staff's preview and "send a test to me", and by inline
shares, so a post looks the same wherever it appears.

Button data (64 bytes at most, checked again when pressed — anyone can forge it):
    `ru:<post>`             "useful" on post <post>
    `rp:<post>:<campaign>`  a pledge to <campaign>, pressed on post <post>
A share button opens inline mode with `post<post>`; the result people choose is counted.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
)

from bot.core import reach
from bot.core.content import HtmlError, check_html
from bot.i18n import t
from bot.storage import queries as q
from bot.tg.common import App, Services

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
USEFUL = re.compile(r"^ru:(\d{1,12})$")
PLEDGE = re.compile(r"^rp:(\d{1,12}):([a-z0-9][a-z0-9-]{0,39})$")
SHARE_QUERY = re.compile(r"^post(\d{1,12})$")


def share_query(post_id: int) -> str:
    """What a share button types into inline mode."""
    return f"post{post_id}"


def visible_length(text: str) -> int:
    """Characters Telegram counts for a caption (UTF-16 units of the parsed text)."""
    try:
        plain = check_html(text)
    except HtmlError:
        plain = html.unescape(re.sub(r"<[^>]*>", "", text))
    return len(plain.encode("utf-16-le")) // 2


def grouped(n: int) -> str:
    """2514 → "2 514" (with a narrow no-break space, as Mongolian print groups digits)."""
    return f"{n:,}".replace(",", "\u202f")


def text_for(payload: dict[str, Any], lang: str) -> str:
    """The text in the reader's language, or Mongolian."""
    texts: dict[str, str] = payload.get("text", {})
    return texts.get(lang) or texts.get("mn", "")


def _label(button: dict[str, Any], lang: str, key: str) -> str:
    texts = button.get("text") or {}
    if isinstance(texts, str):
        return texts
    return str(texts.get(lang) or texts.get("mn") or t(lang, key))


async def keyboard(
    svc: Services, bot_username: str, post_id: int, payload: dict[str, Any], lang: str, *,
    campaign: str | None, pledges: int | None = None, chat_kind: str = "person",
) -> InlineKeyboardMarkup | None:
    """The post's buttons for a reader of `lang`; a pledge button shows the live count.

    Channel posts get no share button: Telegram refuses inline-mode buttons there, and a
    channel's own forward button does the same.
    """
    rows: list[list[InlineKeyboardButton]] = []
    for button in payload.get("buttons", []):
        action = button.get("action")
        if action is None:
            rows.append([InlineKeyboardButton(_label(button, lang, "post.button.link"),
                                              url=str(button["url"]))])
        elif action == "useful":
            rows.append([InlineKeyboardButton(_label(button, lang, "post.button.useful"),
                                              callback_data=f"ru:{post_id}")])
        elif action == "share" and chat_kind != "channel":
            rows.append([InlineKeyboardButton(_label(button, lang, "post.button.share"),
                                              switch_inline_query=share_query(post_id))])
        elif action == "survey":  # a link, so it works in groups and channels too
            rows.append([InlineKeyboardButton(
                _label(button, lang, "post.button.survey"),
                url=f"https://t.me/{bot_username}?start=sv-{button['survey']}")])
        elif action == "complain":
            rows.append([InlineKeyboardButton(
                _label(button, lang, "post.button.complain"),
                url=f"https://t.me/{bot_username}?start=complain")])
        elif action == "pledge" and campaign:
            if pledges is None:
                pledges = await reach.count(svc.backend, "pledge", campaign)
            label = f"{_label(button, lang, 'post.button.pledge')} ✊ {grouped(pledges)}"
            rows.append([InlineKeyboardButton(label, callback_data=f"rp:{post_id}:{campaign}")])
    return InlineKeyboardMarkup(rows) if rows else None


@dataclass(frozen=True)
class _Upload:
    """A content file not yet on Telegram's servers."""

    path: str  # as in the payload, relative to the content folder
    digest: str
    data: bytes
    name: str

    def file(self, attach: bool) -> InputFile:
        # In an album each file travels as its own part, named by attach://.
        return InputFile(self.data, filename=self.name, attach=attach)


@dataclass
class MediaCache:
    """Telegram file ids of content files already uploaded once (kept in the database).

    A poster for 100,000 people is uploaded once; the others get its file id. Digests are
    cached by (size, mtime) so a file is not re-read for every recipient, and an edited
    file is uploaded anew.
    """

    root: Path
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    digests: dict[tuple[str, int, int], str] = field(default_factory=dict)
    known: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def of(cls, app: App) -> MediaCache:
        """The application's cache (made on first use)."""
        cache: MediaCache | None = app.bot_data.get("media_cache")
        if cache is None:
            svc: Services = app.bot_data["svc"]
            cache = cls(svc.settings.content_dir)
            app.bot_data["media_cache"] = cache
        return cache

    def lock(self, key: str) -> asyncio.Lock:
        """One upload of a file at a time: the others wait and use its file id."""
        return self.locks.setdefault(key, asyncio.Lock())


def _file_id(message: Message, kind: str) -> str | None:
    if kind == "photo" and message.photo:
        return message.photo[-1].file_id
    item = {"video": message.video, "document": message.document,
            "animation": message.animation}.get(kind)
    return None if item is None else item.file_id


async def send_post(
    app: App, chat_id: int, post_id: int, payload: dict[str, Any], lang: str, *,
    campaign: str | None, rate_limit_args: Any = None, pledges: int | None = None,
    chat_kind: str = "person", **send_args: Any,
) -> int:
    """Send one post to one chat; the id of its (first) message. Raises TelegramError."""
    first, _ = await send_post_ids(app, chat_id, post_id, payload, lang, campaign=campaign,
                                   rate_limit_args=rate_limit_args, pledges=pledges,
                                   chat_kind=chat_kind, **send_args)
    return first


async def send_post_ids(
    app: App, chat_id: int, post_id: int, payload: dict[str, Any], lang: str, *,
    campaign: str | None, rate_limit_args: Any = None, pledges: int | None = None,
    chat_kind: str = "person", **send_args: Any,
) -> tuple[int, int | None]:
    """`send_post`, and the id of the message with the buttons if it is not the first.

    That is an album's, or a text's too long for a caption: it follows the media.
    """
    svc: Services = app.bot_data["svc"]
    bot = app.bot
    text = text_for(payload, lang)
    markup = await keyboard(svc, bot.username, post_id, payload, lang, campaign=campaign,
                            pledges=pledges, chat_kind=chat_kind)
    media: list[dict[str, Any]] = payload.get("media", [])
    common: dict[str, Any] = {"rate_limit_args": rate_limit_args,
                              "disable_notification": bool(payload.get("silent", False)),
                              **send_args}
    if not media:
        # Only the id is needed: `send_message` would build a whole `Message` from the answer,
        # a quarter of a broadcast send's CPU (bench/broadcast.py, docs/benchmarks.md). The
        # name is in lower case because PTB warns when `do_api_request` names a method it
        # wraps; Telegram's method names are case-insensitive.
        arguments = {"chat_id": chat_id, "text": text, "parse_mode": "HTML",
                     "reply_markup": markup, **common}
        limit = arguments.pop("rate_limit_args")
        sent = await bot.do_api_request("sendmessage", api_kwargs=arguments,
                                        rate_limit_args=limit)
        return int(sent["message_id"]), None
    caption_fits = visible_length(text) <= CAPTION_LIMIT
    caption = text if caption_fits and text.strip() else None
    if len(media) == 1:
        kind = str(media[0]["type"])

        async def one(files: list[str | InputFile]) -> Message:
            return await _send_one(app, chat_id, kind, files[0], caption,
                                   markup if caption_fits else None, common)

        sent = await _send_media(app, media, one)
        first_id = (sent if isinstance(sent, Message) else sent[0]).message_id
        if caption_fits:
            return first_id, None
    else:
        async def album(files: list[str | InputFile]) -> Sequence[Message]:
            items = [_input_media(str(item["type"]), f, caption if i == 0 else None)
                     for i, (item, f) in enumerate(zip(media, files, strict=True))]
            return await bot.send_media_group(chat_id, items, **common)

        sent = await _send_media(app, media, album)
        first_id = (sent if isinstance(sent, Message) else sent[0]).message_id
        if caption_fits and markup is None:
            return first_id, None
    # Albums cannot carry buttons, and a caption holds 1,024 characters: the text, or a
    # short line, follows in a message of its own with the buttons.
    follow = text if not caption_fits else t(lang, "post.buttons_below")
    second = await bot.send_message(chat_id, follow, parse_mode="HTML", reply_markup=markup,
                                    **common)
    return first_id, second.message_id


async def _resolve(app: App, item: dict[str, Any]) -> str | _Upload:
    """A file id when Telegram has the file, else the content file to upload."""
    if item.get("file_id"):
        return str(item["file_id"])
    cache = MediaCache.of(app)
    rel = str(item["path"])
    path = (cache.root / rel).resolve()
    if not path.is_relative_to(cache.root.resolve()):
        raise ValueError("a media path outside the content folder")
    stat = await asyncio.to_thread(path.stat)
    stamp = (rel, stat.st_size, stat.st_mtime_ns)
    digest = cache.digests.get(stamp)
    if digest is None:
        digest = await asyncio.to_thread(lambda: hashlib.sha256(path.read_bytes()).hexdigest())
        cache.digests[stamp] = digest
    if (known := cache.known.get((rel, digest))) is not None:
        return known
    svc: Services = app.bot_data["svc"]
    async with svc.backend.db.read() as conn:
        stored = await q.get_media_file(conn, rel, digest)
    if stored is not None:
        cache.known[(rel, digest)] = stored
        return stored
    return _Upload(rel, digest, await asyncio.to_thread(path.read_bytes), path.name)


def _as_file(resolved: str | _Upload, attach: bool) -> str | InputFile:
    return resolved.file(attach) if isinstance(resolved, _Upload) else resolved


async def _remember(app: App, media: list[dict[str, Any]], files: list[str | _Upload],
                    messages: Sequence[Message]) -> None:
    svc: Services = app.bot_data["svc"]
    cache = MediaCache.of(app)
    for item, sent, message in zip(media, files, messages, strict=False):
        if isinstance(sent, _Upload) and (file_id := _file_id(message, item["type"])):
            cache.known[(sent.path, sent.digest)] = file_id
            async with svc.backend.db.tx() as conn:
                await q.put_media_file(conn, sent.path, sent.digest, file_id)


async def _send_media(
    app: App, media: list[dict[str, Any]], send: Callable[[list[str | InputFile]], Awaitable[
        Message | Sequence[Message]]],
) -> Message | Sequence[Message]:
    """Send with files; the first upload of a content file is remembered by its file id."""
    files = [await _resolve(app, item) for item in media]
    if all(isinstance(f, str) for f in files):
        return await send([_as_file(f, len(media) > 1) for f in files])
    cache = MediaCache.of(app)
    async with cache.lock("\x00".join(str(i.get("path")) for i in media)):
        files = [await _resolve(app, item) for item in media]  # someone may have uploaded
        sent = await send([_as_file(f, len(media) > 1) for f in files])
        await _remember(app, media, files, [sent] if isinstance(sent, Message) else sent)
    return sent


async def _send_one(app: App, chat_id: int, kind: str, file: str | InputFile, caption: str | None,
                    markup: InlineKeyboardMarkup | None, common: dict[str, Any]) -> Message:
    bot = app.bot
    args: dict[str, Any] = {"caption": caption, "parse_mode": "HTML", "reply_markup": markup,
                            **common}
    if kind == "photo":
        return await bot.send_photo(chat_id, file, **args)
    if kind == "video":
        return await bot.send_video(chat_id, file, **args)
    if kind == "animation":
        return await bot.send_animation(chat_id, file, **args)
    return await bot.send_document(chat_id, file, **args)


def _input_media(kind: str, file: str | InputFile, caption: str | None
                 ) -> InputMediaPhoto | InputMediaVideo | InputMediaDocument:
    args: dict[str, Any] = {"caption": caption, "parse_mode": "HTML"}
    if kind == "photo":
        return InputMediaPhoto(file, **args)
    if kind == "video":
        return InputMediaVideo(file, **args)
    return InputMediaDocument(file, **args)
