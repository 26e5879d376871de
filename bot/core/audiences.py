"""Groups and channels as audiences: noticed when the bot is added, confirmed by staff.

Being added to a group by someone is not the office choosing to post there, so a new chat
waits for an admin's yes. A confirmed chat becomes a recipient like a subscriber (the same
outbox and engine), with its id kept the same way, encrypted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.core.backend import Backend, record_event
from bot.core.staff import ADMIN_ROLES, audit, require
from bot.storage import queries as q

CHAT_KINDS = ("group", "channel")


@dataclass(frozen=True)
class ChatInfo:
    """A group or channel the bot is in."""

    id: int
    tg_chat: int
    kind: str
    title: str
    status: str  # pending, active, declined, removed
    is_admin: bool


def _info(row: aiosqlite.Row | None) -> ChatInfo:
    if row is None:
        raise LookupError("no such chat")
    return ChatInfo(id=int(row["id"]), tg_chat=int(row["tg_chat"]), kind=str(row["kind"]),
                    title=str(row["title"]), status=str(row["status"]),
                    is_admin=bool(row["is_admin"]))


def _recipient_key(b: Backend, channel: str, tg_chat: int) -> bytes:
    return b.vault.pseudonym("subscriber", f"{channel}:{tg_chat}")


async def chat_seen(
    b: Backend, tg_chat: int, kind: str, title: str, is_admin: bool, now: dt.datetime
) -> tuple[ChatInfo, bool]:
    """The bot is (still) in a group or channel; True if staff should be asked about it."""
    if kind not in CHAT_KINDS:
        raise ValueError(f"not a group or channel: {kind!r}")
    async with b.db.tx() as conn:
        before = await q.get_chat(conn, tg_chat)
        chat_id = await q.upsert_chat(conn, tg_chat=tg_chat, kind=kind, title=title[:128],
                                      is_admin=is_admin, at=now.isoformat())
        row = await q.get_chat_by_id(conn, chat_id)
    info = _info(row)
    ask = info.status == "pending" and (before is None or before["status"] == "removed"
                                        or bool(before["is_admin"]) != is_admin)
    return info, ask


async def decide(
    b: Backend, staff_id: int, chat_id: int, accept: bool, now: dt.datetime
) -> ChatInfo:
    """An admin's yes or no to posting in a chat (a no can be changed later)."""
    day = b.local_date(now).isoformat()
    async with b.db.tx() as conn:
        await require(conn, staff_id, ADMIN_ROLES)
        row = await q.get_chat_by_id(conn, chat_id)
        if row is None or row["status"] == "removed":
            raise LookupError("no such chat")
        subscriber_id = None
        if accept:
            subscriber_id = await q.upsert_recipient(
                conn, channel="telegram", key=_recipient_key(b, "telegram", int(row["tg_chat"])),
                chat=b.vault.seal_text(str(row["tg_chat"]), "subscriber:telegram"),
                lang="mn", day=day, kind=str(row["kind"]))
        elif row["subscriber_id"] is not None:
            await q.set_subscriber_status(conn, int(row["subscriber_id"]), "stopped", day)
        await q.decide_chat(conn, chat_id, "active" if accept else "declined", staff_id,
                            now.isoformat(), subscriber_id)
        await audit(conn, staff_id, "chat_accepted" if accept else "chat_declined", now,
                    detail=str(chat_id))
        info = _info(await q.get_chat_by_id(conn, chat_id))
    await record_event(b, "chat_joined" if accept else "chat_declined", now, kind=info.kind)
    return info


async def chat_left(b: Backend, tg_chat: int, now: dt.datetime) -> bool:
    """The bot was removed (or lost its rights): no more posts there. False if unknown."""
    day = b.local_date(now).isoformat()
    async with b.db.tx() as conn:
        row = await q.get_chat(conn, tg_chat)
        if row is None or row["status"] == "removed":
            return False
        if row["subscriber_id"] is not None:
            await q.set_subscriber_status(conn, int(row["subscriber_id"]), "gone", day)
        await q.decide_chat(conn, int(row["id"]), "removed", None, now.isoformat())
    await record_event(b, "chat_left", now, kind=row["kind"])
    return True


async def chats(b: Backend) -> list[ChatInfo]:
    """Groups and channels pending or active."""
    async with b.db.read() as conn:
        return [_info(r) for r in await q.list_chats(conn)]


async def chat_of_recipient(b: Backend, subscriber_id: int) -> ChatInfo | None:
    """The group or channel behind a recipient row, if it is one."""
    async with b.db.read() as conn:
        row = await q.chat_of_subscriber(conn, subscriber_id)
    return None if row is None else _info(row)


async def posted(b: Backend, broadcast_id: int, chat: ChatInfo, message_id: int,
                 members: int | None, buttons_message: int | None = None) -> None:
    """A post landed in a group or channel of `members` people (potential reach)."""
    async with b.db.tx() as conn:
        await q.insert_channel_post(conn, broadcast_id, chat.id, message_id, members,
                                    buttons_message)


async def reactions(b: Backend, tg_chat: int, message_id: int, total: int, now: dt.datetime
                    ) -> bool:
    """The latest reaction total Telegram reported for a channel post of ours."""
    async with b.db.tx() as conn:
        return await q.set_channel_reactions(conn, tg_chat, message_id, total, now.isoformat())
