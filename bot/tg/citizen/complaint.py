"""The 110 box conversation: kind → whom → description → identity → preview → receipt.

Every step saves the (encrypted) draft, so a restart mid-flow loses nothing: the next
message the citizen sends is offered the draft back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

from telegram import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.core import complaints
from bot.core.errors import InvalidDraft, TooManyAttempts
from bot.core.models import Draft, Kind, NoticeTarget, Receipt, format_receipt
from bot.i18n import t
from bot.tg.citizen.attachments import download, incoming_file
from bot.tg.common import (
    ANY_MENU_BUTTON,
    CHANNEL,
    App,
    Ctx,
    Services,
    answer_callback,
    buttons,
    citizen,
    drop_keyboard,
    esc,
    fmt_date,
    kind_name,
    lang_of,
    main_menu,
    menu_button,
    org_name,
    reply,
    reply_long,
    tell_staff,
)

log = logging.getLogger(__name__)

# Conversation states; the same names are stored in the draft to resume after a restart.
RESUME, KIND, ORG, DESCRIBE, IDENTITY, NAME, PHONE, PREVIEW, EDIT = (
    "resume", "kind", "org", "describe", "identity", "name", "phone", "preview", "edit",
)
END = ConversationHandler.END
ORGS_PER_PAGE = 10
ALBUM_ACK_DELAY = 0.7  # seconds after an album's last item

PRIVATE = filters.ChatType.PRIVATE
FREE_TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND & ~ANY_MENU_BUTTON
FILES = PRIVATE & (filters.PHOTO | filters.Document.ALL | filters.VOICE | filters.VIDEO)
OTHER = PRIVATE & ~filters.COMMAND & ~ANY_MENU_BUTTON


# -- helpers ---------------------------------------------------------------------------
async def _draft(update: Update, ctx: Ctx) -> Draft | None:
    return await complaints.load_draft(ctx.svc.backend, citizen(update))


async def _save(update: Update, ctx: Ctx, draft: Draft, step: str) -> str:
    draft.step = step
    await complaints.save_draft(ctx.svc.backend, citizen(update), draft, ctx.svc.now())
    return step


async def _live_draft(update: Update, ctx: Ctx) -> Draft | None:
    """The draft to work on, or None after telling the citizen why there is none.

    A draft that was already stored (its receipt not yet seen) is never worked on again:
    the citizen is shown the receipt instead, so nothing can be submitted twice.
    """
    draft = await _draft(update, ctx)
    if draft is not None and draft.receipt is None:
        return draft
    if draft is not None:
        await offer_resume(update, ctx, draft)
        return None
    lang = await lang_of(update, ctx)
    await reply(update, t(lang, "complaint.expired"), reply_markup=main_menu(lang))
    return None


async def _answered(update: Update, question: str, answer: str) -> None:
    """Show the choice under the question it answers, in place of the buttons.

    An edit, not a new message: it keeps the chat short and costs nothing against
    Telegram's one-message-a-second pace for a private chat.
    """
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(TelegramError):  # too old to edit: the next prompt says enough
        await query.edit_message_text(f"{question}\n→ <b>{answer}</b>", parse_mode="HTML")


def _cancel_row(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, "button.cancel"), "c:cancel")]


# -- prompts: what the citizen sees at each step ---------------------------------------
async def prompt_kind(update: Update, ctx: Ctx, draft: Draft) -> None:
    """Asks whether it is a complaint, a suggestion, or a report of corruption."""
    await _ask_kind(update, draft.lang, t(draft.lang, "complaint.ask_kind"))


async def _ask_kind(update: Update, lang: str, text: str) -> None:
    await reply(update, text, reply_markup=buttons([
        [(t(lang, "kind.button.complaint"), "c:kind:complaint")],
        [(t(lang, "kind.button.suggestion"), "c:kind:suggestion")],
        [(t(lang, "kind.button.report"), "c:kind:report")],
        _cancel_row(lang),
    ]))


def _org_groups_markup(ctx: Ctx, lang: str) -> list[list[tuple[str, str]]]:
    rows = [[(g.name(lang), f"c:og:{g.code}:0")] for g in ctx.svc.orgs.groups]
    rows.append([(t(lang, "org.unsure"), "c:org:-")])
    rows.append(_cancel_row(lang))
    return rows


async def prompt_org(update: Update, ctx: Ctx, draft: Draft) -> None:
    """Asks whom it concerns: a group (soums, bodies) first, or "not sure"."""
    error = ctx.svc.orgs.refresh()
    if error is not None:
        await tell_staff(ctx, t("mn", "staff.content_error", error=esc(error)))
    await reply(update, t(draft.lang, "complaint.ask_org"),
                reply_markup=buttons(_org_groups_markup(ctx, draft.lang)))


async def prompt_describe(update: Update, ctx: Ctx, draft: Draft) -> None:
    """Asks for the description: text and files, then "Done"."""
    await reply(update, t(draft.lang, "complaint.ask_text", min=complaints.MIN_TEXT,
                          max=complaints.MAX_TEXT, files=complaints.MAX_ATTACHMENTS),
                reply_markup=buttons([[(t(draft.lang, "button.done"), "c:done")],
                                      _cancel_row(draft.lang)]))


async def prompt_identity(update: Update, ctx: Ctx, draft: Draft) -> None:
    """Offers anonymity (the default) or a named petition."""
    lang = draft.lang
    await reply(update, t(lang, "complaint.ask_identity"), reply_markup=buttons([
        [(t(lang, "identity.button.anonymous"), "c:anon")],
        [(t(lang, "identity.button.named"), "c:named")],
        _cancel_row(lang),
    ]))


async def prompt_name(update: Update, ctx: Ctx, draft: Draft) -> None:
    """Asks for the full name (a named petition must carry one)."""
    await reply(update, t(draft.lang, "complaint.ask_name"),
                reply_markup=buttons([_cancel_row(draft.lang)]))


async def prompt_phone(update: Update, ctx: Ctx, draft: Draft) -> None:
    """Asks for the phone through Telegram's contact button, or typed."""
    lang = draft.lang
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(t(lang, "identity.button.share_phone"), request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True,
    )
    await reply(update, t(lang, "complaint.ask_phone"), reply_markup=keyboard)


