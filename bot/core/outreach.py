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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.backend import Backend, record_event
from bot.core.schedule import out_of_quiet
from bot.storage import queries as q

log = logging.getLogger(__name__)

BATCH = 32  # rows in flight at once: the most a crash can double
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


class Sender(Protocol):
    """Sends one post to one chat on one channel; returns the message id."""

    async def send(self, chat_id: str, lang: str, payload: dict[str, Any]) -> int:
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
    content_id: str | None = None,
) -> int:
    """Store the post and an outbox row for every active subscriber; returns its id."""
    texts = payload.get("text")
    if not isinstance(texts, dict) or not str(texts.get("mn", "")).strip():
        raise ValueError("a post needs its Mongolian text")
    async with b.db.tx() as conn:
        post_id = await q.insert_post(
            conn, content_id=content_id, payload=json.dumps(payload, ensure_ascii=False),
            created_by=staff_id, created_at=now.isoformat(),
        )
        return await q.insert_broadcast(conn, post_id, now.isoformat())


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
    *, on_progress: Callable[[Progress], Any] | None = None,
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
    payload = json.loads(post["payload"])
    backoff = 1.0
    while True:
        await _wait_out_quiet_hours(b, clock)
        async with b.db.tx() as conn:
            batch = await q.claim_batch(conn, broadcast_id, BATCH)
        if not batch:
            break
        outcomes = await asyncio.gather(*(_deliver(b, sender, r, payload) for r in batch))
        outage = all(o[0] == "pending" for o in outcomes)
        await _record(b, broadcast_id, batch, outcomes, clock(), count_attempts=not outage)
        if outage:
            # The whole batch failed for passing reasons (Telegram or the network is down):
            # wait longer each time, and spend nobody's attempts on it.
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)
        else:
            backoff = 1.0
            if any(o[0] == "pending" for o in outcomes):
                await asyncio.sleep(1.0)
        if on_progress is not None:
            on_progress(await progress(b, broadcast_id))
    async with b.db.tx() as conn:
        await q.set_broadcast_status(conn, broadcast_id, "done", clock().isoformat())
    final = await progress(b, broadcast_id)
    await record_event(b, "broadcast_done", clock(), broadcast=broadcast_id, sent=final.sent,
                       failed=final.failed, skipped=final.skipped)
    return final


Outcome = tuple[str, str, int | None, str | None]  # (row status, subscriber change, id, error)


async def _wait_out_quiet_hours(b: Backend, clock: Callable[[], dt.datetime]) -> None:
    """A broadcast running into 22:00 pauses until 08:00 (subscribers sleep)."""
    # Re-read the clock each minute rather than sleep once: the clock is injected, and a
    # long single sleep would outlive a changed clock in tests or a suspended machine.
    while (wait := (out_of_quiet(clock(), b.settings.tz) - clock()).total_seconds()) > 0:  # noqa: ASYNC110
        await asyncio.sleep(min(wait, 60.0))


async def _deliver(b: Backend, sender: Sender, row: Any, payload: dict[str, Any]) -> Outcome:
    try:
        chat_id = b.vault.open_text(bytes(row["chat"]), f"subscriber:{row['channel']}")
        message_id = await sender.send(chat_id, str(row["lang"]), payload)
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
