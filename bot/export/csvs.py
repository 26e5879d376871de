"""Sheets as CSV files: one file per sheet, in a folder or a zip.

Each file is UTF-8 with a byte-order mark, which is how Excel recognises UTF-8 and shows
Cyrillic (Өө, Үү) instead of mojibake; separated by commas, quoted where needed, with
CRLF line ends as RFC 4180 says. Dates are ISO (2026-12-01), times local (2026-12-01 10:00).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.export.sheets import Cell, Sheet

BOM = "\ufeff"


def lines(sheet: Sheet, preamble: Sequence[str] = ()) -> Iterator[str]:
    """The file's text, a line at a time (the first starts with the BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    for line in preamble:
        writer.writerow([line])
    writer.writerow(sheet.header)
    yield BOM + take()
    for row in sheet.rows:
        writer.writerow([_text(v) for v in row])
        yield take()


def _text(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_folder(sheets: Sequence[Sheet], folder: Path, preamble: Sequence[str] = ()
                 ) -> list[Path]:
    """Write `<folder>/<sheet>.csv` for every sheet; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in _last_first(sheets):
        sheet = sheets[index]
        path = folder / f"{sheet.key}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            for text in lines(sheet, preamble if index == 0 else ()):
                out.write(text)
        written.append(path)
    return written


def _last_first(sheets: Sequence[Sheet]) -> list[int]:
    """The order to write in: the first sheet (the summary, which may wait) last."""
    return [*range(1, len(sheets)), 0][:len(sheets)]


def write_zip(sheets: Sequence[Sheet], path: Path, preamble: Sequence[str] = ()) -> list[str]:
    """Write a zip holding `<sheet>.csv` for every sheet; returns the names inside."""
    names = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in _last_first(sheets):
            sheet = sheets[index]
            name = f"{sheet.key}.csv"
            with archive.open(name, "w") as member:
                for text in lines(sheet, preamble if index == 0 else ()):
                    member.write(text.encode("utf-8"))
            names.append(name)
    return names
