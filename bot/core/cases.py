"""The staff side of the 110 box: the inbox, a case's view and every action on it."""

from __future__ import annotations

import datetime as dt
import json

import aiosqlite

from bot.core.backend import Backend, record_event
from bot.core.complaints import add_message, attachment_from_row, read_thread, take_notice
from bot.core.errors import (
    DeadlineAlreadyExtended,
    DeadlinePassed,
    InvalidDraft,
    InvalidTransition,
    NotFound,
)
from bot.core.models import (
    NEEDS_REASON,
    OPEN_STATUSES,
    TRANSITIONS,
    Author,
    CaseSummary,
    CaseView,
    Digest,
    Identity,
    Kind,
    NoticeTarget,
    Status,
)
from bot.core.staff import CASE_ROLES, audit, require
from bot.storage import queries as q

MAX_REPLY = 4000
# Status changes the citizen is told about (if they asked to be told).
NEWS = frozenset({Status.ANSWERED, Status.FORWARDED, Status.REJECTED, Status.CLOSED})
DUE_SOON_DAYS = 3


def summary_from_row(row: aiosqlite.Row) -> CaseSummary:
    """A case's content-free summary."""
    return CaseSummary(
        complaint_id=int(row["id"]), kind=Kind(row["kind"]), org_code=row["org_code"],
        status=Status(row["status"]), received_on=dt.date.fromisoformat(row["received_on"]),
        due_on=dt.date.fromisoformat(row["due_on"]), assignee_id=row["assignee_id"],
        named=bool(row["named"]), attachments=int(row["attachments"]),
    )


async def inbox(b: Backend, staff_id: int, now: dt.datetime) -> list[CaseSummary]:
    """Open cases, the nearest deadline first."""
    async with b.db.tx() as conn:
        await require(conn, staff_id, CASE_ROLES)
        rows = await q.list_complaints_by_status(conn, OPEN_STATUSES)
        await audit(conn, staff_id, "inbox.view", now)
    return [summary_from_row(r) for r in rows]


async def _case_row(conn: aiosqlite.Connection, complaint_id: int) -> aiosqlite.Row:
    row = await q.get_complaint(conn, complaint_id)
    if row is None:
        raise NotFound(f"no case {complaint_id}")
    return row


async def open_case(b: Backend, staff_id: int, complaint_id: int, now: dt.datetime) -> CaseView:
    """Decrypt a case for an officer; every opening is audited."""
    async with b.db.tx() as conn:
        await require(conn, staff_id, CASE_ROLES)
        row = await _case_row(conn, complaint_id)
        identity = None
        if (sealed := await q.get_identity(conn, complaint_id)) is not None:
            data = json.loads(b.vault.open_text(sealed, f"identity:{complaint_id}"))
            identity = Identity(name=data["name"], phone=data["phone"])
        attachments = tuple(
            attachment_from_row(b, r)
            for r in await q.list_attachments(conn, complaint_id)
            if r["message_id"] is None
        )
        thread = await read_thread(conn, b, complaint_id, include_internal=True)
        await audit(conn, staff_id, "case.view", now, complaint_id)
    return CaseView(
        summary=summary_from_row(row),
        text=b.vault.open_text(bytes(row["body"]), f"complaint.body:{complaint_id}"),
        identity=identity, attachments=attachments, thread=thread,
        status_reason=_open_optional(b, row["status_reason"], f"status_reason:{complaint_id}"),
        extension_reason=_open_optional(b, row["extension_reason"], f"extension:{complaint_id}"),
        extended=bool(row["extended"]),
    )


def _open_optional(b: Backend, blob: bytes | None, context: str) -> str | None:
    return None if blob is None else b.vault.open_text(bytes(blob), context)


async def read_file(b: Backend, staff_id: int, blob: str) -> bytes:
    """An attachment's bytes, for re-sending to an officer (never a forward)."""
    async with b.db.read() as conn:
        await require(conn, staff_id, CASE_ROLES)
    return await b.files.get(blob)


async def take_case(b: Backend, staff_id: int, complaint_id: int, now: dt.datetime) -> None:
    """The officer takes the case; a received case moves to review."""
    async with b.db.tx() as conn:
        await require(conn, staff_id, CASE_ROLES)
        row = await _case_row(conn, complaint_id)
        await q.set_assignee(conn, complaint_id, staff_id)
        if row["status"] == Status.RECEIVED:
            await q.update_status(conn, complaint_id, status=Status.IN_REVIEW, reason=None,
                                  answered_on=None, closed_on=None)
        await audit(conn, staff_id, "case.take", now, complaint_id)


def _system(event: str, **params: str) -> str:
    # System lines are stored as structured data and rendered in the reader's language.
    return json.dumps({"event": event, **params}, ensure_ascii=False)


