"""The office's Facebook Page: scheduled posts published there too, and Facebook's figures.

Channel-agnostic: the Graph API is behind `PageTarget` (`bot.messenger.page.GraphPage`),
and a file Telegram holds is fetched by the caller's `Fetch`.

**Publishing, once.** A post whose `page` flag is set gets, when its schedule fires and
Facebook is configured, a `page_posts` row in the same transaction as the run and its
broadcast (`queue`, called by `schedule.fire`): an occurrence has one row however many
processes or restarts race, as it has one run. `publish_due` claims each due row (marks it
in flight), publishes it through the target and records the Page post's id. When Meta does
not answer usably or asks to slow down (`PageUnavailable`: the network, a 5xx, rate limits
613/4/17/32), the row is tried again after 1, 2, 4 … 60 minutes, 8 attempts in all (about
two hours, the schedules' grace), and the pass stops: the other rows wait too. A refused
token (190) is not retried: the row fails, and staff are told once until a publication
succeeds again. Any other refusal fails the row and staff are told of it. A row still in
flight when the process stopped becomes `unsure` at the next start, and staff are told to
look at the Page: Meta may have made the post before the bot heard back, and a second Page
post would be worse than asking. (A timeout after Meta accepted a post is the one case a
retry could double; Meta's publishing API has no idempotency key to prevent it.)

**What goes.** The Mongolian text (the Page's readers are the office's public; the adapter
turns Telegram HTML into plain text), the first link button's address as the post's link
(further links follow as lines of text), and the first photo or video, uploaded. A
content-library file is read from the content folder; a file Telegram holds (a `/post`
made from a Telegram photo or video) is downloaded from Telegram by `fetch` (getFile, at
most 20 MB) and uploaded to the Page, rather than posting text only. What cannot go is
kept in the row's `note` and shown in `/posts`: `album` (the first file only: the client
publishes one file a post), `file_kind` (a document or GIF: text only), `too_big`,
`unreadable`. Bot buttons (useful, share, pledge, complain, survey) have no Facebook
equivalent and are left out.

**Figures, as Facebook reports them.** Once a day (from 06:00 local) every Page post
published on an earlier local day, at most 30 days ago, is read (`read_figures`): unique
views (`post_total_media_view_unique`, from insights) and reactions, comments and shares
(from the post). The latest reading is kept in `page_figures`; each reading is appended as
an event `page_figures` (channel `facebook`). Meta gives insights only to Pages with 100 or
more likes, and updates them about daily: views are then None, shown as "not given by
Facebook", never estimated. Nothing here is a view the bot counted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiosqlite

from bot.core.backend import Backend, record_event
from bot.storage import page_queries as pq

log = logging.getLogger(__name__)

CHANNEL = "facebook"
BATCH = 20
MAX_ATTEMPTS = 8
FIGURES_DAYS = 30
READ_FROM = dt.time(6, 0)  # local: Meta updates insights about once a day
PHOTO_MAX = 10 * 1024 * 1024  # the content library's own limits (content/README.md)
VIDEO_MAX = 50 * 1024 * 1024
NOTES = ("album", "file_kind", "too_big", "unreadable")


# -- what a Page target may answer -------------------------------------------------------
class PageError(Exception):
    """A publication or reading that did not go through; ``reason`` is recorded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PageUnavailable(PageError):
    """Meta did not answer usably (network, timeout, 5xx) or asked to slow down: later."""


class PageTokenRefused(PageError):
    """The Page token no longer works (190): an admin must issue a new one."""


class PageRefused(PageError):
    """Meta refused this post or reading (``reason``: its code); again would not help."""


class MediaUnavailable(Exception):
    """A post's file cannot go to the Page: ``reason`` is too_big or unreadable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PageMedia:
    """One photo or video to upload."""

    kind: str  # photo, video
    data: bytes = field(repr=False)
    filename: str


@dataclass(frozen=True)
class PageContent:
    """What one Page post holds."""

    text: str  # Telegram HTML, Mongolian; the target makes it plain
    link: str | None = None  # a text post's link (its preview)
    links: tuple[tuple[str, str], ...] = ()  # (label, address) written under the text
    media: PageMedia | None = None

    @property
    def empty(self) -> bool:
        """Nothing to post: no text, no link, no file."""
        return not self.text.strip() and self.link is None and self.media is None \
            and not self.links


@dataclass(frozen=True)
class Reading:
    """A Page post's figures as Facebook reports them; ``views`` None where it gives none."""

    views: int | None
    reactions: int
    comments: int
    shares: int


