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
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.core import page
from bot.core.backend import Backend, record_event
from bot.core.posts import PostMeta, check_payload, store_post
from bot.core.staff import POST_ROLES, require
from bot.storage import post_drafts as pd
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
        if broadcast_id is not None:  # the Facebook Page too, once, with the run
            await page.queue(conn, b, broadcast_id, item.post_id, now)
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
    await _finish_weekly(b, now)
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


async def _finish_weekly(b: Backend, now: dt.datetime) -> None:
    """A weekly schedule two days past its last day is done.

    Two days, because its last run may fall in quiet hours and go the next morning, and
    still be sent within the grace period after that.
    """
    ended_by = (b.local_date(now) - dt.timedelta(days=2)).isoformat()
    async with b.db.tx() as conn:
        await q.finish_weekly_schedules(conn, ended_by)


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


# -- composing in a chat: times as staff type them -----------------------------------------
class WhenError(ScheduleError):
    """A typed time or date the bot could not take; `reason` names why (a catalog key)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # format, date, time, past, times, too_many


MAX_TIMES = 12  # a day's times in a weekly schedule
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})$")
_YEAR_LAST = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")
_NO_YEAR = re.compile(r"^(\d{1,2})[-./](\d{1,2})$")
_TODAY = ("today", "өнөөдөр")
_TOMORROW = ("tomorrow", "маргааш")


def parse_time(token: str) -> dt.time:
    """A time of day, "10:00" or "9.30"; raises `WhenError`."""
    match = _TIME.match(token.strip())
    if match is None:
        raise WhenError("time")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise WhenError("time")
    return dt.time(hour, minute)


def parse_date(token: str, today: dt.date) -> dt.date:
    """A local date as offices write it; raises `WhenError`.

    2026.12.05, 2026-12-05, 12.05 (month first, as in year.month.day), 05.12.2026, today or
    tomorrow (өнөөдөр, маргааш). Without a year it is the next such date: this year's, or
    next year's if that has passed.
    """
    token = token.strip().lower()
    if token in _TODAY:
        return today
    if token in _TOMORROW:
        return today + dt.timedelta(days=1)
    try:
        if match := _YEAR_FIRST.match(token):
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _YEAR_LAST.match(token):
            return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if match := _NO_YEAR.match(token):
            month, day = int(match.group(1)), int(match.group(2))
            found = dt.date(today.year, month, day)
            return found if found >= today else dt.date(today.year + 1, month, day)
    except ValueError:
        raise WhenError("date") from None
    raise WhenError("format")


def _tokens(text: str) -> list[str]:
    cleaned = re.sub(r"(?<=\d)[tT](?=\d)", " ", text)  # 2026-12-05T10:00
    cleaned = re.sub(r"\b(цагт|цаг|at|on)\b", " ", cleaned.lower())
    return [t for t in re.split(r"[\s,;]+", cleaned) if t]


def parse_moment(text: str, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A typed local date and time as an aware UTC datetime after `now`.

    "2026-12-05 10:00", "12.05 10:00", "маргааш 9:30", or a time alone for today; raises
    `WhenError` with the reason.
    """
    tokens = _tokens(text)
    today = now.astimezone(tz).date()
    if len(tokens) == 1:
        if ":" not in tokens[0]:
            raise WhenError("format")  # "12.05" alone: a date without its time, or a typo
        day, time_of_day = today, parse_time(tokens[0])
    elif len(tokens) == 2:
        first, second = tokens
        if ":" in first and ":" not in second:  # "10:00 12.05"
            first, second = second, first
        day, time_of_day = parse_date(first, today), parse_time(second)
    else:
        raise WhenError("format")
    moment = dt.datetime.combine(day, time_of_day, tz).astimezone(dt.UTC)
    if moment <= now:
        raise WhenError("past")
    return moment


def parse_times(text: str) -> tuple[dt.time, ...]:
    """The day's times of a weekly rule, "10:00, 15:00" or "10.00 15.00", sorted."""
    tokens = [t for t in _tokens(text) if t not in ("ба", "and", "&", "болон")]
    if not tokens:
        raise WhenError("times")
    try:
        times = sorted({parse_time(t) for t in tokens})
    except WhenError:
        raise WhenError("times") from None
    if len(times) > MAX_TIMES:
        raise WhenError("too_many")
    return tuple(times)


def parse_end(text: str, today: dt.date) -> dt.date:
    """The last day of a weekly schedule, typed; today or later."""
    tokens = _tokens(text)
    if len(tokens) != 1:
        raise WhenError("format")
    day = parse_date(tokens[0], today)
    if day < today:
        raise WhenError("past")
    return day


def in_quiet_hours(moment: dt.datetime, tz: ZoneInfo,
                   quiet: tuple[dt.time, dt.time] | None = QUIET) -> bool:
    """Whether a post due then waits for the end of quiet hours."""
    return out_of_quiet(moment, tz, quiet) != moment


