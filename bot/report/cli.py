"""`python -m bot report --year Y [--half 1|2] --out PATH.docx`: the report from the command line.

Reads the database in BOT_DATA_DIR (as the bot does; a fresh folder gives an empty one)
and the plan in BOT_CONTENT_DIR/plan. `--half 1` is the half-year report (January–June),
`--half 2` or none the year-end report (the whole year).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from bot.report.model import Report


def add_commands(commands: Any) -> None:
    """Add `report` to the `python -m bot` sub-commands."""
    report = commands.add_parser(
        "report", help="the plan implementation report (DOCX) for a year or its first half")
    report.add_argument("--year", type=int, required=True, help="the plan's year, e.g. 2024")
    report.add_argument("--half", type=int, choices=(1, 2), default=None,
                        help="1: the half-year report (Jan–Jun); 2 or none: the year-end one")
    report.add_argument("--out", type=Path, required=True, help="where to write the .docx")


def run(args: argparse.Namespace) -> int | None:
    """Run `report` if it was asked for (None otherwise)."""
    if args.command != "report":
        return None
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    made = asyncio.run(_report(settings, args.year, args.half))
    if made is None:
        return 1
    report, data = made
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    rows = report.rows
    blank = sum(r.percent is None for r in rows)
    print(f"{out}: {len(report.goals)} goals, {len(rows)} measures "
          f"({sum(r.measured for r in rows)} with the bot's figures, "
          f"{sum(r.noted for r in rows)} with staff's notes, {blank} percent blank); "
          f"figures for {report.first.isoformat()} to {report.last.isoformat()}")
    return 0


async def _report(settings: Settings, year: int, half: int | None
                  ) -> tuple[Report, bytes] | None:
    """The report and its bytes, or None (and the reason on stderr)."""
    from bot.core.backend import open_backend
    from bot.core.plan import load_plans
    from bot.report.build import make_report
    from bot.report.compose import PlanMissing

    # The plan first: a missing or broken one is told before any database is opened.
    plans = load_plans(settings.content_dir)
    if year not in plans.plans:
        where = settings.content_dir / "plan" / f"{year}.yaml"
        print(f"no usable plan for {year} ({where})", file=sys.stderr)
        for error in plans.errors_for(year):
            print(f"  {error}", file=sys.stderr)
        return None
    now = dt.datetime.now(dt.UTC)
    backend = await open_backend(settings, now)
    try:
        report, data = await make_report(backend, settings.content_dir, year, half, now)
    except PlanMissing as exc:  # the file changed in between
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return None
    finally:
        await backend.close()
    return report, data
