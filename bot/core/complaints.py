"""The citizen's side of the 110 box: drafts, submission, receipts, status, follow-ups."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import sqlite3
from dataclasses import asdict
from typing import Any

import aiosqlite

from bot.core import limits
from bot.core.backend import Backend, record_event
from bot.core.crypto import new_receipt_digits
from bot.core.errors import InvalidDraft, NotFound
from bot.core.models import (
    AttachmentKind,
    AttachmentRef,
    Author,
    Citizen,
    CitizenView,
    Draft,
    Kind,
    NoticeTarget,
    Receipt,
    Status,
    ThreadEntry,
)
from bot.storage import notice_queries as nq
from bot.storage import queries as q

MIN_TEXT = 10
MAX_TEXT = 4000
MAX_ATTACHMENTS = 10
# A bot can download at most 20 MB per file from Telegram (getFile).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FOLLOWUP_TEXT = 4000

_RECEIPT_JUNK = re.compile(r"[\s\-‐‑–—_.]")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
NAME_MIN, NAME_MAX = 2, 100
# The longest a channel lets the office write after a person's last message (Messenger's
# HUMAN_AGENT tag: 7 days), and a day more: a notice contact is useless after that.
CONTACT_KEPT = dt.timedelta(days=8)


# -- drafts ----------------------------------------------------------------------------
# A citizen has at most one draft per purpose: a new submission, or a follow-up.
COMPLAINT, FOLLOWUP = "draft", "followup"


def _draft_owner(b: Backend, who: Citizen, purpose: str = COMPLAINT) -> bytes:
    return b.vault.pseudonym(purpose, who.ref)


def _draft_context(owner: bytes) -> str:
    # A draft opens only under its own row key: rows cannot be swapped between people.
    return f"draft:{owner.hex()}"


def _encode_draft(draft: Draft) -> bytes:
    return json.dumps(asdict(draft), ensure_ascii=False).encode()


def _decode_draft(raw: bytes) -> Draft:
    data: dict[str, Any] = json.loads(raw)
    data["kind"] = Kind(data["kind"]) if data.get("kind") else None
    data["attachments"] = [
        AttachmentRef(
            blob=a["blob"], kind=AttachmentKind(a["kind"]), size=int(a["size"]),
            mime=a.get("mime"), file_name=a.get("file_name"),
        )
        for a in data.get("attachments", [])
    ]
    return Draft(**data)


async def load_draft(b: Backend, who: Citizen, purpose: str = COMPLAINT) -> Draft | None:
    """The citizen's unfinished (or submitted-but-unseen) draft, if any."""
    owner = _draft_owner(b, who, purpose)
    async with b.db.read() as conn:
        sealed = await q.get_draft(conn, owner)
    if sealed is None:
        return None
    return _decode_draft(b.vault.open(sealed, _draft_context(owner)))


async def save_draft(
    b: Backend, who: Citizen, draft: Draft, now: dt.datetime, purpose: str = COMPLAINT
) -> None:
    """Persist the draft after each step, so a restart mid-flow loses nothing."""
    owner = _draft_owner(b, who, purpose)
    sealed = b.vault.seal(_encode_draft(draft), _draft_context(owner))
    async with b.db.tx() as conn:
        await q.put_draft(conn, owner, sealed, now.isoformat())


async def discard_draft(b: Backend, who: Citizen, purpose: str = COMPLAINT) -> None:
    """Delete the draft and the files it holds (the citizen cancelled)."""
    draft = await load_draft(b, who, purpose)
    async with b.db.tx() as conn:
        await q.delete_draft(conn, _draft_owner(b, who, purpose))
    if draft is not None and draft.receipt is None:
        for ref in draft.attachments:
            await b.files.delete(ref.blob)


async def receipt_seen(b: Backend, who: Citizen) -> None:
    """The citizen has the receipt on screen: forget the submitted draft."""
    async with b.db.tx() as conn:
        await q.delete_draft(conn, _draft_owner(b, who))


