"""A broadcast on a bad day: Telegram answers 502, drops connections, answers too late;
and the bot process is killed in the middle of a broadcast and started again.

"Nothing doubled beyond what Telegram itself could have accepted": a copy is sent twice only
when the first one landed but its answer never reached the bot (a dropped connection, an
answer later than the bot's timeout), or when it was in flight at a kill.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bot.config import Secret, Settings
from bot.core import outreach
from bot.core.backend import Backend, open_backend
from bot.fakegram import FakeTelegram, FakeUser, Limits
from tests.harness import Harness, expect

POST = {"text": {"mn": "<b>Нэгдье!</b> Шударга ёсны төлөө."}}


async def seed_subscribers(backend: Backend, chat_ids: list[int], now: dt.datetime) -> None:
    """The rows `outreach.subscribe` makes, in one transaction (a test's set-up, not a flow)."""
    from bot.storage import queries as q

    day = backend.local_date(now).isoformat()
    async with backend.db.tx() as conn:
        for chat_id in chat_ids:
            await q.upsert_subscriber(
                conn, channel="telegram", lang="mn", day=day,
                key=backend.vault.pseudonym("subscriber", f"telegram:{chat_id}"),
                chat=backend.vault.seal_text(str(chat_id), "subscriber:telegram"))


def _copies(fake: FakeTelegram, users: list[FakeUser]) -> Counter[int]:
    """Messages with the post that Telegram accepted, per user (answered or not)."""
    ids = {u.id for u in users}
    got: Counter[int] = Counter()
    for call in fake.deliveries("sendMessage"):
        chat = int(call.params.get("chat_id", 0))
        if chat in ids and "Нэгдье!" in str(call.params.get("text", "")):
            got[chat] += 1
    return got


async def test_a_flaky_telegram_loses_nothing_and_doubles_only_what_it_swallowed(
    h: Harness, log_text: Callable[[], str]
) -> None:
    await h.stop()
    await h.start(send_per_second=400.0, http_timeout=1.0)
    backend = h.app.bot_data["svc"].backend
    users = [h.fake.user(first_name=f"Иргэн{i}") for i in range(300)]
    await seed_subscribers(backend, [u.id for u in users], h.clock())
    caplog_start = len(log_text())
    h.fake.chaos(0.05, drop_rate=0.01, delay_rate=0.01, delay=1.5, methods={"sendMessage"},
                 seed=7)
    broadcast_id = await outreach.create_broadcast(backend, POST, h.clock())
    from bot.tg.broadcast import start_broadcast

    start_broadcast(h.app, broadcast_id)
    # The bot stays responsive while the broadcast fights through the faults.
    citizen = h.fake.user(first_name="Сараа")
    await citizen.send("/start")
    await expect(citizen, "110", timeout=30)
    for _ in range(1200):
        progress = await outreach.progress(backend, broadcast_id)
        if progress.done:
            break
        await asyncio.sleep(0.1)
    h.fake.calm()
    stats = h.fake.chaos_stats
    assert progress.done and (progress.sent, progress.failed) == (300, 0), progress
    copies = _copies(h.fake, users)
    assert all(copies[u.id] >= 1 for u in users), "nobody is skipped"
    doubled = sum(n - 1 for n in copies.values())
    swallowed = stats["dropped_after_action"] + stats["delayed_abandoned"]
    assert stats["bad_gateway"] > 0 and stats["dropped_before_action"] + swallowed > 0
    assert doubled <= swallowed, (doubled, stats)
    # Errors are logged once each at most, not a line per failed request.
    logged = log_text()[caplog_start:]
    assert stats["bad_gateway"] >= 10
    # (The first may fall in an earlier test: the filter keeps its minute across them.)
    assert logged.count("invalid JSON") <= 2, "a 502 page is logged once a minute"


# -- SIGKILL in the middle of a broadcast -------------------------------------------------
RECIPIENTS = 600


def _env(fake: FakeTelegram, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_TOKEN=fake.token, BOT_API_URL=fake.url, BOT_DATA_DIR=str(data),
               BOT_RECEIPT_SCRYPT_N="256", BOT_SEND_PER_SECOND="300", BOT_QUIET_HOURS="off")
    return env


async def _start(fake: FakeTelegram, data: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=_env(fake, data), cwd=data.parent,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )


def _outbox(data: Path) -> Counter[str]:
    conn = sqlite3.connect(data / "bot.sqlite3")
    try:
        return Counter({str(s): int(n) for s, n in conn.execute(
            "SELECT status, COUNT(*) FROM outbox GROUP BY status")})
    finally:
        conn.close()


async def test_sigkill_mid_broadcast_then_restart_delivers_to_everyone(
    tmp_path: Path,
) -> None:
    logging.getLogger("aiohttp").setLevel(logging.ERROR)
    fake = FakeTelegram(token="123456:TEST-TOKEN", bot_username="ac110_bot",
                        limits=Limits(global_per_second=10_000, global_burst=10_000))
    await fake.start()
    try:
        data = tmp_path / "data"
        users = [fake.user(first_name=f"Иргэн{i}") for i in range(RECIPIENTS)]
        settings = Settings(token=Secret(fake.token), api_url=fake.url, data_dir=data,
                            receipt_scrypt_n=256)
        now = dt.datetime.now(dt.UTC)
        backend = await open_backend(settings, now)
        await seed_subscribers(backend, [u.id for u in users], now)
        await outreach.create_broadcast(backend, POST, now)
        await backend.close()

        process = await _start(fake, data)  # resumes the queued broadcast at start
        try:
            for _ in range(3000):  # at most a minute to get a third of the way
                if len(_copies(fake, users)) >= RECIPIENTS // 3:
                    break
                await asyncio.sleep(0.02)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            at_kill = _outbox(data)
            in_flight = at_kill["inflight"]
            assert at_kill["sent"] < RECIPIENTS, "killed before the end"
            process = await _start(fake, data)
            for _ in range(600):
                counts = _outbox(data)
                if counts["pending"] + counts["inflight"] == 0:
                    break
                await asyncio.sleep(0.1)
        finally:
            process.kill()
            await process.wait()
        copies = _copies(fake, users)
        assert all(copies[u.id] >= 1 for u in users), "every recipient gets the post"
        doubled = sum(n - 1 for n in copies.values())
        assert doubled <= in_flight, (doubled, in_flight)
        assert _outbox(data)["sent"] == RECIPIENTS, "the counts match what was delivered"
    finally:
        await fake.stop()
