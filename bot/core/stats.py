"""Statistics: the figures `/stats`, the export and the implementation report are made of.

Plain async functions over the `Backend`; every count is rolled up in SQL
(`bot/storage/stats_queries.py`) from append-only events and the outreach and complaint
tables. No figure names or points to a person: complaint figures are counts by kind,
organization, status and dates (never the text, never an identity), and outreach figures
count deliveries and once-per-person marks whose pseudonyms are never read.

A period is two local dates, both inclusive (`Period`). Where each figure comes from:

outreach (`OutreachFigures`)
    A broadcast belongs to the period of the local date it *started* (`broadcasts.started_at`,
    UTC, turned into the office's time zone); a queued broadcast that never started reached
    nobody and is not counted. All its outbox rows count there, even those sent after
    midnight. `posts` are distinct posts with such a broadcast, by `posts.kind` and
    `posts.campaign` (untagged posts appear in no campaign). `deliveries` are outbox rows
    `sent` — accepted by Telegram, which is not "read": bots cannot see reads or views.
    `recipients` are distinct outbox recipients with a delivery (people, groups and
    channels; `deliveries_by_kind` splits the deliveries). `failed`, `failed_by_reason`: outbox
    rows `failed`, by the error recorded. `chats`, `channel_members`, `reactions` come from
    `channel_posts`: groups and channels posted to, the sum over those posts of the chat's
    size at send time (potential reach, never views) and the latest reaction totals.
    `useful`, `shares`, `pledges` are once-per-person marks (per post; pledges per
    campaign) made on local days of the period — a share in January of a December post
    counts in January. `reach.mark` stores each new mark in `reach_marks` and appends its
    event: the whole period's are counted from the `useful` / `share` / `pledge` events
    (along `events_by_name_day`), a selector's from `reach_marks` by scope (its key).
    A `Selector` narrows all of these to posts whose tags match (a post must match every
    non-empty list; pledges count for the campaigns of the matching posts).

audience (`AudienceFigures`)
    `subscribers_now`: active `subscribers` of kind person, now (`chats_now`: groups and
    channels). `joined`: `subscriber_joined` events. `left`: `subscriber_left` events by
    their reason, plus people a broadcast found blocked or gone (`delivery_failed` events
    with reason blocked/gone, which stop the subscriber without a `subscriber_left`).
    `starts`: `start` events (presses of /start, not people). `sources`: `reach_marks` of
    kind source — first arrivals through a named source's deep link or QR code, once per
    person — on days of the period, by the source's name from `sources`.

complaints (`ComplaintFigures`)
    The cases *received* in the period (`complaints.received_on`, a local date): by kind,
    organization (`''`: the citizen was not sure), current status and channel. `answered`:
    those with an `answered_on` on or before the period's last day (a forwarded or rejected
    case is dealt with but not answered). On time: `answered_on <= due_on`, the deadline
    after any extension (`cases.extend_deadline` moves `due_on`). `on_time_pct` is of the
    answered ones; `median_days` from receipt to answer, in calendar days. `overdue_now`:
    the period's cases still open (received, in review) whose deadline passed before today
    (`now`'s local date); `overdue_all_now`: every open case past its deadline, whenever
    received. `extended`: the period's cases whose deadline was extended.

the Facebook Page (`PageFigures`)
    `page_posts` rows of the period's runs (their `created_at`, the moment the run fired):
    published, and failed or unsure. Their figures are the latest Facebook reported
    (`page_figures`, read once a day by `bot.core.page`): `views` sums the unique views of
    the posts Facebook gave them for (`with_views`); the others are counted, never
    estimated. These are Facebook's figures, the one place a view is ever shown.

by channel (`ChannelFigures`)
    Complaints received by `complaints.channel`; `start`, `source` (first arrivals),
    `subscriber_joined` and `material_sent` events by their `channel`; deliveries: the
    outbox rows `sent` for Telegram, the messages of `message_delivered` events for
    Messenger (its delivery receipts); readers: `message_read` events once per person per
    day (their pseudonym changes daily); posts: Telegram's (as `posts` above) and the
    Page's.

offline work (`OfflineFigures`)
    `offline_activities` in force (not withdrawn) with `happened_on` in the period: entries,
    the `times` they say (88 radio spots), the people they say were reached — as staff
    entered them, not measured by the bot.

`monthly` gives the same figures by month for charts: deliveries (by the month a
broadcast started), marks, joined and left, complaints received by kind and how many of
each month's were answered (on time).

The functions above take no staff id: whoever shows the figures checks the role first —
`overview` does, `require_reader` is there for the export and the report. Each reads one
consistent snapshot on a connection of its own (`stats_queries.reader`): a year's counts
on a big database take most of a second, and the bot's own connection is not held that
long. Timings on 1,000,000 events: `tests/test_stats.py`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from aiosqlite import Connection

from bot.core.backend import Backend
from bot.core.models import Kind, Role
from bot.core.staff import audit, require
from bot.storage import queries as q
from bot.storage import stats_queries as sq

# Viewers exist to read statistics; every staff role may.
STATS_ROLES = frozenset(Role)


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _sql_time(moment: dt.datetime) -> str:
    """A UTC instant as SQLite's `datetime()` writes it."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Period:
    """Local dates from `first` to `last`, both inclusive."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a period cannot end ({self.last}) before it starts ({self.first})")

    @classmethod
    def month(cls, today: dt.date) -> Period:
        """The calendar month `today` is in."""
        return cls(today.replace(day=1), _month_end(today.year, today.month))

    @classmethod
    def quarter(cls, today: dt.date) -> Period:
        """The quarter (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec) `today` is in."""
        start = (today.month - 1) // 3 * 3 + 1
        return cls(dt.date(today.year, start, 1), _month_end(today.year, start + 2))

    @classmethod
    def half(cls, today: dt.date) -> Period:
        """January–June or July–December, whichever `today` is in."""
        start = 1 if today.month <= 6 else 7
        return cls(dt.date(today.year, start, 1), _month_end(today.year, start + 5))

    @classmethod
    def year(cls, today_or_year: dt.date | int) -> Period:
        """The calendar year of a date, or a year given as a number."""
        year = today_or_year if isinstance(today_or_year, int) else today_or_year.year
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def report(cls, year: int, half: int) -> Period:
        """What a report to IAAC covers: half 1 is January–June, half 2 (or 0) the year.

        The half-year report is sent by June 10, so it holds what happened up to the day
        it is made; the period still ends on June 30.
        """
        if half == 1:
            return cls(dt.date(year, 1, 1), dt.date(year, 6, 30))
        if half in (0, 2):
            return cls.year(year)
        raise ValueError(f"a report is for half 1, 2 or 0 (the year), not {half}")

    @classmethod
    def between(cls, first: dt.date, last: dt.date) -> Period:
        """Two dates as typed; ValueError if the second is before the first."""
        return cls(first, last)

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.last - self.first).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last

    def months(self) -> tuple[Period, ...]:
        """The period cut at month ends (the first and last may be partial months)."""
        out = []
        start = self.first
        while start <= self.last:
            end = min(_month_end(start.year, start.month), self.last)
            out.append(Period(start, end))
            start = end + dt.timedelta(days=1)
        return tuple(out)

    def utc_bounds(self, tz: ZoneInfo) -> tuple[str, str]:
        """The first instant of `first` and of the day after `last` in `tz`, as UTC."""
        lo = dt.datetime.combine(self.first, dt.time(), tzinfo=tz)
        hi = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        return _sql_time(lo), _sql_time(hi)


@dataclass(frozen=True)
class Selector:
    """Which posts count (for a plan measure): a post must match every non-empty list."""

    measures: tuple[str, ...] = ()  # posts whose `measure` tag is one of these
    campaigns: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        """True when no list narrows the posts."""
        return not (self.measures or self.campaigns or self.kinds)

    def params(self) -> dict[str, str]:
        """The selector as the SQL layer takes it (JSON lists)."""
        return {"measures": json.dumps(list(self.measures)),
                "campaigns": json.dumps(list(self.campaigns)),
                "kinds": json.dumps(list(self.kinds))}


@dataclass(frozen=True)
class OutreachFigures:
    """What posts did in a period, as far as a bot can honestly count it."""

    posts: int
    broadcasts: int
    by_kind: dict[str, int]  # post kind -> posts
    by_campaign: dict[str, int]  # campaign code -> posts
    deliveries: int  # outbox rows 'sent' = accepted by Telegram
    recipients: int  # distinct recipients with at least one delivery
    failed: int
    failed_by_reason: dict[str, int]
    useful: int
    shares: int
    pledges: int
    chats: int
    channel_members: int  # channel size at send time = potential reach, never "views"
    reactions: int
    deliveries_by_kind: dict[str, int] = field(default_factory=dict)  # person, group, channel


@dataclass(frozen=True)
class AudienceFigures:
    """Who signed up for posts, who left, and where people came from."""

    subscribers_now: int
    joined: int
    left: int
    left_by_reason: dict[str, int]  # stopped, blocked, gone
    starts: int
    sources: dict[str, int]  # source name -> people who arrived (once each)
    chats_now: int = 0  # groups and channels that get posts now


@dataclass(frozen=True)
class ComplaintFigures:
    """The period's cases: counts and dates only, never content or identity."""

    received: int
    by_kind: dict[str, int]
    by_org: dict[str, int]  # org code ('' = not sure) -> cases
    by_status: dict[str, int]
    by_channel: dict[str, int]
    answered: int
    answered_on_time: int
    on_time_pct: float | None
    median_days: float | None
    overdue_now: int
    overdue_all_now: int = 0
    extended: int = 0


