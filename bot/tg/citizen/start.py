"""Greeting, help, privacy, language, and the catch-alls that keep nobody stuck."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.core import complaints, reach
from bot.core.backend import record_event
from bot.i18n import LANGS, t
from bot.tg.common import (
    App,
    Ctx,
    answer_callback,
    buttons,
    citizen,
    drop_keyboard,
    lang_of,
    main_menu,
    menu_button,
    reply,
)

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
# Deep-link payloads are at most 64 characters of A-Z a-z 0-9 _ - (Telegram drops others).
_PAYLOAD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


async def start(update: Update, ctx: Ctx) -> None:
    """Shows what the bot is, the privacy promise, and the main menu."""
    lang = await lang_of(update, ctx)
    source = ctx.args[0] if ctx.args else ""
    if source and (len(source) > 64 or not set(source) <= _PAYLOAD_CHARS):
        source = ""
    await record_event(ctx.svc.backend, "start", ctx.svc.now(), source=source)
    if source:
        await _arrived(update, ctx, source)
    await reply(update, t(lang, "start.welcome"), reply_markup=main_menu(lang))


async def _arrived(update: Update, ctx: Ctx, code: str) -> None:
    """A deep link or QR code of a named source: that source's count, once per person."""
    try:
        await reach.arrived(ctx.svc.backend, code, citizen(update), ctx.svc.now())
    except reach.UnknownSource:
        pass  # a typo, a guess or a source since removed: the welcome is the same
    except Exception:  # a statistic must not stand between a person and the bot
        log.exception("an arrival was not counted")


async def help_(update: Update, ctx: Ctx) -> None:
    """Shows the commands a citizen can use."""
    lang = await lang_of(update, ctx)
    await reply(update, t(lang, "help.text"), reply_markup=main_menu(lang))


async def privacy(update: Update, ctx: Ctx) -> None:
    """Shows what is stored, what is not, and what Telegram itself sees."""
    lang = await lang_of(update, ctx)
    await reply(update, t(lang, "privacy.text"))


async def choose_lang(update: Update, ctx: Ctx) -> None:
    """Offers the two languages as buttons."""
    lang = await lang_of(update, ctx)
    await reply(
        update, t(lang, "lang.choose"),
        reply_markup=buttons([[(t(code, "lang.name"), f"lang:{code}") for code in LANGS]]),
    )


async def set_lang(update: Update, ctx: Ctx) -> None:
    """Switches the language and shows the menu in it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.removeprefix("lang:")
    if code not in LANGS:
        await answer_callback(update, t(await lang_of(update, ctx), "error.stale_button"))
        return
    await complaints.set_lang(ctx.svc.backend, citizen(update), code)
    if ctx.user_data is not None:
        ctx.user_data["lang"] = code
    await answer_callback(update)
    await drop_keyboard(update)
    await reply(update, t(code, "lang.set"), reply_markup=main_menu(code))


async def my_id(update: Update, ctx: Ctx) -> None:
    """Shows the user's numeric id, which an admin needs to add them to staff."""
    lang = await lang_of(update, ctx)
    user = update.effective_user
    assert user is not None
    await reply(update, t(lang, "myid.text", id=user.id))


async def cancel_outside(update: Update, ctx: Ctx) -> None:
    """`/cancel` with no flow running: discards a draft saved before a restart, if any."""
    lang = await lang_of(update, ctx)
    who = citizen(update)
    had_draft = False
    for purpose in (complaints.COMPLAINT, complaints.FOLLOWUP):
        if await complaints.load_draft(ctx.svc.backend, who, purpose) is not None:
            await complaints.discard_draft(ctx.svc.backend, who, purpose)
            had_draft = True
    key = "complaint.cancelled" if had_draft else "cancel.nothing"
    await reply(update, t(lang, key), reply_markup=main_menu(lang))


async def unknown_command(update: Update, ctx: Ctx) -> None:
    """A command the bot does not know."""
    lang = await lang_of(update, ctx)
    await reply(update, t(lang, "fallback.unknown_command"), reply_markup=main_menu(lang))


async def stale_button(update: Update, ctx: Ctx) -> None:
    """Any button we no longer know (old, forged, from before a restart)."""
    lang = await lang_of(update, ctx)
    await answer_callback(update, t(lang, "error.stale_button"), alert=True)


def register(app: App) -> None:
    """Citizen commands that are not a conversation."""
    app.add_handler(CommandHandler("start", start, filters=PRIVATE))
    app.add_handler(CommandHandler("help", help_, filters=PRIVATE))
    app.add_handler(CommandHandler("privacy", privacy, filters=PRIVATE))
    app.add_handler(CommandHandler("lang", choose_lang, filters=PRIVATE))
    app.add_handler(CommandHandler("myid", my_id, filters=PRIVATE))
    app.add_handler(CommandHandler("cancel", cancel_outside, filters=PRIVATE))
    app.add_handler(MessageHandler(PRIVATE & menu_button("menu.about"), privacy))
    app.add_handler(MessageHandler(PRIVATE & menu_button("menu.lang"), choose_lang))
    app.add_handler(CallbackQueryHandler(set_lang, pattern=r"^lang:"))


def register_catch_alls(app: App) -> None:
    """Last in line: a button nothing else took gets a polite answer.

    (Messages nothing else took are picked up by the conversation in `flow`.)
    """
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, unknown_command))
