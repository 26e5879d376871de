"""`/status`: read a case by its receipt, and add a follow-up to it."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.core import complaints
from bot.core.complaints import FOLLOWUP
from bot.core.errors import InvalidDraft, NotFound, TooManyAttempts
from bot.core.models import Draft, Status
from bot.i18n import t
from bot.tg.citizen import survey
from bot.tg.citizen.attachments import download, incoming_file
from bot.tg.citizen.complaint import FILES, FREE_TEXT, OTHER, PRIVATE
from bot.tg.common import (
    Ctx,
    answer_callback,
    buttons,
    citizen,
    drop_keyboard,
    lang_of,
    main_menu,
    menu_button,
    reply,
    reply_long,
    tell_staff,
)
from bot.tg.render import citizen_view

log = logging.getLogger(__name__)

AWAIT_RECEIPT, WRITING = "await_receipt", "writing"
END = ConversationHandler.END


async def begin(update: Update, ctx: Ctx) -> str | int:
    """Shows the case for a receipt given with the command, or asks for the receipt."""
    if ctx.user_data is not None:
        ctx.user_data["flow"] = "status"
    if ctx.args:
        return await _lookup(update, ctx, " ".join(ctx.args))
    lang = await lang_of(update, ctx)
    await reply(update, t(lang, "status.ask_receipt"),
                reply_markup=buttons([[(t(lang, "button.cancel"), "st:cancel")]]))
    return AWAIT_RECEIPT


async def not_a_receipt(update: Update, ctx: Ctx) -> str:
    """Asks again for the receipt, typed as digits."""
    await reply(update, t(await lang_of(update, ctx), "status.ask_receipt"))
    return AWAIT_RECEIPT


async def got_receipt(update: Update, ctx: Ctx) -> str | int:
    """Takes the typed receipt and shows the case."""
    assert update.effective_message is not None
    return await _lookup(update, ctx, update.effective_message.text or "")


async def _lookup(update: Update, ctx: Ctx, receipt_text: str) -> str | int:
    lang = await lang_of(update, ctx)
    chat = update.effective_chat
    assert chat is not None
    svc = ctx.svc
    try:
        view = await complaints.check_status(svc.backend, citizen(update), receipt_text,
                                             svc.now())
    except TooManyAttempts as exc:
        await reply(update, t(lang, "status.too_many", minutes=max(1, exc.retry_after // 60 + 1)),
                    reply_markup=main_menu(lang))
        return END
    except NotFound:
        await reply(update, t(lang, "status.not_found"),
                    reply_markup=buttons([[(t(lang, "button.cancel"), "st:cancel")]]))
        return AWAIT_RECEIPT
    tag = svc.backend.vault.tag("followup", view.complaint_id, chat.id)
    rows = [[(t(lang, "button.followup"), f"st:fu:{view.complaint_id}:{tag}")]]
    # A handled case: a two-question rating (FixMyStreet asks "was it fixed?"); its answers
    # are stored without the case, for the statistics only.
    if view.status in (Status.ANSWERED, Status.CLOSED) and \
            (rate := survey.rating_button(ctx, lang, view.complaint_id, chat.id)) is not None:
        rows.append([rate])
    await reply_long(update, citizen_view(svc, lang, view), reply_markup=buttons(rows))
    return END


async def start_followup(update: Update, ctx: Ctx) -> str | int:
    """Asks for the follow-up message (text and files), then "Send"."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and query.data is not None and chat is not None
    lang = await lang_of(update, ctx)
    _, _, cid_text, tag = query.data.split(":")
    complaint_id = int(cid_text)
    if not ctx.svc.backend.vault.check_tag(tag, "followup", complaint_id, chat.id):
        await answer_callback(update, t(lang, "error.stale_button"), alert=True)
        return END
    await answer_callback(update)
    await drop_keyboard(update)
    if ctx.user_data is not None:
        ctx.user_data["flow"] = "status"
    draft = Draft(step=WRITING, complaint_id=complaint_id, lang=lang)
    await complaints.save_draft(ctx.svc.backend, citizen(update), draft, ctx.svc.now(),
                                FOLLOWUP)
    await reply(update, t(lang, "followup.ask", number=complaint_id),
                reply_markup=buttons([[(t(lang, "button.send"), "st:send")],
                                      [(t(lang, "button.cancel"), "st:cancel")]]))
    return WRITING


async def remind(update: Update, ctx: Ctx) -> str:
    """Says a follow-up is being written, with its Send and Cancel buttons."""
    lang = await lang_of(update, ctx)
    draft = await _followup_draft(update, ctx)
    number = draft.complaint_id if draft is not None else "?"
    await reply(update, t(lang, "followup.ask", number=number),
                reply_markup=buttons([[(t(lang, "button.send"), "st:send")],
                                      [(t(lang, "button.cancel"), "st:cancel")]]))
    return WRITING