@dataclass(frozen=True)
class OfflineFigures:
    """Offline work staff entered."""

    entries: int
    times: int
    people: int
    by_kind: dict[str, tuple[int, int, int]]  # kind -> (entries, times, people)


@dataclass(frozen=True)
class PageFigures:
    """The office's Facebook Page in a period, as Facebook reports it (never the bot's count).

    `views` sums the latest unique views of the posts Facebook gave them for
    (`with_views`); a post without a reading yet, or on a Page Facebook gives no insights
    to (under 100 likes), adds nothing to it and is counted as such, never estimated.
    """

    posts: int  # published on the Page for the period's runs
    failed: int  # runs whose Page post did not go (failed, or unsure after a stop)
    read: int  # published posts with a reading from Facebook
    with_views: int  # of those, the ones Facebook gave a view count for
    views: int  # their latest unique views, summed (Facebook's "views")
    reactions: int
    comments: int
    shares: int

    @property
    def without_views(self) -> int:
        """Published posts Facebook gave no view count for (yet)."""
        return self.posts - self.with_views


@dataclass(frozen=True)
class ChannelFigures:
    """The period's figures by channel: `telegram`, `messenger`, `facebook` (the Page).

    Each mapping holds only the channels that had any. What a figure means differs by
    channel, and is named so: a Telegram delivery is a broadcast message Telegram accepted;
    a Messenger one is a message Messenger reported delivered to the person's device.
    """

    complaints: dict[str, int]  # cases received, by the channel they came through
    starts: dict[str, int]  # /start presses, Get Started taps
    arrivals: dict[str, int]  # first arrivals through a named source's link or QR code
    joined: dict[str, int]  # people who subscribed to posts
    deliveries: dict[str, int]  # telegram: broadcast messages; messenger: delivery receipts
    readers: dict[str, int]  # messenger: people who read, once per person per day
    materials: dict[str, int]  # posts sent on a person's request (Messenger's materials)
    posts: dict[str, int]  # posts that went out: Telegram broadcasts', the Page's own


