"""Schedules: weekly occurrences, quiet hours, sent once across a restart, missed runs told."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.core import outreach, posts, schedule
from bot.core.schedule import Weekly, occurrences, out_of_quiet
from tests.harness import Harness, expect

UB = ZoneInfo("Asia/Ulaanbaatar")
POST = {"text": {"mn": "Мягмар, пүрэв гарагийн зөвлөмж: бэлэг авахгүй!"}}


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UB).astimezone(dt.UTC)  # type: ignore[misc]


def test_tuesdays_and_thursdays_at_ten_and_three() -> None:
    rule = Weekly(days=(1, 3), times=(dt.time(10), dt.time(15)),
                  start_on=dt.date(2026, 12, 1), end_on=dt.date(2026, 12, 10))
    got = list(occurrences(rule, UB, local(2026, 11, 30), local(2026, 12, 31)))
    assert got == [local(2026, 12, 1, 10), local(2026, 12, 1, 15), local(2026, 12, 3, 10),
                   local(2026, 12, 3, 15), local(2026, 12, 8, 10), local(2026, 12, 8, 15),
                   local(2026, 12, 10, 10), local(2026, 12, 10, 15)]


def test_quiet_hours_move_a_post_to_eight_in_the_morning() -> None:
    assert out_of_quiet(local(2026, 12, 1, 23, 30), UB) == local(2026, 12, 2, 8)
    assert out_of_quiet(local(2026, 12, 2, 6, 0), UB) == local(2026, 12, 2, 8)
    assert out_of_quiet(local(2026, 12, 2, 12, 0), UB) == local(2026, 12, 2, 12)


async def test_a_one_off_post_is_sent_once_even_across_a_restart(h: Harness) -> None:
    citizens = [h.fake.user(first_name=f"И{i}") for i in range(3)]
    for user in citizens:
        await user.send("/subscribe")
        await expect(user, "бүртгүүллээ")
    backend = h.app.bot_data["svc"].backend
    at = h.clock() + dt.timedelta(minutes=10)
    await schedule.schedule_once(backend, POST, at, h.clock())
    await h.run_job("schedules")
    assert all(not any("Мягмар, пүрэв" in t for t in u.texts()) for u in citizens)  # not yet
    await h.restart()  # jobs are rebuilt from the database
    h.clock.advance(minutes=11)
    await h.run_job("schedules")
    await h.run_job("schedules")  # a second look finds nothing more to send
    for user in citizens:
        await expect(user, "Мягмар, пүрэв")
    await h.fake.wait_idle()
    counts = [sum("Мягмар, пүрэв" in t for t in u.texts()) for u in citizens]
    assert counts == [1, 1, 1], counts


async def test_a_run_missed_while_down_is_not_sent_late_and_staff_are_told(h: Harness) -> None:
    citizen = h.fake.user()
    await citizen.send("/subscribe")
    await expect(citizen, "бүртгүүллээ")
    backend = h.app.bot_data["svc"].backend
    await schedule.schedule_once(backend, POST, h.clock() + dt.timedelta(minutes=5), h.clock())
    await h.stop()
    h.clock.advance(hours=5)  # down for longer than the two-hour grace
    await h.start()
    await h.run_job("schedules")
    await expect(h.staff_group, "хоцорсон")
    assert not any("Мягмар, пүрэв" in t for t in citizen.texts())


async def test_weekly_schedule_sends_each_occurrence_once(h: Harness) -> None:
    citizen = h.fake.user()
    await citizen.send("/subscribe")
    await expect(citizen, "бүртгүүллээ")
    backend = h.app.bot_data["svc"].backend
    today = h.clock().astimezone(UB).date()  # Tuesday 2026-12-01, 10:00 in UB
    rule = Weekly(days=(1, 3), times=(dt.time(10, 30), dt.time(15)), start_on=today,
                  end_on=today + dt.timedelta(days=7))
    await schedule.schedule_weekly(backend, POST, rule, h.clock())
    for hours in (1, 5, 48, 53):  # Tue 11:00, Tue 15:00, Thu 10:00, Thu 15:00
        h.clock.now = local(2026, 12, 1, 10) + dt.timedelta(hours=hours)
        await h.run_job("schedules")
        await h.settle()
    # Tue 10:30 and 15:00 and Thu 15:00; Thu 10:30 was 4.5 h late at 15:00: missed, staff told.
    assert sum("Мягмар, пүрэв" in t for t in citizen.texts()) == 3
    assert await outreach.unfinished(backend) == []


async def test_a_weekly_schedule_is_done_two_days_after_its_last_day(h: Harness) -> None:
    backend = h.app.bot_data["svc"].backend
    today = h.clock().astimezone(UB).date()
    rule = Weekly(days=(1,), times=(dt.time(10, 30),), start_on=today, end_on=today)
    schedule_id = await schedule.schedule_weekly(backend, POST, rule, h.clock())
    h.clock.advance(days=1)
    await schedule.fire_due(backend, h.clock())
    assert [u.schedule_id for u in await posts.upcoming(backend)] == [schedule_id]
    h.clock.advance(days=1)
    await schedule.fire_due(backend, h.clock())
    assert await posts.upcoming(backend) == []
