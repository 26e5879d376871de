"""The 110 box in Messenger: kind → whom → description → identity → preview → receipt.

The same core as Telegram's (`bot.core.complaints`): the draft is saved, encrypted, after
every step under the same step names, so a restart mid-flow loses nothing — the next
message goes on at the saved step. Choices are quick replies (at most 13, titles at most
20 characters); the preview's Send / Edit / Cancel and the notice offer are button
templates, which stay tappable in the conversation's history.

Payloads: ``K:<kind>``, ``OG:<group>:<page>`` (``OG:-`` the groups), ``O:<org>`` (``O:-``
not sure), ``DONE``, ``ANON``, ``NAMED``, ``SEND``, ``EDIT``, ``E:<part>``, ``CANCEL``,
``RESUME``, ``DISCARD``, ``N:<case>:<tag>``, ``N:no``. The phone-number quick reply sends
the number itself as its payload.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.core import complaints
from bot.core.errors import InvalidDraft, TooManyAttempts
from bot.core.models import AttachmentKind, AttachmentRef, Draft, Kind, NoticeTarget
from bot.core.models import format_receipt as show_digits
from bot.messenger.chat import CHANNEL, Turn, menu, title
from bot.messenger.events import Attachment, IncomingMessage
from bot.messenger.graph import (
    QUICK_REPLIES_MAX,
    AttachmentTooLarge,
    GraphUnavailable,
    PhoneQuickReply,
    QuickReply,
)
from bot.tg.common import esc, kind_name, org_name

log = logging.getLogger(__name__)

KIND, ORG, DESCRIBE, IDENTITY, NAME, PHONE, PREVIEW, EDIT = (
    "kind", "org", "describe", "identity", "name", "phone", "preview", "edit",
)
# Thirteen quick replies: ten organizations, back, and previous and next page.
ORGS_PER_PAGE = QUICK_REPLIES_MAX - 3
KINDS = {"image": AttachmentKind.PHOTO, "video": AttachmentKind.VIDEO,
         "audio": AttachmentKind.VOICE, "file": AttachmentKind.DOCUMENT}
NAMES = {AttachmentKind.PHOTO: "photo.jpg", AttachmentKind.VIDEO: "video.mp4",
         AttachmentKind.VOICE: "voice.mp3", AttachmentKind.DOCUMENT: "file"}
EDITS = {"kind": KIND, "org": ORG, "more": DESCRIBE, "rewrite": DESCRIBE,
         "identity": IDENTITY}


# -- drafts ----------------------------------------------------------------------------
async def load(turn: Turn) -> Draft | None:
    """The person's complaint draft (or the stored one whose receipt they have not seen)."""
    return await complaints.load_draft(turn.env.backend, turn.who)


async def save(turn: Turn, draft: Draft, step: str) -> None:
    """Persist the draft at ``step``."""
    draft.step = step
    await complaints.save_draft(turn.env.backend, turn.who, draft, turn.now)


async def live(turn: Turn) -> Draft | None:
    """The draft to work on, or None after saying why there is none.

    A draft already stored (its receipt not yet seen) is never worked on again: the receipt
    is shown instead, so nothing can be sent twice.
    """
    draft = await load(turn)
    if draft is not None and draft.receipt is None:
        return draft
    if draft is not None:
        await offer_resume(turn, draft)
        return None
    await turn.text(turn.t("complaint.expired"), menu(turn.lang))
    return None


def _cancel(turn: Turn) -> QuickReply:
    return turn.quick("button.cancel", "CANCEL")


def _kinds(turn: Turn) -> list[QuickReply]:
    return [turn.quick(f"kind.button.{k.value}", f"K:{k.value}") for k in Kind] + [_cancel(turn)]


# -- prompts: what the person sees at each step ----------------------------------------
async def prompt_kind(turn: Turn, draft: Draft) -> None:
    """Asks whether it is a complaint, a suggestion, or a report of corruption."""
    await turn.text(turn.t("complaint.ask_kind"), _kinds(turn))


