"""The same complaint scenarios through both channels: Telegram and Messenger, one core.

Each test runs twice, once with a Telegram citizen (the fake Bot API) and once with a
Messenger citizen (the fake Graph API, signed webhooks); staff work in Telegram. Where
the channels differ by design — Meta's messaging windows, the phone quick reply — the
test says so with ``c.windowed`` rather than splitting into two tests.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from bot.fakegram import FakeTelegram
from bot.fakegraph import FakeGraph, sign
from bot.sandbox.script import expect, expect_edit, press, reply_to_case, text_of
from tests.channels import (
    ChannelCitizen,
    MessengerCitizen,
    Office,
    case_number,
    file_complaint,
    make_citizen,
    read_case,
)
from tests.test_privacy import _assert_absent, _assert_no_column_holds, _scan_targets

PNG = b"\x89PNG\r\n\x1a\n" + b"poster-bytes" * 50
PDF = b"%PDF-1.4\n" + b"evidence " * 100
TEXT = "Эмнэлгийн эмч үзлэгийн өмнө мөнгө нэхсэн, Өлзийт сумын төвд."
CHANNELS = ["telegram", "messenger"]

Make = Callable[..., ChannelCitizen]


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


@pytest.fixture(params=CHANNELS)
def channel(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def citizen(office: Office, channel: str) -> Make:
    return lambda name="Сараа", **kw: make_citizen(office, channel, name, **kw)


def photo(c: ChannelCitizen) -> Awaitable[None]:
    return c.send_file(PNG, kind="photo", name="photo.png", mime="image/png")


def pdf(c: ChannelCitizen) -> Awaitable[None]:
    return c.send_file(PDF, kind="document", name="гэрээ.pdf", mime="application/pdf")


async def open_case(office: Office, number: int) -> str:
    """The officer opens the case; returns the case's text (attachments re-sent after it)."""
    await office.officer.send(f"/case {number}")
    case = await expect(office.officer, "Хэрэг №")
    await expect(office.officer, f"№{number} хэргийн үйлдлүүд")
    return text_of(case)


async def set_status(office: Office, number: int, status: str) -> None:
    """The officer moves the case to a status that needs no reason."""
    await office.officer.send(f"/case {number}")
    await press(office.officer, "🔁 Төлөв")
    await press(office.officer, status)
    await expect_edit(office.officer, f"одоо {status}")


# -- complaints ------------------------------------------------------------------------------
async def test_an_anonymous_complaint_with_a_file_reaches_the_officer(
    office: Office, citizen: Make
) -> None:
    c = citizen()
    await c.start()
    await c.expect("110")
    receipt = await file_complaint(c, kind="kind.button.report", texts=(TEXT,),
                                   files=(photo, pdf))
    assert len(receipt.replace(" ", "")) == 16
    notice = text_of(await expect(office.staff_group, "№"))
    assert "авлигын мэдээлэл" in notice and "Богд сум" in notice and "файл: 2" in notice
    assert TEXT not in notice and "Сараа" not in notice
    view = await read_case(c, receipt)
    number = case_number(view)
    assert "авлигын мэдээлэл" in view and "Богд сум" in view
    await office.add_officer()
    case = await open_case(office, number)
    assert TEXT in case and "🕶 Нэргүй" in case
    await office.fake.wait_idle()
    sent = set(office.fake.files.values())
    assert PNG in sent and PDF in sent  # re-sent from the encrypted store
    assert not office.fake.calls_to("forwardMessage")
    async with office.backend.db.read() as conn:
        rows = await (await conn.execute("SELECT channel FROM complaints")).fetchall()
    assert [r["channel"] for r in rows] == [c.channel]


async def test_a_named_petition_gives_the_phone_the_channels_way(
    office: Office, citizen: Make
) -> None:
    c = citizen()
    receipt = await file_complaint(c, named=("Батбаяр Өлзийбат", "+97699112233"))
    notice = text_of(await expect(office.staff_group, "№"))
    assert "нэртэй өргөдөл" in notice and "Өлзийбат" not in notice
    number = case_number(await read_case(c, receipt))
    await office.add_officer()
    case = await open_case(office, number)
    assert "Батбаяр Өлзийбат" in case and "+97699112233" in case


