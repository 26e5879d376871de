"""Broadcast throughput: the real engine through the real PTB bot against the fake Bot API.

    .venv/bin/python bench/broadcast.py [--fast 20000] [--limited 1200] [--paid 0] [--profile]

A text post (the content library's «110» post, HTML, 523 characters) goes to every
subscriber through `outreach.run_broadcast` and `TelegramSender`, over the application
`build_app(settings)` makes, over real HTTP. The fake Bot API (`bot.fakegram`) runs in a
child process, so the CPU of the bot and of the fake are measured apart
(`getrusage(RUSAGE_SELF)` in each process: every thread, user + system). What the rest of
the machine used meanwhile (other processes: the machine is shared) is read from
/proc/stat and printed as "others".

1a. `--fast`: the fake without limits (`limits=None`), the bot's pacer at 100,000 a second
    (`BOT_SEND_PER_SECOND`). Beside it, on the same subscribers: the engine alone (a
    `Sender` that does nothing), the engine over a bare aiohttp `Sender` (an experiment:
    no PTB), and the fake alone (32 bare aiohttp clients, no bot): what bounds what.
1b. `--limited`: the fake enforcing Telegram's limits (`Limits()`: 30 a second overall,
    1 a second per private chat), the bot at its defaults (30 a second);
1c. and in the same fake, the baseline: the PTB bot with PTB's `AIORateLimiter` (what
    `build_app(settings, baseline=True)` builds) calling `send_message` for every
    subscriber, with `asyncio.gather` (PTB's documented way with AIORateLimiter) and with a
    plain loop.
1d. `--paid N` (off by default): the limited fake, the bot with `BOT_PAID_BROADCAST` (its
    pacer at 1,000 a second, `allow_paid_broadcast` on every send).

Subscribers are stored as `outreach.subscribe` stores them (keyed hash, encrypted chat id)
by `seed_subscribers`, in one transaction and without the statistics event, which the
broadcast does not read. The bot's clock is fixed at 10:00 in Ulaanbaatar: a broadcast
in quiet hours (22:00-08:00) would pause.

`--serve-fake LIMITS USERS` is the child process (not for use by hand).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import io
import json
import logging
import os
import platform
import pstats
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import httpx
from telegram import Bot
from telegram.error import TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.config import Secret, Settings
from bot.core import outreach
from bot.core.backend import Backend
from bot.fakegram import FakeTelegram, Limits
from bot.storage import queries as q
from bot.tg.app import build_app, quiet_libraries, running
from bot.tg.broadcast import TelegramSender
from bot.tg.pacing import BROADCAST

BATCH = outreach.IN_FLIGHT

TOKEN = "1:BENCH"
SCRIPT = str(Path(__file__).resolve())
FAST_PER_SECOND = 100_000.0
STEADY_EDGE = 5.0  # seconds left out at each end of a limited run for its steady rate
POST = {"text": {
    "mn": "<b>«Шударга ёс, хөгжил дэвшилд 110» самбар, хайрцаг</b>\n\n"
          "Аймгийн Засаг даргын Тамгын газрын баруун жигүүрт байрлах «Нэг цонх»-ны "
          "үйлчилгээний төвийн зааланд «Шударга ёс, хөгжил дэвшилд 110» мэдээллийн самбар "
          "ажилладаг. Самбарт авлигын эсрэг мэдээлэл тогтмол шинэчлэгддэг бөгөөд санал, "
          "гомдол хүлээн авах хайрцагтай.\n\nАймгийн 15 байгууллага мөн өөрийн 110 самбартай."
          "\n\nХайрцаг руу очих боломжгүй бол энэ бот нь түүний онлайн хувилбар: гомдол, "
          "санал, мэдээллээ <i>нэрээ нууцлан</i> илгээж, баримтын дугаараар хариугаа шалгана.",
    "en": "<b>The «110» board and box</b>\n\nSend complaints anonymously through this bot.",
}}


def bench_clock() -> dt.datetime:
    """10:00 in Ulaanbaatar, out of quiet hours whenever the benchmark runs."""
    return dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


# -- measuring ------------------------------------------------------------------------------
def cpu_seconds() -> float:
    """User + system CPU of this process, all threads (the aiosqlite thread too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far (all cores, all processes)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def proc_status(field: str) -> int:
    """A /proc/self/status memory field (VmRSS, VmHWM) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


class Meter:
    """Wall time, this process's CPU and the machine's busy time over a `with` block."""

    wall = cpu = busy = 0.0

    def __enter__(self) -> Meter:
        self._start = (time.perf_counter(), cpu_seconds(), machine_busy())
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        wall, cpu, busy = self._start
        self.wall = time.perf_counter() - wall
        self.cpu = cpu_seconds() - cpu
        self.busy = machine_busy() - busy


def machine() -> str:
    return (f"Python {platform.python_version()}, {platform.machine()}, "
            f"{os.cpu_count()} cores, Linux {platform.release()}")


def command() -> str:
    return " ".join([".venv/bin/python", f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])


# -- the fake Bot API in a child process ----------------------------------------------------
async def _serve_fake(limits: str, users: int) -> None:
    """Child: the fake on a free port; answers one JSON line per command line on stdin."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    fake = FakeTelegram(token=TOKEN, bot_username="bench_bot",
                        limits=None if limits == "none" else Limits())
    await fake.start()

    def add(n: int) -> list[int]:
        ids = [fake.user(first_name=f"Иргэн{i}", language_code="mn").id for i in range(n)]
        return [ids[0], ids[-1]] if ids else []

    print(json.dumps({"url": fake.url, "ids": add(users)}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    mark, cpu0, profile = 0, cpu_seconds(), None
    while line := (await reader.readline()).decode().strip():
        command, *args = line.split()
        answer: dict[str, Any] = {}
        if command == "users":
            answer["ids"] = add(int(args[0]))
        elif command == "mark":
            mark, cpu0 = len(fake.calls), cpu_seconds()
            if args and args[0] == "profile":
                profile = cProfile.Profile()
                profile.enable()
        elif command == "stats":
            if profile is not None:
                profile.disable()
            answer = _stats(fake, mark, cpu_seconds() - cpu0)
            if profile is not None:
                answer["profile"] = top(profile, 18)
                profile = None
        elif command == "quit":
            break
        print(json.dumps(answer), flush=True)
    await fake.stop()


def _stats(fake: FakeTelegram, mark: int, cpu: float) -> dict[str, Any]:
    sends = [c for c in fake.calls[mark:] if c.method.lower() == "sendmessage"]
    ok = [c.at for c in sends if c.ok]
    too_many = sum(1 for c in sends if c.error is not None and c.error.error_code == 429)
    steady = None
    if ok and ok[-1] - ok[0] > 3 * STEADY_EDGE:
        low, high = ok[0] + STEADY_EDGE, ok[-1] - STEADY_EDGE
        steady = sum(1 for at in ok if low <= at < high) / (high - low)
    return {"requests": len(sends), "ok": len(ok), "429": too_many,
            "other_errors": len(sends) - len(ok) - too_many, "steady_per_s": steady,
            "cpu_s": cpu, "hwm_mb": proc_status("VmHWM") / 2**20}


def top(profile: cProfile.Profile, count: int, key: str = "tottime") -> str:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).strip_dirs().sort_stats(key).print_stats(count)
    return out.getvalue()


class FakeProcess:
    """The parent's handle on the child: its URL, its users' ids, and its counts."""

    def __init__(self, limits: str) -> None:
        self.limits = limits
        self.url = ""
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self, users: int = 0) -> list[int]:
        """Start the child with `users` users; returns their ids."""
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, SCRIPT, "--serve-fake", self.limits, str(users),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**20)
        hello = await self._read()
        self.url = hello["url"]
        return _ids(hello["ids"])

    async def users(self, n: int) -> list[int]:
        """`n` more users who have started the bot."""
        return _ids((await self.ask("users", n))["ids"])

    async def ask(self, *words: object) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write((" ".join(map(str, words)) + "\n").encode())
        await self._proc.stdin.drain()
        return await self._read()

    async def _read(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        line = await self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the fake's process died")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def stop(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(b"quit\n")
        await self._proc.stdin.drain()
        await self._proc.wait()


def _ids(span: list[int]) -> list[int]:
    return list(range(span[0], span[1] + 1)) if span else []


# -- the bot's side -------------------------------------------------------------------------
async def seed_subscribers(b: Backend, chat_ids: list[int], lang: str = "mn") -> None:
    """The rows `outreach.subscribe` stores for each chat, in one transaction (no event)."""
    day = b.local_date(bench_clock()).isoformat()
    async with b.db.tx() as conn:
        for chat_id in chat_ids:
            await q.upsert_subscriber(
                conn, channel="telegram", key=outreach._key(b, "telegram", str(chat_id)),
                chat=b.vault.seal_text(str(chat_id), "subscriber:telegram"), lang=lang, day=day)
    assert await outreach.is_subscribed(b, "telegram", str(chat_ids[-1]))


class NullSender:
    """A `Sender` that sends nothing: the engine alone (database, decryption, batching)."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, to: outreach.Recipient, post: outreach.Outgoing) -> int:
        self.sent += 1
        return self.sent


class AiohttpSender:
    """Experiment, not the bot's code: one bare aiohttp POST per send, no PTB, no pacer."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session, self._url = session, f"{url}/bot{TOKEN}/sendMessage"

    async def send(self, to: outreach.Recipient, post: outreach.Outgoing) -> int:
        texts: dict[str, str] = post.payload["text"]
        form = {"chat_id": to.chat_id, "text": texts.get(to.lang) or texts["mn"],
                "parse_mode": "HTML"}
        async with self._session.post(self._url, data=form) as response:
            body = await response.json()
        if not body.get("ok"):
            raise outreach.SendError(str(body.get("description")))
        return int(body["result"]["message_id"])


def settings_for(url: str, data_dir: Path, per_second: float = 30.0,
                 paid: bool = False) -> Settings:
    return Settings(token=Secret(TOKEN), api_url=url, data_dir=data_dir,
                    send_per_second=per_second, paid_broadcast=paid)


async def timed_broadcast(b: Backend, sender: outreach.Sender,
                          profile: cProfile.Profile | None = None) -> dict[str, Any]:
    """Create a broadcast to every subscriber and run it to the end, measured."""
    started = time.perf_counter()
    broadcast_id = await outreach.create_broadcast(b, POST, bench_clock())
    created = time.perf_counter() - started
    with Meter() as m:
        if profile is not None:
            profile.enable()
        final = await outreach.run_broadcast(b, broadcast_id, sender, bench_clock)
        if profile is not None:
            profile.disable()
    return {"create_s": created, "m": m, "sent": final.sent, "failed": final.failed,
            "total": final.total}


async def ours(fake: FakeProcess, ids: list[int], per_second: float, *, paid: bool = False,
               profile: cProfile.Profile | None = None, extras: bool = False,
               ) -> dict[str, Any]:
    """The bot's engine: run_broadcast over TelegramSender over the bot's own app."""
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(settings_for(fake.url, Path(tmp), per_second, paid), clock=bench_clock)
        async with running(app, poll_timeout=10):
            backend: Backend = app.bot_data["svc"].backend
            await seed_subscribers(backend, ids)
            result: dict[str, Any] = {}
            if extras:
                result["null"] = await timed_broadcast(backend, NullSender())
            await fake.ask("mark", "profile" if profile is not None else "")
            result.update(await timed_broadcast(backend, TelegramSender(app), profile))
            result["fake"] = await fake.ask("stats")
            if extras:
                await fake.ask("mark")
                async with aiohttp.ClientSession() as session:
                    result["aiohttp"] = await timed_broadcast(
                        backend, AiohttpSender(session, fake.url))
                result["aiohttp"]["fake"] = await fake.ask("stats")
    return result


async def baseline(fake: FakeProcess, ids: list[int], style: str) -> dict[str, Any]:
    """PTB's way: its AIORateLimiter, `send_message` to every chat id (gather, or a loop)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(settings_for(fake.url, Path(tmp)), clock=bench_clock, baseline=True)
        text = POST["text"]["mn"]
        async with running(app, poll_timeout=10):

            async def send(chat_id: int) -> bool:
                try:
                    await app.bot.send_message(chat_id, text, parse_mode="HTML")
                except TelegramError:
                    return False
                return True

            await fake.ask("mark")
            with Meter() as m:
                if style == "gather":
                    sent = sum(await asyncio.gather(*(send(i) for i in ids)))
                else:
                    sent = 0
                    for chat_id in ids:
                        sent += await send(chat_id)
            stats = await fake.ask("stats")
    return {"m": m, "sent": sent, "failed": len(ids) - sent, "total": len(ids), "fake": stats}


async def fake_ceiling(fake: FakeProcess, ids: list[int], workers: int = 32) -> dict[str, Any]:
    """The fake alone: `workers` bare aiohttp clients sending to every id, no bot at all."""
    url, text = f"{fake.url}/bot{TOKEN}/sendMessage", POST["text"]["mn"]
    pending = iter(ids)
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            for chat_id in pending:
                form = {"chat_id": str(chat_id), "text": text, "parse_mode": "HTML"}
                async with session.post(url, data=form) as response:
                    await response.read()

        await fake.ask("mark")
        with Meter() as m:
            await asyncio.gather(*(worker() for _ in range(workers)))
    stats = await fake.ask("stats")
    return {"m": m, "sent": stats["ok"], "failed": len(ids) - stats["ok"], "total": len(ids),
            "fake": stats}


async def breakdown(n: int) -> list[tuple[str, int, Meter, dict[str, Any]]]:
    """Where a send's CPU goes: the same sendMessage through each layer, 1 and 32 at once."""
    fake = FakeProcess("none")
    ids = await fake.start(12 * n + 1)
    chunks = iter([ids[k * n:(k + 1) * n] for k in range(12)])
    text = POST["text"]["mn"]
    url = f"{fake.url}/bot{TOKEN}/sendMessage"
    post = outreach.Outgoing(broadcast_id=1, post_id=1, payload=POST)
    rows: list[tuple[str, int, Meter, dict[str, Any]]] = []
    warnings.filterwarnings("ignore", category=PTBUserWarning)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = build_app(settings_for(fake.url, Path(tmp), FAST_PER_SECOND),
                            clock=bench_clock)
            # PTB as it comes (HTTPXRequest), beside the bot's aiohttp layer.
            stock = Bot(TOKEN, base_url=f"{fake.url}/bot",
                        request=HTTPXRequest(connection_pool_size=256))
            async with running(app, poll_timeout=10), aiohttp.ClientSession() as session, \
                    httpx.AsyncClient() as client, stock:
                sender = TelegramSender(app)

                async def with_aiohttp(chat_id: int) -> None:
                    form = {"chat_id": str(chat_id), "text": text, "parse_mode": "HTML"}
                    async with session.post(url, data=form) as response:
                        await response.json()

                async def with_httpx(chat_id: int) -> None:
                    form = {"chat_id": str(chat_id), "text": text, "parse_mode": "HTML"}
                    (await client.post(url, data=form)).json()

                async def ptb_raw(chat_id: int) -> None:  # PTB warns: use send_message
                    await app.bot.do_api_request(
                        "sendMessage", {"chat_id": chat_id, "text": text, "parse_mode": "HTML"},
                        rate_limit_args=BROADCAST)

                async def ptb_httpx(chat_id: int) -> None:
                    await stock.send_message(chat_id, text, parse_mode="HTML")

                async def ptb_message(chat_id: int) -> None:
                    await app.bot.send_message(chat_id, text, parse_mode="HTML",
                                               rate_limit_args=BROADCAST)

                async def telegram_sender(chat_id: int) -> None:
                    await sender.send(outreach.Recipient(
                        subscriber_id=1, chat_id=str(chat_id), lang="mn", kind="person"), post)

                await with_aiohttp(ids[-1])  # warm: connections open, code loaded
                await with_httpx(ids[-1])
                await ptb_raw(ids[-1])
                await ptb_httpx(ids[-1])
                layers = (("bare aiohttp POST", with_aiohttp), ("bare httpx POST", with_httpx),
                          ("PTB do_api_request (no Message)", ptb_raw),
                          ("PTB send_message, PTB's HTTPXRequest", ptb_httpx),
                          ("PTB send_message, the bot's AiohttpRequest", ptb_message),
                          ("TelegramSender.send", telegram_sender))
                for workers in (1, BATCH):
                    for label, send in layers:
                        pending = iter(next(chunks))

                        async def pump(send: Any = send, pending: Any = pending) -> None:
                            for chat_id in pending:
                                await send(chat_id)

                        await fake.ask("mark")
                        with Meter() as m:
                            await asyncio.gather(*(pump() for _ in range(workers)))
                        rows.append((label, workers, m, await fake.ask("stats")))
    finally:
        await fake.stop()
    return rows


# -- the runs -------------------------------------------------------------------------------
async def run_fast(n: int, profile: bool) -> dict[str, Any]:
    fake = FakeProcess("none")
    ids = await fake.start(2 * n)
    prof = cProfile.Profile() if profile else None
    try:
        result = await ours(fake, ids[:n], FAST_PER_SECOND, profile=prof, extras=True)
        result["ceiling"] = await fake_ceiling(fake, ids[n:])
    finally:
        await fake.stop()
    if prof is not None:
        result["profile"] = top(prof, 25) + top(prof, 45, "cumulative")
    return result


async def run_limited(n: int, styles: list[str], paid: int) -> dict[str, Any]:
    fake = FakeProcess("default")
    await fake.start()
    results: dict[str, Any] = {}
    try:
        if n:
            results["ours"] = await ours(fake, await fake.users(n), 30.0)
            for style in styles:
                await asyncio.sleep(2)  # the fake's overall bucket fills again
                results[style] = await baseline(fake, await fake.users(n), style)
        if paid:
            await asyncio.sleep(2)
            results["paid"] = await ours(fake, await fake.users(paid), 30.0, paid=True)
    finally:
        await fake.stop()
    return results


def figures(label: str, r: dict[str, Any], fake: dict[str, Any] | None = None) -> str:
    """One line: sent, rate, CPU per send of the bot and the fake, and the others' load."""
    m: Meter = r["m"]
    sent = max(r["sent"], 1)
    text = (f"  {label:44} {r['sent']:>6}/{r['total']} sent in {m.wall:6.2f} s: "
            f"{r['sent'] / m.wall:7.1f}/s; bot CPU {1000 * m.cpu / sent:5.2f} ms/send "
            f"({100 * m.cpu / m.wall:3.0f} % of a core)")
    others = m.busy - m.cpu
    if fake is not None:
        requests = max(fake["requests"], 1)
        text += (f"; fake CPU {1000 * fake['cpu_s'] / requests:4.2f} ms/request "
                 f"({100 * fake['cpu_s'] / m.wall:3.0f} %)")
        others -= fake["cpu_s"]
    return text + f"; others {100 * max(others, 0) / m.wall:3.0f} %"


def limited_line(label: str, r: dict[str, Any], limit: float) -> str:
    f = r["fake"]
    steady = f["steady_per_s"] or 0.0
    share = 100 * f["429"] / f["requests"] if f["requests"] else 0.0
    rate = r["sent"] / r["m"].wall
    return (f"  {label:28} {r['sent']}/{r['total']} sent in {r['m'].wall:.1f} s: "
            f"{rate:.2f}/s ({100 * rate / limit:.1f} % of {limit:.0f}/s), steady "
            f"{steady:.2f}/s ({100 * steady / limit:.1f} %); {f['requests']} requests, "
            f"{f['429']} answered 429 ({share:.2f} %), {f['other_errors']} other errors; "
            f"bot CPU {1000 * r['m'].cpu / max(r['sent'], 1):.2f} ms/send; others "
            f"{100 * max(r['m'].busy - r['m'].cpu - f['cpu_s'], 0) / r['m'].wall:.0f} %")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-fake":
        asyncio.run(_serve_fake(sys.argv[2], int(sys.argv[3])))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--fast", type=int, default=20000,
                        help="subscribers for the runs without limits (0: skip them)")
    parser.add_argument("--limited", type=int, default=1200,
                        help="subscribers for each run against Telegram's limits (0: skip)")
    parser.add_argument("--baseline", default="gather,loop",
                        help="baseline styles for the limited runs: gather, loop or both")
    parser.add_argument("--paid", type=int, default=0,
                        help="subscribers for a paid broadcast against the limited fake")
    parser.add_argument("--breakdown", type=int, default=1000,
                        help="sends per layer and concurrency for the CPU breakdown (0: skip)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the fast run, the bot's and the fake's side")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    quiet_libraries()
    print(f"broadcast: `{command()}`; {machine()}; fake Bot API in a child process; "
          f"load average {os.getloadavg()[0]:.2f} at start")
    if args.fast:
        r = asyncio.run(run_fast(args.fast, args.profile))
        print(f"1a. fake without limits, pacer at {FAST_PER_SECOND:,.0f}/s, "
              f"{r['total']} subscribers:")
        print(figures("the bot (TelegramSender over PTB)", r, r["fake"]))
        print(figures("engine alone (a Sender doing nothing)", r["null"]))
        print(figures("experiment: engine + bare aiohttp", r["aiohttp"], r["aiohttp"]["fake"]))
        print(figures("the fake alone, 32 aiohttp clients", r["ceiling"], r["ceiling"]["fake"]))
        print(f"  create_broadcast of {r['total']} rows: {1000 * r['null']['create_s']:.0f} ms")
        if args.profile:
            print("  bot (main thread), by own time, then by cumulative time:\n" + r["profile"])
            print("  fake, by own time:\n" + r["fake"]["profile"])
    if args.breakdown:
        try:
            import sniffio  # noqa: F401
            has_sniffio = "installed"
        except ImportError:
            has_sniffio = "not installed"
        print(f"1e. one sendMessage through each layer (fake without limits; sniffio "
              f"{has_sniffio}):")
        for label, workers, m, fake in asyncio.run(breakdown(args.breakdown)):
            print(figures(f"{label}, {workers} at once", {
                "m": m, "sent": fake["ok"], "total": args.breakdown}, fake))
    styles = [s for s in args.baseline.split(",") if s]
    if args.limited or args.paid:
        r = asyncio.run(run_limited(args.limited, styles, args.paid))
        print("1b-d. fake with Telegram's limits (30/s overall, 1/s per chat, paid 1,000/s):")
        names = {"ours": "the bot's engine, defaults", "gather": "PTB AIORateLimiter, gather",
                 "loop": "PTB AIORateLimiter, loop", "paid": "the bot's engine, paid"}
        for key, result in r.items():
            print(limited_line(names[key], result, 1000.0 if key == "paid" else 30.0))
        for style in styles if "ours" in r else []:
            ratio = (r["ours"]["sent"] / r["ours"]["m"].wall) / (
                r[style]["sent"] / r[style]["m"].wall)
            print(f"  ours / {names[style]}: {ratio:.2f}x the rate")


if __name__ == "__main__":
    main()
