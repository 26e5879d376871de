"""Surveys through Telegram: 50 citizens answer the perception survey (with its condition),
a second try is refused, the results equal what they answered, small cells are hidden, and
the database names nobody; a handled case is rated after a status check."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core import surveys
from bot.fakegram import FakeUser
from bot.sandbox.script import reply_to_case
from tests.harness import (
    Harness,
    case_number,
    expect,
    file_complaint,
    press,
    text_of,
)


def _svc(h: Harness) -> Any:
    return h.app.bot_data["svc"]


async def _ticked(user: FakeUser, label: str) -> None:
    """Wait until the question shows `label` ticked in its buttons."""
    def shows(message: dict[str, Any]) -> bool:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return any(b["text"].startswith(label) for row in rows for b in row)
    await user.wait_for(shows)


async def _answer(user: FakeUser, i: int) -> None:
    """One citizen's answers: a fixed pattern by index, so the totals are known."""
    await user.send("📋 Санал асуулга")
    await expect(user, "Одоо явагдаж буй")
    await press(user, "Авлигын талаарх иргэдийн төсөөлөл")
    await expect(user, "1 / 8")
    await press(user, "20–45" if i < 30 else "46–60" if i < 47 else "60-аас дээш")
    await expect(user, "2 / 8")
    await press(user, "Төрийн албан хаагч" if i % 2 == 0 else "Хувийн хэвшил")
    await expect(user, "3 / 8")
    await press(user, "Дунд зэрэг" if i < 15 else "Их")
    await expect(user, "4 / 8")
    await press(user, "Удирдах албан тушаалтан" if i < 40 else "Бүгд")
    await expect(user, "5 / 8")
    await press(user, "Шүүх")
    await _ticked(user, "✅ Шүүх")
    if i < 10:
        await press(user, "Цагдаагийн газар")
        await _ticked(user, "✅ Цагдаагийн газар")
    await press(user, "✔️ Болсон")
    await expect(user, "6 / 8")
    if i < 12:  # asked for money: the follow-up question appears
        await press(user, "Тийм")
        await expect(user, "7 / 9")
        await press(user, "Үгүй")  # did not report it …
        await expect(user, "8 / 10")  # … so: why not?
        await press(user, "Айсан, нэр минь ил болно гэж")
        await _ticked(user, "✅ Айсан")
        await press(user, "✔️ Болсон")
        await expect(user, "9 / 10")
    else:
        await press(user, "Үгүй")
        await expect(user, "7 / 8")
    await press(user, "4")
    await expect(user, "Хариултаа бичнэ үү")
    if i == 0:
        await user.send("Шалгалтыг ил тод болгох хэрэгтэй")
    else:
        await press(user, "⏭ Алгасах")
    await expect(user, "Баярлалаа")


async def _survey_sheet(h: Harness, survey_id: str) -> list[tuple[Any, ...]]:
    """The rows of a survey's sheet in this year's XLSX export."""
    import datetime as dt
    import tempfile
    from pathlib import Path

    import openpyxl

    from bot.export import export

    out = Path(tempfile.mkdtemp()) / "year.xlsx"
    await export(_svc(h).backend, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "xlsx", out,
                 h.clock())
    book = openpyxl.load_workbook(out, read_only=True)
    title = next(n for n in book.sheetnames if n.startswith("Судалгаа"))
    return list(book[title].iter_rows(values_only=True))


async def _report_paragraph(h: Harness, measure: str) -> str:
    """Column 5 of `measure` in this year's report (the 2023 plan, as this year's)."""
    import shutil
    import tempfile
    from pathlib import Path

    from bot.report.build import make_report

    content = Path(tempfile.mkdtemp()) / "content"
    shutil.copytree(_svc(h).settings.content_dir, content)
    plan = (content / "plan" / "2023.yaml").read_text(encoding="utf-8")
    (content / "plan" / "2026.yaml").write_text(plan.replace("year: 2023", "year: 2026"),
                                               encoding="utf-8")
    report, _ = await make_report(_svc(h).backend, content, 2026, None, h.clock())
    rows = [r for r in report.rows if r.measure.no == measure]
    assert rows, [r.measure.no for r in report.rows]
    return " ".join(rows[0].paragraphs)


