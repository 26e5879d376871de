"""Offline work staff record against a plan measure, and their notes for the report.

The bot sees messages, not trainings, handouts, radio spots or LED screens; staff enter
those (in Telegram, or a CSV file), and they count in statistics and the report like
everything the bot measured itself — labelled as entered by staff.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

import aiosqlite

from bot.core.backend import Backend, record_event
from bot.core.staff import POST_ROLES, audit, require
from bot.storage import offline_queries as oq

KINDS = ("training", "handout", "radio", "tv", "led", "board", "event", "meeting", "other")
MEASURE = re.compile(r"^\d{1,2}(\.\d{1,2}){0,3}$")
TITLE_LIMIT = 200
NOTE_LIMIT = 2000
CSV_COLUMNS = ("date", "measure", "kind", "title", "times", "people", "place", "note")


class ActivityError(ValueError):
    """An entry that cannot be recorded; `field` names what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class Activity:
    """One piece of offline work."""

    happened_on: dt.date
    measure: str
    kind: str
    title: str
    times: int = 1
    people: int | None = None
    place: str | None = None
    note: str | None = None
    id: int | None = None
    source: str = "telegram"

    def check(self, today: dt.date) -> None:
        """Raise `ActivityError` for a field that is wrong."""
        if not MEASURE.match(self.measure):
            raise ActivityError("measure", "a plan measure number like 1.1 or 2.3")
        if self.kind not in KINDS:
            raise ActivityError("kind", f"one of {', '.join(KINDS)}")
        if not self.title.strip() or len(self.title) > TITLE_LIMIT:
            raise ActivityError("title", f"1 to {TITLE_LIMIT} characters")
        if self.times < 1:
            raise ActivityError("times", "at least 1")
        if self.people is not None and self.people < 0:
            raise ActivityError("people", "not negative")
        if self.happened_on > today:
            raise ActivityError("date", "in the future")
        if self.note is not None and len(self.note) > NOTE_LIMIT:
            raise ActivityError("note", f"at most {NOTE_LIMIT} characters")


async def record(b: Backend, staff_id: int, activity: Activity, now: dt.datetime) -> int:
    """Store an entry (staff with the right to post only); returns its id."""
    activity.check(b.local_date(now))
    async with b.db.tx() as conn:
        await require(conn, staff_id, POST_ROLES)
        activity_id = await _insert(conn, activity, staff_id, now)
        await audit(conn, staff_id, "offline_recorded", now, detail=str(activity_id))
    await record_event(b, "offline_recorded", now, kind=activity.kind, measure=activity.measure,
                       source=activity.source)
    return activity_id


async def _insert(conn: aiosqlite.Connection, activity: Activity, staff_id: int,
                  now: dt.datetime) -> int:
    return await oq.insert_activity(
        conn,
        happened_on=activity.happened_on.isoformat(), measure=activity.measure,
        kind=activity.kind, title=activity.title.strip(), times=activity.times,
        people=activity.people, place=activity.place, note=activity.note,
        source=activity.source, created_by=staff_id, created_at=now.isoformat(),
    )


async def withdraw(b: Backend, staff_id: int, activity_id: int, now: dt.datetime) -> bool:
    """Withdraw an entry made by mistake (it stays in the database, marked)."""
    async with b.db.tx() as conn:
        await require(conn, staff_id, POST_ROLES)
        done = await oq.withdraw_activity(conn, activity_id, now.isoformat())
        if done:
            await audit(conn, staff_id, "offline_withdrawn", now, detail=str(activity_id))
    return done


async def between(b: Backend, first: dt.date, last: dt.date, measure: str | None = None
                  ) -> list[Activity]:
    """Entries in force between two local dates (inclusive)."""
    async with b.db.read() as conn:
        rows = await oq.activities(conn, first.isoformat(), last.isoformat(), measure)
    return [Activity(happened_on=dt.date.fromisoformat(r["happened_on"]), measure=r["measure"],
                     kind=r["kind"], title=r["title"], times=int(r["times"]),
                     people=None if r["people"] is None else int(r["people"]),
                     place=r["place"], note=r["note"], id=int(r["id"]), source=r["source"])
            for r in rows]


@dataclass(frozen=True)
class ImportResult:
    """What a CSV import did: rows added, and every row refused with its reason."""

    added: int
    problems: tuple[tuple[int, str, str], ...]  # (line, field, reason)


