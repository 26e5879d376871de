"""SQL for the office's Facebook Page: the post flag, a row per published occurrence, figures.

Async functions over the bot's connection (aiosqlite) for the core (`bot/core/page.py`),
and, at the end, plain `sqlite3` ones for the export's read-only snapshot: the Page's
sheet, and the channel columns it added to others. The tables are described in
`migrations/009_facebook_page.sql`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import aiosqlite

from bot.storage.queries import Row, _all, _one, get_meta, set_meta

TOKEN_KEY = "page_token"  # noqa: S105 - a meta key; its value: b"refused" (staff not told yet), b"told", b"ok"


async def _changed(conn: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> int:
    async with conn.execute(sql, params) as cur:
        return int(cur.rowcount)


# -- the post's flag -------------------------------------------------------------------------
async def set_post_page(conn: aiosqlite.Connection, post_id: int, page: bool) -> None:
    await conn.execute("UPDATE posts SET page = ? WHERE id = ?", (int(page), post_id))


async def post_page(conn: aiosqlite.Connection, post_id: int) -> bool:
    row = await _one(conn, "SELECT page FROM posts WHERE id = ?", (post_id,))
    return row is not None and bool(row["page"])


# -- publishing ------------------------------------------------------------------------------
async def queue(conn: aiosqlite.Connection, broadcast_id: int, post_id: int, now: str) -> bool:
    """The occurrence's Page row; False if it has one already."""
    return await _changed(
        conn,
        "INSERT OR IGNORE INTO page_posts (broadcast_id, post_id, next_at, created_at)"
        " VALUES (?, ?, ?, ?)", (broadcast_id, post_id, now, now)) > 0


async def due(conn: aiosqlite.Connection, now: str, limit: int) -> list[Row]:
    """Pending rows whose time has come, oldest first, with their post's payload."""
    return await _all(
        conn,
        "SELECT pp.id, pp.broadcast_id, pp.post_id, pp.attempts, p.payload FROM page_posts pp"
        " JOIN posts p ON p.id = pp.post_id WHERE pp.status = 'pending' AND pp.next_at <= ?"
        " ORDER BY pp.next_at, pp.id LIMIT ?", (now, limit))


async def any_due(conn: aiosqlite.Connection, now: str) -> bool:
    row = await _one(conn, "SELECT 1 FROM page_posts WHERE status = 'pending' AND next_at <= ?"
                     " LIMIT 1", (now,))
    return row is not None


async def claim(conn: aiosqlite.Connection, page_post_id: int) -> bool:
    """Mark a pending row in flight; False if another pass took it first."""
    return await _changed(
        conn,
        "UPDATE page_posts SET status = 'publishing', attempts = attempts + 1"
        " WHERE id = ? AND status = 'pending'", (page_post_id,)) > 0


async def published(conn: aiosqlite.Connection, page_post_id: int, fb_post_id: str, form: str,
                    note: str | None, at: str) -> None:
    await conn.execute(
        "UPDATE page_posts SET status = 'published', fb_post_id = ?, form = ?, note = ?,"
        " published_at = ?, error = NULL WHERE id = ?",
        (fb_post_id, form, note, at, page_post_id))


async def retry_at(conn: aiosqlite.Connection, page_post_id: int, next_at: str, error: str
                   ) -> None:
    await conn.execute(
        "UPDATE page_posts SET status = 'pending', next_at = ?, error = ? WHERE id = ?",
        (next_at, error, page_post_id))


async def failed(conn: aiosqlite.Connection, page_post_id: int, error: str, *, told: bool
                 ) -> None:
    await conn.execute(
        "UPDATE page_posts SET status = 'failed', error = ?, told = ? WHERE id = ?",
        (error, int(told), page_post_id))


async def leftovers_unsure(conn: aiosqlite.Connection) -> int:
    """Rows a stopped process left in flight become `unsure` (never published again)."""
    return await _changed(
        conn, "UPDATE page_posts SET status = 'unsure', error = 'stopped' WHERE status ="
        " 'publishing'", ())


async def untold(conn: aiosqlite.Connection) -> list[Row]:
    """Failed or unsure rows staff have not heard of, with the post's title."""
    return await _all(
        conn,
        "SELECT pp.id, pp.broadcast_id, pp.post_id, pp.status, pp.error, p.title,"
        " p.content_id FROM page_posts pp JOIN posts p ON p.id = pp.post_id"
        " WHERE pp.status IN ('failed', 'unsure') AND pp.told = 0 ORDER BY pp.id")


async def mark_told(conn: aiosqlite.Connection, ids: Sequence[int]) -> None:
    await conn.executemany("UPDATE page_posts SET told = 1 WHERE id = ?", [(i,) for i in ids])


async def token_state(conn: aiosqlite.Connection) -> str:
    value = await get_meta(conn, TOKEN_KEY)
    return "ok" if value is None else value.decode()


async def set_token_state(conn: aiosqlite.Connection, state: str) -> None:
    await set_meta(conn, TOKEN_KEY, state.encode())