async def _followup_draft(update: Update, ctx: Ctx) -> Draft | None:
    return await complaints.load_draft(ctx.svc.backend, citizen(update), FOLLOWUP)


async def followup_text(update: Update, ctx: Ctx) -> str | int:
    """Adds text to the follow-up."""
    draft = await _followup_draft(update, ctx)
    lang = await lang_of(update, ctx)
    if draft is None:
        await reply(update, t(lang, "complaint.expired"))
        return END
    assert update.effective_message is not None
    try:
        complaints.add_text(draft, update.effective_message.text or "")
    except InvalidDraft as exc:
        await reply(update, t(lang, f"draft.{exc.reason}", chars=draft.text_length,
                              max=complaints.MAX_FOLLOWUP_TEXT))
        return WRITING
    await complaints.save_draft(ctx.svc.backend, citizen(update), draft, ctx.svc.now(), FOLLOWUP)
    await _ack(update, lang, draft)
    return WRITING


async def followup_file(update: Update, ctx: Ctx) -> str | int:
    """Adds a file to the follow-up."""
    draft = await _followup_draft(update, ctx)
    lang = await lang_of(update, ctx)
    message = update.effective_message
    if draft is None or message is None:
        await reply(update, t(lang, "complaint.expired"))
        return END
    incoming = incoming_file(message)
    if incoming is None:
        await reply(update, t(lang, "draft.wrong_type"))
        return WRITING
    try:
        complaints.check_attachment(draft, incoming.size)
        draft.attachments.append(await download(ctx, incoming))
        if message.caption:
            complaints.add_text(draft, message.caption)
    except InvalidDraft as exc:
        await reply(update, t(lang, f"draft.{exc.reason}", chars=draft.text_length,
                              max=complaints.MAX_FOLLOWUP_TEXT,
                              max_mb=complaints.MAX_FILE_BYTES // (1024 * 1024),
                              max_files=complaints.MAX_ATTACHMENTS))
    await complaints.save_draft(ctx.svc.backend, citizen(update), draft, ctx.svc.now(), FOLLOWUP)
    await _ack(update, lang, draft)
    return WRITING


async def _ack(update: Update, lang: str, draft: Draft) -> None:
    await reply(update, t(lang, "followup.ack", chars=draft.text_length,
                          files=len(draft.attachments)),
                reply_markup=buttons([[(t(lang, "button.send"), "st:send")]]))


async def send_followup(update: Update, ctx: Ctx) -> str | int:
    """Adds the follow-up to the case and tells staff (without its content)."""
    await answer_callback(update)
    lang = await lang_of(update, ctx)
    draft = await _followup_draft(update, ctx)
    if draft is None:
        await reply(update, t(lang, "complaint.expired"))
        return END
    svc = ctx.svc
    try:
        complaint_id = await complaints.add_followup(svc.backend, citizen(update), draft,
                                                     svc.now())
    except InvalidDraft:
        await reply(update, t(lang, "followup.empty"))
        return WRITING
    except NotFound:
        await reply(update, t(lang, "complaint.expired"))
        return END
    await drop_keyboard(update)
    await reply(update, t(lang, "followup.sent"), reply_markup=main_menu(lang))
    await tell_staff(ctx, t("mn", "staff.followup", number=complaint_id))
    return END


async def cancel(update: Update, ctx: Ctx) -> int:
    """Drops the lookup or the follow-up draft, and shows the menu."""
    await answer_callback(update)
    await drop_keyboard(update)
    lang = await lang_of(update, ctx)
    await complaints.discard_draft(ctx.svc.backend, citizen(update), FOLLOWUP)
    await reply(update, t(lang, "status.cancelled"), reply_markup=main_menu(lang))
    return END


def entry_points() -> list[BaseHandler[Update, Ctx, Any]]:
    """What starts a lookup or a follow-up, from anywhere."""
    return [
        CommandHandler("status", begin, filters=PRIVATE),
        MessageHandler(PRIVATE & menu_button("menu.status"), begin),
        CallbackQueryHandler(start_followup, pattern=r"^st:fu:\d{1,10}:[A-Za-z0-9_-]{10}$"),
    ]


def states() -> dict[object, list[BaseHandler[Update, Ctx, Any]]]:
    """Waiting for a receipt; writing a follow-up."""
    return {
        AWAIT_RECEIPT: [MessageHandler(FREE_TEXT, got_receipt),
                        MessageHandler(OTHER, not_a_receipt)],
        WRITING: [MessageHandler(FREE_TEXT, followup_text),
                  MessageHandler(FILES, followup_file),
                  CallbackQueryHandler(send_followup, pattern=r"^st:send$"),
                  MessageHandler(OTHER, followup_file)],
    }


def cancel_handlers() -> list[BaseHandler[Update, Ctx, Any]]:
    """The Cancel button of this flow."""
    return [CallbackQueryHandler(cancel, pattern=r"^st:cancel$")]
