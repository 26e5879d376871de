"""Intake under load: N citizens complete the whole complaint flow at the same time.

Measures, for every step of every citizen, the time from the citizen's action (a message
or a button press reaching the fake Bot API) to the bot's answer arriving there, and the
wall time for all N receipts. Runs the same load twice in one process: the baseline, then
the bot as it runs.

    .venv/bin/python bench/intake.py [--citizens 200] [--broadcast 2000]

The fake runs without rate limits, but the bot keeps its own pace (30 sends a second overall,
Telegram's rule), so an all-at-once burst (`--think 0`) measures that cap more than the bot.
The default paces each citizen like a person reading. The baseline is PTB's defaults: one
update at a time and AIORateLimiter (which counts edits against the 30 a second too); the
bot's own is per-person ordered concurrency and `bot.core.pacing`, which counts sends only.

`--broadcast N` starts a post to N subscribers as the citizens begin: the bot's engine
(`bot.tg.broadcast.start_broadcast`, at broadcast priority, so replies go first) or, for the
baseline, a plain loop of `send_message` over AIORateLimiter in a background task. Printed
beside the latencies: how many the broadcast reached while the citizens were at it, how long
it took to finish, and whether every subscriber got it exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import platform
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot.config import Secret, Settings
from bot.core import outreach
from bot.fakegram import FakeTelegram, FakeUser
from bot.sandbox.script import RECEIPT, expect, press, text_of
from bot.tg import broadcast
from bot.tg.app import build_app, quiet_libraries, running
from bot.tg.common import App, Services


async def _timed(latencies: list[float], action: object, wait: object) -> None:
    await asyncio.sleep(THINK * random.uniform(0.5, 1.5))
    started = time.perf_counter()
    await action  # type: ignore[misc]
    await wait  # type: ignore[misc]
    latencies.append(time.perf_counter() - started)


THINK = 0.0


async def citizen_flow(user: FakeUser, n: int, latencies: list[float]) -> str:
    """One citizen, step by step, timing each answer (after THINK seconds of reading)."""
    await _timed(latencies, user.send("/complain"), expect(user, "Юу илгээх вэ", 120))
    await _timed(latencies, press(user, "😠 Гомдол", 120), expect(user, "Хэнд хамаарах", 120))
    await _timed(latencies, press(user, "🤷 Мэдэхгүй байна", 120),
                 expect(user, "Юу болсныг", 120))
    await _timed(latencies, user.send(f"Иргэн {n}: эмнэлэгт үзлэгийн өмнө мөнгө нэхсэн."),
                 expect(user, "Хүлээн авлаа", 120))
    await _timed(latencies, press(user, "✅ Дууслаа", 120), expect(user, "Нэрээ нууцлах", 120))
    await _timed(latencies, press(user, "🕶 Нэрээ нууцлах (зөвлөмж)", 120),
                 expect(user, "Илгээхээс өмнө", 120))
    started = time.perf_counter()
    await press(user, "✅ Илгээх", 120)
    receipt = await expect(user, "Баримтын дугаар", 120)
    latencies.append(time.perf_counter() - started)
    match = RECEIPT.search(text_of(receipt))
    assert match, text_of(receipt)
    return match.group(1)


POST = {"text": {"mn": "<b>Авлигыг мэдээлэх 110</b>\n\nИргэн та авлигын хэргийг 110 дугаарт, "
                       "эсвэл энэ ботоор нэрээ нууцлан мэдээлж болно.",
                 "en": "<b>Report corruption: 110</b>"}}


def _ten_in_the_morning() -> dt.datetime:
    """10:00 in Ulaanbaatar: a broadcast in quiet hours (22:00-08:00) would wait."""
    return dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


async def _start_broadcast(app: App, fake: FakeTelegram, n: int,
                           baseline: bool) -> tuple[list[int], asyncio.Task[Any]]:
    """Subscribe n people and start a post to them; the task ends when all were sent."""
    svc: Services = app.bot_data["svc"]
    ids = [fake.user(first_name=f"Захиалагч{k}").id for k in range(n)]
    for chat_id in ids:
        await outreach.subscribe(svc.backend, "telegram", str(chat_id), "mn",
                                 _ten_in_the_morning())
    if baseline:  # PTB's way: a loop of send_message, AIORateLimiter keeping the pace
        async def loop() -> None:
            for chat_id in ids:
                await app.bot.send_message(chat_id, POST["text"]["mn"], parse_mode="HTML")
        return ids, asyncio.create_task(loop())
    broadcast_id = await outreach.create_broadcast(svc.backend, POST, _ten_in_the_morning())
    broadcast.start_broadcast(app, broadcast_id)
    return ids, app.bot_data["broadcast_tasks"][broadcast_id]


def _copies(fake: FakeTelegram, audience: list[int]) -> Counter[int]:
    """Copies of the post each subscriber has got so far."""
    wanted = set(audience)
    return Counter(chat for call in fake.deliveries()
                   if (chat := call.params.get("chat_id")) in wanted)


async def run(citizens: int, baseline: bool, subscribers: int = 0) -> dict[str, float]:
    """One load run on a fresh data folder; returns its figures."""
    quiet_libraries()
    fake = FakeTelegram(token="1:BENCH", bot_username="bench_bot", limits=None)
    await fake.start()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token=Secret(fake.token), api_url=fake.url, data_dir=Path(tmp),
                            max_complaints_per_day=10)
        app = build_app(settings, baseline=baseline, clock=_ten_in_the_morning)
        latencies: list[float] = []
        async with running(app, poll_timeout=10):
            users = [fake.user(first_name=f"Иргэн{n}") for n in range(citizens)]
            if subscribers:
                audience, post_task = await _start_broadcast(app, fake, subscribers, baseline)
            started = time.perf_counter()
            receipts = await asyncio.gather(*(citizen_flow(u, n, latencies)
                                              for n, u in enumerate(users)))
            wall = time.perf_counter() - started
            if subscribers:
                figures["reached_during"] = len(_copies(fake, audience))
                await post_task
                figures["post_done_s"] = time.perf_counter() - started
                copies = _copies(fake, audience)
                figures["missing"] = len(audience) - len(copies)
                figures["doubled"] = sum(n - 1 for n in copies.values())
        assert len(set(receipts)) == citizens, "a receipt was lost or repeated"
    await fake.stop()
    cuts = statistics.quantiles(latencies, n=100)
    return {"wall_s": wall, "p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000,
            "p99_ms": cuts[98] * 1000, "steps": len(latencies), **figures}


def main() -> None:
    """Run both modes and print the figures and their ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--broadcast", type=int, default=0,
                        help="subscribers of a post started as the citizens begin (0: none)")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds a citizen reads before each step (0: all at once)")
    args = parser.parse_args()
    global THINK
    THINK = args.think
    random.seed(110)
    logging.basicConfig(level=logging.WARNING)
    print(f"intake: `.venv/bin/python bench/intake.py --citizens {args.citizens} --think "
          f"{args.think:g} --broadcast {args.broadcast}`: "
          f"{args.citizens} citizens at once, {args.think:.1f} s reading per step, "
          "full complaint flow, "
          f"{f'a post to {args.broadcast} subscribers running, ' if args.broadcast else ''}"
          f"fake Bot API without limits; {platform.python_version()}, "
          f"{platform.machine()}, {__import__('os').cpu_count()} cores")
    baseline = asyncio.run(run(args.citizens, baseline=True, subscribers=args.broadcast))
    ours = asyncio.run(run(args.citizens, baseline=False, subscribers=args.broadcast))
    for name, figures in (("PTB defaults", baseline), ("the bot's", ours)):
        print(f"  {name:26} wall {figures['wall_s']:6.2f} s   p50 {figures['p50_ms']:7.1f} ms"
              f"   p95 {figures['p95_ms']:7.1f} ms   p99 {figures['p99_ms']:7.1f} ms"
              f"   ({int(figures['steps'])} answers, all {args.citizens} receipts issued)")
        if args.broadcast:
            print(f"  {'':26} the post: {int(figures['reached_during'])} of {args.broadcast} "
                  f"reached while the citizens were at it, all sent after "
                  f"{figures['post_done_s']:.1f} s; {int(figures['missing'])} missing, "
                  f"{int(figures['doubled'])} doubled")
    print(f"  ratio PTB defaults / the bot's: wall {baseline['wall_s'] / ours['wall_s']:.2f}x, "
          f"p95 {baseline['p95_ms'] / ours['p95_ms']:.2f}x")


if __name__ == "__main__":
    main()
