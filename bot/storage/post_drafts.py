"""SQL for the posts staff compose with `/post`, and for the schedules they edit.

One draft row per staff member and purpose (a new post, or an edit of a schedule).
"""

from __future__ import annotations

import aiosqlite

Row = aiosqlite.Row


async def get(conn: aiosqlite.Connection, staff_id: int, purpose: str) -> Row | None:
    async with conn.execute(
        "SELECT data, updated_at FROM post_drafts WHERE staff_id = ? AND purpose = ?",
        (staff_id, purpose),
    ) as cur:
        row: Row | None = await cur.fetchone()
        return row


async def put(
    conn: aiosqlite.Connection, staff_id: int, purpose: str, data: str, at: str
) -> None:
    await conn.execute(
        "INSERT INTO post_drafts (staff_id, purpose, data, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (staff_id, purpose) DO UPDATE SET data = excluded.data,"
        " updated_at = excluded.updated_at",
        (staff_id, purpose, data, at),
    )


async def delete(conn: aiosqlite.Connection, staff_id: int, purpose: str) -> bool:
    """False if there was no such draft (a double tap, or it was already used)."""
    async with conn.execute(
        "DELETE FROM post_drafts WHERE staff_id = ? AND purpose = ?", (staff_id, purpose)
    ) as cur:
        return cur.rowcount > 0


async def delete_idle(conn: aiosqlite.Connection, cutoff: str) -> int:
    """Drafts nobody touched since `cutoff`; returns how many went."""
    async with conn.execute("DELETE FROM post_drafts WHERE updated_at < ?", (cutoff,)) as cur:
        return cur.rowcount


async def active_schedule(conn: aiosqlite.Connection, schedule_id: int) -> Row | None:
    """An active schedule with its post's tags (the columns `upcoming_schedules` gives)."""
    async with conn.execute(
        "SELECT sc.*, p.title, p.kind AS post_kind, p.campaign, p.audience, p.content_id"
        " FROM schedules sc JOIN posts p ON p.id = sc.post_id"
        " WHERE sc.id = ? AND sc.status = 'active'", (schedule_id,),
    ) as cur:
        row: Row | None = await cur.fetchone()
        return row
