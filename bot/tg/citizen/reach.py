"""The buttons under posts and shares through inline mode: counted once per person.

- "useful 👍" (`ru:<post>`): a toast, counted once per person per post;
- a pledge (`rp:<post>:<campaign>`): once per person per campaign; the pressed message's
  button shows the new count at once, and a job keeps the buttons under recent group and
  channel posts fresh, within Telegram's 20 messages a minute per group;
- a share: the share button opens inline mode with `post<id>`; the bot answers with the
  post, and the result a person chooses (`chosen_inline_result`) is counted.

Button data and inline results can be forged; the core checks each against the post.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, ChosenInlineResultHandler, InlineQueryHandler

from bot.core import reach
from bot.i18n import t
from bot.tg.common import App, Ctx, Services, answer_callback, citizen, esc, lang_of
from bot.tg.pacing import Pace
from bot.tg.postview import (
    CAPTION_LIMIT,
    PLEDGE,
    SHARE_QUERY,
    USEFUL,
    grouped,
    keyboard,
    share_query,
    text_for,
    visible_length,
)

log = logging.getLogger(__name__)

INLINE_CACHE_SECONDS = 10  # short: counts on the buttons change, and so may the post
REFRESH_SECONDS = 60
REFRESH_EDITS = 20  # at most this many edits a run, over all groups and channels
REFRESH_PER_CHAT = 2  # and this many into one chat (Telegram allows 20 messages a minute)
PRESS_EDIT_GAP = 6.0  # seconds between edits of pressed messages in one group or channel
NO_RETRY = Pace(retries=0)  # a 429 on a counter is not waited out: the job catches up
_COUNT_TAIL = re.compile(r"\d[\d\u202f]*$")  # "Нэгдье ✊ 2 514" → "2 514"
_GROUP_TYPES = frozenset({"group", "supergroup", "channel"})


@dataclass
class Counters:
    """What the pledge buttons in groups and channels show, and when each chat was edited.

    In memory only: after a restart the job edits each recent post once more (an edit
    that changes nothing is refused by Telegram and ignored here).
    """

    shown: dict[tuple[int, int], int] = field(default_factory=dict)
    edited_at: dict[int, float] = field(default_factory=dict)  # by a press or the job
    pressed_at: dict[int, float] = field(default_factory=dict)  # by a press

    @classmethod
    def of(cls, bot_data: dict[Any, Any]) -> Counters:
        """The application's counters (made on first use)."""
        found: Counters | None = bot_data.get("pledge_counters")
        if found is None:
            found = bot_data["pledge_counters"] = cls()
        return found

    def busy(self, chat_id: int, *, by_press: bool = False) -> bool:
        """Whether a group or channel had a counter edited a moment ago (by a press)."""
        edits = self.pressed_at if by_press else self.edited_at
        return time.monotonic() - edits.get(chat_id, -PRESS_EDIT_GAP) < PRESS_EDIT_GAP

    def edited(self, chat_id: int, message_id: int, count: int, *, by_press: bool) -> None:
        """Note an edit (or a message that needs none)."""
        self.shown[(chat_id, message_id)] = count
        self.edited_at[chat_id] = time.monotonic()
        if by_press:
            self.pressed_at[chat_id] = self.edited_at[chat_id]


# -- "useful" and pledges -------------------------------------------------------------------
async def useful(update: Update, ctx: Ctx) -> None:
    """Counts a "useful 👍" press (once per person per post) and thanks with a toast."""
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, ctx)
    found = USEFUL.match(query.data or "")
    try:
        if found is None:
            raise reach.NotCountable(query.data)
        first = await reach.useful(ctx.svc.backend, int(found[1]), citizen(update), ctx.svc.now())
    except reach.NotCountable:
        await answer_callback(update, t(lang, "reach.not_counted"), alert=True)
        return
    key = "reach.useful_counted" if first else "reach.useful_again"
    await answer_callback(update, t(lang, key))


async def pledge(update: Update, ctx: Ctx) -> None:
    """Counts a pledge (once per person per campaign); the button shows the new count."""
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, ctx)
    found = PLEDGE.match(query.data or "")
    try:
        if found is None:
            raise reach.NotCountable(query.data)
        post_id, campaign = int(found[1]), found[2]
        result = await reach.pledge(ctx.svc.backend, post_id, campaign, citizen(update),
                                    ctx.svc.now())
    except reach.NotCountable:
        await answer_callback(update, t(lang, "reach.not_counted"), alert=True)
        return
    key = "reach.pledge_counted" if result.first else "reach.pledge_again"
    await answer_callback(update, t(lang, key, count=grouped(result.count)))
    await _show_count(update, ctx, post_id, result.count, lang)


