"""Statistics: periods, every figure on data made through the bot's own functions, /stats.

The figures are checked on data the bot's own core functions and flows made — subscribing,
broadcasts sent through the fake Bot API, reach marks, complaints submitted, answered late
and on time, extended and forwarded, offline entries — against exact numbers.

`python -m tests.test_stats DIR` builds a big database in DIR (1,000,000 events, 693,000
reach marks, 10,000 complaints, 10,000 subscribers, 200 broadcasts with 2,000,000 outbox
rows; by SQL, in about a minute, once) and prints how long each statistics call takes on
it. Best of three on the development machine (shared; load average about 3):

    summary, a month     63 ms    summary, a half-year   185 ms    summary, a year  275 ms
    outreach, a year    166 ms    audience, a year       160 ms    complaints, year  25 ms
    monthly, a year     117 ms    overview (/stats, summary and monthly), a year     378 ms

They run on a connection of their own: writes on the bot's connection beside a two-year
summary took 2 ms (median) and 9 ms at most. `test_the_counts_run_along_indexes` keeps
the query plans that make this so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import sqlite3
import struct
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import charts
from bot.config import Settings
from bot.core import audiences, cases, complaints, offline, outreach, posts, reach, staff, stats
from bot.core.backend import Backend, open_backend
from bot.core.errors import NotAuthorized
from bot.core.models import Citizen, Draft, Kind, Role, Status
from bot.core.offline import Activity
from bot.core.posts import PostMeta
from bot.core.stats import Period, Selector
from bot.storage import stats_queries as sq
from bot.tg.broadcast import TelegramSender
from bot.tg.staff.stats import parse_period
from tests.harness import ADMIN_ID, OFFICER_ID, Harness, expect, file_complaint, press, text_of

UTC = dt.UTC
UB = ZoneInfo("Asia/Ulaanbaatar")
ADMIN, OFFICER, VIEWER = 1, 2, 3
D = dt.date


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    """A local (Ulaanbaatar) time as the aware UTC instant the bot's clock gives."""
    return dt.datetime(year, month, day, hour, tzinfo=UB).astimezone(UTC)


# -- periods -------------------------------------------------------------------------------
def test_month_quarter_half_and_year_contain_the_day() -> None:
    assert Period.month(D(2026, 2, 14)) == Period(D(2026, 2, 1), D(2026, 2, 28))
    assert Period.month(D(2024, 2, 29)) == Period(D(2024, 2, 1), D(2024, 2, 29))
    assert Period.month(D(2026, 12, 31)) == Period(D(2026, 12, 1), D(2026, 12, 31))
    assert Period.quarter(D(2026, 1, 1)) == Period(D(2026, 1, 1), D(2026, 3, 31))
    assert Period.quarter(D(2026, 5, 20)) == Period(D(2026, 4, 1), D(2026, 6, 30))
    assert Period.quarter(D(2026, 12, 31)) == Period(D(2026, 10, 1), D(2026, 12, 31))
    assert Period.half(D(2026, 6, 30)) == Period(D(2026, 1, 1), D(2026, 6, 30))
    assert Period.half(D(2026, 7, 1)) == Period(D(2026, 7, 1), D(2026, 12, 31))
    assert Period.year(2026) == Period.year(D(2026, 3, 3)) == Period(D(2026, 1, 1), D(2026, 12, 31))
    assert Period.year(2026).days == 365 and Period.year(2024).days == 366


def test_report_periods_and_two_dates() -> None:
    assert Period.report(2026, 1) == Period(D(2026, 1, 1), D(2026, 6, 30))
    assert Period.report(2026, 2) == Period.report(2026, 0) == Period.year(2026)
    with pytest.raises(ValueError, match="half"):
        Period.report(2026, 3)
    assert Period.between(D(2026, 3, 5), D(2026, 3, 5)).days == 1
    with pytest.raises(ValueError, match="before"):
        Period.between(D(2026, 3, 5), D(2026, 3, 4))
    assert D(2026, 3, 5) in Period.between(D(2026, 3, 1), D(2026, 3, 31))
    assert D(2026, 4, 1) not in Period.between(D(2026, 3, 1), D(2026, 3, 31))


def test_the_local_date_decides_the_period_not_the_utc_one() -> None:
    # 17:00 UTC on Dec 31 is 01:00 on Jan 1 in Ulaanbaatar: January's, not December's.
    late = dt.datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert Period.month(late.astimezone(UB).date()) == Period(D(2027, 1, 1), D(2027, 1, 31))
    # A local month is a UTC interval starting 8 hours earlier.
    assert Period.month(D(2027, 1, 1)).utc_bounds(UB) == ("2026-12-31 16:00:00",
                                                          "2027-01-31 16:00:00")
    assert [(m.first, m.last) for m in Period(D(2026, 11, 15), D(2027, 1, 10)).months()] == [
        (D(2026, 11, 15), D(2026, 11, 30)), (D(2026, 12, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), D(2027, 1, 10))]


