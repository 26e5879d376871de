"""Reach through the fake Bot API: useful presses, pledges, shares and sources, once per person.

Every count is made by people pressing, sharing and opening links; forged buttons and
inline results are refused and never counted; and after all of it no database file holds
the people's ids or usernames.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import segno
from PIL import Image
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import audiences, complaints, outreach, reach
from bot.core.models import Citizen
from bot.core.posts import PostMeta
from bot.fakegram import FakeChat, FakeTelegram, FakeUser, Limits
from bot.storage import queries as q
from bot.tg.broadcast import TelegramSender
from bot.tg.citizen.reach import _with_count
from bot.tg.staff.sources import QR_BORDER, QR_ERROR, QR_MIN_PIXELS
from tests.harness import ADMIN_ID, Harness, expect, press, text_of
from tests.test_privacy import _assert_absent, _assert_no_column_holds, _scan_targets

PAYLOAD: dict[str, Any] = {
    "text": {"mn": "<b>Нэгдье!</b> Авлигыг хамтдаа зогсооё.",
             "en": "<b>Let's unite!</b> Together against corruption."},
    "buttons": [{"action": "useful"}, {"action": "share"}, {"action": "pledge"}],
}
META = PostMeta(campaign="negdye", title="Нэгдье")
USEFUL, SHARE = "👍 Хэрэгтэй", "📤 Түгээх"
WELCOME = "Сайн байна уу"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    # The bot as set up for reach: inline mode on (/setinline) and every chosen result
    # reported (/setinlinefeedback).
    server = FakeTelegram(token="123456:TEST-TOKEN", bot_username="ac110_bot",
                          limits=Limits(private_burst=30), supports_inline_queries=True,
                          inline_feedback=True)
    await server.start()
    yield server
    await server.stop()
    assert server.unknown_methods == [], f"unimplemented methods called: {server.unknown_methods}"


def _backend(h: Harness) -> Any:
    return h.app.bot_data["svc"].backend


def _labels(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def _button(message: dict[str, Any], key: str) -> dict[str, Any]:
    markup = message.get("reply_markup") or {}
    return next(b for row in markup.get("inline_keyboard", []) for b in row if key in b)


async def _publish(h: Harness, payload: dict[str, Any], meta: PostMeta,
                   readers: list[FakeUser]) -> int:
    """Subscribe the readers, broadcast the post to its audience; the post's id."""
    backend = _backend(h)
    for reader in readers:
        await outreach.subscribe(backend, "telegram", str(reader.id), "mn", h.clock())
    broadcast_id = await outreach.create_broadcast(backend, payload, h.clock(), meta=meta)
    await outreach.run_broadcast(backend, broadcast_id, TelegramSender(h.app), h.clock)
    async with backend.db.read() as conn:
        row = await q.get_broadcast(conn, broadcast_id)
    assert row is not None
    return int(row["post_id"])


async def _unpublished(h: Harness) -> int:
    """A stored post that never went out (its broadcast was cancelled before it started)."""
    backend = _backend(h)
    broadcast_id = await outreach.create_broadcast(
        backend, {**PAYLOAD, "text": {"mn": "Нууц ноорог: хараахан гараагүй."}}, h.clock(),
        meta=META)
    await outreach.cancel_broadcast(backend, broadcast_id, h.clock())
    async with backend.db.read() as conn:
        row = await q.get_broadcast(conn, broadcast_id)
    assert row is not None
    return int(row["post_id"])