async def _show_count(update: Update, ctx: Ctx, post_id: int, count: int, lang: str) -> None:
    """Edit the pressed message's pledge button to show `count`."""
    query = update.callback_query
    assert query is not None and query.data is not None
    counters = Counters.of(ctx.bot_data)
    message = query.message
    markup: InlineKeyboardMarkup | None = None
    if isinstance(message, Message):  # an accessible message (not one too old to edit)
        if message.chat.type in _GROUP_TYPES and counters.busy(message.chat.id):
            return  # many pressing at once: the job shows the count within a minute
        if message.reply_markup is not None:
            markup = _with_count(message.reply_markup, query.data, count)
            if markup == message.reply_markup:
                return  # it shows the count already (Telegram refuses an edit to nothing)
    elif query.inline_message_id is None:
        return  # Telegram no longer lets the bot see the message
    if markup is None:
        # A message posted through inline mode (the bot cannot read its buttons), or one
        # whose label is not ours: its buttons are made again, in the presser's language.
        found = await reach.published(ctx.svc.backend, post_id)
        if found is None:
            return
        channel = message is not None and message.chat.type == "channel"
        markup = await keyboard(ctx.svc, ctx.bot.username, post_id, found[0], lang,
                                campaign=found[1].campaign, pledges=count,
                                chat_kind="channel" if channel else "person")
        if message is None:  # as the inline result was made
            markup = _with_share(markup, lang, post_id)
    where: dict[str, Any] = (
        {"chat_id": message.chat.id, "message_id": message.message_id}
        if isinstance(message, Message) else {"inline_message_id": query.inline_message_id})
    try:
        await ctx.bot.edit_message_reply_markup(reply_markup=markup, rate_limit_args=NO_RETRY,
                                                **where)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.info("pledge count not shown: %s", exc.message)
    except TelegramError as exc:
        log.info("pledge count not shown: %s", exc.__class__.__name__)
    if isinstance(message, Message) and message.chat.type in _GROUP_TYPES:
        counters.edited(message.chat.id, message.message_id, count, by_press=True)


def _with_count(markup: InlineKeyboardMarkup, data: str, count: int
                ) -> InlineKeyboardMarkup | None:
    """The same buttons with the pressed pledge button's count changed; None if not found."""
    changed = False
    rows: list[list[InlineKeyboardButton]] = []
    for row in markup.inline_keyboard:
        out = []
        for button in row:
            if button.callback_data == data and _COUNT_TAIL.search(button.text):
                button = InlineKeyboardButton(
                    _COUNT_TAIL.sub(lambda _: grouped(count), button.text), callback_data=data)
                changed = True
            out.append(button)
        rows.append(out)
    return InlineKeyboardMarkup(rows) if changed else None


def _with_share(markup: InlineKeyboardMarkup | None, lang: str, post_id: int
                ) -> InlineKeyboardMarkup:
    """The buttons with a share button, so a shared post can be shared on."""
    rows = [list(row) for row in markup.inline_keyboard] if markup is not None else []
    if not any(b.switch_inline_query is not None for row in rows for b in row):
        rows.append([InlineKeyboardButton(t(lang, "post.button.share"),
                                          switch_inline_query=share_query(post_id))])
    return InlineKeyboardMarkup(rows)


def _carries_buttons(payload: dict[str, Any], lang: str) -> bool:
    """Whether a post's first message holds its buttons (the message `channel_posts` keeps).

    An album, or a caption too long for its file, puts the buttons in a second message,
    whose id is not kept; those counters are not refreshed.
    """
    media = payload.get("media", [])
    if not media:
        return True
    return len(media) == 1 and visible_length(text_for(payload, lang)) <= CAPTION_LIMIT


async def refresh_counters(ctx: Ctx) -> None:
    """Show the current pledge counts under recent group and channel posts (bounded)."""
    svc = ctx.svc
    counters = Counters.of(ctx.bot_data)
    counts: dict[str, int] = {}
    per_chat: Counter[int] = Counter()
    edits = 0
    for post in await reach.counter_posts(svc.backend, svc.now()):
        if edits >= REFRESH_EDITS:
            break
        if not _carries_buttons(post.payload, post.lang):
            continue
        if post.campaign not in counts:
            counts[post.campaign] = await reach.count(svc.backend, "pledge", post.campaign)
        count = counts[post.campaign]
        place = (post.tg_chat, post.message_id)
        if counters.shown.get(place) == count:
            continue
        if per_chat[post.tg_chat] >= REFRESH_PER_CHAT or counters.busy(post.tg_chat,
                                                                        by_press=True):
            continue  # next minute
        # As the post was sent: a channel's has no share button (Telegram refuses it there).
        markup = await keyboard(svc, ctx.bot.username, post.post_id, post.payload, post.lang,
                                campaign=post.campaign, pledges=count, chat_kind=post.kind)
        edits += 1
        per_chat[post.tg_chat] += 1
        try:
            await ctx.bot.edit_message_reply_markup(
                chat_id=post.tg_chat, message_id=post.message_id, reply_markup=markup,
                rate_limit_args=NO_RETRY)
        except BadRequest as exc:
            # "not modified": it shows the count already; deleted or too old: it never will.
            if "not modified" not in exc.message.lower():
                log.info("a pledge counter in a %s not refreshed: %s", post.kind, exc.message)
        except TelegramError as exc:
            log.info("pledge counters not refreshed: %s", exc.__class__.__name__)
            return  # a 429 or an outage: try again next minute
        counters.edited(post.tg_chat, post.message_id, count, by_press=False)


