"""`/subscribe`, `/unsubscribe` and `/stop`: awareness posts, opted into and out of at once.

Blocking the bot counts as leaving (Telegram tells the bot with a `my_chat_member` update).
"""

from __future__ import annotations

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.ext import ChatMemberHandler, CommandHandler, filters

from bot.core import outreach
from bot.i18n import t
from bot.tg.common import CHANNEL, App, Ctx, lang_of, reply

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


def register(app: App) -> None:
    """The commands, and the block notice."""
    app.add_handler(CommandHandler("subscribe", subscribe, filters=PRIVATE))
    app.add_handler(CommandHandler(["unsubscribe", "stop"], unsubscribe, filters=PRIVATE))
    app.add_handler(ChatMemberHandler(blocked, ChatMemberHandler.MY_CHAT_MEMBER))