async def _answer(user: FakeUser, query_id: str, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
    """The bot's answer to a button press (the toast)."""
    async with asyncio.timeout(timeout):
        while True:
            for answer in user.callback_answers:
                if answer["callback_query_id"] == query_id:
                    return answer
            await asyncio.sleep(0.01)


async def _until(check: Callable[[], Any], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 (polling the database, as people wait)
            await asyncio.sleep(0.02)


async def _shows(chat: FakeChat | FakeUser, message_id: int, label: str) -> dict[str, Any]:
    """The message once its buttons show `label` (edits arrive after the toast)."""
    return await chat.wait_for(
        lambda m: m["message_id"] == message_id and label in _labels(m), timeout=5)


def _post_message(chat: FakeChat | FakeUser, needle: str = "Нэгдье!") -> dict[str, Any]:
    return next(m for m in reversed(chat.messages()) if needle in text_of(m))


# -- useful -------------------------------------------------------------------------------------
async def test_useful_counts_each_person_once_and_refuses_forged_buttons(h: Harness) -> None:
    alice, bob = h.fake.user(first_name="Алимаа"), h.fake.user(first_name="Бат")
    post_id = await _publish(h, PAYLOAD, META, [alice, bob])
    backend = _backend(h)

    first = await _answer(alice, await press(alice, USEFUL))
    again = await _answer(alice, await press(alice, USEFUL))
    other = await _answer(bob, await press(bob, USEFUL))
    assert "Тоологдлоо" in first["text"] and not first["show_alert"]
    assert "аль хэдийн" in again["text"]
    assert "Тоологдлоо" in other["text"]
    assert await reach.count(backend, "useful", str(post_id)) == 2

    # Forged or stale data is refused politely and never counted.
    draft = await _unpublished(h)
    for forged in ("ru:999999", "ru:x", f"rp:{post_id}:honest-leader", f"rp:{post_id}:NEGDYE",
                   "rp:999999:negdye", f"ru:{draft}", f"rp:{draft}:negdye"):
        refused = await _answer(alice, await alice.press_data(forged))
        assert refused["show_alert"] and "тоолох боломжгүй" in refused["text"], forged
    assert await reach.count(backend, "useful", "999999") == 0
    assert await reach.count(backend, "useful", str(draft)) == 0
    assert await reach.count(backend, "pledge", "honest-leader") == 0
    assert await reach.count(backend, "pledge", "negdye") == 0
    assert await reach.count(backend, "useful", str(post_id)) == 2


# -- pledges ------------------------------------------------------------------------------------
async def test_a_pledge_counts_once_per_person_and_the_button_shows_the_count(h: Harness) -> None:
    people = [h.fake.user(first_name=f"Иргэн{i}") for i in range(3)]
    post_id = await _publish(h, PAYLOAD, META, people)
    data = f"rp:{post_id}:negdye"
    assert "Нэгдье ✊ 0" in _labels(_post_message(people[0]))
    for n, person in enumerate(people, start=1):
        message = _post_message(person)
        answer = await _answer(person, await press(person, data))
        assert f"{n} хүн нэгдлээ" in answer["text"]
        await _shows(person, message["message_id"], f"Нэгдье ✊ {n}")
    # The first one presses again: not counted twice, and their button catches up.
    again = await _answer(people[0], await press(people[0], data))
    assert "аль хэдийн" in again["text"] and "3 хүн" in again["text"]
    shown = await _shows(people[0], _post_message(people[0])["message_id"], "Нэгдье ✊ 3")
    assert _labels(shown) == [USEFUL, SHARE, "Нэгдье ✊ 3"], "only the count changed"
    assert await reach.count(_backend(h), "pledge", "negdye") == 3
    # A press that changes nothing asks for no edit Telegram would refuse.
    edits = len(h.fake.calls_to("editMessageReplyMarkup"))
    await _answer(people[0], await press(people[0], data))
    await h.fake.wait_idle()
    assert len(h.fake.calls_to("editMessageReplyMarkup")) == edits
    assert all(c.ok for c in h.fake.calls_to("editMessageReplyMarkup"))
    # A message Telegram no longer lets the bot edit, or a 429: the pledge still counts,
    # the person gets the toast, and nobody sees an error or waits for a retry.
    late = [h.fake.user(), h.fake.user()]
    second = await _publish(h, PAYLOAD, META, late)
    h.fake.fail_next("editMessageReplyMarkup", code=400, chat_id=late[0].id,
                     description="Bad Request: message can't be edited")
    h.fake.fail_next("editMessageReplyMarkup", code=429, retry_after=30, chat_id=late[1].id)
    for n, person in enumerate(late, start=4):
        answer = await _answer(person, await press(person, f"rp:{second}:negdye"))
        assert f"{n} хүн нэгдлээ" in answer["text"]
    await h.fake.wait_idle()
    assert not any("алдаа" in text_of(m) for person in late for m in person.messages())
    assert [c.ok for c in h.fake.calls_to("editMessageReplyMarkup")[edits:]] == [False, False]


def test_a_big_count_is_grouped_as_mongolian_print_does() -> None:
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton("👍 Хэрэгтэй", callback_data="ru:5")],
        [InlineKeyboardButton("Нэгдье ✊ 2\u202f513", callback_data="rp:5:negdye")],
    ])
    changed = _with_count(markup, "rp:5:negdye", 2514)
    assert changed is not None
    assert [b.text for row in changed.inline_keyboard for b in row] == [
        "👍 Хэрэгтэй", "Нэгдье ✊ 2\u202f514"]
    assert _with_count(markup, "rp:6:negdye", 1) is None