async def expire_drafts(b: Backend, now: dt.datetime) -> int:
    """Discard drafts idle past the limit (and their files); returns how many.

    A submitted draft whose receipt was never shown is kept a day longer, so a citizen
    whose connection dropped at the last step can still get the receipt.
    """
    idle = now - dt.timedelta(minutes=b.settings.draft_idle_minutes)
    submitted_cutoff = (now - dt.timedelta(days=1)).isoformat()
    async with b.db.read() as conn:
        rows = await q.drafts_idle_since(conn, idle.isoformat())
    expired = 0
    for row in rows:
        owner = bytes(row["owner"])
        draft = _decode_draft(b.vault.open(bytes(row["data"]), _draft_context(owner)))
        if draft.receipt is not None and row["updated_at"] >= submitted_cutoff:
            continue
        async with b.db.tx() as conn:
            # Only if untouched since it was read: the citizen may have just come back.
            if not await q.delete_draft_if_unchanged(conn, owner, row["updated_at"]):
                continue
        if draft.receipt is None:
            for ref in draft.attachments:
                await b.files.delete(ref.blob)
        expired += 1
    return expired


def add_text(draft: Draft, text: str) -> None:
    """Append a piece of description, or refuse it whole if the total would be too long."""
    text = text.strip()
    if not text:
        raise InvalidDraft("text_empty")
    if len("\n\n".join([*draft.texts, text])) > MAX_TEXT:
        raise InvalidDraft("text_too_long")
    draft.texts.append(text)


def clean_name(text: str) -> str | None:
    """A named petition's full name with its spaces tidied, or None if it cannot be one."""
    name = " ".join(text.split())
    return name if NAME_MIN <= len(name) <= NAME_MAX else None


def clean_phone(text: str) -> str | None:
    """A typed (or shared) phone number as given, or None if it does not look like one."""
    phone = text.strip()
    return phone if _PHONE.match(phone) else None


def check_attachment(draft: Draft, size: int | None) -> None:
    """Refuse a file before downloading it: too many already, or too big."""
    if len(draft.attachments) >= MAX_ATTACHMENTS:
        raise InvalidDraft("too_many_files")
    if size is not None and size > MAX_FILE_BYTES:
        raise InvalidDraft("file_too_big")


def validate(draft: Draft) -> Kind:
    """Everything `submit_complaint` needs; raises with a catalog key, returns the kind."""
    if draft.receipt is not None:
        raise InvalidDraft("already_sent")  # stored already; its receipt is waiting
    if draft.kind is None:
        raise InvalidDraft("no_kind")
    if draft.text_length < MIN_TEXT:
        raise InvalidDraft("text_too_short")
    if draft.text_length > MAX_TEXT:
        raise InvalidDraft("text_too_long")
    if len(draft.attachments) > MAX_ATTACHMENTS:
        raise InvalidDraft("too_many_files")
    if draft.named and draft.identity is None:
        raise InvalidDraft("identity_incomplete")
    return draft.kind


# -- submission ------------------------------------------------------------------------
async def submit_complaint(
    b: Backend, who: Citizen, draft: Draft, now: dt.datetime
) -> Receipt:
    """Store the complaint and return its receipt, all in one transaction.

    The receipt goes into the (encrypted) draft in the same transaction, so if the process
    dies before the citizen sees it, the next message they send gets it: a complaint is
    never stored without its receipt reaching the citizen, nor half-stored.
    """
    kind = validate(draft)
    window = limits.daily_window(b, now)
    async with b.db.read() as conn:
        await limits.check(conn, b, "submit", who, window, b.settings.max_complaints_per_day, now)
    received_on = b.local_date(now)
    due_on = received_on + dt.timedelta(days=b.settings.deadline_for(kind))
    for _attempt in range(3):
        digits = new_receipt_digits()
        receipt_hash = await asyncio.to_thread(b.vault.receipt_hash, digits)
        try:
            async with b.db.tx() as conn:
                await limits.check(
                    conn, b, "submit", who, window, b.settings.max_complaints_per_day, now
                )
                complaint_id = await _insert(conn, b, who, draft, kind, receipt_hash,
                                             received_on, due_on)
                await limits.hit(conn, b, "submit", who, window, now)
                draft.receipt, draft.complaint_id, draft.step = digits, complaint_id, "submitted"
                owner = _draft_owner(b, who)
                sealed = b.vault.seal(_encode_draft(draft), _draft_context(owner))
                await q.put_draft(conn, owner, sealed, now.isoformat())
        except sqlite3.IntegrityError:
            continue  # a receipt collision (1 in 10**16): draw again
        await record_event(
            b, "complaint_submitted", now, channel=who.channel, precision="day", kind=kind.value,
            org=draft.org_code or "", named=draft.named, files=len(draft.attachments),
        )
        return Receipt(digits=digits, complaint_id=complaint_id, due_on=due_on)
    raise RuntimeError("could not draw a unique receipt")


