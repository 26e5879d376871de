"""Domain functions, called directly: submission, receipts, limits, cases, staff, drafts."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import cases, complaints, staff
from bot.core.backend import Backend, open_backend
from bot.core.errors import (
    DeadlineAlreadyExtended,
    InvalidDraft,
    InvalidTransition,
    KeyMismatch,
    NotAuthorized,
    NotFound,
    StaffError,
    TooManyAttempts,
)
from bot.core.models import Citizen, Draft, Identity, Kind, Role, Status

ADMIN, OFFICER, VIEWER = 1, 2, 3
NOW = dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)  # 10:30 in Ulaanbaatar
ALICE = Citizen("telegram", "555001")
TEXT = "Сумын засаг даргын орлогч газар олгохдоо хахууль авсан."


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    base: dict[str, object] = dict(data_dir=tmp_path, admins=frozenset({ADMIN}),
                                   receipt_scrypt_n=2**8)
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture
async def b(tmp_path: Path) -> AsyncIterator[Backend]:
    backend = await open_backend(settings_for(tmp_path), NOW)
    await staff.add_staff(backend, ADMIN, OFFICER, Role.OFFICER, NOW)
    await staff.add_staff(backend, ADMIN, VIEWER, Role.VIEWER, NOW)
    yield backend
    await backend.close()


def draft(**kw: object) -> Draft:
    d = Draft(kind=Kind.COMPLAINT, org_code="bogd", texts=[TEXT])
    for key, value in kw.items():
        setattr(d, key, value)
    return d


async def test_submit_returns_receipt_that_opens_the_case(b: Backend) -> None:
    receipt = await complaints.submit_complaint(b, ALICE, draft(), NOW)
    assert len(receipt.digits) == 16 and receipt.digits.isdigit()
    assert receipt.display.count(" ") == 3
    assert receipt.due_on == dt.date(2026, 12, 31)  # 30 days from the local date
    view = await complaints.check_status(b, ALICE, receipt.display.replace(" ", "-"), NOW)
    assert view.complaint_id == receipt.complaint_id
    assert view.status is Status.RECEIVED
    assert view.received_on == dt.date(2026, 12, 1)


async def test_received_on_is_the_local_date(b: Backend) -> None:
    late_utc = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)  # 01:00 on Dec 2 in UB
    receipt = await complaints.submit_complaint(b, ALICE, draft(), late_utc)
    view = await complaints.citizen_view(b, receipt.complaint_id)
    assert view.received_on == dt.date(2026, 12, 2)


@pytest.mark.parametrize("typed", ["1234 5678 9012 3456", "1234-5678-9012-3456",
                                   " 1234567890123456 ", "1234–5678–9012–3456"])
def test_receipt_normalization_accepts_spaces_and_dashes(typed: str) -> None:
    assert complaints.normalize_receipt(typed) == "1234567890123456"


@pytest.mark.parametrize("typed", ["123", "1234 5678 9012 345x", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", ""])
def test_receipt_normalization_rejects_other_input(typed: str) -> None:
    assert complaints.normalize_receipt(typed) is None


async def test_wrong_receipts_are_limited_per_user_and_window(b: Backend) -> None:
    receipt = await complaints.submit_complaint(b, ALICE, draft(), NOW)
    bob = Citizen("telegram", "555002")
    for _ in range(b.settings.max_status_tries):
        with pytest.raises(NotFound):
            await complaints.check_status(b, bob, "0000 0000 0000 0000", NOW)
    with pytest.raises(TooManyAttempts) as blocked:
        await complaints.check_status(b, bob, receipt.digits, NOW)  # even the right one
    assert 0 < blocked.value.retry_after <= b.settings.status_window_minutes * 60
    # Another person is not affected, and the window passes.
    assert (await complaints.check_status(b, ALICE, receipt.digits, NOW)).complaint_id
    later = NOW + dt.timedelta(minutes=b.settings.status_window_minutes)
    assert (await complaints.check_status(b, bob, receipt.digits, later)).complaint_id


async def test_daily_submission_limit(tmp_path: Path) -> None:
    backend = await open_backend(settings_for(tmp_path, max_complaints_per_day=2), NOW)
    try:
        for _ in range(2):
            await complaints.submit_complaint(backend, ALICE, draft(), NOW)
        with pytest.raises(TooManyAttempts):
            await complaints.submit_complaint(backend, ALICE, draft(), NOW)
        tomorrow = NOW + dt.timedelta(days=1)
        await complaints.submit_complaint(backend, ALICE, draft(), tomorrow)
    finally:
        await backend.close()


@pytest.mark.parametrize(("changes", "reason"), [
    ({"kind": None}, "no_kind"),
    ({"texts": ["short"]}, "text_too_short"),
    ({"texts": ["х" * 4001]}, "text_too_long"),
    ({"named": True, "name": "Бат"}, "identity_incomplete"),
])
async def test_incomplete_drafts_are_refused(b: Backend, changes: dict[str, object],
                                             reason: str) -> None:
    with pytest.raises(InvalidDraft) as refused:
        await complaints.submit_complaint(b, ALICE, draft(**changes), NOW)
    assert refused.value.reason == reason


def test_add_text_refuses_a_part_that_would_overflow() -> None:
    d = Draft(texts=["а" * 3990])
    with pytest.raises(InvalidDraft):
        complaints.add_text(d, "б" * 20)
    assert d.texts == ["а" * 3990]  # nothing half-added
    complaints.add_text(d, "б" * 5)
    assert d.text_length == 3997


async def test_named_identity_is_kept_apart_and_shown_to_officers(b: Backend) -> None:
    receipt = await complaints.submit_complaint(
        b, ALICE, draft(named=True, name="Бат-Өлзий Дорж", phone="+97699112233"), NOW)
    view = await cases.open_case(b, OFFICER, receipt.complaint_id, NOW)
    assert view.identity == Identity("Бат-Өлзий Дорж", "+97699112233")
    assert view.summary.named
    anonymous = await complaints.submit_complaint(b, ALICE, draft(), NOW)
    assert (await cases.open_case(b, OFFICER, anonymous.complaint_id, NOW)).identity is None


async def test_case_lifecycle_reply_status_and_citizen_view(b: Backend) -> None:
    receipt = await complaints.submit_complaint(b, ALICE, draft(), NOW)
    cid = receipt.complaint_id
    await cases.take_case(b, OFFICER, cid, NOW)
    await cases.add_note(b, OFFICER, cid, "Дотоод: шалгах", NOW)
    target = await cases.reply(b, OFFICER, cid, "Таны гомдлыг шалгаж байна.", NOW,
                               mark_answered=False)
    assert target is None  # no notice was asked for
    await cases.reply(b, OFFICER, cid, "Шалгалтын дүн: зөрчил илэрсэн.", NOW,
                      mark_answered=True)
    view = await complaints.citizen_view(b, cid)
    assert view.status is Status.ANSWERED
    bodies = [e.body for e in view.thread]
    assert "Дотоод: шалгах" not in bodies  # internal notes never reach the citizen
    assert bodies == ["Таны гомдлыг шалгаж байна.", "Шалгалтын дүн: зөрчил илэрсэн."]
    staff_view = await cases.open_case(b, OFFICER, cid, NOW)
    assert [e.internal for e in staff_view.thread] == [True, False, False]
    assert staff_view.summary.assignee_id == OFFICER
    await cases.set_status(b, OFFICER, cid, Status.CLOSED, NOW)
    with pytest.raises(InvalidTransition):
        await cases.set_status(b, OFFICER, cid, Status.ANSWERED, NOW)


async def test_forward_and_reject_need_a_reason(b: Backend) -> None:
    cid = (await complaints.submit_complaint(b, ALICE, draft(), NOW)).complaint_id
    with pytest.raises(InvalidDraft):
        await cases.set_status(b, OFFICER, cid, Status.FORWARDED, NOW)
    await cases.set_status(b, OFFICER, cid, Status.FORWARDED, NOW, reason="Прокурорын газар")
    view = await cases.open_case(b, OFFICER, cid, NOW)
    assert view.status_reason == "Прокурорын газар"


async def test_deadline_extends_once_within_the_legal_maximum(b: Backend) -> None:
    cid = (await complaints.submit_complaint(b, ALICE, draft(), NOW)).complaint_id
    with pytest.raises(InvalidDraft):
        await cases.extend_deadline(b, OFFICER, cid, 31, "Шинжээч", NOW)
    due, _ = await cases.extend_deadline(b, OFFICER, cid, 30, "Шинжээчийн дүгнэлт", NOW)
    assert due == dt.date(2027, 1, 30)
    with pytest.raises(DeadlineAlreadyExtended):
        await cases.extend_deadline(b, OFFICER, cid, 5, "Дахин", NOW)
    view = await complaints.citizen_view(b, cid)
    assert view.extended and view.due_on == due


async def test_notice_link_is_used_once(b: Backend) -> None:
    from bot.core.models import NoticeTarget

    cid = (await complaints.submit_complaint(b, ALICE, draft(), NOW)).complaint_id
    await complaints.request_notice(b, cid, NoticeTarget("telegram", "555001", "en"))
    first = await cases.reply(b, OFFICER, cid, "Хариу", NOW, mark_answered=True)
    assert first == NoticeTarget("telegram", "555001", "en")
    second = await cases.reply(b, OFFICER, cid, "Дахин", NOW, mark_answered=False)
    assert second is None


async def test_staff_actions_check_roles_in_the_core(b: Backend) -> None:
    cid = (await complaints.submit_complaint(b, ALICE, draft(), NOW)).complaint_id
    for user in (VIEWER, 999):
        with pytest.raises(NotAuthorized):
            await cases.open_case(b, user, cid, NOW)
        with pytest.raises(NotAuthorized):
            await cases.inbox(b, user, NOW)
    with pytest.raises(NotAuthorized):
        await staff.add_staff(b, OFFICER, 777, Role.ADMIN, NOW)
    with pytest.raises(NotFound):
        await cases.open_case(b, OFFICER, 10_000, NOW)


async def test_last_admin_cannot_be_removed(b: Backend) -> None:
    with pytest.raises(StaffError):
        await staff.remove_staff(b, ADMIN, ADMIN, NOW)
    with pytest.raises(StaffError):
        await staff.add_staff(b, ADMIN, ADMIN, Role.OFFICER, NOW)
    await staff.add_staff(b, ADMIN, 4, Role.ADMIN, NOW)
    await staff.remove_staff(b, 4, ADMIN, NOW)
    assert (await staff.staff_ids(b)).get(ADMIN) is None


async def test_audit_log_records_views_and_is_append_only(b: Backend) -> None:
    cid = (await complaints.submit_complaint(b, ALICE, draft(), NOW)).complaint_id
    await cases.open_case(b, OFFICER, cid, NOW)
    await cases.take_case(b, OFFICER, cid, NOW)
    entries = await staff.read_audit(b, ADMIN, NOW, complaint_id=cid)
    assert [(e.staff_id, e.action) for e in entries] == [(OFFICER, "case.take"),
                                                          (OFFICER, "case.view")]
    async with b.db.read() as conn:
        with pytest.raises(sqlite3.IntegrityError):
            await conn.execute("DELETE FROM audit_log")
        with pytest.raises(sqlite3.IntegrityError):
            await conn.execute("UPDATE audit_log SET action = 'x'")


async def test_digest_lists_overdue_and_due_soon(b: Backend) -> None:
    early = await complaints.submit_complaint(b, ALICE, draft(), NOW)
    later = await complaints.submit_complaint(b, ALICE, draft(), NOW + dt.timedelta(days=5))
    done = await complaints.submit_complaint(b, ALICE, draft(), NOW)
    await cases.reply(b, OFFICER, done.complaint_id, "Хариу", NOW, mark_answered=True)
    day = NOW + dt.timedelta(days=32)  # early is 2 days overdue, later due in 3 days
    result = await cases.digest(b, day)
    assert [c.complaint_id for c in result.overdue] == [early.complaint_id]
    assert [c.complaint_id for c in result.due_soon] == [later.complaint_id]
    assert result.open_total == 2


async def test_drafts_persist_and_expire_with_their_files(b: Backend) -> None:
    blob = await b.files.put(b"photo bytes")
    from bot.core.models import AttachmentKind, AttachmentRef

    d = draft(attachments=[AttachmentRef(blob, AttachmentKind.PHOTO, 11, "image/jpeg")])
    await complaints.save_draft(b, ALICE, d, NOW)
    loaded = await complaints.load_draft(b, ALICE)
    assert loaded == d
    assert await complaints.expire_drafts(b, NOW + dt.timedelta(minutes=29)) == 0
    assert await complaints.expire_drafts(b, NOW + dt.timedelta(minutes=31)) == 1
    assert await complaints.load_draft(b, ALICE) is None
    assert not b.files.exists(blob)


async def test_submitted_draft_keeps_the_receipt_until_seen(b: Backend) -> None:
    receipt = await complaints.submit_complaint(b, ALICE, draft(), NOW)
    pending = await complaints.load_draft(b, ALICE)
    assert pending is not None and pending.receipt == receipt.digits
    assert await complaints.expire_drafts(b, NOW + dt.timedelta(hours=2)) == 0
    await complaints.receipt_seen(b, ALICE)
    assert await complaints.load_draft(b, ALICE) is None


async def test_followup_is_added_to_the_thread(b: Backend) -> None:
    cid = (await complaints.submit_complaint(b, ALICE, draft(), NOW)).complaint_id
    await complaints.receipt_seen(b, ALICE)
    followup = Draft(step="writing", complaint_id=cid, texts=["Нэмэлт баримт олдлоо."])
    await complaints.save_draft(b, ALICE, followup, NOW, complaints.FOLLOWUP)
    assert await complaints.add_followup(b, ALICE, followup, NOW) == cid
    view = await complaints.citizen_view(b, cid)
    assert [e.body for e in view.thread] == ["Нэмэлт баримт олдлоо."]
    assert await complaints.load_draft(b, ALICE, complaints.FOLLOWUP) is None


async def test_a_different_key_is_refused(tmp_path: Path) -> None:
    backend = await open_backend(settings_for(tmp_path), NOW)
    await backend.close()
    (tmp_path / "secret.key").unlink()
    with pytest.raises(KeyMismatch):
        await open_backend(settings_for(tmp_path), NOW)


async def test_key_file_is_owner_only(tmp_path: Path) -> None:
    backend = await open_backend(settings_for(tmp_path), NOW)
    await backend.close()
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


async def test_events_cannot_re_time_a_submission(b: Backend) -> None:
    at = dt.datetime(2026, 12, 1, 5, 47, 13, tzinfo=dt.UTC)
    await complaints.submit_complaint(b, ALICE, draft(), at)
    async with b.db.read() as conn, conn.execute("SELECT at, day, name FROM events") as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert rows == [("2026-12-01T00:00:00+00:00", "2026-12-01", "complaint_submitted")]


async def test_a_passed_deadline_cannot_be_extended(b: Backend) -> None:
    from bot.core.errors import DeadlinePassed

    cid = (await complaints.submit_complaint(b, ALICE, draft(), NOW)).complaint_id
    with pytest.raises(DeadlinePassed):
        await cases.extend_deadline(b, OFFICER, cid, 10, "Хоцорсон", NOW + dt.timedelta(days=31))


async def test_a_stored_draft_cannot_be_submitted_twice(b: Backend) -> None:
    await complaints.submit_complaint(b, ALICE, draft(), NOW)
    pending = await complaints.load_draft(b, ALICE)
    assert pending is not None
    with pytest.raises(InvalidDraft) as refused:
        await complaints.submit_complaint(b, ALICE, pending, NOW)
    assert refused.value.reason == "already_sent"


async def test_tampering_with_a_threads_flags_breaks_decryption(b: Backend) -> None:
    cid = (await complaints.submit_complaint(b, ALICE, draft(), NOW)).complaint_id
    await cases.add_note(b, OFFICER, cid, "Зөвхөн ажилтанд", NOW)
    async with b.db.tx() as conn:
        await conn.execute("UPDATE messages SET internal = 0")  # try to show a note publicly
    with pytest.raises(KeyMismatch):
        await complaints.citizen_view(b, cid)