class PageTarget(Protocol):
    """The office's Page, as the core uses it."""

    async def publish(self, content: PageContent) -> tuple[str, str]:
        """Publish; returns (the Page post's id, its form: status, link, photo or video)."""
        ...

    async def figures(self, post_id: str) -> Reading:
        """The post's latest figures."""
        ...


Fetch = Callable[[str, str], Awaitable[bytes]]  # (Telegram file id, kind) → its bytes


def _stamp(moment: dt.datetime) -> str:
    """UTC to the second, as every time in these tables is stored (they compare as text)."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th try: 1, 2, 4 … minutes, at most an hour."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


# -- queueing, in the schedule's transaction ---------------------------------------------------
async def queue(conn: aiosqlite.Connection, b: Backend, broadcast_id: int, post_id: int,
                now: dt.datetime) -> bool:
    """The occurrence's Page row, if the post goes to the Page and Facebook is configured.

    Called inside the transaction that records the run and its broadcast (`schedule.fire`).
    """
    if b.settings.facebook is None or not await pq.post_page(conn, post_id):
        return False
    return await pq.queue(conn, broadcast_id, post_id, _stamp(now))


# -- what goes -------------------------------------------------------------------------------
def _label(button: dict[str, Any]) -> str:
    text = button.get("text")
    if isinstance(text, dict):
        return str(text.get("mn") or next(iter(text.values()), ""))
    return str(text or "")


async def _media(b: Backend, item: dict[str, Any], fetch: Fetch) -> PageMedia:
    kind = str(item["type"])
    limit = PHOTO_MAX if kind == "photo" else VIDEO_MAX
    if item.get("path"):
        root = b.settings.content_dir.resolve()
        path = (root / str(item["path"])).resolve()
        if not path.is_relative_to(root):
            raise MediaUnavailable("unreadable")
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
            if size > limit:
                raise MediaUnavailable("too_big")
            data = await asyncio.to_thread(path.read_bytes)
        except OSError:
            raise MediaUnavailable("unreadable") from None
        return PageMedia(kind, data, path.name)
    data = await fetch(str(item["file_id"]), kind)
    if len(data) > limit:
        raise MediaUnavailable("too_big")
    return PageMedia(kind, data, "photo.jpg" if kind == "photo" else "video.mp4")


def expected_note(payload: dict[str, Any]) -> str | None:
    """What `content_for` will say of the files, as far as the payload tells (no reading)."""
    items = payload.get("media") or []
    if not items:
        return None
    if items[0].get("type") not in ("photo", "video"):
        return "file_kind"
    return "album" if len(items) > 1 else None


async def content_for(b: Backend, payload: dict[str, Any], fetch: Fetch
                      ) -> tuple[PageContent, str | None]:
    """A stored post as the Page gets it, and a note on what could not go (`NOTES`)."""
    text = str((payload.get("text") or {}).get("mn") or "")
    links = [(_label(button), str(button["url"])) for button in payload.get("buttons", [])
             if button.get("action") is None and button.get("url")]
    items: list[dict[str, Any]] = list(payload.get("media") or [])
    media: PageMedia | None = None
    note: str | None = None
    if items:
        first = items[0]
        if first.get("type") not in ("photo", "video"):
            note = "file_kind"
        else:
            try:
                media = await _media(b, first, fetch)
            except MediaUnavailable as exc:
                note = exc.reason
            else:
                note = "album" if len(items) > 1 else None
    link = links[0][1] if links and media is None else None
    rest = tuple(links[1:] if link is not None else links)
    return PageContent(text=text, link=link, links=rest, media=media), note


# -- publishing ------------------------------------------------------------------------------
@dataclass
class Pass:
    """What a publishing pass did."""

    published: int = 0
    retrying: int = 0
    failed: int = 0
    token_refused: bool = False


async def recover(b: Backend) -> int:
    """At start: rows a stopped process left in flight become `unsure` (staff are told)."""
    async with b.db.tx() as conn:
        found = await pq.leftovers_unsure(conn)
    if found:
        log.warning("%d Page publication(s) were in flight at the last stop: not repeated",
                    found)
    return found


async def has_due(b: Backend, now: dt.datetime) -> bool:
    """Whether any Page publication is due now (a cheap look before opening a client)."""
    async with b.db.read() as conn:
        return await pq.any_due(conn, _stamp(now))


async def publish_due(b: Backend, target: PageTarget, clock: Callable[[], dt.datetime],
                      fetch: Fetch, *, keep_going: Callable[[], bool] = lambda: True) -> Pass:
    """Publish every due row; stops early when Meta is unavailable (the rest wait too)."""
    done = Pass()
    while keep_going():
        async with b.db.read() as conn:
            rows = await pq.due(conn, _stamp(clock()), BATCH)
        if not rows:
            break
        for row in rows:
            if not keep_going():
                return done
            outcome = await _publish_one(b, target, clock, fetch, row)
            if outcome == "published":
                done.published += 1
            elif outcome == "retry":
                done.retrying += 1
                return done  # Meta is down or busy: nothing else now
            elif outcome == "token":
                done.failed += 1
                done.token_refused = True
            elif outcome == "failed":
                done.failed += 1
    return done


async def _publish_one(b: Backend, target: PageTarget, clock: Callable[[], dt.datetime],
                       fetch: Fetch, row: Any) -> str:
    row_id, post_id = int(row["id"]), int(row["post_id"])
    async with b.db.tx() as conn:
        if not await pq.claim(conn, row_id):
            return "taken"
    attempts = int(row["attempts"]) + 1
    try:
        content, note = await content_for(b, json.loads(row["payload"]), fetch)
        if content.empty:
            raise PageRefused("nothing_to_post")
        fb_post_id, form = await target.publish(content)
    except PageUnavailable as exc:
        now = clock()
        async with b.db.tx() as conn:
            if attempts >= MAX_ATTEMPTS:
                await pq.failed(conn, row_id, f"unavailable:{exc.reason}", told=False)
            else:
                await pq.retry_at(conn, row_id, _stamp(now + backoff(attempts)), exc.reason)
        log.info("Page publication %d not through (%s), attempt %d", row_id, exc.reason,
                 attempts)
        return "failed" if attempts >= MAX_ATTEMPTS else "retry"
    except PageTokenRefused:
        async with b.db.tx() as conn:
            if await pq.token_state(conn) == "ok":
                await pq.set_token_state(conn, "refused")
            await pq.failed(conn, row_id, "invalid_token", told=True)  # the token notice says
        return "token"
    except PageRefused as exc:
        async with b.db.tx() as conn:
            await pq.failed(conn, row_id, exc.reason, told=False)
        log.warning("Page publication %d refused: %s", row_id, exc.reason)
        return "failed"
    except Exception as exc:  # a bug or a broken post must not wedge the others
        log.exception("Page publication %d failed unexpectedly", row_id)
        async with b.db.tx() as conn:
            await pq.failed(conn, row_id, exc.__class__.__name__, told=False)
        return "failed"
    now = clock()
    async with b.db.tx() as conn:
        await pq.published(conn, row_id, fb_post_id, form, note, _stamp(now))
        await pq.set_token_state(conn, "ok")
    await record_event(b, "page_published", now, channel=CHANNEL, post=post_id, form=form,
                       note=note or "")
    return "published"


@dataclass(frozen=True)
class Trouble:
    """A Page publication staff should hear of: it failed, or may or may not have gone."""

    page_post_id: int
    broadcast_id: int
    title: str
    status: str  # failed, unsure
    error: str


async def news(b: Backend) -> tuple[bool, list[Trouble]]:
    """What staff have not heard yet, each once: the token refused, and rows gone wrong."""
    async with b.db.tx() as conn:
        token = await pq.token_state(conn) == "refused"
        if token:
            await pq.set_token_state(conn, "told")
        rows = await pq.untold(conn)
        await pq.mark_told(conn, [int(r["id"]) for r in rows])
    return token, [Trouble(int(r["id"]), int(r["broadcast_id"]),
                           str(r["title"] or r["content_id"] or f"#{r['post_id']}"),
                           str(r["status"]), str(r["error"] or "")) for r in rows]


# -- figures ---------------------------------------------------------------------------------
@dataclass
class FiguresPass:
    """What a daily reading did."""

    read: int = 0
    without_views: int = 0
    refused: int = 0
    token_refused: bool = False
    unavailable: bool = False


async def _to_read(b: Backend, now: dt.datetime, limit: int) -> list[Any]:
    """Page posts of the last `FIGURES_DAYS`, before today, not read today (local)."""
    tz = b.settings.tz
    local = now.astimezone(tz)
    if local.time() < READ_FROM:
        return []
    midnight = dt.datetime.combine(local.date(), dt.time(), tz)
    async with b.db.read() as conn:
        return await pq.to_read(conn, _stamp(midnight - dt.timedelta(days=FIGURES_DAYS)),
                                _stamp(midnight), local.date().isoformat(), limit)


async def figures_due(b: Backend, now: dt.datetime) -> bool:
    """Whether a Page post's figures are to be read now."""
    return bool(await _to_read(b, now, 1))


