"""Numbers and dates as Mongolian official documents write them (and English, second).

- Numbers group thousands with a no-break space: 1 250, 75 300 (English: 1,250).
- A number taking the accusative gets the suffix its spoken last word wants: 12-ыг
  (арван хоёр), 11-ийг (арван нэг), 7-г (долоо), 20-ийг (хорь), 100-г (зуу).
- Dates: "2023 оны 12 дугаар сарын 07", the ordinal suffix by the month's spoken number:
  1, 4, 9, 11 take дүгээр (нэг, дөрөв, ес, арван нэг), the others дугаар.
"""

from __future__ import annotations

import datetime as dt

from bot.i18n import t

NBSP = "\u00a0"

# The accusative suffix after a numeral, by how the number's last word sounds.
_ACC_UNITS = {1: "ийг", 2: "ыг", 3: "ыг", 4: "ийг", 5: "ыг", 6: "г", 7: "г", 8: "ыг", 9: "ийг"}
_ACC_TENS = {1: "ыг", 2: "ийг", 3: "ийг", 4: "ийг", 5: "ийг", 6: "ыг", 7: "ыг", 8: "г",
             9: "ийг"}


def number(lang: str, n: int | float) -> str:
    """A count as written in running text: 1 250 (mn), 1,250 (en); 91.7 for a share."""
    if isinstance(n, float) and not n.is_integer():
        return f"{n:.1f}"
    grouped = f"{int(n):,}"
    return grouped.replace(",", NBSP) if lang == "mn" else grouped


def accusative_suffix(n: int) -> str:
    """The accusative suffix a numeral takes in Mongolian (12 → ыг, 7 → г, 20 → ийг)."""
    n = abs(n)
    if n == 0:
        return "ийг"  # тэг
    if n % 10:
        return _ACC_UNITS[n % 10]
    if n % 100:
        return _ACC_TENS[n % 100 // 10]
    if n % 1000:
        return "г"  # зуу
    return "ыг"  # мянга, сая, тэрбум


def accusative(lang: str, n: int) -> str:
    """A number in the accusative: 12-ыг (mn); English has no case: 12."""
    if lang != "mn":
        return number(lang, n)
    return f"{number(lang, n)}-{accusative_suffix(n)}"


def percent(n: float) -> str:
    """A percent as in the reference document: 100, 91.7."""
    return f"{n:.0f}" if float(n).is_integer() else f"{n:.1f}"


def document_date(lang: str, day: dt.date) -> str:
    """The date under a report's title: "2023 оны 12 дугаар сарын 07"."""
    return t(lang, "report.docx.date", year=day.year, day=f"{day.day:02d}",
             month=t(lang, f"report.month.m{day.month}"))