@pytest.mark.parametrize(("args", "period"), [
    (["2026-01-01", "2026-06-30"], Period(D(2026, 1, 1), D(2026, 6, 30))),
    (["2026.01.01", "2026.6.30"], Period(D(2026, 1, 1), D(2026, 6, 30))),
    (["2025"], Period.year(2025)),
    (["2026-01-01", "–", "2026-06-30"], Period(D(2026, 1, 1), D(2026, 6, 30))),
    (["2026-06-30", "2026-01-01"], None),  # backwards
    (["2026-02-30", "2026-03-01"], None),  # no such day
    (["2026-01-01"], None),
    (["январь"], None),
])
def test_typed_periods(args: list[str], period: Period | None) -> None:
    assert parse_period(args) == period


# -- complaints ----------------------------------------------------------------------------
def settings_for(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, admins=frozenset({ADMIN}), receipt_scrypt_n=2**8)


@pytest.fixture
async def b(tmp_path: Path) -> AsyncIterator[Backend]:
    backend = await open_backend(settings_for(tmp_path), at(2026, 11, 30))
    await staff.add_staff(backend, ADMIN, OFFICER, Role.OFFICER, at(2026, 11, 30))
    await staff.add_staff(backend, ADMIN, VIEWER, Role.VIEWER, at(2026, 11, 30))
    yield backend
    await backend.close()


_people = iter(range(555_000, 556_000))


async def _submit(b: Backend, kind: Kind, org: str | None, when: dt.datetime) -> int:
    draft = Draft(kind=kind, org_code=org, texts=["Сумын газрын даамал хахууль авсан гэж сонссон."])
    receipt = await complaints.submit_complaint(b, Citizen("telegram", str(next(_people))), draft,
                                                when)
    return receipt.complaint_id


async def _complaint_year(b: Backend) -> None:
    """Six cases received in December and on Jan 1, handled on time, late, or not yet."""
    c1 = await _submit(b, Kind.COMPLAINT, "bogd", at(2026, 12, 1))     # due Dec 31
    c2 = await _submit(b, Kind.SUGGESTION, "bogd", at(2026, 12, 1))
    c3 = await _submit(b, Kind.REPORT, None, at(2026, 12, 1))
    c4 = await _submit(b, Kind.COMPLAINT, "bayankhongor", at(2026, 12, 1))
    await _submit(b, Kind.COMPLAINT, "bogd", at(2026, 12, 1))          # c5: stays open
    # 17:00 UTC on Dec 31 is Jan 1 in Ulaanbaatar: received on Jan 1, due Jan 31.
    await _submit(b, Kind.COMPLAINT, "bogd", dt.datetime(2026, 12, 31, 17, tzinfo=UTC))
    await cases.reply(b, OFFICER, c1, "Шалгаад хариу өглөө.", at(2026, 12, 11),
                      mark_answered=True)                            # 10 days, on time
    await cases.extend_deadline(b, OFFICER, c2, 20, "Шинжээчийн дүгнэлт", at(2026, 12, 20))
    await cases.reply(b, OFFICER, c2, "Хариу.", at(2027, 1, 15), mark_answered=True)
    await cases.reply(b, OFFICER, c3, "Хариу.", at(2027, 1, 5), mark_answered=True)   # late
    await cases.set_status(b, OFFICER, c4, Status.FORWARDED, at(2026, 12, 3),
                           reason="Прокурорын газар")


async def test_complaint_figures_count_the_case_rowsreceived_in_the_period(b: Backend) -> None:
    await _complaint_year(b)
    now = at(2027, 1, 20)
    both = await stats.complaint_figures(b, Period(D(2026, 12, 1), D(2027, 1, 31)), now)
    assert both.received == 6
    assert both.by_kind == {"complaint": 4, "suggestion": 1, "report": 1}
    assert both.by_org == {"bogd": 4, "bayankhongor": 1, "": 1}
    assert both.by_status == {"answered": 3, "received": 2, "forwarded": 1}
    assert both.by_channel == {"telegram": 6}
    # c1 on time, c2 on time after its extension (due Jan 20), c3 five days late.
    assert (both.answered, both.answered_on_time, both.on_time_pct) == (3, 2, 66.7)
    assert both.median_days == 35.0  # of 10, 35 and 45 days
    assert (both.overdue_now, both.overdue_all_now, both.extended) == (1, 1, 1)

    december = await stats.complaint_figures(b, Period.month(D(2026, 12, 1)), now)
    assert december.received == 5  # the one sent at 01:00 on Jan 1 local time is January's
    # Answered by the period's last day: only c1 (c2 and c3 were answered in January).
    assert (december.answered, december.answered_on_time, december.on_time_pct) == (1, 1, 100.0)
    assert december.median_days == 10.0
    january = await stats.complaint_figures(b, Period.month(D(2027, 1, 1)), now)
    assert (january.received, january.answered, january.on_time_pct, january.median_days) == (
        1, 0, None, None)
    assert (january.overdue_now, january.overdue_all_now) == (0, 1)
    # The same cases, later: the January one is past its deadline too.
    assert (await stats.complaint_figures(b, Period.month(D(2027, 1, 1)), at(2027, 2, 2))
            ).overdue_now == 1


