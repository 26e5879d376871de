"""The figures of a period as an XLSX workbook or CSV files, every figure traceable.

    await export(backend, first, last, "xlsx", Path("2026-h1.xlsx"), now)

Sheets, in order: the summary (every figure of `bot.core.stats.summary`, each with the
detail sheet and the rows it counts), posts (a row per broadcast), campaigns, sources,
complaints (a row per complaint: number, kind, organization, channel, dates, status,
timeliness — never content or identity), deadlines (open cases now), offline work, and
a sheet per survey answered in the period (shares, cross-tabs; cells under 5 hidden).

CSV is one file per sheet, UTF-8 with a BOM (Excel shows the Cyrillic): into a folder, or
a zip when the path ends in `.zip`.

The summary is counted through the bot's connection while the detail sheets stream from a
read-only snapshot in a worker thread: the bot keeps answering, the two run at once, and
memory stays flat however many rows there are. Channel-agnostic: no Telegram here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Literal

from bot.core import stats, surveys
from bot.core.backend import Backend
from bot.core.staff import audit, require
from bot.export.sheets import SHEETS, Builder, Cell, Names, Sheet, Span, summary_rows
from bot.export.survey_sheets import survey_sheets
from bot.i18n import DEFAULT_LANG, t
from bot.storage import export_queries as eq

__all__ = ["FORMATS", "SHEETS", "ExportError", "Names", "export", "file_name"]

FORMATS = ("xlsx", "csv")
Format = Literal["xlsx", "csv"]


class ExportError(ValueError):
    """An export that cannot be made (a period backwards, no database file …)."""


def file_name(first: dt.date, last: dt.date, fmt: str) -> str:
    """`110-2026-01-01_2026-06-30.xlsx`: what a downloaded export is called."""
    suffix = "zip" if fmt == "csv" else fmt
    return f"110-{first.isoformat()}_{last.isoformat()}.{suffix}"


async def export(
    b: Backend, first: dt.date, last: dt.date, fmt: Format, out: Path, now: dt.datetime, *,
    lang: str = DEFAULT_LANG, names: Names | None = None, staff_id: int | None = None,
) -> Path:
    """Write the period's export to `out`; returns it.

    With `staff_id` (Telegram), the person must be staff, and the export is audited; the
    command line runs as whoever holds the server, and is not.
    """
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}")
    if last < first:
        raise ExportError("the period ends before it begins")
    if b.db.path is None:
        raise ExportError("the export reads the database file; an in-memory one has none")
    if staff_id is not None:
        async with b.db.tx() as conn:
            await require(conn, staff_id, stats.STATS_ROLES)  # viewers too
            await audit(conn, staff_id, "export", now,
                        detail=f"{first.isoformat()}..{last.isoformat()} {fmt}")
    period = stats.Period(first, last)
    span = Span(period, b.settings.tz)
    library = await asyncio.to_thread(surveys.load_surveys, b.settings.content_dir)
    answered = [await surveys.results(b, s, first, last) for s in library.surveys]
    # The figures are counted on the bot's connection while the detail sheets stream from
    # the snapshot in a thread (SQLite lets both run at once); the summary is written last.
    counted: Future[Any] = Future()
    writing = asyncio.ensure_future(asyncio.to_thread(
        _write, b.db.path, span, now, lang, names or Names(), counted, fmt, out,
        survey_sheets(answered, lang)))
    try:
        summary = await stats.summary(b, period, now)
    except BaseException as exc:
        counted.set_exception(exc)
        await asyncio.wait([writing])  # the thread stops at the summary and lets the file go
        raise
    counted.set_result(summary)
    await writing
    return out


def _write(db: Path, span: Span, now: dt.datetime, lang: str, names: Names,
           counted: Future[Any], fmt: Format, out: Path, extra: Sequence[Sheet] = ()) -> None:
    """In the worker thread: one snapshot, every sheet streamed into the file."""
    from bot.export import csvs, xlsx  # openpyxl loads only when an export is made

    def summary(builder: Builder) -> Iterator[Sequence[Cell]]:
        yield from summary_rows(counted.result(), builder)  # waits here, written last

    with eq.snapshot(db) as conn:
        builder = Builder(conn, span, now, lang, names)
        sheets: list[Sheet] = [builder.sheet("summary", summary(builder)), *builder.details(),
                               *extra]
        top = preamble(span, now, lang)
        if fmt == "xlsx":
            xlsx.write(sheets, out, preamble=top)
        elif out.suffix.lower() == ".zip":
            csvs.write_zip(sheets, out, top)
        else:
            csvs.write_folder(sheets, out, top)


def preamble(span: Span, now: dt.datetime, lang: str) -> Sequence[str]:
    """The lines above the summary: what this is, the period, when it was made."""
    made = now.astimezone(span.tz).strftime("%Y.%m.%d %H:%M")
    return (t(lang, "export.title"),
            t(lang, "export.period_line", first=span.first.strftime("%Y.%m.%d"),
              last=span.last.strftime("%Y.%m.%d")),
            t(lang, "export.made", at=made, tz=str(span.tz)),
            t(lang, "export.privacy"))