async def prompt_preview(update: Update, ctx: Ctx, draft: Draft) -> None:
    """Shows the whole submission with Send / Edit / Cancel."""
    lang = draft.lang
    assert draft.kind is not None
    identity = (
        t(lang, "preview.named", name=esc(draft.name), phone=esc(draft.phone))
        if draft.identity else t(lang, "preview.anonymous")
    )
    header = t(lang, "preview.header", kind=kind_name(lang, draft.kind),
               org=esc(org_name(ctx.svc, lang, draft.org_code)), identity=identity,
               files=len(draft.attachments), chars=draft.text_length)
    await reply_long(update, [header, esc(draft.text)], reply_markup=buttons([
        [(t(lang, "button.send"), "c:send")],
        [(t(lang, "button.edit"), "c:edit"), (t(lang, "button.cancel"), "c:cancel")],
    ]))


async def prompt_edit(update: Update, ctx: Ctx, draft: Draft) -> None:
    """Asks which part to change."""
    lang = draft.lang
    await reply(update, t(lang, "complaint.ask_edit"), reply_markup=buttons([
        [(t(lang, "edit.kind"), "c:e:kind"), (t(lang, "edit.org"), "c:e:org")],
        [(t(lang, "edit.more"), "c:e:more"), (t(lang, "edit.rewrite"), "c:e:rewrite")],
        [(t(lang, "edit.identity"), "c:e:identity")],
        [(t(lang, "edit.back"), "c:e:back")],
    ]))


Prompt = Callable[[Update, Ctx, Draft], Awaitable[None]]
PROMPTS: dict[str, Prompt] = {
    KIND: prompt_kind, ORG: prompt_org, DESCRIBE: prompt_describe, IDENTITY: prompt_identity,
    NAME: prompt_name, PHONE: prompt_phone, PREVIEW: prompt_preview, EDIT: prompt_edit,
}


