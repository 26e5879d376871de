"""Render the library's posters (PNG) and handbook (PDF) from the texts below.

    .venv/bin/python tools/render_content.py [--out content/media]

Needs Pillow and fpdf2 (the `dev` extra) and the DejaVu fonts (Debian: fonts-dejavu-core),
which cover Mongolian Cyrillic, Өө and Үү included. The rendered files are committed: the
bot itself needs neither library. Every text is checked against the font's character map
before anything is drawn, so a missing glyph is an error here, never a box on a poster.
Output is deterministic (same inputs, same bytes), so re-running shows no diff.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
ROOT = Path(__file__).resolve().parent.parent
FOOTER = "Шударга ёс, хөгжил дэвшилд 110"
OFFICE = "Баянхонгор аймаг"
W, H = 1080, 1350
MARGIN = 80

try:
    from fontTools.ttLib import TTFont
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont
except ImportError as exc:  # pragma: no cover - a setup problem, said plainly
    sys.exit(f"render_content needs Pillow and fpdf2: pip install -e '.[dev]' ({exc})")


def _fonts() -> tuple[Path, Path]:
    missing = [str(p) for p in (REGULAR, BOLD) if not p.is_file()]
    if missing:
        sys.exit(f"DejaVu fonts not found: {', '.join(missing)}. "
                 "Install them (Debian/Ubuntu: apt-get install fonts-dejavu-core).")
    return REGULAR, BOLD


def check_glyphs(font: Path, texts: Iterable[str]) -> None:
    """Exit with the characters `font` cannot draw, if any (they would show as boxes)."""
    cmap = TTFont(str(font)).getBestCmap()
    missing = sorted({c for t in texts for c in t if not c.isspace() and ord(c) not in cmap})
    if missing:
        sys.exit(f"{font.name} has no glyph for: {' '.join(missing)}")


# --- posters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Poster:
    """One poster: a big title, a short line, optional points, the campaign's name."""

    file: str
    label: str  # the campaign's or topic's name, at the top
    title: str
    line: str
    points: tuple[str, ...] = ()
    mark: str = "•"  # before each point: ✓, ✗ or a number
    numbered: bool = False
    bg: str = "#0b3d6e"
    accent: str = "#f2b705"
    ink: str = "#ffffff"
    footer_ink: str = "#0b2239"
    extra: tuple[str, ...] = field(default=())
    icon: str = ""  # "whistle": a whistle drawn in the free space