async def test_fifty_citizens_answer_and_the_figures_are_theirs(h: Harness) -> None:
    await h.stop()
    await h.start(send_per_second=200.0)
    users = [h.fake.user(first_name=f"Иргэн{i}") for i in range(50)]
    for start in range(0, 50, 10):  # ten at a time, as people come
        await asyncio.gather(*(_answer(u, i) for i, u in enumerate(users[start:start + 10],
                                                                    start=start)))
    # A second try is refused politely.
    again = users[3]
    await again.send("📋 Санал асуулга")
    await press(again, "Авлигын талаарх иргэдийн төсөөлөл")
    await expect(again, "аль хэдийн хариулсан")
    survey = _svc(h).surveys.get("perception-2024")
    result = await surveys.results(_svc(h).backend, survey)
    assert result.responses == 50 and result.by_channel == {"telegram": 50}
    q = result.questions
    assert (q["age"]["20-45"].count, q["age"]["46-60"].count, q["age"]["over-60"].count) == \
        (30, 17, 3)
    assert q["employment"]["civil-servant"].count == 25
    assert round(q["widespread"]["moderate"].percent, 1) == 30.0
    assert q["level"]["senior"].count == 40 and q["level"]["all"].count == 10
    assert (q["where"]["court"].count, q["where"]["police"].count, q["where"]["court"].base) \
        == (50, 10, 50)
    assert (q["met"]["yes"].count, q["reported"]["no"].count, q["reported"]["no"].base) == \
        (12, 12, 12)
    assert q["why-not"]["fear"].count == 12 and q["scale-trust"]["4"].count == 50
    assert result.texts == 1
    # 3 people over 60: too few to show anything about them.
    over_60 = result.crosstabs["age"]["over-60"]
    assert all(v is None for question in over_60.values() for v in question.values())
    assert result.crosstabs["age"]["20-45"]["level"]["senior"] == 30
    # The report's paragraph for measure 4.1 says the same, in the office's words.
    paragraph = await _report_paragraph(h, "4.1")
    assert "«Авлигын талаарх иргэдийн төсөөлөл» судалгаанд 50 хүн оролцсон" in paragraph
    assert "Оролцогчдын 60.0 хувь нь 20–45, 34.0 хувь нь 46–60 насны иргэд байв." in paragraph
    assert "50.0 хувь нь төрийн албан хаагч" in paragraph
    assert "«Удирдах албан тушаалтан» гэж 80.0 хувь, «Бүгд» гэж 20.0 хувь" in paragraph
    assert "«Дунд зэрэг» гэж 30.0 хувь" in paragraph
    # The export's sheet for the survey has the same numbers, and hides the small group.
    rows = await _survey_sheet(h, "perception-2024")
    shares = {(r[1], r[2]): (r[3], r[4], r[5]) for r in rows if isinstance(r[0], int)}
    assert shares[("Аль түвшний албан тушаалтан авлигад хамгийн их өртөх магадлалтай вэ?",
                   "Удирдах албан тушаалтан")] == (40, 50, 80.0)
    assert shares[("Таны нас?", "20–45")] == (30, 50, 60.0)
    over_60 = [r for r in rows if isinstance(r[0], str) and r[0].endswith(": 60-аас дээш")]
    assert over_60 and all(r[3] == "< 5" for r in over_60)
    assert not any("Шалгалтыг ил тод" in str(c) for r in rows for c in r), "no free text"
    # Nobody is in the database: not their ids, nor the free text in the clear.
    await h.stop()
    raw = b"".join(p.read_bytes() for p in sorted(h.data_dir.rglob("*")) if p.is_file())
    for user in users:
        assert str(user.id).encode() not in raw
        assert user.id.to_bytes(8, "little") not in raw and user.id.to_bytes(8, "big") not in raw
    assert "Шалгалтыг ил тод".encode() not in raw
    await h.start()


