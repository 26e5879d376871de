"""SQL for statistics: every figure of `/stats`, the export and the report, rolled up here.

Small functions over a connection, like `queries.py`; the core (`bot/core/stats.py`) says
which table each figure comes from and why. Nothing here reads a complaint's `body`, a
subscriber's `chat` or a reach mark's `key`: figures are counts, never people.

Periods arrive as local dates (`day`, `received_on`, `happened_on` columns are local) and,
for broadcasts, whose `started_at` is a UTC instant, as the UTC bounds of the local days
(`lo` inclusive, `hi` exclusive, in SQLite's `YYYY-MM-DD HH:MM:SS`). `datetime()` on the
column makes any stored offset compare correctly; broadcasts are few, so it costs nothing.
Months arrive as a JSON list of `[month, first day, last day, lo, hi]`.

A post selector is three JSON lists (`measures`, `campaigns`, `kinds`); an empty list
matches every post, and a post must match every non-empty one.

What keeps it fast on a million events and millions of outbox rows (timings in
`tests/test_stats.py`'s docstring): counts run along an index (`events_by_name_day`,
`outbox_pending`, `reach_marks`' key) and never sort the rows they count — a month's
count is its own index range, not a `GROUP BY` over a computed month; distinct
recipients are found by probing the outbox key per subscriber, skipping those who had
left before the period; and the period's broadcasts are worked out once (`MATERIALIZED`).
"""

# Statements are put together from this module's own constants and fixed column names;
# every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite

from bot.storage.db import Database
from bot.storage.queries import Params, Row, _all, _one


def _groups(rows: list[Row]) -> dict[str, int]:
    return {str(r[0]): int(r[1]) for r in rows}