async def prompt_org(turn: Turn, draft: Draft) -> None:
    """Asks whom it concerns: a group (soums, bodies) first, or "not sure"."""
    orgs = turn.env.services.orgs
    if orgs.refresh() is not None:
        log.warning("organization list failed to load; the last good one is used")
    groups = [QuickReply(title(g.name(turn.lang)), f"OG:{g.code}:0")
              for g in orgs.groups[: QUICK_REPLIES_MAX - 2]]
    await turn.text(turn.t("complaint.ask_org"),
                    [*groups, turn.quick("org.unsure", "O:-"), _cancel(turn)])


async def prompt_describe(turn: Turn, draft: Draft) -> None:
    """Asks for the description: text and files, then "Done"."""
    await turn.text(turn.t("complaint.ask_text", min=complaints.MIN_TEXT,
                           max=complaints.MAX_TEXT, files=complaints.MAX_ATTACHMENTS),
                    [turn.quick("button.done", "DONE"), _cancel(turn)])


async def prompt_identity(turn: Turn, draft: Draft) -> None:
    """Offers anonymity (the default) or a named petition."""
    await turn.text(turn.t("complaint.ask_identity"), [
        turn.quick("identity.button.anonymous", "ANON"),
        turn.quick("identity.button.named", "NAMED"), _cancel(turn)])


async def prompt_name(turn: Turn, draft: Draft) -> None:
    """Asks for the full name (a named petition must carry one)."""
    await turn.text(turn.t("complaint.ask_name"), [_cancel(turn)])


async def prompt_phone(turn: Turn, draft: Draft) -> None:
    """Asks for the phone: Messenger's phone-number quick reply, or typed."""
    await turn.text(turn.t("complaint.ask_phone"), [PhoneQuickReply(), _cancel(turn)])


async def prompt_preview(turn: Turn, draft: Draft) -> None:
    """Shows the whole submission, then Send / Edit / Cancel."""
    if draft.kind is None:  # cannot happen through the steps; ask rather than guess
        await go(turn, draft, KIND)
        return
    lang = turn.lang
    identity = (turn.t("preview.named", name=esc(draft.name), phone=esc(draft.phone))
                if draft.identity else turn.t("preview.anonymous"))
    header = turn.t("preview.header", kind=kind_name(lang, draft.kind),
                    org=esc(org_name(turn.env.services, lang, draft.org_code)),
                    identity=esc(identity), files=len(draft.attachments),
                    chars=draft.text_length)
    if await turn.text(f"{header}\n\n{draft.text}"):
        await turn.buttons(turn.t("messenger.confirm"), [
            turn.postback("button.send", "SEND"), turn.postback("button.edit", "EDIT"),
            turn.postback("button.cancel", "CANCEL")])


async def prompt_edit(turn: Turn, draft: Draft) -> None:
    """Asks which part to change."""
    await turn.text(turn.t("complaint.ask_edit"), [
        *(turn.quick(f"edit.{part}", f"E:{part}") for part in EDITS),
        turn.quick("edit.back", "E:back")])


Prompt = Callable[[Turn, Draft], Awaitable[None]]
PROMPTS: dict[str, Prompt] = {
    KIND: prompt_kind, ORG: prompt_org, DESCRIBE: prompt_describe, IDENTITY: prompt_identity,
    NAME: prompt_name, PHONE: prompt_phone, PREVIEW: prompt_preview, EDIT: prompt_edit,
}


async def go(turn: Turn, draft: Draft, step: str) -> None:
    """Save the draft at ``step`` and show that step's prompt."""
    await save(turn, draft, step)
    await PROMPTS[step](turn, draft)


def after(turn: Turn, step: str) -> str:
    """After an edit from the preview, back to the preview rather than on through the flow."""
    if turn.person.editing:
        turn.person.editing = False
        return PREVIEW
    return step


# -- entry, resume, cancel -------------------------------------------------------------
async def begin(turn: Turn) -> None:
    """Starts a new submission, or offers the unfinished one back."""
    turn.person.flow = "complaint"
    turn.person.editing = False
    existing = await load(turn)
    if existing is not None:
        await offer_resume(turn, existing)
        return
    draft = Draft(lang=turn.lang)
    await save(turn, draft, KIND)
    # One message for the welcome and the first question.
    await turn.text(f"{turn.t('messenger.intro')}\n\n{turn.t('complaint.ask_kind')}",
                    _kinds(turn))


