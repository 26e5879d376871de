"""One conversation for everything done step by step: submitting, /status, staff input, /post.

They are one ConversationHandler on purpose. With several, a person who left one flow for
another (the menu is always there) would still have the first one waiting, and it would take
the next text they type. Here each flow's entry points are also fallbacks, so a command,
menu button or case button switches flows from any step; drafts live in the database, so
switching loses nothing.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.core import complaints
from bot.i18n import t
from bot.tg.access import Access
from bot.tg.citizen import complaint, status, survey
from bot.tg.citizen.complaint import PRIVATE
from bot.tg.common import (
    ANY_MENU_BUTTON,
    App,
    Ctx,
    answer_callback,
    citizen,
    lang_of,
    main_menu,
    reply,
)
from bot.tg.staff import actions, posts
from bot.tg.staff import log as offline_log
from bot.tg.staff import surveys as staff_surveys

END = ConversationHandler.END
Handlers = list[BaseHandler[Update, Ctx, Any]]


async def cancel(update: Update, ctx: Ctx) -> int:
    """`/cancel`: ends whichever flow is running and discards its draft."""
    flow = ctx.user_data.get("flow") if ctx.user_data is not None else None
    if flow == "status":
        return await status.cancel(update, ctx)
    if flow == "staff":
        return await actions.abort(update, ctx)
    if flow in (posts.FLOW_NEW, posts.FLOW_EDIT):
        return await posts.cancel(update, ctx)
    if flow == offline_log.FLOW:
        return await offline_log.abort(update, ctx)
    if flow == survey.FLOW:
        return await survey.cancel(update, ctx)
    if flow == staff_surveys.FLOW:
        return await staff_surveys.cancel(update, ctx)
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


def conversation(idle_minutes: int, access: Access) -> ConversationHandler[Ctx]:
    """Every step of every flow; `/cancel`, Cancel buttons and the menu work at each one."""
    steps = {**complaint.states(), **status.states(), **actions.states(access),
             **posts.states(access), **offline_log.states(access), **survey.states(),
             **staff_surveys.states(access)}

    async def pick_up(update: Update, ctx: Ctx) -> object:
        """Continues a saved draft at its step when no flow is running (after a restart).

        The message or button is handled as if nothing had happened; with no draft, the
        person is pointed to the menu. A citizen's drafts come first (they expire within
        the half hour); then a staff member's post being composed.
        """
        who = citizen(update)
        backend = ctx.svc.backend
        draft = await complaints.load_draft(backend, who)
        if draft is not None and draft.receipt is not None:
            return await complaint.offer_resume(update, ctx, draft)  # shows the receipt
        step: str | None = None
        if (await complaints.load_draft(backend, who, complaints.FOLLOWUP)) is not None:
            step, flow = status.WRITING, "status"
        elif draft is not None:
            step = draft.step if draft.step in complaint.PROMPTS else complaint.KIND
            flow = "complaint"
        elif (post := await posts.pending(update, ctx)) is not None:
            step, flow = post
        if step is None:
            lang = await lang_of(update, ctx)
            if update.callback_query is not None:
                await answer_callback(update, t(lang, "error.stale_button"), alert=True)
            else:
                await reply(update, t(lang, "fallback.menu"), reply_markup=main_menu(lang))
            return END
        if ctx.user_data is not None:
            ctx.user_data["flow"] = flow
        for handler in steps[step]:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return await handler.callback(update, ctx)
        if update.callback_query is not None:  # a button of another step
            await answer_callback(update, t(await lang_of(update, ctx), "error.stale_button"),
                                  alert=True)
            return step
        if draft is not None and flow == "complaint":
            return await complaint.offer_resume(update, ctx, draft)
        if flow in (posts.FLOW_NEW, posts.FLOW_EDIT):
            return await posts.remind(update, ctx, flow)
        return await status.remind(update, ctx)

    entries: Handlers = [
        *complaint.entry_points(), *status.entry_points(), *actions.entry_points(access),
        *posts.entry_points(access), *offline_log.entry_points(access),
        *survey.entry_points(), *staff_surveys.entry_points(access),
        MessageHandler(PRIVATE & ~filters.COMMAND & ~ANY_MENU_BUTTON & ~filters.StatusUpdate.ALL,
                       pick_up),
        CallbackQueryHandler(pick_up, pattern=r"^(c|st|pp|pe):"),
    ]
    cancels: Handlers = [
        CommandHandler("cancel", cancel, filters=PRIVATE),
        *complaint.cancel_handlers(), *status.cancel_handlers(), *actions.cancel_handlers(access),
        *posts.cancel_handlers(access), *offline_log.cancel_handlers(access),
        *staff_surveys.cancel_handlers(access),
    ]
    with warnings.catch_warnings():
        # PTB warns that per_message=False does not track buttons per message; one state
        # per person is the point here (drafts are per person, buttons carry no state).
        warnings.filterwarnings("ignore", message="If 'per_message=False'",
                                category=PTBUserWarning)
        return ConversationHandler(
            name="steps",
            entry_points=entries,
            states={**steps, ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)]},
            # No allow_reentry: that would check entry points before a step's own handlers.
            # As fallbacks they are checked after, so typed text stays with the step.
            fallbacks=[*cancels, *entries],
            conversation_timeout=idle_minutes * 60,
        )


def register(app: App, idle_minutes: int, access: Access) -> None:
    """The conversation, and the receipt's notice buttons (which outlive it)."""
    app.add_handler(conversation(idle_minutes, access))
    complaint.register(app)
