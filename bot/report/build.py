"""The report from start to end: plans read, column 5 composed, the DOCX written."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.core.backend import Backend
from bot.core.models import Role
from bot.core.plan import load_plans
from bot.core.staff import audit, require
from bot.report.compose import compose
from bot.report.model import HALF_YEAR, Report, report_key


async def make_report(b: Backend, content_dir: Path, year: int, half: int | None,
                      now: dt.datetime, lang: str = "mn") -> tuple[Report, bytes]:
    """The report and its DOCX bytes; `PlanMissing` if the year's plan is absent or broken."""
    plans = await asyncio.to_thread(load_plans, content_dir)
    report = await compose(b, plans, year, half, now, lang)
    from bot.report.writer import write_docx  # python-docx loads when a report is made

    data = await asyncio.to_thread(write_docx, report, lang, now=now)
    return report, data


def file_name(report: Report) -> str:
    """A file name staff recognise: biyelelt-2023.docx, biyelelt-2024-h1.docx."""
    return f"biyelelt-{report.year}{'-h1' if report.key == HALF_YEAR else ''}.docx"


async def make_report_for(b: Backend, staff_id: int, content_dir: Path, year: int,
                          half: int | None, now: dt.datetime) -> tuple[Report, bytes]:
    """`make_report` for a staff member (any role may read figures); the request is audited.

    The document is always in Mongolian: it is the office's report to the IAAC.
    """
    async with b.db.tx() as conn:
        await require(conn, staff_id, frozenset(Role))
        await audit(conn, staff_id, "report.made", now, detail=f"{year}/{report_key(half)}")
    return await make_report(b, content_dir, year, half, now)