async def set_status(
    b: Backend, staff_id: int, complaint_id: int, status: Status, now: dt.datetime,
    reason: str | None = None,
) -> NoticeTarget | None:
    """Move a case; returns where to send the citizen a notice, if they asked for one."""
    reason = (reason or "").strip() or None
    if status in NEEDS_REASON and reason is None:
        raise InvalidDraft("reason_required")
    today = b.local_date(now).isoformat()
    async with b.db.tx() as conn:
        await require(conn, staff_id, CASE_ROLES)
        row = await _case_row(conn, complaint_id)
        current = Status(row["status"])
        if status not in TRANSITIONS[current]:
            raise InvalidTransition(f"{current} -> {status}")
        await q.update_status(
            conn, complaint_id, status=status.value,
            reason=None if reason is None
            else b.vault.seal_text(reason, f"status_reason:{complaint_id}"),
            answered_on=today if status is Status.ANSWERED else None,
            closed_on=today if status is Status.CLOSED else None,
        )
        params = {"status": status.value}
        if reason is not None:
            params["reason"] = reason
        await add_message(conn, b, complaint_id, author=Author.SYSTEM,
                          body=_system("status", **params), now=now)
        await audit(conn, staff_id, "case.status", now, complaint_id, f"{current}->{status}")
        target = await take_notice(conn, b, complaint_id) if status in NEWS else None
    await record_event(b, "complaint_status", now, status=status.value,
                       on_time=today <= row["due_on"])
    return target


async def reply(
    b: Backend, staff_id: int, complaint_id: int, text: str, now: dt.datetime, *,
    mark_answered: bool,
) -> NoticeTarget | None:
    """Write to the citizen (shown under /status); optionally this is the answer."""
    text = text.strip()
    if not text:
        raise InvalidDraft("text_empty")
    if len(text) > MAX_REPLY:
        raise InvalidDraft("text_too_long")
    today = b.local_date(now).isoformat()
    async with b.db.tx() as conn:
        await require(conn, staff_id, CASE_ROLES)
        row = await _case_row(conn, complaint_id)
        current = Status(row["status"])
        await add_message(conn, b, complaint_id, author=Author.STAFF, body=text, now=now,
                          staff_id=staff_id)
        if mark_answered and current is not Status.ANSWERED:
            if Status.ANSWERED not in TRANSITIONS[current]:
                raise InvalidTransition(f"{current} -> answered")
            await q.update_status(conn, complaint_id, status=Status.ANSWERED, reason=None,
                                  answered_on=today, closed_on=None)
        await audit(conn, staff_id, "case.reply", now, complaint_id,
                    "answer" if mark_answered else "message")
        target = await take_notice(conn, b, complaint_id)
    if mark_answered:
        await record_event(b, "complaint_status", now, status=Status.ANSWERED.value,
                           on_time=today <= row["due_on"])
    return target


async def add_note(
    b: Backend, staff_id: int, complaint_id: int, text: str, now: dt.datetime
) -> None:
    """An internal note: staff only, never shown to the citizen."""
    text = text.strip()
    if not text:
        raise InvalidDraft("text_empty")
    if len(text) > MAX_REPLY:
        raise InvalidDraft("text_too_long")
    async with b.db.tx() as conn:
        await require(conn, staff_id, CASE_ROLES)
        await _case_row(conn, complaint_id)
        await add_message(conn, b, complaint_id, author=Author.STAFF, body=text, now=now,
                          staff_id=staff_id, internal=True)
        await audit(conn, staff_id, "case.note", now, complaint_id)


async def extend_deadline(
    b: Backend, staff_id: int, complaint_id: int, days: int, reason: str, now: dt.datetime
) -> tuple[dt.date, NoticeTarget | None]:
    """Extend once, by up to the legal maximum, with a reason the citizen is shown."""
    reason = reason.strip()
    if not reason:
        raise InvalidDraft("reason_required")
    if not 1 <= days <= b.settings.max_extension_days:
        raise InvalidDraft("extension_days")
    async with b.db.tx() as conn:
        await require(conn, staff_id, CASE_ROLES)
        row = await _case_row(conn, complaint_id)
        if row["extended"]:
            raise DeadlineAlreadyExtended(str(complaint_id))
        if Status(row["status"]) not in OPEN_STATUSES:
            raise InvalidTransition("only open cases can be extended")
        if b.local_date(now) > dt.date.fromisoformat(row["due_on"]):
            # The law lets the office extend a running deadline, not revive a missed one;
            # allowing it would also count a late answer as on time.
            raise DeadlinePassed(str(complaint_id))
        due_on = dt.date.fromisoformat(row["due_on"]) + dt.timedelta(days=days)
        await q.set_extension(conn, complaint_id, due_on=due_on.isoformat(),
                              reason=b.vault.seal_text(reason, f"extension:{complaint_id}"))
        await add_message(conn, b, complaint_id, author=Author.SYSTEM, now=now,
                          body=_system("extended", until=due_on.isoformat(), reason=reason))
        await audit(conn, staff_id, "case.extend", now, complaint_id, f"+{days}d")
        target = await take_notice(conn, b, complaint_id)
    return due_on, target


async def digest(b: Backend, now: dt.datetime) -> Digest:
    """Overdue open cases and those due within three days (no content, for the group)."""
    today = b.local_date(now)
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    async with b.db.read() as conn:
        rows = await q.list_complaints_by_status(conn, OPEN_STATUSES)
    cases = [summary_from_row(r) for r in rows]
    return Digest(
        today=today,
        overdue=tuple(c for c in cases if c.due_on < today),
        due_soon=tuple(c for c in cases if today <= c.due_on <= soon),
        open_total=len(cases),
    )
