"""SQL for offline activities and staff's notes per plan measure."""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.storage.queries import Row, _all, _insert


async def insert_activity(conn: aiosqlite.Connection, **fields: Any) -> int:
    names = ", ".join(fields)
    marks = ", ".join("?" for _ in fields)
    return await _insert(conn, f"INSERT INTO offline_activities ({names}) VALUES ({marks})",  # noqa: S608 (our names)
                         tuple(fields.values()))


async def withdraw_activity(conn: aiosqlite.Connection, activity_id: int, at: str) -> bool:
    async with conn.execute(
        "UPDATE offline_activities SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
        (at, activity_id),
    ) as cur:
        return cur.rowcount > 0


async def activities(
    conn: aiosqlite.Connection, first_day: str, last_day: str, measure: str | None = None
) -> list[Row]:
    """Entries in force between two local dates (inclusive), oldest first."""
    sql = ("SELECT * FROM offline_activities WHERE deleted_at IS NULL"
           " AND happened_on BETWEEN ? AND ?")
    params: list[Any] = [first_day, last_day]
    if measure is not None:
        sql += " AND measure = ?"
        params.append(measure)
    return await _all(conn, sql + " ORDER BY happened_on, id", params)


async def put_note(conn: aiosqlite.Connection, year: int, half: int, measure: str, text: str,
                   percent: int | None, staff_id: int | None, at: str) -> None:
    await conn.execute(
        "INSERT OR REPLACE INTO measure_notes"
        " (year, half, measure, text, percent, updated_by, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", (year, half, measure, text, percent, staff_id, at))


async def notes(conn: aiosqlite.Connection, year: int, half: int) -> list[Row]:
    return await _all(conn, "SELECT * FROM measure_notes WHERE year = ? AND half = ?"
                            " ORDER BY measure", (year, half))


async def recent_measures(conn: aiosqlite.Connection, limit: int) -> list[str]:
    """The plan measures of the latest entries in force, newest first, each once."""
    rows = await _all(conn, "SELECT measure FROM offline_activities WHERE deleted_at IS NULL"
                            " GROUP BY measure ORDER BY MAX(id) DESC LIMIT ?", (limit,))
    return [str(r["measure"]) for r in rows]
