"""`python -m bot demo`: the sandbox starts on loopback, with demo data made through the bot.

Both channels: Telegram over the fake Bot API, Messenger over the fake Graph API with the
webhook served beside Telegram in the same process.
"""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox import script
from bot.sandbox.demo import Sandbox
from bot.sandbox.script import text_of
from bot.sandbox.web import MessengerPersona, Persona


async def test_the_sandbox_starts_with_demo_data_made_through_the_bots_flows(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox(tmp_path / "demo", seed=True)
    await sandbox.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", sandbox.url)
        keys = [p.key for p in sandbox.personas]
        assert keys == ["saraa", "bat", "john", "oyun", "ganbat", "admin", "staff-group",
                        "news"]
        people = {p.key: p for p in sandbox.personas if isinstance(p, Persona)}
        bat = people["bat"].user
        assert bat is not None
        receipts = [t for t in bat.texts() if re.search(r"\d{4} \d{4} \d{4} \d{4}", t)]
        assert len(receipts) == 2
        assert any("шинэ мэдээ" in t for t in bat.texts())  # case 1 was answered
        group = people["staff-group"].chat
        assert sum("Шинэ" in text_of(m) for m in group.messages()) == 4  # 3 + Messenger's
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
        # The bot talks only to the fakes on loopback.
        assert sandbox.fake.url.startswith("http://127.0.0.1:")
        settings = sandbox.app.bot_data["settings"]
        assert settings.facebook is not None
        assert settings.facebook.graph_url == sandbox.graph.graph_url
        assert settings.facebook.graph_url.startswith("http://127.0.0.1:")
        assert sandbox.webhook_url.startswith("http://127.0.0.1:")
        assert sandbox.graph.webhook.url == sandbox.webhook_url  # verified by Meta's GET
        assert all(post.ok for post in sandbox.graph.webhook.posts)  # signed, accepted
        assert "persistent_menu" in sandbox.graph.profile  # set by the bot at start

        # Messenger: one complaint with a photo, answered by staff, read by its receipt.
        messenger = {p.key: p for p in sandbox.personas if isinstance(p, MessengerPersona)}
        assert list(messenger) == ["oyun", "ganbat"]
        ganbat = messenger["ganbat"].thread
        page_texts = [i.text or "" for i in ganbat.items if not i.own]
        assert any(re.search(r"\d{4} \d{4} \d{4} \d{4}", t) for t in page_texts)
        assert any("шинэ мэдээ байна" in t for t in page_texts)  # the notice, in the window
        assert any("хандив" in t and "Хариу өгсөн" in t for t in page_texts)  # read by receipt
        assert [a["type"] for i in ganbat.items if i.own for a in i.attachments] == ["image"]
        assert {i.via for i in ganbat.items if i.own} >= {"get_started", "menu", "quick_reply",
                                                          "postback", "text", "attachments"}
        assert messenger["oyun"].thread.items == []  # left fresh for the visitor
        # Staff's /stats counts both channels' complaints.
        admin = people["admin"].user
        assert admin is not None
        await admin.send("/stats")
        await script.press(admin, "Энэ сар")
        lines = text_of(await script.expect(admin, "Статистик:")).splitlines()
        assert any(re.search(r"telegram\D*3\b", line, re.I)
                   and re.search(r"messenger\D*1\b", line, re.I) for line in lines), lines
    finally:
        await sandbox.stop()


def test_the_sandbox_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Sandbox(tmp_path, host="0.0.0.0")  # noqa: S104
