"""Officers' inbox and case view: `/inbox`, `/case N`, and the buttons on a case.

Content is shown only here, in a private chat with the bot, and attachments are re-sent
from the encrypted store: a citizen's message is never forwarded.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import (
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot.core import cases
from bot.core.errors import DomainError, InvalidTransition, NotAuthorized, NotFound
from bot.core.models import NEEDS_REASON, TRANSITIONS, AttachmentKind, AttachmentRef, Status
from bot.i18n import t
from bot.tg.access import Access, StaffCallbackHandler
from bot.tg.common import (
    App,
    Ctx,
    answer_callback,
    buttons,
    esc,
    fmt_date,
    kind_name,
    lang_of,
    org_name,
    reply,
    reply_long,
    send_notice,
    status_name,
)
from bot.tg.render import case_line, thread_blocks

log = logging.getLogger(__name__)

INBOX_SHOWN = 20
PHOTO_MAX = 10 * 1024 * 1024  # Telegram's upload limit for photos; larger go as documents


def _staff_id(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


async def refuse(update: Update, ctx: Ctx, exc: DomainError) -> None:
    """A refusal from the core, in words."""
    lang = await lang_of(update, ctx)
    key = {NotAuthorized: "staff.not_allowed", NotFound: "staff.no_case",
           InvalidTransition: "staff.bad_transition"}.get(type(exc), "staff.refused")
    if update.callback_query is not None:
        await answer_callback(update, t(lang, key), alert=True)
    else:
        await reply(update, t(lang, key))


async def inbox(update: Update, ctx: Ctx) -> None:
    """Lists open cases by deadline, each with a button to open it."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    try:
        open_cases = await cases.inbox(svc.backend, _staff_id(update), svc.now())
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    if not open_cases:
        await reply(update, t(lang, "inbox.empty"))
        return
    today = svc.backend.local_date(svc.now())
    shown = open_cases[:INBOX_SHOWN]
    lines = [t(lang, "inbox.header", n=len(open_cases))]
    lines += [case_line(svc, lang, c, today) for c in shown]
    if len(open_cases) > INBOX_SHOWN:
        lines.append(t(lang, "inbox.more", n=len(open_cases) - INBOX_SHOWN))
    rows = [[(f"№{c.complaint_id}", f"k:open:{c.complaint_id}") for c in shown[i : i + 4]]
            for i in range(0, len(shown), 4)]
    await reply_long(update, lines, sep="\n", reply_markup=buttons(rows))


async def case_command(update: Update, ctx: Ctx) -> None:
    """`/case N`: shows case N."""
    lang = await lang_of(update, ctx)
    number = (ctx.args or [""])[0].lstrip("№#")
    if not number.isdigit():
        await reply(update, t(lang, "staff.case_usage"))
        return
    await show_case(update, ctx, int(number))


async def open_button(update: Update, ctx: Ctx) -> None:
    """The case button in the inbox."""
    await answer_callback(update)
    await show_case(update, ctx, _case_id(update))


def _case_id(update: Update) -> int:
    assert update.callback_query is not None and update.callback_query.data is not None
    return int(update.callback_query.data.split(":")[2])