async def offer_resume(turn: Turn, draft: Draft) -> None:
    """Shows a receipt not yet seen, or asks whether to continue an unfinished draft."""
    if draft.receipt is not None and draft.complaint_id is not None:
        if await turn.text(turn.t("complaint.recovered")):
            await show_receipt(turn, draft.receipt, draft.complaint_id)
        return
    await turn.text(turn.t("complaint.resume", chars=draft.text_length,
                           files=len(draft.attachments)),
                    [turn.quick("button.continue", "RESUME"),
                     turn.quick("button.discard", "DISCARD")])


async def resume(turn: Turn) -> None:
    """Continues the saved draft at the step where it stopped."""
    turn.person.flow = "complaint"
    if (draft := await live(turn)) is None:
        return
    await PROMPTS.get(draft.step, prompt_kind)(turn, draft)


async def cancel(turn: Turn) -> None:
    """Deletes the draft and its files, and shows the menu."""
    turn.person.flow = None
    turn.person.editing = False
    await complaints.discard_draft(turn.env.backend, turn.who)
    await turn.text(turn.t("complaint.cancelled"), menu(turn.lang))


# -- steps -----------------------------------------------------------------------------
async def _at(turn: Turn, step: str) -> Draft | None:
    """The live draft if it is at ``step``; else a stale choice: say so, re-ask its step."""
    if (draft := await live(turn)) is None:
        return None
    if draft.step == step:
        return draft
    await turn.text(turn.t("error.stale_button"))
    await PROMPTS.get(draft.step, prompt_kind)(turn, draft)
    return None


async def chose_kind(turn: Turn, value: str) -> None:
    """Takes the kind, then asks whom it concerns."""
    if (draft := await _at(turn, KIND)) is None:
        return
    try:
        draft.kind = Kind(value)
    except ValueError:
        await turn.text(turn.t("error.stale_button"))
        await prompt_kind(turn, draft)
        return
    await go(turn, draft, after(turn, ORG))


