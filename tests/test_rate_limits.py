"""The bot against Telegram's own pace: default limits, 429 with retry_after, 403 blocked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fakegram import FakeTelegram
from tests.harness import Harness, case_number, expect, file_complaint, press


@pytest.fixture
async def strict(tmp_path: Path) -> AsyncIterator[Harness]:
    server = FakeTelegram(token="123456:TEST-TOKEN", bot_username="ac110_bot")  # default limits
    await server.start()
    harness = Harness(server, tmp_path / "data")
    await harness.start()
    yield harness
    await harness.stop()
    await server.stop()


async def test_a_fast_citizen_is_answered_in_full_at_telegrams_pace(strict: Harness) -> None:
    alice = strict.fake.user()
    await alice.send("/complain")
    await press(alice, "😠 Гомдол")
    await press(alice, "🤷 Мэдэхгүй байна")
    await expect(alice, "Юу болсныг")
    for i in range(8):  # faster than any person types
        await alice.send(f"Хэсэг {i}: хахуулийн тухай дэлгэрэнгүй.")
    for _ in range(8):
        await expect(alice, "Хүлээн авлаа", timeout=20)
    refused = [c for c in strict.fake.calls_to("sendMessage") if not c.ok]
    assert refused, "the fake should have answered some sends with 429"
    assert all(c.error is not None and c.error.error_code == 429 for c in refused)
    await press(alice, "✅ Дууслаа")
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    preview = await expect(alice, "Илгээхээс өмнө шалгана уу", timeout=20)
    assert all(f"Хэсэг {i}" in preview["text"] for i in range(8))


async def test_a_429_from_telegram_is_waited_out(strict: Harness) -> None:
    alice = strict.fake.user()
    strict.fake.fail_next("sendMessage", code=429, retry_after=1, chat_id=alice.id)
    await alice.send("/start")
    await expect(alice, "Сайн байна уу", timeout=15)


async def test_a_citizen_who_blocked_the_bot_does_not_break_the_officers_reply(
    strict: Harness,
) -> None:
    alice = strict.fake.user()
    receipt = await file_complaint(alice, notify=True)
    await alice.send(f"/status {receipt}")
    number = case_number(await expect(alice, "Хүлээн авсан"))
    await alice.block()
    await strict.add_officer()
    await strict.officer.send(f"/case {number}")
    await press(strict.officer, "✉️ Иргэнд хариу бичих")
    await strict.officer.send("Хариу бэлэн.")
    await press(strict.officer, "✅ Хариу болгож илгээх")
    await expect(strict.officer, "хариу хадгалагдлаа")
    await strict.fake.wait_idle()
    refused = [c.error.error_code for c in strict.fake.calls_to("sendMessage")
               if str(c.params.get("chat_id")) == str(alice.id) and c.error is not None]
    assert 403 in refused  # the notice met the block, and nothing broke
    await alice.unblock()
    await alice.send(f"/status {receipt}")
    view = await expect(alice, "Хариу өгсөн")
    assert "Хариу бэлэн." in view["text"]
