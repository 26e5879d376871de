"""SQL for reach counting beyond what `queries.py` has: published posts, live pledge counters.

Like `queries.py`, small functions over a connection; the core opens the transaction.
"""

from __future__ import annotations

import aiosqlite

from bot.storage.queries import Row, _all, _one


async def post_published(conn: aiosqlite.Connection, post_id: int) -> bool:
    """Whether a broadcast of the post has started (so people may have it)."""
    row = await _one(conn, "SELECT 1 FROM broadcasts WHERE post_id = ? AND started_at IS NOT NULL"
                           " LIMIT 1", (post_id,))
    return row is not None


async def counter_posts(conn: aiosqlite.Connection, since: str, limit: int) -> list[Row]:
    """Campaign posts in active groups and channels from broadcasts started since `since`.

    Newest first; `lang` is the language the group or channel gets posts in.
    """
    return await _all(
        conn,
        "SELECT c.tg_chat, c.kind, COALESCE(cp.buttons_message, cp.message_id) AS message_id,"
        " p.id AS post_id, p.campaign, p.payload,"
        " s.lang FROM channel_posts cp"
        " JOIN chats c ON c.id = cp.chat_id"
        " JOIN broadcasts b ON b.id = cp.broadcast_id"
        " JOIN posts p ON p.id = b.post_id"
        " LEFT JOIN subscribers s ON s.id = c.subscriber_id"
        " WHERE p.campaign IS NOT NULL AND c.status = 'active' AND b.started_at >= ?"
        " ORDER BY b.started_at DESC, cp.message_id DESC LIMIT ?",
        (since, limit),
    )