async def show_case(update: Update, ctx: Ctx, complaint_id: int) -> None:
    """The text, identity if named, attachments (re-sent), thread, and the actions."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    staff_id = _staff_id(update)
    try:
        view = await cases.open_case(svc.backend, staff_id, complaint_id, svc.now())
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    s = view.summary
    identity = (t(lang, "case.named", name=esc(view.identity.name),
                  phone=esc(view.identity.phone))
                if view.identity else t(lang, "case.anonymous"))
    header = t(lang, "case.header", number=s.complaint_id, kind=kind_name(lang, s.kind),
               org=esc(org_name(svc, lang, s.org_code)), status=status_name(lang, s.status),
               received=fmt_date(s.received_on), due=fmt_date(s.due_on),
               assignee=s.assignee_id or t(lang, "case.unassigned"), identity=identity)
    if view.extended and view.extension_reason:
        header += "\n" + t(lang, "case.extended", reason=esc(view.extension_reason))
    if view.status_reason:
        header += "\n" + t(lang, "thread.reason", reason=esc(view.status_reason))
    await reply_long(update, [header, esc(view.text)])
    await send_files(update, ctx, staff_id, list(view.attachments))
    for entry in view.thread:
        if entry.attachments:
            await send_files(update, ctx, staff_id, list(entry.attachments))
    thread = thread_blocks(lang, view.thread, for_staff=True)
    if thread:
        await reply_long(update, [t(lang, "case.thread"), *thread])
    await reply(update, t(lang, "case.actions", number=s.complaint_id),
                reply_markup=actions_markup(lang, s.complaint_id, s.status, view.extended))


def actions_markup(lang: str, cid: int, status: Status, extended: bool) -> Any:
    """The buttons under a case."""
    rows = [[(t(lang, "case.button.take"), f"k:take:{cid}"),
             (t(lang, "case.button.status"), f"k:st:{cid}")],
            [(t(lang, "case.button.reply"), f"k:reply:{cid}"),
             (t(lang, "case.button.note"), f"k:note:{cid}")]]
    if not extended:
        rows.append([(t(lang, "case.button.extend"), f"k:ext:{cid}")])
    return buttons(rows)


async def send_files(update: Update, ctx: Ctx, staff_id: int, refs: list[AttachmentRef]) -> None:
    """Upload attachments from the encrypted store: albums where Telegram allows them."""
    chat = update.effective_chat
    assert chat is not None
    visual = [r for r in refs if r.kind in (AttachmentKind.PHOTO, AttachmentKind.VIDEO)
              and r.size <= PHOTO_MAX]
    documents = [r for r in refs if r.kind is AttachmentKind.DOCUMENT
                 or (r.kind in (AttachmentKind.PHOTO, AttachmentKind.VIDEO) and r.size > PHOTO_MAX)]
    voices = [r for r in refs if r.kind is AttachmentKind.VOICE]
    for group in (visual, documents):
        for i in range(0, len(group), 10):
            batch = group[i : i + 10]
            if len(batch) == 1:
                await _send_one(ctx, chat.id, staff_id, batch[0])
            else:
                media = [await _media(ctx, staff_id, r) for r in batch]
                await ctx.bot.send_media_group(chat.id, media)
    for ref in voices:
        await _send_one(ctx, chat.id, staff_id, ref)


def _file_name(ref: AttachmentRef) -> str:
    default = {AttachmentKind.PHOTO: "photo.jpg", AttachmentKind.VIDEO: "video.mp4",
               AttachmentKind.VOICE: "voice.ogg", AttachmentKind.DOCUMENT: "file.bin"}
    return ref.file_name or default[ref.kind]


async def _input(ctx: Ctx, staff_id: int, ref: AttachmentRef) -> InputFile:
    data = await cases.read_file(ctx.svc.backend, staff_id, ref.blob)
    return InputFile(data, filename=_file_name(ref))


async def _media(
    ctx: Ctx, staff_id: int, ref: AttachmentRef
) -> InputMediaPhoto | InputMediaVideo | InputMediaDocument:
    data = await cases.read_file(ctx.svc.backend, staff_id, ref.blob)
    if ref.kind is AttachmentKind.PHOTO and ref.size <= PHOTO_MAX:
        return InputMediaPhoto(data, filename=_file_name(ref))
    if ref.kind is AttachmentKind.VIDEO and ref.size <= PHOTO_MAX:
        return InputMediaVideo(data, filename=_file_name(ref))
    return InputMediaDocument(data, filename=_file_name(ref))


async def _send_one(ctx: Ctx, chat_id: int, staff_id: int, ref: AttachmentRef) -> None:
    upload = await _input(ctx, staff_id, ref)
    if ref.kind is AttachmentKind.PHOTO and ref.size <= PHOTO_MAX:
        await ctx.bot.send_photo(chat_id, upload)
    elif ref.kind is AttachmentKind.VIDEO and ref.size <= PHOTO_MAX:
        await ctx.bot.send_video(chat_id, upload)
    elif ref.kind is AttachmentKind.VOICE:
        await ctx.bot.send_voice(chat_id, upload)
    else:
        await ctx.bot.send_document(chat_id, upload)


async def take(update: Update, ctx: Ctx) -> None:
    """Assigns the case to the officer who pressed."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    cid = _case_id(update)
    try:
        await cases.take_case(svc.backend, _staff_id(update), cid, svc.now())
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    await answer_callback(update, t(lang, "case.taken", number=cid))


async def status_menu(update: Update, ctx: Ctx) -> None:
    """Shows the statuses the case can move to."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    cid = _case_id(update)
    try:
        view = await cases.open_case(svc.backend, _staff_id(update), cid, svc.now())
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    moves = sorted(TRANSITIONS[view.summary.status], key=list(Status).index)
    rows = [[(status_name(lang, s), f"k:{'why' if s in NEEDS_REASON else 'set'}:{cid}:{s.value}")]
            for s in moves]
    await answer_callback(update)
    await reply(update, t(lang, "case.choose_status", number=cid,
                          status=status_name(lang, view.summary.status)),
                reply_markup=buttons(rows))


async def set_status(update: Update, ctx: Ctx) -> None:
    """Moves the case to a status that needs no reason, and tells the citizen if asked."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    query = update.callback_query
    assert query is not None and query.data is not None
    _, _, cid_text, status_text = query.data.split(":")
    cid, status = int(cid_text), Status(status_text)
    try:
        target = await cases.set_status(svc.backend, _staff_id(update), cid, status, svc.now())
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    await answer_callback(update)
    await send_notice(ctx, target)  # first: the one-time link is already used up
    with contextlib.suppress(TelegramError):
        await query.edit_message_text(t(lang, "case.status_set", number=cid,
                                        status=status_name(lang, status)), parse_mode="HTML")


_STATUS_PATTERN = "|".join(s.value for s in Status)


def register(app: App, access: Access) -> None:
    """Officer commands and case buttons (admins are officers too)."""
    app.add_handler(CommandHandler("inbox", inbox, filters=access.officer))
    app.add_handler(CommandHandler("case", case_command, filters=access.officer))
    app.add_handler(StaffCallbackHandler(open_button, r"^k:open:\d{1,10}$", access.officer))
    app.add_handler(StaffCallbackHandler(take, r"^k:take:\d{1,10}$", access.officer))
    app.add_handler(StaffCallbackHandler(status_menu, r"^k:st:\d{1,10}$", access.officer))
    app.add_handler(StaffCallbackHandler(set_status, rf"^k:set:\d{{1,10}}:({_STATUS_PATTERN})$",
                                         access.officer))