async def _insert(
    conn: aiosqlite.Connection, b: Backend, who: Citizen, draft: Draft, kind: Kind,
    receipt_hash: bytes, received_on: dt.date, due_on: dt.date,
) -> int:
    complaint_id = await q.insert_complaint(
        conn, receipt_hash=receipt_hash, channel=who.channel, kind=kind.value,
        org_code=draft.org_code, body=b"", named=draft.identity is not None,
        received_on=received_on.isoformat(), due_on=due_on.isoformat(),
    )
    # The body is sealed with the row's id as context, so it cannot be moved to another case.
    await q.set_complaint_body(
        conn, complaint_id, b.vault.seal_text(draft.text, f"complaint.body:{complaint_id}")
    )
    if (identity := draft.identity) is not None:
        data = json.dumps({"name": identity.name, "phone": identity.phone}, ensure_ascii=False)
        await q.insert_identity(
            conn, complaint_id, b.vault.seal_text(data, f"identity:{complaint_id}")
        )
    await _insert_attachments(conn, b, complaint_id, None, draft.attachments)
    return complaint_id


async def _insert_attachments(
    conn: aiosqlite.Connection, b: Backend, complaint_id: int, message_id: int | None,
    refs: list[AttachmentRef],
) -> None:
    for ref in refs:
        meta = json.dumps({"mime": ref.mime, "file_name": ref.file_name}, ensure_ascii=False)
        await q.insert_attachment(
            conn, complaint_id=complaint_id, message_id=message_id, blob=ref.blob,
            kind=ref.kind.value, size=ref.size,
            meta=b.vault.seal_text(meta, f"attachment:{complaint_id}:{ref.blob}"),
        )


# -- receipts and status ---------------------------------------------------------------
def normalize_receipt(text: str) -> str | None:
    """The 16 digits of a receipt typed with spaces or dashes, or None if it is not one."""
    digits = _RECEIPT_JUNK.sub("", text)
    return digits if len(digits) == 16 and digits.isascii() and digits.isdigit() else None


async def check_status(
    b: Backend, who: Citizen, receipt_text: str, now: dt.datetime
) -> CitizenView:
    """What the holder of a receipt may read; wrong and unknown receipts look the same.

    Wrong tries are counted per user under a rotating keyed hash; past the limit the
    citizen must wait for the window to end (even a right receipt is refused then, so the
    limit cannot be probed).
    """
    window = limits.minutes_window(now, b.settings.status_window_minutes)
    async with b.db.read() as conn:
        await limits.check(conn, b, "status", who, window, b.settings.max_status_tries, now)
    complaint_id = await find_by_receipt(b, receipt_text)
    if complaint_id is None:
        async with b.db.tx() as conn:
            await limits.hit(conn, b, "status", who, window, now)
        raise NotFound("no such receipt")
    await record_event(b, "status_checked", now, channel=who.channel, precision="day")
    return await citizen_view(b, complaint_id)


async def find_by_receipt(b: Backend, receipt_text: str) -> int | None:
    """The case a receipt opens, or None."""
    digits = normalize_receipt(receipt_text)
    if digits is None:
        return None
    receipt_hash = await asyncio.to_thread(b.vault.receipt_hash, digits)
    async with b.db.read() as conn:
        return await q.complaint_id_by_receipt(conn, receipt_hash)


