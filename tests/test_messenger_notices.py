"""When a Messenger notice may go, and the notice contact the core keeps for it."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import complaints
from bot.core.backend import Backend, open_backend
from bot.core.models import Citizen
from bot.messenger.notices import MARGIN, Send, allowed

NOW = dt.datetime(2026, 12, 1, 2, 30, 41, tzinfo=dt.UTC)
SARA = Citizen("messenger", "7345012398761234")


@pytest.fixture
async def b(tmp_path: Path) -> AsyncIterator[Backend]:
    backend = await open_backend(Settings(data_dir=tmp_path, receipt_scrypt_n=2**8), NOW)
    yield backend
    await backend.close()


def test_the_windows_and_their_margin() -> None:
    hours = dt.timedelta(hours=1)
    assert allowed(None, NOW, human_reply=True) is None  # nobody kept: never guess
    assert allowed(NOW, NOW, human_reply=False) is Send.STANDARD
    assert allowed(NOW - 23 * hours, NOW, human_reply=False) is Send.STANDARD
    assert allowed(NOW - 24 * hours + MARGIN, NOW, human_reply=False) is Send.STANDARD
    assert allowed(NOW - 24 * hours + MARGIN / 2, NOW, human_reply=False) is None
    assert allowed(NOW - 24 * hours, NOW, human_reply=True) is Send.HUMAN_AGENT
    assert allowed(NOW - 7 * 24 * hours + MARGIN, NOW, human_reply=True) is Send.HUMAN_AGENT
    assert allowed(NOW - 7 * 24 * hours, NOW, human_reply=True) is None
    assert allowed(NOW + hours, NOW, human_reply=False) is Send.STANDARD  # a skewed clock


async def test_a_contact_is_kept_only_for_who_asked_encrypted_and_rounded_down(
    b: Backend, tmp_path: Path
) -> None:
    await complaints.note_contact(b, SARA, NOW)  # never asked: nothing is kept
    assert await complaints.last_contact(b, SARA, NOW) is None
    await complaints.keep_contact(b, SARA, NOW)
    assert await complaints.last_contact(b, SARA, NOW) == NOW.replace(second=0)
    later = NOW + dt.timedelta(hours=5, seconds=30)
    await complaints.note_contact(b, SARA, later)
    assert await complaints.last_contact(b, SARA, later) == later.replace(second=0)
    conn = sqlite3.connect(tmp_path / "bot.sqlite3")
    try:
        rows = conn.execute("SELECT owner, data, expires_on FROM notice_contacts").fetchall()
    finally:
        conn.close()
    assert len(rows) == 1
    owner, data, expires_on = rows[0]
    assert SARA.user_ref.encode() not in owner + data
    assert later.replace(second=0).isoformat().encode() not in data
    assert expires_on == "2026-12-09"  # 8 days on, local date: nothing finer in the clear


async def test_a_contact_is_gone_after_8_days(b: Backend) -> None:
    await complaints.keep_contact(b, SARA, NOW)
    other = Citizen("messenger", "1000000000000001")
    later = NOW + dt.timedelta(days=9)
    assert await complaints.last_contact(b, SARA, later) is None
    await complaints.keep_contact(b, other, later)  # any write clears the expired rows
    async with b.db.read() as conn:
        row = await (await conn.execute("SELECT count(*) FROM notice_contacts")).fetchone()
    assert row is not None and row[0] == 1


def test_names_and_phones_are_checked_by_the_core() -> None:
    assert complaints.clean_name("  Батбаяр   Өлзийбат ") == "Батбаяр Өлзийбат"
    assert complaints.clean_name("Х") is None and complaints.clean_name("ж" * 101) is None
    assert complaints.clean_phone(" +976 9911-2233 ") == "+976 9911-2233"
    assert complaints.clean_phone("утас байхгүй") is None