async def _go(update: Update, ctx: Ctx, draft: Draft, step: str) -> str:
    """Save the draft at `step` and show that step's prompt."""
    await _save(update, ctx, draft, step)
    await PROMPTS[step](update, ctx, draft)
    return step


def _next(ctx: Ctx, step: str) -> str:
    """After an edit, go back to the preview rather than on through the flow."""
    if ctx.user_data is not None and ctx.user_data.pop("editing", False):
        return PREVIEW
    return step


# -- entry, resume, cancel -------------------------------------------------------------
async def begin(update: Update, ctx: Ctx) -> str | int:
    """Starts a new submission, or offers the unfinished one back."""
    if ctx.user_data is not None:
        ctx.user_data["flow"] = "complaint"
    existing = await _draft(update, ctx)
    if existing is not None:
        return await offer_resume(update, ctx, existing)
    draft = Draft(lang=await lang_of(update, ctx))
    if ctx.user_data is not None:
        ctx.user_data.pop("editing", None)
    await _save(update, ctx, draft, KIND)
    # One message for the welcome and the first question: a new chat should be calm.
    await _ask_kind(update, draft.lang, f"{t(draft.lang, 'complaint.intro')}\n\n"
                                        f"{t(draft.lang, 'complaint.ask_kind')}")
    return KIND


async def offer_resume(update: Update, ctx: Ctx, draft: Draft) -> str | int:
    """Shows a receipt not yet seen, or asks whether to continue an unfinished draft."""
    if draft.receipt is not None and draft.complaint_id is not None:
        await reply(update, t(draft.lang, "complaint.recovered"))
        await _show_receipt(update, ctx, draft, draft.receipt, draft.complaint_id)
        return END
    await reply(update, t(draft.lang, "complaint.resume", chars=draft.text_length,
                          files=len(draft.attachments)),
                reply_markup=buttons([[(t(draft.lang, "button.continue"), "c:resume")],
                                      [(t(draft.lang, "button.discard"), "c:discard")]]))
    return RESUME


async def resume(update: Update, ctx: Ctx) -> str | int:
    """Continues the saved draft at the step where it stopped."""
    if ctx.user_data is not None:
        ctx.user_data["flow"] = "complaint"
    await answer_callback(update)
    await drop_keyboard(update)
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    step = draft.step if draft.step in PROMPTS else KIND
    await PROMPTS[step](update, ctx, draft)
    return step


async def cancel(update: Update, ctx: Ctx) -> int:
    """Deletes the draft and its files, and shows the menu."""
    await answer_callback(update)
    await drop_keyboard(update)
    lang = await lang_of(update, ctx)
    await complaints.discard_draft(ctx.svc.backend, citizen(update))
    await reply(update, t(lang, "complaint.cancelled"), reply_markup=main_menu(lang))
    return END


# -- steps -----------------------------------------------------------------------------
async def chose_kind(update: Update, ctx: Ctx) -> str | int:
    """Takes the kind, then asks whom it concerns."""
    await answer_callback(update)
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    assert update.callback_query is not None and update.callback_query.data is not None
    draft.kind = Kind(update.callback_query.data.removeprefix("c:kind:"))
    await _answered(update, t(draft.lang, "complaint.ask_kind"), kind_name(draft.lang, draft.kind))
    return await _go(update, ctx, draft, _next(ctx, ORG))


