"""Outreach: subscribers, and the broadcast engine that never loses or doubles a delivery.

The database is the source of truth. A broadcast is an outbox row per (post, subscriber),
made in one statement; the engine claims a batch (marks it in flight), sends it, and records
the outcomes in one transaction. After a crash the rows still in flight are sent again, so
a crash doubles at most one batch — what Telegram may already have accepted — and skips none.
Memory stays flat: the subscriber list is streamed batch by batch, never loaded whole.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.backend import Backend, record_event
from bot.core.posts import PostMeta, store_post
from bot.core.schedule import out_of_quiet
from bot.storage import queries as q

log = logging.getLogger(__name__)

IN_FLIGHT = 32  # rows in flight at once: the most a crash can double
CHUNK = 16  # rows claimed at a time; while one chunk is recorded, the other is in flight
PROGRESS_SECONDS = 3.0
MAX_ATTEMPTS = 3


# -- what a channel's sender may answer ------------------------------------------------
class SendError(Exception):
    """A send that did not go through; `reason` is recorded with the row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RecipientBlocked(SendError):
    """The person blocked the bot or deleted their account: they are stopped."""


class RecipientGone(SendError):
    """The chat does not exist (any more): the row is dropped."""


class TransientSendError(SendError):
    """Worth another try later (network, a 5xx, a 429 that outlasted the sender's retries)."""


@dataclass(frozen=True)
class Recipient:
    """Whom one outbox row is for."""

    subscriber_id: int
    chat_id: str  # decrypted only for the send
    lang: str
    kind: str  # person, group, channel
    channel: str = "telegram"


@dataclass(frozen=True)
class Outgoing:
    """The post a broadcast sends."""

    broadcast_id: int
    post_id: int
    payload: dict[str, Any]
    campaign: str | None = None
    kind: str = "news"


class Sender(Protocol):
    """Sends one post to one recipient on one channel; returns the message id."""

    async def send(self, to: Recipient, post: Outgoing) -> int:
        """Deliver, or raise a `SendError`."""
        ...


@dataclass(frozen=True)
class Progress:
    """Where a broadcast stands."""

    broadcast_id: int
    total: int
    sent: int
    failed: int
    skipped: int
    pending: int

    @property
    def done(self) -> bool:
        """No row is waiting or in flight."""
        return self.pending == 0


# -- subscribers -----------------------------------------------------------------------
def _key(b: Backend, channel: str, chat_id: str) -> bytes:
    return b.vault.pseudonym("subscriber", f"{channel}:{chat_id}")


async def subscribe(b: Backend, channel: str, chat_id: str, lang: str, now: dt.datetime) -> bool:
    """Opt in (again); returns False if already subscribed."""
    key = _key(b, channel, chat_id)
    async with b.db.tx() as conn:
        row = await q.get_subscriber(conn, key)
        if row is not None and row["status"] == "active":
            return False
        await q.upsert_subscriber(
            conn, channel=channel, key=key, lang=lang, day=b.local_date(now).isoformat(),
            chat=b.vault.seal_text(chat_id, f"subscriber:{channel}"),
        )
    await record_event(b, "subscriber_joined", now, channel=channel)
    return True


async def unsubscribe(
    b: Backend, channel: str, chat_id: str, now: dt.datetime, *, status: str = "stopped"
) -> bool:
    """Opt out, at once: queued broadcasts skip this person. False if not subscribed."""
    async with b.db.tx() as conn:
        row = await q.get_subscriber(conn, _key(b, channel, chat_id))
        if row is None or row["status"] != "active":
            return False
        await q.set_subscriber_status(conn, int(row["id"]), status, b.local_date(now).isoformat())
    await record_event(b, "subscriber_left", now, channel=channel, reason=status)
    return True


async def is_subscribed(b: Backend, channel: str, chat_id: str) -> bool:
    """Whether this chat gets broadcasts."""
    async with b.db.read() as conn:
        row = await q.get_subscriber(conn, _key(b, channel, chat_id))
    return row is not None and row["status"] == "active"


