"""The end-to-end harness: the real bot, over real HTTP, against the fake Bot API server."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bot.config import Secret, Settings
from bot.fakegram import FakeChat, FakeTelegram, FakeUser
from bot.tg.app import build_app, running

ADMIN_ID, OFFICER_ID = 7001, 7002
JSON = dict[str, Any]
RECEIPT = re.compile(r"\b(\d{4} \d{4} \d{4} \d{4})\b")


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


def text_of(message: JSON) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def expect(chat: FakeUser | FakeChat, needle: str, timeout: float = 10.0) -> JSON:  # noqa: ASYNC109
    """The bot's next new message in `chat` containing `needle` (earlier ones are skipped).

    Only messages sent after the last one expected count, so a repeated prompt is never
    mistaken for an old one. For edits of a message already there, use `expect_edit`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await chat.next_message(timeout=max(0.01, deadline - loop.time()))
        if needle in text_of(message):
            return message


async def expect_edit(chat: FakeUser | FakeChat, needle: str, timeout: float = 10.0) -> JSON:  # noqa: ASYNC109
    """A message now showing `needle`, new or edited in place."""
    return await chat.wait_for(lambda m: needle in text_of(m), timeout=timeout)


async def press(user: FakeUser, button: str, timeout: float = 10.0, **kw: Any) -> str:  # noqa: ASYNC109
    """Press a button as soon as the bot has shown it (edits arrive asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await user.press(button, **kw)
        except LookupError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.02)


async def file_complaint(
    user: FakeUser,
    *,
    kind: str = "😠 Гомдол",
    group: str | None = "Сум",
    org: str | None = "Богд сум",
    texts: tuple[str, ...] = ("Сумын газрын даамал газар олгохдоо 500 000 ₮ авсан. Өнөөдөр.",),
    files: tuple[Callable[[FakeUser], Any], ...] = (),
    named: tuple[str, str] | None = None,
    notify: bool = False,
) -> str:
    """Drive the whole complaint conversation in Mongolian; returns the receipt digits."""
    await user.send("/complain")
    await expect(user, "Юу илгээх вэ")
    await press(user, kind)
    await expect(user, "Хэнд хамаарах вэ")
    if group is None:
        await press(user, "🤷 Мэдэхгүй байна")
    else:
        await press(user, group)
        assert org is not None
        await press(user, org)
    await expect(user, "Юу болсныг бичнэ үү")
    for text in texts:
        await user.send(text)
        await expect(user, "Хүлээн авлаа")
    for send_file in files:
        await send_file(user)
        await expect(user, "Хүлээн авлаа")
    await press(user, "✅ Дууслаа")
    await expect(user, "Нэрээ нууцлах уу")
    if named is None:
        await press(user, "🕶 Нэрээ нууцлах (зөвлөмж)")
    else:
        await press(user, "🪪 Нэр, утсаа өгөх")
        await expect(user, "Овог, нэрээ")
        await user.send(named[0])
        await expect(user, "утасны дугаараа")
        await user.send_contact(named[1], first_name=user.first_name)
    await expect(user, "Илгээхээс өмнө шалгана уу")
    await press(user, "✅ Илгээх")
    receipt_message = await expect(user, "Баримтын дугаар")
    match = RECEIPT.search(text_of(receipt_message))
    assert match, text_of(receipt_message)
    await press(user, "🔔 Хариу ирэхэд надад мэдэгдэх" if notify else "Үгүй, баярлалаа")
    await expect(user, "мэдэгдье" if notify else "холбоосыг хадгалахгүй")
    return match.group(1)


def case_number(message: JSON) -> int:
    found = re.search(r"№(\d+)", text_of(message))
    assert found, text_of(message)
    return int(found.group(1))