# -- inline mode: shares ---------------------------------------------------------------------
def _plain(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", text)).split())


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def _post_result(svc: Services, bot_username: str, post_id: int, lang: str
                       ) -> InlineQueryResultArticle | None:
    """A published post as an inline result: its text and buttons, share button kept."""
    found = await reach.published(svc.backend, post_id)
    if found is None:
        return None
    payload, meta = found
    texts: dict[str, str] = payload.get("text", {})
    lang = lang if texts.get(lang) else "mn"
    text = text_for(payload, lang)
    plain = _plain(text)
    title = _short(meta.title or plain or t(lang, "reach.inline.post_title", id=post_id), 64)
    if not plain:  # a poster or video without words: the article carries its title
        text = f"<b>{esc(title)}</b>\n\n" + t(lang, "reach.inline.media_note", bot=bot_username)
    elif payload.get("media"):
        text += "\n\n" + t(lang, "reach.inline.media_note", bot=bot_username)
        if visible_length(text) > 4096:
            text = text_for(payload, lang)
    markup = await keyboard(svc, bot_username, post_id, payload, lang, campaign=meta.campaign)
    return InlineQueryResultArticle(
        id=share_query(post_id), title=title, description=_short(plain, 120) or None,
        input_message_content=InputTextMessageContent(text, parse_mode="HTML"),
        reply_markup=_with_share(markup, lang, post_id),
    )


def _bot_result(bot_username: str, lang: str) -> InlineQueryResultArticle:
    """For any other query: a message pointing to the bot (sharing the bot itself)."""
    return InlineQueryResultArticle(
        id="bot", title=t(lang, "reach.inline.bot_title"),
        description=t(lang, "reach.inline.bot_description"),
        input_message_content=InputTextMessageContent(
            t(lang, "reach.inline.bot_text", bot=bot_username), parse_mode="HTML"),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(
            t(lang, "reach.inline.open_bot"), url=f"https://t.me/{bot_username}")]]),
    )


async def inline_share(update: Update, ctx: Ctx) -> None:
    """Answers `@bot post<id>` with the post, ready to send; anything else with the bot."""
    query = update.inline_query
    assert query is not None
    lang = await lang_of(update, ctx)
    results: list[InlineQueryResultArticle] = []
    if not query.offset:  # one page only
        found = SHARE_QUERY.match(query.query.strip())
        result = None
        if found is not None:
            result = await _post_result(ctx.svc, ctx.bot.username, int(found[1]), lang)
        results.append(result or _bot_result(ctx.bot.username, lang))
    try:
        # Personal: the answer is in the asker's language. Short: counts move.
        await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=True)
    except TelegramError as exc:  # the person typed on, or the query is too old
        log.info("inline query not answered: %s", exc.__class__.__name__)


async def chosen(update: Update, ctx: Ctx) -> None:
    """Someone sent a post through inline mode: a share, counted once per person per post.

    Telegram reports chosen results only with inline feedback switched on for the bot
    in @BotFather (/setinlinefeedback); it says who chose a result, never where it went.
    """
    result = update.chosen_inline_result
    assert result is not None
    found = SHARE_QUERY.match(result.result_id)
    if found is None:
        return
    try:
        await reach.shared(ctx.svc.backend, int(found[1]), citizen(update), ctx.svc.now())
    except reach.NotCountable:
        log.info("a chosen inline result for a post that is not out was not counted")


def register(app: App) -> None:
    """The buttons under posts, inline shares, and the job refreshing group counters."""
    app.add_handler(CallbackQueryHandler(useful, pattern=r"^ru:"))
    app.add_handler(CallbackQueryHandler(pledge, pattern=r"^rp:"))
    app.add_handler(InlineQueryHandler(inline_share))
    app.add_handler(ChosenInlineResultHandler(chosen, pattern=SHARE_QUERY))
    if app.job_queue is not None:
        # Jobs live in memory: registered with the application, running once it starts.
        app.job_queue.run_repeating(refresh_counters, interval=REFRESH_SECONDS,
                                    first=REFRESH_SECONDS, name="pledge-counters")