@dataclass(frozen=True)
class Summary:
    """Every figure of a period."""

    period: Period
    outreach: OutreachFigures
    audience: AudienceFigures
    complaints: ComplaintFigures
    offline: OfflineFigures
    page: PageFigures
    channels: ChannelFigures


@dataclass(frozen=True)
class Monthly:
    """Series by month for charts; each tuple has one value per entry of `months`."""

    months: tuple[Period, ...]  # the period cut at month ends
    deliveries: tuple[int, ...]
    useful: tuple[int, ...]
    shares: tuple[int, ...]
    pledges: tuple[int, ...]
    joined: tuple[int, ...]
    left: tuple[int, ...]
    complaints: dict[str, tuple[int, ...]]  # kind -> received, for every kind
    answered: tuple[int, ...]  # of those received that month
    answered_on_time: tuple[int, ...]


@dataclass(frozen=True)
class Overview:
    """What `/stats` shows: the summary and the monthly series."""

    summary: Summary
    monthly: Monthly


# -- the figures ---------------------------------------------------------------------------
def _params(b: Backend, period: Period, selector: Selector) -> dict[str, Any]:
    lo, hi = period.utc_bounds(b.settings.tz)
    months = [[m.first.strftime("%Y-%m"), m.first.isoformat(), m.last.isoformat(),
               *m.utc_bounds(b.settings.tz)] for m in period.months()]
    return {"lo": lo, "hi": hi, "first": period.first.isoformat(),
            "last": period.last.isoformat(), "months": json.dumps(months), **selector.params()}