async def read_figures(b: Backend, target: PageTarget, now: dt.datetime, *,
                       keep_going: Callable[[], bool] = lambda: True) -> FiguresPass:
    """Read the recent Page posts' figures not yet read today (from `READ_FROM`, local)."""
    done = FiguresPass()
    today = b.local_date(now)
    for row in await _to_read(b, now, 1000):
        if not keep_going():
            break
        row_id = int(row["id"])
        try:
            reading = await target.figures(str(row["fb_post_id"]))
        except PageUnavailable:
            done.unavailable = True  # the next look (in minutes) tries the rest
            break
        except PageTokenRefused:
            async with b.db.tx() as conn:
                if await pq.token_state(conn) == "ok":
                    await pq.set_token_state(conn, "refused")
            done.token_refused = True
            break
        except PageRefused as exc:  # the post was deleted from the Page, say: tomorrow again
            log.info("figures of Page publication %d refused: %s", row_id, exc.reason)
            done.refused += 1
            continue
        async with b.db.tx() as conn:
            await pq.put_figures(conn, row_id, read_on=today.isoformat(), read_at=_stamp(now),
                                 views=reading.views, reactions=reading.reactions,
                                 comments=reading.comments, shares=reading.shares)
            await pq.set_token_state(conn, "ok")
        done.read += 1
        done.without_views += reading.views is None
        await record_event(b, "page_figures", now, channel=CHANNEL, page_post=row_id,
                           views=reading.views, reactions=reading.reactions,
                           comments=reading.comments, shares=reading.shares,
                           insights="given" if reading.views is not None else "not_given")
    return done


