"""When the staff group is reminded of a report: 14, 7 and 1 days before each deadline.

The half-year report goes to the IAAC by June 10, the year-end report by December 10. On
each reminder day the staff group is reminded once, from REMIND_HOUR local time (after the
09:00 digest); the day is recorded in the database, so a restart does not remind again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.backend import Backend
from bot.report.model import HALF_YEAR, YEAR_END
from bot.storage import queries as q

DEADLINES = ((6, 10, HALF_YEAR), (12, 10, YEAR_END))  # (month, day, report)
LEAD_DAYS = (14, 7, 1)
REMIND_HOUR = 10
_LAST = "report_reminder_last_day"


@dataclass(frozen=True)
class Reminder:
    """A reminder due today: which report, its deadline, how many days are left."""

    today: dt.date
    year: int
    key: int  # HALF_YEAR or YEAR_END
    deadline: dt.date
    days_left: int


def reminder_on(today: dt.date) -> Reminder | None:
    """The reminder of `today` (a local date), if it is a reminder day."""
    for month, day, key in DEADLINES:
        deadline = dt.date(today.year, month, day)
        left = (deadline - today).days
        if left in LEAD_DAYS:
            return Reminder(today=today, year=today.year, key=key, deadline=deadline,
                            days_left=left)
    return None


def due(now: dt.datetime, tz: ZoneInfo) -> Reminder | None:
    """The reminder to send now: on a reminder day, from REMIND_HOUR local time."""
    local = now.astimezone(tz)
    if local.hour < REMIND_HOUR:
        return None
    return reminder_on(local.date())


async def claim(b: Backend, reminder: Reminder) -> bool:
    """Mark the reminder's day as done; False if it was done already (by this or a past run)."""
    day = reminder.today.isoformat().encode()
    async with b.db.tx() as conn:
        if await q.get_meta(conn, _LAST) == day:
            return False
        await q.set_meta(conn, _LAST, day)
    return True