POSTERS = (
    Poster(
        file="posters/what-is-corruption.png",
        label="Авлигын эсрэг хууль",
        title="Авлига гэж юу вэ?",
        line="Албан тушаал, эрх мэдлээ ашиглан өөртөө болон бусдад хууль бусаар ашиг, "
             "давуу байдал бий болгох нь авлига.",
        points=("Хээл хахууль авах, өгөх", "Албан тушаалаа урвуулан ашиглах",
                "Хамаатан садан, танилдаа давуу байдал олгох"),
        mark="✗",
    ),
    Poster(
        file="posters/official-prohibitions.png",
        label="Нийтийн албан тушаалтанд",
        title="Хориглоно",
        line="Нийтийн албан тушаалтан албан үүргээ шударга, хараат бусаар гүйцэтгэнэ.",
        points=("Албан үүргийнхээ төлөө бэлэг, шан харамж авах",
                "Бусад албан тушаалтны шийдвэрт нөлөөлөх",
                "Албаны мэдээллийг хувийн ашиг сонирхолдоо ашиглах",
                "Хуулиар зөвшөөрөгдөөгүй давхар ажил эрхлэх"),
        mark="✗",
        bg="#7a1e2c", accent="#ffd166",
    ),
    Poster(
        file="posters/no-gifts-needed.png",
        label="Бэлэг, шан харамж",
        title="Бэлэг өгөх шаардлагагүй",
        line="Эмч, багш, цэцэрлэгийн ажилтан, төрийн албан хаагч албан үүргээ гүйцэтгэж "
             "байна. Түүний төлөө бэлэг, шан харамж өгөх шаардлагагүй.",
        points=("Үйлчилгээ авахын тулд бэлэг бүү өг",
                "Шаардвал нэрээ нууцлан мэдээл"),
        mark="✓",
        bg="#1f5f3f", accent="#f4d35e",
    ),
    Poster(
        file="posters/box-110.png",
        label="Санал, гомдлын 110 хайрцаг",
        title="Авлигыг 110-д мэдээл",
        line="«Нэг цонх»-ны үйлчилгээний төвийн 110 хайрцагт, эсвэл манай Telegram "
             "ботоор илгээ.",
        points=("Нэрээ нууцлах боломжтой", "Баримтын дугаараар хариугаа шалгана",
                "Хуулийн хугацаанд хариу өгнө"),
        mark="✓",
        bg="#12355b", accent="#4cc9f0",
    ),
    Poster(
        file="posters/negdye.png",
        label="«Нэгдье» аян",
        title="Ирээдүйнхээ төлөө нэгдье",
        line="Шударга байя. Авлигад үгүй гэж хэлье. Авлигагүй нийгмийн төлөө хамтдаа.",
        bg="#004e89", accent="#ff6b35",
        extra=("НЭГДЬЕ",),
    ),
    Poster(
        file="posters/honest-leader.png",
        label="«Шударга удирдагч, ил тод байгууллага» аян",
        title="Шударга удирдагч, ил\u00a0тод байгууллага",
        line="Авлига үгүй бол төр амгалан. Авлигагүй төрийн төлөө, авлигагүй нийгмийн төлөө.",
        bg="#2b2d42", accent="#e9c46a",
    ),
    Poster(
        file="posters/blow-the-whistle.png",
        label="Шүгэл үлээ",
        title="Шүгэл үлээ, шударга бай, нэгдье",
        line="Авлигыг харвал чимээгүй бүү өнгөр. Таны мэдээлэл шударга ёсыг хамгаална.",
        bg="#3d1e6d", accent="#f9c80e",
        icon="whistle",
    ),
    Poster(
        file="infographics/how-to-report.png",
        label="Хэрхэн мэдээлэх вэ?",
        title="Авлигын талаар мэдээлэх 3 алхам",
        line="Мэдээлэхийн тулд бүх нотлох баримтыг цуглуулсан байх шаардлагагүй.",
        points=("Юу болсныг бич: хэзээ, хаана, аль байгууллагад",
                "Ботод /complain гэж бичээд, эсвэл 110 хайрцгаар илгээ",
                "Баримтын дугаараа хадгалж, хариугаа шалга"),
        numbered=True,
        bg="#0f4c5c", accent="#e36414",
    ),
)


class _NoRoom(Exception):
    """The texts do not fit the layout being tried."""


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont,
          width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):  # a no-break space (\u00a0) keeps words together
            if not word:
                continue
            trial = f"{current} {word}".strip()
            if draw.textlength(trial, font=font) <= width or not current:
                current = trial
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return lines


def _fit(draw: ImageDraw.ImageDraw, text: str, font_path: Path, width: int, height: int,
         sizes: range) -> tuple[ImageFont.FreeTypeFont, list[str], int]:
    """The largest size at which `text` fits in width × height; font, lines, line height."""
    for size in sizes:
        font = ImageFont.truetype(str(font_path), size)
        lines = _wrap(draw, text, font, width)
        step = int(size * 1.18)
        widest = max(draw.textlength(line, font=font) for line in lines)
        if widest <= width and step * len(lines) <= height:
            return font, lines, step
    raise _NoRoom(text)