async def test_monthly_complaints_by_kind(b: Backend) -> None:
    await _complaint_year(b)
    m = await stats.monthly(b, Period(D(2026, 12, 1), D(2027, 1, 31)))
    assert [p.first for p in m.months] == [D(2026, 12, 1), D(2027, 1, 1)]
    assert m.complaints == {"complaint": (3, 1), "suggestion": (1, 0), "report": (1, 0)}
    assert (m.answered, m.answered_on_time) == ((3, 0), (2, 0))
    assert m.deliveries == (0, 0) and m.useful == (0, 0)


# -- offline work --------------------------------------------------------------------------
async def test_offline_figures_by_kind_and_measure(b: Backend) -> None:
    now = at(2026, 12, 20)
    await offline.record(b, OFFICER, Activity(D(2026, 12, 2), "2.1", "training",
                                              "Сумдын эрх зүйн хөтөч нарт сургалт", people=55), now)
    await offline.record(b, OFFICER, Activity(D(2026, 12, 9), "2.1", "training", "Сургалт",
                                              people=30), now)
    await offline.record(b, OFFICER, Activity(D(2026, 12, 10), "1.2", "radio", "Радио шторк",
                                              times=88), now)
    mistake = await offline.record(b, OFFICER, Activity(D(2026, 12, 11), "1.2", "led", "LED",
                                                        times=5, people=100), now)
    await offline.withdraw(b, OFFICER, mistake, now)
    await offline.record(b, OFFICER, Activity(D(2026, 11, 30), "2.1", "training", "Өмнөх сар",
                                              people=7), now)
    december = Period.month(D(2026, 12, 1))
    f = await stats.offline_figures(b, december)
    assert (f.entries, f.times, f.people) == (3, 90, 85)
    assert f.by_kind == {"training": (2, 2, 85), "radio": (1, 88, 0)}
    only = await stats.offline_figures(b, december, ("1.2",))
    assert (only.entries, only.times, only.people, only.by_kind) == (1, 88, 0,
                                                                     {"radio": (1, 88, 0)})


async def test_statistics_are_for_staff_only_and_viewers_may_read_them(b: Backend) -> None:
    period, now = Period.month(D(2026, 12, 1)), at(2026, 12, 5)
    assert await stats.require_reader(b, VIEWER) is Role.VIEWER
    overview = await stats.overview(b, VIEWER, period, now)
    assert overview.summary.period == period
    with pytest.raises(NotAuthorized):
        await stats.overview(b, 424242, period, now)  # a citizen's id
    entries = await staff.read_audit(b, ADMIN, now)
    assert [(e.staff_id, e.action, e.detail) for e in entries if e.action == "stats.view"] == [
        (VIEWER, "stats.view", "2026-12-01..2026-12-31")]


# -- outreach and audience, through the fake Bot API --------------------------------------
def _svc(h: Harness) -> Any:
    return h.app.bot_data["svc"]


class Jump:
    """A clock that says `first` once (a broadcast starts at it), then `then`."""

    def __init__(self, first: dt.datetime, then: dt.datetime) -> None:
        self._times: Iterator[dt.datetime] = iter([first])
        self._then = then

    def __call__(self) -> dt.datetime:
        return next(self._times, self._then)


async def _post_id(h: Harness, broadcast_id: int) -> int:
    return next(r.post_id for r in await posts.recent(_svc(h).backend)
                if r.broadcast_id == broadcast_id)


async def _send(h: Harness, text: str, meta: PostMeta, clock: Any = None,
                buttons: tuple[str, ...] = ()) -> int:
    b = _svc(h).backend
    now = (clock or h.clock)()
    broadcast_id = await outreach.create_broadcast(
        b, {"text": {"mn": text}, "buttons": [{"action": a} for a in buttons]}, now, meta=meta)
    await outreach.run_broadcast(b, broadcast_id, TelegramSender(h.app), clock or h.clock)
    return await _post_id(h, broadcast_id)


def who(user: Any) -> Citizen:
    return Citizen("telegram", str(user.id))


