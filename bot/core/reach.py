"""Reach: what a bot can honestly count about outreach, once per person.

A "useful" press, a share through inline mode, a campaign pledge and a first arrival from
a named source are each counted once per person. The person is kept only as a pseudonym
keyed per (what, scope) — one post, one campaign, one source — so two marks of the same
person cannot be joined, and no mark leads to a subscriber or a complaint. Every count
is also appended to the events table, which statistics roll up.

Bots cannot see how many people viewed a message; nothing here pretends to.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from bot.core import posts
from bot.core.backend import Backend, record_event
from bot.core.models import Citizen
from bot.core.posts import PostMeta
from bot.storage import queries as q
from bot.storage import reach_queries as rq

WHATS = ("useful", "share", "pledge", "source")
# A deep-link payload: at most 64 of A-Z a-z 0-9 _ - (Telegram drops anything else).
SOURCE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class UnknownSource(LookupError):
    """A deep link whose source was never registered (a typo, or someone guessing)."""


@dataclass(frozen=True)
class Source:
    """A named place people arrive from, with how many did (once each)."""

    code: str
    name: str
    people: int


def _key(b: Backend, what: str, scope: str, who: Citizen) -> bytes:
    return b.vault.pseudonym(f"reach:{what}:{scope}", who.ref)


async def mark(b: Backend, what: str, scope: str, who: Citizen, now: dt.datetime, *,
               channel: str | None = None) -> bool:
    """Count `what` for `scope` once for this person; False if they were counted already."""
    if what not in WHATS:
        raise ValueError(f"unknown reach mark {what!r}")
    async with b.db.tx() as conn:
        first = await q.insert_mark(conn, what, scope, _key(b, what, scope, who),
                                    b.local_date(now).isoformat())
    if first:
        await record_event(b, what, now, channel=channel or who.channel, scope=scope)
    return first


async def count(b: Backend, what: str, scope: str) -> int:
    """How many people have the mark."""
    async with b.db.read() as conn:
        return await q.count_marks(conn, what, scope)


# -- sources (deep links and QR codes) ------------------------------------------------------
def new_source_code(name: str) -> str:
    """A short unguessable code for a source (names are Cyrillic; codes must be ASCII)."""
    del name  # the name is shown to staff, never put in a public link
    return "s" + secrets.token_urlsafe(6).replace("-", "").replace("_", "")[:8]


async def add_source(b: Backend, name: str, now: dt.datetime, *, staff_id: int | None = None
                     ) -> str:
    """Register a named source; returns its code (the deep-link payload)."""
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ValueError("a source needs a name of at most 80 characters")
    while True:
        code = new_source_code(name)
        async with b.db.tx() as conn:
            if await q.insert_source(conn, code, name, staff_id, now.isoformat()):
                return code


async def arrived(b: Backend, code: str, who: Citizen, now: dt.datetime) -> bool:
    """Someone came through a source's link or QR code; True the first time for them."""
    if not SOURCE_CODE.match(code):
        raise UnknownSource(code)
    async with b.db.read() as conn:
        if await q.get_source(conn, code) is None:
            raise UnknownSource(code)
    return await mark(b, "source", code, who, now)


async def sources(b: Backend) -> list[Source]:
    """Every source with its count of people."""
    async with b.db.read() as conn:
        rows = await q.list_sources(conn)
    return [Source(str(r["code"]), str(r["name"]), int(r["people"])) for r in rows]


# -- the buttons under posts, and shares ---------------------------------------------------
# Button data and inline results can be forged by anyone; each is checked against the post.
class NotCountable(LookupError):
    """A press or share that cannot be counted: no such post, not sent yet, or no such button.

    Forged or stale data, or a staff member's preview of a post that has not gone out.
    """


@dataclass(frozen=True)
class Pledged:
    """A pledge pressed: whether it was this person's first, and the campaign's count now."""

    first: bool
    count: int


@dataclass(frozen=True)
class CounterPost:
    """A pledge button under a post in a group or channel, whose count may have to change."""

    tg_chat: int  # a group's or channel's id (a public body, never a person)
    kind: str  # group or channel
    message_id: int
    post_id: int
    campaign: str
    payload: dict[str, Any]
    lang: str


def _has_button(payload: dict[str, Any], action: str) -> bool:
    return any(isinstance(b, dict) and b.get("action") == action
               for b in payload.get("buttons", []))


async def published(b: Backend, post_id: int) -> tuple[dict[str, Any], PostMeta] | None:
    """A post that has gone out (a broadcast of it started), else None.

    Posts waiting for their time, and staff's previews, are not shown to anyone else
    (inline mode would let anyone read them by guessing a number) nor counted.
    """
    async with b.db.read() as conn:
        if not await rq.post_published(conn, post_id):
            return None
    return await posts.load(b, post_id)


async def useful(b: Backend, post_id: int, who: Citizen, now: dt.datetime) -> bool:
    """A "useful 👍" press on a post; True the first time for this person."""
    found = await published(b, post_id)
    if found is None or not _has_button(found[0], "useful"):
        raise NotCountable(post_id)
    return await mark(b, "useful", str(post_id), who, now)


async def shared(b: Backend, post_id: int, who: Citizen, now: dt.datetime) -> bool:
    """A share of a post through inline mode; True the first time for this person."""
    if await published(b, post_id) is None:
        raise NotCountable(post_id)
    return await mark(b, "share", str(post_id), who, now)


async def pledge(b: Backend, post_id: int, campaign: str, who: Citizen, now: dt.datetime
                 ) -> Pledged:
    """A pledge to the campaign of a post; counted once per person per campaign."""
    found = await published(b, post_id)
    if found is None or found[1].campaign != campaign or not _has_button(found[0], "pledge"):
        raise NotCountable(post_id)
    first = await mark(b, "pledge", campaign, who, now)
    return Pledged(first, await count(b, "pledge", campaign))


async def counter_posts(b: Backend, now: dt.datetime, *, days: int = 7, limit: int = 200
                        ) -> list[CounterPost]:
    """Posts with a pledge button sent to active groups and channels lately, newest first."""
    since = (now - dt.timedelta(days=days)).astimezone(dt.UTC).isoformat()
    async with b.db.read() as conn:
        rows = await rq.counter_posts(conn, since, limit)
    found = []
    for r in rows:
        payload = json.loads(r["payload"])
        if _has_button(payload, "pledge"):
            found.append(CounterPost(
                tg_chat=int(r["tg_chat"]), kind=str(r["kind"]), message_id=int(r["message_id"]),
                post_id=int(r["post_id"]), campaign=str(r["campaign"]), payload=payload,
                lang=str(r["lang"] or "mn")))
    return found
