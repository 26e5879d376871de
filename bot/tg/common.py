"""What every handler shares: services, the typed context, language, keyboards, sending."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot, filters

from bot.config import Settings
from bot.core import complaints
from bot.core.backend import Backend
from bot.core.content import ContentLibrary
from bot.core.models import Citizen, Kind, NoticeTarget, Role, Status
from bot.core.orgs import OrgDirectory
from bot.core.surveys import SurveyLibrary
from bot.i18n import DEFAULT_LANG, all_langs, t
from bot.tg.pacing import Pace

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Telegram's text limit is 4,096 characters; leave room for a header line.
CHUNK = 3800


# Sends the content-free notice to a target of its channel; True for a staff member's reply
# (a channel may allow that later than other news).
Notifier = Callable[[NoticeTarget, bool], Awaitable[None]]


@dataclass
class Services:
    """Long-lived objects the handlers use, opened at start-up."""

    settings: Settings
    backend: Backend
    orgs: OrgDirectory
    clock: Callable[[], dt.datetime]
    content: ContentLibrary
    staff: dict[int, Role] = field(default_factory=dict)
    surveys: SurveyLibrary = field(default_factory=SurveyLibrary)
    # How a notice reaches a citizen on another channel (Messenger registers itself).
    notifiers: dict[str, Notifier] = field(default_factory=dict)

    def now(self) -> dt.datetime:
        """The current time (aware, UTC); tests pass their own clock."""
        return self.clock()


class Ctx(CallbackContext[ExtBot[Pace], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context, with the services at hand."""

    @property
    def svc(self) -> Services:
        """The bot's services."""
        svc: Services = self.application.bot_data["svc"]
        return svc


App = Application[ExtBot[Pace], Ctx, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


def citizen(update: Update) -> Citizen:
    """The sender as the core knows them: never stored except as a keyed hash."""
    user = update.effective_user
    if user is None:
        raise ValueError("update without a user")
    return Citizen(CHANNEL, str(user.id))


async def lang_of(update: Update, ctx: Ctx) -> str:
    """The user's language: their /lang choice, else Mongolian (the default for everyone)."""
    cached = ctx.user_data.get("lang") if ctx.user_data is not None else None
    if isinstance(cached, str):
        return cached
    lang = DEFAULT_LANG
    if update.effective_user is not None:
        lang = await complaints.get_lang(ctx.svc.backend, citizen(update)) or DEFAULT_LANG
    if ctx.user_data is not None:
        ctx.user_data["lang"] = lang
    return lang


def esc(value: object) -> str:
    """HTML-escape anything shown inside our HTML messages."""
    return html.escape(str(value), quote=False)


def fmt_date(day: dt.date) -> str:
    """Dates as offices write them: 2026.12.01."""
    return day.strftime("%Y.%m.%d")


def kind_name(lang: str, kind: Kind) -> str:
    """The kind's name in `lang`."""
    return t(lang, f"kind.{kind.value}")


def status_name(lang: str, status: Status) -> str:
    """The status's name in `lang`."""
    return t(lang, f"status.{status.value}")


def org_name(svc: Services, lang: str, code: str | None) -> str:
    """An organization's name, "not sure" for none, the bare code if it left the list."""
    if code is None:
        return t(lang, "org.unsure")
    org = svc.orgs.get(code)
    return org.name(lang) if org is not None else code


# -- the main menu (a reply keyboard) -------------------------------------------------
MENU_KEYS = ("menu.complain", "menu.status", "menu.news", "menu.survey", "menu.about",
             "menu.lang")


def main_menu(lang: str) -> ReplyKeyboardMarkup:
    """The big buttons citizens see under the message field."""
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(t(lang, "menu.complain"))],
            [KeyboardButton(t(lang, "menu.status"))],
            [KeyboardButton(t(lang, "menu.news")), KeyboardButton(t(lang, "menu.survey"))],
            [KeyboardButton(t(lang, "menu.about")), KeyboardButton(t(lang, "menu.lang"))],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


def menu_button(key: str) -> filters.BaseFilter:
    """Matches a main-menu button in any language."""
    return filters.Text(sorted(all_langs(key)))


ANY_MENU_BUTTON = filters.Text(sorted({text for key in MENU_KEYS for text in all_langs(key)}))