async def org_page(update: Update, ctx: Ctx) -> str | int:
    """Shows one page of a group's organizations (or goes back to the groups)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = await lang_of(update, ctx)
    _, _, code, page_text = query.data.split(":")
    group = ctx.svc.orgs.group(code)
    if group is None:
        await answer_callback(update)
        with contextlib.suppress(TelegramError):  # a double tap: already showing the groups
            await query.edit_message_reply_markup(buttons(_org_groups_markup(ctx, lang)))
        return ORG
    page = int(page_text)
    items = group.items[page * ORGS_PER_PAGE : (page + 1) * ORGS_PER_PAGE]
    rows = [[(o.name(lang), f"c:org:{o.code}")] for o in items]
    nav = []
    if page > 0:
        nav.append(("◀️", f"c:og:{code}:{page - 1}"))
    nav.append((t(lang, "button.back"), "c:og:-:0"))
    if (page + 1) * ORGS_PER_PAGE < len(group.items):
        nav.append(("▶️", f"c:og:{code}:{page + 1}"))
    rows.append(nav)
    await answer_callback(update)
    with contextlib.suppress(TelegramError):  # a double tap: that page is already shown
        await query.edit_message_reply_markup(buttons(rows))
    return ORG


async def chose_org(update: Update, ctx: Ctx) -> str | int:
    """Takes the organization (or "not sure"), then asks for the description."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if (draft := await _live_draft(update, ctx)) is None:
        await answer_callback(update)
        return END
    code = query.data.removeprefix("c:org:")
    if code != "-" and ctx.svc.orgs.get(code) is None:
        await answer_callback(update, t(draft.lang, "error.stale_button"), alert=True)
        return ORG
    await answer_callback(update)
    draft.org_code = None if code == "-" else code
    await _answered(update, t(draft.lang, "complaint.ask_org"),
                    esc(org_name(ctx.svc, draft.lang, draft.org_code)))
    return await _go(update, ctx, draft, _next(ctx, DESCRIBE))


async def _ack(update: Update, ctx: Ctx, draft: Draft, note_key: str | None = None) -> None:
    """Say how much the description holds; an album gets one answer, not one per item."""
    lang = draft.lang
    text = t(lang, "complaint.ack", chars=draft.text_length, max=complaints.MAX_TEXT,
             files=len(draft.attachments), max_files=complaints.MAX_ATTACHMENTS)
    if note_key is not None:
        text = f"{t(lang, note_key)}\n{text}"
    markup = buttons([[(t(lang, "button.done"), "c:done")]])
    message = update.effective_message
    if message is not None and message.media_group_id and ctx.job_queue is not None:
        # Album items arrive as separate updates a few milliseconds apart: answer once,
        # shortly after the last one (the job lives in memory only).
        name = f"album-ack:{message.chat_id}"
        for job in ctx.job_queue.get_jobs_by_name(name):
            job.schedule_removal()
        ctx.job_queue.run_once(_send_ack, ALBUM_ACK_DELAY,  # type: ignore[arg-type]  # PTB generics
                               chat_id=message.chat_id, name=name,
                               data=(text, markup))
        return
    await reply(update, text, reply_markup=markup)


async def _send_ack(ctx: Ctx) -> None:
    """The delayed answer to an album."""
    job = ctx.job
    if job is None or job.chat_id is None:
        return
    text, markup = cast(tuple[str, InlineKeyboardMarkup], job.data)
    await ctx.bot.send_message(job.chat_id, text, parse_mode="HTML", reply_markup=markup)


async def got_text(update: Update, ctx: Ctx) -> str | int:
    """Adds a piece of text to the description and says how much there is."""
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    assert update.effective_message is not None
    try:
        complaints.add_text(draft, update.effective_message.text or "")
    except InvalidDraft as exc:
        await reply(update, t(draft.lang, f"draft.{exc.reason}", chars=draft.text_length,
                              max=complaints.MAX_TEXT))
        return DESCRIBE
    await _save(update, ctx, draft, DESCRIBE)
    await _ack(update, ctx, draft)
    return DESCRIBE


