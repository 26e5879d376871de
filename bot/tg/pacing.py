"""PTB's rate-limiter hook, backed by the project's `Pacer`.

Only message sends are paced (see `bot.core.pacing`); every request is retried on 429
after Telegram's `retry_after`, with only the chat concerned held back meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.core.pacing import Pacer, Priority

log = logging.getLogger(__name__)

_SENDS = frozenset({"sendmessage", "sendphoto", "senddocument", "sendvideo", "sendvoice",
                    "sendaudio", "sendanimation", "sendmediagroup", "sendsticker",
                    "sendlocation", "sendcontact", "sendpoll", "copymessage",
                    "forwardmessage", "copymessages", "forwardmessages", "sendvideonote"})


@dataclass(frozen=True)
class Pace:
    """Per-call `rate_limit_args`: urgency, and retries of 429s and of network failures.

    A network failure is a 502, a dropped connection, or no answer in time. A retried send
    may arrive twice if the first one landed and only its answer was lost; for a reply to a
    citizen that beats an error. Broadcasts retry through their outbox instead, which
    counts the attempts.
    """

    priority: Priority = Priority.REPLY
    retries: int = 3
    network_retries: int = 2


BROADCAST = Pace(Priority.BROADCAST, retries=5, network_retries=0)
NETWORK_BACKOFF = 0.5  # seconds before the first network retry; doubled each time


class PacedRateLimiter(BaseRateLimiter[Pace]):
    """Sends at Telegram's pace, replies first; 429s waited out and retried."""

    def __init__(self, pacer: Pacer | None = None, max_retries: int = 3) -> None:
        self.pacer = pacer or Pacer()
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Pace | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Pace a send, run the request, and retry it after a 429."""
        chat_id = _chat(data.get("chat_id"))
        paced = chat_id is not None and endpoint.lower() in _SENDS
        pace = rate_limit_args or Pace(retries=self._max_retries)
        network_left = pace.network_retries
        attempt = 0
        while True:
            if paced and chat_id is not None:
                await self.pacer.acquire(chat_id, pace.priority,
                                         paid=_flag(data.get("allow_paid_broadcast")))
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == pace.retries:
                    raise
                attempt += 1
                wait = _seconds(exc.retry_after) + 0.1
                log.info("429 from Telegram on %s: waiting %.1f s", endpoint, wait)
                if chat_id is not None:
                    self.pacer.block(chat_id, wait)
                if not paced:
                    await asyncio.sleep(wait)
            except NetworkError as exc:  # TimedOut too; a 502 page arrives as a NetworkError
                # BadRequest is a NetworkError in PTB, but Telegram said no: never retried.
                if isinstance(exc, BadRequest) or network_left == 0 \
                        or endpoint.lower() == "getupdates":
                    raise
                await asyncio.sleep(NETWORK_BACKOFF * 2 ** (pace.network_retries - network_left))
                network_left -= 1


def _chat(value: object) -> int | str | None:
    # PTB passes ids as given: ints, or strings ("-100…" or "@channel").
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value) if value.lstrip("-").isdigit() else value
    return None


def _flag(value: object) -> bool:
    return value is True or value == "true"


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