def first_run(rule: Weekly, tz: ZoneInfo, now: dt.datetime) -> dt.datetime | None:
    """The first occurrence of a weekly rule after `now`, or None if it has none left."""
    until = dt.datetime.combine(rule.end_on, dt.time(23, 59, 59), tz)
    return next(occurrences(rule, tz, now, until.astimezone(dt.UTC)), None)


# -- drafts of posts being composed ----------------------------------------------------------
NEW, EDIT = "new", "edit"  # a new post, or an edit of a schedule's time or content
DRAFT_IDLE = dt.timedelta(days=7)  # a draft untouched this long is dropped


class DraftGone(ScheduleError):
    """The draft was already published or cancelled (a double tap, another device)."""


def _default_payload() -> dict[str, Any]:
    return {"text": {"mn": ""}, "media": [], "buttons": [{"action": "useful"},
                                                          {"action": "share"}]}


@dataclass
class PostDraft:
    """A post being composed, saved after every step (staff content only, no citizen data).

    `when` is None until chosen, then {"now": true}, {"at": iso UTC}, or
    {"days": [1, 3], "times": ["10:00"], "start_on": iso, "end_on": iso}.
    """

    step: str = ""
    payload: dict[str, Any] = field(default_factory=_default_payload)
    kind: str = "news"
    campaign: str | None = None
    measure: str | None = None
    title: str | None = None
    audience: str = "subscribers"
    content_id: str | None = None
    page: bool = False  # also on the office's Facebook Page
    when: dict[str, Any] | None = None
    days: list[int] = field(default_factory=list)  # a weekly rule being put together
    times: list[str] = field(default_factory=list)
    album: str | None = None  # the album (media group) whose parts are still arriving
    editing: bool = False  # a step changed from the preview goes back to it
    schedule_id: int | None = None  # what an edit is of
    saved_at: str = ""

    def meta(self) -> PostMeta:
        """The tags and audience the post will be stored with."""
        return PostMeta(kind=self.kind, campaign=self.campaign, measure=self.measure,
                        title=self.title, audience=self.audience, content_id=self.content_id,
                        page=self.page)

    def moment(self) -> dt.datetime | Weekly | None:
        """When, as `publish` takes it: None for now."""
        when = self.when or {"now": True}
        if "at" in when:
            return dt.datetime.fromisoformat(when["at"])
        if "days" in when:
            return Weekly(days=tuple(int(d) for d in when["days"]),
                          times=tuple(dt.time.fromisoformat(t) for t in when["times"]),
                          start_on=dt.date.fromisoformat(when["start_on"]),
                          end_on=dt.date.fromisoformat(when["end_on"]))
        return None


def when_of(moment: dt.datetime | Weekly | None) -> dict[str, Any]:
    """The draft's form of a time (see `PostDraft`)."""
    if moment is None:
        return {"now": True}
    if isinstance(moment, Weekly):
        return {"days": sorted(set(moment.days)),
                "times": [t.strftime("%H:%M") for t in sorted(set(moment.times))],
                "start_on": moment.start_on.isoformat(), "end_on": moment.end_on.isoformat()}
    return {"at": moment.astimezone(dt.UTC).isoformat()}


def _decode_draft(raw: str, saved_at: str) -> PostDraft:
    data: dict[str, Any] = json.loads(raw)
    known = {k: v for k, v in data.items() if k in PostDraft.__dataclass_fields__}
    return PostDraft(**{**known, "saved_at": saved_at})


async def load_draft(b: Backend, staff_id: int, purpose: str, now: dt.datetime
                     ) -> PostDraft | None:
    """The staff member's draft for `purpose`, unless it sat untouched for a week."""
    async with b.db.read() as conn:
        row = await pd.get(conn, staff_id, purpose)
    if row is None:
        return None
    if dt.datetime.fromisoformat(row["updated_at"]) < now - DRAFT_IDLE:
        await discard_draft(b, staff_id, purpose)
        return None
    return _decode_draft(str(row["data"]), str(row["updated_at"]))


async def save_draft(b: Backend, staff_id: int, draft: PostDraft, now: dt.datetime,
                     purpose: str = NEW) -> None:
    """Keep the draft after a step, so a restart loses nothing."""
    draft.saved_at = now.isoformat()
    data = {k: v for k, v in asdict(draft).items() if k != "saved_at"}
    async with b.db.tx() as conn:
        await pd.put(conn, staff_id, purpose, json.dumps(data, ensure_ascii=False),
                     draft.saved_at)


async def discard_draft(b: Backend, staff_id: int, purpose: str = NEW) -> bool:
    """Drop the draft; False if there was none."""
    async with b.db.tx() as conn:
        return await pd.delete(conn, staff_id, purpose)


async def expire_drafts(b: Backend, now: dt.datetime) -> int:
    """Drop drafts untouched for `DRAFT_IDLE` (for the clean-up job)."""
    async with b.db.tx() as conn:
        return await pd.delete_idle(conn, (now - DRAFT_IDLE).isoformat())


