"""The export at scale: a year with 1,000,000 reach events and 10,000 complaints.

    .venv/bin/python bench/export.py [--reach 1000000] [--complaints 10000] [--data DIR]

Seeds a database on the migrated schema (`open_backend` makes it: migrations, key), then
fills it with direct SQL in one transaction per table (`executemany` over generators, so
seeding itself stays small): for the year 2023 (the year the shipped plan in
content/plan is for), 50,000 subscribers, 200 broadcasts of 5,000 deliveries each
(1,000,000 outbox rows, 1 % failed, 0.5 % skipped), `--reach` reach events (useful
presses, shares, pledges and source arrivals, each an `events` row and its `reach_marks`
row, as `reach.mark` makes them), `--complaints` complaints over the year (70 % answered,
10 % extended), 50 sources, 20 channel posts and 1,000 offline entries.

Then it measures, each in a fresh child process so one's memory does not count in another:

1. the XLSX export of the year (`bot.export.export`, what `/export` and
   `python -m bot export` run): wall time, and peak memory as the child's `ru_maxrss`
   (resident set: Python, SQLite's page cache, openpyxl, everything) with the resident
   size just before the export for comparison;
2. the same with `tracemalloc` on: the peak of Python's own allocations during the export
   (tracemalloc slows it, so its time is not the one reported);
3. the CSV export (a zip of one file per sheet);
4. the DOCX implementation report for 2023 (`bot.report.build.make_report`), if the
   report package is there.

Target (issue 4): the XLSX export in at most 10 s and 300 MB.

`--data DIR` keeps the database; `--child xlsx DIR` (also tracemalloc, csv, docx) is the child
process, and measures one export on a kept database again.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.core.backend import open_backend  # noqa: E402
from bot.core.orgs import OrgDirectory  # noqa: E402

YEAR = 2023
NOW = dt.datetime(YEAR, 12, 5, 2, 0, tzinfo=dt.UTC)  # 10:00 in Ulaanbaatar, before Dec 10
TZ_OFFSET = dt.timedelta(hours=8)
SUBSCRIBERS = 50_000
BROADCASTS = 200
PER_BROADCAST = 5_000
KINDS = ("news", "poster", "infographic", "video", "handbook", "article")
CAMPAIGNS = ("negdye", "honest-leader", "justice-110", None)
MEASURES = ("1.1", "1.2", "1.3", "1.4", "6.1", "6.5")
OFFLINE_KINDS = ("training", "handout", "radio", "tv", "led", "board", "event", "meeting")


def _day(n: int) -> dt.date:
    return dt.date(YEAR, 1, 1) + dt.timedelta(days=n % 365)


def _moment(day: dt.date, hour: int) -> str:
    local = dt.datetime.combine(day, dt.time(hour))
    return (local - TZ_OFFSET).replace(tzinfo=dt.UTC).isoformat()


def seed(data: Path, reach: int, complaints: int) -> dict[str, float]:
    """The database; returns seconds per table."""
    settings = Settings(data_dir=data)
    backend = asyncio.run(open_backend(settings, NOW))
    asyncio.run(backend.close())
    orgs = [o.code for g in OrgDirectory(settings.content_dir / "organizations.yaml").groups
            for o in g.items]
    rng = random.Random(110)
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")  # seeding only; the bot runs with FULL
    took: dict[str, float] = {}

    def table(name: str, sql: str, rows: Iterator[tuple[object, ...]]) -> None:
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        took[name] = time.perf_counter() - started

    table("subscribers", "INSERT INTO subscribers (key, chat, lang, status, joined_on, kind)"
          " VALUES (?, ?, 'mn', ?, ?, 'person')",
          ((secrets.token_bytes(32), secrets.token_bytes(40),
            "active" if i % 20 else "stopped", _day(i).isoformat())
           for i in range(SUBSCRIBERS)))
    table("posts", "INSERT INTO posts (payload, created_by, created_at, kind, campaign, measure,"
          " title) VALUES (?, 1, ?, ?, ?, ?, ?)",
          ((json.dumps({"text": {"mn": f"Нийтлэл {i}"}}), _moment(_day(i * 365 // BROADCASTS), 9),
            KINDS[i % len(KINDS)], CAMPAIGNS[i % len(CAMPAIGNS)], MEASURES[i % len(MEASURES)],
            f"Нийтлэл №{i + 1}: авлигын эсрэг") for i in range(BROADCASTS)))
    table("broadcasts", "INSERT INTO broadcasts (post_id, status, total, created_at, started_at,"
          " finished_at) VALUES (?, 'done', ?, ?, ?, ?)",
          ((i + 1, PER_BROADCAST, _moment(_day(i * 365 // BROADCASTS), 9),
            _moment(_day(i * 365 // BROADCASTS), 10), _moment(_day(i * 365 // BROADCASTS), 11))
           for i in range(BROADCASTS)))

    def deliveries() -> Iterator[tuple[object, ...]]:
        for b in range(BROADCASTS):
            first = b * 997 % (SUBSCRIBERS - PER_BROADCAST)
            for s in range(first + 1, first + PER_BROADCAST + 1):
                roll = rng.random()
                if roll < 0.01:
                    yield b + 1, s, "failed", 3, None, "Forbidden: bot was blocked by the user"
                elif roll < 0.015:
                    yield b + 1, s, "skipped", 0, None, "cancelled"
                else:
                    yield b + 1, s, "sent", 1, s, None

    table("outbox", "INSERT INTO outbox (broadcast_id, subscriber_id, status, attempts,"
          " message_id, error) VALUES (?, ?, ?, ?, ?, ?)", deliveries())
    codes = [f"s{i:07d}" for i in range(50)]
    table("sources", "INSERT INTO sources (code, name, created_by, created_at) VALUES (?, ?, 1, ?)",
          ((c, f"Зурагт хуудас {i + 1}", _moment(_day(i), 9)) for i, c in enumerate(codes)))

    def reach_rows() -> Iterator[tuple[object, ...]]:
        for i in range(reach):
            roll = i % 10
            day = _day(i * 365 // reach)
            if roll < 5:
                what, scope = "useful", str(i % BROADCASTS + 1)
            elif roll < 7:
                what, scope = "share", str(i % BROADCASTS + 1)
            elif roll < 9:
                what, scope = "pledge", str(CAMPAIGNS[i % 3])
            else:
                what, scope = "source", codes[i % len(codes)]
            yield what, scope, secrets.token_bytes(16), day.isoformat()

    def events_of(rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
        for what, scope, _key, day in rows:
            yield (_moment(dt.date.fromisoformat(str(day)), 10), day, what,
                   json.dumps({"scope": scope}))

    table("reach_marks", "INSERT INTO reach_marks (what, scope, key, day) VALUES (?, ?, ?, ?)",
          reach_rows())
    table("events (reach)", "INSERT INTO events (at, day, name, dims) VALUES (?, ?, ?, ?)",
          events_of(reach_rows()))
    table("events (audience)", "INSERT INTO events (at, day, name, dims) VALUES (?, ?, ?, ?)",
          ((_moment(_day(i), 10), _day(i).isoformat(),
            ("subscriber_joined", "subscriber_left", "start")[i % 3],
            json.dumps({"reason": "stopped"} if i % 3 == 1 else {}))
           for i in range(60_000)))

    def complaint_rows() -> Iterator[tuple[object, ...]]:
        for i in range(complaints):
            received = _day(i * 365 // complaints)
            extended = i % 10 == 0
            due = received + dt.timedelta(days=60 if extended else 30)
            answered = received + dt.timedelta(days=rng.randint(1, 50)) if i % 10 < 7 else None
            if answered is not None and answered > NOW.date():
                answered = None
            status = "answered" if answered else ("in_review" if i % 2 else "received")
            yield (secrets.token_bytes(32), ("complaint", "suggestion", "report")[i % 3],
                   None if i % 7 == 0 else orgs[i % len(orgs)], secrets.token_bytes(300),
                   status, received.isoformat(), due.isoformat(), int(extended),
                   secrets.token_bytes(60) if extended else None,
                   answered.isoformat() if answered else None)

    table("complaints", "INSERT INTO complaints (receipt_hash, kind, org_code, body, status,"
          " received_on, due_on, extended, extension_reason, answered_on)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", complaint_rows())
    table("chats", "INSERT INTO chats (tg_chat, kind, title, status, is_admin, added_at)"
          " VALUES (?, 'channel', ?, 'active', 1, ?)",
          ((-1001000000000 - i, f"Суваг {i}", _moment(_day(0), 9)) for i in range(4)))
    table("channel_posts", "INSERT INTO channel_posts (broadcast_id, chat_id, message_id,"
          " members, reactions) VALUES (?, ?, ?, ?, ?)",
          ((b * 10 + 1, c + 1, b * 10 + c + 1, 1500 + 100 * c, 12 + c)
           for b in range(5) for c in range(4)))
    table("offline", "INSERT INTO offline_activities (happened_on, measure, kind, title, times,"
          " people, place, source, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
          ((_day(i * 365 // 1000).isoformat(), MEASURES[i % len(MEASURES)],
            OFFLINE_KINDS[i % len(OFFLINE_KINDS)], f"Сургалт, арга хэмжээ №{i + 1}",
            1 + i % 90, None if i % 4 == 0 else 10 + i % 300, "Баянхонгор",
            "import" if i % 2 else "telegram", _moment(_day(i), 9)) for i in range(1000)))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    return took


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def child(kind: str, data: Path) -> None:
    """One measurement in this fresh process; prints a JSON line."""
    from bot.export import export
    from bot.export.cli import names_for

    settings = Settings(data_dir=data)

    async def run() -> dict[str, float | int | str]:
        backend = await open_backend(settings, NOW)
        first, last = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
        try:
            before = _rss_mb()
            if kind == "tracemalloc":
                tracemalloc.start()
            started, cpu = time.perf_counter(), _cpu()
            if kind == "docx":
                from bot.report.build import make_report

                _, docx = await make_report(backend, settings.content_dir, YEAR, None, NOW)
                out = data / "report.docx"
                out.write_bytes(docx)
            else:
                out = data / ("export.zip" if kind == "csv" else "export.xlsx")
                await export(backend, first, last, "csv" if kind == "csv" else "xlsx", out,
                             NOW, names=names_for(settings))
            seconds = time.perf_counter() - started
            result: dict[str, float | int | str] = {
                "seconds": seconds, "cpu_seconds": _cpu() - cpu, "rss_before_mb": before,
                "peak_rss_mb": _rss_mb(), "bytes": out.stat().st_size}
            if kind == "tracemalloc":
                result["python_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            return result
        finally:
            await backend.close()

    print(json.dumps(asyncio.run(run())))


def measure(kind: str, data: Path) -> dict[str, float]:
    """Run one child and read its figures."""
    done = subprocess.run([sys.executable, __file__, "--child", kind, str(data)], check=True,  # noqa: S603 (ourselves)
                          capture_output=True, text=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _figures(m: dict[str, float]) -> str:
    return (f"{m['seconds']:.2f} s (CPU {m['cpu_seconds']:.2f} s), peak RSS"
            f" {m['peak_rss_mb']:.0f} MB")


def _counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 (ours)
                for t in ("outbox", "events", "reach_marks", "complaints", "subscribers",
                          "offline_activities")}
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reach", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=None, help="keep the database here")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    command = "    .venv/bin/python bench/export.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        data = args.data or Path(tmp) / "data"
        started = time.perf_counter()
        took = seed(data, args.reach, args.complaints)
        seeded = time.perf_counter() - started
        db = data / "bot.sqlite3"
        today = dt.datetime.now(dt.UTC).date().isoformat()
        print(f"{command.strip()}  ({today}, {platform.machine()},"
              f" {os.cpu_count()} cores, Python {platform.python_version()})")
        print(f"seeded in {seeded:.1f} s: {_counts(db)}; database {db.stat().st_size / 2**20:.0f}"
              f" MB; by table: " + ", ".join(f"{k} {v:.1f} s" for k, v in took.items()))
        xlsx = measure("xlsx", data)
        traced = measure("tracemalloc", data)
        csvs = measure("csv", data)
        print(f"XLSX export: {_figures(xlsx)} (before the export {xlsx['rss_before_mb']:.0f}"
              f" MB), Python heap peak {traced['python_peak_mb']:.1f} MB (tracemalloc), file"
              f" {xlsx['bytes'] / 2**20:.2f} MB")
        print(f"CSV export (zip): {_figures(csvs)}, file {csvs['bytes'] / 2**20:.2f} MB")
        try:
            docx = measure("docx", data)
        except subprocess.CalledProcessError as exc:
            print(f"DOCX report: not measured ({exc.stderr.strip().splitlines()[-1]})")
        else:
            print(f"DOCX report: {_figures(docx)} (before {docx['rss_before_mb']:.0f} MB),"
                  f" file {docx['bytes'] / 2**10:.0f} KB")
        ok = xlsx["seconds"] <= 10 and xlsx["peak_rss_mb"] <= 300
        load = os.getloadavg()[0]
        print(f"target (≤ 10 s, ≤ 300 MB): {'met' if ok else 'NOT met'}; load average"
              f" {load:.1f} on {os.cpu_count()} cores at the end (the machine is shared)")


if __name__ == "__main__":
    main()
