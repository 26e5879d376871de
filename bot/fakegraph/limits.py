"""The Messenger Platform's limits the fake enforces; each is sourced in docs/messenger.md."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

TEXT_MAX = 2000  # message.text, characters
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
PAYLOAD_MAX = 1000  # quick reply and postback payloads
BUTTON_TEMPLATE_TEXT_MAX = 640
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
GREETING_MAX = 160
MENU_ITEMS_MAX = 20
ICE_BREAKERS_MAX = 4

STANDARD_WINDOW = 24 * 3600  # seconds after the person's last message
HUMAN_AGENT_WINDOW = 7 * 24 * 3600

INSIGHTS_MIN_LIKES = 100


@dataclass(frozen=True, slots=True)
class SendLimits:
    """Send API calls a second per Page: text and templates, and audio or video."""

    per_second: float = 300.0
    media_per_second: float = 10.0


class Bucket:
    """A token bucket: `take` is False when the call would break the rate."""

    __slots__ = ("_capacity", "_clock", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._clock = clock
        self._stamp = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
