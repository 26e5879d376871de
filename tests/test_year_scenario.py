"""A year of the office's work through the bot's own flows, then the three places its
figures appear — /stats, the XLSX export and the DOCX report — checked against it.

January to December 2026: citizens subscribe (two leave), staff post a poster with /post,
a campaign post and a weekly radio-style reminder from the library; citizens press useful,
pledge and share; three complaints (one answered on time, one late, one still open and
overdue); staff log two trainings and a radio series. Nothing is inserted as rows.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest

from bot.core import offline, posts, schedule
from bot.core.offline import Activity
from bot.core.schedule import Weekly
from bot.export import export
from bot.fakegram import FakeTelegram, Limits
from bot.report.build import make_report
from bot.sandbox.script import reply_to_case
from tests.harness import ADMIN_ID, Harness, case_number, expect, file_complaint, press, text_of

UB = ZoneInfo("Asia/Ulaanbaatar")
PNG = (Path(__file__).resolve().parents[1] / "content" / "media" / "posters"
       / "what-is-corruption.png").read_bytes()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """Inline mode and its feedback on, as /setinline and /setinlinefeedback make them."""
    server = FakeTelegram(token="123456:TEST-TOKEN", bot_username="ac110_bot",
                          limits=Limits(private_burst=30), supports_inline_queries=True,
                          inline_feedback=True)
    await server.start()
    yield server
    await server.stop()


def _svc(h: Harness) -> Any:
    return h.app.bot_data["svc"]


def _at(h: Harness, month: int, day: int, hour: int = 10) -> None:
    h.clock.now = dt.datetime(2026, month, day, hour, tzinfo=UB).astimezone(dt.UTC)


async def _fire(h: Harness) -> None:
    await h.run_job("schedules")
    await h.settle()


async def test_a_year_of_work_adds_up_in_stats_the_export_and_the_report(
    h: Harness, tmp_path: Path
) -> None:
    await h.stop()
    h.clock.now = dt.datetime(2026, 1, 5, 2, tzinfo=dt.UTC)
    await h.start(send_per_second=200.0)
    await h.add_officer()
    backend = _svc(h).backend
    # January: six citizens subscribe through the bot.
    people = [h.fake.user(first_name=f"Иргэн{i}", username=f"irgen{i}") for i in range(6)]
    for person in people:
        await person.send("/subscribe")
        await expect(person, "бүртгүүллээ")

    # February: an officer posts a poster with /post, for now.
    _at(h, 2, 10)
    officer = h.officer
    await officer.send("/post")
    await expect(officer, "Шинэ нийтлэл")
    await officer.send_photo(PNG, caption="Авлига гэж юу вэ? Хуулийн тодорхойлолт.")
    await expect(officer, "Хүлээн авлаа")
    await _through_post_flow(h, officer, kind="poster", measure="1.1")
    for person in people:
        await expect(person, "Авлига гэж юу вэ")
    # Two find it useful (one presses twice); one shares it through inline mode.
    for person in (people[0], people[1], people[1]):
        await press(person, "👍 Хэрэгтэй")
    poster = next(m for m in people[2].messages() if m.get("photo"))
    for _ in range(2):  # shared twice by the same person: counted once
        await people[2].share_via_button(poster, "📤 Түгээх", chat=people[3])
    await h.fake.wait_idle()

    # April: the «Нэгдье» post from the library; three pledge.
    _at(h, 4, 6)
    negdye = _svc(h).content.get("negdye")
    payload, meta = posts.from_content(negdye)
    await schedule.publish(backend, ADMIN_ID, payload, meta, None, h.clock())
    await _fire(h)
    for person in people[:3]:
        label = next(b["text"] for m in person.messages()
                     for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                     for b in row if b.get("callback_data", "").startswith("rp:"))
        await press(person, label)
    await h.fake.wait_idle()

    # May: two citizens stop the posts.
    _at(h, 5, 4)
    for person in people[4:]:
        await person.send("/stop")
        await expect(person, "зогсоолоо")

    # June: a weekly reminder, Tuesdays at 11:00, three weeks (3 runs to 4 subscribers).
    _at(h, 6, 1)
    reminder = _svc(h).content.get("how-to-report")
    payload, meta = posts.from_content(reminder)
    rule = Weekly(days=(1,), times=(dt.time(11),), start_on=dt.date(2026, 6, 1),
                  end_on=dt.date(2026, 6, 21))
    await schedule.publish(backend, ADMIN_ID, payload, meta, rule, h.clock())
    for day in (2, 9, 16):
        _at(h, 6, day, 12)
        await _fire(h)

    # Complaints: March answered in 5 days; July answered 40 days late; October still open.
    alice, bat, dorj = (h.fake.user(first_name=n) for n in ("Алиса", "Бат", "Дорж"))
    _at(h, 3, 2)
    await file_complaint(alice)
    first = case_number(await expect(h.staff_group, "№"))
    _at(h, 3, 7)
    await reply_to_case(officer, first, "Шалгаж, арга хэмжээ авлаа.")
    _at(h, 7, 1)
    await file_complaint(bat, kind="💡 Санал")
    second = case_number(await expect(h.staff_group, "№"))
    _at(h, 9, 10)
    await reply_to_case(officer, second, "Саналыг хүлээн авлаа.")
    _at(h, 10, 5)
    await file_complaint(dorj)
    await expect(h.staff_group, "№")

    # Offline work staff log: two trainings (measure 2.2) and a radio series (1.1).
    _at(h, 11, 20)
    trainings = ((3, "Шинэ албан хаагчдын сургалт", 186), (17, "ЖДҮ эрхлэгчид", 32))
    for day, title, people_n in trainings:
        await offline.record(backend, ADMIN_ID, Activity(
            happened_on=dt.date(2026, 11, day), measure="2.2", kind="training", title=title,
            people=people_n), h.clock())
    await offline.record(backend, ADMIN_ID, Activity(
        happened_on=dt.date(2026, 11, 10), measure="1.1", kind="radio",
        title="Радиогоор мягмар, пүрэв гарагт", times=88), h.clock())

    # December: the year's figures.
    _at(h, 12, 1)
    await _check_stats(h)
    await _check_export(h, tmp_path, first, second)
    await _check_report(h, tmp_path)


async def _through_post_flow(h: Harness, staff: Any, *, kind: str, measure: str) -> None:
    """The /post steps after the message: no English, tags, buttons, audience, now, send."""
    await press(staff, "⏭ Англи бичвэргүй")
    await expect(staff, "ямар төрлийн")
    await press(staff, f"pp:kind:{kind}")
    await expect(staff, "Аль аянд")
    await press(staff, "— Аянд хамаарахгүй")
    await expect(staff, "арга хэмжээнд")
    await staff.send(measure)
    await expect(staff, "ямар товч")
    await press(staff, "Дараах ➡️")
    await expect(staff, "Хэнд илгээх")
    await press(staff, "pp:aud:subscribers")
    await expect(staff, "Хэзээ илгээх")
    await press(staff, "⚡ Одоо")
    await expect(staff, "Тохиргоо")
    await press(staff, "✅ Баталгаажуулах")
    await expect(staff, "Хуваарь №")
    await h.settle()


async def _check_stats(h: Harness) -> None:
    staff = h.officer
    await staff.send("/stats 2026")
    summary = text_of(await expect(staff, "Статистик: 2026.01.01"))
    # 1 poster + 1 campaign post + 1 reminder (3 runs): 3 posts, 5 broadcasts.
    assert "Нийтлэл: 3 (илгээлт 5)" in summary
    # 6 + 6 + 3 × 4 = 24 deliveries to 6 people; useful 2, pledges 3.
    assert "Хүргэлт (Telegram хүлээн авсан): 24" in summary
    assert "Хүлээн авагч, давхардаагүй: 6" in summary
    assert "👍 Хэрэгтэй: 2" in summary and "✊ Нэгдсэн: 3" in summary
    # Three complaints: one answered on time, one late, one open and overdue.
    for line in (
        "Төрлөөр: аян 1 · инфографик 1 · зурагт хуудас 1",
        "👍 Хэрэгтэй: 2 · 📤 Түгээсэн: 1 · ✊ Нэгдсэн: 3",
        "Одоо мэдээ авдаг: 4 хүн",
        "Нэмэгдсэн: +6 · гарсан: −2 (өөрөө зогсоосон 2)",
        "Ирсэн: 3 (гомдол 2 · санал 1)",
        "Хариулсан: 2, үүнээс хугацаандаа 1 (50%)",
        "Хариулах хугацааны медиан: 38 хоног",  # 5 and 71 days
        "Одоо хугацаа хэтэрсэн: энэ хугацаанд ирснээс 1",
        "• Сургалт: 2 бүртгэл, 2 удаа, 218 хүн",
        "• Радио: 1 бүртгэл, 88 удаа",
    ):
        assert line in summary, (line, summary)


async def _check_export(h: Harness, tmp_path: Path, first: int, second: int) -> None:
    out = tmp_path / "year.xlsx"
    await export(_svc(h).backend, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "xlsx", out,
                 h.clock())
    book = openpyxl.load_workbook(out, read_only=True)
    sheets = book.sheetnames
    posts_rows = list(book[sheets[1]].iter_rows(values_only=True))
    delivered = [r for r in posts_rows if isinstance(r[0], int)]
    assert len(delivered) == 5 and sum(r[9] for r in delivered) == 24
    complaints_rows = [r for r in book[sheets[4]].iter_rows(values_only=True)
                       if isinstance(r[0], int)]
    by_number = {r[0]: r for r in complaints_rows}
    assert set(by_number) == {first, second, max(by_number)}
    assert (by_number[first][9], by_number[first][10]) == (5, "тийм")
    assert (by_number[second][9], by_number[second][10]) == (71, "үгүй")
    figures = {(r[0], r[1]): r[2] for r in book[sheets[0]].iter_rows(values_only=True)
               if len(r) >= 3}
    for (section, figure), value in {
        ("Сурталчилгаа", "Хүргэлт"): 24, ("Сурталчилгаа", "Хуваалцсан"): 1,
        ("Сурталчилгаа", "«Хэрэгтэй» дарсан"): 2, ("Сурталчилгаа", "Аянд нэгдсэн"): 3,
        ("Өргөдөл, гомдол", "Хүлээн авсан"): 3,
        ("Өргөдөл, гомдол", "Хугацаандаа хариулсан хувь"): 50,
    }.items():
        assert figures[(section, figure)] == value, (section, figure, figures)
    offline_rows = [r for r in book[sheets[-1]].iter_rows(values_only=True)
                    if isinstance(r[0], int)]
    assert sorted((r[5], r[6]) for r in offline_rows) == [(1, 32), (1, 186), (88, None)]
    raw = out.read_bytes()
    for secret in ("Сумын газрын даамал", "irgen0", "Алиса"):
        assert secret.encode() not in raw


async def _check_report(h: Harness, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(_svc(h).settings.content_dir, content)
    plan = (content / "plan" / "2023.yaml").read_text(encoding="utf-8")
    (content / "plan" / "2026.yaml").write_text(plan.replace("year: 2023", "year: 2026"),
                                               encoding="utf-8")
    _, data = await make_report(_svc(h).backend, content, 2026, None, h.clock())
    document = docx.Document(io.BytesIO(data))
    table = document.tables[0]
    assert len(table.columns) == 5
    cells = {row.cells[2].text.split(".")[0] + "." + row.cells[2].text.split(".")[1][:1]:
             row.cells[4].text for row in table.rows[2:] if row.cells[2].text[:1].isdigit()}
    text_11 = next(v for k, v in cells.items() if k.startswith("1.1"))
    assert "Радиогоор мягмар, пүрэв гарагт" in text_11 and "88" in text_11
    training = next(v for k, v in cells.items() if k.startswith("2.2"))
    assert "186" in training and "32" in training
    assert "хандалт" not in " ".join(cells.values())
    assert ("Telegram ботоор 1 төрлийн 1 мэдээ, нийтлэлийг 6 захиалагчид 6 удаа хүргэж, "
            "1 удаа түгээсэн. Уншигчид 2 удаа «Хэрэгтэй» гэж үнэлсэн.") in text_11
    assert "Нийт 2 удаа, 218 хүн" in training