async def _outreach_month(h: Harness) -> dict[str, Any]:
    """December 2026: five subscribers and a channel, two posts, reach, leavers, a source.

    Then one more post that starts at 00:30 on Jan 1 local time (16:30 UTC on Dec 31).
    """
    b = _svc(h).backend
    h.clock.now = at(2026, 12, 1)
    people = [h.fake.user(first_name=f"Иргэн{i}") for i in range(5)]
    for user in people:
        assert await outreach.subscribe(b, "telegram", str(user.id), "mn", h.clock())
    channel = h.fake.channel(title="Аймгийн мэдээ", bot_status="left", member_count=1234)
    await h.fake.add_bot_to(channel, by=h.admin, admin=True)
    await h.fake.wait_idle()
    found = await audiences.chats(b)
    await audiences.decide(b, ADMIN_ID, found[0].id, True, h.clock())
    people[4].deactivate()  # gone without a word: the broadcast finds out (403)
    poster = await _send(h, "Авлигын эсрэг зурагт хуудас", PostMeta(
        kind="poster", campaign="negdye", measure="1.1", audience="all"),
        buttons=("useful", "pledge"))
    posted = next(m for m in channel.messages() if "зурагт хуудас" in text_of(m))
    await channel.react(posted["message_id"], {"👍": 12, "❤": 3})
    await h.fake.wait_idle()

    h.clock.now = at(2026, 12, 2)
    await people[3].block()  # Telegram tells the bot (my_chat_member)
    await h.fake.wait_idle()
    assert not await outreach.is_subscribed(b, "telegram", str(people[3].id))
    assert await outreach.unsubscribe(b, "telegram", str(people[2].id), h.clock())

    h.clock.now = at(2026, 12, 3)
    news = await _send(h, "Мэдээ", PostMeta(kind="news", measure="1.2"))
    assert await reach.mark(b, "useful", str(poster), who(people[0]), h.clock())
    assert await reach.mark(b, "useful", str(poster), who(people[1]), h.clock())
    assert not await reach.mark(b, "useful", str(poster), who(people[0]), h.clock())
    assert await reach.mark(b, "share", str(news), who(people[0]), h.clock())
    assert await reach.mark(b, "pledge", "negdye", who(people[0]), h.clock())
    assert not await reach.mark(b, "pledge", "negdye", who(people[0]), h.clock())

    # A poster's QR code: one person opens the bot through it twice, another plainly.
    code = await reach.add_source(b, "Автобусны буудлын зурагт хуудас", h.clock(),
                                  staff_id=ADMIN_ID)
    walker, other = h.fake.user(first_name="Болд"), h.fake.user(first_name="Сараа")
    for user, text in ((walker, f"/start {code}"), (walker, f"/start {code}"), (other, "/start")):
        await user.send(text)
        await expect(user, "110")

    # 00:30 on Jan 1 in Ulaanbaatar, still Dec 31 in UTC; it waits out the quiet hours.
    new_year = await _send(h, "Шинэ жил", PostMeta(kind="news"), clock=Jump(
        dt.datetime(2026, 12, 31, 16, 30, tzinfo=UTC), at(2027, 1, 1, 8)))
    await outreach.subscribe(b, "telegram", str(h.fake.user().id), "mn",
                             dt.datetime(2026, 12, 31, 17, tzinfo=UTC))
    return {"poster": poster, "news": news, "new_year": new_year}


async def test_outreach_and_audience_figures(h: Harness) -> None:
    await _outreach_month(h)
    b = _svc(h).backend
    december = Period.month(D(2026, 12, 1))
    o = await stats.outreach(b, december)
    assert (o.posts, o.broadcasts) == (2, 2)
    assert (o.by_kind, o.by_campaign) == ({"poster": 1, "news": 1}, {"negdye": 1})
    # The poster reached four people and the channel (the fifth was gone); the news, two.
    assert (o.deliveries, o.deliveries_by_kind) == (7, {"person": 6, "channel": 1})
    assert o.recipients == 5
    assert (o.failed, o.failed_by_reason) == (1, {"Forbidden: user is deactivated": 1})
    assert (o.useful, o.shares, o.pledges) == (2, 1, 1)
    assert (o.chats, o.channel_members, o.reactions) == (1, 1234, 15)

    a = await stats.audience(b, december)
    assert (a.subscribers_now, a.chats_now) == (3, 1)  # two from December, one from January
    assert (a.joined, a.left, a.left_by_reason) == (5, 3, {"blocked": 2, "stopped": 1})
    assert (a.starts, a.sources) == (3, {"Автобусны буудлын зурагт хуудас": 1})

    january = Period.month(D(2027, 1, 1))
    o1, a1 = await stats.outreach(b, january), await stats.audience(b, january)
    assert (o1.posts, o1.deliveries, o1.recipients, o1.useful) == (1, 2, 2, 0)
    assert (a1.joined, a1.left, a1.starts, a1.sources) == (1, 0, 0, {})

    both = Period(D(2026, 12, 1), D(2027, 1, 31))
    whole = await stats.outreach(b, both)
    assert (whole.posts, whole.deliveries, whole.recipients) == (3, 9, 5)
    m = await stats.monthly(b, both)
    assert (m.deliveries, m.useful, m.shares, m.pledges) == ((7, 2), (2, 0), (1, 0), (1, 0))
    assert (m.joined, m.left) == ((5, 1), (3, 0))

    summary = await stats.summary(b, december, h.clock())
    assert (summary.outreach, summary.audience) == (o, a)


async def test_a_selector_counts_only_the_posts_of_a_plan_measure(h: Harness) -> None:
    await _outreach_month(h)
    b = _svc(h).backend
    december = Period.month(D(2026, 12, 1))
    first = await stats.outreach(b, december, Selector(measures=("1.1",)))
    assert (first.posts, first.deliveries, first.recipients, first.failed) == (1, 5, 5, 1)
    assert (first.useful, first.shares, first.pledges, first.chats) == (2, 0, 1, 1)
    second = await stats.outreach(b, december, Selector(measures=("1.2",)))
    assert (second.posts, second.deliveries, second.recipients, second.failed) == (1, 2, 2, 0)
    assert (second.useful, second.shares, second.pledges, second.chats) == (0, 1, 0, 0)
    # Every non-empty list must match: a poster of «Нэгдье» is measure 1.1's post …
    same = await stats.outreach(b, december, Selector(campaigns=("negdye",), kinds=("poster",)))
    assert same == first
    # … and no post is both measure 1.1 and news.
    none = await stats.outreach(b, december, Selector(measures=("1.1",), kinds=("news",)))
    assert (none.posts, none.deliveries, none.useful, none.pledges) == (0, 0, 0, 0)
    # Marks counted through their scope (reach_marks) agree with the events for all posts.
    every = await stats.outreach(b, december, Selector(kinds=("poster", "news")))
    plain = await stats.outreach(b, december)
    assert (every.useful, every.shares, every.pledges) == (plain.useful, plain.shares,
                                                           plain.pledges)
    m = await stats.monthly(b, Period(D(2026, 12, 1), D(2027, 1, 31)), Selector(measures=("1.1",)))
    assert (m.deliveries, m.useful, m.pledges) == ((5, 0), (2, 0), (1, 0))


