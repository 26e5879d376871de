"""One conversation for everything a citizen does step by step: submitting, and /status.

They are one ConversationHandler on purpose: with two, a citizen who left one flow for the
other (the menu is always there) would have the first flow still waiting, and it would take
the next typed text. Here every entry point is also a fallback, so a menu button or command
switches flows from any step; drafts are in the database, so nothing is lost by switching.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler, TypeHandler

from bot.core import complaints
from bot.i18n import t
from bot.tg.citizen import complaint, status
from bot.tg.citizen.complaint import PRIVATE
from bot.tg.common import App, Ctx, citizen, lang_of, main_menu, reply


async def cancel(update: Update, ctx: Ctx) -> int:
    """`/cancel`: ends whichever flow is running and discards its draft."""
    flow = ctx.user_data.get("flow") if ctx.user_data is not None else None
    if flow == "status":
        return await status.cancel(update, ctx)
    return await complaint.cancel(update, ctx)


async def timed_out(update: object, ctx: Ctx) -> None:
    """Tells the citizen an idle draft was deleted (the clean-up job deletes it too)."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    lang = await lang_of(update, ctx)
    who = citizen(update)
    had_draft = False
    for purpose in (complaints.COMPLAINT, complaints.FOLLOWUP):
        draft = await complaints.load_draft(ctx.svc.backend, who, purpose)
        if draft is not None and draft.receipt is None:
            await complaints.discard_draft(ctx.svc.backend, who, purpose)
            had_draft = True
    if had_draft:  # someone who only looked up a receipt needs no goodbye
        await reply(update, t(lang, "complaint.timed_out",
                              minutes=ctx.svc.settings.draft_idle_minutes),
                    reply_markup=main_menu(lang))


def conversation(idle_minutes: int) -> ConversationHandler[Ctx]:
    """Submission and status steps; `/cancel`, Cancel buttons and the menu work at every step."""
    entries = [*complaint.entry_points(), *status.entry_points()]
    return ConversationHandler(
        name="citizen",
        entry_points=entries,
        states={
            **complaint.states(),
            **status.states(),
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[CommandHandler("cancel", cancel, filters=PRIVATE),
                   *complaint.cancel_handlers(), *status.cancel_handlers(), *entries],
        allow_reentry=True,
        conversation_timeout=idle_minutes * 60,
    )


def register(app: App, idle_minutes: int) -> None:
    """The citizen conversation, and the receipt's notice buttons."""
    app.add_handler(conversation(idle_minutes))
    complaint.register(app)
