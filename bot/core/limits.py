"""Per-user limits, counted under rotating keyed hashes (never the raw user id)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.core.backend import Backend
from bot.core.errors import TooManyAttempts
from bot.core.models import Citizen
from bot.storage import queries as q


@dataclass(frozen=True)
class Window:
    """One counting window of a limit: its label (for key rotation) and its end."""

    label: str
    end: dt.datetime


def daily_window(b: Backend, now: dt.datetime) -> Window:
    """The office's calendar day."""
    local = now.astimezone(b.settings.tz)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), local.tzinfo)
    return Window(local.date().isoformat(), midnight.astimezone(dt.UTC))


def minutes_window(now: dt.datetime, minutes: int) -> Window:
    """Fixed windows of `minutes`, aligned to the Unix epoch."""
    size = minutes * 60
    start = int(now.timestamp()) // size * size
    return Window(f"{minutes}m:{start}", dt.datetime.fromtimestamp(start + size, dt.UTC))


def _key(b: Backend, scope: str, window: Window, who: Citizen) -> bytes:
    return b.vault.rotating_pseudonym(scope, window.label, who.ref)


async def check(
    conn: aiosqlite.Connection, b: Backend, scope: str, who: Citizen, window: Window,
    limit: int, now: dt.datetime,
) -> None:
    """Raise `TooManyAttempts` if the limit is already reached in this window."""
    count = await q.limit_count(conn, scope, _key(b, scope, window, who), now.isoformat())
    if count >= limit:
        raise TooManyAttempts(max(1, int((window.end - now).total_seconds())))


async def hit(
    conn: aiosqlite.Connection, b: Backend, scope: str, who: Citizen, window: Window,
    now: dt.datetime,
) -> int:
    """Count one event; returns the count in this window."""
    return await q.limit_hit(
        conn, scope, _key(b, scope, window, who), window.end.isoformat(), now.isoformat()
    )


async def purge(b: Backend, now: dt.datetime) -> None:
    """Drop rows whose window is over: they can no longer be linked to anyone."""
    async with b.db.tx() as conn:
        await q.purge_limits(conn, now.isoformat())