async def got_file(update: Update, ctx: Ctx) -> str | int:
    """Downloads, encrypts and adds a photo, document, voice or video (and its caption)."""
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    message = update.effective_message
    assert message is not None
    incoming = incoming_file(message)
    if incoming is None:
        return await wrong_type(update, ctx)
    try:
        complaints.check_attachment(draft, incoming.size)
        ref = await download(ctx, incoming)
    except InvalidDraft as exc:
        await reply(update, t(draft.lang, f"draft.{exc.reason}",
                              max_mb=complaints.MAX_FILE_BYTES // (1024 * 1024),
                              max_files=complaints.MAX_ATTACHMENTS))
        return DESCRIBE
    draft.attachments.append(ref)
    note = None
    if message.caption:
        try:
            complaints.add_text(draft, message.caption)
        except InvalidDraft:
            note = "draft.caption_dropped"
    await _save(update, ctx, draft, DESCRIBE)
    await _ack(update, ctx, draft, note)
    return DESCRIBE


async def described(update: Update, ctx: Ctx) -> str | int:
    """Checks the description is long enough, then asks about identity."""
    await answer_callback(update)
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    if draft.text_length < complaints.MIN_TEXT:
        await reply(update, t(draft.lang, "draft.text_too_short", min=complaints.MIN_TEXT,
                              chars=draft.text_length))
        return DESCRIBE
    await drop_keyboard(update)
    return await _go(update, ctx, draft, _next(ctx, IDENTITY))


async def chose_anonymous(update: Update, ctx: Ctx) -> str | int:
    """Keeps the submission anonymous and shows the preview."""
    await answer_callback(update)
    await drop_keyboard(update)
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    draft.named, draft.name, draft.phone = False, None, None
    if ctx.user_data is not None:
        ctx.user_data.pop("editing", None)
    return await _go(update, ctx, draft, PREVIEW)


async def chose_named(update: Update, ctx: Ctx) -> str | int:
    """Starts the named petition: asks for the name."""
    await answer_callback(update)
    await drop_keyboard(update)
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    draft.named = True
    return await _go(update, ctx, draft, NAME)


async def got_name(update: Update, ctx: Ctx) -> str | int:
    """Takes the full name, then asks for the phone."""
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    assert update.effective_message is not None
    name = complaints.clean_name(update.effective_message.text or "")
    if name is None:
        await reply(update, t(draft.lang, "complaint.bad_name"))
        return NAME
    draft.name = name
    return await _go(update, ctx, draft, PHONE)


async def got_phone(update: Update, ctx: Ctx) -> str | int:
    """Takes the phone from the contact button (own number only) or as typed."""
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    if message.contact is not None:
        if message.contact.user_id != update.effective_user.id:
            await reply(update, t(draft.lang, "complaint.not_own_contact"))
            return PHONE
        phone = message.contact.phone_number
    else:
        typed = complaints.clean_phone(message.text or "")
        if typed is None:
            await reply(update, t(draft.lang, "complaint.bad_phone"))
            return PHONE
        phone = typed
    draft.phone = phone
    if ctx.user_data is not None:
        ctx.user_data.pop("editing", None)
    # Put the main menu back in place of the contact button.
    await reply(update, t(draft.lang, "complaint.phone_taken"), reply_markup=main_menu(draft.lang))
    return await _go(update, ctx, draft, PREVIEW)


async def edit(update: Update, ctx: Ctx) -> str | int:
    """Shows what can be changed."""
    await answer_callback(update)
    await drop_keyboard(update)
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    return await _go(update, ctx, draft, EDIT)


async def edit_choice(update: Update, ctx: Ctx) -> str | int:
    """Goes to the chosen step, returning to the preview afterwards."""
    await answer_callback(update)
    await drop_keyboard(update)
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    assert update.callback_query is not None and update.callback_query.data is not None
    choice = update.callback_query.data.removeprefix("c:e:")
    if choice == "back":
        return await _go(update, ctx, draft, PREVIEW)
    if ctx.user_data is not None and choice in ("kind", "org"):
        ctx.user_data["editing"] = True
    if choice == "rewrite":
        draft.texts = []
    step = {"kind": KIND, "org": ORG, "more": DESCRIBE, "rewrite": DESCRIBE,
            "identity": IDENTITY}[choice]
    return await _go(update, ctx, draft, step)