# -- charts --------------------------------------------------------------------------------
def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_charts_are_phone_sized_pngs_with_mongolian_letters() -> None:
    # Warnings are errors in the tests: a glyph missing from the font would fail here.
    year = Period.year(2026)
    months = year.months()
    m = stats.Monthly(
        months=months, deliveries=tuple(range(100, 1300, 100)), useful=(5,) * 12,
        shares=(2,) * 12, pledges=(1,) * 12, joined=(3,) * 12, left=(1,) * 12,
        complaints={"complaint": (1,) * 12, "suggestion": (0,) * 12, "report": (2,) * 12},
        answered=(1,) * 12, answered_on_time=(1,) * 12)
    sources = {"Өлзийт сумын Үйлчилгээний төв": 12, "Үүдний самбар": 3}
    drawn = dict(charts.all_charts(m, sources, "mn"))
    assert set(drawn) == {"reach.png", "complaints.png", "sources.png"}
    for png in drawn.values():
        width, height = _png_size(png)
        assert width == 1080 and 700 <= height <= 1350
    assert charts.month_labels(months[:2], "mn") == ["1-р\nсар", "2-р\nсар"]
    assert charts.month_labels(Period(D(2026, 12, 1), D(2027, 1, 31)).months(), "en") == [
        "Dec\n2026", "Jan\n2027"]
    two_years = charts.month_labels(Period(D(2025, 1, 1), D(2026, 12, 31)).months(), "en")
    assert two_years[:4] == ["Jan\n2025", "", "Mar", ""] and two_years[12] == "Jan\n2026"
    assert sum(1 for label in two_years if label) == 12
    empty = stats.Monthly(months=months[:1], deliveries=(0,), useful=(0,), shares=(0,),
                          pledges=(0,), joined=(0,), left=(0,),
                          complaints={k.value: (0,) for k in Kind}, answered=(0,),
                          answered_on_time=(0,))
    assert charts.all_charts(empty, {}, "mn") == []  # nothing measured, nothing drawn


# -- /stats end to end ---------------------------------------------------------------------
def _photos(user: Any) -> list[dict[str, Any]]:
    return [m for m in user.messages() if m.get("photo")]


async def test_stats_in_telegram_with_charts(h: Harness) -> None:
    await _outreach_month(h)
    h.clock.now = at(2026, 12, 10)
    await h.admin.send("/start")
    await expect(h.admin, "110")
    await h.add_officer()
    await file_complaint(h.fake.user(first_name="Сараа"))
    await h.admin.send("/stats")
    await press(h.admin, "Энэ сар")
    summary = await expect(h.admin, "Статистик: 2026.12.01 – 2026.12.31")
    text = text_of(summary)
    for line in ("Нийтлэл: 2 (илгээлт 2)", "Төрлөөр: мэдээ 1 · зурагт хуудас 1",
                 "Аянаар: «Нэгдье» аян 1",
                 "Хүргэлт (Telegram хүлээн авсан): 7 — хүн 6 · суваг 1",
                 "Хүлээн авагч, давхардаагүй: 5",
                 "Хүргэгдээгүй: 1 (Forbidden: user is deactivated 1)",
                 "гишүүдийн нийлбэр 1234 (боломжит хүрээ, үзэлт биш) · реакц 15",
                 "👍 Хэрэгтэй: 2 · 📤 Түгээсэн: 1 · ✊ Нэгдсэн: 1",
                 "Одоо мэдээ авдаг: 3 хүн, 1 бүлэг, суваг",
                 "Нэмэгдсэн: +5 · гарсан: −3 (ботыг хаасан 2 · өөрөө зогсоосон 1)",
                 "/start дарсан: 4 удаа",
                 "QR код, холбоосоор анх ирсэн: Автобусны буудлын зурагт хуудас 1",
                 "Ирсэн: 1 (гомдол 1)", "Хэнд хамаарах: Богд сум 1",
                 "Одоогийн төлөв: Хүлээн авсан 1", "Хариулсан: 0, үүнээс хугацаандаа 0 (—)",
                 "Одоо хугацаа хэтэрсэн: энэ хугацаанд ирснээс 0, бүх нээлттэй хэргээс 0",
                 "Энэ хугацаанд бүртгэл алга.", "үзэлт биш"):
        assert line in text, line
    assert "view" not in text.lower() and "Сараа" not in text and "хахууль" not in text
    first = await h.admin.wait_for(lambda m: bool(m.get("photo")), timeout=30)
    assert "2026.12.01 – 2026.12.31" in first["caption"]
    await h.fake.wait_idle()
    album = h.fake.calls_to("sendMediaGroup")
    assert len(album) == 1 and len(album[0].params["media"]) == 3
    assert len(_photos(h.admin)) == 3

    # Two dates typed as an argument; the English-speaking staff member reads English.
    await h.admin.send("/lang")
    await press(h.admin, "🇬🇧 English")
    await expect(h.admin, "Language set to English")
    await h.admin.send("/stats 2027-01-01 2027-01-31")
    january = await expect(h.admin, "Statistics: 2027.01.01 – 2027.01.31")
    assert "Deliveries (accepted by Telegram): 2" in text_of(january)
    assert "Joined: +1 · left: −0" in text_of(january)
    await h.admin.wait_for(lambda m: len(_photos(h.admin)) == 4, timeout=30)
    photo = h.fake.calls_to("sendPhoto")[-1]
    assert "deliveries, complaints and sources" in photo.params["caption"], \
        "January has deliveries and a subscriber only: one chart, one photo"
    await h.admin.send("/stats 2027-01-31 2027-01-01")
    await expect(h.admin, "the first one before the last")


