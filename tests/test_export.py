"""The XLSX and CSV export: exact cells from a half-year made through the bot's own flows.

Posts go out through the harness's bot to subscribers, people press "useful" and "pledge"
under them and arrive through a named source's link, complaints are filed and answered on
time, late and after an extension through the core, and staff record offline work. The
export is then read back with openpyxl and checked cell by cell against what happened,
and every summary figure against the detail rows it says it counts. The files are scanned
for the complaints' words, the petitioner's name and phone, receipts and user ids.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import statistics
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.core import cases, complaints, offline, outreach, reach
from bot.core.models import Citizen, Draft, Kind
from bot.core.posts import PostMeta
from bot.export import ExportError, export
from bot.export.csvs import BOM
from bot.fakegram import FakeUser
from bot.storage import queries as q
from bot.tg.broadcast import TelegramSender
from bot.tg.staff.export import names_for
from tests.harness import ADMIN_ID, Harness, expect, press, text_of

H2 = (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
NAMED = ("Батцэцэг Өлзийхутаг", "+97699112233")
TEXTS = {  # what each complaint says; none of it may reach an export
    "bogd": "Богд сумын газрын даамал газар олгохдоо 300 000 ₮ нэхсэн.",
    "unsure": "Сургуулийн захирал элсэлтэд хандив нэхдэг гэсэн санал байна.",
    "named": "Эмнэлгийн эмч дугаар олгохдоо мөнгө авдаг тухай мэдээлэл өгч байна.",
    "overdue": "Засаг даргын тамгын газрын ажилтан бичиг баримтыг удаашруулж байна.",
    "fresh": "Цагдаагийн ажилтан торгуулийг бэлнээр авч баримт өгөөгүй.",
    "old": "Өмнөх хагас жилд ирсэн, хариу нь хүлээгдэж буй гомдол.",
}
POSTER = {"text": {"mn": "<b>Нэгдье!</b> Авлигыг хамтдаа зогсооё."},
          "buttons": [{"action": "useful"}, {"action": "share"}, {"action": "pledge"}]}


def utc(day: str, hour: int = 2) -> dt.datetime:
    """A moment on a local day (02:00 UTC is 10:00 in Ulaanbaatar)."""
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


@dataclass
class Year:
    """What the scenario did, to check the export against."""

    people: list[FakeUser]
    receipts: list[str]
    posts: dict[str, int]  # name -> post id
    broadcasts: dict[str, int]  # name -> broadcast id
    numbers: dict[str, int]  # complaint name -> case number
    source: str


def _backend(h: Harness) -> Any:
    return h.app.bot_data["svc"].backend


async def _answered(user: FakeUser, query_id: str) -> None:
    async with asyncio.timeout(5):
        while not any(a["callback_query_id"] == query_id for a in user.callback_answers):  # noqa: ASYNC110 (the fake's record)
            await asyncio.sleep(0.01)


async def _broadcast(h: Harness, name: str, payload: dict[str, Any], meta: PostMeta,
                     year: Year) -> None:
    backend = _backend(h)
    broadcast_id = await outreach.create_broadcast(backend, payload, h.clock(), meta=meta,
                                                   staff_id=ADMIN_ID)
    await outreach.run_broadcast(backend, broadcast_id, TelegramSender(h.app), h.clock)
    async with backend.db.read() as conn:
        row = await q.get_broadcast(conn, broadcast_id)
    assert row is not None
    year.posts[name], year.broadcasts[name] = int(row["post_id"]), broadcast_id


async def _complaint(h: Harness, year: Year, name: str, day: str, kind: Kind,
                     org: str | None, named: bool = False) -> int:
    who = Citizen("telegram", str(h.fake.user(first_name=f"Гомдогч-{name}").id))
    draft = Draft(kind=kind, org_code=org, texts=[TEXTS[name]], named=named,
                  name=NAMED[0] if named else None, phone=NAMED[1] if named else None)
    receipt = await complaints.submit_complaint(_backend(h), who, draft, utc(day))
    year.receipts.append(receipt.digits)
    year.numbers[name] = receipt.complaint_id
    return receipt.complaint_id


async def _answer(h: Harness, number: int, day: str) -> None:
    await cases.reply(_backend(h), ADMIN_ID, number, "Таны гомдлыг шалгаж, арга хэмжээ авлаа.",
                      utc(day), mark_answered=True)


async def make_year(h: Harness) -> Year:
    """A half-year of the office's work, H2 2026, and a little from before it."""
    backend = _backend(h)
    year = Year(people=[], receipts=[], posts={}, broadcasts={}, numbers={}, source="")
    # June: two early subscribers get a news post (before the period).
    h.clock.now = utc("2026-06-15")
    early = [h.fake.user(first_name=f"Эртний{i}", username=f"early_{i}") for i in range(2)]
    for person in early:
        await outreach.subscribe(backend, "telegram", str(person.id), "mn", h.clock())
    await _broadcast(h, "june", {"text": {"mn": "Зургадугаар сарын мэдээ"},
                                 "buttons": [{"action": "useful"}]},
                     PostMeta(kind="news", title="Зургадугаар сарын мэдээ", measure="1.2"), year)
    # November: three more subscribe; one of them has blocked the bot by the next post.
    h.clock.now = utc("2026-11-20")
    late = [h.fake.user(first_name=f"Шинэ{i}", username=f"new_{i}") for i in range(3)]
    for person in late:
        await outreach.subscribe(backend, "telegram", str(person.id), "mn", h.clock())
    year.people = [*early, *late]
    h.fake.fail_next("sendMessage", code=403, chat_id=late[2].id,
                     description="Forbidden: bot was blocked by the user")
    await _broadcast(h, "poster", POSTER, PostMeta(kind="poster", campaign="negdye",
                                                   measure="1.1", title="Нэгдье аян"), year)
    poster = year.posts["poster"]
    # Useful presses under the poster (one person twice: counted once), a pledge by two,
    # a share by one; and a late useful press on June's post (counts in this period).
    for person in (early[0], early[1], late[0], early[0]):
        await _answered(person, await press(person, f"ru:{poster}"))
    for person in (late[0], late[1]):
        await _answered(person, await press(person, f"rp:{poster}:negdye"))
    await reach.shared(backend, poster, Citizen("telegram", str(late[1].id)), h.clock())
    await _answered(early[1], await press(early[1], f"ru:{year.posts['june']}"))
    # A named source: two people arrive through its link (one twice).
    year.source = await reach.add_source(backend, "Автобусны буудлын самбар", h.clock(),
                                         staff_id=ADMIN_ID)
    for person in (late[0], late[1], late[0]):
        await person.send(f"/start {year.source}")
        await expect(person, "Сайн байна уу")
    # December 1 (now): a news post to everyone still subscribed.
    h.clock.now = utc("2026-12-01")
    await _broadcast(h, "news", {"text": {"mn": "Арванхоёрдугаар сарын мэдээ"}},
                     PostMeta(kind="news", title="Арванхоёрдугаар сарын мэдээ"), year)

    # Complaints: answered on time, late, on time after an extension, open and overdue,
    # open and not yet due; and one from June still open.
    await _complaint(h, year, "old", "2026-06-10", Kind.COMPLAINT, "bogd")
    bogd = await _complaint(h, year, "bogd", "2026-07-10", Kind.COMPLAINT, "bogd")
    await _answer(h, bogd, "2026-07-20")
    unsure = await _complaint(h, year, "unsure", "2026-08-01", Kind.SUGGESTION, None)
    await _answer(h, unsure, "2026-09-15")
    named = await _complaint(h, year, "named", "2026-09-01", Kind.REPORT, "bogd", named=True)
    await cases.extend_deadline(backend, ADMIN_ID, named, 30, "Шинжээчийн дүгнэлт хүлээж байна.",
                                utc("2026-09-25"))
    await _answer(h, named, "2026-10-28")
    await _complaint(h, year, "overdue", "2026-10-20", Kind.COMPLAINT, "bogd")
    await _complaint(h, year, "fresh", "2026-11-25", Kind.COMPLAINT, "bogd")

    # Offline work: a training and radio spots in the period, a mistake withdrawn, and a
    # training in May (before it).
    now = h.clock()
    await offline.record(backend, ADMIN_ID, offline.Activity(
        dt.date(2026, 9, 12), "2.1", "training", "Төрийн албан хаагчдын сургалт", 1, 45,
        "Өлзийт сум"), now)
    await offline.record(backend, ADMIN_ID, offline.Activity(
        dt.date(2026, 10, 1), "1.4", "radio", "Радиогоор мягмар, пүрэв гарагт", 88,
        note="Өдөрт хоёр удаа"), now)
    wrong = await offline.record(backend, ADMIN_ID, offline.Activity(
        dt.date(2026, 10, 2), "1.4", "led", "Алдаатай бүртгэл", 5), now)
    await offline.withdraw(backend, ADMIN_ID, wrong, now)
    await offline.record(backend, ADMIN_ID, offline.Activity(
        dt.date(2026, 5, 5), "2.1", "training", "Тавдугаар сарын сургалт", 1, 30), now)
    await h.settle()
    return year