def buttons(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


# -- sending ---------------------------------------------------------------------------
def chunks(text: str, size: int = CHUNK) -> list[str]:
    """Split escaped plain text (no tags) at a line break or space near the limit.

    A hard cut, for text with no spaces, backs off so an entity like `&amp;` stays whole.
    """
    parts, rest = [], text
    while len(rest) > size:
        cut = max(rest.rfind("\n", 0, size), rest.rfind(" ", 0, size))
        if cut <= 0:
            amp = rest.rfind("&", size - 10, size)
            cut = amp if amp > 0 and ";" not in rest[amp:size] else size
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return [p for p in parts if p]


Blocks = str | Sequence[str]


def pack(blocks: Blocks, size: int = CHUNK, sep: str = "\n\n") -> list[str]:
    """Messages of at most `size` characters from blocks, never cutting inside a block.

    A block is either our own short HTML (a header, a thread line's heading) or escaped
    user text without tags; only the latter can be longer than a message, and only it is
    ever split, so no message ends inside a tag.
    """
    messages: list[str] = []
    current = ""
    for block in [blocks] if isinstance(blocks, str) else blocks:
        for piece in chunks(block, size) if len(block) > size else [block]:
            if current and len(current) + len(sep) + len(piece) <= size:
                current += sep + piece
            else:
                if current:
                    messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


async def reply(update: Update, text: str, **kwargs: Any) -> Message | None:
    """Answer in the chat the update came from, in HTML."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, parse_mode="HTML", **kwargs)


async def reply_long(
    update: Update, blocks: Blocks, *, sep: str = "\n\n", **kwargs: Any
) -> Message | None:
    """Answer with text of any length; the keyboard goes on the last part."""
    parts = pack(blocks, sep=sep)
    last = None
    for i, part in enumerate(parts):
        last = await reply(update, part, **(kwargs if i == len(parts) - 1 else {}))
    return last


async def answer_callback(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Acknowledge a button press (Telegram shows a spinner until we do)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as exc:
        # A press older than ~15 s can no longer be answered; nothing the user can do.
        log.info("callback answer failed: %s", exc.__class__.__name__)


async def drop_keyboard(update: Update) -> None:
    """Remove the inline buttons from the message that was pressed (they are used)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    with contextlib.suppress(TelegramError):  # already removed, or too old
        await query.edit_message_reply_markup(None)


async def send_notice(ctx: Ctx, target: NoticeTarget | None, *, human_reply: bool = False
                      ) -> None:
    """The content-free "there is news" notice to a citizen who asked for one.

    `human_reply`: the news is a staff member's reply to the citizen (Messenger lets a
    human's reply go later than other news). Other channels' targets go to their notifier.
    """
    if target is None:
        return
    if target.channel != CHANNEL:
        notifier = ctx.svc.notifiers.get(target.channel)
        if notifier is None:
            log.warning("notice not delivered: no %s channel running", target.channel)
            return
        try:
            await notifier(target, human_reply)
        except Exception as exc:  # a notice must not break the officer's action
            log.error("notice not delivered: %s", exc.__class__.__name__, exc_info=exc)
        return
    try:
        await ctx.bot.send_message(int(target.chat_id), t(target.lang, "notice.news"),
                                   parse_mode="HTML")
    except Forbidden:
        log.info("notice not delivered: the citizen blocked the bot")
    except TelegramError as exc:
        log.warning("notice not delivered: %s", exc.__class__.__name__)


async def tell_staff(ctx: Ctx, blocks: Blocks, sep: str = "\n") -> None:
    """A notice to the staff group (never with complaint content), split if long."""
    await tell_staff_by(ctx.bot, ctx.svc.settings, blocks, sep)


async def tell_staff_by(bot: ExtBot[Pace], settings: Settings, blocks: Blocks,
                        sep: str = "\n") -> None:
    """`tell_staff` with the bot at hand (for the Messenger side, which has no update)."""
    chat = settings.staff_chat
    if chat is None:
        return
    try:
        for part in pack(blocks, sep=sep):
            await bot.send_message(chat, part, parse_mode="HTML")
    except TelegramError as exc:
        log.warning("staff group not reached: %s", exc.__class__.__name__)