async def test_pledge_counters_in_groups_and_channels_are_kept_fresh(h: Harness) -> None:
    backend = _backend(h)
    channel = h.fake.channel(title="Аймгийн мэдээ", bot_status="left", member_count=900)
    await h.fake.add_bot_to(channel, by=h.admin, admin=True)
    carol = h.fake.user(first_name="Цэцэг")
    group = h.fake.group(title="Сумын иргэд", members=[carol], bot_status="left")
    await h.fake.add_bot_to(group, by=carol)
    await h.fake.wait_idle()
    for info in await audiences.chats(backend):
        await audiences.decide(backend, ADMIN_ID, info.id, True, h.clock())
    alice, bob = h.fake.user(), h.fake.user()
    post_id = await _publish(h, PAYLOAD, PostMeta(campaign="negdye", audience="all"),
                             [alice, bob])
    data = f"rp:{post_id}:negdye"
    for person in (alice, bob):
        await _answer(person, await press(person, data))
    # In a group people press under the group's post: counted, and that post shows it.
    in_group = _post_message(group)
    assert "нэгдлээ" in (await _answer(carol, await press(carol, data, chat=group)))["text"]
    await _shows(group, in_group["message_id"], "Нэгдье ✊ 3")
    useful = await _answer(carol, await press(carol, USEFUL, chat=group))
    assert "Тоологдлоо" in useful["text"]
    assert await reach.count(backend, "useful", str(post_id)) == 1
    # The channel's post still shows the count at send time, until the job runs.
    in_channel = _post_message(channel)
    assert "Нэгдье ✊ 0" in _labels(in_channel)
    await h.run_job("pledge-counters")
    shown = await _shows(channel, in_channel["message_id"], "Нэгдье ✊ 3")
    assert _labels(shown) == [USEFUL, "Нэгдье ✊ 3"], "no share button in a channel"
    # Nothing changed since: the next run edits nothing (edits count against the limits).
    edits = len(h.fake.calls_to("editMessageReplyMarkup"))
    await h.run_job("pledge-counters")
    assert len(h.fake.calls_to("editMessageReplyMarkup")) == edits
    # A pledge under another post of the campaign counts for the campaign: the channel
    # catches up at the next run.
    dave = h.fake.user()
    second = await _publish(h, PAYLOAD, META, [dave])
    await _answer(dave, await press(dave, f"rp:{second}:negdye"))
    await h.run_job("pledge-counters")
    await _shows(channel, in_channel["message_id"], "Нэгдье ✊ 4")
    assert all(c.ok for c in h.fake.calls_to("editMessageReplyMarkup"))


