"""Logging that stays readable on a bad day: the same error once a minute, not a flood.

When Telegram answers 502 for a minute, PTB logs every failed request at ERROR with the
whole HTML page. `RepeatFilter` lets the first record of a kind through, holds back the
same kind for `window` seconds, then says how many were held back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RepeatFilter(logging.Filter):
    """Passes a (logger, level, message template) once per `window` seconds."""

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        super().__init__()
        self._window = window
        self._clock = clock
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a repeat inside the window; the next one through tells the count."""
        key = (record.name, record.levelno, str(record.msg)[:200])
        now = self._clock()
        since, held = self._seen.get(key, (float("-inf"), 0))
        if now - since < self._window:
            self._seen[key] = (since, held + 1)
            return False
        self._seen[key] = (now, 0)
        if len(self._seen) > 1000:  # bounded: old kinds are forgotten
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self._window}
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last minute)"
        return True


# Loggers that repeat themselves when Telegram or the network fails. A logger's filter sees
# only records logged to it by name (not its children's), so these are exact names.
NOISY = ("telegram.request.BaseRequest", "telegram.request.HTTPXRequest",
         "telegram.ext.Updater", "telegram.ext.Application", "bot.tg.app", "bot.tg.broadcast",
         "bot.core.outreach", "bot.tg.pacing", "bot.tg.common")


def install(names: tuple[str, ...] = NOISY) -> None:
    """Put a `RepeatFilter` on each of these loggers (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatFilter) for f in logger.filters):
            logger.addFilter(RepeatFilter())
