"""Sheets into an XLSX workbook, in openpyxl's write-only mode: rows stream to disk.

Write-only mode keeps no cell in memory after it is written, so a sheet of any length costs
the same few megabytes. Dates are real dates (Excel sorts and filters them), times are the
office's wall-clock time, and each sheet's header row is bold and frozen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.export.sheets import WIDTHS, Cell, Sheet

TIME_FORMAT = "yyyy-mm-dd hh:mm"
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def write(sheets: Sequence[Sheet], out: Path | IO[bytes], *, preamble: Sequence[str] = ()
          ) -> None:
    """Write the sheets in this order; `preamble` lines go above the first sheet's header.

    The first sheet (the summary) is filled last: its rows may wait for figures still
    being counted while the others stream (write-only sheets are separate streams, joined
    when the book is saved).
    """
    book = Workbook(write_only=True)
    pages: list[Any] = []
    for index, sheet in enumerate(sheets):
        ws: Any = book.create_sheet(title=_title(sheet.title))
        widths = WIDTHS.get(sheet.key, ())
        for column, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(column)].width = width
        ws.freeze_panes = f"A{len(preamble) + 2 if index == 0 else 2}"
        pages.append(ws)
    for index in [*range(1, len(sheets)), 0][:len(sheets)]:
        ws, sheet = pages[index], sheets[index]
        for line in preamble if index == 0 else ():
            ws.append([_styled(ws, line, _BOLD)])
        ws.append([_styled(ws, name, _BOLD, _WRAP) for name in sheet.header])
        for row in sheet.rows:
            ws.append([_cell(ws, value) for value in row])
    book.save(out)


def _title(name: str) -> str:
    """Excel's rules for sheet names: at most 31 characters, none of []:*?/ or a backslash."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()
    return cleaned[:31] or "Sheet"


def _styled(ws: Any, value: str, font: Font, alignment: Alignment | None = None) -> Any:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _cell(ws: Any, value: Cell) -> Any:
    """Values as they are (openpyxl formats dates yyyy-mm-dd); times of day as hh:mm.

    openpyxl's own format for a time shows seconds, which the bot never keeps.
    """
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = TIME_FORMAT
        return cell
    return value
