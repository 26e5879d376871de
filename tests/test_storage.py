"""Migrations from an empty database, re-run idempotently; the pragmas that protect data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.storage import Database
from bot.storage.db import migrations

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
EXPECTED_TABLES = {
    "meta", "staff", "complaints", "identities", "messages", "attachments", "notify_links",
    "drafts", "limits", "prefs", "audit_log", "events", "schema_migrations",
}


async def test_migrations_apply_from_empty_and_rerun_as_no_op(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3")
    try:
        applied = await db.migrate(NOW)
        assert applied == [v for v, _, _ in migrations()]
        assert await db.migrate(NOW) == []
        async with db.read() as conn:
            async with conn.execute("SELECT name FROM sqlite_master WHERE type='table'") as cur:
                tables = {row[0] for row in await cur.fetchall()}
            async with conn.execute("SELECT version FROM schema_migrations") as cur:
                versions = [row[0] for row in await cur.fetchall()]
        assert tables >= EXPECTED_TABLES
        assert versions == applied
    finally:
        await db.close()


async def test_migrations_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    first = await Database.open(path)
    await first.migrate(NOW)
    await first.close()
    second = await Database.open(path)
    try:
        assert await second.migrate(NOW) == []
    finally:
        await second.close()


async def test_pragmas_protect_the_data(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3")
    try:
        async with db.read() as conn:
            values = {}
            for pragma in ("journal_mode", "foreign_keys", "secure_delete", "synchronous"):
                async with conn.execute(f"PRAGMA {pragma}") as cur:
                    row = await cur.fetchone()
                    values[pragma] = row[0]
        assert values == {"journal_mode": "wal", "foreign_keys": 1, "secure_delete": 1,
                          "synchronous": 2}
    finally:
        await db.close()


def test_migration_files_are_numbered_without_gaps() -> None:
    versions = [v for v, _, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))
    assert all(name.endswith(".sql") for _, name, _ in migrations())


async def test_no_column_could_hold_a_citizens_telegram_identity(tmp_path: Path) -> None:
    """The schema itself: complaint tables carry no user, chat, username or phone column."""
    db = await Database.open(tmp_path / "t.sqlite3")
    try:
        await db.migrate(NOW)
        forbidden = ("user", "chat", "username", "phone", "first_name", "last_name")
        async with db.read() as conn:
            for table in ("complaints", "identities", "messages", "attachments",
                          "notify_links", "drafts", "limits", "prefs", "events"):
                async with conn.execute(f"PRAGMA table_info({table})") as cur:
                    columns = [row[1] for row in await cur.fetchall()]
                assert not [c for c in columns if any(f in c for f in forbidden)], table
    finally:
        await db.close()