async def citizen_view(b: Backend, complaint_id: int) -> CitizenView:
    """The case as its citizen sees it: no internal notes, no staff names."""
    async with b.db.read() as conn:
        row = await q.get_complaint(conn, complaint_id)
        if row is None:
            raise NotFound("no such case")
        thread = await read_thread(conn, b, complaint_id, include_internal=False)
    return CitizenView(
        complaint_id=complaint_id, kind=Kind(row["kind"]), org_code=row["org_code"],
        received_on=dt.date.fromisoformat(row["received_on"]),
        due_on=dt.date.fromisoformat(row["due_on"]), status=Status(row["status"]),
        extended=bool(row["extended"]), thread=thread,
    )


async def read_thread(
    conn: aiosqlite.Connection, b: Backend, complaint_id: int, *, include_internal: bool
) -> tuple[ThreadEntry, ...]:
    """A case's thread, decrypted, with each line's attachments."""
    files: dict[int, list[AttachmentRef]] = {}
    for row in await q.list_attachments(conn, complaint_id):
        if row["message_id"] is not None:
            files.setdefault(int(row["message_id"]), []).append(attachment_from_row(b, row))
    entries = []
    for row in await q.list_messages(conn, complaint_id, include_internal=include_internal):
        entries.append(
            ThreadEntry(
                author=Author(row["author"]),
                body=b.vault.open_text(bytes(row["body"]), _message_context(
                    complaint_id, int(row["id"]), row["author"], bool(row["internal"]))),
                created_on=dt.date.fromisoformat(row["created_on"]),
                internal=bool(row["internal"]), staff_id=row["staff_id"],
                attachments=tuple(files.get(int(row["id"]), ())),
            )
        )
    return tuple(entries)


def attachment_from_row(b: Backend, row: aiosqlite.Row) -> AttachmentRef:
    """Decrypt an attachment row's metadata."""
    context = f"attachment:{row['complaint_id']}:{row['blob']}"
    meta = json.loads(b.vault.open_text(bytes(row["meta"]), context))
    return AttachmentRef(
        blob=row["blob"], kind=AttachmentKind(row["kind"]), size=int(row["size"]),
        mime=meta.get("mime"), file_name=meta.get("file_name"),
    )


def _message_context(complaint_id: int, message_id: int, author: str, internal: bool) -> str:
    # Bound to the row and its flags: flipping `internal` or moving a line fails to decrypt.
    return f"message:{complaint_id}:{message_id}:{author}:{int(internal)}"


async def add_message(
    conn: aiosqlite.Connection, b: Backend, complaint_id: int, *, author: Author, body: str,
    now: dt.datetime, internal: bool = False, staff_id: int | None = None,
    attachments: list[AttachmentRef] | None = None,
) -> int:
    """Append a line to a case's thread (inside the caller's transaction)."""
    message_id = await q.insert_message(
        conn, complaint_id=complaint_id, author=author.value, internal=internal,
        staff_id=staff_id, body=b"", created_on=b.local_date(now).isoformat(),
    )
    context = _message_context(complaint_id, message_id, author.value, internal)
    await q.set_message_body(conn, message_id, b.vault.seal_text(body, context))
    await _insert_attachments(conn, b, complaint_id, message_id, attachments or [])
    return message_id


async def add_followup(b: Backend, who: Citizen, draft: Draft, now: dt.datetime) -> int:
    """Add the citizen's follow-up draft to its case (they proved the receipt before).

    Stored and the draft removed in one transaction; returns the case number.
    """
    if draft.complaint_id is None:
        raise NotFound("follow-up without a case")
    if not draft.text and not draft.attachments:
        raise InvalidDraft("text_empty")
    if draft.text_length > MAX_FOLLOWUP_TEXT:
        raise InvalidDraft("text_too_long")
    if len(draft.attachments) > MAX_ATTACHMENTS:
        raise InvalidDraft("too_many_files")
    async with b.db.tx() as conn:
        if await q.get_complaint(conn, draft.complaint_id) is None:
            raise NotFound("no such case")
        await add_message(conn, b, draft.complaint_id, author=Author.CITIZEN, body=draft.text,
                          now=now, attachments=draft.attachments)
        await q.delete_draft(conn, _draft_owner(b, who, FOLLOWUP))
    await record_event(b, "followup_added", now, channel=who.channel, precision="day")
    return draft.complaint_id