async def _outreach(conn: Connection, params: dict[str, Any], selector: Selector
                    ) -> OutreachFigures:
    kinds = await sq.posts_by(conn, "kind", params)
    campaigns = await sq.posts_by(conn, "campaign", params)
    statuses = await sq.outbox_by_status(conn, params)
    recipients = await sq.recipients_by_kind(conn, params)
    to_chats = await sq.chat_deliveries(conn, params)
    reasons = await sq.failed_by_reason(conn, params)
    channel = await sq.channel_reach(conn, params)
    marks = (await sq.marks(conn, params["first"], params["last"]) if selector.everything
             else await sq.selected_marks(conn, params))
    deliveries = statuses.get("sent", 0)
    by_kind = {"person": deliveries - sum(to_chats.values()), **to_chats}
    return OutreachFigures(
        posts=sum(int(r["posts"]) for r in kinds),
        broadcasts=sum(int(r["broadcasts"]) for r in kinds),
        by_kind={str(r["tag"]): int(r["posts"]) for r in kinds},
        by_campaign={str(r["tag"]): int(r["posts"]) for r in campaigns},
        deliveries=deliveries, recipients=sum(recipients.values()),
        failed=statuses.get("failed", 0), failed_by_reason=reasons,
        useful=marks.get("useful", 0), shares=marks.get("share", 0),
        pledges=marks.get("pledge", 0),
        chats=0 if channel is None else int(channel["chats"]),
        channel_members=0 if channel is None else int(channel["members"]),
        reactions=0 if channel is None else int(channel["reactions"]),
        deliveries_by_kind={k: n for k, n in by_kind.items() if n},
    )


async def outreach(b: Backend, period: Period, selector: Selector = Selector()) -> OutreachFigures:
    """Posts, deliveries, reach marks and channel figures of the period."""
    async with sq.reader(b.db) as conn:
        return await _outreach(conn, _params(b, period, selector), selector)


def _named_sources(rows: list[Any]) -> dict[str, int]:
    """Source name -> people; two sources given the same name keep apart by their code."""
    names = Counter(str(r["name"]) for r in rows)
    return {(str(r["name"]) if names[str(r["name"])] == 1 else f"{r['name']} ({r['code']})"):
            int(r["people"]) for r in rows}


