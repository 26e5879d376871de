"""`python -m bot demo`: the sandbox starts on loopback, with demo data made through the bot."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.demo import Sandbox
from bot.sandbox.script import text_of


async def test_the_sandbox_starts_with_demo_data_made_through_the_bots_flows(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox(tmp_path / "demo", seed=True)
    await sandbox.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", sandbox.url)
        keys = [p.key for p in sandbox.personas]
        assert keys == ["saraa", "bat", "john", "admin", "staff-group", "news"]
        people = {p.key: p for p in sandbox.personas}
        bat = people["bat"].user
        assert bat is not None
        receipts = [t for t in bat.texts() if re.search(r"\d{4} \d{4} \d{4} \d{4}", t)]
        assert len(receipts) == 2
        assert any("шинэ мэдээ" in t for t in bat.texts())  # case 1 was answered
        group = people["staff-group"].chat
        assert sum("Шинэ" in text_of(m) for m in group.messages()) == 3
        assert people["saraa"].chat.messages() == []  # left fresh for the visitor
        backend = sandbox.app.bot_data["svc"].backend
        query = "SELECT COUNT(*) FROM schedules WHERE status = 'active'"
        async with backend.db.read() as conn, conn.execute(query) as cur:
            row = await cur.fetchone()
        assert row is not None and row[0] == 2  # two posts due in the next minutes
        john = people["john"].user
        assert john is not None and any("You will now get" in t for t in john.texts())
        async with aiohttp.ClientSession() as session, session.get(sandbox.url) as page:
            assert page.status == 200
            assert "Telegram" in await page.text()
        # The bot talks only to the fake on loopback.
        assert sandbox.fake.url.startswith("http://127.0.0.1:")
    finally:
        await sandbox.stop()


def test_the_sandbox_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Sandbox(tmp_path, host="0.0.0.0")  # noqa: S104
