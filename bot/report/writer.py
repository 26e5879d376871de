"""The report as a DOCX file in the reference document's layout (python-docx).

Landscape A4; the title block; one table of five columns — Д/д, Зорилго, Хэрэгжүүлэх арга
хэмжээ, Гүйцэтгэлийн үзүүлэлт, Биелэлт — with the column-number row 1–5 under the headers
(both repeated on every page), a row per measure, the goal's number and text merged over its
measures' rows, a wide fifth column ending in a right-aligned "Хэрэгжилт N%" (a blank,
highlighted, where nobody set or measured it); then the three signature lines.

Only plain WordprocessingML that Word and LibreOffice both read: fixed column widths
(the grid and every cell), vertical merges, repeated header rows, tab stops, highlight.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from bot.i18n import t
from bot.report.model import Report, Row
from bot.report.words import document_date

FONT = "Times New Roman"  # LibreOffice shows it as Liberation Serif, metric-compatible
BODY_PT = 11
TABLE_PT = 10
PAGE_W, PAGE_H = Mm(297), Mm(210)
MARGIN_L, MARGIN_R, MARGIN_TB = Mm(20), Mm(15), Mm(15)
TEXT_W = PAGE_W - MARGIN_L - MARGIN_R  # 262 mm
# Д/д, Зорилго, арга хэмжээ, үзүүлэлт, Биелэлт: the fifth holds the prose and is widest.
COLUMNS_MM = (10, 38, 62, 40, 112)
COLUMN_KEYS = ("col_no", "col_goal", "col_measure", "col_indicator", "col_result")


def write_docx(report: Report, lang: str = "mn", *, now: dt.datetime | None = None) -> bytes:
    """The report as the bytes of a .docx file."""
    doc = Document()
    _page(doc)
    _styles(doc, lang)
    _title(doc, report, lang)
    _table(doc, report, lang)
    _signatures(doc, report, lang)
    props = doc.core_properties
    props.title = report.title
    props.subject = f"{report.first.isoformat()} – {report.last.isoformat()}"
    props.author = props.last_modified_by = "110 bot"
    if now is not None:
        props.created = props.modified = now.astimezone(dt.UTC).replace(tzinfo=None)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page(doc: Any) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.left_margin, section.right_margin = MARGIN_L, MARGIN_R
    section.top_margin = section.bottom_margin = MARGIN_TB


def _styles(doc: Any, lang: str) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    r_pr = normal.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    language = OxmlElement("w:lang")  # spelling in Mongolian (Cyrillic)
    language.set(qn("w:val"), "mn-MN" if lang == "mn" else "en-GB")
    r_pr.append(language)


def _title(doc: Any, report: Report, lang: str) -> None:
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for k, line in enumerate(report.title.split("\n")):
        run = title.add_run(line)
        run.bold = True
        run.font.size = Pt(12)
        if k:
            run.add_break()
    title.paragraph_format.space_after = Pt(10)
    line = doc.add_paragraph()
    line.paragraph_format.tab_stops.add_tab_stop(TEXT_W, WD_TAB_ALIGNMENT.RIGHT)
    line.add_run(document_date(lang, report.made_on))
    if report.place:
        line.add_run(f"\t{report.place}")
    line.paragraph_format.space_after = Pt(8)


def _set_width(cell: Any, width: int) -> None:
    cell.width = width


def _repeat_as_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    for name in ("w:tblHeader", "w:cantSplit"):
        element = OxmlElement(name)
        element.set(qn("w:val"), "true")
        tr_pr.append(element)


def _write(cell: Any, lines: list[str], *, bold: bool = False,
           align: WD_ALIGN_PARAGRAPH | None = None, space_after: float = 0) -> None:
    """Text into a cell, a paragraph per line."""
    paragraphs = list(cell.paragraphs)
    for k, text in enumerate(lines or [""]):
        paragraph = paragraphs[0] if k == 0 else cell.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        if space_after:
            paragraph.paragraph_format.space_after = Pt(space_after)
        run = paragraph.add_run(text)
        run.bold = bold
        run.font.size = Pt(TABLE_PT)


def _table(doc: Any, report: Report, lang: str) -> None:
    rows = report.rows
    table = doc.add_table(rows=2 + len(rows), cols=5)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # fixed layout: the widths below hold in Word and LibreOffice
    widths = [Mm(w) for w in COLUMNS_MM]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            _set_width(cell, width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    header, numbers = table.rows[0], table.rows[1]
    for k, key in enumerate(COLUMN_KEYS):
        _write(header.cells[k], [t(lang, f"report.docx.{key}")], bold=True,
               align=WD_ALIGN_PARAGRAPH.CENTER)
        header.cells[k].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _write(numbers.cells[k], [str(k + 1)], align=WD_ALIGN_PARAGRAPH.CENTER)
    _repeat_as_header(header)
    _repeat_as_header(numbers)
    at = 2
    for block in report.goals:
        first, last = at, at + len(block.rows) - 1
        for k, row in enumerate(block.rows):
            cells = table.rows[first + k].cells
            measure = row.measure
            shown = f"{measure.shown_no} {measure.text}" if measure.shown_no else measure.text
            _write(cells[2], [shown])
            _write(cells[3], measure.indicator.split("\n") if measure.indicator else [])
            _result(cells[4], row, lang)
        number_cell = table.cell(first, 0)
        goal_cell = table.cell(first, 1)
        if last > first:
            number_cell = number_cell.merge(table.cell(last, 0))
            goal_cell = goal_cell.merge(table.cell(last, 1))
        _write(number_cell, [str(block.goal.no)], align=WD_ALIGN_PARAGRAPH.CENTER)
        _write(goal_cell, [block.goal.text])
        at = last + 1


def _result(cell: Any, row: Row, lang: str) -> None:
    """Column 5: the prose, then "Хэрэгжилт N%" on its own line, on the right."""
    if row.paragraphs:
        _write(cell, list(row.paragraphs), align=WD_ALIGN_PARAGRAPH.JUSTIFY, space_after=3)
    paragraph = cell.add_paragraph() if row.paragraphs else cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if row.percent is None:
        run = paragraph.add_run(t(lang, "report.docx.percent_blank"))
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW  # for staff to fill in
    else:
        run = paragraph.add_run(t(lang, "report.docx.percent", percent=row.percent))
    run.font.size = Pt(TABLE_PT)


SIGN_INDENT = Mm(30)
SIGN_NAME_AT = Mm(150)  # from the indent: where the name stands


def _signatures(doc: Any, report: Report, lang: str) -> None:
    """ТАНИЛЦСАН / ХЯНАСАН / НЭГТГЭСЭН: label, position, the name on the position's last line."""
    spacer = doc.add_paragraph()
    spacer.paragraph_format.space_after = Pt(12)
    for k, signer in enumerate(report.signers):
        lines = signer.position.split("\n") if signer.position else [""]
        label = doc.add_paragraph()
        label.add_run(t(lang, f"report.docx.{signer.role}")).bold = True
        paragraphs = [label]
        for j, line in enumerate(lines):
            paragraph = doc.add_paragraph()
            paragraph.add_run(line).bold = True
            if j == len(lines) - 1:
                paragraph.paragraph_format.tab_stops.add_tab_stop(SIGN_NAME_AT)
                name = signer.name or t(lang, "report.docx.name_blank")
                paragraph.add_run(f"\t{name}").bold = True
            paragraphs.append(paragraph)
        for paragraph in paragraphs:
            paragraph.paragraph_format.left_indent = SIGN_INDENT
            paragraph.paragraph_format.keep_with_next = True
            paragraph.paragraph_format.keep_together = True
        paragraphs[-1].paragraph_format.keep_with_next = k < len(report.signers) - 1
        paragraphs[-1].paragraph_format.space_after = Pt(14)
