"""Citizens, end to end over HTTP: every kind, files, named petitions, status, follow-ups."""

from __future__ import annotations

import pytest

from bot.fakegram import FakeTelegram
from tests.harness import (
    Harness,
    begin_draft,
    case_number,
    expect,
    file_complaint,
    press,
    text_of,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"poster-bytes" * 50
PDF = b"%PDF-1.4\n" + b"evidence " * 100
OGG = b"OggS" + b"voice" * 40
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"video" * 60


async def test_start_shows_the_promise_and_the_menu(h: Harness) -> None:
    alice = h.fake.user(first_name="Сараа")
    await alice.send("/start")
    welcome = await expect(alice, "110")
    assert "шифрлэж" in text_of(welcome)
    keyboard = alice.reply_keyboard()
    assert keyboard is not None
    labels = [b["text"] for row in keyboard for b in row]
    assert labels == ["📮 Гомдол, санал илгээх (110)", "🔎 Гомдлоо шалгах", "📰 Мэдээ авах",
                      "📋 Санал асуулга", "🔒 Нууцлал, тухай", "🌐 Хэл / Language"]
    await alice.send("/privacy")
    privacy = await expect(alice, "Нууцлал")
    assert "Telegram" in text_of(privacy)
    await alice.send("/help")
    await expect(alice, "/complain")


async def test_language_switch_to_english_and_back(h: Harness) -> None:
    bob = h.fake.user(first_name="Bob", language_code="en")
    await bob.send("/start")
    await expect(bob, "Сайн байна уу")  # Mongolian for everyone by default
    await bob.send("🌐 Хэл / Language")
    await press(bob, "🇬🇧 English")
    await expect(bob, "Language set to English")
    labels = [b["text"] for row in bob.reply_keyboard() or [] for b in row]
    assert "📮 Send a complaint (110)" in labels
    await bob.send("/help")
    await expect(bob, "What I can do")
    await h.restart()  # the choice is remembered (under a keyed pseudonym)
    await bob.send("/help")
    await expect(bob, "What I can do")


@pytest.mark.parametrize(("kind", "name"), [("😠 Гомдол", "гомдол"), ("💡 Санал", "санал"),
                                            ("🚨 Авлигын хэргийн мэдээлэл", "авлигын мэдээлэл")])
async def test_each_kind_gets_a_receipt_and_a_staff_notice_without_content(
    h: Harness, kind: str, name: str
) -> None:
    alice = h.fake.user(first_name="Сараа", username="saraa_b")
    text = "Эмнэлгийн эмч үзлэгийн өмнө мөнгө нэхсэн, Өлзийт сумын төвд."
    receipt = await file_complaint(alice, kind=kind, texts=(text,))
    assert len(receipt.replace(" ", "")) == 16
    notice = await expect(h.staff_group, "№")
    assert name in text_of(notice) and "Богд сум" in text_of(notice)
    assert text not in text_of(notice) and "Сараа" not in text_of(notice)
    await alice.send(f"/status {receipt}")
    view = await expect(alice, "Хүлээн авсан")
    assert name in text_of(view)


async def test_not_sure_whom_and_text_in_several_messages(h: Harness) -> None:
    alice = h.fake.user()
    receipt = await file_complaint(alice, group=None, org=None,
                                   texts=("Эхний хэсэг: сургуулийн захирал", "хоёр дахь хэсэг."))
    await alice.send(f"/status {receipt.replace(' ', '-')}")
    view = await expect(alice, "Хүлээн авсан")
    assert "Мэдэхгүй байна" in text_of(view)
    await h.officer.send("/inbox")  # not staff yet
    await expect(h.officer, "зөвхөн байгууллагын ажилтан")
    await h.add_officer()
    await h.officer.send(f"/case {case_number(view)}")
    case = await expect(h.officer, "Хэрэг №")
    assert "Эхний хэсэг: сургуулийн захирал\n\nхоёр дахь хэсэг." in text_of(case)


async def test_attachments_of_every_kind_reach_the_officer_as_uploads_never_forwards(
    h: Harness,
) -> None:
    alice = h.fake.user(first_name="Сараа")
    files = (
        lambda u: u.send_photo(PNG, caption="Баримт зураг"),
        lambda u: u.send_document(PDF, file_name="гэрээ.pdf", mime_type="application/pdf"),
        lambda u: u.send_voice(OGG, duration=3),
        lambda u: u.send_video(MP4, duration=4),
    )
    receipt = await file_complaint(alice, files=files)
    await h.add_officer()
    await alice.send(f"/status {receipt}")
    number = case_number(await expect(alice, "Хүлээн авсан"))
    await h.officer.send(f"/case {number}")
    case = await expect(h.officer, "Хэрэг №")
    assert "Баримт зураг" in text_of(case)  # the caption joined the description
    await expect(h.officer, f"№{number} хэргийн үйлдлүүд")
    uploads = [c for c in h.fake.calls
               if c.method in ("sendPhoto", "sendDocument", "sendVoice", "sendVideo",
                               "sendMediaGroup") and c.ok]
    assert uploads, "attachments were not re-sent"
    sent_bytes = set(h.fake.files.values())
    for original in (PNG, PDF, OGG, MP4):
        assert original in sent_bytes
    assert not h.fake.calls_to("forwardMessage")
    assert not h.fake.calls_to("copyMessage")


async def test_named_petition_shows_name_and_phone_to_officers_only(h: Harness) -> None:
    alice = h.fake.user(first_name="Сараа")
    receipt = await file_complaint(alice, named=("Батбаяр Өлзийбат", "+97699112233"))
    notice = await expect(h.staff_group, "№")
    assert "нэртэй өргөдөл" in text_of(notice)
    assert "Өлзийбат" not in text_of(notice) and "99112233" not in text_of(notice)
    await h.add_officer()
    await alice.send(f"/status {receipt}")
    number = case_number(await expect(alice, "Хүлээн авсан"))
    await h.officer.send(f"/case {number}")
    case = await expect(h.officer, "Хэрэг №")
    assert "Батбаяр Өлзийбат" in text_of(case) and "+97699112233" in text_of(case)


async def test_someone_elses_contact_is_refused(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice, "💡 Санал")
    await alice.send("Үйлчилгээний танхимд дугаарын машин тавьж өгөөч.")
    await press(alice, "✅ Дууслаа")
    await press(alice, "🪪 Нэр, утсаа өгөх")
    await alice.send("Сараа Бат")
    await expect(alice, "утасны дугаараа")
    await alice.send_contact("+97688001122", first_name="Өөр хүн", user_id=424242)
    await expect(alice, "өөрийнхөө дугаарыг")
    await alice.send("утас байхгүй")
    await expect(alice, "Утасны дугаар биш")
    await alice.send("+976 8800 1122")
    await expect(alice, "Илгээхээс өмнө шалгана уу")


async def test_wrong_input_at_each_step_gets_a_clear_answer_and_loses_nothing(
    h: Harness,
) -> None:
    alice = h.fake.user()
    await alice.send("/complain")
    await expect(alice, "Юу илгээх вэ")
    await alice.send("гомдол")  # typed instead of pressing
    await expect(alice, "товчнуудыг ашиглана уу")
    await press(alice, "😠 Гомдол")
    await alice.send_sticker()
    await expect(alice, "товчнуудыг ашиглана уу")
    await press(alice, "🤷 Мэдэхгүй байна")
    await alice.send_sticker()
    await expect(alice, "бичвэр, зураг, баримт бичиг")
    await alice.send_location(46.19, 100.72)
    await expect(alice, "бичвэр, зураг, баримт бичиг")
    await alice.send_document(b"", file_name="video.mp4", mime_type="video/mp4",
                              file_size=30_000_000)
    await expect(alice, "Файл хэт том")
    await alice.send("богино")
    await expect(alice, "Хүлээн авлаа")
    await press(alice, "✅ Дууслаа")
    await expect(alice, "дор хаяж 10 тэмдэгт")
    await alice.send("ж" * 3995)
    await expect(alice, "тэмдэгтээс урт")  # would exceed 4,000: refused whole
    await alice.send("Үлдсэн хэсэг нь энд.")
    await expect(alice, "Хүлээн авлаа")
    await press(alice, "✅ Дууслаа")
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    preview = await expect(alice, "Илгээхээс өмнө шалгана уу")
    assert "богино\n\nҮлдсэн хэсэг нь энд." in text_of(preview)
    assert "Файл: 0" in text_of(preview)


async def test_ten_files_at_most(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice)
    for i in range(10):
        await alice.send_photo(PNG + bytes([i]))
        await expect(alice, f"{i + 1}/10 файл")
    await alice.send_photo(PNG)
    await expect(alice, "дээд хэмжээнд (10)")


async def test_cancel_at_any_step_deletes_the_draft_and_its_files(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice)
    await alice.send_photo(PNG)
    await expect(alice, "1/10 файл")
    files = list((h.data_dir / "files").iterdir())
    assert len(files) == 1
    await alice.send("/cancel")
    await expect(alice, "Юу ч хадгалагдсангүй")
    assert list((h.data_dir / "files").iterdir()) == []
    await alice.send("сайн уу")
    await expect(alice, "цэснээс сонгох")  # no draft is offered back


async def test_edit_from_the_preview(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice)
    await alice.send("Анхны тайлбар энд байна.")
    await press(alice, "✅ Дууслаа")
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    await expect(alice, "Илгээхээс өмнө шалгана уу")
    await press(alice, "✏️ Засах")
    await press(alice, "Төрөл")
    await press(alice, "💡 Санал")
    preview = await expect(alice, "Илгээхээс өмнө шалгана уу")
    assert "Төрөл: санал" in text_of(preview)
    await press(alice, "✏️ Засах")
    await press(alice, "✍️ Бичвэрээ дахин бичих")
    await alice.send("Шинэ тайлбар, илүү тодорхой.")
    await press(alice, "✅ Дууслаа")
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    preview = await expect(alice, "Илгээхээс өмнө шалгана уу")
    assert "Шинэ тайлбар" in text_of(preview) and "Анхны" not in text_of(preview)


async def test_a_long_description_is_previewed_in_parts_within_telegrams_limit(
    h: Harness,
) -> None:
    alice = h.fake.user()
    await begin_draft(alice)
    long_text = " ".join(["Өөрчлөлт үүсгэсэн үйл явдал & <тэмдэг>"] * 100)[:3990] + " ТӨГСГӨЛ"
    await alice.send(long_text)
    await expect(alice, "Хүлээн авлаа")
    await press(alice, "✅ Дууслаа")
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    header = await expect(alice, "Илгээхээс өмнө шалгана уу")
    last = await expect(alice, "ТӨГСГӨЛ")
    shown = [m for m in alice.messages() if header["message_id"] <= m["message_id"]]
    assert shown[-1] is last or shown[-1]["message_id"] == last["message_id"]
    assert "✅ Илгээх" in str(last.get("reply_markup"))  # the buttons under the last part
    joined = " ".join(text_of(m) for m in shown)
    assert "& <тэмдэг>" in joined  # escaped in HTML, shown as typed
    assert all(len(text_of(m)) <= 4096 for m in alice.messages())


async def test_wrong_and_unknown_receipts_look_the_same_and_are_slowed_down(
    h: Harness,
) -> None:
    alice = h.fake.user()
    receipt = await file_complaint(alice)
    mallory = h.fake.user(first_name="Mallory")
    await mallory.send("/status 1234 5678 9012 3456")
    unknown = text_of(await expect(mallory, "олдсонгүй"))
    await mallory.send("/status 12")
    assert text_of(await expect(mallory, "олдсонгүй")) == unknown
    for _ in range(3):
        await mallory.send("/status 0000 0000 0000 0000")
        await expect(mallory, "олдсонгүй")
    await mallory.send(f"/status {receipt}")  # even a right receipt waits now
    await expect(mallory, "минутын дараа")
    h.clock.advance(minutes=16)
    await mallory.send(f"/status {receipt}")
    await expect(mallory, "Хүлээн авсан")


async def test_status_by_menu_button_and_typed_receipt(h: Harness) -> None:
    alice = h.fake.user()
    receipt = await file_complaint(alice)
    await alice.send("🔎 Гомдлоо шалгах")
    await expect(alice, "16 оронтой")
    await alice.send(receipt.replace(" ", ""))
    await expect(alice, "Хүлээн авсан")


async def test_follow_up_reaches_the_case_and_staff_are_told_without_content(
    h: Harness,
) -> None:
    alice = h.fake.user()
    receipt = await file_complaint(alice)
    await alice.send(f"/status {receipt}")
    number = case_number(await expect(alice, "Хүлээн авсан"))
    await press(alice, "➕ Нэмэлт бичих")
    await expect(alice, "нэмж бичих зүйлээ")
    await alice.send("Нэмэлт: гэрч хоёр хүн байсан.")
    await expect(alice, "Нэмэгдлээ")
    await alice.send_document(PDF, file_name="гэрч.pdf", mime_type="application/pdf")
    await expect(alice, "1 файл")
    await press(alice, "✅ Илгээх")
    await expect(alice, "Таны хэрэгт нэмэгдлээ")
    notice = await expect(h.staff_group, "нэмэлт бичлээ")
    assert "гэрч" not in text_of(notice)
    await alice.send(f"/status {receipt}")
    view = await expect(alice, "Хүлээн авсан")
    assert "Нэмэлт: гэрч хоёр хүн байсан." in text_of(view)
    await h.add_officer()
    await h.officer.send(f"/case {number}")
    await expect(h.officer, f"№{number} хэргийн үйлдлүүд")
    assert PDF in set(h.fake.files.values())


async def test_daily_limit_keeps_the_draft(h: Harness) -> None:
    await h.stop()
    await h.start(max_complaints_per_day=1)
    alice = h.fake.user()
    await file_complaint(alice)
    await begin_draft(alice)
    await alice.send("Хоёр дахь гомдол энд байна.")
    await press(alice, "✅ Дууслаа")
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    await press(alice, "✅ Илгээх")
    await expect(alice, "өдрийн дээд хязгаар")
    h.clock.advance(days=1)
    await press(alice, "✅ Илгээх")
    await expect(alice, "Баримтын дугаар")


async def test_restart_mid_flow_loses_nothing(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice, "🚨 Авлигын хэргийн мэдээлэл")
    await alice.send("Татварын байцаагч бэлэг авсан тухай мэдээлэл.")
    await alice.send_photo(PNG)
    await expect(alice, "1/10 файл")
    await h.restart()
    # The next message goes on into the saved step as if nothing had happened.
    await alice.send("Нэмэлт: өнгөрсөн мягмар гарагт.")
    ack = await expect(alice, "Хүлээн авлаа")
    assert "1/10 файл" in text_of(ack)
    await h.restart()
    await press(alice, "✅ Дууслаа")  # a button from before the restart still works
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    preview = await expect(alice, "Илгээхээс өмнө шалгана уу")
    assert "Татварын байцаагч" in text_of(preview) and "өнгөрсөн мягмар" in text_of(preview)
    assert "Файл: 1" in text_of(preview)
    await press(alice, "✅ Илгээх")
    await expect(alice, "Баримтын дугаар")


async def test_an_unfinished_draft_is_offered_back_when_a_flow_starts_again(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice)
    await alice.send("Эхлүүлсэн боловч дуусгаагүй гомдол.")
    await expect(alice, "Хүлээн авлаа")
    await alice.send("/complain")
    offer = await expect(alice, "дуусаагүй бичвэр")
    assert "0 файл" in text_of(offer)
    await press(alice, "▶️ Үргэлжлүүлэх")
    await expect(alice, "Юу болсныг бичнэ үү")
    await press(alice, "✅ Дууслаа")
    await expect(alice, "Нэрээ нууцлах уу")


async def test_a_follow_up_survives_a_restart(h: Harness) -> None:
    alice = h.fake.user()
    receipt = await file_complaint(alice)
    await alice.send(f"/status {receipt}")
    await expect(alice, "Хүлээн авсан")
    await press(alice, "➕ Нэмэлт бичих")
    await alice.send("Эхний нэмэлт.")
    await expect(alice, "Нэмэгдлээ")
    await h.restart()
    await alice.send("Хоёр дахь нэмэлт.")
    await expect(alice, "Нэмэгдлээ")
    await press(alice, "✅ Илгээх")
    await expect(alice, "Таны хэрэгт нэмэгдлээ")
    await alice.send(f"/status {receipt}")
    view = await expect(alice, "Хүлээн авсан")
    assert "Эхний нэмэлт.\n\nХоёр дахь нэмэлт." in text_of(view)


async def test_a_receipt_lost_in_transit_is_shown_on_the_next_message(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice)
    await alice.send("Сургуулийн элсэлтэд мөнгө шаардсан.")
    await press(alice, "✅ Дууслаа")
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    await expect(alice, "Илгээхээс өмнө шалгана уу")
    # The receipt's sendMessage fails, and its two retries too: the complaint is stored,
    # the citizen gets the apology, and the receipt waits in the encrypted draft (across a
    # restart, too).
    h.fake.fail_next("sendMessage", code=500, description="Internal Server Error", count=3,
                     chat_id=alice.id)
    await press(alice, "✅ Илгээх")
    await expect(alice, "алдаа гарлаа")
    await expect(h.staff_group, "№")
    await h.restart()
    await alice.send("байна уу")
    await expect(alice, "хадгалагдсан байна")
    receipt = await expect(alice, "Баримтын дугаар")
    assert "№1" in text_of(receipt)


async def test_one_failed_send_of_the_receipt_is_retried_at_once(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice)
    await alice.send("Сургуулийн элсэлтэд мөнгө шаардсан.")
    await press(alice, "✅ Дууслаа")
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    await expect(alice, "Илгээхээс өмнө шалгана уу")
    h.fake.fail_next("sendMessage", code=502, description="Bad Gateway", count=1,
                     chat_id=alice.id)
    await press(alice, "✅ Илгээх")
    receipt = await expect(alice, "Баримтын дугаар")
    assert "№1" in text_of(receipt)
    assert not any("алдаа гарлаа" in t for t in alice.texts())


async def test_idle_draft_expires_after_thirty_minutes(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice)
    await alice.send_photo(PNG)
    await expect(alice, "1/10 файл")
    h.clock.advance(minutes=31)
    await h.run_job("cleanup")
    assert list((h.data_dir / "files").iterdir()) == []
    await alice.send("Үргэлжлүүлье")
    await expect(alice, "ноорог байхгүй болсон")


async def test_forged_and_stale_buttons_get_a_polite_answer(
    h: Harness, fake: FakeTelegram
) -> None:
    alice = h.fake.user()
    await alice.send("/start")
    await expect(alice, "110")
    for data in ("n:1:AAAAAAAAAA", "st:fu:1:AAAAAAAAAA", "c:kind:complaint", "garbage",
                 "lang:xx", "k:set:1:closed", "k:open:1"):
        await alice.press_data(data)
    await fake.wait_idle()
    answers = alice.callback_answers
    assert len(answers) == 7
    assert all("хүчингүй" in (a.get("text") or "") for a in answers), answers