# -- shares through inline mode --------------------------------------------------------------
async def test_shares_through_inline_mode_count_once_per_person(h: Harness) -> None:
    alice, bob, dave = (h.fake.user(first_name=n) for n in ("Алимаа", "Бат", "Дорж"))
    post_id = await _publish(h, PAYLOAD, META, [alice])
    backend = _backend(h)

    async def shares(n: int) -> bool:
        return await reach.count(backend, "share", str(post_id)) == n

    # Alice presses the share button under the post and sends it to Bob.
    sent = await alice.share_via_button(_post_message(alice), SHARE, chat=bob)
    answer = alice.inline_answers[-1]
    assert answer["is_personal"] is True and 0 < int(answer["cache_time"]) <= 60
    assert [r["id"] for r in answer["results"]] == [f"post{post_id}"]
    assert "Нэгдье!" in text_of(sent) and sent["via_bot"]["username"] == "ac110_bot"
    assert _button(sent, "switch_inline_query")["switch_inline_query"] == f"post{post_id}"
    await _until(lambda: shares(1))
    # The same person sharing again is one share; Bob sharing it on is another.
    await alice.share_via_button(_post_message(alice), SHARE, chat=dave)
    await h.fake.wait_idle()
    assert await shares(1)
    received = next(m for m in bob.inbox() if m["message_id"] == sent["message_id"])
    await bob.share_via_button(received, SHARE, chat=dave)
    await _until(lambda: shares(2))

    # Buttons under a shared message work too: a useful press, and a pledge whose count
    # the message then shows (edited by its inline_message_id).
    await _answer(bob, await bob.press_inline(received, USEFUL))
    await _answer(bob, await bob.press_inline(received, f"rp:{post_id}:negdye"))
    assert await reach.count(backend, "useful", str(post_id)) == 1

    async def edited() -> bool:
        now = next(m for m in bob.inbox() if m["message_id"] == sent["message_id"])
        return "Нэгдье ✊ 1" in _labels(now)

    await _until(edited)

    # The asker's language when the post has it.
    await complaints.set_lang(backend, Citizen("telegram", str(dave.id)), "en")
    results = await dave.inline_results(await dave.inline_query(f"post{post_id}"))
    assert "Let's unite!" in results[0]["input_message_content"]["message_text"]
    assert "👍 Useful" in _labels(results[0])
    # Anything else, an unknown post or one not out yet: the bot itself, never an error,
    # and never the text of a post waiting for its time.
    draft = await _unpublished(h)
    for query in ("", "post999999", "hello", f"post{draft}"):
        results = await dave.inline_results(await dave.inline_query(query))
        assert [r["id"] for r in results] == ["bot"], query
        assert "ноорог" not in str(results)
        assert _button(results[0], "url")["url"] == "https://t.me/ac110_bot"
    assert all(c.ok for c in h.fake.calls_to("answerInlineQuery"))


# -- sources: deep links and QR codes -----------------------------------------------------------
async def test_a_qr_code_for_a_named_source_counts_arrivals_once_per_person(h: Harness) -> None:
    backend = _backend(h)
    await h.admin.send("/qr Автобусны буудлын зурагт хуудас")
    photo = await expect(h.admin, "Автобусны буудлын зурагт хуудас")
    link = re.search(r"https://t\.me/ac110_bot\?start=([A-Za-z0-9_-]{1,64})", text_of(photo))
    assert link is not None and "нэг удаа" in text_of(photo) and "харсан хүний тоо биш" in \
        text_of(photo)
    document = await expect(h.admin, "PNG")
    png = h.fake.files.record(photo["photo"][-1]["file_id"]).data
    assert h.fake.files.record(document["document"]["file_id"]).data == png
    _assert_is_qr_of(png, link.group(0))

    code = link.group(1)
    ann, bat = h.fake.user(), h.fake.user()
    for person in (ann, ann, bat):
        await person.send(f"/start {code}")
        await expect(person, WELCOME)
    await bat.send("/start sNoSuchCode")  # a typo or a guess: ignored, the same welcome
    await expect(bat, WELCOME)
    assert [(s.name, s.people) for s in await reach.sources(backend)] == [
        ("Автобусны буудлын зурагт хуудас", 2)]
    with contextlib.closing(sqlite3.connect(h.settings.db_path)) as db:
        starts = db.execute("SELECT COUNT(*) FROM events WHERE name = 'start'").fetchone()[0]
        arrivals = db.execute("SELECT COUNT(*) FROM events WHERE name = 'source'").fetchone()[0]
    assert (starts, arrivals) == (4, 2), "every /start is an event; each arrival once"
    # The complaint flow's own deep link still starts a complaint.
    await ann.send("/start complain")
    await expect(ann, "Юу илгээх вэ")

    await h.admin.send("/sources")
    listing = await expect(h.admin, "Автобусны буудлын зурагт хуудас — 2 хүн")
    assert link.group(0) in text_of(listing) and "нэг л удаа" in text_of(listing)


async def test_qr_and_sources_are_for_staff_only(h: Harness) -> None:
    citizen = h.fake.user()
    await citizen.send("/qr Миний зурагт хуудас")
    await expect(citizen, "зөвхөн байгууллагын ажилтанд")
    await citizen.send("/sources")
    await expect(citizen, "зөвхөн байгууллагын ажилтанд")
    assert await reach.sources(_backend(h)) == []
    assert not h.fake.calls_to("sendPhoto")
    await h.admin.send("/qr")
    await expect(h.admin, "нэрийг бичнэ үү")
    await h.admin.send("/qr " + "Я" * 81)
    await expect(h.admin, "80 хүртэл")
    assert await reach.sources(_backend(h)) == []