async def test_a_survey_is_resumed_after_a_restart_and_goes_back(h: Harness) -> None:
    saraa = h.fake.user(first_name="Сараа")
    await saraa.send("📋 Санал асуулга")
    await press(saraa, "«Нэг цонх» үйлчилгээний сэтгэл ханамж")
    await expect(saraa, "1 / 5")
    await press(saraa, "Татвар")
    await expect(saraa, "2 / 5")
    await h.restart()
    await press(saraa, "5")  # the button of the question shown before the restart
    await expect(saraa, "3 / 5")
    await press(saraa, "◀ Буцах")
    await expect(saraa, "2 / 5")
    await press(saraa, "3")
    await expect(saraa, "3 / 5")
    await saraa.send_sticker()
    await expect(saraa, "товчоор хариулна")
    await press(saraa, "⏸ Түр зогсоох")
    await expect(saraa, "Түр зогсоолоо")
    await saraa.send("📋 Санал асуулга")
    await press(saraa, "«Нэг цонх» үйлчилгээний сэтгэл ханамж")
    await expect(saraa, "3 / 5")  # where she stopped
    for label in ("15 минут хүртэл", "Үгүй"):
        await press(saraa, label)
    await expect(saraa, "Хариултаа бичнэ үү")
    await saraa.send("Дугаар авах машин хэрэгтэй")
    await expect(saraa, "Баярлалаа")
    result = await surveys.results(_svc(h).backend, _svc(h).surveys.get("one-stop-satisfaction"))
    assert result.questions["satisfied"]["3"].count == 1
    assert result.questions["satisfied"]["5"].count == 0, "going back replaced the answer"


async def test_forged_survey_buttons_are_refused(h: Harness) -> None:
    bat = h.fake.user(first_name="Бат")
    await bat.send("/start")
    await expect(bat, "110")
    for data in ("sv:a:perception-2024:0:1", "sv:go:case-rating.1:AAAAAAAAAA",
                 "sv:a:nope:0:0", "sv:a:perception-2024:77:0"):
        await bat.press_data(data)
    await h.fake.wait_idle()
    result = await surveys.results(_svc(h).backend, _svc(h).surveys.get("perception-2024"))
    assert result.responses == 0
    assert not any("1 / 2" in t for t in bat.texts()), "no rating without the case's receipt"


async def test_a_handled_case_is_rated_without_the_case(h: Harness) -> None:
    await h.add_officer()
    alice = h.fake.user(first_name="Алиса")
    receipt = await file_complaint(alice)
    number = case_number(await expect(h.staff_group, "№"))
    await reply_to_case(h.officer, number, "Шалгаад арга хэмжээ авлаа.")
    await alice.send(f"/status {receipt}")
    await expect(alice, "Шалгаад арга хэмжээ авлаа")
    await press(alice, "⭐ Хэрхэн шийдвэрлэснийг үнэлэх")
    await expect(alice, "1 / 2")
    await press(alice, "Хэсэгчлэн")
    await expect(alice, "2 / 2")
    await press(alice, "4")
    await expect(alice, "Баярлалаа")
    # Once per case: the button is offered again, but a second rating is refused.
    await alice.send(f"/status {receipt}")
    await expect(alice, "Шалгаад арга хэмжээ авлаа")
    await press(alice, "⭐ Хэрхэн шийдвэрлэснийг үнэлэх")
    await expect(alice, "аль хэдийн хариулсан")
    result = await surveys.results(_svc(h).backend, _svc(h).surveys.case_rating())
    assert result.responses == 1 and result.questions["resolved"]["partly"].count == 1
    # The officer's case view says nothing about the rating.
    await h.officer.send(f"/case {number}")
    view = await expect(h.officer, f"№{number}")
    assert "Хэсэгчлэн" not in text_of(view) and "үнэл" not in text_of(view).lower()


