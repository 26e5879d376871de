"""The end-to-end harness: the real bot, over real HTTP, against the fake Bot API server."""

from __future__ import annotations

import datetime as dt
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bot.config import Secret, Settings
from bot.fakegram import FakeTelegram
from bot.sandbox.script import (  # re-exported for the tests
    begin_draft,
    case_number,
    expect,
    expect_edit,
    file_complaint,
    press,
    text_of,
)
from bot.tg.app import build_app, running

ADMIN_ID, OFFICER_ID = 7001, 7002


class Clock:
    """The bot's clock: starts at a fixed UTC time and moves only when a test says so."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Harness:
    """The fake server, the users, and the bot, which can be stopped and started again."""

    def __init__(self, fake: FakeTelegram, data_dir: Path) -> None:
        self.fake = fake
        self.clock = Clock(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))  # 10:00 in UB
        self.admin = fake.user(first_name="Админ", username="office_admin", user_id=ADMIN_ID)
        self.officer = fake.user(first_name="Хянагч", username="office_officer",
                                 user_id=OFFICER_ID)
        self.staff_group = fake.group(title="110 staff", members=[self.admin, self.officer])
        self.settings = Settings(
            token=Secret(fake.token), api_url=fake.url, data_dir=data_dir,
            admins=frozenset({ADMIN_ID}), staff_chat=self.staff_group.id,
            receipt_scrypt_n=2**8,
        )
        self._stack: AsyncExitStack | None = None
        self.app: Any = None

    async def start(self, **overrides: Any) -> None:
        if overrides:
            self.settings = Settings(**{**self.settings.__dict__, **overrides})
        self._stack = AsyncExitStack()
        self.app = build_app(self.settings, clock=self.clock)
        await self._stack.enter_async_context(running(self.app, poll_timeout=1))

    async def stop(self) -> None:
        assert self._stack is not None
        await self._stack.aclose()
        self._stack = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    async def add_officer(self) -> None:
        await self.admin.send(f"/staff add {OFFICER_ID} officer")
        await expect(self.admin, str(OFFICER_ID))

    async def run_job(self, name: str) -> None:
        job = next(j for j in self.app.job_queue.jobs() if j.name == name)
        await job.run(self.app)

    async def settle(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Wait for the broadcasts running in the background, then for the fake to be idle."""
        import asyncio

        tasks = list(self.app.bot_data.get("broadcast_tasks", {}).values())
        if tasks:
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)
        await self.fake.wait_idle()



__all__ = ["Clock", "Harness", "begin_draft", "case_number", "expect", "expect_edit",
           "file_complaint", "press", "text_of"]