def check_when(moment: dt.datetime | Weekly | None, tz: ZoneInfo, now: dt.datetime) -> None:
    """Raise `ScheduleError` for a time `publish` would refuse, or a rule with no run left."""
    if isinstance(moment, Weekly):
        if not moment.days or not moment.times or moment.end_on < moment.start_on:
            raise ScheduleError("no days, no times, or ends before it starts")
        if first_run(moment, tz, now) is None:
            raise WhenError("no_runs")
    elif moment is not None and moment <= now:
        raise WhenError("past")


async def publish_draft(b: Backend, staff_id: int, draft: PostDraft, now: dt.datetime) -> int:
    """`publish` a new-post draft and drop it, in one transaction; returns the schedule.

    A second tap, or a restart between the two, can never schedule the post twice.
    """
    moment = draft.moment()
    check_when(moment, b.settings.tz, now)
    meta = draft.meta()
    async with b.db.tx() as conn:
        await require(conn, staff_id, POST_ROLES)
        if not await pd.delete(conn, staff_id, NEW):
            raise DraftGone("no draft")
        post_id = await store_post(conn, draft.payload, meta, staff_id, now)
        fields: dict[str, Any]
        if isinstance(moment, Weekly):
            fields = {"kind": "weekly", "days": ",".join(str(d) for d in sorted(set(moment.days))),
                      "times": ",".join(t.strftime("%H:%M") for t in sorted(set(moment.times))),
                      "start_on": moment.start_on.isoformat(),
                      "end_on": moment.end_on.isoformat()}
        else:
            fields = {"kind": "once", "at": (moment or now).astimezone(dt.UTC).isoformat()}
        schedule_id = await q.insert_schedule(conn, post_id=post_id, created_by=staff_id,
                                              created_at=now.isoformat(), **fields)
    await record_event(b, "post_scheduled", now, kind=meta.kind, audience=meta.audience,
                       source="content" if meta.content_id else "telegram")
    return schedule_id


# -- staff's view and edits of schedules ------------------------------------------------------
@dataclass(frozen=True)
class ScheduleView:
    """A schedule still to run, as staff see it."""

    schedule_id: int
    post_id: int
    title: str
    kind: str  # the post's kind (news, poster …)
    audience: str
    once_at: dt.datetime | None
    rule: Weekly | None
    next_at: dt.datetime | None  # the next occurrence; None when a weekly rule has no more
    goes_at: dt.datetime | None  # when it will really go (after quiet hours)


def _view(row: aiosqlite.Row, last: str | None, b: Backend, now: dt.datetime) -> ScheduleView:
    tz = b.settings.tz
    rule = None if row["kind"] == "once" else _weekly(row)
    if rule is None:
        next_at = None if last else dt.datetime.fromisoformat(row["at"])
    else:
        # From the last run (or the creation), as `due` counts: a run held back by quiet
        # hours, or not yet picked up by the poller, is still the next one.
        after = dt.datetime.fromisoformat(last or row["created_at"])
        next_at = first_run(rule, tz, max(after, now - GRACE))
    return ScheduleView(
        schedule_id=int(row["id"]), post_id=int(row["post_id"]),
        title=str(row["title"] or row["content_id"] or f"#{row['post_id']}"),
        kind=str(row["post_kind"]), audience=str(row["audience"]),
        once_at=dt.datetime.fromisoformat(row["at"]) if rule is None else None, rule=rule,
        next_at=next_at,
        goes_at=None if next_at is None else out_of_quiet(next_at, tz, b.settings.quiet_hours))


async def schedules_ahead(b: Backend, now: dt.datetime, limit: int = 20) -> list[ScheduleView]:
    """Active schedules, the soonest next run first (rules with no run left last)."""
    async with b.db.read() as conn:
        rows = await q.upcoming_schedules(conn, 500)
        views = [_view(r, await q.last_run(conn, int(r["id"])), b, now) for r in rows]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    views.sort(key=lambda v: (v.goes_at or far, v.schedule_id))
    return views[:limit]


async def schedule_view(b: Backend, schedule_id: int, now: dt.datetime) -> ScheduleView | None:
    """One active schedule as staff see it; None if it is not active (any more)."""
    async with b.db.read() as conn:
        row = await pd.active_schedule(conn, schedule_id)
        last = await q.last_run(conn, schedule_id) if row is not None else None
    return None if row is None else _view(row, last, b, now)


async def staff_move(b: Backend, staff_id: int, schedule_id: int, at: dt.datetime,
                     now: dt.datetime) -> None:
    """`move`, for a staff member with the right to post."""
    async with b.db.read() as conn:
        await require(conn, staff_id, POST_ROLES)
    await move(b, schedule_id, at, now)
    await record_event(b, "schedule_moved", now, schedule=schedule_id)


async def staff_replace(b: Backend, staff_id: int, schedule_id: int, payload: dict[str, Any],
                        now: dt.datetime) -> None:
    """`replace_content`, for a staff member with the right to post; drops the edit draft."""
    async with b.db.read() as conn:
        await require(conn, staff_id, POST_ROLES)
    await replace_content(b, schedule_id, payload)
    await discard_draft(b, staff_id, EDIT)
    await record_event(b, "schedule_content_replaced", now, schedule=schedule_id)