# -- the "tell me when there is an answer" link ---------------------------------------
async def request_notice(b: Backend, complaint_id: int, target: NoticeTarget) -> None:
    """Keep an encrypted way back to this chat, used once for a content-free notice."""
    data = json.dumps(asdict(target), ensure_ascii=False)
    async with b.db.tx() as conn:
        if await q.get_complaint(conn, complaint_id) is None:
            raise NotFound("no such case")
        await q.set_notify_link(
            conn, complaint_id, b.vault.seal_text(data, f"notify:{complaint_id}")
        )


async def take_notice(
    conn: aiosqlite.Connection, b: Backend, complaint_id: int
) -> NoticeTarget | None:
    """Remove and return the notice link (inside the caller's transaction)."""
    sealed = await q.pop_notify_link(conn, complaint_id)
    if sealed is None:
        return None
    data = json.loads(b.vault.open_text(sealed, f"notify:{complaint_id}"))
    return NoticeTarget(channel=data["channel"], chat_id=str(data["chat_id"]), lang=data["lang"])


# -- when someone waiting for a notice last wrote --------------------------------------
# A channel that may write to a person only within a window after their last message
# (Messenger) needs that time to send a notice. It is kept only for people who asked for
# a notice, under a keyed pseudonym no complaint row carries, encrypted, to the minute
# (rounded down, so a window is never thought longer than it is), and only for
# `CONTACT_KEPT`.
def _contact_owner(b: Backend, who: Citizen) -> bytes:
    return b.vault.pseudonym("contact", who.ref)


def _seal_contact(b: Backend, owner: bytes, now: dt.datetime) -> tuple[bytes, str]:
    at = now.astimezone(dt.UTC).replace(second=0, microsecond=0).isoformat()
    expires_on = b.local_date(now + CONTACT_KEPT).isoformat()
    return b.vault.seal_text(at, f"contact:{owner.hex()}"), expires_on


async def keep_contact(b: Backend, who: Citizen, now: dt.datetime) -> None:
    """The person asked for a notice (and wrote just now): start keeping their last contact."""
    owner = _contact_owner(b, who)
    sealed, expires_on = _seal_contact(b, owner, now)
    async with b.db.tx() as conn:
        await nq.delete_expired_contacts(conn, b.local_date(now).isoformat())
        await nq.put_contact(conn, owner, sealed, expires_on)


async def note_contact(b: Backend, who: Citizen, now: dt.datetime) -> None:
    """The person wrote: refresh their last contact, if one is kept for them (else nothing)."""
    owner = _contact_owner(b, who)
    async with b.db.read() as conn:
        if not await nq.has_contact(conn, owner):
            return
    sealed, expires_on = _seal_contact(b, owner, now)
    async with b.db.tx() as conn:
        await nq.update_contact(conn, owner, sealed, expires_on)
        await nq.delete_expired_contacts(conn, b.local_date(now).isoformat())


async def last_contact(b: Backend, who: Citizen, now: dt.datetime) -> dt.datetime | None:
    """When the person last wrote (to the minute), if it is kept; None if not."""
    owner = _contact_owner(b, who)
    async with b.db.read() as conn:
        sealed = await nq.get_contact(conn, owner, b.local_date(now).isoformat())
    if sealed is None:
        return None
    return dt.datetime.fromisoformat(b.vault.open_text(sealed, f"contact:{owner.hex()}"))


# -- language preference ---------------------------------------------------------------
async def get_lang(b: Backend, who: Citizen) -> str | None:
    """The language this person chose with /lang, if any."""
    async with b.db.read() as conn:
        return await q.get_lang(conn, b.vault.pseudonym("lang", who.ref))


async def set_lang(b: Backend, who: Citizen, lang: str) -> None:
    """Remember the chosen language under a keyed pseudonym."""
    async with b.db.tx() as conn:
        await q.set_lang(conn, b.vault.pseudonym("lang", who.ref), lang)