# -- broadcasts ------------------------------------------------------------------------
async def create_broadcast(
    b: Backend, payload: dict[str, Any], now: dt.datetime, *, staff_id: int | None = None,
    content_id: str | None = None, meta: PostMeta | None = None,
) -> int:
    """Store the post and an outbox row for every recipient of its audience; returns its id."""
    async with b.db.tx() as conn:
        post_id = await store_post(conn, payload, meta or PostMeta(content_id=content_id),
                                   staff_id, now)
        return await q.insert_broadcast(conn, post_id, now.isoformat())


async def cancel_broadcast(b: Backend, broadcast_id: int, now: dt.datetime) -> int:
    """Stop a broadcast now: nobody else gets it (rows in flight may still land)."""
    async with b.db.tx() as conn:
        skipped = await q.cancel_broadcast(conn, broadcast_id, now.isoformat())
    await record_event(b, "broadcast_cancelled", now, broadcast=broadcast_id, skipped=skipped)
    return skipped


async def unfinished(b: Backend) -> list[int]:
    """Broadcasts to resume at start-up."""
    async with b.db.read() as conn:
        return [int(r["id"]) for r in await q.unfinished_broadcasts(conn)]


async def progress(b: Backend, broadcast_id: int) -> Progress:
    """Counts by outcome."""
    async with b.db.read() as conn:
        row = await q.get_broadcast(conn, broadcast_id)
        counts = await q.outbox_counts(conn, broadcast_id)
    return Progress(
        broadcast_id=broadcast_id, total=0 if row is None else int(row["total"]),
        sent=counts.get("sent", 0), failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        pending=counts.get("pending", 0) + counts.get("inflight", 0),
    )


async def run_broadcast(
    b: Backend, broadcast_id: int, sender: Sender, clock: Callable[[], dt.datetime],
    *, on_progress: Callable[[Progress], Awaitable[None]] | None = None,
    progress_every: float = PROGRESS_SECONDS,
) -> Progress:
    """Send a broadcast to the end (or resume one); safe to call again after a crash."""
    async with b.db.tx() as conn:
        row = await q.get_broadcast(conn, broadcast_id)
        post = None if row is None else await q.get_post(conn, int(row["post_id"]))
        finished = row is None or post is None or row["status"] in ("done", "cancelled")
        again = 0
        if not finished:
            again = await q.requeue_inflight(conn, broadcast_id)
            await q.set_broadcast_status(conn, broadcast_id, "sending", clock().isoformat())
    if finished or post is None:  # outside the transaction: the lock is not re-entrant
        return await progress(b, broadcast_id)
    if again:
        log.info("broadcast %d resumed: %d in flight at the stop are sent again",
                 broadcast_id, again)
    outgoing = Outgoing(broadcast_id=broadcast_id, post_id=int(post["id"]),
                        payload=json.loads(post["payload"]), campaign=post["campaign"],
                        kind=str(post["kind"]))
    backoff = 1.0
    reported = time.monotonic()
    # Chunks in flight, oldest first. Claiming the next chunk while others are out keeps
    # the sender busy (a whole-batch barrier idled it while the slowest send of each batch
    # came back) and still bounds what a crash can leave unsure to IN_FLIGHT rows.
    flying: deque[asyncio.Task[tuple[list[Any], list[Outcome]]]] = deque()
    try:
        while True:
            claimed: list[Any] = []
            if len(flying) < IN_FLIGHT // CHUNK:
                await _wait_out_quiet_hours(b, clock)
                async with b.db.tx() as conn:
                    claimed = await q.claim_batch(conn, broadcast_id, CHUNK)
                if claimed:
                    flying.append(asyncio.create_task(_deliver_all(b, sender, claimed,
                                                                   outgoing)))
                    continue
            if not flying:  # nothing left to claim and nothing out: the end
                break
            chunk, outcomes = await flying.popleft()
            outage = all(o[0] == "pending" for o in outcomes)
            await _record(b, broadcast_id, chunk, outcomes, clock(), count_attempts=not outage)
            if outage:
                # The whole chunk failed for passing reasons (Telegram or the network is
                # down): wait longer each time, and spend nobody's attempts on it.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
            else:
                backoff = 1.0
                if any(o[0] == "pending" for o in outcomes):
                    await asyncio.sleep(1.0)
            if on_progress is not None and time.monotonic() - reported >= progress_every:
                # Counting is a query over the broadcast's rows: every few seconds only.
                reported = time.monotonic()
                await _report(on_progress, await progress(b, broadcast_id))
    finally:
        # Stopped (the bot is shutting down): what is in flight stays `inflight` in the
        # outbox and is sent again at the next start.
        for task in flying:
            task.cancel()
        await asyncio.gather(*flying, return_exceptions=True)
    async with b.db.tx() as conn:
        row = await q.get_broadcast(conn, broadcast_id)
        if row is not None and row["status"] == "sending":  # a cancelled one stays so
            await q.set_broadcast_status(conn, broadcast_id, "done", clock().isoformat())
    final = await progress(b, broadcast_id)
    await record_event(b, "broadcast_done", clock(), broadcast=broadcast_id, sent=final.sent,
                       failed=final.failed, skipped=final.skipped)
    if on_progress is not None:
        await _report(on_progress, final)
    return final


