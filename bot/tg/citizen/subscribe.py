"""`/subscribe`, `/unsubscribe`, `/stop` and the News button: posts, opted into and out of at once.

Blocking the bot counts as leaving (Telegram tells the bot with a `my_chat_member` update).
"""

from __future__ import annotations

import contextlib

from telegram import ChatMember, ChatMemberUpdated, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.core import outreach
from bot.i18n import t
from bot.tg.common import (
    CHANNEL,
    App,
    Ctx,
    answer_callback,
    buttons,
    lang_of,
    menu_button,
    reply,
)

PRIVATE = filters.ChatType.PRIVATE


async def subscribe(update: Update, ctx: Ctx) -> None:
    """Opts in to the office's posts, in the person's language."""
    lang = await lang_of(update, ctx)
    chat = update.effective_chat
    assert chat is not None
    joined = await outreach.subscribe(ctx.svc.backend, CHANNEL, str(chat.id), lang,
                                      ctx.svc.now())
    await reply(update, t(lang, "subscribe.done" if joined else "subscribe.already"))


async def unsubscribe(update: Update, ctx: Ctx) -> None:
    """Opts out at once; broadcasts already under way skip this person."""
    lang = await lang_of(update, ctx)
    chat = update.effective_chat
    assert chat is not None
    left = await outreach.unsubscribe(ctx.svc.backend, CHANNEL, str(chat.id), ctx.svc.now())
    await reply(update, t(lang, "subscribe.left" if left else "subscribe.not_subscribed"))


async def blocked(update: Update, ctx: Ctx) -> None:
    """The person blocked the bot: no more posts (they can /subscribe again)."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type != change.chat.PRIVATE:
        return
    if change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT):
        await outreach.unsubscribe(ctx.svc.backend, CHANNEL, str(change.chat.id), ctx.svc.now(),
                                   status="blocked")


async def news_menu(update: Update, ctx: Ctx) -> None:
    """The News button: says whether posts come, with one button to change it."""
    lang = await lang_of(update, ctx)
    chat = update.effective_chat
    assert chat is not None
    on = await outreach.is_subscribed(ctx.svc.backend, CHANNEL, str(chat.id))
    await reply(update, t(lang, "subscribe.menu_on" if on else "subscribe.menu_off"),
                reply_markup=_toggle(lang, on))


def _toggle(lang: str, on: bool) -> InlineKeyboardMarkup:
    return buttons([[(t(lang, "subscribe.button_off"), "sub:off")] if on
                    else [(t(lang, "subscribe.button_on"), "sub:on")]])


async def toggle(update: Update, ctx: Ctx) -> None:
    """A press on the News button's answer: opts in or out, and says so in place."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    lang = await lang_of(update, ctx)
    chat_id, now = str(update.effective_chat.id), ctx.svc.now()
    if query.data == "sub:on":
        await outreach.subscribe(ctx.svc.backend, CHANNEL, chat_id, lang, now)
        text, on = t(lang, "subscribe.done"), True
    else:
        await outreach.unsubscribe(ctx.svc.backend, CHANNEL, chat_id, now)
        text, on = t(lang, "subscribe.left"), False
    await answer_callback(update)
    with contextlib.suppress(BadRequest):  # pressed twice: "message is not modified"
        await query.edit_message_text(text, reply_markup=_toggle(lang, on))


def register(app: App) -> None:
    """The commands, the News button, and the block notice."""
    app.add_handler(CommandHandler("subscribe", subscribe, filters=PRIVATE))
    app.add_handler(CommandHandler(["unsubscribe", "stop"], unsubscribe, filters=PRIVATE))
    app.add_handler(MessageHandler(PRIVATE & menu_button("menu.news"), news_menu))
    app.add_handler(CallbackQueryHandler(toggle, pattern=r"^sub:(on|off)$"))
    app.add_handler(ChatMemberHandler(blocked, ChatMemberHandler.MY_CHAT_MEMBER))