async def test_a_typed_phone_is_checked_too(office: Office, citizen: Make) -> None:
    c = citizen()
    await c.menu("complain")
    await c.choose("kind.button.suggestion")
    await c.choose("org.unsure")
    await c.send("Үйлчилгээний танхимд дугаарын машин тавьж өгөөч.")
    await c.choose("button.done")
    await c.choose("identity.button.named")
    await c.send("Х")
    await c.expect("2–100 тэмдэгт")
    await c.send("Сараа Бат")
    await c.expect("утасны дугаараа")
    await c.send("утас байхгүй")
    await c.expect("Утасны дугаар биш")
    await c.send("+976 8800 1122")
    preview = await c.expect("Илгээхээс өмнө шалгана уу")
    assert "Сараа Бат, +976 8800 1122" in preview


# -- status, follow-ups, replies ----------------------------------------------------------------
async def test_status_and_a_follow_up_by_receipt(office: Office, citizen: Make) -> None:
    c = citizen()
    receipt = await file_complaint(c)
    await expect(office.staff_group, "№")
    view = await read_case(c, receipt)
    number = case_number(view)
    assert "хариу хараахан ирээгүй" in view
    await c.choose("button.followup")
    await c.expect("нэмж бичих зүйлээ")
    await c.send("Нэмэлт: гэрч хоёр хүн байсан.")
    await c.expect("Нэмэгдлээ")
    await pdf(c)
    await c.expect("1 файл")
    await c.choose("button.send")
    await c.expect("Таны хэрэгт нэмэгдлээ")
    notice = text_of(await expect(office.staff_group, "нэмэлт бичлээ"))
    assert f"№{number}" in notice and "гэрч" not in notice
    assert "Нэмэлт: гэрч хоёр хүн байсан." in await read_case(c, receipt)


async def test_a_staff_reply_is_read_with_the_receipt(office: Office, citizen: Make) -> None:
    c = citizen()
    receipt = await file_complaint(c)
    number = case_number(await read_case(c, receipt))
    await office.add_officer()
    await reply_to_case(office.officer, number, "Шалгаад арга хэмжээ авлаа. Баярлалаа.")
    view = await read_case(c, receipt)
    assert "Хариу өгсөн" in view and "Шалгаад арга хэмжээ авлаа. Баярлалаа." in view
    assert "Байгууллага" in view


async def test_wrong_and_unknown_receipts_look_the_same_and_are_slowed_down(
    office: Office, citizen: Make
) -> None:
    receipt = await file_complaint(citizen("Сараа"))
    mallory = citizen("Mallory")
    await mallory.menu("status")
    await mallory.send("1234 5678 9012 3456")
    unknown = await mallory.expect("олдсонгүй")
    await mallory.send("12")
    assert await mallory.expect("олдсонгүй") == unknown
    for _ in range(3):
        await mallory.send("0000 0000 0000 0000")
        await mallory.expect("олдсонгүй")
    await mallory.send(receipt)  # even a right receipt waits now
    await mallory.expect("минутын дараа")
    office.advance(minutes=16)
    assert "Хүлээн авсан" in await read_case(mallory, receipt)


# -- the notice, inside and outside Meta's windows ---------------------------------------------
async def _asked_for_a_notice(office: Office, c: ChannelCitizen) -> tuple[str, int]:
    receipt = await file_complaint(c, notify=True)
    await office.add_officer()
    async with office.backend.db.read() as conn:
        row = await (await conn.execute("SELECT max(id) AS id FROM complaints")).fetchone()
    return receipt, int(row["id"])


def _sends(office: Office) -> int:
    return len(office.graph.calls_to("messages"))


async def test_the_notice_comes_inside_the_window(office: Office, citizen: Make) -> None:
    c = citizen()
    _receipt, number = await _asked_for_a_notice(office, c)
    office.advance(hours=23)
    await set_status(office, number, "Хариу өгсөн")
    await c.expect("шинэ мэдээ")
    if isinstance(c, MessengerCitizen):
        news = c.person.messages()[-1]
        assert news.messaging_type == "UPDATE" and news.tag is None
        assert "Хариу өгсөн" not in (news.text or "")  # content-free