def _sheets(path: Path | bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's rows, header included (the summary's title lines too)."""
    source = io.BytesIO(path) if isinstance(path, bytes) else path
    book = openpyxl.load_workbook(source)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def _table(rows: list[tuple[Any, ...]], header: str) -> list[dict[str, Any]]:
    """Rows under the header row whose first cell is `header`, as dicts by column name."""
    start = next(i for i, r in enumerate(rows) if r[0] == header)
    names = rows[start]
    return [dict(zip(names, r, strict=True)) for r in rows[start + 1:]]


def _day(value: Any) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _figures(summary: list[dict[str, Any]]) -> dict[str, Any]:
    return {f"{r['Хэсэг']}/{r['Үзүүлэлт']}": r["Тоо"] for r in summary}


async def test_the_workbook_holds_the_half_year_cell_by_cell_and_traces_every_figure(
    h: Harness, tmp_path: Path,
) -> None:
    year = await make_year(h)
    out = tmp_path / "h2.xlsx"
    svc = h.app.bot_data["svc"]
    await export(_backend(h), *H2, "xlsx", out, h.clock(),
                 names=names_for(svc, "mn", "ac110_bot"))
    book = _sheets(out)
    assert list(book) == ["Хураангуй", "Нийтлэл", "Аян", "Эх сурвалж", "Өргөдөл, гомдол",
                          "Хугацаа", "Офлайн ажил"]

    # Posts: a row per broadcast of the period, then June's post for its late press.
    posts = _table(book["Нийтлэл"], "Түгээлт №")
    assert [(p["Түгээлт №"], p["Нийтлэл №"], p["Гарчиг"], p["Төрөл"], p["Аян"], p["Арга хэмжээ"],
             p["Хүлээн авагч"], p["Хүргэгдсэн"], p["Хүргэгдээгүй"], p["Алгассан"], p["Хэрэгтэй"],
             p["Хуваалцсан"]) for p in posts] == [
        (year.broadcasts["poster"], year.posts["poster"], "Нэгдье аян", "зурагт хуудас",
         "«Нэгдье» аян", "1.1", 5, 4, 1, 0, 3, 1),
        (year.broadcasts["news"], year.posts["news"], "Арванхоёрдугаар сарын мэдээ", "мэдээ",
         None, None, 4, 4, 0, 0, 0, 0),
        (None, year.posts["june"], "Зургадугаар сарын мэдээ", "мэдээ", None, "1.2", None,
         None, None, None, 1, 0)]
    assert posts[0]["Эхэлсэн (орон нутгийн цаг)"] == dt.datetime(2026, 11, 20, 10, 0)  # noqa: DTZ001 (Excel keeps local time)
    assert posts[0]["Хэнд"] == "захиалагчид"
    campaigns = {c["Код"]: c for c in _table(book["Аян"], "Код")}
    assert (campaigns["negdye"]["Нийтлэл"], campaigns["negdye"]["Түгээлт"],
            campaigns["negdye"]["Хүргэлт"], campaigns["negdye"]["Нэгдсэн хүн"]) == (1, 1, 4, 2)
    assert campaigns["honest-leader"]["Нийтлэл"] == 0  # every campaign is listed
    [source] = _table(book["Эх сурвалж"], "Нэр")
    assert source == {"Нэр": "Автобусны буудлын самбар", "Код": year.source,
                      "Холбоос": f"https://t.me/ac110_bot?start={year.source}", "Ирсэн хүн": 2,
                      "Telegram-аар": 2, "Messenger-ээр": 0}

    # Complaints received in the period, by number; nothing but the eleven columns.
    rows = _table(book["Өргөдөл, гомдол"], "Дугаар")
    assert list(rows[0]) == ["Дугаар", "Төрөл", "Байгууллага", "Суваг", "Хүлээн авсан",
                             "Шийдвэрлэх хугацаа", "Сунгасан", "Төлөв", "Хариу өгсөн",
                             "Хариу өгөх хүртэл (хоног)", "Хугацаандаа"]
    got = [(r["Дугаар"], r["Төрөл"], r["Байгууллага"], r["Суваг"], _day(r["Хүлээн авсан"]),
            _day(r["Шийдвэрлэх хугацаа"]), r["Сунгасан"], r["Төлөв"], _day(r["Хариу өгсөн"]),
            r["Хариу өгөх хүртэл (хоног)"], r["Хугацаандаа"]) for r in rows]
    n, d = year.numbers, dt.date
    assert got == [
        (n["bogd"], "гомдол", "Богд сум", "telegram", d(2026, 7, 10), d(2026, 8, 9), "үгүй",
         "Хариу өгсөн", d(2026, 7, 20), 10, "тийм"),
        (n["unsure"], "санал", "Тодорхойгүй (иргэн мэдэхгүй гэсэн)", "telegram", d(2026, 8, 1),
         d(2026, 8, 31), "үгүй", "Хариу өгсөн", d(2026, 9, 15), 45, "үгүй"),
        (n["named"], "авлигын мэдээлэл", "Богд сум", "telegram", d(2026, 9, 1), d(2026, 10, 31),
         "тийм", "Хариу өгсөн", d(2026, 10, 28), 57, "тийм"),
        (n["overdue"], "гомдол", "Богд сум", "telegram", d(2026, 10, 20), d(2026, 11, 19), "үгүй",
         "Хүлээн авсан", None, None, None),
        (n["fresh"], "гомдол", "Богд сум", "telegram", d(2026, 11, 25), d(2026, 12, 25), "үгүй",
         "Хүлээн авсан", None, None, None)]
    deadlines = _table(book["Хугацаа"], "Дугаар")
    assert [(r["Дугаар"], r["Үлдсэн хоног"], r["Хугацаа хэтэрсэн"]) for r in deadlines] == [
        (n["old"], -144, "тийм"), (n["overdue"], -12, "тийм"), (n["fresh"], 24, "үгүй")]
    work = _table(book["Офлайн ажил"], "№")
    assert [(_day(w["Огноо"]), w["Арга хэмжээ"], w["Төрөл"], w["Удаа"], w["Хүн"], w["Газар"],
             w["Тэмдэглэл"], w["Хэрхэн оруулсан"]) for w in work] == [
        (d(2026, 9, 12), "2.1", "Сургалт", 1, 45, "Өлзийт сум", None, "Telegram (/log)"),
        (d(2026, 10, 1), "1.4", "Радио", 88, None, None, "Өдөрт хоёр удаа", "Telegram (/log)")]

    # The summary: the scenario's figures, each equal to the rows its note names.
    summary = _table(book["Хураангуй"], "Хэсэг")
    assert all(r["Хаанаас тоолсон"] for r in summary), "every figure says what it counts"
    f = _figures(summary)
    sent = [p for p in posts if p["Түгээлт №"] is not None]
    assert f["Сурталчилгаа/Түгээлт"] == len(sent) == 2
    assert f["Сурталчилгаа/Нийтлэл"] == len({p["Нийтлэл №"] for p in sent}) == 2
    assert f["Сурталчилгаа/Төрлөөр (нийтлэл): зурагт хуудас"] == 1
    assert f["Сурталчилгаа/Аянаар (нийтлэл): «Нэгдье» аян"] == campaigns["negdye"]["Нийтлэл"]
    assert f["Сурталчилгаа/Хүргэлт"] == sum(p["Хүргэгдсэн"] for p in sent) == 8
    assert f["Сурталчилгаа/Хүргэгдээгүй"] == sum(p["Хүргэгдээгүй"] for p in sent) == 1
    assert f["Сурталчилгаа/Хүлээн авагч (давхардалгүй)"] == 4
    assert f["Сурталчилгаа/«Хэрэгтэй» дарсан"] == sum(p["Хэрэгтэй"] for p in posts) == 4
    assert f["Сурталчилгаа/Хуваалцсан"] == sum(p["Хуваалцсан"] for p in posts) == 1
    assert f["Сурталчилгаа/Аянд нэгдсэн"] == sum(c["Нэгдсэн хүн"]
                                                for c in campaigns.values()) == 2
    assert f["Хүлээн авагчид/Эх сурвалжаар ирсэн: Автобусны буудлын самбар"] == 2
    assert f["Хүлээн авагчид/Шинээр захиалсан"] == 3
    assert f["Хүлээн авагчид/Зогсоосон шалтгаан: ботыг хориглосон"] == 1
    assert f["Өргөдөл, гомдол/Хүлээн авсан"] == len(rows) == 5
    for kind in ("гомдол", "санал", "авлигын мэдээлэл"):
        assert f[f"Өргөдөл, гомдол/Төрлөөр: {kind}"] == sum(r["Төрөл"] == kind for r in rows)
    assert f["Өргөдөл, гомдол/Байгууллагаар: Богд сум"] == 4
    answered = [r for r in rows if r["Хариу өгсөн"] is not None and
                _day(r["Хариу өгсөн"]) <= H2[1]]
    assert f["Өргөдөл, гомдол/Хариу өгсөн"] == len(answered) == 3
    assert f["Өргөдөл, гомдол/Хугацаандаа хариу өгсөн"] == sum(
        r["Хугацаандаа"] == "тийм" for r in answered) == 2
    assert f["Өргөдөл, гомдол/Хугацаандаа хариулсан хувь"] == 66.7
    assert f["Өргөдөл, гомдол/Хариу өгсөн хугацааны медиан (хоног)"] == statistics.median(
        r["Хариу өгөх хүртэл (хоног)"] for r in answered) == 45
    assert f["Өргөдөл, гомдол/Хугацаа сунгасан"] == sum(r["Сунгасан"] == "тийм" for r in rows)
    today = dt.date(2026, 12, 1)
    assert f["Өргөдөл, гомдол/Одоо хугацаа хэтэрсэн (энэ хугацаанд ирсэн)"] == sum(
        r["Төлөв"] in ("Хүлээн авсан", "Шалгаж байна") and _day(r["Шийдвэрлэх хугацаа"]) < today
        for r in rows) == 1
    assert f["Өргөдөл, гомдол/Одоо хугацаа хэтэрсэн (бүх нээлттэй хэрэг)"] == sum(
        r["Хугацаа хэтэрсэн"] == "тийм" for r in deadlines) == 2
    assert f["Офлайн ажил/Бүртгэл"] == len(work) == 2
    assert f["Офлайн ажил/Удаа"] == sum(w["Удаа"] for w in work) == 89
    assert f["Офлайн ажил/Хамрагдсан хүн"] == sum(w["Хүн"] or 0 for w in work) == 45
    assert f["Офлайн ажил/Төрлөөр: Радио — Удаа"] == 88
    assert_private([out.read_bytes()], year)


def assert_private(files: list[bytes], year: Year) -> None:
    """No complaint's words, no petitioner, no receipt, no citizen's id or username."""
    secrets = [*TEXTS.values(), *NAMED, NAMED[1].removeprefix("+"), *year.receipts,
               *(" ".join(r[i:i + 4] for i in range(0, 16, 4)) for r in year.receipts)]
    secrets += [str(p.id) for p in year.people] + [p.username or "" for p in year.people]
    secrets += [TEXTS[k][:24] for k in TEXTS]  # a fragment is as bad as the whole
    for blob in files:
        texts = [blob.decode("utf-8", errors="replace")]
        if blob[:2] == b"PK":  # xlsx and zip: the members, uncompressed
            with zipfile.ZipFile(io.BytesIO(blob)) as archive:
                texts = [archive.read(n).decode("utf-8", errors="replace")
                         for n in archive.namelist()]
        for text in texts:
            for secret in filter(None, secrets):
                assert secret not in text, secret


async def test_csv_is_a_file_per_sheet_with_a_bom_as_a_folder_or_a_zip(
    h: Harness, tmp_path: Path,
) -> None:
    year = await make_year(h)
    backend, now = _backend(h), h.clock()
    names = names_for(h.app.bot_data["svc"], "mn", "ac110_bot")
    await export(backend, *H2, "xlsx", tmp_path / "h2.xlsx", now, names=names)
    await export(backend, *H2, "csv", tmp_path / "h2", now, names=names)
    await export(backend, *H2, "csv", tmp_path / "h2.zip", now, names=names)
    book = _sheets(tmp_path / "h2.xlsx")
    files = sorted(p.name for p in (tmp_path / "h2").iterdir())
    assert files == ["campaigns.csv", "complaints.csv", "deadlines.csv", "offline.csv",
                     "posts.csv", "sources.csv", "summary.csv"]
    with zipfile.ZipFile(tmp_path / "h2.zip") as archive:
        assert sorted(archive.namelist()) == files
        zipped = {n: archive.read(n) for n in files}
    for name, title in [("summary.csv", "Хураангуй"), ("posts.csv", "Нийтлэл"),
                        ("campaigns.csv", "Аян"), ("sources.csv", "Эх сурвалж"),
                        ("complaints.csv", "Өргөдөл, гомдол"), ("deadlines.csv", "Хугацаа"),
                        ("offline.csv", "Офлайн ажил")]:
        raw = (tmp_path / "h2" / name).read_bytes()
        assert raw.startswith(BOM.encode()), name
        assert zipped[name] == raw, name
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert [_trim(r) for r in rows] == [_trim([_csv(v) for v in r]) for r in book[title]], \
            name
    complaints_csv = (tmp_path / "h2" / "complaints.csv").read_text(encoding="utf-8-sig")
    assert complaints_csv.splitlines()[1].startswith(
        f"{year.numbers['bogd']},гомдол,Богд сум,telegram,2026-07-10,2026-08-09,үгүй,Хариу өгсөн,"
        "2026-07-20,10,тийм")
    assert_private([p.read_bytes() for p in (tmp_path / "h2").iterdir()]
                   + [(tmp_path / "h2.zip").read_bytes()], year)


def _trim(row: list[str]) -> list[str]:
    """A row without its trailing empty cells (a sheet pads short rows, CSV does not)."""
    while row and row[-1] == "":
        row = row[:-1]
    return row


def _csv(value: Any) -> str:
    """A cell as the CSV writes it (openpyxl reads dates back as datetimes)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else \
            value.strftime("%Y-%m-%d %H:%M")
    return str(value)


