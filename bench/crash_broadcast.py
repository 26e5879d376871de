"""SIGKILL in the middle of a big broadcast, then a restart: who got the post, how often.

The bot runs as a real process (`python -m bot run`) against the fake Bot API in this
process; the queued broadcast starts at start-up, the process is killed with SIGKILL when
a given share of recipients has the post, and a new process resumes it. Reports every
recipient's copies, the duplicates against the rows in flight at the kill, and the counts
in the outbox. The test suite runs the same with 600 recipients
(tests/test_faults_broadcast.py).

    .venv/bin/python -m bench.crash_broadcast [--recipients 5000] [--kill-at 0.4]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.config import Secret, Settings
from bot.core import outreach
from bot.core.backend import open_backend
from bot.fakegram import FakeTelegram, FakeUser, Limits
from bot.tg.app import quiet_libraries
from tests.test_faults_broadcast import POST, seed_subscribers

PER_SECOND = 300  # the bot's pace; the fake enforces nothing but its per-chat limits


def _copies(fake: FakeTelegram, ids: set[int]) -> Counter[int]:
    got: Counter[int] = Counter()
    for call in fake.deliveries("sendMessage"):
        chat = int(call.params.get("chat_id", 0))
        if chat in ids:
            got[chat] += 1
    return got


def _outbox(data: Path) -> Counter[str]:
    conn = sqlite3.connect(data / "bot.sqlite3")
    try:
        return Counter({str(s): int(n) for s, n in conn.execute(
            "SELECT status, COUNT(*) FROM outbox GROUP BY status")})
    finally:
        conn.close()


async def _start(fake: FakeTelegram, data: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_TOKEN=fake.token, BOT_API_URL=fake.url, BOT_DATA_DIR=str(data),
               BOT_SEND_PER_SECOND=str(PER_SECOND), BOT_QUIET_HOURS="off")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=data.parent,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def run(recipients: int, kill_at: float) -> dict[str, float]:
    """One kill and restart; the figures."""
    quiet_libraries()
    fake = FakeTelegram(token="1:BENCH", bot_username="bench_bot",
                        limits=Limits(global_per_second=100_000, global_burst=100_000))
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            users: list[FakeUser] = [fake.user(first_name=f"Иргэн{i}") for i in range(recipients)]
            ids = {u.id for u in users}
            now = dt.datetime.now(dt.UTC)
            backend = await open_backend(Settings(token=Secret(fake.token), api_url=fake.url,
                                                  data_dir=data), now)
            await seed_subscribers(backend, sorted(ids), now)
            await outreach.create_broadcast(backend, POST, now)
            await backend.close()
            started = time.perf_counter()
            process = await _start(fake, data)
            while len(_copies(fake, ids)) < recipients * kill_at:  # noqa: ASYNC110 (polling another process)
                await asyncio.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            killed_at = time.perf_counter() - started
            at_kill = _outbox(data)
            process = await _start(fake, data)
            while (c := _outbox(data))["pending"] + c["inflight"]:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            total = time.perf_counter() - started
            process.kill()
            await process.wait()
            copies = _copies(fake, ids)
            final = _outbox(data)
    finally:
        await fake.stop()
    return {
        "recipients": recipients, "killed_after_s": killed_at, "sent_at_kill": at_kill["sent"],
        "inflight_at_kill": at_kill["inflight"], "missing": sum(1 for i in ids if not copies[i]),
        "duplicates": sum(n - 1 for n in copies.values() if n > 1),
        "outbox_sent": final["sent"], "total_s": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--kill-at", type=float, default=0.4)
    args = parser.parse_args()
    figures = asyncio.run(run(args.recipients, args.kill_at))
    print(f"# python -m bench.crash_broadcast {' '.join(sys.argv[1:])}"
          f"  (Python {platform.python_version()}, {os.cpu_count()} cores)")
    for name, value in figures.items():
        print(f"{name:>18}: {value:.1f}" if isinstance(value, float) else f"{name:>18}: {value}")
    ok = figures["missing"] == 0 and figures["duplicates"] <= figures["inflight_at_kill"] \
        and figures["outbox_sent"] == figures["recipients"]
    print("every recipient reached, duplicates within what was in flight" if ok else "FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
