"""Posts: what an outreach message holds, where it goes, and staff's view of them.

A post's payload is channel-agnostic JSON, stored once per post and read by every send:

    {"text": {"mn": "<b>…</b>", "en": "…"},      # the message, or the media's caption
     "media": [{"type": "photo", "path": "media/poster.png"},   # a content-library file
               {"type": "video", "file_id": "…"}],              # or one Telegram already has
     "buttons": [{"action": "useful"}, {"action": "share"}, {"action": "pledge"},
                 {"url": "https://…", "text": {"mn": "…"}}],
     "silent": false}

Texts are Telegram HTML (the strictest channel). Tags — kind, campaign, plan measure — and
the audience live in the post's row, for statistics and the report.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.core.backend import Backend
from bot.core.content import ACTIONS, KINDS, MEDIA_TYPES, Post
from bot.core.staff import POST_ROLES, require
from bot.storage import page_queries as pq
from bot.storage import queries as q

AUDIENCES = ("subscribers", "chats", "all")
_SURVEY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
SENDABLE_MEDIA = (*MEDIA_TYPES, "animation")  # staff may forward a GIF too
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


class PostError(ValueError):
    """A post that cannot be sent as it is (no Mongolian text, a bad button …)."""


@dataclass(frozen=True)
class PostMeta:
    """What a post is about and whom it goes to."""

    kind: str = "news"
    campaign: str | None = None
    measure: str | None = None
    title: str | None = None
    audience: str = "subscribers"
    content_id: str | None = None
    page: bool = False  # also on the office's Facebook Page (bot/core/page.py)

    def check(self) -> None:
        """Raise `PostError` for a kind or audience the bot does not know."""
        if self.kind not in KINDS:
            raise PostError(f"unknown kind {self.kind!r}")
        if self.audience not in AUDIENCES:
            raise PostError(f"unknown audience {self.audience!r}")


def check_payload(payload: dict[str, Any]) -> None:
    """Raise `PostError` unless the payload can be sent (see the module's docstring)."""
    texts = payload.get("text")
    media = payload.get("media", [])
    if not isinstance(texts, dict) or not isinstance(texts.get("mn", ""), str):
        raise PostError("a post's text is a mapping of language to text")
    if not str(texts.get("mn", "")).strip() and not media:
        raise PostError("a post needs its Mongolian text or a file")
    if not isinstance(media, list) or len(media) > 10:
        raise PostError("at most 10 files")
    for item in media:
        if not isinstance(item, dict) or item.get("type") not in SENDABLE_MEDIA:
            raise PostError(f"a file of unknown type: {item!r}")
        if not (item.get("file_id") or item.get("path")):
            raise PostError("a file needs a path or a file id")
    if len(media) > 1 and any(i["type"] == "animation" for i in media):
        raise PostError("an album cannot hold an animation")
    documents = sum(i["type"] == "document" for i in media)
    if len(media) > 1 and documents not in (0, len(media)):
        raise PostError("an album of documents holds only documents")
    for button in payload.get("buttons", []):
        if not isinstance(button, dict):
            raise PostError("a button is a mapping")
        if button.get("action") not in (None, *ACTIONS):
            raise PostError(f"unknown button action {button.get('action')!r}")
        if button.get("action") is None and not str(button.get("url", "")).startswith("https://"):
            raise PostError("a link button needs an https:// address")
        if button.get("action") == "survey" and not _SURVEY_ID.match(str(button.get("survey"))):
            raise PostError("a survey button names its survey")


def from_content(post: Post) -> tuple[dict[str, Any], PostMeta]:
    """The payload and tags of a content-library post."""
    langs = [lang for lang in ("mn", "en") if lang in post.body]
    payload: dict[str, Any] = {
        "text": {lang: post.message(lang) for lang in langs},
        "media": [{"type": m.type, "path": f"media/{m.file}"} for m in post.media],
        "buttons": [
            ({"action": b.action, "text": b.text} | ({"survey": b.survey} if b.survey else {}))
            if b.action else {"url": b.url, "text": b.text}
            for b in post.buttons
        ],
    }
    meta = PostMeta(kind=post.kind, campaign=post.campaign, measure=post.measure,
                    title=post.title_for("mn"), content_id=post.id, page=post.page)
    return payload, meta


async def store_post(
    conn: Any, payload: dict[str, Any], meta: PostMeta, staff_id: int | None, now: dt.datetime
) -> int:
    """Insert a checked post (inside the caller's transaction); returns its id."""
    check_payload(payload)
    meta.check()
    post_id = await q.insert_post(
        conn, content_id=meta.content_id, payload=json.dumps(payload, ensure_ascii=False),
        created_by=staff_id, created_at=now.isoformat(), kind=meta.kind, campaign=meta.campaign,
        measure=meta.measure, title=meta.title, audience=meta.audience,
    )
    if meta.page:
        await pq.set_post_page(conn, post_id, True)
    return post_id


# -- staff's view ----------------------------------------------------------------------
@dataclass(frozen=True)
class Reach:
    """What can honestly be counted about one broadcast."""

    total: int
    sent: int
    failed: int
    skipped: int
    useful: int
    shares: int
    chats: int
    members: int  # of channels and groups at send time: potential reach, not views
    reactions: int


@dataclass(frozen=True)
class Upcoming:
    """A schedule still to run."""

    schedule_id: int
    post_id: int
    title: str
    kind: str
    audience: str
    once_at: dt.datetime | None
    weekly: str | None  # "1,3 10:00,15:00 2026-12-01..2027-01-31", shown by the adapter


@dataclass(frozen=True)
class Recent:
    """A broadcast that ran or is running, with its reach."""

    broadcast_id: int
    post_id: int
    title: str
    kind: str
    status: str
    started: dt.datetime | None
    reach: Reach


def _title(row: Any) -> str:
    return str(row["title"] or row["content_id"] or f"#{row['post_id']}")


async def reach(b: Backend, broadcast_id: int) -> Reach:
    """Sent, failed, useful presses, shares and channel figures of a broadcast."""
    async with b.db.read() as conn:
        row = await q.get_broadcast(conn, broadcast_id)
        counts = await q.outbox_counts(conn, broadcast_id)
        post = str(row["post_id"]) if row is not None else ""
        useful = await q.count_marks(conn, "useful", post)
        shares = await q.count_marks(conn, "share", post)
        channel = await q.channel_reach(conn, broadcast_id)
    return Reach(
        total=0 if row is None else int(row["total"]), sent=counts.get("sent", 0),
        failed=counts.get("failed", 0), skipped=counts.get("skipped", 0),
        useful=useful, shares=shares,
        chats=0 if channel is None else int(channel["chats"]),
        members=0 if channel is None else int(channel["members"]),
        reactions=0 if channel is None else int(channel["reactions"]),
    )


async def upcoming(b: Backend, limit: int = 20) -> list[Upcoming]:
    """Active schedules, soonest first."""
    async with b.db.read() as conn:
        rows = await q.upcoming_schedules(conn, limit)
    return [
        Upcoming(
            schedule_id=int(r["id"]), post_id=int(r["post_id"]), title=_title(r),
            kind=str(r["post_kind"]), audience=str(r["audience"]),
            once_at=dt.datetime.fromisoformat(r["at"]) if r["kind"] == "once" else None,
            weekly=None if r["kind"] == "once"
            else f"{r['days']} {r['times']} {r['start_on']}..{r['end_on']}",
        )
        for r in rows
    ]


async def recent(b: Backend, limit: int = 10) -> list[Recent]:
    """The latest broadcasts, newest first, with their reach."""
    async with b.db.read() as conn:
        rows = await q.recent_broadcasts(conn, limit)
    return [
        Recent(broadcast_id=int(r["id"]), post_id=int(r["post_id"]), title=_title(r),
               kind=str(r["post_kind"]), status=str(r["status"]),
               started=dt.datetime.fromisoformat(r["started_at"]) if r["started_at"] else None,
               reach=await reach(b, int(r["id"])))
        for r in rows
    ]


async def load(b: Backend, post_id: int) -> tuple[dict[str, Any], PostMeta] | None:
    """A stored post's payload and tags."""
    async with b.db.read() as conn:
        row = await q.get_post(conn, post_id)
    if row is None:
        return None
    meta = PostMeta(kind=str(row["kind"]), campaign=row["campaign"], measure=row["measure"],
                    title=row["title"], audience=str(row["audience"]),
                    content_id=row["content_id"], page=bool(row["page"]))
    return json.loads(row["payload"]), meta


# -- composing a post in a chat (/post) --------------------------------------------------
_MEASURE = re.compile(r"^\d{1,2}(\.\d{1,2}){0,3}$")  # as in the content library: "1.1"
_TAGS = re.compile(r"<[^>]*>")
TITLE_LENGTH = 60
# The kind a post probably is, from its first file (staff can change it).
KIND_OF_MEDIA = {"photo": "poster", "video": "video", "document": "handbook",
                 "animation": "news"}


def parse_measure(text: str) -> str:
    """A plan measure as staff type it ("1.1", "2.3."); raises `PostError`."""
    value = text.strip().replace(",", ".").rstrip(".")
    if not _MEASURE.match(value):
        raise PostError("a plan measure is numbers with dots, like 1.1")
    return value


def title_from(payload: dict[str, Any]) -> str | None:
    """A short title for staff's lists: the first line of the Mongolian text, as plain text."""
    text = html.unescape(_TAGS.sub("", str(payload.get("text", {}).get("mn", ""))))
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not line:
        return None
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


def actions_of(payload: dict[str, Any]) -> list[str]:
    """The bot actions among a payload's buttons (useful, share, pledge, complain)."""
    return [str(b["action"]) for b in payload.get("buttons", []) if b.get("action")]


def with_action(payload: dict[str, Any], action: str, on: bool) -> dict[str, Any]:
    """The payload with the button for `action` added or removed; link buttons stay."""
    if action not in ACTIONS:
        raise PostError(f"unknown button action {action!r}")
    buttons = [b for b in payload.get("buttons", []) if b.get("action") != action]
    if on:
        buttons.append({"action": action})
    actions = [b for b in buttons if b.get("action")]
    actions.sort(key=lambda b: ACTIONS.index(b["action"]))
    links = [b for b in buttons if not b.get("action")]
    return {**payload, "buttons": actions + links}


async def audience_counts(b: Backend) -> dict[str, int]:
    """How many would get a post now, for each audience."""
    async with b.db.read() as conn:
        kinds = await q.count_recipients(conn)
    people = kinds.get("person", 0)
    chats = kinds.get("group", 0) + kinds.get("channel", 0)
    return {"subscribers": people, "chats": chats, "all": people + chats}


async def staff_stop(b: Backend, staff_id: int, broadcast_id: int, now: dt.datetime
                     ) -> int | None:
    """A staff member stops a running broadcast; how many it skipped, None if not running."""
    async with b.db.read() as conn:
        await require(conn, staff_id, POST_ROLES)
        row = await q.get_broadcast(conn, broadcast_id)
    if row is None or row["status"] not in ("queued", "sending"):
        return None
    from bot.core import outreach  # outreach imports this module

    return await outreach.cancel_broadcast(b, broadcast_id, now)
