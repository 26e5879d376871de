"""Telegram's sending limits as token buckets, shared by replies and (later) broadcasts.

Telegram allows a bot about 30 messages a second overall and 20 a minute into one group or
channel, and answers 429 with `retry_after` beyond that. Edits, callback answers and chat
actions are limited separately and far more loosely, so they are not counted here (PTB's
AIORateLimiter counts every request with a chat id, which halves what a bot can answer).

Replies to people come first: a lower-priority send (a broadcast) waits while any reply is
waiting, and leaves the overall budget's reserve to replies (`reply_reserve`), so a burst
of replies during a big broadcast goes out at once instead of queueing at 30 a second.
"""

from __future__ import annotations

import asyncio
import math
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
    # Sends a broadcast leaves in the bucket for replies. None: all but a tenth of a
    # second's worth (at least 2), so a broadcast takes what the budget gains while replies
    # need none, and a broadcast waking a little late loses none of it. Measured
    # (docs/benchmarks.md): with no reserve, 60 citizens' answers had a p95 of 785 ms
    # during a broadcast; with all but one, 149 ms, but the paid broadcast fell to 69 %.
    reply_reserve: int | None = None
    # Sends with `allow_paid_broadcast`: a budget of their own (Telegram charges them beyond
    # 30 a second); None when paid broadcasts are off. Replies stay within `per_second`.
    paid_per_second: float | None = None


class _Bucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate, self.capacity = rate, float(capacity)
        self.tokens, self.stamp = float(capacity), now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, need: float = 1.0) -> float:
        """Seconds until `need` tokens are there (0 if they are).

        The tolerance keeps float rounding (0.9999999…) from asking for a wait so short
        that the clock cannot move by it.
        """
        return 0.0 if self.tokens >= need - 1e-9 else (need - self.tokens) / self.rate


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
        paid = self.rules.paid_per_second
        self._paid = None if paid is None else _Bucket(paid, max(int(paid), 1), clock())
        self._groups: dict[int | str, _Bucket] = {}
        self._blocked: dict[int | str, float] = {}
        self._ready_replies = 0  # replies waiting only for the shared budget
        reserve = self.rules.reply_reserve
        if reserve is None:
            reserve = self.rules.burst - max(2, math.ceil(self.rules.per_second / 10))
        # A broadcast needs its own token above the reserve; it must fit in the bucket.
        self._reserve = min(max(reserve, 0), max(self.rules.burst - 1, 0))

    async def acquire(self, chat_id: int | str, priority: Priority = Priority.REPLY, *,
                      paid: bool = False) -> None:
        """Wait until a send to `chat_id` is within every limit, then count it.

        A reply held back by its own chat (a 429, a group's minute budget) does not hold up
        broadcasts: only replies waiting for the shared budget go before them. A paid send
        (with paid broadcasts on) counts against the paid budget only, which replies never
        wait for.
        """
        while True:
            now = self._clock()
            own = self._own_delay(chat_id, now)
            if own > 0:
                await self._sleep(own)
                continue
            if paid and self._paid is not None:
                self._paid.refill(now)
                if (wait := self._paid.wait()) > 0:
                    await self._sleep(wait)
                    continue
                self._take(chat_id, self._paid)
                return
            self._global.refill(now)
            if priority is Priority.REPLY:
                shared = self._global.wait()
                if shared == 0:
                    self._take(chat_id, self._global)
                    return
                self._ready_replies += 1
                try:
                    await self._sleep(shared)
                finally:
                    self._ready_replies -= 1
            else:
                shared = self._global.wait(1 + self._reserve)
                if shared == 0 and not self._ready_replies:
                    self._take(chat_id, self._global)
                    return
                await self._sleep(shared or 1 / self.rules.per_second)

    def block(self, chat_id: int | str, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing goes there for `seconds`."""
        now = self._clock()
        if len(self._blocked) > 1000:  # forget holds that are over
            self._blocked = {k: v for k, v in self._blocked.items() if v > now}
        self._blocked[chat_id] = max(now + seconds, self._blocked.get(chat_id, 0.0))

    def _own_delay(self, chat_id: int | str, now: float) -> float:
        """What this chat alone still has to wait: its 429 hold, its group's budget."""
        delays = [0.0]
        if (group := self._group(chat_id, now)) is not None:
            group.refill(now)
            delays.append(group.wait())
        if (until := self._blocked.get(chat_id)) is not None:
            if until > now:
                delays.append(until - now)
            else:
                del self._blocked[chat_id]
        return max(delays)

    def _group(self, chat_id: int | str, now: float) -> _Bucket | None:
        # Negative ids and @usernames are groups and channels; positive ids are people.
        if isinstance(chat_id, int) and chat_id > 0:
            return None
        bucket = self._groups.get(chat_id)
        if bucket is None:
            bucket = _Bucket(self.rules.group_per_minute / 60, self.rules.group_burst, now)
            self._groups[chat_id] = bucket
        return bucket

    def _take(self, chat_id: int | str, overall: _Bucket) -> None:
        overall.tokens -= 1
        if (group := self._groups.get(chat_id)) is not None:
            group.tokens -= 1
