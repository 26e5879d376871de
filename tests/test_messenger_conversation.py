"""The Messenger conversation's own ways, end to end through the fake Graph API.

Quick replies within 13 and 20 characters, organization pages, files and their limits,
the preview split at 2,000 characters, materials on demand, language, privacy, forged and
stale buttons, a receipt lost in transit. The scenarios both channels share are in
`test_e2e_channels.py`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fakegram import FakeTelegram
from bot.fakegraph import FakeGraph
from bot.i18n import LANGS, t
from bot.messenger.chat import label, plain
from bot.sandbox.script import expect, text_of
from tests.channels import MessengerCitizen, Office, case_number, make_citizen, read_case

PNG = b"\x89PNG\r\n\x1a\n" + b"poster-bytes" * 50


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    server = FakeGraph()
    await server.start()
    yield server
    await server.stop()
    assert server.unknown_calls == []


@pytest.fixture
async def office(fake: FakeTelegram, graph: FakeGraph, tmp_path: Path) -> AsyncIterator[Office]:
    found = Office(fake, graph, tmp_path / "data")
    await found.start()
    yield found
    if found._stack is not None:
        await found.stop()


def person(office: Office, name: str = "Сараа", lang: str = "mn") -> MessengerCitizen:
    c = make_citizen(office, "messenger", name, lang=lang)
    assert isinstance(c, MessengerCitizen)
    return c


async def described(c: MessengerCitizen, text: str = "Сургуулийн элсэлтэд мөнгө шаардсан.") \
        -> None:
    await c.menu("complain")
    await c.choose("kind.button.complaint")
    await c.choose("org.unsure")
    await c.expect("Юу болсныг бичнэ үү")
    await c.send(text)
    await c.expect("Хүлээн авлаа")


def files_stored(office: Office) -> list[Path]:
    folder = office.data_dir / "files"
    return list(folder.iterdir()) if folder.exists() else []


# -- greeting, menu, language, privacy --------------------------------------------------------
async def test_get_started_greets_with_the_menu_as_quick_replies(office: Office) -> None:
    c = person(office)
    await c.start()
    welcome = await c.next_received()
    assert welcome.text == plain(t("mn", "messenger.welcome"))
    assert [q["title"] for q in welcome.quick_replies] == [
        t("mn", "messenger.menu.complain"), t("mn", "messenger.menu.status"),
        t("mn", "messenger.menu.materials"), t("mn", "menu.survey"),
        t("mn", "messenger.menu.privacy"), t("mn", "messenger.menu.lang")]
    await c.person.tap_ice_breaker(t("mn", "messenger.ice.complain"))
    await c.expect("Юу илгээх вэ")


async def test_the_language_is_chosen_kept_and_used_for_labels(office: Office) -> None:
    c = person(office, "Bob")
    await c.menu("lang")
    await c.choose("🇬🇧 English")
    await c.expect("Language set to English")
    c.lang = "en"
    await office.restart()  # the core keeps the choice under a keyed pseudonym
    await c.menu("complain")
    await c.expect("What would you like to send")
    assert c.person.messages()[-1].quick_replies[2]["title"] == "🚨 Corruption report"
    await c.choose("kind.button.report")
    await c.expect("Whom does it concern")


async def test_privacy_says_what_meta_sees_and_when_a_notice_can_come(office: Office) -> None:
    for lang in LANGS:
        text = plain(t(lang, "messenger.privacy"))
        assert "24" in text and "7" in text and "Meta" in text and "PSID" in text
        offer = t(lang, "messenger.notice.offer")
        assert "24" in offer and "7" in offer and len(offer) <= 640
    c = person(office)
    await c.menu("privacy")
    assert "PSID" in await c.expect("Нууцлал")


def test_every_label_fits_a_messenger_button() -> None:
    keys = ["kind.button.complaint", "kind.button.suggestion", "kind.button.report",
            "org.unsure", "button.cancel", "button.done", "button.send", "button.edit",
            "button.back", "button.continue", "button.discard", "button.notify_me",
            "button.no_notice", "button.followup", "identity.button.anonymous",
            "identity.button.named", "edit.kind", "edit.org", "edit.more", "edit.rewrite",
            "edit.identity", "edit.back", "lang.name", "materials.latest", "materials.topics",
            "menu.survey", "survey.rate_case", "survey.done", "survey.prefer_not",
            "survey.back", "survey.skip", "survey.stop",
            *(f"messenger.menu.{k}" for k in ("complain", "status", "materials", "privacy",
                                              "lang"))]
    for lang in LANGS:
        for key in keys:
            assert len(label(lang, key)) <= 20, (lang, key, label(lang, key))


def test_plain_text_keeps_what_the_user_wrote() -> None:
    assert plain("<b>Тайлбар</b>: a &lt;b&gt; &amp; c") == "Тайлбар: a <b> & c"
    assert plain('<a href="https://iaac.mn">IAAC</a> <a href="https://x.mn">https://x.mn</a>') \
        == "IAAC (https://iaac.mn) https://x.mn"


# -- the steps --------------------------------------------------------------------------------
async def test_organizations_page_within_13_quick_replies_and_long_names_fit(
    office: Office,
) -> None:
    c = person(office)
    await c.menu("complain")
    await c.choose("kind.button.complaint")
    await c.expect("Хэнд хамаарах вэ")
    await c.choose("Сум")
    first = await c.next_received()
    assert "(1/2)" in (first.text or "") and len(first.quick_replies) == 12
    titles = [q["title"] for q in first.quick_replies]
    assert "Баянхонгор сум (айм…" in titles and "▶️" in titles and "◀️" not in titles
    assert "Баянхонгор сум (аймгийн төв)" in (first.text or "")  # the whole name in the text
    await c.choose("▶️")
    second = await c.next_received()
    assert "(2/2)" in (second.text or "") and "Өлзийт сум" in (second.text or "")
    assert all(len(q) <= 13 for q in (first.quick_replies, second.quick_replies))
    await c.choose("◀️")
    await c.choose("Баянхонгор сум (аймгийн төв)")  # a cut title chooses the whole name
    await c.expect("Юу болсныг бичнэ үү")
    await c.send("Аймгийн төвд газрын зөвшөөрөлд мөнгө нэхсэн.")
    await c.choose("button.done")
    await c.choose("identity.button.anonymous")
    preview = await c.expect("Илгээхээс өмнө шалгана уу")
    assert "Баянхонгор сум (аймгийн төв)" in preview


async def test_typed_text_at_a_choice_is_answered_and_the_choice_asked_again(
    office: Office,
) -> None:
    c = person(office)
    await c.menu("complain")
    await c.expect("Юу илгээх вэ")
    await c.send("гомдол")
    await c.expect("товчнуудаас сонгоно уу")
    again = await c.next_received()
    assert [q["payload"] for q in again.quick_replies][:3] == [
        "K:complaint", "K:suggestion", "K:report"]
    await c.choose("kind.button.complaint")
    await c.expect("Хэнд хамаарах вэ")


async def test_files_several_at_once_too_big_and_not_files(office: Office, graph: FakeGraph
                                                          ) -> None:
    c = person(office)
    await described(c)
    await c.person.send_attachments(graph.attachment("image", data=PNG),
                                    graph.attachment("file", data=b"%PDF-1.4 x" * 20))
    assert "2/10 файл" in await c.expect("Хүлээн авлаа")
    big = graph.attachment("video", size=30 * 1024 * 1024)
    await c.person.send_attachments(big)
    await c.expect("Файл хэт том")
    assert len(files_stored(office)) == 2  # nothing of the big one was kept
    sticker = {"type": "image", "payload": {"url": graph.attachment("image", data=PNG)
                                            ["payload"]["url"], "sticker_id": 369239263222822}}
    await c.person.send_attachments(sticker)
    await c.expect("бичвэр, зураг, баримт бичиг")
    for i in range(8):
        await c.person.send_attachments(graph.attachment("image", data=PNG + bytes([i])))
        await c.expect(f"{i + 3}/10 файл")
    await c.person.send_attachments(graph.attachment("image", data=PNG))
    await c.expect("дээд хэмжээнд (10)")
    assert len(files_stored(office)) == 10
    await c.choose("button.cancel")
    await c.expect("Юу ч хадгалагдсангүй")
    assert files_stored(office) == []


async def test_a_long_description_is_previewed_in_parts_of_2000(office: Office) -> None:
    c = person(office)
    long_text = " ".join(["Өөрчлөлт үүсгэсэн үйл явдал & <тэмдэг>"] * 100)[:3990] + " ТӨГСГӨЛ"
    await described(c, long_text)
    await c.choose("button.done")
    await c.choose("identity.button.anonymous")
    await c.expect("Илгээхээс өмнө шалгана уу")
    await c.expect("ТӨГСГӨЛ")
    confirm = await c.next_received()
    assert [b["payload"] for b in confirm.buttons] == ["SEND", "EDIT", "CANCEL"]
    sent = [m.text or "" for m in c.person.messages()]
    assert all(len(text) <= 2000 for text in sent)
    assert "& <тэмдэг>" in "".join(sent)  # shown as typed


async def test_edit_from_the_preview_goes_back_to_it(office: Office) -> None:
    c = person(office)
    await described(c, "Анхны тайлбар энд байна.")
    await c.choose("button.done")
    await c.choose("identity.button.anonymous")
    await c.expect("Илгээхээс өмнө шалгана уу")
    await c.choose("button.edit")
    await c.choose("edit.kind")
    await c.choose("kind.button.suggestion")
    assert "Төрөл: санал" in await c.expect("Илгээхээс өмнө шалгана уу")
    await c.choose("button.edit")
    await c.choose("edit.rewrite")
    await c.send("Шинэ тайлбар, илүү тодорхой.")
    await c.choose("button.done")
    await c.choose("identity.button.anonymous")
    preview = await c.expect("Илгээхээс өмнө шалгана уу")
    assert "Шинэ тайлбар" in preview and "Анхны" not in preview


async def test_a_double_tap_on_send_stores_one_complaint(office: Office) -> None:
    c = person(office)
    await described(c)
    await c.choose("button.done")
    await c.choose("identity.button.anonymous")
    await c.expect("Илгээхээс өмнө шалгана уу")
    await c.expect("Илгээх үү")
    send = label("mn", "button.send")
    await c.person._postback(send, "SEND")
    await c.person._postback(send, "SEND")  # the same button, again (two mids)
    await c.receipt()
    await office.idle()
    async with office.backend.db.read() as conn:
        count = (await (await conn.execute("SELECT count(*) FROM complaints")).fetchone())[0]
    assert count == 1


async def test_a_receipt_lost_in_transit_is_shown_on_the_next_message(
    office: Office, graph: FakeGraph
) -> None:
    c = person(office)
    await described(c)
    await c.choose("button.done")
    await c.choose("identity.button.anonymous")
    await c.expect("Илгээхээс өмнө шалгана уу")
    await c.expect("Илгээх үү")
    graph.fail_next("messages", 2, psid=c.person.psid)  # Meta's unexpected error
    await c.choose("button.send")
    await expect(office.staff_group, "№")  # stored, and staff told
    await office.restart()
    await c.send("байна уу")
    await c.expect("хадгалагдсан байна")
    assert "№1" in await c.expect("Баримтын дугаар")


async def test_forged_and_stale_payloads_get_a_polite_answer(office: Office) -> None:
    c = person(office)
    await c.start()
    await c.expect("110")
    stale, expired = t("mn", "error.stale_button"), plain(t("mn", "complaint.expired"))
    for payload in ("N:1:AAAAAAAAAA", "FU:1:AAAAAAAAAA", "garbage", "LANG:xx",
                    "M:p:no-such-post", "OG:-"):
        await c.person._postback("x", payload)
        assert (await c.next_received()).text == stale, payload
    for payload in ("K:complaint", "SEND", "OG:soum:0", "DONE"):  # no draft to choose for
        await c.person._postback("x", payload)
        assert (await c.next_received()).text == expired, payload
    # Another person's follow-up button does not open someone else's case.
    sara = person(office, "Сараа Б")
    from tests.channels import file_complaint

    receipt = await file_complaint(sara)
    await read_case(sara, receipt)
    button = next(m for m in reversed(sara.person.messages()) if m.buttons).buttons[0]
    await c.person._postback("x", str(button["payload"]))
    await c.expect("хүчингүй")


# -- materials ----------------------------------------------------------------------------------
async def test_materials_on_demand_latest_and_by_topic(office: Office, graph: FakeGraph) -> None:
    c = person(office)
    await c.menu("materials")
    offer = await c.next_received()
    titles = [q["title"] for q in offer.quick_replies]
    assert titles[0] == label("mn", "materials.latest") and "Хэрхэн мэдээлэх" in titles
    assert len(titles) <= 13
    await c.choose("materials.latest")
    listed = await c.expect("Аль материалыг үзэх вэ")
    assert "1. " in listed
    await c.choose("materials.topics")
    await c.choose("Хэрхэн мэдээлэх")
    listed = await c.expect("Аль материалыг үзэх вэ")
    poster = office.app.bot_data["svc"].content.get("box-110")
    assert poster.title_for("mn") in listed
    number = next(line.split(".")[0] for line in listed.splitlines()
                  if poster.title_for("mn") in line)
    choice = next(q["title"] for q in c.person.messages()[-1].quick_replies
                  if str(q["title"]).startswith(f"{number}. "))
    await c.person.tap_quick_reply(choice)
    await c.expect("Нэг цонх")
    await office.idle()
    uploads = [m for m in c.person.messages() if m.attachment and
               m.attachment.get("type") == "image"]
    assert len(uploads) == 1  # the poster, uploaded
    more = c.person.messages()[-1]
    assert [b["payload"] for b in more.buttons] == ["COMPLAIN"]
    assert all(m.messaging_type == "RESPONSE" for m in c.person.messages())
    async with office.backend.db.read() as conn:
        rows = await (await conn.execute(
            "SELECT dims FROM events WHERE name = 'material_sent'")).fetchall()
    assert [json.loads(r["dims"]) for r in rows] == [{"post": "box-110"}]
    assert all(c.person.psid not in r["dims"] for r in rows)


# -- the staff group hears of Messenger's cases as of Telegram's ---------------------------------
async def test_staff_are_told_without_content_and_a_blocked_person_breaks_nothing(
    office: Office,
) -> None:
    from tests.channels import file_complaint

    c = person(office)
    receipt = await file_complaint(c, notify=True, texts=("Нууц агуулга: дарга мөнгө авсан.",))
    notice = text_of(await expect(office.staff_group, "№"))
    assert "Нууц" not in notice
    number = case_number(await read_case(c, receipt))
    await office.add_officer()
    c.person.available = False  # blocked the Page
    from bot.sandbox.script import reply_to_case

    await reply_to_case(office.officer, number, "Хариу.")
    await office.idle()
    refused = [call for call in office.graph.calls_to("messages") if not call.ok]
    assert len(refused) == 1 and refused[0].error is not None and refused[0].error.code == 551


# -- surveys ----------------------------------------------------------------------------------
async def _answers(office: Office) -> list[tuple[str, str, str]]:
    async with office.backend.db.read() as conn:
        rows = await (await conn.execute(
            "SELECT r.channel, a.question, a.choice FROM survey_answers a"
            " JOIN survey_responses r ON r.id = a.response_id ORDER BY a.question")).fetchall()
    return [(r["channel"], r["question"], r["choice"]) for r in rows]


async def test_a_survey_answered_with_quick_replies_and_typed_numbers(office: Office) -> None:
    c = person(office)
    await c.start()
    await c.expect("110")
    await c.choose("menu.survey")
    await c.expect("санал асуулга")
    await c.choose("«Нэг цонх» үйлчилгээний сэтгэл ханамж")
    question = await c.expect("1 / 5")
    assert "1. Газрын асуудал" in question and "5. Бусад" in question
    await c.choose("2. Улсын бүртгэл")
    await c.expect("2 / 5")
    await c.choose("4")  # the 1–5 scale
    await c.expect("3 / 5")
    await c.choose("survey.back")  # back to the scale
    await c.expect("2 / 5")
    await c.send("5")  # typed
    await c.expect("3 / 5")
    await c.send("1")  # an option's number, typed
    asked = await c.next_received()
    assert "4 / 5" in (asked.text or "")
    assert [q["title"] for q in asked.quick_replies][:3] == [
        "1. Тийм", "2. Үгүй", label("mn", "survey.prefer_not")]
    await office.restart()  # the answers so far wait in the core's draft
    await c.choose("survey.prefer_not")
    await c.expect("5 / 5")
    await c.send("Дугаарын машин тавих.")
    await c.expect("Баярлалаа")
    assert await _answers(office) == [
        ("messenger", "asked", "-"), ("messenger", "satisfied", "5"),
        ("messenger", "service", "registration"), ("messenger", "wait", "under-15")]
    await c.choose("menu.survey")
    await c.choose("«Нэг цонх» үйлчилгээний сэтгэл ханамж")
    await c.expect("аль хэдийн хариулсан")  # one response per person


async def test_a_multiple_choice_shows_its_ticks_and_a_handled_case_can_be_rated(
    office: Office,
) -> None:
    from bot.sandbox.script import reply_to_case
    from tests.channels import file_complaint

    c = person(office)
    receipt = await file_complaint(c)
    number = case_number(await read_case(c, receipt))
    await office.add_officer()
    await reply_to_case(office.officer, number, "Шийдвэрлэлээ.")
    await read_case(c, receipt)
    await c.choose("survey.rate_case")
    first = await c.expect("1 / 2")
    assert "Тийм" in first
    await c.choose(next(str(q["title"]) for q in c.person.messages()[-1].quick_replies))
    await c.expect("2 / 2")
    await c.choose("5")
    await c.expect("Баярлалаа")
    # Someone else's rating button, or a forged one, opens nothing.
    mallory = person(office, "Mallory")
    rate = next(b for m in c.person.messages() for b in m.buttons
                if b["payload"].startswith("SV:go:"))
    await mallory.person._postback("x", str(rate["payload"]))
    await mallory.expect("хүчингүй")
    # The perception survey's multiple choice: ticks shown again after each tap.
    await c.send("цэс")
    await c.choose("menu.survey")
    await c.choose(title_of(office, "perception-2024"))
    for _ in range(4):  # age, employment, widespread, level
        await c.expect(" / ")
        await c.choose("survey.skip")
    where = await c.expect("Хэдийг ч сонгож болно")
    assert "✅" not in where
    await c.send("1")
    assert (await c.expect("Хэдийг ч сонгож болно")).count("✅") == 1
    await c.choose("3. " + option(office, "perception-2024", "where", 2))
    ticked = await c.expect("Хэдийг ч сонгож болно")
    assert ticked.count("✅") == 2
    await c.choose("survey.done")
    await c.expect(" / ")


def title_of(office: Office, survey_id: str) -> str:
    return str(office.app.bot_data["svc"].surveys.get(survey_id).heading("mn"))


def option(office: Office, survey_id: str, question: str, index: int) -> str:
    found = office.app.bot_data["svc"].surveys.get(survey_id).question(question)
    return str(found.options[index].label("mn"))


async def test_a_survey_link_opens_the_survey(office: Office) -> None:
    c = person(office)
    await c.person.open_link("sv-one-stop-satisfaction")  # a new conversation: Get Started
    await c.start()
    intro = await c.expect("«Нэг цонх» үйлчилгээний сэтгэл ханамж")
    assert "5 асуулт" in intro
    await c.expect("1 / 5")
    await c.person.open_link("sv-no-such-survey")  # in the conversation: a referral event
    await c.expect("хүчингүй")