def _merge(*counts: dict[str, int]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(total.most_common())


async def _audience(conn: Connection, first: str, last: str) -> AudienceFigures:
    now = await q.count_recipients(conn)
    counts = await sq.count_events(conn, ("subscriber_joined", "start"), first, last)
    left = _merge(await sq.events_by_dim(conn, "subscriber_left", "reason", first, last),
                  await sq.lost_in_delivery(conn, first, last))
    sources = await sq.arrivals_by_source(conn, first, last)
    return AudienceFigures(
        subscribers_now=now.get("person", 0), joined=counts.get("subscriber_joined", 0),
        left=sum(left.values()), left_by_reason=left, starts=counts.get("start", 0),
        sources=_named_sources(sources),
        chats_now=now.get("group", 0) + now.get("channel", 0),
    )


async def audience(b: Backend, period: Period) -> AudienceFigures:
    """Subscribers now, who joined and left in the period, /start presses and sources."""
    async with sq.reader(b.db) as conn:
        return await _audience(conn, period.first.isoformat(), period.last.isoformat())


async def _complaints(conn: Connection, first: str, last: str, today: str) -> ComplaintFigures:
    totals = await sq.complaint_totals(conn, first, last, today)
    if totals is None:  # an aggregate always returns a row
        raise RuntimeError("complaint totals returned nothing")
    by = {column: await sq.complaints_by(conn, column, first, last)
          for column in ("kind", "org_code", "status", "channel")}
    answered, on_time = int(totals["answered"]), int(totals["on_time"])
    return ComplaintFigures(
        received=int(totals["received"]), by_kind=by["kind"], by_org=by["org_code"],
        by_status=by["status"], by_channel=by["channel"], answered=answered,
        answered_on_time=on_time,
        on_time_pct=round(100 * on_time / answered, 1) if answered else None,
        median_days=await sq.median_days_to_answer(conn, first, last),
        overdue_now=int(totals["overdue"]), overdue_all_now=await sq.overdue_open(conn, today),
        extended=int(totals["extended"]),
    )


async def complaint_figures(b: Backend, period: Period, now: dt.datetime) -> ComplaintFigures:
    """The cases received in the period: how many, of what, answered how fast."""
    async with sq.reader(b.db) as conn:
        return await _complaints(conn, period.first.isoformat(), period.last.isoformat(),
                                 b.local_date(now).isoformat())


async def _offline(conn: Connection, first: str, last: str, measures: tuple[str, ...]
                   ) -> OfflineFigures:
    rows = await sq.offline_by_kind(conn, first, last, json.dumps(list(measures)))
    by_kind = {str(r["kind"]): (int(r["entries"]), int(r["times"]), int(r["people"]))
               for r in rows}
    return OfflineFigures(
        entries=sum(v[0] for v in by_kind.values()), times=sum(v[1] for v in by_kind.values()),
        people=sum(v[2] for v in by_kind.values()), by_kind=by_kind,
    )


async def offline_figures(b: Backend, period: Period, measures: tuple[str, ...] = ()
                          ) -> OfflineFigures:
    """Offline work entered for the period (for some plan measures, or all)."""
    async with sq.reader(b.db) as conn:
        return await _offline(conn, period.first.isoformat(), period.last.isoformat(), measures)


async def _page(conn: Connection, params: dict[str, Any]) -> PageFigures:
    row = await sq.page_totals(conn, params)
    if row is None:  # an aggregate always returns a row
        raise RuntimeError("Page totals returned nothing")
    return PageFigures(**{name: int(row[name]) for name in (
        "posts", "failed", "read", "with_views", "views", "reactions", "comments", "shares")})


async def page_figures(b: Backend, period: Period, selector: Selector = Selector()
                       ) -> PageFigures:
    """The Facebook Page's posts of the period and Facebook's latest figures for them."""
    async with sq.reader(b.db) as conn:
        return await _page(conn, _params(b, period, selector))


_CHANNEL_EVENTS = ("start", "source", "subscriber_joined", "material_sent")


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: n for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n}