async def test_export_in_telegram_sends_the_workbook_and_refuses_citizens(
    h: Harness, tmp_path: Path,
) -> None:
    year = await make_year(h)
    await h.admin.send("/export 2026-07-01 2026.12.31")
    await expect(h.admin, "хүснэгтийг бэлтгэж байна")
    sent = await h.admin.wait_for(lambda m: "document" in m, timeout=30)
    assert sent["document"]["file_name"] == "110-2026-07-01_2026-12-31.xlsx"
    assert "2026.07.01 – 2026.12.31" in text_of(sent)
    workbook = h.fake.files.record(sent["document"]["file_id"]).data
    direct = tmp_path / "direct.xlsx"
    await export(_backend(h), *H2, "xlsx", direct, h.clock(),
                 names=names_for(h.app.bot_data["svc"], "mn", "ac110_bot"))
    assert _sheets(workbook) == _sheets(direct)
    # The buttons: this half-year, as of the bot's today (2026-12-01).
    await h.admin.send("/export")
    await expect(h.admin, "Аль хугацааных вэ")
    await press(h.admin, "Энэ хагас жил")
    again = await h.admin.wait_for(lambda m: "document" in m
                                   and m["message_id"] != sent["message_id"], timeout=30)
    assert again["document"]["file_name"] == "110-2026-07-01_2026-12-31.xlsx"
    await h.admin.send("/export 2026-12-31 2026-07-01")
    await expect(h.admin, "ОООО-СС-ӨӨ")
    await h.admin.send("/export 2026")
    year_file = await h.admin.wait_for(lambda m: "document" in m and m["message_id"] not in
                                       (sent["message_id"], again["message_id"]), timeout=30)
    assert year_file["document"]["file_name"] == "110-2026-01-01_2026-12-31.xlsx"
    # The export is in the audit log.
    async with _backend(h).db.read() as conn:
        audited = await q.list_audit(conn, limit=50, complaint_id=None)
    assert sum(e["action"] == "export" for e in audited) == 3
    # Citizens are refused and get no file; a forged button does nothing.
    citizen = year.people[0]
    before = len([m for m in citizen.messages() if "document" in m])
    await citizen.send("/export")
    await expect(citizen, "зөвхөн байгууллагын ажилтанд")
    await citizen.send("/export 2026-07-01 2026-12-31")
    await expect(citizen, "зөвхөн байгууллагын ажилтанд")
    await citizen.press_data("xp:year")
    await h.fake.wait_idle()
    assert "хүчингүй" in (citizen.callback_answers[-1].get("text") or "")
    assert len([m for m in citizen.messages() if "document" in m]) == before
    assert_private([workbook, h.fake.files.record(again["document"]["file_id"]).data], year)


