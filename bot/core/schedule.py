"""When posts go out: one-off and weekly schedules, quiet hours, and missed runs.

The database is the source of truth. `due` works out, from the schedules and the runs
already recorded, which occurrences are due now; `fire` records a run and its broadcast in
one transaction, so an occurrence is sent once even if two processes, or a restart, race.
An occurrence missed while the bot was down is still sent within the grace period, and
recorded as missed (staff are told) after it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.core.backend import Backend, record_event
from bot.core.posts import PostMeta, check_payload, store_post
from bot.core.staff import POST_ROLES, require
from bot.storage import queries as q

GRACE = dt.timedelta(hours=2)
QUIET = (dt.time(22, 0), dt.time(8, 0))  # local: no posts to subscribers in between


class ScheduleError(ValueError):
    """A schedule that cannot be kept (in the past, no days, end before start …)."""


@dataclass(frozen=True)
class Weekly:
    """Days of the week and times of day, local, from one date to another."""

    days: tuple[int, ...]  # 0 = Monday
    times: tuple[dt.time, ...]
    start_on: dt.date
    end_on: dt.date


@dataclass(frozen=True)
class Due:
    """An occurrence to send now, or to record as missed."""

    schedule_id: int
    post_id: int
    due_at: dt.datetime
    missed: bool


def out_of_quiet(when: dt.datetime, tz: ZoneInfo,
                 quiet: tuple[dt.time, dt.time] | None = QUIET) -> dt.datetime:
    """The same moment, or the end of quiet hours if it falls inside them (None: no quiet)."""
    if quiet is None:
        return when
    local = when.astimezone(tz)
    start, end = quiet
    t = local.timetz().replace(tzinfo=None)
    over_midnight = end < start
    inside = (start <= t or t < end) if over_midnight else (start <= t < end)
    if not inside:
        return when
    day = local.date() + (dt.timedelta(days=1) if over_midnight and t >= start
                          else dt.timedelta())
    return dt.datetime.combine(day, end, tz).astimezone(dt.UTC)


def occurrences(rule: Weekly, tz: ZoneInfo, after: dt.datetime, until: dt.datetime
                ) -> Iterator[dt.datetime]:
    """Weekly occurrences in (after, until], in UTC, in order."""
    day = max(rule.start_on, after.astimezone(tz).date())
    last = min(rule.end_on, until.astimezone(tz).date())
    while day <= last:
        if day.weekday() in rule.days:
            for time_of_day in sorted(rule.times):
                moment = dt.datetime.combine(day, time_of_day, tz).astimezone(dt.UTC)
                if after < moment <= until:
                    yield moment
        day += dt.timedelta(days=1)


async def schedule_once(
    b: Backend, payload: dict[str, Any], at: dt.datetime, now: dt.datetime, *,
    staff_id: int | None = None, content_id: str | None = None, meta: PostMeta | None = None,
) -> int:
    """A post to send once at `at` (after quiet hours if it falls in them)."""
    if at.tzinfo is None:
        raise ScheduleError("time without a time zone")
    if at < now - GRACE:
        raise ScheduleError("in the past")
    async with b.db.tx() as conn:
        post_id = await store_post(conn, payload, meta or PostMeta(content_id=content_id),
                                   staff_id, now)
        return await q.insert_schedule(
            conn, post_id=post_id, kind="once", at=at.astimezone(dt.UTC).isoformat(),
            created_by=staff_id, created_at=now.isoformat(),
        )


async def schedule_weekly(
    b: Backend, payload: dict[str, Any], rule: Weekly, now: dt.datetime, *,
    staff_id: int | None = None, content_id: str | None = None, meta: PostMeta | None = None,
) -> int:
    """A post to send on `rule.days` at `rule.times`, from `start_on` to `end_on`."""
    if not rule.days or not rule.times:
        raise ScheduleError("no days or no times")
    if not all(0 <= d <= 6 for d in rule.days):
        raise ScheduleError("days are 0 (Monday) to 6 (Sunday)")
    if rule.end_on < rule.start_on:
        raise ScheduleError("ends before it starts")
    async with b.db.tx() as conn:
        post_id = await store_post(conn, payload, meta or PostMeta(content_id=content_id),
                                   staff_id, now)
        return await q.insert_schedule(
            conn, post_id=post_id, kind="weekly",
            days=",".join(str(d) for d in sorted(set(rule.days))),
            times=",".join(t.strftime("%H:%M") for t in sorted(set(rule.times))),
            start_on=rule.start_on.isoformat(), end_on=rule.end_on.isoformat(),
            created_by=staff_id, created_at=now.isoformat(),
        )


def _weekly(row: aiosqlite.Row) -> Weekly:
    return Weekly(
        days=tuple(int(d) for d in str(row["days"]).split(",")),
        times=tuple(dt.time.fromisoformat(t) for t in str(row["times"]).split(",")),
        start_on=dt.date.fromisoformat(row["start_on"]),
        end_on=dt.date.fromisoformat(row["end_on"]),
    )


async def due(b: Backend, now: dt.datetime) -> list[Due]:
    """Every occurrence up to now not yet sent or recorded as missed."""
    tz = b.settings.tz
    found: list[Due] = []
    async with b.db.read() as conn:
        for row in await q.active_schedules(conn):
            last = await q.last_run(conn, int(row["id"]))
            # A new schedule starts from its creation: nothing before it is back-filled.
            after = dt.datetime.fromisoformat(last or row["created_at"])
            if row["kind"] == "once":
                moments = [dt.datetime.fromisoformat(row["at"])] if last is None else []
            else:
                moments = list(occurrences(_weekly(row), tz, after, now + dt.timedelta(hours=12)))
            for moment in moments:
                send_at = out_of_quiet(moment, tz, b.settings.quiet_hours)
                if send_at > now:
                    continue
                found.append(Due(int(row["id"]), int(row["post_id"]), moment,
                                 missed=now - send_at > GRACE))
    return found


async def fire(b: Backend, item: Due, now: dt.datetime) -> int | None:
    """Record the run and make its broadcast, once; None if missed or already done."""
    async with b.db.tx() as conn:
        broadcast_id = None if item.missed else await q.insert_broadcast(
            conn, item.post_id, now.isoformat())
        if not await q.insert_run(conn, item.schedule_id, item.due_at.isoformat(),
                                  "missed" if item.missed else "sent", broadcast_id):
            raise _AlreadyDone
        if await q.schedule_kind(conn, item.schedule_id) == "once":
            await q.set_schedule_status(conn, item.schedule_id, "done")
    await record_event(b, "schedule_missed" if item.missed else "schedule_sent", now,
                       schedule=item.schedule_id)
    return broadcast_id


class _AlreadyDone(Exception):
    """Another process recorded this occurrence first; the transaction is rolled back."""


async def fire_due(b: Backend, now: dt.datetime) -> tuple[list[int], list[Due]]:
    """Fire everything due: the broadcasts to start, and the runs that were missed."""
    started, missed = [], []
    for item in await due(b, now):
        try:
            broadcast_id = await fire(b, item, now)
        except _AlreadyDone:
            continue
        if broadcast_id is None:
            missed.append(item)
        else:
            started.append(broadcast_id)
    return started, missed


async def cancel(b: Backend, schedule_id: int, now: dt.datetime) -> bool:
    """Cancel a schedule's future runs; False if it was not active."""
    async with b.db.tx() as conn:
        row = await q.get_schedule(conn, schedule_id)
        if row is None or row["status"] != "active":
            return False
        await q.set_schedule_status(conn, schedule_id, "cancelled")
    await record_event(b, "schedule_cancelled", now, schedule=schedule_id)
    return True


