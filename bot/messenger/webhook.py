"""The Messenger webhook: Meta's subscription check, signed event POSTs, and processing.

``GET /messenger/webhook`` answers ``hub.challenge`` only to ``hub.mode=subscribe`` with the
right ``hub.verify_token``. Every ``POST`` must carry ``X-Hub-Signature-256``, the
HMAC-SHA256 of the raw body keyed by the app secret, compared in constant time; anything
else gets 403 and one log line (repeats within a minute are counted, not logged), never
the body. A signed POST is answered 200 at once and its events are processed in the
background: Meta resends what is not answered in time, and a slow handler must not make
it do so.

Meta delivers at least once, so events are deduplicated (``events.dedup_key``) before they
are scheduled. The store is in memory, bounded (50,000 keys, 48 hours), and holds keyed
hashes only. It is not persisted, on purpose: the 200 goes out before processing, so Meta
resends an event only when that answer was lost; for a resend to cross a restart the
answer must be lost *and* the bot restarted within Meta's retry window. What such a rare
double would do is what a person's own double tap does (two "send" postbacks with two
mids), which the conversation must take calmly anyway (a draft already sent shows its
receipt again). A persisted store would be a table in the main database (a migration),
keyed by these same hashes, if the conversation ever needs it.

Each person's events are handled in the order they arrived, different people at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from bot.config import Secret
from bot.messenger.events import Event, dedup_key, parse

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/messenger/webhook"
SEEN_CAPACITY = 50_000
SEEN_TTL = 48 * 3600.0  # seconds; Meta's retries of one event end well within this
REFUSAL_LOG_EVERY = 60.0


class Dispatcher(Protocol):
    """What the webhook hands each new event to (see ``bot.messenger.dispatch``)."""

    async def dispatch(self, event: Event) -> None:
        """Handle one event; exceptions are logged by the webhook, never re-raised."""


class Seen:
    """A bounded, expiring set of event keys, kept as keyed hashes (no PSID or mid)."""

    def __init__(self, capacity: int = SEEN_CAPACITY, ttl: float = SEEN_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock
        self._salt = secrets.token_bytes(16)
        self._keys: OrderedDict[bytes, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def first(self, key: str) -> bool:
        """True the first time ``key`` is seen (and remembers it), False for a repeat."""
        now = self._clock()
        while self._keys:  # oldest first: drop the expired, then the overflow
            oldest, at = next(iter(self._keys.items()))
            if now - at < self._ttl and len(self._keys) < self._capacity:
                break
            del self._keys[oldest]
        digest = hashlib.blake2b(key.encode(), key=self._salt, digest_size=16).digest()
        if digest in self._keys:
            return False
        self._keys[digest] = now
        return True


def signature_ok(app_secret: bytes, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256`` is ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(app_secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())


class MessengerWebhook:
    """The webhook's routes and the background work they start."""

    def __init__(self, *, page_id: str, app_secret: Secret, verify_token: Secret,
                 dispatcher: Dispatcher, seen: Seen | None = None) -> None:
        self._page_id = page_id
        self._secret = app_secret.get().encode()
        self._verify = verify_token.get().encode()
        self._dispatcher = dispatcher
        self.seen = seen or Seen()
        self._tasks: set[asyncio.Task[None]] = set()
        self._tails: dict[bytes, asyncio.Task[None]] = {}
        self._order_salt = secrets.token_bytes(16)
        self._refused_at = float("-inf")
        self._refused_held = 0

    def add_routes(self, app: web.Application) -> None:
        """``GET`` and ``POST`` on ``/messenger/webhook``."""
        app.router.add_get(WEBHOOK_PATH, self._on_verify, allow_head=False)
        app.router.add_post(WEBHOOK_PATH, self._on_events)

    @property
    def pending(self) -> int:
        """Events scheduled and not finished."""
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Let the scheduled events finish (at shutdown); cancel what is left after ``timeout``."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            log.warning("shutdown cut %d Messenger event(s) short", len(late))
            await asyncio.wait(late)

    # --- HTTP ------------------------------------------------------------------------

    async def _on_verify(self, request: web.Request) -> web.Response:
        """Meta's check when the callback URL is set: echo the challenge, or refuse."""
        query = request.query
        token = query.get("hub.verify_token", "").encode()
        challenge = query.get("hub.challenge", "")
        if query.get("hub.mode") == "subscribe" and challenge and \
                hmac.compare_digest(token, self._verify):
            return web.Response(text=challenge)
        self._refuse("a verification request with a wrong or missing verify token")
        return web.Response(status=403)

    async def _on_events(self, request: web.Request) -> web.Response:
        """Check the signature over the raw body, answer at once, process in the background."""
        body = await request.read()
        if not signature_ok(self._secret, body, request.headers.get("X-Hub-Signature-256")):
            missing = "X-Hub-Signature-256" not in request.headers
            self._refuse(f"a POST with a {'missing' if missing else 'bad'} signature")
            return web.Response(status=403)
        try:
            payload = json.loads(body)
        except ValueError:
            log.warning("a signed webhook POST is not JSON (%d bytes)", len(body))
            return web.Response(status=400)
        if not isinstance(payload, dict) or payload.get("object") != "page":
            return web.Response(text="ignored")  # another product's webhook (Instagram …)
        for event in parse(payload, self._page_id):
            if self.seen.first(dedup_key(event)):
                self._schedule(event)
        return web.Response(text="EVENT_RECEIVED")

    def _refuse(self, what: str) -> None:
        """One log line for the first refusal a minute; the count of the others with the next."""
        now = time.monotonic()
        if now - self._refused_at < REFUSAL_LOG_EVERY:
            self._refused_held += 1
            return
        held, self._refused_held, self._refused_at = self._refused_held, 0, now
        more = f" (and {held} more refusals in the last minute)" if held else ""
        log.warning("Messenger webhook refused %s%s", what, more)

    # --- background ------------------------------------------------------------------

    def _schedule(self, event: Event) -> None:
        person = hashlib.blake2b(event.psid.encode(), key=self._order_salt,
                                 digest_size=16).digest()
        before = self._tails.get(person)
        task = asyncio.create_task(self._run(before, event))
        self._tails[person] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finished(person, done))

    def _finished(self, person: bytes, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._tails.get(person) is task:
            del self._tails[person]

    async def _run(self, before: asyncio.Task[None] | None, event: Event) -> None:
        if before is not None:  # the same person's earlier event goes first
            await asyncio.wait({before})
        try:
            await self._dispatcher.dispatch(event)
        except Exception as error:  # logged without the event: it holds a person's words
            log.error("Messenger %s failed: %s", type(event).__name__,
                      error.__class__.__name__, exc_info=error)
