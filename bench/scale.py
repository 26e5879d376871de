"""Scale: broadcasts to 10,000, 50,000 and 100,000 subscribers; memory and time per 10,000.

    .venv/bin/python bench/scale.py [--sizes 10000,50000,100000] [--http-sizes ...]

One bot (`build_app(settings)`, pacer at 100,000 a second) and one fake Bot API without
limits, in a child process (see bench/broadcast.py). The subscriber list grows to each
size in turn; at each size a text post goes to everyone twice, through `run_broadcast`:

- over HTTP: `TelegramSender` over PTB, to the fake (the bot as it runs);
- the engine alone: a `Sender` that does nothing (database, decryption, batching).

Memory: the bot process's resident set, from /proc/self/status. Before each broadcast the
bot is idle (started, subscribers stored, `gc.collect()`), its VmRSS is read and its
high-water mark reset (`echo 5 > /proc/self/clear_refs`); after it, the growth is
VmHWM minus that idle VmRSS: the peak the broadcast added, C allocations (SQLite's cache,
sockets) included. Time: seconds per 10,000 for the whole broadcast, and for each
successive 10,000 sends within it (does a row cost more late in a long list?). In the
engine-alone runs, the engine's own `queries.claim_batch` is also timed at every 10,000th
send (in a transaction rolled back), and `outreach.progress` once at the end.

Subscribers are seeded by `broadcast.seed_subscribers`: the rows `outreach.subscribe`
stores (keyed hash, encrypted chat id, through `queries.upsert_subscriber`), in one
transaction per size, without the statistics event (not read by broadcasts). Every
broadcast's rows stay in the outbox, as in a bot that has run for a while.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from broadcast import (
    FAST_PER_SECOND,
    POST,
    FakeProcess,
    Meter,
    NullSender,
    bench_clock,
    command,
    machine,
    proc_status,
    seed_subscribers,
    settings_for,
)

from bot.core import outreach
from bot.core.backend import Backend
from bot.storage import queries as q
from bot.tg.app import build_app, quiet_libraries, running
from bot.tg.broadcast import TelegramSender

SLICE = 10_000
MB = 2**20


class _Undo(Exception):
    pass


async def claim_cost(b: Backend, broadcast_id: int, tries: int = 5) -> float:
    """Seconds `queries.claim_batch` takes now (median of `tries`, each rolled back)."""
    times = []
    for _ in range(tries):
        try:
            async with b.db.tx() as conn:
                started = time.perf_counter()
                await q.claim_batch(conn, broadcast_id, outreach.CHUNK)
                times.append(time.perf_counter() - started)
                raise _Undo
        except _Undo:
            pass
    return statistics.median(times)


class Clocked:
    """A `Sender` around another that notes the time at every 10,000th send.

    With a probe, it also times the engine's claim query there (between two batches'
    transactions: a send runs outside them).
    """

    def __init__(self, inner: outreach.Sender) -> None:
        self.inner = inner
        self.sent = 0
        self.marks: list[float] = []
        self.claims: list[float] = []
        self.probe: Callable[[], Awaitable[float]] | None = None

    def start(self, probe: Callable[[], Awaitable[float]] | None = None) -> None:
        self.sent, self.marks, self.claims = 0, [time.perf_counter()], []
        self.probe = probe

    async def send(self, to: outreach.Recipient, post: outreach.Outgoing) -> int:
        message_id = await self.inner.send(to, post)
        self.sent += 1
        if self.sent % SLICE == 0:
            self.marks.append(time.perf_counter())
            if self.probe is not None:
                self.claims.append(await self.probe())
                self.marks[-1] = time.perf_counter()  # the probe's time is not the slice's
        return message_id

    def slices(self) -> list[float]:
        return [b - a for a, b in zip(self.marks, self.marks[1:], strict=False)]


PEAKS: list[int] = []  # VmHWM before each reset: the run's overall peak is their maximum


def reset_peak() -> None:
    """Set VmHWM back to the current VmRSS (Linux ≥ 4.0)."""
    PEAKS.append(proc_status("VmHWM"))
    Path("/proc/self/clear_refs").write_text("5")


def overall_peak() -> int:
    """The highest VmHWM since the first reset."""
    return max([*PEAKS[1:], proc_status("VmHWM")])


async def one_broadcast(b: Backend, sender: Clocked, fake: FakeProcess | None
                        ) -> dict[str, Any]:
    """Idle → broadcast to everyone → figures: time, slices, CPU, memory growth."""
    gc.collect()
    await asyncio.sleep(0.5)
    idle = proc_status("VmRSS")
    reset_peak()
    if fake is not None:
        await fake.ask("mark")
    started = time.perf_counter()
    broadcast_id = await outreach.create_broadcast(b, POST, bench_clock())
    created = time.perf_counter() - started
    first_claim = await claim_cost(b, broadcast_id)
    sender.start(None if fake is not None else lambda: claim_cost(b, broadcast_id))
    with Meter() as m:
        final = await outreach.run_broadcast(b, broadcast_id, sender, bench_clock)
    peak = proc_status("VmHWM")
    stats = await fake.ask("stats") if fake is not None else None
    started = time.perf_counter()
    await outreach.progress(b, broadcast_id)
    counted = time.perf_counter() - started
    return {"m": m, "sent": final.sent, "total": final.total, "failed": final.failed,
            "create_s": created, "slices": sender.slices(), "idle": idle, "growth": peak - idle,
            "fake": stats, "claims": [first_claim, *sender.claims], "progress_s": counted}


def report(label: str, size: int, r: dict[str, Any]) -> None:
    m: Meter = r["m"]
    per_slice = m.wall / (r["total"] / SLICE)
    others = m.busy - m.cpu - (r["fake"]["cpu_s"] if r["fake"] else 0.0)
    line = (f"  {size:>7,} {label:12} {r['sent']:>7,} sent, {r['failed']} failed in "
            f"{m.wall:7.1f} s = {r['sent'] / m.wall:7.0f}/s, {per_slice:6.2f} s per 10k; "
            f"create_broadcast {1000 * r['create_s']:.0f} ms; bot CPU "
            f"{1000 * m.cpu / max(r['sent'], 1):.2f} ms/send")
    if r["fake"]:
        line += (f"; fake CPU {1000 * r['fake']['cpu_s'] / max(r['fake']['requests'], 1):.2f}"
                 f" ms/request ({100 * r['fake']['cpu_s'] / m.wall:.0f} % of a core)")
    line += (f"; others {100 * max(others, 0) / m.wall:.0f} %; idle RSS "
             f"{r['idle'] / MB:.1f} MB, peak growth {r['growth'] / MB:.1f} MB")
    print(line, flush=True)
    if r["slices"]:
        print("      each 10k: " + " ".join(f"{s:.2f}" for s in r["slices"]) + " s", flush=True)
    if len(r["claims"]) > 1:
        print("      claim_batch at 0, 10k, 20k … sent: "
              + " ".join(f"{1000 * c:.1f}" for c in r["claims"]) + " ms; progress() after: "
              f"{1000 * r['progress_s']:.0f} ms", flush=True)


async def run(sizes: list[int], http_sizes: set[int]) -> None:
    fake = FakeProcess("none")
    ids = await fake.start(max(sizes))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = build_app(settings_for(fake.url, Path(tmp), FAST_PER_SECOND),
                            clock=bench_clock)
            async with running(app, poll_timeout=10):
                backend: Backend = app.bot_data["svc"].backend
                gc.collect()
                await asyncio.sleep(0.5)
                start_rss = proc_status("VmRSS")
                reset_peak()
                print(f"  idle bot, no subscribers: VmRSS {start_rss / MB:.1f} MB (VmHWM "
                      f"reset: {(proc_status('VmHWM') - start_rss) / MB:+.1f} MB over VmRSS)",
                      flush=True)
                seeded = 0
                for size in sizes:
                    with Meter() as m:
                        await seed_subscribers(backend, ids[seeded:size])
                    print(f"  seeded {size - seeded:,} subscribers in {m.wall:.1f} s "
                          f"({(size - seeded) / m.wall:,.0f}/s), {size:,} in all", flush=True)
                    seeded = size
                    if size in http_sizes:
                        r = await one_broadcast(backend, Clocked(TelegramSender(app)), fake)
                        report("over HTTP", size, r)
                    r = await one_broadcast(backend, Clocked(NullSender()), None)
                    report("engine alone", size, r)
                print(f"  the whole run (seeding and every broadcast): VmHWM "
                      f"{(overall_peak() - start_rss) / MB:.1f} MB over the idle bot without "
                      "subscribers", flush=True)
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000,100000",
                        help="subscriber list sizes, growing")
    parser.add_argument("--http-sizes", default=None,
                        help="the sizes also broadcast over HTTP (default: all of --sizes)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    http_sizes = set(sizes) if args.http_sizes is None else {
        int(s) for s in args.http_sizes.split(",") if s}
    logging.basicConfig(level=logging.WARNING)
    quiet_libraries()
    print(f"scale: `{command()}`; {machine()}; fake Bot API without limits in a child "
          f"process; load average {os.getloadavg()[0]:.2f} at start", flush=True)
    asyncio.run(run(sizes, http_sizes))


if __name__ == "__main__":
    main()