async def _report(on_progress: Callable[[Progress], Awaitable[None]], now: Progress) -> None:
    """Tell whoever watches; a failure to tell must not stop the broadcast."""
    try:
        await on_progress(now)
    except Exception:
        log.exception("broadcast progress not reported")


Outcome = tuple[str, str, int | None, str | None]  # (row status, subscriber change, id, error)


async def _wait_out_quiet_hours(b: Backend, clock: Callable[[], dt.datetime]) -> None:
    """A broadcast running into 22:00 pauses until 08:00 (subscribers sleep)."""
    # Re-read the clock each minute rather than sleep once: the clock is injected, and a
    # long single sleep would outlive a changed clock in tests or a suspended machine.
    quiet = b.settings.quiet_hours
    while (wait := (out_of_quiet(clock(), b.settings.tz, quiet) - clock()).total_seconds()) > 0:  # noqa: ASYNC110
        await asyncio.sleep(min(wait, 60.0))


async def _deliver_all(b: Backend, sender: Sender, chunk: list[Any],
                       post: Outgoing) -> tuple[list[Any], list[Outcome]]:
    return chunk, list(await asyncio.gather(*(_deliver(b, sender, r, post) for r in chunk)))


async def _deliver(b: Backend, sender: Sender, row: Any, post: Outgoing) -> Outcome:
    try:
        to = Recipient(
            subscriber_id=int(row["subscriber_id"]), lang=str(row["lang"]),
            chat_id=b.vault.open_text(bytes(row["chat"]), f"subscriber:{row['channel']}"),
            kind=str(row["kind"]), channel=str(row["channel"]))
        message_id = await sender.send(to, post)
    except RecipientBlocked as exc:
        return "failed", "blocked", None, exc.reason
    except RecipientGone as exc:
        return "failed", "gone", None, exc.reason
    except TransientSendError as exc:
        retry = int(row["attempts"]) + 1 < MAX_ATTEMPTS
        return ("pending" if retry else "failed"), "", None, exc.reason
    except SendError as exc:
        return "failed", "", None, exc.reason
    except Exception as exc:  # a bug or a bad post must not wedge the broadcast
        log.exception("broadcast send failed unexpectedly")
        return "failed", "", None, exc.__class__.__name__
    return "sent", "", message_id, None


async def _record(
    b: Backend, broadcast_id: int, batch: list[Any], outcomes: list[Outcome], now: dt.datetime,
    *, count_attempts: bool = True,
) -> None:
    day = b.local_date(now).isoformat()
    reasons: Counter[str] = Counter()
    async with b.db.tx() as conn:
        results = []
        for row, (status, change, message_id, error) in zip(batch, outcomes, strict=True):
            attempts = int(row["attempts"]) + (0 if status == "sent" or not count_attempts else 1)
            results.append((int(row["subscriber_id"]), status, message_id, error, attempts))
            if change:
                await q.set_subscriber_status(conn, int(row["subscriber_id"]), change, day)
            if status == "failed" and error:
                reasons[change or error] += 1
        await q.finish_rows(conn, broadcast_id, results)
    for reason, count in reasons.items():
        await record_event(b, "delivery_failed", now, broadcast=broadcast_id, reason=reason,
                           count=count)
