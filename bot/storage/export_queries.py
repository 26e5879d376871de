"""SQL for the XLSX/CSV export: one read-only snapshot, rows streamed, never loaded whole.

The export runs in a worker thread on its own read-only connection (the standard `sqlite3`
module), not on the bot's shared one: a year's export reads a million outbox rows, and the
bot must go on answering meanwhile. WAL lets this reader see one consistent snapshot while
the bot writes. Each function yields plain tuples in the column order its docstring names.

Complaint rows are selected column by column: no query here reads a body, a reason, an
identity, a receipt hash or an assignee.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Row = tuple[Any, ...]
OPEN_STATUSES = ("received", "in_review")


@contextmanager
def snapshot(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection inside one read transaction: every sheet sees the same data."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           isolation_level=None, check_same_thread=True)
    try:
        conn.execute("PRAGMA busy_timeout=15000")
        conn.execute("BEGIN")
        conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()  # the snapshot starts
        yield conn
    finally:
        try:
            if conn.in_transaction:
                conn.execute("COMMIT")
        finally:
            conn.close()


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> Iterator[Row]:
    cur = conn.execute(sql, params)
    cur.arraysize = 512
    while batch := cur.fetchmany():
        yield from batch


# A broadcast is in the period if it started on one of its local days: `since` and `until`
# are the UTC bounds of those days as `YYYY-MM-DD HH:MM:SS`, and datetime() reads any stored
# offset (as bot/storage/stats_queries.py does, so the export counts what /stats counts).
_STARTED_IN = "started_at IS NOT NULL AND datetime(started_at) >= ? AND datetime(started_at) < ?"
_IN_PERIOD = f"SELECT id FROM broadcasts WHERE {_STARTED_IN}"  # noqa: S608 (fixed text)


def broadcasts(conn: sqlite3.Connection, since: str, until: str) -> Iterator[Row]:
    """Broadcasts started in [since, until) (UTC), oldest first, with their outcomes.

    (broadcast id, post id, title, content id, kind, campaign, measure, audience,
    started_at, total, sent, failed, skipped, chats, members, reactions)
    """
    return _rows(
        conn,
        "SELECT b.id, b.post_id, p.title, p.content_id, p.kind, p.campaign, p.measure,"  # noqa: S608 (fixed text)
        " p.audience, b.started_at, b.total,"
        " COALESCE(o.sent, 0), COALESCE(o.failed, 0), COALESCE(o.skipped, 0),"
        " COALESCE(c.chats, 0), COALESCE(c.members, 0), COALESCE(c.reactions, 0)"
        " FROM broadcasts b JOIN posts p ON p.id = b.post_id"
        " LEFT JOIN (SELECT broadcast_id, SUM(status = 'sent') AS sent,"
        "   SUM(status = 'failed') AS failed, SUM(status = 'skipped') AS skipped"
        f"   FROM outbox WHERE broadcast_id IN ({_IN_PERIOD}) GROUP BY broadcast_id) o"
        "   ON o.broadcast_id = b.id"
        " LEFT JOIN (SELECT broadcast_id, COUNT(DISTINCT chat_id) AS chats,"
        "   COALESCE(SUM(members), 0) AS members,"
        "   SUM(reactions) AS reactions FROM channel_posts"
        f"   WHERE broadcast_id IN ({_IN_PERIOD}) GROUP BY broadcast_id) c"
        "   ON c.broadcast_id = b.id"
        " WHERE b.started_at IS NOT NULL"
        " AND datetime(b.started_at) >= ? AND datetime(b.started_at) < ?"
        " ORDER BY datetime(b.started_at), b.id",
        (since, until, since, until, since, until),
    )


def marks_by_scope(conn: sqlite3.Connection, what: str, first_day: str, last_day: str
                   ) -> dict[str, int]:
    """People with a mark (useful, share, pledge, source) per scope, marked on the days.

    From `reach_marks`, once per person per scope, as /stats counts a scope's marks; its
    key (what, scope, …) makes this one ordered pass with no lookups.
    """
    return {str(scope): int(n) for scope, n in _rows(
        conn, "SELECT scope, COUNT(*) FROM reach_marks WHERE what = ? AND day BETWEEN ? AND ?"
              " GROUP BY scope", (what, first_day, last_day))}


def posts(conn: sqlite3.Connection, ids: list[int]) -> Iterator[Row]:
    """(post id, title, content id, kind, campaign, measure, audience) of the given posts."""
    return _rows(conn, "SELECT id, title, content_id, kind, campaign, measure, audience"
                       " FROM posts WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
                 (json.dumps(ids),))


def sources(conn: sqlite3.Connection) -> Iterator[Row]:
    """(code, name) of every named source, oldest first."""
    return _rows(conn, "SELECT code, name FROM sources ORDER BY created_at, code")


_COMPLAINT_COLUMNS = ("id, kind, org_code, channel, received_on, due_on, extended, status,"
                      " answered_on")


def complaints(conn: sqlite3.Connection, first_day: str, last_day: str) -> Iterator[Row]:
    """Complaints received in the days, by number: never content, never identity.

    (number, kind, org code, channel, received on, due on, extended, status, answered on)
    """
    return _rows(conn, f"SELECT {_COMPLAINT_COLUMNS} FROM complaints"  # noqa: S608 (our names)
                       " WHERE received_on BETWEEN ? AND ? ORDER BY id", (first_day, last_day))


def open_complaints(conn: sqlite3.Connection) -> Iterator[Row]:
    """Open cases (received, in review), nearest deadline first; columns as `complaints`."""
    return _rows(conn, f"SELECT {_COMPLAINT_COLUMNS} FROM complaints"  # noqa: S608 (our names)
                       " WHERE status IN (?, ?) ORDER BY due_on, id", OPEN_STATUSES)


def activities(conn: sqlite3.Connection, first_day: str, last_day: str) -> Iterator[Row]:
    """Offline work in force in the days, oldest first.

    (id, happened on, measure, kind, title, times, people, place, note, source)
    """
    return _rows(
        conn,
        "SELECT id, happened_on, measure, kind, title, times, people, place, note, source"
        " FROM offline_activities WHERE deleted_at IS NULL AND happened_on BETWEEN ? AND ?"
        " ORDER BY happened_on, id", (first_day, last_day))
