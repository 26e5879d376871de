"""Chaos mode: a flaky Telegram, deterministic under a seed.

Three faults are rolled for each eligible request, at most one per request:

* **bad gateway**: HTTP 502 with nginx's HTML page, not JSON, as Telegram's front end answers
  while the Bot API server behind it is down. Nothing is performed. PTB 22 raises
  ``telegram.error.NetworkError("Bad Gateway (502). Parsing the server response ... failed")``.
* **drop**: the connection closes without an answer (PTB: ``NetworkError`` from httpx's
  ``RemoteProtocolError``). With ``drop_after_action`` the action *is* performed first: the
  message is delivered but the bot never learns it, which is how a retrying bot double-sends.
* **delay**: the action is performed at once and the answer sent ``delay`` seconds later; a bot
  whose read timeout is shorter gets ``TimedOut`` for a message that was delivered.

Every request chaos touched is recorded in ``FakeTelegram.calls`` like any other, with
``Call.fault`` naming what was done and ``Call.answered`` telling whether the bot received the
answer; ``Call.ok`` still tells whether the action took effect.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Fault = Literal["bad_gateway", "dropped_before_action", "dropped_after_action", "delayed"]
FAULTS: tuple[Fault, ...] = (
    "bad_gateway",
    "dropped_before_action",
    "dropped_after_action",
    "delayed",
)
# chaos_stats keys besides the faults: eligible requests, and delayed answers the bot gave up on
STAT_KEYS = ("calls", *FAULTS, "delayed_abandoned")
DEFAULT_EXCLUDED = frozenset({"getupdates"})
DEFAULT_DELAY = 6.0  # past PTB's default 5 s read timeout

# What Telegram's nginx answers when the Bot API server behind it does not.
BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(eq=False)
class Chaos:
    """The configuration and random stream of one ``FakeTelegram.chaos`` call."""

    error_rate: float = 0.0
    drop_rate: float = 0.0
    delay_rate: float = 0.0
    delay: float = DEFAULT_DELAY
    methods: frozenset[str] | None = None  # lower-case; None: every method not excluded
    exclude: frozenset[str] = DEFAULT_EXCLUDED
    drop_after_action: float = 1.0  # share of drops that happen after the action
    seed: int = 0
    stats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAT_KEYS, 0))
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate", "delay_rate", "drop_after_action"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.error_rate + self.drop_rate + self.delay_rate > 1.0:
            raise ValueError("error_rate + drop_rate + delay_rate must not exceed 1")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        self._random = random.Random(self.seed)  # noqa: S311 - test chaos, not cryptography

    @classmethod
    def build(
        cls,
        error_rate: float,
        *,
        drop_rate: float,
        delay_rate: float,
        delay: float,
        methods: Iterable[str] | None,
        exclude: Iterable[str],
        drop_after_action: bool | float,
        seed: int,
    ) -> Chaos:
        """Normalise method names (Telegram's are case-insensitive) and the drop share."""
        return cls(
            error_rate=error_rate,
            drop_rate=drop_rate,
            delay_rate=delay_rate,
            delay=delay,
            methods=None if methods is None else frozenset(m.lower() for m in methods),
            exclude=frozenset(m.lower() for m in exclude),
            drop_after_action=float(drop_after_action),
            seed=seed,
        )

    def roll(self, method: str) -> Fault | None:
        """The fault for one request of ``method`` (lower-case), counted in ``stats``."""
        if method in self.exclude or (self.methods is not None and method not in self.methods):
            return None
        self.stats["calls"] += 1
        draw = self._random.random()
        fault: Fault | None = None
        if draw < self.error_rate:
            fault = "bad_gateway"
        elif draw < self.error_rate + self.drop_rate:
            after = self._random.random() < self.drop_after_action
            fault = "dropped_after_action" if after else "dropped_before_action"
        elif draw < self.error_rate + self.drop_rate + self.delay_rate:
            fault = "delayed"
        if fault is not None:
            self.stats[fault] += 1
        return fault
