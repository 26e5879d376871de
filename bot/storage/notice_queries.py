"""SQL for notice windows: when a person waiting for a notice last wrote.

Like `queries.py`, small functions over a connection; the core opens the transaction.
"""

from __future__ import annotations

import aiosqlite

from bot.storage.queries import _one


async def put_contact(conn: aiosqlite.Connection, owner: bytes, data: bytes,
                      expires_on: str) -> None:
    """Insert or replace the person's row."""
    await conn.execute(
        "INSERT INTO notice_contacts (owner, data, expires_on) VALUES (?, ?, ?)"
        " ON CONFLICT (owner) DO UPDATE SET data = excluded.data,"
        " expires_on = excluded.expires_on",
        (owner, data, expires_on),
    )


async def update_contact(conn: aiosqlite.Connection, owner: bytes, data: bytes,
                         expires_on: str) -> bool:
    """Refresh the person's row if there is one; False if there is none."""
    async with conn.execute(
        "UPDATE notice_contacts SET data = ?, expires_on = ? WHERE owner = ?",
        (data, expires_on, owner),
    ) as cur:
        return cur.rowcount > 0


async def get_contact(conn: aiosqlite.Connection, owner: bytes, today: str) -> bytes | None:
    """The sealed time of the person's row, unless it has expired."""
    row = await _one(conn, "SELECT data FROM notice_contacts WHERE owner = ? AND expires_on >= ?",
                     (owner, today))
    return None if row is None else bytes(row["data"])


async def has_contact(conn: aiosqlite.Connection, owner: bytes) -> bool:
    """Whether the person has a row."""
    return await _one(conn, "SELECT 1 FROM notice_contacts WHERE owner = ?", (owner,)) is not None


async def delete_expired_contacts(conn: aiosqlite.Connection, today: str) -> int:
    """Drop the rows past their day; returns how many."""
    async with conn.execute("DELETE FROM notice_contacts WHERE expires_on < ?", (today,)) as cur:
        return cur.rowcount