async def move(b: Backend, schedule_id: int, at: dt.datetime, now: dt.datetime) -> None:
    """A one-off schedule to another time."""
    if at.tzinfo is None:
        raise ScheduleError("time without a time zone")
    if at < now:
        raise ScheduleError("in the past")
    async with b.db.tx() as conn:
        row = await q.get_schedule(conn, schedule_id)
        if row is None or row["status"] != "active" or row["kind"] != "once":
            raise ScheduleError("not an active one-off schedule")
        await q.update_schedule(conn, schedule_id, at=at.astimezone(dt.UTC).isoformat())


async def replace_content(b: Backend, schedule_id: int, payload: dict[str, Any]) -> None:
    """New text or files for a schedule's runs still to come."""
    check_payload(payload)
    async with b.db.tx() as conn:
        row = await q.get_schedule(conn, schedule_id)
        if row is None or row["status"] != "active":
            raise ScheduleError("not an active schedule")
        await q.update_post_payload(conn, int(row["post_id"]),
                                    json.dumps(payload, ensure_ascii=False))


async def publish(
    b: Backend, staff_id: int, payload: dict[str, Any], meta: PostMeta,
    when: dt.datetime | Weekly | None, now: dt.datetime,
) -> int:
    """A staff member schedules a post: now (None), once at a time, or weekly.

    "Now" is a one-off at the current time, so it takes the same path as every other
    post: quiet hours, the exactly-once run record, the outbox.
    """
    async with b.db.read() as conn:
        await require(conn, staff_id, POST_ROLES)
    if isinstance(when, Weekly):
        schedule_id = await schedule_weekly(b, payload, when, now, staff_id=staff_id, meta=meta)
    else:
        schedule_id = await schedule_once(b, payload, when or now, now, staff_id=staff_id,
                                          meta=meta)
    await record_event(b, "post_scheduled", now, kind=meta.kind, audience=meta.audience,
                       source="content" if meta.content_id else "telegram")
    return schedule_id


async def staff_cancel(b: Backend, staff_id: int, schedule_id: int, now: dt.datetime) -> bool:
    """`cancel`, for a staff member with the right to post."""
    async with b.db.read() as conn:
        await require(conn, staff_id, POST_ROLES)
    return await cancel(b, schedule_id, now)
