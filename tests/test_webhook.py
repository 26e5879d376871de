"""Webhook mode: Telegram's secret_token is checked on every call."""

from __future__ import annotations

import socket
import time

import aiohttp

from bot.config import Secret
from tests.harness import Harness, expect


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_accepts_only_calls_with_the_secret(h: Harness) -> None:
    await h.stop()
    port = _free_port()
    await h.start(webhook_url=f"http://127.0.0.1:{port}/telegram",
                  webhook_secret=Secret("s3cret-token"), http_port=port)
    assert h.fake.calls_to("setWebhook")[-1].params["secret_token"] == "s3cret-token"
    alice = h.fake.user(first_name="Сараа")
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1, "date": int(time.time()), "text": "/start",
            "chat": {"id": alice.id, "type": "private", "first_name": "Сараа"},
            "from": {"id": alice.id, "is_bot": False, "first_name": "Сараа"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    url = f"http://127.0.0.1:{port}/telegram"
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        assert not alice.messages()
        good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        async with session.post(url, json=update, headers=good) as response:
            assert response.status == 200
    await expect(alice, "Сайн байна уу")