def render_poster(poster: Poster, out: Path) -> Path:
    """Draw one poster into out/poster.file; returns the path."""
    for title_h in (360, 300, 250, 200):
        try:
            img = _draw_poster(poster, title_h)
        except _NoRoom:
            continue
        path = out / poster.file
        path.parent.mkdir(parents=True, exist_ok=True)
        img.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        return path
    sys.exit(f"the texts do not fit on {poster.file}: shorten them")


def _draw_poster(poster: Poster, title_h: int) -> Image.Image:
    regular, bold = _fonts()
    img = Image.new("RGB", (W, H), poster.bg)
    draw = ImageDraw.Draw(img)
    inner = W - 2 * MARGIN

    # Decoration: a large accent ring in the top right corner, partly off the page.
    draw.ellipse((W - 330, -250, W + 250, 330), outline=poster.accent, width=26)
    draw.ellipse((W - 230, -150, W + 150, 230), outline=poster.accent, width=8)

    # The campaign's name in a pill, and the aimag.
    small = ImageFont.truetype(str(bold), 34)
    y = 90
    label_lines = _wrap(draw, poster.label, small, inner - 260)
    pill_h = 26 + 44 * len(label_lines)
    pill_w = max(int(draw.textlength(line, font=small)) for line in label_lines) + 56
    draw.rounded_rectangle((MARGIN, y, MARGIN + pill_w, y + pill_h), radius=32,
                           fill=poster.accent)
    for k, line in enumerate(label_lines):
        draw.text((MARGIN + 28, y + 14 + 44 * k), line, font=small, fill=poster.footer_ink)
    y += pill_h + 24
    draw.text((MARGIN, y), OFFICE, font=ImageFont.truetype(str(regular), 32), fill=poster.ink)
    y += 90

    footer_h = 190
    bottom = H - footer_h - 30
    has_points = bool(poster.points)
    title_h = title_h if has_points or poster.icon else 520
    font, lines, step = _fit(draw, poster.title, bold, inner, title_h, range(118, 56, -4))
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=poster.ink)
        y += step
    y += 16
    draw.rectangle((MARGIN, y, MARGIN + 160, y + 12), fill=poster.accent)
    y += 50

    space_for_line = int((bottom - y) * (0.4 if has_points else 1))
    lfont, llines, lstep = _fit(draw, poster.line, regular, inner, space_for_line,
                                range(48, 28, -2))
    for line in llines:
        draw.text((MARGIN, y), line, font=lfont, fill=poster.ink)
        y += lstep
    y += 40

    if has_points:
        room = bottom - y
        size = 44
        while size >= 34:
            pfont = ImageFont.truetype(str(bold), size)
            wrapped = [_wrap(draw, p, pfont, inner - 110) for p in poster.points]
            pstep = int(size * 1.22)
            total = sum(len(w) * pstep + 24 for w in wrapped)
            if total <= room:
                break
            size -= 2
        else:
            raise _NoRoom
        for k, item in enumerate(wrapped):
            badge = str(k + 1) if poster.numbered else poster.mark
            cx, cy, r = MARGIN + 30, y + pstep // 2, 30
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=poster.accent)
            bfont = ImageFont.truetype(str(bold), 34)
            draw.text((cx, cy), badge, font=bfont, fill=poster.footer_ink, anchor="mm")
            for line in item:
                draw.text((MARGIN + 100, y), line, font=pfont, fill=poster.ink)
                y += pstep
            y += 24

    for word in poster.extra:  # a big outlined campaign word in the free space
        efont = ImageFont.truetype(str(bold), 150)
        draw.text((W // 2, bottom - 90), word, font=efont, fill=poster.bg, anchor="mm",
                  stroke_width=5, stroke_fill=poster.accent)

    if poster.icon == "whistle":  # drawn in the space left between the text and the footer
        r = 80
        cx, cy = W // 2 - 120, (y + H - 190) // 2 + 10
        if cy - r - 40 < y:
            raise _NoRoom("whistle")
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=poster.accent)
        draw.rounded_rectangle((cx, cy - r, cx + 260, cy - 10), radius=18, fill=poster.accent)
        draw.ellipse((cx - 30, cy - 30, cx + 30, cy + 30), fill=poster.bg)
        draw.ellipse((cx - r - 70, cy - 35, cx - r + 2, cy + 35), outline=poster.accent,
                     width=12)
        tip = cx + 290
        for k, dy in enumerate((-70, -10, 50)):  # the sound, fanning out from the tip
            draw.line((tip, cy - 45 + dy // 3, tip + 120 - 15 * k, cy - 45 + dy),
                      fill=poster.ink, width=12)

    # Footer: the 110 slogan on the accent band.
    top = H - footer_h
    draw.rectangle((0, top, W, H), fill=poster.accent)
    ffont = ImageFont.truetype(str(bold), 50)
    draw.ellipse((MARGIN, top + 35, MARGIN + 120, top + 155), fill=poster.footer_ink)
    draw.text((MARGIN + 60, top + 95), "110", font=ImageFont.truetype(str(bold), 44),
              fill=poster.accent, anchor="mm")
    flines = _wrap(draw, f"«{FOOTER}»", ffont, W - 2 * MARGIN - 150)
    fy = top + 95 - (len(flines) * 60) // 2
    for line in flines:
        draw.text((MARGIN + 150, fy), line, font=ffont, fill=poster.footer_ink)
        fy += 60
    return img


# --- the handbook -----------------------------------------------------------------------------

HANDBOOK_FILE = "handbooks/avligaas-urid-sergiileh.pdf"
HANDBOOK_TITLE = "Авлигаас урьдчилан сэргийлэх гарын авлага"
HANDBOOK_SUBTITLE = "Иргэд, төрийн албан хаагчдад"

# (heading, paragraphs); a paragraph starting with "• " is a list item.
HANDBOOK: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("1. Авлига гэж юу вэ?", (
        "Авлига гэдэг нь албан тушаалын байдал, эрх мэдлээ ашиглан өөртөө болон бусдад "
        "хууль бусаар ашиг, давуу байдал бий болгох үйлдэл, эс үйлдэхүй юм. Монгол Улсад "
        "авлигаас урьдчилан сэргийлэх, түүнтэй тэмцэх эрх зүйн үндсийг Авлигын эсрэг хууль "
        "тогтоодог. Энэ ажлыг үндэсний хэмжээнд Авлигатай тэмцэх газар (АТГ) хариуцдаг.",
        "Авлигын түгээмэл хэлбэрүүд:",
        "• хээл хахууль авах, өгөх, түүнд зуучлах;",
        "• албан тушаал, эрх мэдлээ урвуулан ашиглах;",
        "• төрийн өмч, төсвийн хөрөнгийг хувьдаа завших, үрэх;",
        "• хамаатан садан, танил талдаа хууль бусаар давуу байдал олгох;",
        "• үйлчилгээг зориудаар удаашруулж, «шийдүүлэх» нэрээр мөнгө нэхэх.",
        "Хахууль авах нь ч, өгөх нь ч гэмт хэрэг. Авлига төрийн үйлчилгээг шударга бус "
        "болгож, иргэдийн итгэлийг сулруулж, төсвийн хөрөнгийг зориулалтын бусаар "
        "зарцуулахад хүргэдэг.",
    )),
    ("2. Нийтийн албан тушаалтанд тавих хориглолт", (
        "Нийтийн албан тушаалтан албан үүргээ нийтийн эрх ашгийн төлөө, шударга, хараат "
        "бусаар гүйцэтгэх үүрэгтэй. Хууль тогтоомжоор хориглосон, зөрчил нь олонтаа "
        "гардаг зүйлс:",
        "• албан үүргээ гүйцэтгэсний төлөө бусдаас бэлэг, шан харамж авах;",
        "• бусад албан тушаалтны, тухайлбал гүйцэтгэх албан тушаалтны шийдвэрт нөлөөлөх;",
        "• албан үүргийн дагуу олж мэдсэн мэдээллийг хувийн ашиг сонирхолдоо ашиглах;",
        "• хуулиар зөвшөөрөгдөөгүй давхар ажил эрхлэх.",
        "Эдгээр хориглолт, хязгаарлалтыг Нийтийн албанд нийтийн болон хувийн ашиг "
        "сонирхлыг зохицуулах, ашиг сонирхлын зөрчлөөс урьдчилан сэргийлэх тухай хууль "
        "болон бусад хууль тогтоомжид нарийвчлан заасан байдаг.",
    )),
    ("3. Ашиг сонирхлын зөрчил", (
        "Албан тушаалтны хувийн ашиг сонирхол нь түүний албан үүргээ шударга гүйцэтгэхэд "
        "нөлөөлж байгаа, эсхүл нөлөөлж болзошгүй нөхцөл байдлыг ашиг сонирхлын зөрчил "
        "гэнэ. Үүнийг 2012 онд баталсан Нийтийн албанд нийтийн болон хувийн ашиг "
        "сонирхлыг зохицуулах, ашиг сонирхлын зөрчлөөс урьдчилан сэргийлэх тухай хууль "
        "зохицуулдаг.",
        "Жишээ нь:",
        "• хамаатан садангаа ажилд авах, шалгаруулах шийдвэрт оролцох;",
        "• гэр бүлийн гишүүний компанитай гэрээ байгуулах, худалдан авалт хийх;",
        "• өөрт нь хамаатай газар, зөвшөөрлийн хүсэлтийг өөрөө шийдвэрлэх.",
        "Ийм нөхцөлд албан тушаалтан энэ тухайгаа удирдлагадаа мэдэгдэж, шийдвэр гаргах "
        "ажиллагаанаас татгалзах ёстой. Зөрчлийг нуух нь хариуцлага хүлээх үндэслэл болно.",
    )),
    ("4. Бэлэг, шан харамж", (
        "Эмнэлэг, сургууль, цэцэрлэг, төрийн байгууллагын ажилтан албан үүргээ "
        "гүйцэтгэж, түүнийхээ төлөө цалин авдаг. Иргэн үйлчилгээ авахын тулд, эсвэл "
        "«талархлын» нэрээр бэлэг, мөнгө, үйлчилгээ өгөх шаардлагагүй.",
        "Албан тушаалтан албан үүргээ гүйцэтгэсний төлөө бэлэг, шан харамж авахыг хууль "
        "хориглодог. Бэлэг нэхсэн, эсвэл бэлэг өгөхгүй бол ажлыг тань удаашруулна гэж "
        "сануулсан бол энэ нь авлигын шинж бүхий үйлдэл — мэдээлнэ үү.",
    )),
    ("5. Хөрөнгө, орлогын болон ашиг сонирхлын мэдүүлэг", (
        "Хуульд заасан албан тушаалтнууд хөрөнгө, орлогын мэдүүлэг болон хувийн ашиг "
        "сонирхлын мэдүүлгээ албан тушаалд томилогдохдоо болон жил бүр хуульд заасан "
        "хугацаанд гаргадаг. Мэдүүлгийг Авлигатай тэмцэх газрын цахим системээр "
        "хүргүүлнэ.",
        "Мэдүүлэг нь албан тушаалтны хөрөнгө, орлого, ашиг сонирхлыг ил тод болгож, "
        "ашиг сонирхлын зөрчил, хууль бус хөрөнгөжилтөөс урьдчилан сэргийлэх зорилготой. "
        "Мэдүүлгээ хугацаанд нь гаргаагүй, эсвэл худал мэдүүлсэн албан тушаалтанд "
        "хуулийн дагуу хариуцлага хүлээлгэдэг.",
    )),
    ("6. Авлигын талаар хэрхэн мэдээлэх вэ?", (
        "Таны мэдээлэл авлигыг илрүүлэх, таслан зогсооход чухал. Дараах замаар мэдээлж "
        "болно:",
        "• Манай Telegram бот: «Гомдол, санал илгээх (110)» товчийг дарж, эсвэл /complain "
        "гэж бичээд юу болсныг бичнэ. Нэрээ "
        "нууцалж болно. Илгээсний дараа 16 оронтой баримтын дугаар авч, түүгээрээ "
        "хариугаа шалгана.",
        "• «Шударга ёс, хөгжил дэвшилд 110» хайрцаг: Аймгийн Засаг даргын Тамгын газрын "
        "баруун жигүүрт байрлах «Нэг цонх»-ны үйлчилгээний төвийн зааланд байна. Аймгийн "
        "15 байгууллага өөрийн 110 самбартай.",
        "• Авлигатай тэмцэх газар (АТГ) — үндэсний хэмжээнд авлигын мэдээллийг хүлээн "
        "авдаг байгууллага.",
        "Мэдээлэлдээ юу болсон, хэзээ, хаана, аль байгууллагад болсныг бичээрэй. Зураг, "
        "баримт бичиг байвал хавсаргаарай. Бүх нотлох баримтыг өөрөө цуглуулах "
        "шаардлагагүй, өөрийгөө эрсдэлд бүү оруул.",
    )),
    ("7. Таны эрх: хуулийн хугацаанд хариу авах", (
        "Төрийн байгууллага иргэний өргөдөл, гомдлыг хуулийн хугацаанд — 30 хоногт "
        "шийдвэрлэж, хариу өгөх үүрэгтэй. Шаардлагатай бол энэ хугацааг нэг удаа "
        "сунгаж болох бөгөөд сунгасан тухайгаа иргэнд мэдэгдэнэ.",
        "Манай ботоор илгээсэн гомдлын явц, хариуг баримтын дугаараараа хэдийд ч шалгаж "
        "болно. Хариунд сэтгэл хангалуун бус бол дээд шатны байгууллага, эсвэл шүүхэд "
        "хандах эрхтэй.",
    )),
    ("8. Шүгэл үлээ: мэдээлэгчийг хамгаалах", (
        "Авлигыг харсан ч чимээгүй өнгөрөх нь түүнийг үргэлжлүүлэхэд хүргэдэг. «Шүгэл "
        "үлээх» гэдэг нь авлига, хууль бус үйлдлийн талаар эрх бүхий байгууллагад "
        "мэдээлэхийг хэлнэ.",
        "Манай бот таны Telegram хаяг, нэр, утсыг гомдолтой холбож хадгалдаггүй. Нэрээ "
        "өгөхийг өөрөө сонгоогүй бол ажилтнууд ч таныг хэн болохыг мэдэхгүй. Гомдлын "
        "агуулгыг шифрлэж хадгална.",
        "Мэдээлэл өгснийхөө төлөө дарамт, шахалтад орвол энэ тухайгаа мөн мэдээлээрэй.",
    )),
)

