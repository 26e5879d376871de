"""The implementation report: Mongolian words, the DOCX layout read back, LibreOffice opens it."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml.ns import qn

from bot.core.plan import Goal, Measure, Signer, load_plans
from bot.report.model import YEAR_END, GoalRows, Report, Row, report_key
from bot.report.words import NBSP, accusative, accusative_suffix, document_date, number
from bot.report.writer import write_docx

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