# -- figures ---------------------------------------------------------------------------------
async def to_read(conn: aiosqlite.Connection, since: str, before: str, today: str, limit: int
                  ) -> list[Row]:
    """Published rows (in [since, before), UTC) whose figures were not read on `today`."""
    return await _all(
        conn,
        "SELECT pp.id, pp.fb_post_id FROM page_posts pp"
        " LEFT JOIN page_figures f ON f.page_post_id = pp.id"
        " WHERE pp.status = 'published' AND pp.published_at >= ? AND pp.published_at < ?"
        " AND (f.read_on IS NULL OR f.read_on < ?) ORDER BY pp.published_at, pp.id LIMIT ?",
        (since, before, today, limit))


async def put_figures(conn: aiosqlite.Connection, page_post_id: int, *, read_on: str,
                      read_at: str, views: int | None, reactions: int, comments: int,
                      shares: int) -> None:
    await conn.execute(
        "INSERT INTO page_figures (page_post_id, read_on, read_at, views, reactions, comments,"
        " shares) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (page_post_id) DO UPDATE SET"
        " read_on = excluded.read_on, read_at = excluded.read_at, views = excluded.views,"
        " reactions = excluded.reactions, comments = excluded.comments,"
        " shares = excluded.shares",
        (page_post_id, read_on, read_at, views, reactions, comments, shares))


_WITH_FIGURES = (
    "SELECT pp.*, f.read_on, f.read_at, f.views, f.reactions, f.comments, f.shares"
    " FROM page_posts pp LEFT JOIN page_figures f ON f.page_post_id = pp.id"
)


async def of_broadcasts(conn: aiosqlite.Connection, broadcast_ids: Sequence[int]) -> list[Row]:
    """The Page rows of these broadcasts, with their latest figures."""
    if not broadcast_ids:
        return []
    marks = ", ".join("?" for _ in broadcast_ids)
    return await _all(conn, f"{_WITH_FIGURES} WHERE pp.broadcast_id IN ({marks})",
                      tuple(broadcast_ids))


async def get(conn: aiosqlite.Connection, page_post_id: int) -> Row | None:
    return await _one(conn, f"{_WITH_FIGURES} WHERE pp.id = ?", (page_post_id,))


# -- the export (sqlite3, the read-only snapshot) ----------------------------------------------
def rows_published(conn: sqlite3.Connection, since: str, until: str) -> Iterator[tuple[Any, ...]]:
    """Page rows made in [since, until) (UTC, as /stats bounds them): when their run fired.

    (page row id, broadcast id, post id, title, content id, kind, campaign, measure,
    status, published_at, fb_post_id, form, note, error, read_at, views, reactions,
    comments, shares), oldest first.
    """
    cur = conn.execute(
        "SELECT pp.id, pp.broadcast_id, pp.post_id, p.title, p.content_id, p.kind, p.campaign,"
        " p.measure, pp.status, pp.published_at, pp.fb_post_id, pp.form, pp.note, pp.error,"
        " f.read_at, f.views, f.reactions, f.comments, f.shares"
        " FROM page_posts pp JOIN posts p ON p.id = pp.post_id"
        " LEFT JOIN page_figures f ON f.page_post_id = pp.id"
        " WHERE datetime(pp.created_at) >= ? AND datetime(pp.created_at) < ?"
        " ORDER BY pp.id", (since, until))
    cur.arraysize = 256
    while batch := cur.fetchmany():
        yield from batch


def fb_posts_of_broadcasts(conn: sqlite3.Connection, since: str, until: str
                           ) -> dict[int, str]:
    """Broadcast id → its Page post's id, for the broadcasts started in [since, until)."""
    return {int(b): str(f) for b, f in conn.execute(
        "SELECT pp.broadcast_id, pp.fb_post_id FROM page_posts pp"
        " JOIN broadcasts b ON b.id = pp.broadcast_id WHERE pp.fb_post_id IS NOT NULL"
        " AND b.started_at IS NOT NULL AND datetime(b.started_at) >= ?"
        " AND datetime(b.started_at) < ?", (since, until))}


def any_page_posts(conn: sqlite3.Connection) -> bool:
    """Whether the office ever published (or tried to) on its Page."""
    return conn.execute("SELECT 1 FROM page_posts LIMIT 1").fetchone() is not None


def arrivals_by_channel(conn: sqlite3.Connection, first: str, last: str
                        ) -> dict[tuple[str, str], int]:
    """(source code, channel) → first arrivals on local days of the period.

    From the `source` events (each new arrival mark appends one, with its channel), so
    the channels sum to the arrivals `reach_marks` holds for those days.
    """
    return {(str(code), str(channel)): int(n) for code, channel, n in conn.execute(
        "SELECT json_extract(dims, '$.scope') AS code, channel, COUNT(*) FROM events"
        " WHERE name = 'source' AND day BETWEEN ? AND ? GROUP BY code, channel",
        (first, last))}
