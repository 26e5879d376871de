"""Privacy, proven: after whole runs, no file or log line links a complaint to a person.

The database files (WAL included), every file in the data folder and the captured logs are
scanned for the complainants' Telegram ids, usernames, first names, phones and texts; and
every column of every table is checked for the ids as numbers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.harness import Harness, case_number, expect, file_complaint, press

ALICE_ID, BOB_ID = 987_654_321, 912_345_678
ALICE_TEXT = "Цагдаагийн ахлах ажилтан торгуулийг бэлнээр авч баримт өгөөгүй, Жинст сум."
BOB_TEXT = "Газрын албаны мэргэжилтэн хашааны зөвшөөрөлд 2 сая төгрөг нэхсэн гэсэн."
FOLLOWUP = "Дахин нэг удаа мөнгө нэхсэн, огноо нь 11-р сарын 28."
PHOTO = b"\xff\xd8\xff\xe0JFIF" + "Нууц гэрэл зураг".encode() * 40


def _scan_targets(data_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data_dir)): p.read_bytes()
            for p in sorted(data_dir.rglob("*")) if p.is_file()}


def _assert_absent(blobs: dict[str, bytes], secrets: list[str]) -> None:
    for name, blob in blobs.items():
        for value in secrets:
            for encoding in ("utf-8", "utf-16-le"):
                assert value.encode(encoding) not in blob, f"{value!r} ({encoding}) in {name}"


def _assert_no_column_holds(db_path: Path, ids: list[int]) -> None:
    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table in ("staff", "audit_log"):
                continue  # staff are accountable: their own ids are kept, by design
            for row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608 (our table names)
                for value in row:
                    assert value not in ids and str(value) not in map(str, ids), (table, value)
    finally:
        conn.close()


async def test_database_files_and_logs_hold_no_identity_and_no_plaintext(
    h: Harness, log_text: Callable[[], str]
) -> None:
    alice = h.fake.user(first_name="Зөвлөмжбаатар", last_name="Өнөрбаясгалан",
                        username="alice_whistle", user_id=ALICE_ID)
    bob = h.fake.user(first_name="Түвшинжаргал", username="bob_anon_77", user_id=BOB_ID)
    receipt = await file_complaint(alice, texts=(ALICE_TEXT,), notify=True,
                                   files=(lambda u: u.send_photo(PHOTO),))
    await file_complaint(bob, kind="🚨 Авлигын хэргийн мэдээлэл", texts=(BOB_TEXT,))
    # Alice follows up, and checks the status.
    await alice.send(f"/status {receipt}")
    number = case_number(await expect(alice, "Хүлээн авсан"))
    await press(alice, "➕ Нэмэлт бичих")
    await alice.send(FOLLOWUP)
    await press(alice, "✅ Илгээх")
    await expect(alice, "Таны хэрэгт нэмэгдлээ")
    # Alice also subscribes to the office's posts (the one place a chat id must be kept).
    await alice.send("/subscribe")
    await expect(alice, "бүртгүүллээ")
    # Bob leaves a draft half-done (it is stored, encrypted, until it expires).
    await bob.send("/complain")
    await press(bob, "💡 Санал")
    await press(bob, "🤷 Мэдэхгүй байна")
    await bob.send("Хагас бичсэн санал: үйлчилгээний цагийг уртасгах.")
    await expect(bob, "Хүлээн авлаа")
    # Staff handle Alice's case; the one-time notice link is used.
    await h.add_officer()
    await h.officer.send(f"/case {number}")
    await press(h.officer, "✉️ Иргэнд хариу бичих")
    await h.officer.send("Шалгаж байна.")
    await press(h.officer, "✅ Хариу болгож илгээх")
    await expect(alice, "шинэ мэдээ")

    secrets = [str(ALICE_ID), str(BOB_ID), "alice_whistle", "bob_anon_77", "Зөвлөмжбаатар",
               "Өнөрбаясгалан", "Түвшинжаргал", ALICE_TEXT, BOB_TEXT, FOLLOWUP,
               "Хагас бичсэн санал", receipt, receipt.replace(" ", ""), "Нууц гэрэл зураг"]
    # While running: the WAL holds the newest pages.
    live = _scan_targets(h.data_dir)
    assert any(name.endswith("-wal") for name in live)
    _assert_absent(live, secrets)
    await h.stop()
    _assert_absent(_scan_targets(h.data_dir), secrets)
    _assert_no_column_holds(h.data_dir / "bot.sqlite3", [ALICE_ID, BOB_ID])
    logs = log_text()
    assert "submission 1 stored" in logs  # the logs were captured
    for value in secrets:
        assert value not in logs, value


async def test_a_named_petition_is_stored_encrypted_too(
    h: Harness, log_text: Callable[[], str]
) -> None:
    alice = h.fake.user(first_name="Наранцэцэг", username="naraa_named", user_id=ALICE_ID)
    await file_complaint(alice, texts=(ALICE_TEXT,),
                         named=("Наранцэцэг Өлзийхутаг", "+97699887766"))
    await h.stop()
    secrets = [str(ALICE_ID), "naraa_named", "Наранцэцэг", "Өлзийхутаг", "99887766",
               ALICE_TEXT]
    _assert_absent(_scan_targets(h.data_dir), secrets)
    _assert_no_column_holds(h.data_dir / "bot.sqlite3", [ALICE_ID])
    logs = log_text()
    for value in secrets:
        assert value not in logs, value


async def test_staff_are_never_forwarded_a_citizens_message(h: Harness) -> None:
    alice = h.fake.user()
    await file_complaint(alice, files=(lambda u: u.send_photo(PHOTO),))
    await h.add_officer()
    await h.officer.send("/case 1")
    await expect(h.officer, "хэргийн үйлдлүүд")
    assert not h.fake.calls_to("forwardMessage")
    assert not h.fake.calls_to("copyMessage")
    for call in h.fake.calls:
        if str(call.params.get("chat_id")) in (str(h.staff_group.id), str(h.officer.id)):
            assert "from_chat_id" not in call.params
