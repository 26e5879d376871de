"""The implementation report: Mongolian words, the DOCX layout read back, LibreOffice opens it."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml.ns import qn

from bot.config import Settings
from bot.core import cases, complaints, offline, outreach, reach, stats, surveys
from bot.core.backend import Backend, open_backend
from bot.core.models import Citizen, Draft, Kind
from bot.core.offline import Activity, Note
from bot.core.outreach import Outgoing, Recipient, RecipientBlocked
from bot.core.plan import Goal, Measure, Signer, load_plans
from bot.core.posts import PostMeta
from bot.fakegram import FakeChat, FakeUser
from bot.i18n import catalog
from bot.report import reminders
from bot.report.build import make_report
from bot.report.compose import (
    MeasureFigures,
    PlanMissing,
    compose,
    merge_notes,
    target_percent,
)
from bot.report.model import YEAR_END, GoalRows, Report, Row, report_key
from bot.report.words import NBSP, accusative, accusative_suffix, document_date, number
from bot.report.writer import write_docx
from tests.harness import Harness, expect, expect_edit, press, text_of

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "content"


# --- words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "suffix"), [
    (1, "ийг"), (2, "ыг"), (3, "ыг"), (4, "ийг"), (5, "ыг"), (6, "г"), (7, "г"), (8, "ыг"),
    (9, "ийг"), (10, "ыг"), (11, "ийг"), (12, "ыг"), (20, "ийг"), (30, "ийг"), (60, "ыг"),
    (80, "г"), (100, "г"), (110, "ыг"), (1000, "ыг"), (1250, "ийг"), (0, "ийг"),
])
def test_the_accusative_suffix_follows_the_spoken_number(n: int, suffix: str) -> None:
    assert accusative_suffix(n) == suffix


def test_numbers_and_dates_as_offices_write_them() -> None:
    assert number("mn", 1250) == f"1{NBSP}250"
    assert number("mn", 75300) == f"75{NBSP}300"
    assert number("mn", 999) == "999"
    assert number("en", 1250) == "1,250"
    assert number("mn", 91.7) == "91.7"
    assert accusative("mn", 12) == "12-ыг" and accusative("en", 12) == "12"
    assert document_date("mn", dt.date(2023, 12, 7)) == "2023 оны 12 дугаар сарын 07"
    assert document_date("mn", dt.date(2024, 1, 25)) == "2024 оны 01 дүгээр сарын 25"
    assert document_date("mn", dt.date(2024, 4, 1)) == "2024 оны 04 дүгээр сарын 01"
    assert document_date("en", dt.date(2024, 4, 1)) == "01 April 2024"


def test_which_report_a_half_means() -> None:
    assert report_key(None) == report_key(2) == report_key(0) == YEAR_END
    assert report_key(1) == 1
    with pytest.raises(ValueError, match="half"):
        report_key(3)


# --- the DOCX, read back -----------------------------------------------------------------------


def _report(*, signers: tuple[Signer, ...] | None = None) -> Report:
    one = Measure(no="1.1", text="Мэдээлэл түгээх", indicator="-Нэг\n-Хоёр")
    two = Measure(no="1.2", text="Аян зохион байгуулах", indicator="Үзүүлэлт")
    three = Measure(no="2.1", label="", text="Дугааргүй арга хэмжээ")
    goals = (
        GoalRows(Goal(1, "Сурталчлах", (one, two)), (
            Row(one, ("Эхний догол мөр.", "Хоёр дахь догол мөр."), 100, "staff", noted=True),
            Row(two, ("Telegram ботоор 2 төрлийн 3 мэдээ, нийтлэлийг хүргэсэн.",), 75,
                "targets", measured=True),
        )),
        GoalRows(Goal(2, "Ил тод байдал", (three,)), (Row(three, (), None),)),
    )
    return Report(
        year=2024, key=YEAR_END, title="ТУРШИЛТЫН ТАЙЛАН", made_on=dt.date(2024, 12, 5),
        place="Баянхонгор", goals=goals,
        signers=signers or (
            Signer("acknowledged", "АЙМГИЙН ЗАСАГ\nДАРГА", "Б.БАТ"),
            Signer("reviewed", "ХЭЛТСИЙН ДАРГА", "Д.ДОРЖ"),
            Signer("compiled", "МЭРГЭЖИЛТЭН", ""),
        ),
        first=dt.date(2024, 1, 1), last=dt.date(2024, 12, 31))


def _document(report: Report) -> Document:  # type: ignore[valid-type]
    return Document(io.BytesIO(write_docx(report)))


def test_landscape_a4_with_the_title_block() -> None:
    doc = _document(_report())
    section = doc.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)
    title, date_line = doc.paragraphs[0], doc.paragraphs[1]
    assert title.text == "ТУРШИЛТЫН ТАЙЛАН" and title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(run.bold for run in title.runs)
    assert date_line.text == "2024 оны 12 дугаар сарын 05\tБаянхонгор"


def test_five_columns_headers_and_the_column_number_row() -> None:
    doc = _document(_report())
    (table,) = doc.tables
    assert len(table.columns) == 5
    assert len(table._tbl.tblGrid.findall(qn("w:gridCol"))) == 5
    assert [c.text for c in table.rows[0].cells] == [
        "Д/д", "Зорилго", "Хэрэгжүүлэх арга хэмжээ", "Гүйцэтгэлийн үзүүлэлт", "Биелэлт"]
    assert [c.text for c in table.rows[1].cells] == ["1", "2", "3", "4", "5"]
    for row in table.rows[:2]:  # repeated at the top of every page
        assert row._tr.trPr.find(qn("w:tblHeader")) is not None
    widths = [c.width for c in table.columns]
    assert widths[4] == max(widths) and widths[4] > 2.5 * widths[1]  # the wide fifth column
    assert round(sum(w.mm for w in widths)) == 262  # the page between its margins


def test_a_row_per_measure_with_the_goal_merged_over_its_measures() -> None:
    doc = _document(_report())
    (table,) = doc.tables
    assert len(table.rows) == 2 + 3
    body = table.rows[2:]
    assert [r.cells[2].text for r in body] == [
        "1.1. Мэдээлэл түгээх", "1.2. Аян зохион байгуулах", "Дугааргүй арга хэмжээ"]
    assert [p.text for p in body[0].cells[3].paragraphs] == ["-Нэг", "-Хоёр"]
    for column in (0, 1):
        merges = [r._tr.tc_lst[column].tcPr.find(qn("w:vMerge")) for r in body]
        assert merges[0] is not None and merges[0].get(qn("w:val")) == "restart"
        assert merges[1] is not None and merges[1].get(qn("w:val")) in (None, "continue")
        assert merges[2] is None  # goal 2 has one measure: nothing to merge
    assert table.cell(2, 1).text == "Сурталчлах" and table.cell(3, 1).text == "Сурталчлах"
    assert table.cell(2, 0).text == "1" and table.cell(4, 0).text == "2"


def test_column_5_ends_in_a_right_aligned_implementation_percent() -> None:
    doc = _document(_report())
    (table,) = doc.tables
    fifth = [r.cells[4] for r in table.rows[2:]]
    assert [p.text for p in fifth[0].paragraphs] == [
        "Эхний догол мөр.", "Хоёр дахь догол мөр.", "Хэрэгжилт 100%"]
    lasts = [cell.paragraphs[-1] for cell in fifth]
    assert [p.text for p in lasts] == ["Хэрэгжилт 100%", "Хэрэгжилт 75%", "Хэрэгжилт ____%"]
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in lasts)
    # The blank is for staff to fill in, and shows it.
    assert lasts[2].runs[0].font.highlight_color == WD_COLOR_INDEX.YELLOW
    assert lasts[0].runs[0].font.highlight_color is None


def test_the_signature_block() -> None:
    doc = _document(_report())
    after = [p.text for p in doc.paragraphs[2:] if p.text]
    assert after == [
        "ТАНИЛЦСАН:", "АЙМГИЙН ЗАСАГ", "ДАРГА\tБ.БАТ",
        "ХЯНАСАН:", "ХЭЛТСИЙН ДАРГА\tД.ДОРЖ",
        "НЭГТГЭСЭН:", "МЭРГЭЖИЛТЭН\t________________",  # no name: a line to fill in
    ]
    body = doc.element.body
    assert body.index(doc.tables[0]._tbl) < body.index(doc.paragraphs[-1]._p)


def test_the_shipped_2023_plan_fits_the_layout() -> None:
    plans = load_plans(SHIPPED)
    plan = plans.plans[2023]
    notes = plans.file_notes(2023, YEAR_END)
    goals = tuple(GoalRows(g, tuple(Row(m, tuple(notes[m.no].text.split("\n")),
                                        notes[m.no].percent, "staff")
                                    for m in g.measures)) for g in plan.goals)
    report = Report(year=2023, key=YEAR_END, title=plan.title, made_on=dt.date(2023, 12, 7),
                    place=plan.place, goals=goals, signers=plans.signers_for(plan),
                    first=dt.date(2023, 1, 1), last=dt.date(2023, 12, 31))
    doc = _document(report)
    (table,) = doc.tables
    assert len(table.rows) == 2 + 26
    assert doc.paragraphs[1].text == "2023 оны 12 дугаар сарын 07\tНомгон"
    assert table.cell(2, 2).text.startswith("1.1. АТГ-аас бэлтгэсэн тв шторк")
    assert table.cell(10, 2).text.startswith("1. \"Төрийн байгууллага")  # goal 4 prints "1."
    assert "6735 хандалт" in table.cell(2, 4).text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_it(tmp_path: Path) -> None:
    source = tmp_path / "report.docx"
    source.write_bytes(write_docx(_report()))
    profile = (tmp_path / "profile").as_uri()  # its own profile: runs beside another soffice
    done = subprocess.run(  # noqa: S603 (our own arguments)
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",  # noqa: S607
         "--outdir", str(tmp_path), str(source)],
        capture_output=True, timeout=180, check=False)
    pdf = tmp_path / "report.pdf"
    assert done.returncode == 0 and pdf.is_file(), done.stderr.decode(errors="replace")
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"],  # noqa: S603, S607
                              capture_output=True, timeout=60, check=True).stdout.decode()
        for needle in ("ТУРШИЛТЫН ТАЙЛАН", "Биелэлт", "Хэрэгжилт 75%",
                       "НЭГТГЭСЭН:", "Б.БАТ"):
            assert needle in text, needle


# --- composition: figures made through the bot's own core functions ----------------------------


STAFF = 1
UTC = dt.UTC
PLAN_2024 = """\
year: 2024
title: ТУРШИЛТЫН 2024 ОНЫ ТӨЛӨВЛӨГӨӨНИЙ БИЕЛЭЛТ
place: Баянхонгор
goals:
  - number: 1
    text: Сурталчлах
    measures:
      - number: "1.1"
        text: Мэдээлэл түгээх
        links: {measures_tag: true}
        targets: {posts: 4, deliveries: 14}
      - number: "1.2"
        text: Аян
        links: {campaigns: [negdye]}
      - number: "1.3"
        text: 110 хайрцаг
        links: {complaints: true}
        targets: {on_time_pct: 100}
      - number: "1.4"
        text: Зорилттой нийтлэл
        links: {measures_tag: true}
        targets: {posts: 4}
  - number: 2
    text: Сургалт
    measures:
      - number: "2.2"
        text: Сургалтад хамруулах
        targets: {offline_people: 372}
      - number: "2.3"
        text: Юу ч бүртгээгүй
  - number: 6
    text: Удирдлага
    measures:
      - number: "6.2"
        text: Радио
  - number: 7
    text: Судалгаа
    measures:
      - number: "7.3"
        text: Сэтгэл ханамжийн судалгаа
        links: {surveys: true}
        targets: {survey_responses: 10}