def parse_csv(text: str, today: dt.date) -> tuple[list[Activity], list[tuple[int, str, str]]]:
    """Rows of a CSV file (header: date,measure,kind,title,times,people,place,note).

    Dates are YYYY-MM-DD; `times` defaults to 1, `people`, `place` and `note` may be
    empty. A semicolon-separated file (as spreadsheets in Mongolian locales save) works too.
    """
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    header = reader.fieldnames or []
    missing = [c for c in ("date", "measure", "kind", "title") if c not in header]
    if missing:
        return [], [(1, ",".join(missing), "missing column")]
    good: list[Activity] = []
    problems: list[tuple[int, str, str]] = []
    for line, row in enumerate(reader, start=2):
        try:
            activity = Activity(
                happened_on=_date(row.get("date", "")),
                measure=(row.get("measure") or "").strip(),
                kind=(row.get("kind") or "").strip().lower(),
                title=(row.get("title") or "").strip(),
                times=_number(row.get("times"), "times", 1) or 1,
                people=_number(row.get("people"), "people", None),
                place=(row.get("place") or "").strip() or None,
                note=(row.get("note") or "").strip() or None, source="import")
            activity.check(today)
        except ActivityError as exc:
            problems.append((line, exc.field, exc.reason))
            continue
        good.append(activity)
    return good, problems


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ActivityError("date", f"{raw!r} is not a date like 2024-03-15") from None


def _number(raw: str | None, field: str, default: int | None) -> int | None:
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw.strip().replace(" ", "").replace(",", ""))
    except ValueError:
        raise ActivityError(field, f"{raw!r} is not a whole number") from None


async def import_csv(b: Backend, staff_id: int, text: str, now: dt.datetime) -> ImportResult:
    """Add every good row of a CSV file in one transaction; report the others."""
    good, problems = parse_csv(text, b.local_date(now))
    async with b.db.tx() as conn:
        await require(conn, staff_id, POST_ROLES)
        for activity in good:
            await _insert(conn, activity, staff_id, now)
        if good:
            await audit(conn, staff_id, "offline_imported", now, detail=str(len(good)))
    for activity in good:
        await record_event(b, "offline_recorded", now, kind=activity.kind,
                           measure=activity.measure, source="import")
    return ImportResult(added=len(good), problems=tuple(problems))


# -- notes for the report --------------------------------------------------------------
@dataclass(frozen=True)
class Note:
    """Staff's words for a measure in one report, and the implementation percent they set."""

    text: str
    percent: int | None


async def set_note(b: Backend, staff_id: int, year: int, half: int, measure: str, text: str,
                   now: dt.datetime, percent: int | None = None) -> None:
    """Staff's own words for a measure in a report (half 0 is the year-end report)."""
    if half not in (0, 1, 2) or not MEASURE.match(measure):
        raise ActivityError("measure", "a plan measure number like 1.1")
    if percent is not None and not 0 <= percent <= 100:
        raise ActivityError("percent", "0 to 100")
    if len(text) > NOTE_LIMIT:
        raise ActivityError("note", f"at most {NOTE_LIMIT} characters")
    async with b.db.tx() as conn:
        await require(conn, staff_id, POST_ROLES)
        await oq.put_note(conn, year, half, measure, text.strip(), percent, staff_id,
                          now.isoformat())
        await audit(conn, staff_id, "report_note", now, detail=f"{year}/{half}/{measure}")


async def notes(b: Backend, year: int, half: int) -> dict[str, Note]:
    """Notes by measure for one report."""
    async with b.db.read() as conn:
        return {str(r["measure"]): Note(str(r["text"]), r["percent"])
                for r in await oq.notes(conn, year, half)}


# -- for the adapters: a file as staff send it, and the measures they used last ------------
CSV_MAX_BYTES = 512 * 1024  # thousands of rows; a bigger file is not a list of activities


def decode_csv(data: bytes) -> str:
    """A CSV file's text: UTF-8, with or without the BOM Excel writes ("CSV UTF-8").

    Raises `ActivityError` with field "size" for a file over `CSV_MAX_BYTES`, "encoding" for
    anything but UTF-8: guessing a legacy code page would turn Mongolian letters (Өө, Үү,
    which no Cyrillic code page of Windows has) into junk.
    """
    if len(data) > CSV_MAX_BYTES:
        raise ActivityError("size", f"larger than {CSV_MAX_BYTES // 1024} KB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ActivityError("encoding", "not UTF-8 text (save it as CSV UTF-8)") from None


async def recent_measures(b: Backend, limit: int = 6) -> list[str]:
    """Measures of the latest entries, newest first: offered as buttons in the next /log."""
    async with b.db.read() as conn:
        return await oq.recent_measures(conn, limit)