async def send(update: Update, ctx: Ctx) -> str | int:
    """Stores the submission and shows the receipt."""
    await answer_callback(update)
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    svc = ctx.svc
    try:
        receipt = await complaints.submit_complaint(svc.backend, citizen(update), draft, svc.now())
    except TooManyAttempts as exc:
        await reply(update, t(draft.lang, "complaint.daily_limit",
                              limit=svc.settings.max_complaints_per_day,
                              hours=max(1, exc.retry_after // 3600)))
        return PREVIEW
    except InvalidDraft as exc:
        await reply(update, t(draft.lang, f"draft.{exc.reason}", min=complaints.MIN_TEXT,
                              chars=draft.text_length, max=complaints.MAX_TEXT,
                              max_files=complaints.MAX_ATTACHMENTS))
        return PREVIEW
    await drop_keyboard(update)
    log.info("submission %d stored", receipt.complaint_id)
    try:
        await _show_receipt(update, ctx, draft, receipt.digits, receipt.complaint_id)
    finally:
        # The case is stored either way; if the receipt did not get through, the draft
        # keeps it for the citizen's next message.
        await _tell_staff_new(ctx, draft, receipt)
    return END


async def _show_receipt(
    update: Update, ctx: Ctx, draft: Draft, digits: str, complaint_id: int
) -> None:
    """The receipt, the advice to keep it, and the offer of a notice."""
    svc = ctx.svc
    chat = update.effective_chat
    assert chat is not None
    lang = draft.lang
    tag = svc.backend.vault.tag("notify", complaint_id, chat.id)
    await reply(update, t(lang, "complaint.receipt", receipt=format_receipt(digits),
                          number=complaint_id),
                reply_markup=buttons([
                    [(t(lang, "button.notify_me"), f"n:{complaint_id}:{tag}")],
                    [(t(lang, "button.no_notice"), "n:no")],
                ]))
    # Only now that the receipt is on the citizen's screen may the draft go.
    await complaints.receipt_seen(svc.backend, citizen(update))


async def _tell_staff_new(ctx: Ctx, draft: Draft, receipt: Receipt) -> None:
    await tell_staff(ctx, new_case_notice(ctx.svc, draft, receipt))


def new_case_notice(svc: Services, draft: Draft, receipt: Receipt) -> str:
    """The staff group's notice of a new case, from any channel: never its content."""
    assert draft.kind is not None
    return t(
        "mn", "staff.new_case", number=receipt.complaint_id, kind=kind_name("mn", draft.kind),
        org=esc(org_name(svc, "mn", draft.org_code)), due=fmt_date(receipt.due_on),
        who=t("mn", "staff.named" if draft.identity else "staff.anonymous"),
        files=len(draft.attachments),
    )


async def notify_me(update: Update, ctx: Ctx) -> None:
    """Keeps an encrypted way back to this chat for one content-free notice."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and query.data is not None and chat is not None
    lang = await lang_of(update, ctx)
    _, cid_text, tag = query.data.split(":")
    complaint_id = int(cid_text)
    if not ctx.svc.backend.vault.check_tag(tag, "notify", complaint_id, chat.id):
        await answer_callback(update, t(lang, "error.stale_button"), alert=True)
        return
    await complaints.request_notice(
        ctx.svc.backend, complaint_id, NoticeTarget(channel=CHANNEL, chat_id=str(chat.id),
                                                    lang=lang))
    await answer_callback(update)
    await drop_keyboard(update)
    await reply(update, t(lang, "notice.will_notify"))


async def no_notice(update: Update, ctx: Ctx) -> None:
    """Keeps no link to this chat."""
    await answer_callback(update)
    await drop_keyboard(update)
    await reply(update, t(await lang_of(update, ctx), "notice.no_link"))


# -- wrong input -----------------------------------------------------------------------
async def wrong_type(update: Update, ctx: Ctx) -> str | int:
    """Says which kinds of message the description step takes."""
    if (draft := await _live_draft(update, ctx)) is None:
        return END
    await reply(update, t(draft.lang, "draft.wrong_type"))
    return DESCRIBE


def _wrong_step(step: str, key: str) -> Callable[[Update, Ctx], Coroutine[Any, Any, str | int]]:
    async def handler(update: Update, ctx: Ctx) -> str | int:
        if (draft := await _live_draft(update, ctx)) is None:
            return END
        await reply(update, t(draft.lang, key))
        if step in PROMPTS:
            await PROMPTS[step](update, ctx, draft)
        return step

    handler.__doc__ = f"Re-asks the {step} step after input it cannot take."
    return handler


# -- wiring ----------------------------------------------------------------------------
def entry_points() -> list[BaseHandler[Update, Ctx, Any]]:
    """What starts (or resumes) a submission, from anywhere."""
    return [
        CommandHandler("complain", begin, filters=PRIVATE),
        # t.me/<bot>?start=complain: the "Report" button under a post, in any chat.
        CommandHandler("start", begin, filters=PRIVATE & filters.Regex(r"^/start complain$")),
        MessageHandler(PRIVATE & menu_button("menu.complain"), begin),
        CallbackQueryHandler(resume, pattern=r"^c:resume$"),
        CallbackQueryHandler(cancel, pattern=r"^c:discard$"),
    ]


def states() -> dict[object, list[BaseHandler[Update, Ctx, Any]]]:
    """The submission's steps and what each one accepts."""
    buttons_only = "wrong.use_buttons"
    return {
        RESUME: [CallbackQueryHandler(resume, pattern=r"^c:resume$"),
                 CallbackQueryHandler(cancel, pattern=r"^c:discard$")],
        KIND: [CallbackQueryHandler(chose_kind,
                                    pattern=r"^c:kind:(complaint|suggestion|report)$"),
               MessageHandler(OTHER, _wrong_step(KIND, buttons_only))],
        ORG: [CallbackQueryHandler(org_page, pattern=r"^c:og:[a-z0-9-]{1,24}:\d{1,3}$"),
              CallbackQueryHandler(chose_org, pattern=r"^c:org:([a-z0-9-]{1,24})$"),
              MessageHandler(OTHER, _wrong_step(ORG, buttons_only))],
        DESCRIBE: [MessageHandler(FREE_TEXT, got_text),
                   MessageHandler(FILES, got_file),
                   CallbackQueryHandler(described, pattern=r"^c:done$"),
                   MessageHandler(OTHER, wrong_type)],
        IDENTITY: [CallbackQueryHandler(chose_anonymous, pattern=r"^c:anon$"),
                   CallbackQueryHandler(chose_named, pattern=r"^c:named$"),
                   MessageHandler(OTHER, _wrong_step(IDENTITY, buttons_only))],
        NAME: [MessageHandler(FREE_TEXT, got_name),
               MessageHandler(OTHER, _wrong_step(NAME, "complaint.bad_name"))],
        PHONE: [MessageHandler(PRIVATE & (filters.CONTACT | FREE_TEXT), got_phone),
                MessageHandler(OTHER, _wrong_step(PHONE, "complaint.bad_phone"))],
        PREVIEW: [CallbackQueryHandler(send, pattern=r"^c:send$"),
                  CallbackQueryHandler(edit, pattern=r"^c:edit$"),
                  MessageHandler(OTHER, _wrong_step(PREVIEW, buttons_only))],
        EDIT: [CallbackQueryHandler(edit_choice,
                                    pattern=r"^c:e:(kind|org|more|rewrite|identity|back)$"),
               MessageHandler(OTHER, _wrong_step(EDIT, buttons_only))],
    }


def cancel_handlers() -> list[BaseHandler[Update, Ctx, Any]]:
    """The Cancel button of this flow."""
    return [CallbackQueryHandler(cancel, pattern=r"^c:cancel$")]


def register(app: App) -> None:
    """The notice offer shown with the receipt (it outlives the conversation)."""
    app.add_handler(CallbackQueryHandler(notify_me, pattern=r"^n:\d{1,10}:[A-Za-z0-9_-]{10}$"))
    app.add_handler(CallbackQueryHandler(no_notice, pattern=r"^n:no$"))