BACK = (
    "Шүгэл үлээ, шударга бай, нэгдье!",
    "Энэхүү гарын авлагыг чөлөөтэй хэвлэж, түгээж болно.",
)


class _Handbook(FPDF):
    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-12)
        self.set_font("DejaVu", "", 7.5)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"«{FOOTER}»", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, str(self.page_no()), align="R")


def _texts_of_handbook() -> list[str]:
    texts = [HANDBOOK_TITLE, HANDBOOK_SUBTITLE, FOOTER, OFFICE, *BACK]
    for heading, paragraphs in HANDBOOK:
        texts += [heading, *paragraphs]
    return texts


def render_handbook(out: Path) -> Path:
    """Write the A5 handbook PDF (DejaVu embedded, text selectable); returns the path."""
    regular, bold = _fonts()
    pdf = _Handbook(format=(148, 210))  # A5, in mm
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=UTC))
    pdf.set_title(HANDBOOK_TITLE)
    pdf.set_author("Шударга ёс, хөгжил дэвшилд 110")
    pdf.set_lang("mn")
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, margin=16)
    navy, gold = (11, 61, 110), (242, 183, 5)

    # Cover
    pdf.add_page()
    pdf.set_fill_color(*navy)
    pdf.rect(0, 0, pdf.w, pdf.h, style="F")
    pdf.set_draw_color(*gold)
    pdf.set_line_width(4)
    pdf.ellipse(pdf.w - 55, -35, 90, 90)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "", 11)
    pdf.set_xy(14, 30)
    pdf.cell(0, 6, OFFICE)
    pdf.set_xy(14, 62)
    pdf.set_font("DejaVu", "B", 25)
    pdf.multi_cell(pdf.w - 28, 11, HANDBOOK_TITLE, align="L")
    pdf.ln(5)
    pdf.set_fill_color(*gold)
    pdf.rect(14, pdf.get_y(), 30, 2.5, style="F")
    pdf.ln(9)
    pdf.set_font("DejaVu", "", 13)
    pdf.multi_cell(pdf.w - 28, 7, HANDBOOK_SUBTITLE, align="L")
    pdf.set_fill_color(*gold)
    pdf.rect(0, pdf.h - 34, pdf.w, 34, style="F")
    pdf.set_text_color(*navy)
    pdf.set_font("DejaVu", "B", 13)
    pdf.set_xy(14, pdf.h - 24)
    pdf.cell(0, 8, f"«{FOOTER}»")

    # Chapters
    pdf.set_text_color(20, 20, 20)
    pdf.add_page()
    for heading, paragraphs in HANDBOOK:
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.set_fill_color(*navy)
        pdf.set_text_color(255, 255, 255)
        pdf.set_font("DejaVu", "B", 11.5)
        pdf.multi_cell(0, 7.5, heading, fill=True, align="L", padding=(1.5, 3))
        pdf.ln(3)
        pdf.set_text_color(20, 20, 20)
        for paragraph in paragraphs:
            if paragraph.startswith("• "):
                pdf.set_font("DejaVu", "B", 9.5)
                pdf.set_x(17)
                pdf.cell(4, 5.2, "•")
                pdf.set_font("DejaVu", "", 9.5)
                pdf.multi_cell(pdf.w - 14 - 21, 5.2, paragraph[2:], align="L")
                pdf.ln(0.8)
            else:
                pdf.set_font("DejaVu", "", 9.5)
                pdf.multi_cell(0, 5.2, paragraph, align="L")
                pdf.ln(2.2)
        pdf.ln(4)

    # Back cover
    pdf.add_page()
    pdf.set_fill_color(*navy)
    pdf.rect(0, pdf.h / 2 - 40, pdf.w, 80, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "B", 15)
    pdf.set_xy(14, pdf.h / 2 - 26)
    pdf.multi_cell(pdf.w - 28, 8, f"«{FOOTER}»", align="C")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(pdf.w - 28, 6, BACK[0], align="C")
    pdf.set_text_color(60, 60, 60)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_xy(14, pdf.h - 30)
    pdf.multi_cell(pdf.w - 28, 5, BACK[1], align="C")

    path = out / HANDBOOK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    """Render everything into --out (default: content/media)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "content" / "media")
    args = parser.parse_args(argv)
    regular, bold = _fonts()
    poster_texts = [t for p in POSTERS for t in (p.label, p.title, p.line, p.mark,
                                                 *p.points, *p.extra)]
    check_glyphs(bold, [*poster_texts, FOOTER, "0123456789"])
    check_glyphs(regular, [*poster_texts, OFFICE])
    check_glyphs(regular, _texts_of_handbook())
    check_glyphs(bold, _texts_of_handbook())
    for poster in POSTERS:
        path = render_poster(poster, args.out)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{path.stat().st_size // 1024} KB")
    path = render_handbook(args.out)
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
          f"{path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
