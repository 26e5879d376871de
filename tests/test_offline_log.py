"""Offline work through the bot: /log step by step, /log import of a CSV file, the CLI import."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from bot.core import offline, staff
from bot.core.backend import open_backend
from bot.core.models import Role
from tests.harness import ADMIN_ID, OFFICER_ID, Harness, expect, press, text_of

TODAY = dt.date(2026, 12, 1)  # the harness's clock: 2026-12-01 10:00 in Ulaanbaatar
HEADER = "date,measure,kind,title,times,people,place,note\n"


def _backend(h: Harness) -> Any:
    return h.app.bot_data["svc"].backend


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def _entries(h: Harness) -> list[offline.Activity]:
    return await offline.between(_backend(h), dt.date(2026, 1, 1), TODAY)


async def test_an_officer_records_a_training_step_by_step_and_can_withdraw_it(h: Harness
                                                                              ) -> None:
    await h.add_officer()
    officer = h.officer
    await officer.send("/log")
    await expect(officer, "Төлөвлөгөөний аль арга хэмжээнд")
    await officer.send("сургалт")  # not a measure number
    await expect(officer, "1.1")
    await officer.send("2.1")
    kinds = await expect(officer, "Ямар ажил вэ")
    assert _buttons(kinds)[:3] == ["🎓 Сургалт", "📄 Гарын авлага, тараах материал", "📻 Радио"]
    await officer.send("Сургалт")  # the kind is chosen with a button, not typed
    await expect(officer, "доорх товчийг")
    await press(officer, "🎓 Сургалт")
    await expect(officer, "Товч нэрийг бичнэ үү")
    await officer.send("Төрийн албан хаагчдад авлигын эсрэг сургалт, Өлзийт сум")
    await expect(officer, "Хэзээ болсон бэ")
    await officer.send("2026-12-25")  # the future
    await expect(officer, "ирээдүйн огноо болохгүй")
    await officer.send("2026.11.28")  # as offices write dates
    await expect(officer, "Хэдэн удаа")
    await officer.send("0")
    await expect(officer, "1 ба түүнээс их")
    await press(officer, "1 удаа")
    await expect(officer, "Хэдэн хүн")
    await officer.send("1 200")
    await expect(officer, "Хаана болсон")
    await officer.send("Өлзийт сум")
    await expect(officer, "нэмэлт тайлбар")
    await press(officer, "⏭ Алгасах")
    check = await expect(officer, "Шалгаад хадгална уу")
    for shown in ("2.1", "Сургалт", "2026.11.28", "Удаа: 1", "1200", "Өлзийт сум",
                  "Тайлбар: —"):
        assert shown in text_of(check), shown
    await press(officer, "✅ Хадгалах")
    saved = await expect(officer, "Бүртгэлээ")
    [entry] = await _entries(h)
    assert (entry.happened_on, entry.measure, entry.kind, entry.times, entry.people,
            entry.place, entry.note, entry.source) == (
        dt.date(2026, 11, 28), "2.1", "training", 1, 1200, "Өлзийт сум", None, "telegram")
    assert entry.title == "Төрийн албан хаагчдад авлигын эсрэг сургалт, Өлзийт сум"
    assert f"№{entry.id}" in text_of(saved)
    # The next /log offers the measure just used as a button.
    await officer.send("/log")
    again = await expect(officer, "арга хэмжээнд")
    assert "2.1" in _buttons(again)
    await officer.send("/cancel")
    await expect(officer, "цуцаллаа")
    await press(officer, "↩️ Буцаах")
    await expect(officer, "буцаалаа")
    assert await _entries(h) == []


async def test_radio_spots_with_buttons_and_skips_then_cancel_keeps_nothing(h: Harness
                                                                           ) -> None:
    await h.admin.send("/log")
    await expect(h.admin, "арга хэмжээнд")
    await h.admin.send("1.4")
    await press(h.admin, "📻 Радио")
    await h.admin.send("Радиогоор мягмар, пүрэв гарагт")
    await press(h.admin, "Өчигдөр")
    await h.admin.send("88")
    await press(h.admin, "⏭ Алгасах")
    await expect(h.admin, "Хаана")
    await press(h.admin, "⏭ Алгасах")
    await expect(h.admin, "тайлбар")
    await h.admin.send("Өдөрт хоёр удаа, 44 долоо хоног.")
    check = await expect(h.admin, "Шалгаад")
    assert "2026.11.30" in text_of(check) and "Хамрагдсан хүн: —" in text_of(check)
    await press(h.admin, "✅ Хадгалах")
    await expect(h.admin, "Бүртгэлээ")
    [entry] = await _entries(h)
    assert (entry.kind, entry.times, entry.people, entry.place, entry.note) == (
        "radio", 88, None, None, "Өдөрт хоёр удаа, 44 долоо хоног.")
    # Cancel halfway: nothing is saved, and the next text is not taken as a title.
    await h.admin.send("/log")
    await h.admin.send("1.4")
    await press(h.admin, "🖥 LED дэлгэц")
    await expect(h.admin, "Товч нэрийг")
    await press(h.admin, "❌ Цуцлах")
    await expect(h.admin, "юу ч хадгалаагүй")
    await h.admin.send("Автобусны буудлын дэлгэц")
    await expect(h.admin, "цэснээс")
    assert len(await _entries(h)) == 1


async def test_a_csv_file_adds_its_good_rows_and_names_each_refused_row(h: Harness) -> None:
    await h.admin.send("/log import")
    await expect(h.admin, "CSV файлаа илгээнэ үү")
    await h.admin.send_document(b"%PDF-1.4", file_name="tailan.pdf")
    await expect(h.admin, "CSV файл биш")
    await h.admin.send("энд байна")
    await expect(h.admin, "CSV файл биш")
    await h.admin.send_document("огноо;тоо\n".encode("cp1251", errors="replace") + b"\xff\xfe",
                                file_name="bad.csv", mime_type="text/csv")
    await expect(h.admin, "CSV UTF-8")
    rows = (HEADER
            + "2026-03-15,2.1,training,Сургалт Баянхонгор суманд,1,45,Баянхонгор,\n"
            + "2026-13-01,2.1,training,Огноо буруу,1,10,,\n"
            + "2026-04-02,1.4,rumour,Төрөл буруу,,,,\n"
            + "2026-04-03,1.4,radio,Радио,88,олон,,\n"
            + "2026-04-04,x.y,led,LED дэлгэц,836,,,\n"
            + "2026-05-10,1.4,led,LED дэлгэц Өлзийт,836,,Өлзийт,Автобусны буудал\n")
    await h.admin.send_document("\ufeff".encode() + rows.encode(), file_name="ажил.csv",
                                mime_type="text/csv")
    report = text_of(await expect(h.admin, "мөр нэмэгдлээ"))
    assert "✅ 2 мөр нэмэгдлээ" in report
    assert "Дараах 4 мөрийг оруулсангүй" in report
    assert "3-р мөр, «date» багана" in report
    assert "4-р мөр, «kind» багана: дараахын нэг байх ёстой: training, handout" in report
    assert "5-р мөр, «people» багана" in report
    assert "6-р мөр, «measure» багана" in report
    entries = await _entries(h)
    assert [(e.happened_on, e.kind, e.times, e.people, e.source) for e in entries] == [
        (dt.date(2026, 3, 15), "training", 1, 45, "import"),
        (dt.date(2026, 5, 10), "led", 836, None, "import")]
    # A spreadsheet saved with semicolons (as Mongolian-locale Excel does) works too.
    await h.admin.send("/log import")
    await expect(h.admin, "CSV файлаа")
    await h.admin.send_document(
        "date;measure;kind;title\n2026-06-01;3.2;event;Уралдаан\n".encode(),
        file_name="semi.CSV", mime_type="text/csv")
    await expect(h.admin, "✅ 1 мөр нэмэгдлээ")
    assert len(await _entries(h)) == 3


async def test_a_file_without_the_columns_is_refused_at_line_one(h: Harness) -> None:
    await h.admin.send("/log import")
    await expect(h.admin, "CSV файлаа")
    await h.admin.send_document(b"when,what\n2026-01-01,x\n", file_name="a.csv")
    report = text_of(await expect(h.admin, "Нэг ч мөр нэмэгдсэнгүй"))
    assert "1-р мөр, «date,measure,kind,title» багана: эхний мөрөнд дараах багана алга" in report


async def test_citizens_and_viewers_cannot_log(h: Harness) -> None:
    citizen = h.fake.user(first_name="Сараа")
    await citizen.send("/log")
    await expect(citizen, "зөвхөн байгууллагын ажилтанд")
    await citizen.send("/log import")
    await expect(citizen, "зөвхөн байгууллагын ажилтанд")
    await citizen.send_document((HEADER + "2026-03-15,2.1,training,Сургалт,1,45,,\n").encode(),
                                file_name="a.csv")
    await h.fake.wait_idle()
    await citizen.press_data("lg:save")
    await h.fake.wait_idle()
    assert "хүчингүй" in (citizen.callback_answers[-1].get("text") or "")
    await h.admin.send(f"/staff add {OFFICER_ID} viewer")
    await expect(h.admin, str(OFFICER_ID))
    await h.officer.send("/log")
    await expect(h.officer, "зөвхөн байгууллагын ажилтанд")
    assert await _entries(h) == []


async def test_python_m_bot_log_import_prints_each_refused_row(tmp_path: Path) -> None:
    data = tmp_path / "data"
    now = dt.datetime.now(dt.UTC)
    from bot.config import Settings

    backend = await open_backend(Settings(data_dir=data, admins=frozenset({ADMIN_ID})), now)
    await staff.add_staff(backend, ADMIN_ID, 555, Role.EDITOR, now)
    await backend.close()
    today = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    csv_file = tmp_path / "ажил.csv"
    csv_file.write_text(HEADER + f"{today},2.1,training,Сургалт,1,45,,\n"
                                 f"{today},2.1,training,,1,45,,\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env["BOT_DATA_DIR"] = str(data)

    async def run(*args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "log", "import", str(csv_file), *args, env=env,
            cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return process.returncode, out.decode()

    code, out = await run("--staff", "999")
    assert code == 2 and "not staff" in out
    code, out = await run("--staff", "555")
    assert code == 1, out
    assert f"{csv_file}:3: title:" in out and "1 rows added, 1 refused" in out
    backend = await open_backend(Settings(data_dir=data), now)
    try:
        found = await offline.between(backend, today, today)
    finally:
        await backend.close()
    assert [(e.title, e.people, e.source) for e in found] == [("Сургалт", 45, "import")]