# -- staff's view -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PagePost:
    """One occurrence's Page publication as staff see it, with Facebook's latest figures."""

    page_post_id: int
    broadcast_id: int
    status: str  # pending, publishing, published, failed, unsure
    fb_post_id: str | None
    published_at: dt.datetime | None
    form: str | None
    note: str | None
    error: str | None
    attempts: int
    next_at: dt.datetime | None  # a pending one's next try
    read_on: dt.date | None  # None: not read yet (the day after it is published)
    figures: Reading | None

    @property
    def url(self) -> str | None:
        """The post on Facebook."""
        return None if self.fb_post_id is None else f"https://www.facebook.com/{self.fb_post_id}"


def _page_post(r: Any) -> PagePost:
    read = r["read_on"] is not None
    return PagePost(
        page_post_id=int(r["id"]), broadcast_id=int(r["broadcast_id"]), status=str(r["status"]),
        fb_post_id=r["fb_post_id"],
        published_at=dt.datetime.fromisoformat(r["published_at"]) if r["published_at"] else None,
        form=r["form"], note=r["note"], error=r["error"], attempts=int(r["attempts"]),
        next_at=dt.datetime.fromisoformat(r["next_at"]) if r["next_at"] else None,
        read_on=dt.date.fromisoformat(r["read_on"]) if read else None,
        figures=Reading(None if r["views"] is None else int(r["views"]), int(r["reactions"]),
                        int(r["comments"]), int(r["shares"])) if read else None)


async def of_broadcasts(b: Backend, broadcast_ids: list[int]) -> dict[int, PagePost]:
    """The Page publications of these broadcasts, by broadcast."""
    async with b.db.read() as conn:
        rows = await pq.of_broadcasts(conn, broadcast_ids)
    return {int(r["broadcast_id"]): _page_post(r) for r in rows}


async def get(b: Backend, page_post_id: int) -> PagePost | None:
    """One Page publication."""
    async with b.db.read() as conn:
        row = await pq.get(conn, page_post_id)
    return None if row is None else _page_post(row)
