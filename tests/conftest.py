"""Fixtures: a fake Bot API server per test, and the bot running against it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.fakegram import FakeTelegram, Limits
from bot.tg.app import quiet_libraries
from tests.harness import Harness


@pytest.fixture(autouse=True)
def _quiet_libraries() -> None:
    quiet_libraries()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    # Test users act within milliseconds, people within seconds: keep Telegram's rates
    # (1/s per private chat, 30/s overall, 20/min per group) but let a burst of 30 into a
    # private chat, so functional tests do not sit out 429s. test_rate_limits.py runs the
    # bot against Telegram's default burst.
    server = FakeTelegram(token="123456:TEST-TOKEN", bot_username="ac110_bot",
                          limits=Limits(private_burst=30))
    await server.start()
    yield server
    await server.stop()
    assert server.unknown_methods == [], f"unimplemented methods called: {server.unknown_methods}"


@pytest.fixture
async def h(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[Harness]:
    harness = Harness(fake, tmp_path / "data")
    await harness.start()
    yield harness
    if harness._stack is not None:
        await harness.stop()


@pytest.fixture
def log_text(caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    caplog.set_level(logging.DEBUG)
    return lambda: "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    )