async def test_python_m_bot_export_writes_xlsx_and_csv_while_the_bot_runs(
    h: Harness, tmp_path: Path,
) -> None:
    year = await make_year(h)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env["BOT_DATA_DIR"] = str(h.data_dir)

    async def run(*args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "export", *args, env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return process.returncode, out.decode()

    code, out = await run("--from", "2026-07-01", "--to", "2026-12-31", "--format", "xlsx",
                          "--out", "out/h2.xlsx")
    assert code == 0, out
    assert "h2.xlsx" in out
    cli = _sheets(tmp_path / "out" / "h2.xlsx")
    numbers = [r[0] for r in cli["Өргөдөл, гомдол"][1:]]
    assert numbers == [year.numbers[k] for k in ("bogd", "unsure", "named", "overdue", "fresh")]
    assert cli["Өргөдөл, гомдол"][1][2] == "Богд сум"  # names from the content folder
    code, out = await run("--from", "2026-07-01", "--to", "2026-12-31", "--format", "csv",
                          "--out", "h2.zip")
    assert code == 0, out
    with zipfile.ZipFile(tmp_path / "h2.zip") as archive:
        assert "complaints.csv" in archive.namelist()
    code, out = await run("--from", "2026-12-31", "--to", "2026-07-01", "--out", "x.xlsx")
    assert code == 2 and "ends before it begins" in out
    code, out = await run("--from", "July", "--to", "2026-07-01", "--out", "x.xlsx")
    assert code == 2 and "not a date" in out
    assert_private([(tmp_path / "out" / "h2.xlsx").read_bytes(),
                    (tmp_path / "h2.zip").read_bytes()], year)


async def test_a_period_backwards_or_a_format_unknown_is_refused(h: Harness,
                                                               tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        await export(_backend(h), H2[1], H2[0], "xlsx", tmp_path / "x.xlsx", h.clock())
    with pytest.raises(ExportError):
        await export(_backend(h), *H2, "pdf", tmp_path / "x.pdf", h.clock())  # type: ignore[arg-type]
    assert not (tmp_path / "x.xlsx").exists()


def test_every_figure_of_the_statistics_has_words_and_a_trace_in_both_languages() -> None:
    import dataclasses
    import typing

    from bot.core import stats
    from bot.export.sheets import SECTIONS
    from bot.i18n import LANGS, catalog

    sections = typing.get_type_hints(stats.Summary)
    for section in SECTIONS:
        for figure in dataclasses.fields(sections[section]):
            for lang in LANGS:
                for part in ("figure", "trace"):
                    key = f"export.{part}.{section}.{figure.name}"
                    assert catalog(lang).get(key), (lang, key)
