"""The SQLite connection, its pragmas, transactions and numbered migrations."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

# Why each pragma: WAL lets readers go on during writes; foreign keys are off by default
# in SQLite; secure_delete overwrites deleted content (drafts, used notice links) instead
# of leaving it in free pages; FULL sync because a lost complaint is worse than a slow one;
# busy_timeout makes a second process holding a lock a wait, not an error.
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=15000",
)


def migrations() -> list[tuple[int, str, str]]:
    """The shipped migrations as (version, file name, SQL), in order."""
    found = []
    folder = resources.files("bot.storage") / "migrations"
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 001, 002, … without gaps: {versions}")
    return found


class Database:
    """One connection shared by the bot's tasks, serialised by a lock.

    aiosqlite runs statements on one thread; the lock keeps one task's transaction from
    interleaving with another's statements on the same connection.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path | None) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating if needed) and configure the database; does not migrate."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
        return cls(conn, None if str(path) == ":memory:" else Path(path))

    async def close(self) -> None:
        """Checkpoint the WAL into the main file and close."""
        async with self._lock:
            try:
                await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError as exc:
                # A statement of a task cancelled at the stop may still hold a table; the
                # WAL is then checkpointed at the next start instead. Nothing is lost.
                log.warning("WAL not checkpointed at close: %s", exc)
            finally:
                await self._conn.close()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction, taken at once (IMMEDIATE) so it never fails half-way."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                await self._conn.execute("COMMIT")
            except BaseException:
                # Also after a failed COMMIT: the shared connection must not stay in a
                # transaction, or every later BEGIN would fail.
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection for reads, outside any other task's transaction."""
        async with self._lock:
            yield self._conn

    async def migrate(self, now: dt.datetime) -> list[int]:
        """Apply the migrations not yet applied; returns the versions applied now."""
        async with self._lock:
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            async with self._conn.execute("SELECT version FROM schema_migrations") as cur:
                done = {row[0] for row in await cur.fetchall()}
            applied = []
            for version, name, sql in migrations():
                if version in done:
                    continue
                # executescript commits first; wrap the file so it applies whole or not at all.
                # The version and name come from the shipped file names, checked by regex.
                script = (
                    f"BEGIN IMMEDIATE;\n{sql}\n"
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES "
                    f"({version}, '{name}', '{now.isoformat()}');\nCOMMIT;"
                )
                try:
                    await self._conn.executescript(script)
                except Exception:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise
                log.info("applied migration %s", name)
                applied.append(version)
            return applied

    async def checkpoint(self) -> None:
        """Fold the WAL back into the database file (used before scans and backups)."""
        async with self._lock:
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
