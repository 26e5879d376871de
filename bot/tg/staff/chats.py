"""Groups and channels as audiences: the bot notices being added, an admin confirms.

Also the reaction counts Telegram reports for the office's channel posts (the nearest a
bot gets to how a post was received: bots cannot see views).
"""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ChatMemberHandler, CommandHandler, MessageReactionHandler

from bot.core import audiences
from bot.core.errors import DomainError
from bot.core.models import Role
from bot.i18n import t
from bot.tg.access import Access, StaffCallbackHandler
from bot.tg.common import App, Ctx, answer_callback, buttons, esc, lang_of, reply, reply_long
from bot.tg.staff.cases import refuse

log = logging.getLogger(__name__)

IN_CHAT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.RESTRICTED)


def _decision_buttons(lang: str, chat_id: int) -> InlineKeyboardMarkup:
    return buttons([[(t(lang, "chats.accept"), f"ch:y:{chat_id}"),
                     (t(lang, "chats.decline"), f"ch:n:{chat_id}")]])


async def membership(update: Update, ctx: Ctx) -> None:
    """The bot was added to, promoted in, or removed from a group or channel."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type == change.chat.PRIVATE:
        return
    svc = ctx.svc
    chat = change.chat
    if chat.id == svc.settings.staff_chat:
        return  # the office's own working group is not an audience
    status = change.new_chat_member.status
    if status not in IN_CHAT:
        if await audiences.chat_left(svc.backend, chat.id, svc.now()):
            log.info("the bot left a %s; it gets no more posts", chat.type)
        return
    kind = "channel" if chat.type == chat.CHANNEL else "group"
    is_admin = status == ChatMember.ADMINISTRATOR
    info, ask = await audiences.chat_seen(svc.backend, chat.id, kind, chat.title or "",
                                          is_admin, svc.now())
    if not ask:
        return
    lang = "mn"
    text = t(lang, f"chats.ask_{kind}", title=esc(info.title))
    if kind == "channel" and not is_admin:
        text += "\n" + t(lang, "chats.needs_admin")
    for user_id, role in svc.staff.items():
        if role is not Role.ADMIN:
            continue
        try:
            await ctx.bot.send_message(user_id, text, parse_mode="HTML",
                                       reply_markup=_decision_buttons(lang, info.id))
        except TelegramError as exc:
            log.info("admin not asked about a new chat: %s", exc.__class__.__name__)


async def decide(update: Update, ctx: Ctx) -> None:
    """An admin pressed yes or no on a group or channel."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    lang = await lang_of(update, ctx)
    _, answer, raw_id = query.data.split(":")
    try:
        info = await audiences.decide(ctx.svc.backend, update.effective_user.id, int(raw_id),
                                      answer == "y", ctx.svc.now())
    except DomainError as exc:
        await answer_callback(update)
        await refuse(update, ctx, exc)
        return
    except LookupError:
        await answer_callback(update, t(lang, "chats.gone"), alert=True)
        return
    await answer_callback(update)
    key = "chats.accepted" if info.status == "active" else "chats.declined"
    text = t(lang, key, title=esc(info.title))
    if info.status == "active" and info.kind == "channel" and not info.is_admin:
        text += "\n" + t(lang, "chats.needs_admin")
    await reply(update, text)


async def list_chats(update: Update, ctx: Ctx) -> None:
    """`/chats`: the groups and channels the bot is in, with their state."""
    lang = await lang_of(update, ctx)
    found = await audiences.chats(ctx.svc.backend)
    if not found:
        await reply(update, t(lang, "chats.none"))
        return
    await reply(update, t(lang, "chats.header"))
    for info in found:
        line = t(lang, "chats.line", title=esc(info.title), kind=t(lang, f"chats.kind_{info.kind}"),
                 status=t(lang, f"chats.status_{info.status}"))
        markup = _decision_buttons(lang, info.id) if info.status == "pending" else None
        await reply_long(update, [line], reply_markup=markup)


async def reaction_count(update: Update, ctx: Ctx) -> None:
    """A channel post's reaction totals changed (anonymous counts, no people)."""
    counts = update.message_reaction_count
    if counts is None:
        return
    total = sum(r.total_count for r in counts.reactions)
    await audiences.reactions(ctx.svc.backend, counts.chat.id, counts.message_id, total,
                              ctx.svc.now())


def register(app: App, access: Access) -> None:
    """Admin buttons and `/chats`; membership and reactions in their own group."""
    app.add_handler(StaffCallbackHandler(decide, r"^ch:[yn]:\d{1,12}$", access.admin))
    app.add_handler(CommandHandler("chats", list_chats, filters=access.admin))
    # Group 1: a private chat's block is handled by subscribe.py in group 0; groups and
    # channels come here whatever group 0 did with the update.
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER), group=1)
    counts_only = MessageReactionHandler.MESSAGE_REACTION_COUNT_UPDATED
    app.add_handler(MessageReactionHandler(reaction_count, message_reaction_types=counts_only),
                    group=1)