async def test_a_post_button_opens_the_survey(h: Harness) -> None:
    from bot.core import outreach, posts
    from bot.tg.broadcast import TelegramSender

    bat = h.fake.user(first_name="Бат")
    backend = _svc(h).backend
    await outreach.subscribe(backend, "telegram", str(bat.id), "mn", h.clock())
    post = _svc(h).content.get("survey-perception")
    payload, meta = posts.from_content(post)
    broadcast_id = await outreach.create_broadcast(backend, payload, h.clock(), meta=meta)
    await outreach.run_broadcast(backend, broadcast_id, TelegramSender(h.app), h.clock)
    got = await expect(bat, "санал асуулгад")
    link = got["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert link == "https://t.me/ac110_bot?start=sv-perception-2024"
    await bat.send("/start sv-perception-2024")  # what opening the link does
    await expect(bat, "1 / 8")


async def test_staff_read_results_type_in_and_import_paper_forms(h: Harness) -> None:
    await h.add_officer()
    officer = h.officer
    # Six citizens answer the satisfaction survey in Telegram.
    citizens = [h.fake.user(first_name=f"Үйлчлүүлэгч{i}") for i in range(6)]

    async def answer(user: FakeUser, i: int) -> None:
        await user.send("/survey")  # a citizen's /survey lists the open surveys
        await press(user, "«Нэг цонх» үйлчилгээний сэтгэл ханамж")
        await press(user, "Татвар" if i < 5 else "Газрын асуудал")
        await expect(user, "2 / 5")
        await press(user, "5" if i < 3 else "2")
        await expect(user, "3 / 5")
        await press(user, "15 минут хүртэл")
        await expect(user, "4 / 5")
        await press(user, "Үгүй")
        await expect(user, "5 / 5")
        await user.send(f"Санал {i}") if i == 0 else await press(user, "⏭ Алгасах")
        await expect(user, "Баярлалаа")

    await asyncio.gather(*(answer(u, i) for i, u in enumerate(citizens)))
    # The officer types in one paper form …
    await officer.send("/survey")
    await press(officer, "«Нэг цонх» үйлчилгээний сэтгэл ханамж")
    await expect(officer, "Нийт хариулт: 6")
    await press(officer, "📝 Цаасан маягт оруулах")
    await expect(officer, "1 / 5")
    for label in ("Улсын бүртгэл", "4", "1 цагаас дээш", "🤐 Хэлэхгүй"):
        await press(officer, label)
    await expect(officer, "5 / 5")
    await press(officer, "⏭ Алгасах")
    await expect(officer, "Цаасан маягт хадгалагдлаа")
    # … and imports three more from a CSV, one of them with a bad cell.
    await officer.send("/survey")
    await press(officer, "«Нэг цонх» үйлчилгээний сэтгэл ханамж")
    await press(officer, "📄 Цаасан маягтуудыг CSV-ээр оруулах")
    await expect(officer, "CSV файлаа илгээнэ үү")
    csv_text = ("service,satisfied,wait,asked,suggestion\n"
                "tax,4,under-15,no,\nland,1,days,yes,Хээл хахууль нэхсэн\nwelfare,7,,no,\n")
    await officer.send_document(csv_text.encode("utf-8-sig"), "forms.csv", "text/csv")
    report = await expect(officer, "маягт нэмэгдлээ")
    assert "2 маягт нэмэгдлээ, 1 мөр татгалзсан" in text_of(report)
    assert "4-р мөр, «satisfied»" in text_of(report)
    # The results: 9 responses, by channel; the tax group of 6 is shown, the others hidden.
    await officer.send("/survey")
    await press(officer, "«Нэг цонх» үйлчилгээний сэтгэл ханамж")
    summary = await expect(officer, "Нийт хариулт: 9")
    text = text_of(summary)
    assert "Telegram 6" in text and "цаас 3" in text
    await officer.wait_for(lambda m: bool(m.get("photo")))  # the charts
    result = await surveys.results(_svc(h).backend, _svc(h).surveys.get("one-stop-satisfaction"))
    assert result.by_channel == {"telegram": 6, "paper": 3}
    assert result.questions["service"]["tax"].count == 6
    assert round(result.questions["satisfied"]["5"].percent, 1) == round(300 / 9, 1)
    # A QR code of the survey's link, to print.
    await press(officer, "🔳 Санал асуулгын QR код")
    qr = await officer.wait_for(lambda m: bool(m.get("document")))
    assert "https://t.me/ac110_bot?start=sv-one-stop-satisfaction" in text_of(qr)
    # Written answers are read apart, for staff who may post; a viewer may not.
    await press(officer, "💬 Бичгээр өгсөн хариултууд")
    texts = await expect(officer, "Бичгээр өгсөн 2 хариулт")
    assert "Санал 0" in text_of(texts) and "Хээл хахууль нэхсэн" in text_of(texts)
    viewer = h.fake.user(first_name="Харагч", user_id=7003)
    await h.admin.send("/staff add 7003 viewer")
    await expect(h.admin, "7003")
    await viewer.send("/survey")
    await press(viewer, "«Нэг цонх» үйлчилгээний сэтгэл ханамж")
    await expect(viewer, "Нийт хариулт: 9")
    await viewer.press_data("ss:t:one-stop-satisfaction")
    await h.fake.wait_idle()
    assert not any("Хээл хахууль" in t for t in viewer.texts())
