"""What a report holds, ready to be written: plain data, no figures left to compute."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bot.core.plan import Goal, Measure, Signer

YEAR_END, HALF_YEAR = 0, 1  # the report's key, as staff's notes are stored


def report_key(half: int | None) -> int:
    """The report a `--half` means: 1 the half-year report, 2 or none the year-end one."""
    if half in (None, 0, 2):
        return YEAR_END
    if half == 1:
        return HALF_YEAR
    raise ValueError(f"half is 1 or 2, not {half}")


@dataclass(frozen=True)
class Row:
    """One measure's row: what column 5 says and the implementation percent."""

    measure: Measure
    paragraphs: tuple[str, ...]  # column 5, before "Хэрэгжилт N%"
    percent: int | None  # None: a blank for staff to fill
    percent_from: Literal["staff", "targets"] | None = None
    measured: bool = False  # a figure the bot measured or staff entered is in the text
    noted: bool = False  # staff's own words are in the text


@dataclass(frozen=True)
class GoalRows:
    """A goal and the rows of its measures (the goal's cells span them)."""

    goal: Goal
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Report:
    """A whole implementation report."""

    year: int
    key: int  # YEAR_END or HALF_YEAR
    title: str
    made_on: dt.date  # the date printed under the title
    place: str
    goals: tuple[GoalRows, ...]
    signers: tuple[Signer, ...]
    first: dt.date  # the period the figures cover
    last: dt.date

    @property
    def rows(self) -> tuple[Row, ...]:
        """Every measure's row, in order."""
        return tuple(r for g in self.goals for r in g.rows)