async def _channels(conn: Connection, first: str, last: str, outreach: OutreachFigures,
                    complaints: ComplaintFigures, page: PageFigures) -> ChannelFigures:
    named: dict[str, dict[str, int]] = {name: {} for name in _CHANNEL_EVENTS}
    for r in await sq.events_by_channel(conn, _CHANNEL_EVENTS, first, last):
        named[str(r["name"])][str(r["channel"])] = int(r["n"])
    return ChannelFigures(
        complaints=_nonzero(complaints.by_channel), starts=_nonzero(named["start"]),
        arrivals=_nonzero(named["source"]), joined=_nonzero(named["subscriber_joined"]),
        deliveries=_nonzero({**await sq.delivered_messages(conn, first, last),
                             "telegram": outreach.deliveries}),
        readers=_nonzero(await sq.daily_readers(conn, first, last)),
        materials=_nonzero(named["material_sent"]),
        posts=_nonzero({"telegram": outreach.posts, "facebook": page.posts}),
    )


async def summary(b: Backend, period: Period, now: dt.datetime) -> Summary:
    """Every figure of the period, from one snapshot."""
    first, last = period.first.isoformat(), period.last.isoformat()
    everything = Selector()
    params = _params(b, period, everything)
    async with sq.reader(b.db) as conn:
        outreach = await _outreach(conn, params, everything)
        complaints = await _complaints(conn, first, last, b.local_date(now).isoformat())
        page = await _page(conn, params)
        return Summary(
            period=period,
            outreach=outreach,
            audience=await _audience(conn, first, last),
            complaints=complaints,
            offline=await _offline(conn, first, last, ()),
            page=page,
            channels=await _channels(conn, first, last, outreach, complaints, page),
        )


async def monthly(b: Backend, period: Period, selector: Selector = Selector()) -> Monthly:
    """Deliveries, reach marks, subscribers and complaints by month, for charts."""
    months = period.months()
    keys = [m.first.strftime("%Y-%m") for m in months]
    params = _params(b, period, selector)
    first, last = params["first"], params["last"]
    async with sq.reader(b.db) as conn:
        sent = await sq.sent_by_month(conn, params)
        if selector.everything:
            marks = await sq.events_by_month(conn, sq.REACH, params["months"])
        else:
            marks = await sq.selected_marks_by_month(conn, params)
        people = await sq.events_by_month(conn, ("subscriber_joined", "subscriber_left"),
                                          params["months"])
        lost = await sq.lost_in_delivery_by_month(conn, first, last)
        cases = await sq.complaints_by_month(conn, first, last)
    counts = {(str(r["month"]), str(r["name"])): int(r["n"]) for r in [*marks, *people]}
    received: dict[tuple[str, str], int] = {}
    answered: Counter[str] = Counter()
    on_time: Counter[str] = Counter()
    for r in cases:
        received[(str(r["month"]), str(r["kind"]))] = int(r["received"])
        answered[str(r["month"])] += int(r["answered"])
        on_time[str(r["month"])] += int(r["on_time"])

    def series(name: str) -> tuple[int, ...]:
        return tuple(counts.get((k, name), 0) for k in keys)

    return Monthly(
        months=months, deliveries=tuple(sent.get(k, 0) for k in keys),
        useful=series("useful"), shares=series("share"), pledges=series("pledge"),
        joined=series("subscriber_joined"),
        left=tuple(counts.get((k, "subscriber_left"), 0) + lost.get(k, 0) for k in keys),
        complaints={kind.value: tuple(received.get((k, kind.value), 0) for k in keys)
                    for kind in Kind},
        answered=tuple(answered[k] for k in keys),
        answered_on_time=tuple(on_time[k] for k in keys),
    )


# -- for staff -----------------------------------------------------------------------------
async def require_reader(b: Backend, staff_id: int) -> Role:
    """The core's own check that someone may read statistics (any staff role)."""
    async with b.db.read() as conn:
        return await require(conn, staff_id, STATS_ROLES)


async def overview(b: Backend, staff_id: int, period: Period, now: dt.datetime) -> Overview:
    """The summary and monthly series for a staff member; the look is audited."""
    async with b.db.tx() as conn:
        await require(conn, staff_id, STATS_ROLES)
        await audit(conn, staff_id, "stats.view", now,
                    detail=f"{period.first.isoformat()}..{period.last.isoformat()}")
    return Overview(summary=await summary(b, period, now), monthly=await monthly(b, period))