async def test_stats_buttons_and_who_may_use_them(h: Harness) -> None:
    await h.admin.send(f"/staff add {OFFICER_ID} viewer")
    await expect(h.admin, str(OFFICER_ID))
    await h.officer.send("/stats")
    menu = await expect(h.officer, "Аль хугацааных вэ")
    labels = [b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Энэ сар", "Энэ улирал", "Энэ хагас жил", "Энэ жил", "📅 Хоёр огноо"]
    await press(h.officer, "📅 Хоёр огноо")
    await expect(h.officer, "/stats 2026-01-01 2026-06-30")
    await press(h.officer, "Энэ улирал", message_id=menu["message_id"])
    quarter = await expect(h.officer, "Статистик: 2026.10.01 – 2026.12.31")
    assert "Энэ хугацаанд нийтлэл илгээгээгүй." in text_of(quarter)
    assert "Энэ хугацаанд гомдол, санал, мэдээлэл ирээгүй." in text_of(quarter)
    await h.fake.wait_idle()
    assert not _photos(h.officer), "nothing measured: no chart"

    citizen = h.fake.user(first_name="Бат")
    await citizen.send("/stats")
    await expect(citizen, "зөвхөн байгууллагын ажилтанд")
    await h.officer.send("/stats", chat=h.staff_group)  # staff, but not in private
    await expect(h.staff_group, "хувийн чатад")
    # A period button's data, forged by a citizen, is a stale button to them.
    await citizen.press_data("stats:year")
    await h.fake.wait_idle()
    answers = h.fake.calls_to("answerCallbackQuery")
    assert answers[-1].params.get("text") == "Энэ товч хүчингүй болсон байна. Цэсээ ашиглана уу."
    assert not any("Статистик:" in text_of(m) for m in citizen.messages())
    # Removed from staff, the officer's menu no longer works.
    await h.admin.send(f"/staff remove {OFFICER_ID}")
    await expect(h.admin, "хасагдлаа")
    await h.officer.send("/stats 2026")
    await expect(h.officer, "зөвхөн байгууллагын ажилтанд")


# -- the queries run along indexes ---------------------------------------------------------
class Spy:
    """The database connection, noting every statement the statistics run on it."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.seen = conn, []

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.seen.append((sql, params))
        return self.conn.execute(sql, params)


async def test_the_counts_run_along_indexes(tmp_path: Path) -> None:
    """What keeps a year's /stats near a second on a million events (see the docstring)."""
    backend = await open_backend(settings_for(tmp_path), at(2026, 12, 20))
    await backend.close()
    seed_big(settings_for(tmp_path).db_path, events=20_000, complaints=500, subscribers=300,
             broadcasts=20)
    backend = await open_backend(settings_for(tmp_path), at(2026, 12, 20))
    try:
        year, today = Period.year(2026), "2026-12-20"
        params = stats._params(backend, year, Selector())
        chosen = stats._params(backend, year, Selector(measures=("1.1",)))
        async with sq.reader(backend.db) as conn:
            spy = Spy(conn)
            await stats._outreach(spy, params, Selector())
            await stats._outreach(spy, chosen, Selector(measures=("1.1",)))
            await stats._audience(spy, "2026-01-01", "2026-12-31")
            await stats._complaints(spy, "2026-01-01", "2026-12-31", today)
            await sq.sent_by_month(spy, params)
            await sq.events_by_month(spy, sq.REACH, params["months"])
            await sq.selected_marks_by_month(spy, chosen)
            plans = []
            for sql, values in spy.seen:
                async with conn.execute(f"EXPLAIN QUERY PLAN {sql}", values) as cur:
                    plans.append((sql, [str(r[3]) for r in await cur.fetchall()]))
    finally:
        await backend.close()
    assert len(plans) >= 20
    for sql, plan in plans:
        steps = "\n".join(plan)
        if "outbox" in sql:
            assert "SCAN o" not in plan and "ANY(" not in steps, (sql, steps)
            assert "outbox_pending" in steps, (sql, steps)  # never the table's rows
        if "FROM events" in sql:
            assert "events_by_name_day" in steps and "SCAN e" not in plan, (sql, steps)
        if "FROM reach_marks" in sql:
            assert "reach_marks USING PRIMARY KEY (what=?" in steps, (sql, steps)


# -- a big database, for timings -----------------------------------------------------------
BIG_EVENTS = 1_000_000
BIG_COMPLAINTS = 10_000
BIG_SUBSCRIBERS = 10_000
BIG_BROADCASTS = 200
BIG_FIRST = dt.date(2025, 1, 1)
BIG_DAYS = 730


def seed_big(path: Path, seed: int = 110, *, events: int = BIG_EVENTS,
             complaints: int = BIG_COMPLAINTS, subscribers: int = BIG_SUBSCRIBERS,
             broadcasts: int = BIG_BROADCASTS) -> dict[str, int]:
    """Fill a migrated database with two years of made-up activity, by SQL (fast)."""
    rnd = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")

    def day(i: int) -> str:
        return (BIG_FIRST + dt.timedelta(days=i)).isoformat()

    statuses = ["active"] * 85 + ["stopped"] * 10 + ["blocked"] * 5
    people = []
    for i in range(1, subscribers + 1):
        status, joined = rnd.choice(statuses), rnd.randrange(BIG_DAYS)
        left = None if status == "active" else day(rnd.randrange(joined, BIG_DAYS))
        people.append((i, rnd.randbytes(16), status, day(joined), left,
                            "person" if i > 60 else ("group" if i > 5 else "channel")))
    conn.executemany(
        "INSERT INTO subscribers (id, channel, key, chat, lang, status, joined_on, left_on, kind)"
        " VALUES (?, 'telegram', ?, x'00', 'mn', ?, ?, ?, ?)", people)
    kinds = ("news", "poster", "infographic", "video", "handbook", "article")
    campaigns = (None, "negdye", "honest-leader", "justice-110")
    measures = (None, "1.1", "1.2", "1.4", "6.1")
    conn.executemany(
        "INSERT INTO posts (id, payload, created_at, kind, campaign, measure, title)"
        " VALUES (?, '{}', ?, ?, ?, ?, ?)",
        [(i, "2025-01-01T00:00:00+00:00", rnd.choice(kinds), rnd.choice(campaigns),
          rnd.choice(measures), f"Нийтлэл {i}") for i in range(1, broadcasts + 1)])
    for i in range(1, broadcasts + 1):
        started = dt.datetime.combine(BIG_FIRST, dt.time(2), tzinfo=UTC) + dt.timedelta(
            days=i * BIG_DAYS // broadcasts, minutes=rnd.randrange(600))
        conn.execute(
            "INSERT INTO broadcasts (id, post_id, status, total, created_at, started_at,"
            " finished_at) VALUES (?, ?, 'done', ?, ?, ?, ?)",
            (i, i, subscribers, started.isoformat(), started.isoformat(),
             (started + dt.timedelta(minutes=6)).isoformat()))
        conn.execute(
            "INSERT INTO outbox (broadcast_id, subscriber_id, status, attempts, error)"
            " SELECT ?, id, CASE WHEN abs(random()) % 100 < 97 THEN 'sent'"
            " WHEN abs(random()) % 2 = 0 THEN 'failed' ELSE 'skipped' END, 1, NULL"
            " FROM subscribers", (i,))
    conn.execute("UPDATE outbox SET error = 'Forbidden: bot was blocked by the user'"
                 " WHERE status = 'failed'")
    conn.executemany(
        "INSERT INTO chats (id, tg_chat, kind, title, status, subscriber_id, added_at)"
        " VALUES (?, ?, ?, ?, 'active', ?, '2025-01-01')",
        [(i, -1000 - i, "channel" if i <= 5 else "group", f"Чат {i}", i) for i in range(1, 61)])
    conn.executemany(
        "INSERT INTO channel_posts (broadcast_id, chat_id, message_id, members, reactions)"
        " VALUES (?, ?, ?, ?, ?)",
        [(b, c, b * 100 + c, rnd.randrange(50, 5000), rnd.randrange(0, 40))
         for b in range(1, broadcasts + 1) for c in range(1, 61)])
    sources = [f"s{i:07d}" for i in range(30)]
    conn.executemany("INSERT INTO sources (code, name, created_at) VALUES (?, ?, '2025-01-01')",
                     [(code, f"Зурагт хуудас {i}") for i, code in enumerate(sources)])
    weights = {"useful": 35, "share": 15, "pledge": 10, "source": 10, "start": 15,
               "subscriber_joined": 8, "subscriber_left": 3, "delivery_failed": 1,
               "status_checked": 3}
    names = [n for n, w in weights.items() for _ in range(w)]

    def dims(name: str) -> str:
        if name in ("useful", "share"):
            return json.dumps({"scope": str(rnd.randrange(1, broadcasts + 1))})
        if name == "pledge":
            return json.dumps({"scope": rnd.choice(campaigns[1:])})
        if name == "source":
            return json.dumps({"scope": rnd.choice(sources)})
        if name == "start":
            return json.dumps({"source": ""})
        if name == "subscriber_left":
            return json.dumps({"reason": "stopped"})
        if name == "delivery_failed":
            return json.dumps({"reason": rnd.choice(("blocked", "gone", "x")), "count": 2})
        return "{}"

    rows, marks = [], []
    for _ in range(events - complaints):
        name = rnd.choice(names)
        i = rnd.randrange(BIG_DAYS)
        rows.append((f"{day(i)}T03:00:00+00:00", day(i), name, dims(name)))
        if name in ("useful", "share", "pledge", "source"):  # reach.mark writes both
            marks.append((name, json.loads(rows[-1][3])["scope"], rnd.randbytes(16), day(i)))
    conn.executemany("INSERT INTO events (at, day, name, dims) VALUES (?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO reach_marks (what, scope, key, day) VALUES (?, ?, ?, ?)",
                     marks)
    complaint_statuses = ("received", "in_review", "answered", "answered", "answered",
                          "forwarded", "rejected", "closed")
    orgs = ("bogd", "bayankhongor", "police", "court", "health", None)
    case_rows, case_events = [], []
    for i in range(1, complaints + 1):
        received = rnd.randrange(BIG_DAYS)
        status = rnd.choice(complaint_statuses)
        answered = received + rnd.randrange(1, 45) if status in ("answered", "closed") else None
        kind = rnd.choice(("complaint", "suggestion", "report"))
        case_rows.append((i, rnd.randbytes(32), kind, rnd.choice(orgs), status, day(received),
                          day(received + 30), None if answered is None else day(answered)))
        case_events.append((f"{day(received)}T00:00:00+00:00", day(received),
                            "complaint_submitted", json.dumps({"kind": kind})))
    conn.executemany(
        "INSERT INTO complaints (id, receipt_hash, kind, org_code, body, status, received_on,"
        " due_on, answered_on) VALUES (?, ?, ?, ?, x'00', ?, ?, ?, ?)", case_rows)
    conn.executemany("INSERT INTO events (at, day, name, dims) VALUES (?, ?, ?, ?)", case_events)
    offline_kinds = ("training", "handout", "radio", "led", "event")
    conn.executemany(
        "INSERT INTO offline_activities (happened_on, measure, kind, title, times, people,"
        " created_at) VALUES (?, ?, ?, 'Сургалт', ?, ?, '2025-01-01')",
        [(day(rnd.randrange(BIG_DAYS)), rnd.choice(measures[1:]), rnd.choice(offline_kinds),
          rnd.randrange(1, 5), rnd.randrange(0, 200)) for _ in range(2000)])
    conn.execute("COMMIT")
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
              for t in ("events", "reach_marks", "complaints", "outbox", "subscribers",
                        "broadcasts")}
    conn.close()
    return counts


async def time_big(folder: Path) -> None:
    """Build the big database in `folder` (once) and print how long each query takes."""
    settings = Settings(data_dir=folder, admins=frozenset({1}), receipt_scrypt_n=2**8)
    now = dt.datetime(2026, 12, 20, 4, 0, tzinfo=UTC)
    fresh = not settings.db_path.exists()
    backend = await open_backend(settings, now)
    if fresh:
        await backend.close()
        started = time.perf_counter()
        counts = seed_big(settings.db_path)
        print(f"seeded {counts} in {time.perf_counter() - started:.1f} s")
        backend = await open_backend(settings, now)
    try:
        year, half = Period.year(2026), Period.report(2026, 1)
        two_years = Period(dt.date(2025, 1, 1), dt.date(2026, 12, 31))
        month = Period.month(dt.date(2026, 11, 5))
        cases = [
            ("summary, a month", lambda: stats.summary(backend, month, now)),
            ("summary, a half-year", lambda: stats.summary(backend, half, now)),
            ("summary, a year", lambda: stats.summary(backend, year, now)),
            ("summary, two years", lambda: stats.summary(backend, two_years, now)),
            ("outreach, a year", lambda: stats.outreach(backend, year)),
            ("outreach, a year, measure 1.1", lambda: stats.outreach(
                backend, year, stats.Selector(measures=("1.1",)))),
            ("audience, a year", lambda: stats.audience(backend, year)),
            ("complaints, a year", lambda: stats.complaint_figures(backend, year, now)),
            ("offline, a year", lambda: stats.offline_figures(backend, year)),
            ("monthly, a year", lambda: stats.monthly(backend, year)),
            ("monthly, a year, measure 1.1", lambda: stats.monthly(
                backend, year, stats.Selector(measures=("1.1",)))),
            ("overview (what /stats runs), a year", lambda: stats.overview(backend, 1, year, now)),
        ]
        for label, run in cases:
            times = []
            for _ in range(3):
                started = time.perf_counter()
                await run()
                times.append(time.perf_counter() - started)
            print(f"{label:40} best {min(times) * 1000:7.0f} ms"
                  f"   worst {max(times) * 1000:7.0f} ms")
    finally:
        await backend.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.test_stats DIR  (a new or earlier-seeded data folder)")
    asyncio.run(time_big(Path(sys.argv[1])))
