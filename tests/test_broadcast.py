"""The broadcast engine through the fake Bot API: 500 subscribers, 429s, blocks, a crash."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import Counter

from bot.core import outreach
from bot.fakegram import FakeUser
from tests.harness import Harness, expect

POST = {"text": {"mn": "<b>Нэгдье!</b> Авлигыг хамтдаа зогсооё.",
                 "en": "<b>Let's unite!</b> Together against corruption."}}


def _copies(users: list[FakeUser], needle: str) -> Counter[int]:
    return Counter({u.id: sum(needle in (m.get("text") or "") for m in u.messages())
                    for u in users})


async def _subscribe_crowd(h: Harness, n: int, via_telegram: int = 5) -> list[FakeUser]:
    users = [h.fake.user(first_name=f"Иргэн{i}", language_code="mn") for i in range(n)]
    for user in users[:via_telegram]:  # a few through the bot, as people do
        await user.send("/subscribe")
        await expect(user, "бүртгүүллээ")
    backend = h.app.bot_data["svc"].backend
    for user in users[via_telegram:]:
        await outreach.subscribe(backend, "telegram", str(user.id), "mn", h.clock())
    return users


async def test_500_subscribers_429s_and_blocked_users_get_exactly_one_copy(h: Harness) -> None:
    await h.stop()
    await h.start(send_per_second=500.0)
    users = await _subscribe_crowd(h, 500)
    # 5 % are gone without the bot being told (deleted accounts: 403 on send), and two
    # blocked the bot earlier (Telegram told it with my_chat_member).
    blocked = users[::20]
    for user in blocked:
        user.deactivate()
    told = users[1:3]
    for user in told:
        await user.block()
    await h.fake.wait_idle()
    backend, svc_clock = h.app.bot_data["svc"].backend, h.clock
    for _ in range(5):
        h.fake.fail_next("sendMessage", code=429, retry_after=1)
    broadcast_id = await outreach.create_broadcast(backend, POST, svc_clock())
    from bot.tg.broadcast import TelegramSender

    final = await outreach.run_broadcast(backend, broadcast_id, TelegramSender(h.app), svc_clock)
    copies = _copies(users, "Нэгдье!")
    assert all(copies[u.id] == 0 for u in [*blocked, *told])
    assert all(copies[u.id] == 1 for u in users if u not in blocked and u not in told)
    assert (final.total, final.sent, final.failed, final.pending) == (498, 473, 25, 0)
    assert len(h.fake.calls_to("sendMessage")) >= 498 + 5  # the 429s were retried
    for user in blocked:
        assert not await outreach.is_subscribed(backend, "telegram", str(user.id))
    # The next broadcast does not even try them.
    second = await outreach.create_broadcast(backend, POST, svc_clock())
    assert (await outreach.progress(backend, second)).total == 473


async def test_opting_out_during_a_broadcast_is_respected(h: Harness) -> None:
    await h.stop()
    await h.start(send_per_second=100.0)
    users = await _subscribe_crowd(h, 120, via_telegram=0)
    backend = h.app.bot_data["svc"].backend
    from bot.tg.broadcast import TelegramSender

    broadcast_id = await outreach.create_broadcast(backend, POST, h.clock())
    task = asyncio.create_task(
        outreach.run_broadcast(backend, broadcast_id, TelegramSender(h.app), h.clock))
    late = users[-1]
    await late.send("/stop")
    await expect(late, "зогсоолоо")
    final = await task
    assert _copies([late], "Нэгдье!")[late.id] == 0
    assert final.skipped == 1 and final.sent == 119


async def test_a_stop_mid_broadcast_resumes_without_skipping_anyone(h: Harness) -> None:
    await h.stop()
    await h.start(send_per_second=200.0)
    users = await _subscribe_crowd(h, 200, via_telegram=0)
    backend = h.app.bot_data["svc"].backend
    broadcast_id = await outreach.create_broadcast(backend, POST, h.clock())
    from bot.tg.broadcast import start_broadcast

    start_broadcast(h.app, broadcast_id)
    # Polling the database: the outbox is the only shared state across the restart.
    while (await outreach.progress(backend, broadcast_id)).sent < 60:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await h.stop()  # the task dies with the bot (a stop does not wait for it); the outbox stays
    with contextlib.closing(sqlite3.connect(h.settings.db_path)) as db:
        left = db.execute("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'inflight')"
                          ).fetchone()[0]
    assert left > 0, "the stop waited for the broadcast: nothing left to resume"
    await h.start()
    while not (await outreach.progress(h.app.bot_data["svc"].backend, broadcast_id)).done:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await h.fake.wait_idle()
    copies = _copies(users, "Нэгдье!")
    assert all(n >= 1 for n in copies.values())  # nobody skipped
    assert sum(n - 1 for n in copies.values()) <= outreach.IN_FLIGHT  # doubles ≤ what was in flight
