"""SQL for surveys: drafts, the "has answered" marks, anonymous responses and their roll-ups."""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

from bot.storage.queries import Row, _all, _insert, _one


async def get_draft(conn: aiosqlite.Connection, key: bytes) -> Row | None:
    return await _one(conn, "SELECT * FROM survey_drafts WHERE key = ?", (key,))


async def put_draft(conn: aiosqlite.Connection, key: bytes, survey: str, channel: str,
                    answers: bytes, at: str) -> None:
    await conn.execute(
        "INSERT INTO survey_drafts (key, survey, channel, answers, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET answers = excluded.answers,"
        " updated_at = excluded.updated_at", (key, survey, channel, answers, at))


async def delete_draft(conn: aiosqlite.Connection, key: bytes) -> None:
    await conn.execute("DELETE FROM survey_drafts WHERE key = ?", (key,))


async def purge_drafts(conn: aiosqlite.Connection, before: str) -> int:
    async with conn.execute("DELETE FROM survey_drafts WHERE updated_at < ?", (before,)) as cur:
        return cur.rowcount


async def has_taken(conn: aiosqlite.Connection, survey: str, key: bytes) -> bool:
    return await _one(conn, "SELECT 1 FROM survey_takers WHERE survey = ? AND key = ?",
                      (survey, key)) is not None


async def mark_taken(conn: aiosqlite.Connection, survey: str, key: bytes) -> bool:
    async with conn.execute("INSERT OR IGNORE INTO survey_takers (survey, key) VALUES (?, ?)",
                            (survey, key)) as cur:
        return cur.rowcount > 0


async def insert_response(conn: aiosqlite.Connection, survey: str, channel: str, day: str
                          ) -> int:
    return await _insert(conn, "INSERT INTO survey_responses (survey, channel, day)"
                               " VALUES (?, ?, ?)", (survey, channel, day))


async def insert_answers(conn: aiosqlite.Connection,
                         rows: Sequence[tuple[int, str, str]]) -> None:
    await conn.executemany("INSERT OR IGNORE INTO survey_answers (response_id, question, choice)"
                           " VALUES (?, ?, ?)", rows)


async def insert_text(conn: aiosqlite.Connection, survey: str, question: str, body: bytes,
                      day: str) -> None:
    await conn.execute("INSERT INTO survey_texts (survey, question, body, day)"
                       " VALUES (?, ?, ?, ?)", (survey, question, body, day))




async def responses_by_channel(conn: aiosqlite.Connection, survey: str, first: str, last: str
                               ) -> dict[str, int]:
    rows = await _all(conn, "SELECT channel, COUNT(*) AS n FROM survey_responses"
                            " WHERE survey = ? AND day BETWEEN ? AND ? GROUP BY channel",
                      (survey, first, last))
    return {str(r["channel"]): int(r["n"]) for r in rows}


async def choice_counts(conn: aiosqlite.Connection, survey: str, first: str, last: str
                        ) -> dict[tuple[str, str], int]:
    rows = await _all(conn, "SELECT question, choice, COUNT(*) AS n FROM survey_answers"
                            " WHERE response_id IN"
                            " (SELECT id FROM survey_responses"
                            "  WHERE survey = ? AND day BETWEEN ? AND ?)"
                            " GROUP BY question, choice",
                      (survey, first, last))
    return {(str(r["question"]), str(r["choice"])): int(r["n"]) for r in rows}


async def question_bases(conn: aiosqlite.Connection, survey: str, first: str, last: str
                         ) -> dict[str, int]:
    """People who answered each question (a multiple choice counts a person once)."""
    rows = await _all(conn, "SELECT question, COUNT(DISTINCT response_id) AS n"
                            " FROM survey_answers WHERE response_id IN"
                            " (SELECT id FROM survey_responses"
                            "  WHERE survey = ? AND day BETWEEN ? AND ?)"
                            " GROUP BY question", (survey, first, last))
    return {str(r["question"]): int(r["n"]) for r in rows}


async def crosstab(conn: aiosqlite.Connection, survey: str, group_question: str, first: str,
                   last: str) -> list[Row]:
    """(group choice, question, choice, people) for every other question."""
    return await _all(
        conn,
        "SELECT g.choice AS group_choice, a.question, a.choice, COUNT(*) AS n"
        " FROM survey_answers g JOIN survey_answers a"
        " ON a.response_id = g.response_id AND a.question != g.question"
        " WHERE g.response_id IN"
        " (SELECT id FROM survey_responses WHERE survey = ? AND day BETWEEN ? AND ?)"
        " AND g.question = ?"
        " GROUP BY g.choice, a.question, a.choice",
        (survey, first, last, group_question),
    )


async def count_texts(conn: aiosqlite.Connection, survey: str, first: str, last: str) -> int:
    row = await _one(conn, "SELECT COUNT(*) AS n FROM survey_texts"
                           " WHERE survey = ? AND day BETWEEN ? AND ?", (survey, first, last))
    return 0 if row is None else int(row["n"])


async def texts(conn: aiosqlite.Connection, survey: str) -> list[Row]:
    return await _all(conn, "SELECT body FROM survey_texts WHERE survey = ? ORDER BY random()",
                      (survey,))
