"""Telegram's sending limits as token buckets, shared by replies and (later) broadcasts.

Telegram allows a bot about 30 messages a second overall and 20 a minute into one group or
channel, and answers 429 with `retry_after` beyond that. Edits, callback answers and chat
actions are limited separately and far more loosely, so they are not counted here (PTB's
AIORateLimiter counts every request with a chat id, which halves what a bot can answer).

Replies to people come first: a lower-priority send (a broadcast) waits while any reply is
waiting, so citizens stay answered during a big broadcast.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum


class Priority(IntEnum):
    """Who goes first when the budget is short."""

    REPLY = 0
    BROADCAST = 1


@dataclass(frozen=True)
class PaceRules:
    """The limits to keep; Telegram's published defaults."""

    per_second: float = 30.0
    burst: int = 30
    group_per_minute: float = 20.0
    group_burst: int = 20


class _Bucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate, self.capacity = rate, float(capacity)
        self.tokens, self.stamp = float(capacity), now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self) -> float:
        """Seconds until one token is there (0 if it is).

        The tolerance keeps float rounding (0.9999999…) from asking for a wait so short
        that the clock cannot move by it.
        """
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate


class Pacer:
    """Admits sends at Telegram's pace; `blocked_until` honours a 429 per chat."""

    def __init__(
        self,
        rules: PaceRules | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rules = rules or PaceRules()
        self._clock, self._sleep = clock, sleep
        self._global = _Bucket(self.rules.per_second, self.rules.burst, clock())
        self._groups: dict[int | str, _Bucket] = {}
        self._blocked: dict[int | str, float] = {}
        self._waiting = [0, 0]  # waiting sends per priority

    async def acquire(self, chat_id: int | str, priority: Priority = Priority.REPLY) -> None:
        """Wait until a send to `chat_id` is within every limit, then count it."""
        self._waiting[priority] += 1
        try:
            while True:
                delay = self._delay(chat_id, priority)
                if delay == 0:
                    self._take(chat_id)
                    return
                await self._sleep(delay)
        finally:
            self._waiting[priority] -= 1

    def block(self, chat_id: int | str, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing goes there for `seconds`."""
        until = self._clock() + seconds
        self._blocked[chat_id] = max(until, self._blocked.get(chat_id, 0.0))

    def _delay(self, chat_id: int | str, priority: Priority) -> float:
        now = self._clock()
        self._global.refill(now)
        delays = [self._global.wait()]
        if (group := self._group(chat_id, now)) is not None:
            group.refill(now)
            delays.append(group.wait())
        if (until := self._blocked.get(chat_id)) is not None:
            if until > now:
                delays.append(until - now)
            else:
                del self._blocked[chat_id]
        delay = max(delays)
        if delay == 0 and priority is Priority.BROADCAST and self._waiting[Priority.REPLY]:
            # Let waiting replies take this token; look again a moment later.
            return 1 / self.rules.per_second
        return delay

    def _group(self, chat_id: int | str, now: float) -> _Bucket | None:
        # Negative ids and @usernames are groups and channels; positive ids are people.
        if isinstance(chat_id, int) and chat_id > 0:
            return None
        bucket = self._groups.get(chat_id)
        if bucket is None:
            bucket = _Bucket(self.rules.group_per_minute / 60, self.rules.group_burst, now)
            self._groups[chat_id] = bucket
        return bucket

    def _take(self, chat_id: int | str) -> None:
        self._global.tokens -= 1
        if (group := self._groups.get(chat_id)) is not None:
            group.tokens -= 1