async def test_outside_the_window_no_notice_is_even_tried(office: Office, citizen: Make) -> None:
    c = citizen()
    _receipt, number = await _asked_for_a_notice(office, c)
    await office.idle()
    office.advance(hours=25)
    before = _sends(office)
    await set_status(office, number, "Хариу өгсөн")
    await office.idle()
    if c.windowed:
        # The fake refuses outside 24 hours as Meta does; the bot does not even try.
        assert _sends(office) == before
        assert not [call for call in office.graph.calls_to("messages") if not call.ok]
    else:
        await c.expect("шинэ мэдээ")  # Telegram has no window


async def test_a_staff_reply_may_notify_for_7_days_with_the_human_agent_tag(
    office: Office, citizen: Make
) -> None:
    c = citizen()
    _receipt, number = await _asked_for_a_notice(office, c)
    office.advance(days=3)
    await reply_to_case(office.officer, number, "Таны гомдлыг шалгаж эхэллээ.")
    await c.expect("шинэ мэдээ")
    if isinstance(c, MessengerCitizen):
        news = c.person.messages()[-1]
        assert (news.messaging_type, news.tag) == ("MESSAGE_TAG", "HUMAN_AGENT")


async def test_a_staff_reply_after_7_days_sends_nothing(office: Office, citizen: Make) -> None:
    c = citizen()
    receipt, number = await _asked_for_a_notice(office, c)
    await office.idle()
    office.advance(days=7, hours=1)
    before = _sends(office)
    await reply_to_case(office.officer, number, "Хариу хоцорсон.")
    await office.idle()
    if c.windowed:
        assert _sends(office) == before
    else:
        await c.expect("шинэ мэдээ")
    assert "Хариу хоцорсон." in await read_case(c, receipt)


async def test_a_message_in_between_opens_the_window_again(office: Office, citizen: Make
                                                          ) -> None:
    c = citizen()
    _receipt, number = await _asked_for_a_notice(office, c)
    office.advance(hours=30)
    await c.menu("privacy")  # any message of theirs starts Meta's 24 hours anew
    await c.expect("Нууцлал")
    office.advance(hours=20)
    await set_status(office, number, "Хариу өгсөн")
    await c.expect("шинэ мэдээ")


# -- restarts ----------------------------------------------------------------------------------
async def test_a_restart_mid_flow_loses_nothing(office: Office, citizen: Make) -> None:
    c = citizen()
    await c.menu("complain")
    await c.choose("kind.button.report")
    await c.choose("org.unsure")
    await c.expect("Юу болсныг бичнэ үү")
    await c.send("Татварын байцаагч бэлэг авсан тухай мэдээлэл.")
    await c.expect("Хүлээн авлаа")
    await photo(c)
    await c.expect("1/10 файл")
    await office.restart()
    await c.send("Нэмэлт: өнгөрсөн мягмар гарагт.")
    assert "1/10 файл" in await c.expect("Хүлээн авлаа")
    await office.restart()
    await c.choose("button.done")  # a button from before the restart still works
    await c.choose("identity.button.anonymous")
    preview = await c.expect("Илгээхээс өмнө шалгана уу")
    assert "Татварын байцаагч" in preview and "өнгөрсөн мягмар" in preview
    assert "Файл: 1" in preview
    await c.choose("button.send")
    assert await c.receipt()


# -- privacy -----------------------------------------------------------------------------------
ALICE = "Цагдаагийн ахлах ажилтан торгуулийг бэлнээр авч баримт өгөөгүй, Жинст сум."
FOLLOWUP = "Дахин нэг удаа мөнгө нэхсэн, огноо нь 11-р сарын 28."
SECRET_PHOTO = b"\xff\xd8\xff\xe0JFIF" + "Нууц гэрэл зураг".encode() * 40