"""
SURVEY = """\
id: one-stop
measure: "7.3"
opens: 2024-01-01
closes: 2024-12-31
title: {mn: Нэг цонхны үйлчилгээ, en: One-stop service}
intro: {mn: Нэргүй., en: Anonymous.}
questions:
  - id: happy
    type: single
    text: {mn: "Сэтгэл хангалуун уу?", en: "Satisfied?"}
    options:
      - {code: "yes", mn: "Тийм", en: "Yes"}
      - {code: "no", mn: "Үгүй", en: "No"}
"""


def _content(tmp_path: Path, plan: str = PLAN_2024) -> Path:
    root = tmp_path / "content"
    (root / "plan").mkdir(parents=True)
    shutil.copy(SHIPPED / "campaigns.yaml", root / "campaigns.yaml")
    (root / "plan" / "2024.yaml").write_text(plan, encoding="utf-8")
    shutil.copy(SHIPPED / "plan" / "signers.yaml", root / "plan" / "signers.yaml")
    (root / "surveys").mkdir()
    (root / "surveys" / "one-stop.yaml").write_text(SURVEY, encoding="utf-8")
    return root


@pytest.fixture
async def b(tmp_path: Path) -> AsyncIterator[Backend]:
    settings = Settings(data_dir=tmp_path / "data", admins=frozenset({STAFF}),
                        receipt_scrypt_n=2**8, content_dir=_content(tmp_path))
    backend = await open_backend(settings, dt.datetime(2024, 1, 2, tzinfo=UTC))
    yield backend
    await backend.close()


class Sender:
    """Delivers to everyone except the chats told to refuse."""

    def __init__(self, blocked: set[str] | None = None) -> None:
        self.blocked = blocked or set()
        self.sent = 0

    async def send(self, to: Recipient, post: Outgoing) -> int:
        if to.chat_id in self.blocked:
            raise RecipientBlocked("Forbidden: bot was blocked by the user")
        self.sent += 1
        return self.sent


def _at(day: str, hour: int = 3) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=UTC)


async def _broadcast(b: Backend, when: dt.datetime, meta: PostMeta, actions: list[str],
                     blocked: set[str] | None = None) -> int:
    payload: dict[str, Any] = {"text": {"mn": f"<b>{meta.kind}</b> мэдээ"},
                               "buttons": [{"action": a} for a in actions]}
    broadcast_id = await outreach.create_broadcast(b, payload, when, meta=meta)
    await outreach.run_broadcast(b, broadcast_id, Sender(blocked), lambda: when)
    async with b.db.read() as conn:
        row = await (await conn.execute("SELECT post_id FROM broadcasts WHERE id = ?",
                                        (broadcast_id,))).fetchone()
    return int(row[0])


async def _complaint(b: Backend, who: str, received: str) -> int:
    draft = Draft(kind=Kind.COMPLAINT, org_code="bogd", texts=["Тендерт ашиг сонирхлын зөрчил."])
    return (await complaints.submit_complaint(b, Citizen("telegram", who), draft,
                                              _at(received))).complaint_id


async def _year_of_activity(b: Backend) -> None:
    """2024 as the scenario lives it: four subscribers, three posts, shares, useful presses,
    pledges, four complaints (two answered on time, one late, one overdue), offline work."""
    for chat in ("101", "102", "103", "104"):
        await outreach.subscribe(b, "telegram", chat, "mn", _at("2024-01-10"))
    poster = await _broadcast(b, _at("2024-03-05"), PostMeta(kind="poster", measure="1.1"),
                              ["useful", "share"])
    await _broadcast(b, _at("2024-04-10"), PostMeta(kind="article", measure="1.1"), [],
                     blocked={"104"})  # 104 blocked the bot: 3 of 4 delivered
    negdye = await _broadcast(b, _at("2024-05-01"), PostMeta(kind="campaign", measure="1.2",
                                                            campaign="negdye"), ["pledge"])
    for who in ("a", "b"):
        await reach.shared(b, poster, Citizen("telegram", who), _at("2024-03-06"))
        await reach.pledge(b, negdye, "negdye", Citizen("telegram", who), _at("2024-05-02"))
    for who in ("a", "b", "c"):
        await reach.useful(b, poster, Citizen("telegram", who), _at("2024-03-06"))
    on_time = [await _complaint(b, f"c{i}", "2024-02-01") for i in range(2)]
    late = await _complaint(b, "c2", "2024-02-01")
    await _complaint(b, "c3", "2024-11-01")  # still open on the day of the report: overdue
    for case in on_time:
        await cases.reply(b, STAFF, case, "Шалгаад арга хэмжээ авлаа.", _at("2024-02-20"),
                          mark_answered=True)
    await cases.reply(b, STAFF, late, "Хариу хоцорлоо.", _at("2024-03-10"), mark_answered=True)
    await offline.record(b, STAFF, Activity(
        happened_on=dt.date(2024, 3, 15), measure="2.2", kind="training",
        title="Авлигын ойлголт, хор уршиг", times=2, people=186, place="Богд сум"),
        _at("2024-03-16"))
    await offline.record(b, STAFF, Activity(
        happened_on=dt.date(2024, 4, 2), measure="2.2", kind="training",
        title="Ашиг сонирхлын зөрчил", people=40), _at("2024-04-03"))
    await offline.record(b, STAFF, Activity(
        happened_on=dt.date(2024, 6, 1), measure="6.2", kind="radio", title="MGL радио",
        times=88), _at("2024-06-02"))
    survey = surveys.load_surveys(b.settings.content_dir).get("one-stop")
    assert survey is not None
    for who in ("s1", "s2", "s3", "s4"):
        person = Citizen("telegram", who)
        await surveys.start(b, survey, person, _at("2024-07-01"))
        await surveys.answer(b, survey, person, "happy", "yes", _at("2024-07-01"))
        await surveys.finish(b, survey, person, _at("2024-07-01"))
    await offline.set_note(b, STAFF, 2024, 0, "1.1", "Фэйсбүүк хуудсаар 56 мэдээ түгээсэн.",
                           _at("2024-12-01"), percent=90)
    await offline.set_note(b, STAFF, 2024, 0, "2.2", "Захиалгат сургалт зохион байгуулсан.",
                           _at("2024-12-01"))


REPORT_DAY = _at("2024-12-05")


async def test_column_5_is_written_from_what_the_scenario_did(b: Backend) -> None:
    await _year_of_activity(b)
    plans = load_plans(b.settings.content_dir)
    report = await compose(b, plans, 2024, None, REPORT_DAY)
    rows = {r.measure.no: r for r in report.rows}
    assert rows["1.1"].paragraphs == (
        "Telegram ботоор 2 төрлийн (нийтлэл 1, зурагт хуудас 1) 2 мэдээ, нийтлэлийг "
        "4 захиалагчид 7 удаа хүргэж, 2 удаа түгээсэн. Уншигчид 3 удаа «Хэрэгтэй» гэж "
        "үнэлсэн.",
        "Фэйсбүүк хуудсаар 56 мэдээ түгээсэн.",
    )
    assert (rows["1.1"].percent, rows["1.1"].percent_from) == (90, "staff")  # staff's word wins
    assert rows["1.1"].measured and rows["1.1"].noted
    assert rows["1.2"].paragraphs == (
        "Telegram ботоор 1 төрлийн 1 мэдээ, нийтлэлийг 3 захиалагчид 3 удаа хүргэсэн. "
        "Иргэд ботоор аянд нэгдсэнээ 2 удаа илэрхийлсэн.",)
    assert rows["1.2"].percent is None  # no target, no note: a blank for staff
    assert rows["1.3"].paragraphs == (
        "Telegram ботоор 4 өргөдөл, гомдол, мэдээлэл (гомдол 4) хүлээн авсан. Тэдгээрээс "
        "3-ыг шийдвэрлэж хариу өгснөөс 2 нь хуулийн хугацаанд (66.7%) шийдвэрлэгдсэн. "
        "Хариу өгсөн хугацааны голч утга 19 хоног. Тайлан гаргасан өдрийн байдлаар 1 "
        "хэргийн шийдвэрлэх хугацаа хэтэрсэн байна.",)
    assert (rows["1.3"].percent, rows["1.3"].percent_from) == (66, "targets")
    assert rows["1.4"].paragraphs == () and rows["1.4"].percent is None  # nothing was posted
    assert rows["2.2"].paragraphs == (
        "Сургалт (ажилтны бүртгэлээр): «Авлигын ойлголт, хор уршиг» — Богд сум, 2 удаа, "
        "186 хүн; «Ашиг сонирхлын зөрчил» — 40 хүн. Нийт 3 удаа, 226 хүн.",
        "Захиалгат сургалт зохион байгуулсан.",
    )
    assert (rows["2.2"].percent, rows["2.2"].percent_from) == (60, "targets")  # 226 of 372
    assert rows["6.2"].paragraphs == ("Радио нэвтрүүлэг (ажилтны бүртгэлээр): «MGL радио» — "
                                      "88 удаа.",)
    assert rows["2.3"].paragraphs == () and not rows["2.3"].measured
    assert rows["7.3"].paragraphs == (
        "«Нэг цонхны үйлчилгээ» судалгаанд 4 хүн оролцсон (Telegram ботоор 4).",)
    assert (rows["7.3"].percent, rows["7.3"].percent_from) == (40, "targets")
    assert report.title == "ТУРШИЛТЫН 2024 ОНЫ ТӨЛӨВЛӨГӨӨНИЙ БИЕЛЭЛТ"
    assert report.made_on == dt.date(2024, 12, 5)
    assert [s.role for s in report.signers] == ["acknowledged", "reviewed", "compiled"]


async def test_the_half_year_report_counts_january_to_june(b: Backend) -> None:
    await _year_of_activity(b)
    report = await compose(b, load_plans(b.settings.content_dir), 2024, 1, _at("2024-06-05"))
    rows = {r.measure.no: r for r in report.rows}
    assert report.title == "ТУРШИЛТЫН 2024 ОНЫ ТӨЛӨВЛӨГӨӨНИЙ ХАГАС ЖИЛИЙН БИЕЛЭЛТ"
    assert (report.first, report.last) == (dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    assert rows["1.3"].paragraphs[0].startswith(
        "Telegram ботоор 3 өргөдөл, гомдол, мэдээлэл (гомдол 3) хүлээн авсан.")
    assert "Фэйсбүүк" not in " ".join(rows["1.1"].paragraphs)  # that note is the year's


async def test_nothing_is_invented_on_an_empty_database(b: Backend) -> None:
    report = await compose(b, load_plans(b.settings.content_dir), 2024, None, REPORT_DAY)
    assert all(r.paragraphs == () and r.percent is None and not r.measured
               for r in report.rows)


def test_no_sentence_calls_a_bot_figure_views() -> None:
    for lang, words in (("mn", ("хандалт", "үзсэн", "үзэлт")), ("en", ("view", "seen"))):
        prose = {k: v for k, v in catalog(lang).items() if k.startswith("report.prose.")}
        assert prose
        for key, text in prose.items():
            assert not any(w in text.lower() for w in words), (lang, key)


async def test_the_shipped_2023_report_gives_back_the_offices_words(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", receipt_scrypt_n=2**8)
    backend = await open_backend(settings, _at("2023-12-07"))
    try:
        report, data = await make_report(backend, SHIPPED, 2023, None, _at("2023-12-07"))
    finally:
        await backend.close()
    notes = load_plans(SHIPPED).file_notes(2023, 0)
    assert len(report.rows) == 26
    for row in report.rows:
        assert row.paragraphs == tuple(notes[row.measure.no].text.split("\n"))
        assert (row.percent, row.percent_from, row.measured) == (100, "staff", False)
    doc = Document(io.BytesIO(data))
    (table,) = doc.tables
    assert len(table.rows) == 28
    assert doc.paragraphs[1].text == "2023 оны 12 дугаар сарын 07\tНомгон"
    percents = [r.cells[4].paragraphs[-1] for r in table.rows[2:]]
    assert {p.text for p in percents} == {"Хэрэгжилт 100%"}


async def test_a_missing_or_broken_plan_says_why(b: Backend) -> None:
    with pytest.raises(PlanMissing) as missing:
        await compose(b, load_plans(b.settings.content_dir), 2025, None, REPORT_DAY)
    assert missing.value.errors == []
    (b.settings.content_dir / "plan" / "2024.yaml").write_text(
        PLAN_2024.replace("campaigns: [negdye]", "campaigns: [nope]"), encoding="utf-8")
    with pytest.raises(PlanMissing) as broken:
        await compose(b, load_plans(b.settings.content_dir), 2024, None, REPORT_DAY)
    assert [f"{e.field}: {e.reason}" for e in broken.value.errors] == [
        "measure 1.2.links.campaigns: unknown campaign 'nope' (known: honest-leader, "
        "justice-110, negdye)"]


# --- python -m bot report -----------------------------------------------------------------------


async def _cli(tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_DATA_DIR=str(tmp_path / "data"), BOT_RECEIPT_SCRYPT_N="256")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "report", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_python_m_bot_report_writes_the_docx(tmp_path: Path) -> None:
    target = tmp_path / "out" / "biyelelt-2023.docx"
    code, out = await _cli(tmp_path, "--year", "2023", "--out", str(target))
    assert code == 0, out
    assert out.strip() == (
        f"{target}: 8 goals, 26 measures (0 with the bot's figures, 26 with staff's notes, "
        "0 percent blank); figures for 2023-01-01 to 2023-12-31")
    doc = Document(str(target))
    assert len(doc.tables[0].rows) == 28
    assert doc.paragraphs[0].text.startswith("БАЯНХОНГОР АЙМГИЙН АВЛИГЫН ЭСРЭГ")
    half = tmp_path / "h1.docx"
    code, out = await _cli(tmp_path, "--year", "2023", "--half", "1", "--out", str(half))
    assert code == 0 and "26 percent blank); figures for 2023-01-01 to 2023-06-30" in out, out
    assert "ХАГАС ЖИЛИЙН БИЕЛЭЛТ" in Document(str(half)).paragraphs[0].text


async def test_python_m_bot_report_without_a_plan_says_so_and_writes_nothing(
        tmp_path: Path) -> None:
    code, out = await _cli(tmp_path, "--year", "1999", "--out", str(tmp_path / "x.docx"))
    assert code == 1
    assert "no usable plan for 1999" in out and "1999.yaml" in out
    assert not (tmp_path / "x.docx").exists() and not (tmp_path / "data").exists()
    code, out = await _cli(tmp_path, "--year", "2023", "--half", "3", "--out", "x.docx")
    assert code == 2 and "invalid choice" in out


# --- /report in Telegram, and the reminders ------------------------------------------------------


def _docx_of(h: Harness, message: dict[str, Any]) -> Document:  # type: ignore[valid-type]
    document = message["document"]
    assert document["file_name"].endswith(".docx")
    return Document(io.BytesIO(h.fake.files[document["file_id"]]))


async def _next_document(chat: FakeUser | FakeChat) -> dict[str, Any]:
    while True:
        message = await chat.next_message(timeout=30)
        if "document" in message:
            return message


async def test_staff_choose_a_year_and_a_report_and_get_the_docx(h: Harness) -> None:
    await h.admin.send("/report")
    choose = await expect(h.admin, "Аль оных вэ?")
    years = [b["text"] for row in choose["reply_markup"]["inline_keyboard"] for b in row]
    assert years == ["2023"]
    await press(h.admin, "2023")
    await expect_edit(h.admin, "2023 он")
    await press(h.admin, "Жилийн эцэс (бүтэн жил)")
    message = await _next_document(h.admin)
    assert "2023 оны жилийн эцсийн тайлан" in text_of(message)
    assert "26 арга хэмжээ" in text_of(message)
    doc = _docx_of(h, message)
    assert len(doc.tables[0].rows) == 28
    assert doc.tables[0].rows[0].cells[4].text == "Биелэлт"


async def test_a_note_from_telegram_goes_into_the_report(h: Harness) -> None:
    await h.admin.send("/report note 2023 1.1 80% Шинэ тэмдэглэл.\nХоёр дахь мөр.")
    saved = await expect(h.admin, "тэмдэглэл хадгалагдлаа")
    assert "1.1" in text_of(saved) and "80%" in text_of(saved)
    await h.admin.send("/report note 2023 1.1 95%")  # the percent alone keeps the text
    await expect(h.admin, "95%")
    await h.admin.send("/report note 2023 9.9 Байхгүй")
    assert "9.9 арга хэмжээ алга" in text_of(await expect(h.admin, "алга"))
    await h.admin.send("/report notes 2023")
    listed = await expect(h.admin, "ажилтны тэмдэглэл")
    assert "1.1 (95%): Шинэ тэмдэглэл. Хоёр дахь мөр." in text_of(listed)
    assert "1.2 (100%): Авлигатай тэмцэх газраас зохион байгуулсан" in text_of(listed)
    await h.admin.send("/report 2023")
    doc = _docx_of(h, await _next_document(h.admin))
    fifth = [p.text for p in doc.tables[0].rows[2].cells[4].paragraphs]
    assert fifth == ["Шинэ тэмдэглэл.", "Хоёр дахь мөр.", "Хэрэгжилт 95%"]
    await h.admin.send("/report note 2023 1.1 -")
    await expect(h.admin, "арилгалаа")
    await h.admin.send("/report 2023")
    doc = _docx_of(h, await _next_document(h.admin))
    assert doc.tables[0].rows[2].cells[4].text.startswith("Авлигатай тэмцэх газрын пэйж")


async def test_report_is_refused_to_citizens_and_in_groups(h: Harness) -> None:
    citizen = h.fake.user(first_name="Сараа")
    await citizen.send("/report")
    await expect(citizen, "зөвхөн байгууллагын ажилтанд")
    await h.admin.send("/report", chat=h.staff_group)  # staff, but in the group
    await expect(h.staff_group, "хувийн чатад")
    await h.fake.wait_idle()
    assert not any("document" in m for m in h.staff_group.messages())


def _documents(chat: FakeChat) -> list[dict[str, Any]]:
    return [m for m in chat.messages() if "document" in m]


async def test_reminders_come_14_7_and_1_days_before_each_deadline_once(h: Harness) -> None:
    h.clock.now = dt.datetime(2023, 11, 26, 1, 0, tzinfo=UTC)  # 09:00 in Ulaanbaatar
    await h.run_job("report-reminder")
    await h.fake.wait_idle()
    assert _documents(h.staff_group) == []  # too early in the day
    h.clock.advance(hours=1)  # 10:00: 14 days before December 10
    await h.run_job("report-reminder")
    reminder = await expect(h.staff_group, "⏰")
    assert "2023 оны жилийн эцсийн тайлан" in text_of(reminder)
    assert "12 дугаар сарын 10-ны дотор" in text_of(reminder) and "14" in text_of(reminder)
    draft = await _next_document(h.staff_group)
    assert len(_docx_of(h, draft).tables[0].rows) == 28
    await h.run_job("report-reminder")  # again the same day
    await h.restart()  # and after a restart
    await h.run_job("report-reminder")
    await h.fake.wait_idle()
    assert len(_documents(h.staff_group)) == 1
    reminded = []
    for day in ("2023-11-27", "2023-12-03", "2023-12-08", "2023-12-09", "2023-12-10",
                "2024-05-27", "2024-06-03", "2024-06-09", "2024-06-10"):
        h.clock.now = _at(day, hour=2)
        await h.run_job("report-reminder")
        await h.fake.wait_idle()
        if len([m for m in h.staff_group.messages() if "⏰" in text_of(m)]) > len(reminded) + 1:
            reminded.append(day)
    assert reminded == ["2023-12-03", "2023-12-09", "2024-05-27", "2024-06-03", "2024-06-09"]
    texts = [text_of(m) for m in h.staff_group.messages() if "⏰" in text_of(m)]
    assert "хагас жилийн тайлан" in texts[-1] and "06 дугаар сарын 10-ны дотор" in texts[-1]
    # There is no 2024 plan: the reminder says so instead of a draft.
    assert any("2024 оны төлөвлөгөө алга" in text_of(m) for m in h.staff_group.messages())


# --- pure rules -----------------------------------------------------------------------------------


def _outreach(**figures: int) -> stats.OutreachFigures:
    base = dict.fromkeys(("posts", "broadcasts", "deliveries", "recipients", "failed", "useful",
                          "shares", "pledges", "chats", "channel_members", "reactions"), 0)
    return stats.OutreachFigures(by_kind={}, by_campaign={}, failed_by_reason={},
                                 **{**base, **figures})


def test_target_percent_caps_each_target_and_averages_rounding_down() -> None:
    measure = Measure(no="1.1", text="x", targets={"posts": 10, "deliveries": 1000,
                                                   "offline_people": 50})
    figures = MeasureFigures(outreach=_outreach(posts=15, deliveries=333),
                             offline=stats.OfflineFigures(1, 1, 10, {}))
    # posts 150% -> 100, deliveries 33.3%, people 20%: (100 + 33.3 + 20) / 3 = 51.1
    assert target_percent(measure, figures) == 51
    assert target_percent(Measure(no="1.1", text="x"), figures) is None
    unmeasurable = Measure(no="1.1", text="x", targets={"on_time_pct": 100})
    assert target_percent(unmeasurable, MeasureFigures()) is None


def test_a_note_from_telegram_wins_field_by_field() -> None:
    filed, stored = Note("Файлын үг", 100), Note("", 80)
    assert merge_notes(stored, filed) == Note("Файлын үг", 80)
    assert merge_notes(Note("Шинэ", None), filed) == Note("Шинэ", 100)
    assert merge_notes(None, filed) == filed and merge_notes(stored, None) == stored


def test_reminder_days() -> None:
    days = {d: reminders.reminder_on(d) for d in (
        dt.date(2025, 5, 27), dt.date(2025, 6, 3), dt.date(2025, 6, 9), dt.date(2025, 6, 10),
        dt.date(2025, 11, 26), dt.date(2025, 12, 3), dt.date(2025, 12, 9), dt.date(2025, 5, 28))}
    due = {d.isoformat(): (r.key, r.days_left) for d, r in days.items() if r is not None}
    assert due == {"2025-05-27": (1, 14), "2025-06-03": (1, 7), "2025-06-09": (1, 1),
                   "2025-11-26": (0, 14), "2025-12-03": (0, 7), "2025-12-09": (0, 1)}
    tz = Settings().tz
    assert reminders.due(dt.datetime(2025, 6, 9, 1, 59, tzinfo=UTC), tz) is None  # 09:59
    assert reminders.due(dt.datetime(2025, 6, 9, 2, 0, tzinfo=UTC), tz) is not None