async def org_page(turn: Turn, group_code: str, page: int) -> None:
    """One page of a group's organizations: their full names in the text, ≤ 13 quick replies."""
    if (draft := await _at(turn, ORG)) is None:
        return
    group = turn.env.services.orgs.group(group_code)
    pages = 0 if group is None else -(-len(group.items) // ORGS_PER_PAGE)
    if group is None or not 0 <= page < pages:
        await prompt_org(turn, draft)
        return
    items = group.items[page * ORGS_PER_PAGE: (page + 1) * ORGS_PER_PAGE]
    quick = [QuickReply(title(o.name(turn.lang)), f"O:{o.code}") for o in items]
    if page > 0:
        quick.append(QuickReply("◀️", f"OG:{group.code}:{page - 1}"))
    if page + 1 < pages:
        quick.append(QuickReply("▶️", f"OG:{group.code}:{page + 1}"))
    quick.append(turn.quick("button.back", "OG:-"))
    listed = "\n".join(f"• {o.name(turn.lang)}" for o in items)
    await turn.text(turn.t("messenger.org_page", group=esc(group.name(turn.lang)),
                           page=page + 1, pages=pages, items=esc(listed)), quick)


async def chose_org(turn: Turn, code: str) -> None:
    """Takes the organization (or "not sure"), then asks for the description."""
    if (draft := await _at(turn, ORG)) is None:
        return
    if code != "-" and turn.env.services.orgs.get(code) is None:
        await turn.text(turn.t("error.stale_button"))
        await prompt_org(turn, draft)
        return
    draft.org_code = None if code == "-" else code
    await go(turn, draft, after(turn, DESCRIBE))


async def take_file(turn: Turn, draft: Draft, attachment: Attachment) -> AttachmentRef:
    """Check, download (within the size limit) and store one attachment, encrypted.

    Raises `InvalidDraft` with the catalog key: too many files, too big, not taken, or a
    kind the box does not take (stickers, locations …).
    """
    kind = KINDS.get(attachment.type)
    if kind is None or attachment.url is None or attachment.sticker_id is not None:
        raise InvalidDraft("wrong_type")
    complaints.check_attachment(draft, None)
    try:
        got = await turn.env.graph.fetch(attachment.url, max_bytes=complaints.MAX_FILE_BYTES)
    except AttachmentTooLarge as exc:
        raise InvalidDraft("file_too_big") from exc
    except GraphUnavailable as exc:
        log.warning("attachment download failed: %s", exc.__class__.__name__)
        raise InvalidDraft("file_failed") from exc
    blob = await turn.env.backend.files.put(got.data)
    return AttachmentRef(blob=blob, kind=kind, size=len(got.data), mime=got.content_type,
                         file_name=NAMES[kind] if kind is not AttachmentKind.DOCUMENT else None)


def problem(turn: Turn, reason: str, draft: Draft, max_text: int = complaints.MAX_TEXT) -> str:
    """The catalog's words for a refused piece of a draft."""
    return turn.t(f"draft.{reason}", min=complaints.MIN_TEXT, chars=draft.text_length,
                  max=max_text, max_mb=complaints.MAX_FILE_BYTES // (1024 * 1024),
                  max_files=complaints.MAX_ATTACHMENTS)


async def describe(turn: Turn, draft: Draft, event: IncomingMessage) -> None:
    """Adds the message's text and files to the description and says how much there is."""
    notes: list[str] = []
    for attachment in event.attachments:
        try:
            draft.attachments.append(await take_file(turn, draft, attachment))
        except InvalidDraft as exc:
            notes.append(problem(turn, exc.reason, draft))
    if event.text:
        try:
            complaints.add_text(draft, event.text)
        except InvalidDraft as exc:
            notes.append(problem(turn, exc.reason, draft))
    if not event.text and not event.attachments:
        notes.append(turn.t("draft.wrong_type"))
    await save(turn, draft, DESCRIBE)
    taken = len(notes) < len(event.attachments) + (1 if event.text else 0)
    ack = turn.t("complaint.ack", chars=draft.text_length, max=complaints.MAX_TEXT,
                 files=len(draft.attachments), max_files=complaints.MAX_ATTACHMENTS)
    text = "\n".join(dict.fromkeys(notes))  # one line per kind of problem
    if taken or not notes:
        text = f"{text}\n{ack}".strip()
    await turn.text(text, [turn.quick("button.done", "DONE"), _cancel(turn)])


async def described(turn: Turn) -> None:
    """Checks the description is long enough, then asks about identity."""
    if (draft := await _at(turn, DESCRIBE)) is None:
        return
    if draft.text_length < complaints.MIN_TEXT:
        await turn.text(problem(turn, "text_too_short", draft),
                        [turn.quick("button.done", "DONE"), _cancel(turn)])
        return
    await go(turn, draft, after(turn, IDENTITY))


async def chose_anonymous(turn: Turn) -> None:
    """Keeps the submission anonymous and shows the preview."""
    if (draft := await _at(turn, IDENTITY)) is None:
        return
    draft.named, draft.name, draft.phone = False, None, None
    turn.person.editing = False
    await go(turn, draft, PREVIEW)


async def chose_named(turn: Turn) -> None:
    """Starts the named petition: asks for the name."""
    if (draft := await _at(turn, IDENTITY)) is None:
        return
    draft.named = True
    await go(turn, draft, NAME)


async def got_name(turn: Turn, draft: Draft, text: str) -> None:
    """Takes the full name, then asks for the phone."""
    name = complaints.clean_name(text)
    if name is None:
        await turn.text(turn.t("complaint.bad_name"), [_cancel(turn)])
        return
    draft.name = name
    await go(turn, draft, PHONE)


async def got_phone(turn: Turn, draft: Draft, text: str) -> None:
    """Takes the phone from Messenger's phone quick reply (its payload) or as typed."""
    phone = complaints.clean_phone(text)
    if phone is None:
        await turn.text(turn.t("complaint.bad_phone"), [PhoneQuickReply(), _cancel(turn)])
        return
    draft.phone = phone
    turn.person.editing = False
    await go(turn, draft, PREVIEW)


async def edit(turn: Turn) -> None:
    """Shows what can be changed."""
    if (draft := await _at(turn, PREVIEW)) is None:
        return
    await go(turn, draft, EDIT)


async def edit_choice(turn: Turn, choice: str) -> None:
    """Goes to the chosen step, returning to the preview afterwards."""
    if (draft := await _at(turn, EDIT)) is None:
        return
    if choice == "back":
        await go(turn, draft, PREVIEW)
        return
    step = EDITS.get(choice)
    if step is None:
        await turn.text(turn.t("error.stale_button"))
        await prompt_edit(turn, draft)
        return
    turn.person.editing = choice in ("kind", "org")
    if choice == "rewrite":
        draft.texts = []
    await go(turn, draft, step)


async def send(turn: Turn) -> None:
    """Stores the submission and shows the receipt."""
    if (draft := await _at(turn, PREVIEW)) is None:
        return
    env = turn.env
    try:
        receipt = await complaints.submit_complaint(env.backend, turn.who, draft, turn.now)
    except TooManyAttempts as exc:
        await turn.text(turn.t("complaint.daily_limit",
                               limit=env.backend.settings.max_complaints_per_day,
                               hours=max(1, exc.retry_after // 3600)))
        return
    except InvalidDraft as exc:
        await turn.text(problem(turn, exc.reason, draft))
        return
    turn.person.flow = None
    log.info("submission %d stored (Messenger)", receipt.complaint_id)
    try:
        await show_receipt(turn, receipt.digits, receipt.complaint_id)
    finally:
        # The case is stored either way; if the receipt did not get through, the draft
        # keeps it for the person's next message.
        await env.staff.new_case(draft, receipt)


async def show_receipt(turn: Turn, digits: str, complaint_id: int) -> None:
    """The receipt, then the offer of a notice (saying when Meta lets one come)."""
    if not await turn.text(turn.t("messenger.receipt", receipt=show_digits(digits),
                                  number=complaint_id)):
        return
    # Only now that the receipt is on the person's screen may the draft go.
    await complaints.receipt_seen(turn.env.backend, turn.who)
    tag = turn.env.backend.vault.tag("notify", complaint_id, turn.psid)
    await turn.buttons(turn.t("messenger.notice.offer"), [
        turn.postback("button.notify_me", f"N:{complaint_id}:{tag}"),
        turn.postback("button.no_notice", "N:no")])


async def notify_me(turn: Turn, complaint_id: int, tag: str) -> None:
    """Keeps an encrypted way back to this person for one content-free notice."""
    backend = turn.env.backend
    if not backend.vault.check_tag(tag, "notify", complaint_id, turn.psid):
        await turn.text(turn.t("error.stale_button"), menu(turn.lang))
        return
    await complaints.request_notice(backend, complaint_id, NoticeTarget(
        channel=CHANNEL, chat_id=turn.psid, lang=turn.lang))
    # Meta's window runs from the person's last message: keep its time from now on.
    await complaints.keep_contact(backend, turn.who, turn.now)
    await turn.text(turn.t("messenger.notice.will_notify"), menu(turn.lang))


async def no_notice(turn: Turn) -> None:
    """Keeps no link to this person."""
    await turn.text(turn.t("messenger.notice.no_link"), menu(turn.lang))


# -- what the person types or sends, by step --------------------------------------------
async def on_input(turn: Turn, draft: Draft, event: IncomingMessage) -> None:
    """A message (no quick reply of ours) while the draft is at its step."""
    if draft.receipt is not None:
        await offer_resume(turn, draft)
        return
    text = event.text or ""
    if draft.step == DESCRIBE:
        await describe(turn, draft, event)
    elif draft.step == NAME and text and not event.attachments:
        await got_name(turn, draft, text)
    elif draft.step == PHONE and text and not event.attachments:
        # The phone quick reply's payload is the number; typed, it is the text.
        await got_phone(turn, draft, event.quick_reply or text)
    else:
        key = {NAME: "complaint.bad_name", PHONE: "complaint.bad_phone"}.get(
            draft.step, "messenger.use_buttons")
        await turn.text(turn.t(key))
        await PROMPTS.get(draft.step, prompt_kind)(turn, draft)
