"""Telegram's flood limits as token buckets, answered with 429 and ``retry_after`` on breach."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import too_many_requests


@dataclass(frozen=True, slots=True)
class Limits:
    """Message-sending limits; edits, answers and chat actions are not counted."""

    private_per_second: float = 1.0
    private_burst: int = 5
    global_per_second: float = 30.0
    global_burst: int = 30
    group_per_minute: float = 20.0
    group_burst: int = 20
    # allow_paid_broadcast lifts the overall limit, not the per-chat ones
    paid_per_second: float = 1000.0


DEFAULT_LIMITS = Limits()


class _Bucket:
    __slots__ = ("_capacity", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self._rate = rate
        self._capacity = float(capacity)
        self._tokens = float(capacity)
        self._stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is), refilling first."""
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self._rate

    def take(self) -> None:
        self._tokens -= 1.0


class RateLimiter:
    """Admits a message only if every bucket it counts against has a token."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._global = _Bucket(limits.global_per_second, limits.global_burst, clock())
        self._paid = _Bucket(limits.paid_per_second, int(limits.paid_per_second), clock())
        self._chats: dict[int, _Bucket] = {}

    def admit(self, chat_id: int, *, private: bool, paid: bool = False) -> None:
        """Count one message to ``chat_id`` or raise 429 with the wait Telegram would give."""
        now = self._clock()
        chat = self._chats.get(chat_id)
        if chat is None:
            limits = self._limits
            chat = (
                _Bucket(limits.private_per_second, limits.private_burst, now)
                if private
                else _Bucket(limits.group_per_minute / 60.0, limits.group_burst, now)
            )
            self._chats[chat_id] = chat
        overall = self._paid if paid else self._global
        wait = max(chat.wait(now), overall.wait(now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        chat.take()
        overall.take()
