r"""Webhook delivery as Meta does it: signed, batched, retried until the bot answers 200.

Every POST carries ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body, keyed by the
app secret>`` (and the legacy SHA-1 ``X-Hub-Signature``). The body is JSON with non-ASCII
characters and slashes escaped (``\u04e9``, ``https:\/\/``), as Meta's are: a bot that
re-serialises the JSON before checking the signature fails here as it would in production.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# The webhook fields (subscriptions) an app can pick that the fake produces.
FIELDS = frozenset({"messages", "messaging_postbacks", "messaging_referrals",
                    "message_deliveries", "message_reads"})
DEFAULT_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4)
DEFAULT_TIMEOUT = 20.0  # Meta gives up on an answer after 20 seconds


class VerificationFailed(AssertionError):
    """The bot did not echo ``hub.challenge`` when the webhook was subscribed."""


@dataclass(frozen=True, slots=True)
class WebhookPost:
    """One attempt to deliver one body: what was sent and what the bot answered."""

    body: bytes
    attempt: int
    status: int | None  # None: no answer (connection refused, timeout, or "lost")
    lost: bool = False  # the bot answered, but the fake acted as if the answer never came

    @property
    def payload(self) -> dict[str, Any]:
        """The body as JSON."""
        data: dict[str, Any] = json.loads(self.body)
        return data

    @property
    def ok(self) -> bool:
        """Delivered: the bot answered 200 and the answer counted."""
        return self.status == 200 and not self.lost


def sign(body: bytes, app_secret: str) -> dict[str, str]:
    """The signature headers Meta puts on a webhook POST."""
    sha256 = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    sha1 = hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={sha256}", "X-Hub-Signature": f"sha1={sha1}"}


def encode(payload: dict[str, Any]) -> bytes:
    """JSON as Meta writes it: ASCII only, slashes escaped."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


@dataclass
class Webhook:
    """The app's webhook subscription and the delivery log."""

    app_secret: str
    url: str | None = None
    fields: frozenset[str] = FIELDS
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    timeout: float = DEFAULT_TIMEOUT
    posts: list[WebhookPost] = field(default_factory=list)
    _lose: int = 0
    _batch: list[dict[str, Any]] | None = None
    _session: aiohttp.ClientSession | None = None

    async def subscribe(self, url: str, verify_token: str, fields: Iterable[str] = FIELDS
                        ) -> None:
        """Set the callback URL as the App Dashboard does: Meta checks it with a GET first."""
        chosen = frozenset(fields)
        if unknown := chosen - FIELDS:
            raise ValueError(f"unknown webhook fields: {sorted(unknown)}")
        challenge = str(int(time.time() * 1000) % 10**9)
        params = {"hub.mode": "subscribe", "hub.verify_token": verify_token,
                  "hub.challenge": challenge}
        async with self._client().get(url, params=params) as response:
            text = await response.text()
            if response.status != 200 or text != challenge:
                raise VerificationFailed(
                    f"the callback URL answered {response.status} {text[:80]!r}, "
                    f"not the challenge {challenge!r}")
        self.url = url
        self.fields = chosen

    def unsubscribe(self) -> None:
        """No more deliveries (what Meta does after a webhook failed for too long)."""
        self.url = None

    def lose_answers(self, count: int = 1) -> None:
        """Treat the bot's next ``count`` answers as lost: the same body is sent again."""
        self._lose += count

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Collect the events made inside into one POST with several entries."""
        if self._batch is not None:
            raise RuntimeError("batches do not nest")
        self._batch = []
        try:
            yield
        finally:
            entries, self._batch = self._batch, None
        if entries:
            await self.post({"object": "page", "entry": entries})

    async def deliver(self, field_name: str, entry: dict[str, Any]) -> WebhookPost | None:
        """Send one entry (or add it to the open batch); None if nobody is subscribed to it."""
        if self.url is None or field_name not in self.fields:
            return None
        if self._batch is not None:
            self._batch.append(entry)
            return None
        return await self.post({"object": "page", "entry": [entry]})

    async def post(self, payload: dict[str, Any]) -> WebhookPost:
        """POST until the bot answers 200 or the retries are spent; returns the last attempt."""
        body = encode(payload)
        headers = {"Content-Type": "application/json", **sign(body, self.app_secret)}
        attempt = 0
        while True:
            attempt += 1
            status: int | None = None
            if self.url is not None:
                try:
                    async with self._client().post(
                        self.url, data=body, headers=headers,
                        timeout=aiohttp.ClientTimeout(total=self.timeout),
                    ) as response:
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = None
            lost = status == 200 and self._lose > 0
            if lost:
                self._lose -= 1
            result = WebhookPost(body, attempt, status, lost)
            self.posts.append(result)
            if result.ok or attempt > len(self.retry_delays):
                return result
            await asyncio.sleep(self.retry_delays[attempt - 1])

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._session is not None:
            await self._session.close()
            self._session = None