def _assert_is_qr_of(png: bytes, url: str) -> None:
    """The PNG is a square, printable QR code whose modules are segno's for `url`."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    width, height = image.size
    assert width == height >= QR_MIN_PIXELS
    matrix = segno.make_qr(url, error=QR_ERROR).matrix
    modules = len(matrix) + 2 * QR_BORDER
    scale, rest = divmod(width, modules)
    assert rest == 0 and scale >= 1
    gray = image.convert("L")

    def dark(row: int, col: int) -> bool:
        half = scale // 2
        return gray.getpixel((col * scale + half, row * scale + half)) < 128

    for row in range(modules):
        for col in range(modules):
            r, c = row - QR_BORDER, col - QR_BORDER
            inside = 0 <= r < len(matrix) and 0 <= c < len(matrix)
            assert dark(row, col) == (inside and bool(matrix[r][c])), (row, col)


# -- privacy ------------------------------------------------------------------------------------
ANN_ID, BAT_ID = 5_123_456_789, 987_650_123  # a 5-byte and a 4-byte id
ANN_NAME, BAT_NAME = "ann_reach_ub", "bat_shares_77"


def _id_forms(user_id: int) -> list[bytes]:
    """How an id could sit in a file: as 8-byte integers, and as SQLite stores integers."""
    minimal = next(n for n in (1, 2, 3, 4, 6, 8) if user_id < 2 ** (8 * n - 1))
    return [user_id.to_bytes(8, "little"), user_id.to_bytes(8, "big"),
            user_id.to_bytes(minimal, "big")]


async def test_reach_links_nothing_to_a_person(h: Harness, log_text: Callable[[], str]) -> None:
    ann = h.fake.user(first_name="Анужин", username=ANN_NAME, user_id=ANN_ID)
    bat = h.fake.user(first_name="Батбаяр", username=BAT_NAME, user_id=BAT_ID)
    post_id = await _publish(h, PAYLOAD, META, [ann, bat])
    backend = _backend(h)
    for person in (ann, bat):
        await _answer(person, await press(person, USEFUL))
        await _answer(person, await press(person, f"rp:{post_id}:negdye"))
    await ann.share_via_button(_post_message(ann), SHARE, chat=bat)
    await h.admin.send("/qr LED дэлгэц, төв талбай")
    code = re.search(r"\?start=([A-Za-z0-9_-]+)", text_of(await expect(h.admin, "LED")))
    assert code is not None
    for person in (ann, bat):
        await person.send(f"/start {code.group(1)}")
        await expect(person, WELCOME)
    await _until(lambda: _all_counted(backend, post_id, code.group(1)))
    await h.fake.wait_idle()

    texts = [str(ANN_ID), str(BAT_ID), ANN_NAME, BAT_NAME, "Анужин", "Батбаяр"]
    live = _scan_targets(h.data_dir)
    assert any(name.endswith("-wal") for name in live), "the WAL is scanned while it is live"
    _assert_absent(live, texts)
    _assert_ids_absent(live, [ANN_ID, BAT_ID])
    await h.stop()
    after = _scan_targets(h.data_dir)
    _assert_absent(after, texts)
    _assert_ids_absent(after, [ANN_ID, BAT_ID])
    _assert_no_column_holds(h.data_dir / "bot.sqlite3", [ANN_ID, BAT_ID])
    logs = log_text()
    for value in texts:
        assert value not in logs, value


async def _all_counted(backend: Any, post_id: int, code: str) -> bool:
    counts = (await reach.count(backend, "useful", str(post_id)),
              await reach.count(backend, "pledge", "negdye"),
              await reach.count(backend, "share", str(post_id)),
              await reach.count(backend, "source", code))
    return counts == (2, 2, 1, 2)


def _assert_ids_absent(blobs: dict[str, bytes], ids: list[int]) -> None:
    for name, blob in blobs.items():
        for user_id in ids:
            for form in _id_forms(user_id):
                assert form not in blob, f"{user_id} as {form.hex()} in {name}"