async def test_the_database_files_and_logs_hold_no_identity_and_no_plaintext(
    office: Office, citizen: Make, log_text: Callable[[], str]
) -> None:
    alice = citizen("Зөвлөмжбаатар", user_id=987_654_321_012_345, username="alice_whistle")
    receipt = await file_complaint(
        alice, texts=(ALICE,), notify=True,
        files=(lambda c: c.send_file(SECRET_PHOTO, kind="photo", name="x.jpg",
                                     mime="image/jpeg"),))
    await read_case(alice, receipt)
    await alice.choose("button.followup")
    await alice.send(FOLLOWUP)
    await alice.expect("Нэмэгдлээ")
    await alice.choose("button.send")
    await alice.expect("Таны хэрэгт нэмэгдлээ")
    named = citizen("Наранцэцэг", user_id=912_345_678_901_234)
    await file_complaint(named, named=("Наранцэцэг Өлзийхутаг", "+97699887766"))
    await office.add_officer()
    await reply_to_case(office.officer, 1, "Шалгаж байна.")
    await alice.expect("шинэ мэдээ")
    await office.idle()
    secrets = [*alice.identifiers, *named.identifiers, "Өлзийхутаг", "99887766", ALICE,
               FOLLOWUP, receipt, receipt.replace(" ", ""), "Нууц гэрэл зураг"]
    live = _scan_targets(office.data_dir)
    assert any(name.endswith("-wal") for name in live)
    _assert_absent(live, secrets)
    await office.stop()
    _assert_absent(_scan_targets(office.data_dir), secrets)
    _assert_no_column_holds(office.data_dir / "bot.sqlite3",
                            [987_654_321_012_345, 912_345_678_901_234])
    logs = log_text()
    assert "submission 1 stored" in logs  # the logs were captured
    for value in secrets:
        assert value not in logs, value


# -- Messenger's webhook: at least once, and signed ---------------------------------------------
async def test_a_retried_webhook_event_is_processed_once(office: Office, graph: FakeGraph
                                                        ) -> None:
    c = make_citizen(office, "messenger")
    assert isinstance(c, MessengerCitizen)
    await c.menu("complain")
    await c.choose("kind.button.complaint")
    await c.choose("org.unsure")
    await c.expect("Юу болсныг бичнэ үү")
    graph.webhook.lose_answers(1)  # the bot's 200 is lost: Meta sends the event again
    await c.send("Нэг удаа л бичсэн тайлбар, давтагдахгүй.")
    assert [p.ok for p in graph.webhook.posts[-2:]] == [False, True]
    await c.expect("Хүлээн авлаа")
    await c.choose("button.done")
    await c.choose("identity.button.anonymous")
    preview = await c.expect("Илгээхээс өмнө шалгана уу")
    assert preview.count("Нэг удаа л бичсэн") == 1
    assert not [m for m in c.person.messages() if "Хүлээн авлаа" in (m.text or "")][1:]


async def test_a_forged_event_is_refused_and_does_nothing(office: Office, graph: FakeGraph
                                                         ) -> None:
    c = make_citizen(office, "messenger")
    assert isinstance(c, MessengerCitizen)
    await c.menu("complain")
    await c.expect("Юу илгээх вэ")
    before = len(c.person.messages())
    event = {"object": "page", "entry": [{"id": graph.page_id, "time": 1, "messaging": [{
        "sender": {"id": c.person.psid}, "recipient": {"id": graph.page_id},
        "timestamp": 1, "message": {"mid": "m_forged", "text": "Хуурамч",
                                    "quick_reply": {"payload": "K:report"}}}]}]}
    body = json.dumps(event).encode()
    async with aiohttp.ClientSession() as session:
        for headers in ({}, sign(body, "not-the-app-secret")):
            async with session.post(office.hook_url, data=body,
                                    headers={"Content-Type": "application/json", **headers}) as r:
                assert r.status == 403
    await office.idle()
    assert len(c.person.messages()) == before
    await c.choose("kind.button.suggestion")  # the real conversation goes on untouched
    await c.expect("Хэнд хамаарах вэ")
    conn = sqlite3.connect(office.data_dir / "bot.sqlite3")
    try:
        assert conn.execute("SELECT count(*) FROM complaints").fetchone()[0] == 0
    finally:
        conn.close()
