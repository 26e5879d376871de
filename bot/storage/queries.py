"""Every SQL statement of the bot, as small functions over a connection.

The core opens the transaction (`Database.tx`) and calls these inside it, so that one
domain action is one transaction however many statements it takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import aiosqlite

Row = aiosqlite.Row
Params = Sequence[Any] | Mapping[str, Any]  # positional, or named (:name) parameters


async def _one(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> Row | None:
    async with conn.execute(sql, params) as cur:
        row: Row | None = await cur.fetchone()
        return row


async def _all(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> list[Row]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def _insert(conn: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> int:
    async with conn.execute(sql, params) as cur:
        rowid = cur.lastrowid
    if rowid is None:
        raise RuntimeError("insert returned no row id")
    return rowid


async def _returning(conn: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> int:
    """The id an `INSERT … RETURNING id` (an upsert, too) gave back."""
    row = await _one(conn, sql, params)
    if row is None:
        raise RuntimeError("statement returned no row")
    return int(row[0])


# -- meta ------------------------------------------------------------------------------
async def get_meta(conn: aiosqlite.Connection, key: str) -> bytes | None:
    row = await _one(conn, "SELECT value FROM meta WHERE key = ?", (key,))
    return None if row is None else bytes(row["value"])


async def set_meta(conn: aiosqlite.Connection, key: str, value: bytes) -> None:
    await conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


# -- complaints ------------------------------------------------------------------------
_SUMMARY = (
    "SELECT c.id, c.kind, c.org_code, c.status, c.received_on, c.due_on, c.assignee_id,"
    " c.named, c.extended, c.channel,"
    " (SELECT COUNT(*) FROM attachments a WHERE a.complaint_id = c.id) AS attachments"
    " FROM complaints c"
)


async def insert_complaint(
    conn: aiosqlite.Connection,
    *,
    receipt_hash: bytes,
    channel: str,
    kind: str,
    org_code: str | None,
    body: bytes,
    named: bool,
    received_on: str,
    due_on: str,
) -> int:
    return await _insert(
        conn,
        "INSERT INTO complaints (receipt_hash, channel, kind, org_code, body, named,"
        " received_on, due_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (receipt_hash, channel, kind, org_code, body, int(named), received_on, due_on),
    )


async def set_complaint_body(conn: aiosqlite.Connection, complaint_id: int, body: bytes) -> None:
    await conn.execute("UPDATE complaints SET body = ? WHERE id = ?", (body, complaint_id))


async def complaint_id_by_receipt(conn: aiosqlite.Connection, receipt_hash: bytes) -> int | None:
    row = await _one(conn, "SELECT id FROM complaints WHERE receipt_hash = ?", (receipt_hash,))
    return None if row is None else int(row["id"])


async def get_complaint(conn: aiosqlite.Connection, complaint_id: int) -> Row | None:
    return await _one(
        conn,
        "SELECT c.*, (SELECT COUNT(*) FROM attachments a WHERE a.complaint_id = c.id)"
        " AS attachments FROM complaints c WHERE c.id = ?",
        (complaint_id,),
    )


async def list_complaints_by_status(
    conn: aiosqlite.Connection, statuses: Iterable[str]
) -> list[Row]:
    wanted = sorted(statuses)
    marks = ", ".join("?" for _ in wanted)
    return await _all(
        conn,
        f"{_SUMMARY} WHERE c.status IN ({marks}) ORDER BY c.due_on, c.id",
        wanted,
    )


async def update_status(
    conn: aiosqlite.Connection,
    complaint_id: int,
    *,
    status: str,
    reason: bytes | None,
    answered_on: str | None,
    closed_on: str | None,
) -> None:
    # answered_on / closed_on keep the first date: a reopened case is not answered twice.
    # The reason belongs to this status only (the thread keeps the history).
    await conn.execute(
        "UPDATE complaints SET status = ?, status_reason = ?,"
        " answered_on = COALESCE(answered_on, ?), closed_on = COALESCE(closed_on, ?)"
        " WHERE id = ?",
        (status, reason, answered_on, closed_on, complaint_id),
    )


async def set_assignee(conn: aiosqlite.Connection, complaint_id: int, staff_id: int) -> None:
    await conn.execute(
        "UPDATE complaints SET assignee_id = ? WHERE id = ?", (staff_id, complaint_id)
    )


async def set_extension(
    conn: aiosqlite.Connection, complaint_id: int, *, due_on: str, reason: bytes
) -> None:
    await conn.execute(
        "UPDATE complaints SET due_on = ?, extended = 1, extension_reason = ? WHERE id = ?",
        (due_on, reason, complaint_id),
    )


# -- identities, attachments, thread ---------------------------------------------------
async def insert_identity(conn: aiosqlite.Connection, complaint_id: int, data: bytes) -> None:
    await conn.execute(
        "INSERT INTO identities (complaint_id, data) VALUES (?, ?)", (complaint_id, data)
    )


async def get_identity(conn: aiosqlite.Connection, complaint_id: int) -> bytes | None:
    row = await _one(
        conn, "SELECT data FROM identities WHERE complaint_id = ?", (complaint_id,)
    )
    return None if row is None else bytes(row["data"])


async def insert_attachment(
    conn: aiosqlite.Connection,
    *,
    complaint_id: int,
    message_id: int | None,
    blob: str,
    kind: str,
    size: int,
    meta: bytes,
) -> None:
    await conn.execute(
        "INSERT INTO attachments (complaint_id, message_id, blob, kind, size, meta)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (complaint_id, message_id, blob, kind, size, meta),
    )


async def list_attachments(conn: aiosqlite.Connection, complaint_id: int) -> list[Row]:
    return await _all(
        conn,
        "SELECT complaint_id, message_id, blob, kind, size, meta FROM attachments"
        " WHERE complaint_id = ? ORDER BY id",
        (complaint_id,),
    )


async def insert_message(
    conn: aiosqlite.Connection,
    *,
    complaint_id: int,
    author: str,
    internal: bool,
    staff_id: int | None,
    body: bytes,
    created_on: str,
) -> int:
    return await _insert(
        conn,
        "INSERT INTO messages (complaint_id, author, internal, staff_id, body, created_on)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (complaint_id, author, int(internal), staff_id, body, created_on),
    )


async def set_message_body(conn: aiosqlite.Connection, message_id: int, body: bytes) -> None:
    await conn.execute("UPDATE messages SET body = ? WHERE id = ?", (body, message_id))


async def list_messages(
    conn: aiosqlite.Connection, complaint_id: int, *, include_internal: bool
) -> list[Row]:
    sql = "SELECT id, author, internal, staff_id, body, created_on FROM messages"
    sql += " WHERE complaint_id = ?"
    if not include_internal:
        sql += " AND internal = 0"
    return await _all(conn, sql + " ORDER BY id", (complaint_id,))


# -- notice links ----------------------------------------------------------------------
async def set_notify_link(conn: aiosqlite.Connection, complaint_id: int, target: bytes) -> None:
    await conn.execute(
        "INSERT INTO notify_links (complaint_id, target) VALUES (?, ?)"
        " ON CONFLICT (complaint_id) DO UPDATE SET target = excluded.target",
        (complaint_id, target),
    )


async def pop_notify_link(conn: aiosqlite.Connection, complaint_id: int) -> bytes | None:
    row = await _one(
        conn,
        "DELETE FROM notify_links WHERE complaint_id = ? RETURNING target",
        (complaint_id,),
    )
    return None if row is None else bytes(row["target"])


async def has_notify_link(conn: aiosqlite.Connection, complaint_id: int) -> bool:
    row = await _one(
        conn, "SELECT 1 FROM notify_links WHERE complaint_id = ?", (complaint_id,)
    )
    return row is not None


# -- drafts ----------------------------------------------------------------------------
async def get_draft(conn: aiosqlite.Connection, owner: bytes) -> bytes | None:
    row = await _one(conn, "SELECT data FROM drafts WHERE owner = ?", (owner,))
    return None if row is None else bytes(row["data"])


async def put_draft(conn: aiosqlite.Connection, owner: bytes, data: bytes, at: str) -> None:
    await conn.execute(
        "INSERT INTO drafts (owner, data, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (owner) DO UPDATE SET data = excluded.data,"
        " updated_at = excluded.updated_at",
        (owner, data, at),
    )


async def delete_draft(conn: aiosqlite.Connection, owner: bytes) -> None:
    await conn.execute("DELETE FROM drafts WHERE owner = ?", (owner,))


async def delete_draft_if_unchanged(
    conn: aiosqlite.Connection, owner: bytes, updated_at: str
) -> bool:
    async with conn.execute(
        "DELETE FROM drafts WHERE owner = ? AND updated_at = ?", (owner, updated_at)
    ) as cur:
        return cur.rowcount > 0


async def drafts_idle_since(conn: aiosqlite.Connection, cutoff: str) -> list[Row]:
    return await _all(
        conn, "SELECT owner, data, updated_at FROM drafts WHERE updated_at < ?", (cutoff,)
    )


# -- limits ----------------------------------------------------------------------------
async def limit_count(conn: aiosqlite.Connection, scope: str, key: bytes, now: str) -> int:
    row = await _one(
        conn,
        "SELECT count FROM limits WHERE scope = ? AND key = ? AND window_end > ?",
        (scope, key, now),
    )
    return 0 if row is None else int(row["count"])


async def limit_hit(
    conn: aiosqlite.Connection, scope: str, key: bytes, window_end: str, now: str
) -> int:
    """Count one more event in the window; a stale row starts over."""
    row = await _one(
        conn,
        "INSERT INTO limits (scope, key, window_end, count) VALUES (?, ?, ?, 1)"
        " ON CONFLICT (scope, key) DO UPDATE SET"
        "  count = CASE WHEN limits.window_end > ? THEN limits.count + 1 ELSE 1 END,"
        "  window_end = CASE WHEN limits.window_end > ? THEN limits.window_end"
        "                    ELSE excluded.window_end END"
        " RETURNING count",
        (scope, key, window_end, now, now),
    )
    return 0 if row is None else int(row["count"])


async def purge_limits(conn: aiosqlite.Connection, now: str) -> None:
    await conn.execute("DELETE FROM limits WHERE window_end <= ?", (now,))


# -- preferences -----------------------------------------------------------------------
async def get_lang(conn: aiosqlite.Connection, owner: bytes) -> str | None:
    row = await _one(conn, "SELECT lang FROM prefs WHERE owner = ?", (owner,))
    return None if row is None else str(row["lang"])


async def set_lang(conn: aiosqlite.Connection, owner: bytes, lang: str) -> None:
    await conn.execute(
        "INSERT INTO prefs (owner, lang) VALUES (?, ?)"
        " ON CONFLICT (owner) DO UPDATE SET lang = excluded.lang",
        (owner, lang),
    )


# -- staff -----------------------------------------------------------------------------
async def get_staff(conn: aiosqlite.Connection, user_id: int) -> Row | None:
    return await _one(conn, "SELECT * FROM staff WHERE user_id = ?", (user_id,))


async def list_staff(conn: aiosqlite.Connection) -> list[Row]:
    return await _all(conn, "SELECT * FROM staff ORDER BY role, user_id")


async def upsert_staff(
    conn: aiosqlite.Connection,
    *,
    user_id: int,
    role: str,
    name: str | None,
    added_by: int | None,
    added_at: str,
) -> None:
    await conn.execute(
        "INSERT INTO staff (user_id, role, name, added_by, added_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET role = excluded.role,"
        " name = COALESCE(excluded.name, staff.name)",
        (user_id, role, name, added_by, added_at),
    )


async def delete_staff(conn: aiosqlite.Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM staff WHERE user_id = ?", (user_id,))


async def count_admins(conn: aiosqlite.Connection) -> int:
    row = await _one(conn, "SELECT COUNT(*) AS n FROM staff WHERE role = 'admin'")
    return 0 if row is None else int(row["n"])


# -- audit log -------------------------------------------------------------------------
async def insert_audit(
    conn: aiosqlite.Connection,
    *,
    at: str,
    staff_id: int,
    action: str,
    complaint_id: int | None,
    detail: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (at, staff_id, action, complaint_id, detail)"
        " VALUES (?, ?, ?, ?, ?)",
        (at, staff_id, action, complaint_id, detail),
    )


async def list_audit(
    conn: aiosqlite.Connection, *, limit: int, complaint_id: int | None
) -> list[Row]:
    if complaint_id is None:
        return await _all(
            conn, "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
    return await _all(
        conn,
        "SELECT * FROM audit_log WHERE complaint_id = ? ORDER BY id DESC LIMIT ?",
        (complaint_id, limit),
    )


# -- events ----------------------------------------------------------------------------
async def insert_event(
    conn: aiosqlite.Connection, *, at: str, day: str, name: str, channel: str, dims: str
) -> None:
    await conn.execute(
        "INSERT INTO events (at, day, name, channel, dims) VALUES (?, ?, ?, ?, ?)",
        (at, day, name, channel, dims),
    )


async def count_events(
    conn: aiosqlite.Connection, name: str, first_day: str, last_day: str
) -> int:
    row = await _one(
        conn,
        "SELECT COUNT(*) AS n FROM events WHERE name = ? AND day BETWEEN ? AND ?",
        (name, first_day, last_day),
    )
    return 0 if row is None else int(row["n"])


# -- outreach: subscribers, posts, broadcasts, outbox ----------------------------------
async def get_subscriber(conn: aiosqlite.Connection, key: bytes) -> Row | None:
    return await _one(conn, "SELECT * FROM subscribers WHERE key = ?", (key,))


async def upsert_subscriber(
    conn: aiosqlite.Connection, *, channel: str, key: bytes, chat: bytes, lang: str, day: str
) -> None:
    await conn.execute(
        "INSERT INTO subscribers (channel, key, chat, lang, status, joined_on)"
        " VALUES (?, ?, ?, ?, 'active', ?)"
        " ON CONFLICT (key) DO UPDATE SET status = 'active', lang = excluded.lang,"
        " chat = excluded.chat, joined_on = excluded.joined_on, left_on = NULL",
        (channel, key, chat, lang, day),
    )


async def set_subscriber_status(
    conn: aiosqlite.Connection, subscriber_id: int, status: str, day: str
) -> None:
    await conn.execute(
        "UPDATE subscribers SET status = ?, left_on = ? WHERE id = ?",
        (status, day, subscriber_id),
    )


async def count_subscribers(conn: aiosqlite.Connection, status: str = "active") -> int:
    row = await _one(conn, "SELECT COUNT(*) AS n FROM subscribers WHERE status = ?", (status,))
    return 0 if row is None else int(row["n"])


async def insert_post(
    conn: aiosqlite.Connection, *, content_id: str | None, payload: str,
    created_by: int | None, created_at: str, kind: str = "news", campaign: str | None = None,
    measure: str | None = None, title: str | None = None, audience: str = "subscribers",
) -> int:
    return await _insert(
        conn,
        "INSERT INTO posts (content_id, payload, created_by, created_at, kind, campaign,"
        " measure, title, audience) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (content_id, payload, created_by, created_at, kind, campaign, measure, title, audience),
    )


async def update_post_payload(conn: aiosqlite.Connection, post_id: int, payload: str) -> None:
    await conn.execute("UPDATE posts SET payload = ? WHERE id = ?", (payload, post_id))


async def get_post(conn: aiosqlite.Connection, post_id: int) -> Row | None:
    return await _one(conn, "SELECT * FROM posts WHERE id = ?", (post_id,))


# Which recipients a post's audience means: people, registered groups and channels, or both.
_AUDIENCE_KINDS = {
    "subscribers": '["person"]',
    "chats": '["group", "channel"]',
    "all": '["person", "group", "channel"]',
}


async def insert_broadcast(conn: aiosqlite.Connection, post_id: int, created_at: str) -> int:
    """A broadcast and its outbox, one row per active recipient of its audience, at once.

    Its progress goes to whoever made the post (a staff member's private chat).
    """
    post = await _one(conn, "SELECT audience, created_by FROM posts WHERE id = ?", (post_id,))
    kinds = _AUDIENCE_KINDS["subscribers" if post is None else str(post["audience"])]
    broadcast_id = await _insert(
        conn, "INSERT INTO broadcasts (post_id, created_at, notify_chat) VALUES (?, ?, ?)",
        (post_id, created_at, None if post is None else post["created_by"]),
    )
    async with conn.execute(
        "INSERT INTO outbox (broadcast_id, subscriber_id)"
        " SELECT ?, id FROM subscribers WHERE status = 'active'"
        " AND kind IN (SELECT value FROM json_each(?))",
        (broadcast_id, kinds),
    ) as cur:
        total = cur.rowcount
    await conn.execute("UPDATE broadcasts SET total = ? WHERE id = ?", (total, broadcast_id))
    return broadcast_id


async def set_broadcast_notice(
    conn: aiosqlite.Connection, broadcast_id: int, message_id: int
) -> None:
    await conn.execute("UPDATE broadcasts SET notify_message = ? WHERE id = ?",
                       (message_id, broadcast_id))


async def cancel_broadcast(conn: aiosqlite.Connection, broadcast_id: int, at: str) -> int:
    """Stop a broadcast: its rows not yet sent are skipped. Returns how many."""
    async with conn.execute(
        "UPDATE outbox SET status = 'skipped', error = 'cancelled'"
        " WHERE broadcast_id = ? AND status IN ('pending', 'inflight')", (broadcast_id,),
    ) as cur:
        skipped = cur.rowcount
    await conn.execute(
        "UPDATE broadcasts SET status = 'cancelled', finished_at = ?"
        " WHERE id = ? AND status IN ('queued', 'sending')", (at, broadcast_id))
    return skipped


async def get_broadcast(conn: aiosqlite.Connection, broadcast_id: int) -> Row | None:
    return await _one(conn, "SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))


async def unfinished_broadcasts(conn: aiosqlite.Connection) -> list[Row]:
    return await _all(
        conn, "SELECT id FROM broadcasts WHERE status IN ('queued', 'sending') ORDER BY id"
    )


async def set_broadcast_status(
    conn: aiosqlite.Connection, broadcast_id: int, status: str, at: str
) -> None:
    column = {"sending": "started_at", "done": "finished_at", "cancelled": "finished_at"}
    await conn.execute(
        f"UPDATE broadcasts SET status = ?, {column[status]} = COALESCE({column[status]}, ?)"  # noqa: S608 (fixed names)
        " WHERE id = ?",
        (status, at, broadcast_id),
    )


async def requeue_inflight(conn: aiosqlite.Connection, broadcast_id: int) -> int:
    """After a crash: what was in flight is sent again (at most that much is doubled)."""
    async with conn.execute(
        "UPDATE outbox SET status = 'pending' WHERE broadcast_id = ? AND status = 'inflight'",
        (broadcast_id,),
    ) as cur:
        return cur.rowcount


async def claim_batch(
    conn: aiosqlite.Connection, broadcast_id: int, limit: int
) -> list[Row]:
    """The next pending rows of active subscribers, marked in flight.

    Rows of people who left since are marked skipped as they come up, so the cost of a
    batch does not grow with how many ever left.
    """
    # Without INDEXED BY, SQLite walks the primary key (broadcast, subscriber) to skip the
    # sort and filters on status, stepping over every row already sent: a batch late in a
    # 100,000 broadcast took 15 ms instead of 1 (bench/scale.py).
    while True:
        rows = await _all(
            conn,
            "SELECT o.subscriber_id, o.attempts, s.chat, s.lang, s.channel, s.status, s.kind"
            " FROM outbox o INDEXED BY outbox_pending"
            " JOIN subscribers s ON s.id = o.subscriber_id"
            " WHERE o.broadcast_id = ? AND o.status = 'pending'"
            " ORDER BY o.subscriber_id LIMIT ?",
            (broadcast_id, limit),
        )
        left = [(broadcast_id, r["subscriber_id"]) for r in rows if r["status"] != "active"]
        await conn.executemany(
            "UPDATE outbox SET status = 'skipped', error = 'unsubscribed'"
            " WHERE broadcast_id = ? AND subscriber_id = ?", left)
        active = [r for r in rows if r["status"] == "active"]
        await conn.executemany(
            "UPDATE outbox SET status = 'inflight' WHERE broadcast_id = ? AND subscriber_id = ?",
            [(broadcast_id, r["subscriber_id"]) for r in active],
        )
        if active or not rows:
            return active


async def finish_rows(
    conn: aiosqlite.Connection, broadcast_id: int,
    results: list[tuple[int, str, int | None, str | None, int]],
) -> None:
    """(subscriber, status, message id, error, attempts) for rows that left flight."""
    await conn.executemany(
        "UPDATE outbox SET status = ?, message_id = ?, error = ?, attempts = ?"
        " WHERE broadcast_id = ? AND subscriber_id = ?",
        [(status, mid, err, attempts, broadcast_id, sid)
         for sid, status, mid, err, attempts in results],
    )


async def outbox_counts(conn: aiosqlite.Connection, broadcast_id: int) -> dict[str, int]:
    rows = await _all(
        conn, "SELECT status, COUNT(*) AS n FROM outbox WHERE broadcast_id = ? GROUP BY status",
        (broadcast_id,),
    )
    return {str(r["status"]): int(r["n"]) for r in rows}


# -- schedules -------------------------------------------------------------------------
async def insert_schedule(conn: aiosqlite.Connection, **fields: Any) -> int:
    names = ", ".join(fields)
    marks = ", ".join("?" for _ in fields)
    return await _insert(
        conn, f"INSERT INTO schedules ({names}) VALUES ({marks})",  # noqa: S608 (our names)
        list(fields.values()),
    )


async def active_schedules(conn: aiosqlite.Connection) -> list[Row]:
    return await _all(conn, "SELECT * FROM schedules WHERE status = 'active' ORDER BY id")


async def last_run(conn: aiosqlite.Connection, schedule_id: int) -> str | None:
    row = await _one(
        conn, "SELECT MAX(due_at) AS due FROM schedule_runs WHERE schedule_id = ?",
        (schedule_id,),
    )
    return None if row is None or row["due"] is None else str(row["due"])


async def insert_run(
    conn: aiosqlite.Connection, schedule_id: int, due_at: str, status: str,
    broadcast_id: int | None,
) -> bool:
    """False if this occurrence was already handled (by an earlier process, say)."""
    async with conn.execute(
        "INSERT OR IGNORE INTO schedule_runs (schedule_id, due_at, status, broadcast_id)"
        " VALUES (?, ?, ?, ?)",
        (schedule_id, due_at, status, broadcast_id),
    ) as cur:
        return cur.rowcount > 0


async def finish_weekly_schedules(conn: aiosqlite.Connection, ended_by: str) -> None:
    """Weekly schedules whose last day is on or before `ended_by` (a local date) are done."""
    await conn.execute(
        "UPDATE schedules SET status = 'done' WHERE status = 'active' AND kind = 'weekly'"
        " AND end_on <= ?", (ended_by,))


async def schedule_kind(conn: aiosqlite.Connection, schedule_id: int) -> str | None:
    row = await _one(conn, "SELECT kind FROM schedules WHERE id = ?", (schedule_id,))
    return None if row is None else str(row["kind"])


async def set_schedule_status(conn: aiosqlite.Connection, schedule_id: int, status: str) -> None:
    await conn.execute("UPDATE schedules SET status = ? WHERE id = ?", (status, schedule_id))


# -- outreach: groups and channels ---------------------------------------------------------
async def get_chat(conn: aiosqlite.Connection, tg_chat: int) -> Row | None:
    return await _one(conn, "SELECT * FROM chats WHERE tg_chat = ?", (tg_chat,))


async def get_chat_by_id(conn: aiosqlite.Connection, chat_id: int) -> Row | None:
    return await _one(conn, "SELECT * FROM chats WHERE id = ?", (chat_id,))


async def upsert_chat(
    conn: aiosqlite.Connection, *, tg_chat: int, kind: str, title: str, is_admin: bool, at: str
) -> int:
    """Note a group or channel the bot is in; a known one keeps its decision."""
    return await _returning(
        conn,
        "INSERT INTO chats (tg_chat, kind, title, is_admin, added_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (tg_chat) DO UPDATE SET title = excluded.title,"
        " is_admin = excluded.is_admin, kind = excluded.kind,"
        " status = CASE WHEN status = 'removed' THEN 'pending' ELSE status END RETURNING id",
        (tg_chat, kind, title, int(is_admin), at),
    )


async def decide_chat(
    conn: aiosqlite.Connection, chat_id: int, status: str, staff_id: int | None, at: str,
    subscriber_id: int | None = None,
) -> None:
    await conn.execute(
        "UPDATE chats SET status = ?, decided_by = ?, decided_at = ?,"
        " subscriber_id = COALESCE(?, subscriber_id) WHERE id = ?",
        (status, staff_id, at, subscriber_id, chat_id),
    )


async def list_chats(conn: aiosqlite.Connection) -> list[Row]:
    return await _all(
        conn, "SELECT * FROM chats WHERE status IN ('pending', 'active') ORDER BY kind, title")


async def chat_of_subscriber(conn: aiosqlite.Connection, subscriber_id: int) -> Row | None:
    return await _one(conn, "SELECT * FROM chats WHERE subscriber_id = ?", (subscriber_id,))


async def upsert_recipient(
    conn: aiosqlite.Connection, *, channel: str, key: bytes, chat: bytes, lang: str, day: str,
    kind: str,
) -> int:
    """A group or channel as a recipient (active), keyed like a person's subscription."""
    return await _returning(
        conn,
        "INSERT INTO subscribers (channel, key, chat, lang, status, joined_on, kind)"
        " VALUES (?, ?, ?, ?, 'active', ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET status = 'active', chat = excluded.chat,"
        " left_on = NULL RETURNING id",
        (channel, key, chat, lang, day, kind),
    )


async def count_recipients(conn: aiosqlite.Connection) -> dict[str, int]:
    """Active recipients by kind (person, group, channel)."""
    rows = await _all(conn, "SELECT kind, COUNT(*) AS n FROM subscribers"
                            " WHERE status = 'active' GROUP BY kind")
    return {str(r["kind"]): int(r["n"]) for r in rows}


# -- reach ---------------------------------------------------------------------------------
async def insert_mark(
    conn: aiosqlite.Connection, what: str, scope: str, key: bytes, day: str
) -> bool:
    """Once per person: False if this pseudonym already has the mark."""
    async with conn.execute(
        "INSERT OR IGNORE INTO reach_marks (what, scope, key, day) VALUES (?, ?, ?, ?)",
        (what, scope, key, day),
    ) as cur:
        return cur.rowcount > 0


async def count_marks(conn: aiosqlite.Connection, what: str, scope: str) -> int:
    row = await _one(conn, "SELECT COUNT(*) AS n FROM reach_marks WHERE what = ? AND scope = ?",
                     (what, scope))
    return 0 if row is None else int(row["n"])


async def insert_source(
    conn: aiosqlite.Connection, code: str, name: str, created_by: int | None, at: str
) -> bool:
    async with conn.execute(
        "INSERT OR IGNORE INTO sources (code, name, created_by, created_at) VALUES (?, ?, ?, ?)",
        (code, name, created_by, at),
    ) as cur:
        return cur.rowcount > 0


async def get_source(conn: aiosqlite.Connection, code: str) -> Row | None:
    return await _one(conn, "SELECT * FROM sources WHERE code = ?", (code,))


async def list_sources(conn: aiosqlite.Connection) -> list[Row]:
    """Every named source with how many people arrived through it."""
    return await _all(
        conn,
        "SELECT s.code, s.name, s.created_at,"
        " (SELECT COUNT(*) FROM reach_marks m WHERE m.what = 'source' AND m.scope = s.code)"
        " AS people FROM sources s ORDER BY s.created_at, s.code",
    )


async def insert_channel_post(
    conn: aiosqlite.Connection, broadcast_id: int, chat_id: int, message_id: int,
    members: int | None, buttons_message: int | None = None,
) -> None:
    await conn.execute(
        "INSERT OR REPLACE INTO channel_posts"
        " (broadcast_id, chat_id, message_id, members, buttons_message) VALUES (?, ?, ?, ?, ?)",
        (broadcast_id, chat_id, message_id, members, buttons_message))


async def set_channel_reactions(
    conn: aiosqlite.Connection, tg_chat: int, message_id: int, total: int, at: str
) -> bool:
    """The latest reaction total of a channel post we sent; False if it is not ours."""
    async with conn.execute(
        "UPDATE channel_posts SET reactions = ?, reactions_at = ?"
        " WHERE message_id = ? AND chat_id = (SELECT id FROM chats WHERE tg_chat = ?)",
        (total, at, message_id, tg_chat),
    ) as cur:
        return cur.rowcount > 0


async def channel_reach(conn: aiosqlite.Connection, broadcast_id: int) -> Row | None:
    return await _one(
        conn,
        "SELECT COUNT(*) AS chats, COALESCE(SUM(members), 0) AS members,"
        " COALESCE(SUM(reactions), 0) AS reactions FROM channel_posts WHERE broadcast_id = ?",
        (broadcast_id,),
    )


async def get_media_file(conn: aiosqlite.Connection, path: str, digest: str) -> str | None:
    row = await _one(conn, "SELECT file_id FROM media_files WHERE path = ? AND digest = ?",
                     (path, digest))
    return None if row is None else str(row["file_id"])


async def put_media_file(conn: aiosqlite.Connection, path: str, digest: str, file_id: str
                         ) -> None:
    await conn.execute("INSERT OR REPLACE INTO media_files (path, digest, file_id)"
                       " VALUES (?, ?, ?)", (path, digest, file_id))


# -- staff's post lists --------------------------------------------------------------------
async def upcoming_schedules(conn: aiosqlite.Connection, limit: int) -> list[Row]:
    return await _all(
        conn,
        "SELECT sc.*, p.title, p.kind AS post_kind, p.campaign, p.audience, p.content_id"
        " FROM schedules sc JOIN posts p ON p.id = sc.post_id"
        " WHERE sc.status = 'active' ORDER BY COALESCE(sc.at, sc.start_on), sc.id LIMIT ?",
        (limit,),
    )


async def recent_broadcasts(conn: aiosqlite.Connection, limit: int) -> list[Row]:
    return await _all(
        conn,
        "SELECT b.*, p.title, p.kind AS post_kind, p.campaign, p.audience, p.content_id"
        " FROM broadcasts b JOIN posts p ON p.id = b.post_id ORDER BY b.id DESC LIMIT ?",
        (limit,),
    )


async def get_schedule(conn: aiosqlite.Connection, schedule_id: int) -> Row | None:
    return await _one(conn, "SELECT * FROM schedules WHERE id = ?", (schedule_id,))


async def update_schedule(conn: aiosqlite.Connection, schedule_id: int, **fields: Any) -> None:
    names = ", ".join(f"{name} = ?" for name in fields)
    await conn.execute(f"UPDATE schedules SET {names} WHERE id = ?",  # noqa: S608 (our names)
                       (*fields.values(), schedule_id))


async def broadcasts_of_post(conn: aiosqlite.Connection, post_id: int) -> list[Row]:
    return await _all(conn, "SELECT * FROM broadcasts WHERE post_id = ? ORDER BY id", (post_id,))