@asynccontextmanager
async def reader(db: Database) -> AsyncIterator[aiosqlite.Connection]:
    """A read-only connection of its own, in one read transaction (a consistent snapshot).

    The bot's connection is one, serialised by a lock: a year's figures on a big database
    take a good part of a second, and every citizen would wait that long. In WAL mode a
    second connection reads while the bot goes on writing. An in-memory database has no
    second connection; there the bot's is used.
    """
    if db.path is None:
        async with db.read() as shared:
            yield shared
        return
    conn = await aiosqlite.connect(str(db.path), isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA query_only=ON")
        await conn.execute("PRAGMA busy_timeout=15000")
        await conn.execute("BEGIN")
        try:
            yield conn
        finally:
            await conn.execute("COMMIT")
    finally:
        await conn.close()


# A post matches the selector (alias p): every non-empty list must contain its tag.
_POST_MATCHES = (
    "(json_array_length(:measures) = 0 OR p.measure IN (SELECT value FROM json_each(:measures)))"
    " AND (json_array_length(:campaigns) = 0"
    "      OR p.campaign IN (SELECT value FROM json_each(:campaigns)))"
    " AND (json_array_length(:kinds) = 0 OR p.kind IN (SELECT value FROM json_each(:kinds)))"
)

# The broadcasts of the period: started (a queued one reached nobody) on a local day in it.
_SELECTED = (
    "WITH selected AS MATERIALIZED (SELECT b.id, b.post_id, datetime(b.started_at) AS started"
    " FROM broadcasts b JOIN posts p ON p.id = b.post_id WHERE b.started_at IS NOT NULL"
    " AND datetime(b.started_at) >= :lo AND datetime(b.started_at) < :hi"
    f" AND {_POST_MATCHES}) "
)

_MONTHS = (
    "months AS (SELECT json_extract(value, '$[0]') AS month,"
    " json_extract(value, '$[1]') AS first, json_extract(value, '$[2]') AS last,"
    " json_extract(value, '$[3]') AS lo, json_extract(value, '$[4]') AS hi"
    " FROM json_each(:months))"
)


OUTBOX_STATUSES = ("pending", "inflight", "sent", "failed", "skipped")


# -- outreach ------------------------------------------------------------------------------
async def posts_by(conn: aiosqlite.Connection, column: str, params: Params) -> list[Row]:
    """(tag, posts, broadcasts) of the period's broadcasts by post kind or campaign."""
    if column not in ("kind", "campaign"):
        raise ValueError(column)
    return await _all(
        conn,
        f"{_SELECTED}SELECT p.{column} AS tag, COUNT(DISTINCT p.id) AS posts,"
        " COUNT(*) AS broadcasts FROM selected s JOIN posts p ON p.id = s.post_id"
        f" WHERE p.{column} IS NOT NULL GROUP BY p.{column} ORDER BY posts DESC, tag",
        params,
    )


async def outbox_by_status(conn: aiosqlite.Connection, params: Params) -> dict[str, int]:
    """Outbox rows of the period's broadcasts by status (sent, failed, skipped …)."""
    # Each (broadcast, status) is one range of `outbox_pending`, counted without a sort.
    row = await _one(
        conn,
        f"{_SELECTED}SELECT " + ", ".join(
            f"COALESCE(SUM((SELECT COUNT(*) FROM outbox o WHERE o.broadcast_id = s.id"
            f" AND o.status = '{status}')), 0) AS {status}" for status in OUTBOX_STATUSES)
        + " FROM selected s",
        params,
    )
    return {} if row is None else {k: int(row[k]) for k in OUTBOX_STATUSES if row[k]}


async def recipients_by_kind(conn: aiosqlite.Connection, params: Params) -> dict[str, int]:
    """Distinct recipients (person, group, channel) with a delivery in the period's broadcasts.

    Someone who left before the period began (`left_on` is their latest leaving) cannot
    have had one, and is not probed.
    """
    return _groups(await _all(
        conn,
        f"{_SELECTED}SELECT r.kind, COUNT(*) FROM subscribers r"
        " WHERE (r.status = 'active' OR r.left_on >= :first) AND EXISTS (SELECT 1 FROM selected s"
        # CROSS JOIN keeps the broadcasts outside: a key lookup per (broadcast, recipient).
        " CROSS JOIN outbox o ON o.broadcast_id = s.id AND o.subscriber_id = r.id"
        " WHERE o.status = 'sent') GROUP BY r.kind",
        params,
    ))


async def chat_deliveries(conn: aiosqlite.Connection, params: Params) -> dict[str, int]:
    """Deliveries to groups and channels (the rest went to people), by kind."""
    return _groups(await _all(
        conn,
        f"{_SELECTED}SELECT r.kind, COUNT(*) FROM subscribers r CROSS JOIN selected s"
        " CROSS JOIN outbox o ON o.broadcast_id = s.id AND o.subscriber_id = r.id"
        " WHERE r.kind IN ('group', 'channel') AND o.status = 'sent' GROUP BY r.kind",
        params,
    ))


async def failed_by_reason(conn: aiosqlite.Connection, params: Params) -> dict[str, int]:
    """Failed rows by the error recorded with them."""
    return _groups(await _all(
        conn,
        f"{_SELECTED}SELECT COALESCE(o.error, '') AS reason, COUNT(*) FROM selected s"
        " JOIN outbox o ON o.broadcast_id = s.id AND o.status = 'failed'"
        " GROUP BY reason ORDER BY COUNT(*) DESC, reason",
        params,
    ))


async def channel_reach(conn: aiosqlite.Connection, params: Params) -> Row | None:
    """Groups and channels posted to, their summed size at send time, reaction totals."""
    return await _one(
        conn,
        f"{_SELECTED}SELECT COUNT(DISTINCT cp.chat_id) AS chats,"
        " COALESCE(SUM(cp.members), 0) AS members, COALESCE(SUM(cp.reactions), 0) AS reactions"
        " FROM selected s JOIN channel_posts cp ON cp.broadcast_id = s.id",
        params,
    )


async def sent_by_month(conn: aiosqlite.Connection, params: Params) -> dict[str, int]:
    """Deliveries by the local month their broadcast started in."""
    return _groups(await _all(
        conn,
        f"{_SELECTED}, {_MONTHS}, per AS MATERIALIZED (SELECT s.started, (SELECT COUNT(*)"
        " FROM outbox o WHERE o.broadcast_id = s.id AND o.status = 'sent') AS n FROM selected s)"
        " SELECT m.month, SUM(per.n) FROM per JOIN months m"
        " ON per.started >= m.lo AND per.started < m.hi GROUP BY m.month",
        params,
    ))


# -- reach marks: useful presses, shares, pledges (once per person) ------------------------
# The whole period's marks are counted from their events (`reach.mark` appends one for
# each new mark) along `events_by_name_day`; a selector's, from `reach_marks` by scope
# (post id for useful and share, campaign for pledge), whose key makes that a lookup.
REACH = ("useful", "share", "pledge")


async def marks(conn: aiosqlite.Connection, first: str, last: str) -> dict[str, int]:
    """Useful presses, shares and pledges on local days of the period."""
    return await count_events(conn, REACH, first, last)


_SCOPED = (
    "SELECT what AS name, {select} FROM reach_marks WHERE what IN ('useful', 'share')"
    " AND scope IN (SELECT CAST(p.id AS TEXT) FROM posts p WHERE {match})"
    " AND day BETWEEN :first AND :last GROUP BY {group}"
    " UNION ALL SELECT what AS name, {select} FROM reach_marks WHERE what = 'pledge'"
    " AND scope IN (SELECT p.campaign FROM posts p WHERE p.campaign IS NOT NULL AND {match})"
    " AND day BETWEEN :first AND :last GROUP BY {group}"
)


async def selected_marks(conn: aiosqlite.Connection, params: Params) -> dict[str, int]:
    """Useful presses and shares of the selector's posts, pledges to their campaigns."""
    return _groups(await _all(
        conn, _SCOPED.format(select="COUNT(*)", group="what", match=_POST_MATCHES), params))


async def selected_marks_by_month(conn: aiosqlite.Connection, params: Params) -> list[Row]:
    """(name, month, n) of the selector's marks."""
    return await _all(
        conn,
        _SCOPED.format(select="substr(day, 1, 7) AS month, COUNT(*) AS n", group="what, month",
                       match=_POST_MATCHES),
        params,
    )


async def arrivals_by_source(conn: aiosqlite.Connection, first: str, last: str) -> list[Row]:
    """(code, name, people): first arrivals through each named source on days of the period."""
    return await _all(
        conn,
        "WITH arrived AS (SELECT scope AS code, COUNT(*) AS people FROM reach_marks"
        " WHERE what = 'source' AND day BETWEEN ? AND ? GROUP BY scope)"
        " SELECT a.code, COALESCE(s.name, a.code) AS name, a.people FROM arrived a"
        " LEFT JOIN sources s ON s.code = a.code ORDER BY a.people DESC, name",
        (first, last),
    )


# -- events --------------------------------------------------------------------------------
def _names(names: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in names)


async def count_events(conn: aiosqlite.Connection, names: tuple[str, ...], first: str, last: str
                       ) -> dict[str, int]:
    """Events by name on local days between `first` and `last` (inclusive)."""
    return _groups(await _all(
        conn,
        f"SELECT name, COUNT(*) FROM events WHERE name IN ({_names(names)})"
        " AND day BETWEEN ? AND ? GROUP BY name",
        (*names, first, last),
    ))


async def events_by_month(conn: aiosqlite.Connection, names: tuple[str, ...], months: str
                          ) -> list[Row]:
    """(month, name, n) of events: each month's count is its own range of the index."""
    return await _all(
        conn,
        f"WITH {_MONTHS} SELECT m.month, n.value AS name, (SELECT COUNT(*) FROM events e"
        " WHERE e.name = n.value AND e.day BETWEEN m.first AND m.last) AS n"
        " FROM months m, json_each(:names) n",
        {"months": months, "names": json.dumps(list(names))},
    )


async def events_by_dim(conn: aiosqlite.Connection, name: str, dim: str, first: str, last: str
                        ) -> dict[str, int]:
    """Events of one name by one of their dimensions (`reason` …)."""
    return _groups(await _all(
        conn,
        "SELECT COALESCE(json_extract(dims, ?), '') AS value, COUNT(*) FROM events"
        " WHERE name = ? AND day BETWEEN ? AND ? GROUP BY value",
        (f"$.{dim}", name, first, last),
    ))


# A broadcast that meets a blocked or vanished person stops them without a
# `subscriber_left` event; its `delivery_failed` event counts them (`count` of them).
_LOST_IN_DELIVERY = (
    " FROM events WHERE name = 'delivery_failed' AND day BETWEEN ? AND ?"
    " AND json_extract(dims, '$.reason') IN ('blocked', 'gone')"
)


async def lost_in_delivery(conn: aiosqlite.Connection, first: str, last: str) -> dict[str, int]:
    """Recipients a broadcast found blocked or gone, by that reason."""
    return _groups(await _all(
        conn,
        "SELECT json_extract(dims, '$.reason') AS reason,"
        f" SUM(json_extract(dims, '$.count')){_LOST_IN_DELIVERY} GROUP BY reason",
        (first, last),
    ))


async def lost_in_delivery_by_month(conn: aiosqlite.Connection, first: str, last: str
                                    ) -> dict[str, int]:
    """The same, by month (these events are few)."""
    return _groups(await _all(
        conn,
        "SELECT substr(day, 1, 7) AS month,"
        f" SUM(json_extract(dims, '$.count')){_LOST_IN_DELIVERY} GROUP BY month",
        (first, last),
    ))


# -- complaints ----------------------------------------------------------------------------
# A case counts in the period it was received in; answered means answered by its last day.
# Ten thousand cases are read in a few milliseconds: no index is needed on received_on.
_COHORT = " FROM complaints WHERE received_on BETWEEN :first AND :last"
_ANSWERED = "(answered_on IS NOT NULL AND answered_on <= :last)"


async def complaint_totals(conn: aiosqlite.Connection, first: str, last: str, today: str
                           ) -> Row | None:
    """Received, answered, answered on time, extended and overdue now, of the period's cases."""
    return await _one(
        conn,
        f"SELECT COUNT(*) AS received, COALESCE(SUM({_ANSWERED}), 0) AS answered,"
        f" COALESCE(SUM({_ANSWERED} AND answered_on <= due_on), 0) AS on_time,"
        " COALESCE(SUM(extended), 0) AS extended,"
        " COALESCE(SUM(status IN ('received', 'in_review') AND due_on < :today), 0) AS overdue"
        f"{_COHORT}",
        {"first": first, "last": last, "today": today},
    )


async def complaints_by(conn: aiosqlite.Connection, column: str, first: str, last: str
                        ) -> dict[str, int]:
    """The period's cases by kind, organization (`''`: not sure), status or channel."""
    if column not in ("kind", "org_code", "status", "channel"):
        raise ValueError(column)
    return _groups(await _all(
        conn,
        f"SELECT COALESCE({column}, '') AS value, COUNT(*){_COHORT}"
        " GROUP BY value ORDER BY COUNT(*) DESC, value",
        {"first": first, "last": last},
    ))


async def median_days_to_answer(conn: aiosqlite.Connection, first: str, last: str
                                ) -> float | None:
    """The median of days from receipt to answer, over the period's answered cases."""
    row = await _one(
        conn,
        "WITH d AS (SELECT julianday(answered_on) - julianday(received_on) AS days"
        f"{_COHORT} AND {_ANSWERED}), n AS (SELECT COUNT(*) AS n FROM d)"
        " SELECT AVG(days) AS median FROM (SELECT days FROM d ORDER BY days"
        " LIMIT 2 - (SELECT n FROM n) % 2 OFFSET ((SELECT n FROM n) - 1) / 2)",
        {"first": first, "last": last},
    )
    return None if row is None or row["median"] is None else float(row["median"])


async def overdue_open(conn: aiosqlite.Connection, today: str) -> int:
    """Open cases past their deadline today, whenever they were received."""
    row = await _one(
        conn,
        "SELECT COUNT(*) AS n FROM complaints WHERE status IN ('received', 'in_review')"
        " AND due_on < ?",
        (today,),
    )
    return 0 if row is None else int(row["n"])


async def complaints_by_month(conn: aiosqlite.Connection, first: str, last: str) -> list[Row]:
    """(month, kind, received, answered, on_time) by the month cases were received."""
    return await _all(
        conn,
        f"SELECT substr(received_on, 1, 7) AS month, kind, COUNT(*) AS received,"
        f" COALESCE(SUM({_ANSWERED}), 0) AS answered,"
        f" COALESCE(SUM({_ANSWERED} AND answered_on <= due_on), 0) AS on_time"
        f"{_COHORT} GROUP BY month, kind",
        {"first": first, "last": last},
    )


# -- offline work --------------------------------------------------------------------------
async def offline_by_kind(conn: aiosqlite.Connection, first: str, last: str, measures: str
                          ) -> list[Row]:
    """(kind, entries, times, people) of entries in force; `measures` a JSON list, [] = all."""
    return await _all(
        conn,
        "SELECT kind, COUNT(*) AS entries, SUM(times) AS times,"
        " COALESCE(SUM(people), 0) AS people FROM offline_activities"
        " WHERE deleted_at IS NULL AND happened_on BETWEEN ? AND ?"
        " AND (json_array_length(?) = 0 OR measure IN (SELECT value FROM json_each(?)))"
        " GROUP BY kind ORDER BY entries DESC, kind",
        (first, last, measures, measures),
    )


# -- by channel ----------------------------------------------------------------------------
# Events carry the channel they happened on (`telegram`, `messenger`, `facebook`). Each
# count is one range of `events_by_name_day` per name, grouped by channel.
async def events_by_channel(conn: aiosqlite.Connection, names: tuple[str, ...], first: str,
                            last: str) -> list[Row]:
    """(name, channel, n): events of these names on local days of the period."""
    return await _all(
        conn,
        f"SELECT name, channel, COUNT(*) AS n FROM events WHERE name IN ({_names(names)})"
        " AND day BETWEEN ? AND ? GROUP BY name, channel",
        (*names, first, last),
    )


async def delivered_messages(conn: aiosqlite.Connection, first: str, last: str
                             ) -> dict[str, int]:
    """Messages a channel reported delivered (Messenger's receipts count their messages)."""
    return _groups(await _all(
        conn,
        "SELECT channel, COALESCE(SUM(json_extract(dims, '$.messages')), 0) FROM events"
        " WHERE name = 'message_delivered' AND day BETWEEN ? AND ? GROUP BY channel",
        (first, last),
    ))


async def daily_readers(conn: aiosqlite.Connection, first: str, last: str) -> dict[str, int]:
    """People who read, once per person per day (a read's pseudonym changes every day)."""
    return _groups(await _all(
        conn,
        "SELECT channel, COUNT(DISTINCT day || ':' || COALESCE(json_extract(dims, '$.who'), ''))"
        " FROM events WHERE name = 'message_read' AND day BETWEEN ? AND ? GROUP BY channel",
        (first, last),
    ))


# -- the Facebook Page (figures Facebook reports; bot/core/page.py) ------------------------------
# A Page publication belongs to the period its run fired in (`page_posts.created_at`, UTC);
# its figures are the latest Facebook reported, whenever read.
async def page_totals(conn: aiosqlite.Connection, params: Params) -> Row | None:
    """The period's Page posts (of posts matching the selector) and their latest figures.

    Published and failed (or unsure) ones, how many have a reading and how many a view
    count, and the sums of the latest views, reactions, comments and shares.
    """
    return await _one(
        conn,
        "SELECT COALESCE(SUM(pp.status = 'published'), 0) AS posts,"
        " COALESCE(SUM(pp.status IN ('failed', 'unsure')), 0) AS failed,"
        " COUNT(f.page_post_id) AS read, COUNT(f.views) AS with_views,"
        " COALESCE(SUM(f.views), 0) AS views, COALESCE(SUM(f.reactions), 0) AS reactions,"
        " COALESCE(SUM(f.comments), 0) AS comments, COALESCE(SUM(f.shares), 0) AS shares"
        " FROM page_posts pp JOIN posts p ON p.id = pp.post_id"
        " LEFT JOIN page_figures f ON f.page_post_id = pp.id"
        " WHERE datetime(pp.created_at) >= :lo AND datetime(pp.created_at) < :hi"
        f" AND {_POST_MATCHES}",
        params,
    )
