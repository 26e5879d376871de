"""Driving the bot as a person would, through the fake Bot API: used by tests and the demo.

Every step waits for the bot's answer before the next, as a person reading the screen would.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.fakegram import FakeChat, FakeUser

JSON = dict[str, Any]
RECEIPT = re.compile(r"\b(\d{4} \d{4} \d{4} \d{4})\b")
CASE_NUMBER = re.compile(r"№(\d+)")


class ScriptError(AssertionError):
    """The bot did not answer as the script expected."""


def text_of(message: JSON) -> str:
    """A message's text or caption."""
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
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await user.press(button, **kw)
        except LookupError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.02)


def case_number(message: JSON) -> int:
    """The case number (№17) a message mentions."""
    found = CASE_NUMBER.search(text_of(message))
    if found is None:
        raise ScriptError(f"no case number in {text_of(message)!r}")
    return int(found.group(1))


async def begin_draft(user: FakeUser, kind: str = "😠 Гомдол") -> None:
    """Start a submission of `kind`, "not sure" whom, up to the description prompt."""
    await user.send("/complain")
    await press(user, kind)
    await press(user, "🤷 Мэдэхгүй байна")
    await expect(user, "Юу болсныг бичнэ үү")


async def file_complaint(
    user: FakeUser,
    *,
    kind: str = "😠 Гомдол",
    group: str | None = "Сум",
    org: str | None = "Богд сум",
    texts: Sequence[str] = ("Сумын газрын даамал газар олгохдоо 500 000 ₮ авсан. Өнөөдөр.",),
    files: Sequence[Callable[[FakeUser], Awaitable[Any]]] = (),
    named: tuple[str, str] | None = None,
    notify: bool = False,
) -> str:
    """The whole complaint conversation in Mongolian; returns the receipt as shown."""
    await user.send("/complain")
    await expect(user, "Юу илгээх вэ")
    await press(user, kind)
    await expect(user, "Хэнд хамаарах вэ")
    if group is None or org is None:
        await press(user, "🤷 Мэдэхгүй байна")
    else:
        await press(user, group)
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
    if match is None:
        raise ScriptError(f"no receipt in {text_of(receipt_message)!r}")
    await press(user, "🔔 Хариу ирэхэд надад мэдэгдэх" if notify else "Үгүй, баярлалаа")
    await expect(user, "мэдэгдье" if notify else "холбоосыг хадгалахгүй")
    return match.group(1)


async def reply_to_case(
    officer: FakeUser, number: int, text: str, *, as_answer: bool = True
) -> None:
    """An officer opens case `number` and replies to the citizen."""
    await officer.send(f"/case {number}")
    await expect(officer, f"№{number} хэргийн үйлдлүүд")
    await press(officer, "✉️ Иргэнд хариу бичих")
    await expect(officer, "хариугаа бичнэ үү")
    await officer.send(text)
    await expect(officer, "Байгууллагын хариу болгож")
    await press(officer, "✅ Хариу болгож илгээх" if as_answer else "💬 Мессежээр илгээх")
    await expect(officer, "хариу хадгалагдлаа")
