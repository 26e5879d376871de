"""A per-user flood guard in front of every handler.

A person (or a script) sending dozens of updates a second must not slow the bot for
everyone else. Counters live only in memory, for a few seconds: nothing is written down.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.i18n import t
from bot.tg.common import App, Ctx, lang_of, reply

# A citizen typing and pressing buttons stays far below this; an album of 10 fits in a burst.
BURST = 20
PER_SECOND = 2.0


class FloodGuard:
    """A token bucket per user: BURST updates at once, then PER_SECOND."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[int, tuple[float, float, bool]] = {}

    def allow(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, first refusal) for one more update from this user."""
        now = self._clock()
        tokens, last, warned = self._buckets.get(user_id, (float(BURST), now, False))
        tokens = min(float(BURST), tokens + (now - last) * PER_SECOND)
        if tokens >= 1:
            self._buckets[user_id] = (tokens - 1, now, False)
            self._forget_idle(now)
            return True, False
        self._buckets[user_id] = (tokens, now, True)
        return False, not warned

    def _forget_idle(self, now: float) -> None:
        if len(self._buckets) > 10_000:
            idle = now - BURST / PER_SECOND
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] >= idle}


def register(app: App) -> None:
    """Group -1 runs before every other handler and can stop an update there."""
    guard = FloodGuard()

    async def check(update: Update, ctx: Ctx) -> None:
        user = update.effective_user
        if user is None:
            return
        allowed, first_refusal = guard.allow(user.id)
        if allowed:
            return
        if first_refusal and update.effective_chat is not None:
            await reply(update, t(await lang_of(update, ctx), "error.flood"))
        raise ApplicationHandlerStop

    app.add_handler(TypeHandler(Update, check), group=-1)
