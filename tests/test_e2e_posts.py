"""Staff's outreach end to end: /post in every shape, one-off and weekly, restarts, /posts."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import outreach, reach, schedule
from bot.core.models import Citizen
from bot.core.posts import PostMeta
from bot.fakegram import FakeChat, FakeUser
from tests.harness import Harness, expect, expect_edit, press, text_of

EDITOR_ID, VIEWER_ID = 7003, 7004
UB = ZoneInfo("Asia/Ulaanbaatar")
PHOTO = b"\x89PNG\r\n\x1a\n" + b"poster " * 50
SCHEDULE = re.compile(r"Хуваарь №(\d+)")
Send = Callable[[], Awaitable[Any]]


async def _breathe() -> None:
    """A person's pause: the flood guard lets 20 updates through at once, then 2 a second."""
    await asyncio.sleep(1.5)


async def _until(check: Callable[[], bool], what: str, seconds: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _finished(editor: FakeUser, n: int = 1) -> None:
    """The engine has told the staff member that `n` broadcasts are finished."""
    await _until(lambda: len(_got(editor, "дууслаа")) >= n, f"{n} finished broadcasts")


async def _answer(user: FakeUser, data: str) -> str:
    """Press a button with forged or stale data; the text the bot answered it with."""
    query = await user.press_data(data)

    def answers() -> list[dict[str, Any]]:
        return [a for a in user.callback_answers if a["callback_query_id"] == query]

    await _until(lambda: bool(answers()), f"an answer to {data}")
    return str(answers()[0].get("text") or "")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UB).astimezone(dt.UTC)  # type: ignore[misc]


def _labels(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def _got(user: FakeUser | FakeChat, needle: str) -> list[dict[str, Any]]:
    return [m for m in user.messages() if needle in text_of(m)]


async def _staff(h: Harness, user_id: int, role: str) -> FakeUser:
    user = h.fake.user(first_name=f"Ажилтан{user_id}", user_id=user_id)
    await h.admin.send(f"/staff add {user_id} {role}")
    await expect(h.admin, str(user_id))
    return user


async def _subscribers(h: Harness, n: int, *, english: int = 0) -> list[FakeUser]:
    users = [h.fake.user(first_name=f"Иргэн{i}") for i in range(n)]
    for user in users[:english]:
        await user.send("/lang")
        await press(user, "🇬🇧 English")
        await expect(user, "English")
    for i, user in enumerate(users):
        await user.send("/subscribe")
        await expect(user, "You will now get" if i < english else "бүртгүүллээ")
    return users


def _text_message(user: FakeUser, text: str, bold: int = 0) -> Send:
    """A message with its first `bold` characters in bold, as a Telegram client sends it."""
    entities = [{"type": "bold", "offset": 0, "length": bold}] if bold else []

    async def send() -> Any:
        return user.chat.receive(user, {"text": text, "entities": entities})

    return send


def _album(h: Harness, user: FakeUser, n: int, caption: str, group: str = "g1") -> Send:
    """An album as Telegram delivers it: one message per photo, the same media group."""
    async def send() -> None:
        for i in range(n):
            sizes = h.fake.files.add_photo(PHOTO + bytes([i]), 800, 600)
            fields: dict[str, Any] = {"photo": [s.to_json() for s in sizes],
                                      "media_group_id": group}
            if i == 0:
                fields["caption"] = caption
            user.chat.receive(user, fields)

    return send


async def _compose(
    user: FakeUser, send: Send, *, english: str | None = None, kind: str = "news",
    campaign: str = "— Аянд хамаарахгүй", measure: str | None = None,
    toggles: Sequence[str] = (), audience: str = "subscribers", when: str = "now",
    received: str = "Хүлээн авлаа",
) -> None:
    """/post through every step up to the preview."""
    await user.send("/post")
    await expect(user, "Шинэ нийтлэл")
    await send()
    await expect(user, received)
    if english is None:
        await press(user, "⏭ Англи бичвэргүй")
    else:
        await user.send(english)
    await expect(user, "ямар төрлийн")
    await press(user, f"pp:kind:{kind}")
    await expect(user, "Аль аянд")
    await press(user, campaign)
    await expect(user, "арга хэмжээнд")
    if measure is None:
        await press(user, "⏭ Алгасах")
    else:
        await user.send(measure)
    await expect(user, "ямар товч")
    for action in toggles:
        await press(user, f"pp:btn:{action}")
    await press(user, "Дараах ➡️")
    await expect(user, "Хэнд илгээх")
    await press(user, f"pp:aud:{audience}")
    await expect(user, "Хэзээ илгээх")
    if when == "now":
        await press(user, "⚡ Одоо")
    else:
        await press(user, "🗓 Өдөр, цаг")
        await expect(user, "Өдөр, цагаа")
        await user.send(when)
    await expect(user, "Тохиргоо")


async def _confirm(user: FakeUser) -> tuple[int, str]:
    await press(user, "✅ Баталгаажуулах")
    done = await expect(user, "Хуваарь №")
    found = SCHEDULE.search(text_of(done))
    assert found is not None
    return int(found.group(1)), text_of(done)


async def test_a_text_post_now_reaches_each_subscriber_once_as_previewed(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 3, english=1)
    text = "Нэгдье! Авлигыг хамтдаа зогсооё, мэдээлэл өгөөрэй."
    await _compose(editor, _text_message(editor, text, bold=7),
                   english="Let's unite! Together against corruption.",
                   measure="1.1", toggles=("complain",))
    preview = _got(editor, "Нэгдье! Авлигыг")[-1]
    summary = editor.messages()[-1]
    assert "Арга хэмжээ: 1.1" in text_of(summary) and "(одоо 3)" in text_of(summary)
    assert _labels(summary) == ["📨 Надад туршиж илгээх", "✅ Баталгаажуулах", "✏️ Өөрчлөх",
                                "❌ Цуцлах"]
    # "Send a test to me": the post in both its languages, then the buttons again.
    await press(editor, "📨 Надад туршиж илгээх")
    await expect(editor, "Let's unite!")
    await expect(editor, "Туршилтыг дээр илгээлээ")
    number, done = await _confirm(editor)
    assert "одоо илгээж эхэллээ" in done
    for user in people[1:]:
        await expect(user, "Нэгдье! Авлигыг")
    await expect(people[0], "Let's unite!")
    await expect_edit(editor, "дууслаа: 3 хүргэгдсэн")
    await h.fake.wait_idle()
    for user in people[1:]:
        copies = _got(user, "Нэгдье! Авлигыг")
        assert len(copies) == 1
        got = copies[0]
        # Exactly as previewed: the text, its bold, the buttons.
        assert (got["text"], got.get("entities"), _labels(got)) == (
            preview["text"], preview.get("entities"), _labels(preview))
        assert {"type": "bold", "offset": 0, "length": 7} in got["entities"]
        assert _labels(got) == ["👍 Хэрэгтэй", "📤 Түгээх", "📮 Мэдээлэх"]
    assert len(_got(people[0], "Let's unite!")) == 1
    assert not _got(people[0], "Нэгдье! Авлигыг")
    assert number == 1


async def test_a_photo_with_its_caption_goes_by_telegrams_file_id(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 2)
    sent: dict[str, Any] = {}

    async def photo() -> None:
        sent.update(await editor.send_photo(PHOTO, caption="Зурагт хуудас: бэлэг шаардлагагүй"))

    await _compose(editor, photo, kind="poster", received="Хүлээн авлаа: зураг")
    await _confirm(editor)
    for user in people:
        got = await expect(user, "Зурагт хуудас: бэлэг")
        assert got.get("photo") and _labels(got) == ["👍 Хэрэгтэй", "📤 Түгээх"]
        assert got["photo"][-1]["file_unique_id"] == sent["photo"][-1]["file_unique_id"]
    await _finished(editor)
    await h.fake.wait_idle()
    assert [len(_got(u, "Зурагт хуудас: бэлэг")) for u in people] == [1, 1]


async def test_an_album_of_three_photos_is_one_post(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 2)
    # Three messages from Telegram, one post, one prompt.
    await _compose(editor, _album(h, editor, 3, "Гурван зурагт хуудас"),
                   received="Цомог хүлээн авлаа: 3 файл")
    assert len(_got(editor, "Цомог хүлээн авлаа")) == 1
    await _confirm(editor)
    for user in people:
        await expect(user, "Гурван зурагт хуудас")
        await expect(user, "👇")  # an album cannot carry buttons: they follow it
    await _finished(editor)
    await h.fake.wait_idle()
    for user in people:
        album = [m for m in user.messages() if m.get("media_group_id")]
        assert len(album) == 3 and all(m.get("photo") for m in album)
        assert len({m["media_group_id"] for m in album}) == 1
        assert len(_got(user, "Гурван зурагт хуудас")) == 1
        assert _labels(user.messages()[-1]) == ["👍 Хэрэгтэй", "📤 Түгээх"]


async def test_a_library_post_from_the_list_and_by_its_id(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 2)
    post = h.app.bot_data["svc"].content.get("box-110")
    title = post.title_for("mn")
    await editor.send("/post")
    await press(editor, "📚 Агуулгын сангаас")
    listing = await expect(editor, "Агуулгын сан (1/")
    while not any(title.startswith(label.rstrip("…")) for label in _labels(listing)):
        await press(editor, "▶️", message_id=listing["message_id"])
        listing = await expect_edit(editor, "Агуулгын сан (")
    await press(editor, "pp:pick:box-110")
    await expect(editor, "нийтлэлийг сонголоо")
    await press(editor, "pp:aud:subscribers")
    await press(editor, "⚡ Одоо")
    summary = await expect(editor, "Тохиргоо")
    assert "box-110" in text_of(summary) and "Зурагт хуудас" in text_of(summary)
    await _confirm(editor)
    for user in people:
        got = await expect(user, title)
        assert got.get("photo"), "the library's poster comes with it"
        assert _labels(got) == ["📮 Гомдол, санал илгээх"]
    await _finished(editor)
    # By its id, with an unknown id first.
    await editor.send("/post no-such-post")
    await expect(editor, "«no-such-post» нийтлэл олдсонгүй")
    await editor.send("/cancel")
    await expect(editor, "цуцаллаа")
    await editor.send("/post what-is-corruption")
    await expect(editor, "нийтлэлийг сонголоо")


async def test_a_one_off_goes_when_the_clock_passes_it_not_before(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "officer")
    people = await _subscribers(h, 2)
    await _compose(editor, _text_message(editor, "Өдрийн зөвлөмж: хээл хахууль бүү өг."),
                   when="12.01 14:30")
    summary = editor.messages()[-1]
    assert "2026.12.01 (Мягмар) 14:30" in text_of(summary)
    _, done = await _confirm(editor)
    assert "2026.12.01 (Мягмар) 14:30 цагт илгээгдэнэ" in done
    await h.run_job("schedules")
    h.clock.now = local(2026, 12, 1, 14, 29)
    await h.run_job("schedules")
    await h.fake.wait_idle()
    assert not any(_got(u, "Өдрийн зөвлөмж") for u in people)
    h.clock.now = local(2026, 12, 1, 14, 31)
    await h.run_job("schedules")
    await h.run_job("schedules")
    for user in people:
        await expect(user, "Өдрийн зөвлөмж")
    await expect_edit(editor, "дууслаа")
    await h.fake.wait_idle()
    assert [len(_got(u, "Өдрийн зөвлөмж")) for u in people] == [1, 1]


async def test_a_weekly_post_on_tuesdays_and_thursdays_at_ten_and_three(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    citizen = (await _subscribers(h, 1))[0]
    await editor.send("/post what-is-corruption")
    await press(editor, "pp:aud:subscribers")
    await press(editor, "🔁 Долоо хоног бүр")
    await press(editor, "Мягмар")
    await press(editor, "Пүрэв")
    await press(editor, "pp:day:ok")
    await expect(editor, "хэдэн цагт")
    await editor.send("10:00, 15:00")
    await expect(editor, "Хэдий хүртэл")
    await editor.send("2026.12.10")
    first = await expect(editor, "Эхнийх нь")
    assert "2026.12.01 (Мягмар) 15:00" in text_of(first)  # 10:00 today is now, not ahead
    summary = await expect(editor, "Тохиргоо")
    assert "Мягмар, Пүрэв гараг бүр 10:00, 15:00 (2026.12.01 – 2026.12.10)" in text_of(summary)
    await _confirm(editor)
    await editor.send("/posts")
    listing = await expect(editor, "Товлосон нийтлэлүүд (1)")
    assert "Мягмар, Пүрэв гараг бүр 10:00, 15:00" in text_of(listing)
    assert "дараагийнх нь: 2026.12.01 (Мягмар) 15:00" in text_of(listing)
    assert _labels(listing) == ["✏️ №1", "❌ №1"]
    title = "Авлига гэж юу вэ"
    expected = {  # local time the clock is moved to → copies the citizen has by then
        (2026, 12, 1, 14, 59): 0, (2026, 12, 1, 15, 1): 1, (2026, 12, 2, 15, 1): 1,
        (2026, 12, 3, 10, 1): 2, (2026, 12, 3, 15, 1): 3, (2026, 12, 8, 10, 1): 4,
        (2026, 12, 8, 15, 1): 5, (2026, 12, 10, 10, 1): 6, (2026, 12, 10, 15, 1): 7,
        (2026, 12, 15, 10, 1): 7,  # after the last day
    }
    for moment, copies in expected.items():
        h.clock.now = local(*moment)
        await h.run_job("schedules")
        if copies and copies > len(_got(citizen, title)):
            await expect(citizen, title)
        await h.fake.wait_idle()
        assert len(_got(citizen, title)) == copies, moment
    await _finished(editor, 7)


async def test_a_restart_between_scheduling_and_sending_sends_once(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 3)
    await _compose(editor, _text_message(editor, "Шударга ёс, хөгжил дэвшилд 110"),
                   when="10:20")
    await _confirm(editor)
    await h.restart()
    h.clock.advance(minutes=21)
    await h.run_job("schedules")
    await h.run_job("schedules")
    for user in people:
        await expect(user, "Шударга ёс, хөгжил")
    await expect_edit(editor, "дууслаа: 3 хүргэгдсэн")
    await h.restart()
    await h.run_job("schedules")
    await h.fake.wait_idle()
    assert [len(_got(u, "Шударга ёс, хөгжил")) for u in people] == [1, 1, 1]


async def test_a_restart_in_the_middle_of_post_loses_nothing(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 2)
    await editor.send("/post")
    await _text_message(editor, "Ил тод байдал бол итгэлцлийн үндэс.", bold=6)()
    await expect(editor, "Англи хэл дээрх")
    await h.restart()
    # The button from before the restart carries on at the saved step.
    await press(editor, "⏭ Англи бичвэргүй")
    await expect(editor, "ямар төрлийн")
    await press(editor, "pp:kind:article")
    await expect(editor, "Аль аянд")
    await h.restart()
    # /post offers the saved draft back; continuing shows the step where it stopped.
    await editor.send("/post")
    await expect(editor, "дуусаагүй нийтлэл байна")
    await press(editor, "▶️ Үргэлжлүүлэх")
    await expect(editor, "Аль аянд")
    await press(editor, "«Нэгдье» аян")
    await expect(editor, "арга хэмжээнд")
    await h.restart()
    await editor.send("2.1")  # typed text after a restart goes to the saved step too
    buttons = await expect(editor, "ямар товч")
    assert "⬜ Нэгдье" in _labels(buttons)  # with a campaign, a pledge can be offered
    await press(editor, "pp:btn:pledge")
    await press(editor, "Дараах ➡️")
    await press(editor, "pp:aud:subscribers")
    await press(editor, "⚡ Одоо")
    summary = await expect(editor, "Тохиргоо")
    for part in ("📝 Нийтлэл", "«Нэгдье» аян", "2.1", "Нэгдье"):
        assert part in text_of(summary), part
    await _confirm(editor)
    for user in people:
        got = await expect(user, "Ил тод байдал")
        assert {"type": "bold", "offset": 0, "length": 6} in got["entities"]
        assert any(label.startswith("Нэгдье ✊") for label in _labels(got))
    # Confirmed: the draft is gone, and an old confirm button schedules nothing twice.
    assert "хүчингүй" in await _answer(editor, "pp:ok")
    await _finished(editor)
    assert [len(_got(u, "Ил тод байдал")) for u in people] == [1, 1]


async def test_cancel_move_and_replace_from_posts(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 2)
    backend = h.app.bot_data["svc"].backend
    later, sooner = [
        await schedule.publish(backend, EDITOR_ID, {"text": {"mn": text}},
                               PostMeta(title=text), at, h.clock())
        for text, at in (("Хожмын зөвлөмж", local(2026, 12, 2, 11)),
                         ("Эртний зөвлөмж", local(2026, 12, 1, 12)))]
    await editor.send("/posts")
    listing = await expect(editor, "Товлосон нийтлэлүүд (2)")
    body = text_of(listing)
    assert body.index(f"№{sooner}") < body.index(f"№{later}")  # soonest first
    assert "2026.12.01 (Мягмар) 12:00" in body
    await expect(editor, "Илгээлт хараахан алга")
    # Cancel the later one (asked first).
    await press(editor, f"❌ №{later}")
    await expect(editor, f"Хуваарь №{later}: цуцлах уу")
    await press(editor, "Тийм, цуцлах")
    await expect(editor, f"Хуваарь №{later} цуцлагдлаа")
    # Move the sooner one, then replace its content.
    await press(editor, f"✏️ №{sooner}")
    await press(editor, "🕒 Цагийг өөрчлөх")
    await expect(editor, "Шинэ өдөр, цагаа")
    await editor.send("09:00")
    await expect(editor, "өнгөрсөн")
    await editor.send("13:15")
    await expect(editor, "шинэ цаг нь 2026.12.01 (Мягмар) 13:15")
    await press(editor, f"pl:edit:{sooner}", message_id=listing["message_id"])
    await press(editor, "📝 Агуулгыг солих")
    await expect(editor, "шинэ агуулгыг илгээнэ үү")
    await _text_message(editor, "Шинэчилсэн зөвлөмж: баримтаа заавал ав.")()
    await expect(editor, "Шинэ агуулга ингэж харагдана")
    await press(editor, "✅ Агуулгыг солих")
    await expect(editor, "агуулгыг солилоо")
    await editor.send("/posts")
    listing = await expect(editor, "Товлосон нийтлэлүүд (1)")
    assert "13:15" in text_of(listing) and f"№{later}" not in text_of(listing)
    # Stale and forged buttons: refused politely, nothing changes.
    await editor.press_data(f"pl:cancel!:{later}")
    await expect(editor, f"Хуваарь №{later} идэвхгүй")
    await editor.press_data("pl:move:999")
    await expect(editor, "Хуваарь №999 идэвхгүй")
    for moment in ((2026, 12, 1, 12, 1), (2026, 12, 1, 13, 16), (2026, 12, 2, 11, 1)):
        h.clock.now = local(*moment)
        await h.run_job("schedules")
    for user in people:
        await expect(user, "Шинэчилсэн зөвлөмж")
    await h.fake.wait_idle()
    for user in people:
        assert not _got(user, "Эртний зөвлөмж") and not _got(user, "Хожмын зөвлөмж")
        assert len(_got(user, "Шинэчилсэн зөвлөмж")) == 1


async def test_posts_shows_reach_and_a_running_broadcast_can_be_stopped(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 3)
    channel = h.fake.channel(title="Аймгийн мэдээ", bot_status="left", member_count=1500)
    await h.fake.add_bot_to(channel, by=h.admin, admin=True)
    await press(h.admin, "✅ Тийм, илгээнэ")
    await expect(h.admin, "хүлээн авагчдад нэмэгдлээ")
    # No share button: Telegram refuses inline-mode buttons in channels.
    await _compose(editor, _text_message(editor, "Хүрээний мэдээ"), audience="all",
                   toggles=("share",))
    summary = editor.messages()[-1]
    assert "(одоо 4)" in text_of(summary)
    await _confirm(editor)
    for user in people:
        await expect(user, "Хүрээний мэдээ")
    posted = await expect(channel, "Хүрээний мэдээ")
    await expect_edit(editor, "дууслаа: 4 хүргэгдсэн")
    await channel.react(posted["message_id"], {"👍": 7, "❤": 2})
    backend = h.app.bot_data["svc"].backend
    for user in people[:2]:  # two people found it useful (as the 👍 button counts them)
        await reach.mark(backend, "useful", "1", Citizen("telegram", str(user.id)), h.clock())
    await h.fake.wait_idle()
    await editor.send("/posts")
    await expect(editor, "Товлосон нийтлэл алга")
    report = await expect(editor, "Сүүлийн илгээлтүүд")
    body = text_of(report)
    assert "Илгээлт №1 · «Хүрээний мэдээ»" in body and "дууссан" in body
    assert "✅ 4/4 хүргэгдсэн · ⚠️ 0 амжилтгүй · ⏭ 0 алгассан · 👍 2 хэрэгтэй · 📤 0 түгээсэн" \
        in body
    assert "📢 1 бүлэг, суваг · 1500 гишүүн (боломжит хүрээ) · 9 реакц" in body
    assert "үзэлтийн тоо байхгүй" in body  # views are never claimed
    assert not _labels(report)  # nothing is running: nothing to stop
    # A broadcast still running can be stopped from /posts.
    await editor.press_data("pl:stop!:1")
    await expect(editor, "Илгээлт №1 аль хэдийн дууссан")


async def test_citizens_and_viewers_are_refused_post_posts_and_their_buttons(
    h: Harness,
) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    await _subscribers(h, 1)
    await _compose(editor, _text_message(editor, "Маргаашийн мэдээ"), when="маргааш 10:00")
    number, _ = await _confirm(editor)
    viewer = await _staff(h, VIEWER_ID, "viewer")
    citizen = h.fake.user(first_name="Mallory")
    for user, answer in ((citizen, "зөвхөн байгууллагын ажилтан"),
                         (viewer, "Таны эрх үүнийг зөвшөөрөхгүй")):
        for command in ("/post", "/posts", "/post what-is-corruption"):
            await user.send(command)
            await expect(user, answer)
        for data in (f"pl:cancel!:{number}", f"pl:cancel:{number}", f"pl:move:{number}",
                     f"pl:replace:{number}", "pl:stop!:1", "pp:ok", "pp:lib:0",
                     "pp:kind:news", "pe:ok"):
            assert "хүчингүй" in await _answer(user, data), data
    await h.fake.wait_idle()
    for user in (citizen, viewer):
        assert not _got(user, "Товлосон") and not _got(user, "Шинэ нийтлэл")
    # Staff commands in a group are refused: posts are composed privately.
    await h.admin.send("/post", chat=h.staff_group)
    await expect(h.staff_group, "хувийн чатад")
    await editor.send("/posts")
    still = await expect(editor, "Товлосон нийтлэлүүд (1)")
    assert "2026.12.02 (Лхагва) 10:00" in text_of(still)


async def test_wrong_input_in_the_first_steps_gets_a_polite_answer_and_loses_nothing(
    h: Harness,
) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 1)
    await editor.send("/post")
    await expect(editor, "Шинэ нийтлэл")
    for send in (editor.send_sticker(), editor.send_voice(b"OggS voice"),
                 editor.send_location(46.19, 100.72)):
        await send
        await expect(editor, "нийтлэл болгож чадахгүй")
    await editor.send("Баримтаа заавал аваарай!")
    await expect(editor, "Англи хэл дээрх")
    await editor.send_photo(PHOTO)
    await expect(editor, "Англи бичвэрийг энгийн мессежээр")
    await press(editor, "⏭ Англи бичвэргүй")
    await expect(editor, "ямар төрлийн")
    await editor.send("мэдээ")
    await expect(editor, "Дээрх товчнуудаас сонгоно уу")
    await press(editor, "pp:kind:news")
    assert "хүчингүй" in await _answer(editor, "pp:camp:no-such-campaign")
    await press(editor, "— Аянд хамаарахгүй")
    await expect(editor, "арга хэмжээнд")
    await _breathe()
    await editor.send("нэг")
    await expect(editor, "цэгээр тусгаарласан")
    await editor.send_sticker()
    await expect(editor, "цэгээр тусгаарласан")
    await editor.send("3.2.")
    await expect(editor, "ямар товч")
    assert "аяныг сонгоно уу" in await _answer(editor, "pp:btn:pledge")  # no campaign
    await press(editor, "Дараах ➡️")
    await expect(editor, "Хэнд илгээх")
    await editor.send_sticker()
    await expect(editor, "Дээрх товчнуудаас")
    await press(editor, "pp:aud:subscribers")
    await press(editor, "⚡ Одоо")
    summary = await expect(editor, "Тохиргоо")
    assert "Арга хэмжээ: 3.2" in text_of(summary)
    await editor.send("за")
    await expect(editor, "Дээрх товчнуудаас")
    await _confirm(editor)
    got = await expect(people[0], "Баримтаа заавал аваарай!")
    assert _labels(got) == ["👍 Хэрэгтэй", "📤 Түгээх"]
    await _finished(editor)


async def test_wrong_dates_and_times_are_explained_and_quiet_hours_said(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 1)
    await editor.send("/post what-is-corruption")
    await press(editor, "pp:aud:subscribers")
    await press(editor, "🗓 Өдөр, цаг")
    await expect(editor, "Өдөр, цагаа")
    for typed, answer in (("хэзээ нэгэн цагт", "ойлгосонгүй"), ("13.45 10:00", "Ийм өдөр"),
                          ("09:00", "өнгөрсөн байна (одоо 2026.12.01 (Мягмар) 10:00)"),
                          ("2026.12.01 25:00", "Цагийг ойлгосонгүй")):
        await editor.send(typed)
        await expect(editor, answer)
    await editor.send_sticker()
    await expect(editor, "бичвэрээр бичнэ үү")
    await editor.send("23:30")  # quiet hours: it will wait until 08:00
    summary = await expect(editor, "Тохиргоо")
    assert "чимээгүй цагт (22:00–08:00)" in text_of(summary)
    assert "2026.12.02 (Лхагва) 08:00" in text_of(summary)
    _, done = await _confirm(editor)
    assert "2026.12.02 (Лхагва) 08:00 цагт илгээгдэнэ" in done
    h.clock.now = local(2026, 12, 1, 23, 31)
    await h.run_job("schedules")
    await h.fake.wait_idle()
    assert not _got(people[0], "Авлига гэж юу вэ")
    h.clock.now = local(2026, 12, 2, 8, 1)
    await h.run_job("schedules")
    await expect(people[0], "Авлига гэж юу вэ")
    await _finished(editor)


async def test_a_weekly_rule_refuses_no_days_bad_times_and_a_past_end(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 1)
    await editor.send("/post what-is-corruption")
    await press(editor, "pp:aud:subscribers")
    await press(editor, "⚡ Одоо")
    await expect(editor, "Тохиргоо")
    # Changed from the preview, the rule goes back to it.
    await press(editor, "✏️ Өөрчлөх")
    await press(editor, "pp:ch:when")
    await press(editor, "🔁 Долоо хоног бүр")
    assert "нэг гараг" in await _answer(editor, "pp:day:ok")  # no day chosen yet
    await press(editor, "Баасан")
    await press(editor, "pp:day:ok")
    await editor.send("10 цаг")
    await expect(editor, "Цагуудыг ойлгосонгүй")
    await editor.send("10:00")
    await expect(editor, "Хэдий хүртэл")
    await editor.send("2026.11.30")
    await expect(editor, "өнгөрсөн")
    await press(editor, "4 долоо хоног")
    summary = await expect(editor, "Тохиргоо")
    assert "Баасан гараг бүр 10:00 (2026.12.01 – 2026.12.29)" in text_of(summary)
    await _confirm(editor)
    h.clock.now = local(2026, 12, 4, 10, 1)
    await h.run_job("schedules")
    await expect(people[0], "Авлига гэж юу вэ")
    await _finished(editor)
    assert len(_got(people[0], "Авлига гэж юу вэ")) == 1


async def test_a_running_broadcast_is_stopped_from_posts(h: Harness) -> None:
    await h.stop()
    await h.start(send_per_second=20.0)
    editor = await _staff(h, EDITOR_ID, "editor")
    backend = h.app.bot_data["svc"].backend
    crowd = [h.fake.user(first_name=f"Иргэн{i}") for i in range(150)]
    for user in crowd:
        await outreach.subscribe(backend, "telegram", str(user.id), "mn", h.clock())
    await editor.send("/post what-is-corruption")
    await press(editor, "pp:aud:subscribers")
    await press(editor, "⚡ Одоо")
    await expect(editor, "(одоо 150)")
    await _confirm(editor)
    await editor.send("/posts")
    report = await expect(editor, "Сүүлийн илгээлтүүд")
    assert "илгээж байна" in text_of(report)
    await press(editor, "⏹ Зогсоох №1")
    await expect(editor, "Илгээлт №1: зогсоох уу")
    await press(editor, "Тийм, зогсоох")
    await expect(editor, "Илгээлт №1 зогслоо")
    final = await expect_edit(editor, "дууслаа", timeout=15)
    await h.fake.wait_idle()
    got = sum(len(_got(u, "Авлига гэж юу вэ")) for u in crowd)
    assert 0 < got < 150, got  # those in flight at the stop still land; nobody after them
    assert f"{got} хүргэгдсэн, 0 амжилтгүй, {150 - got} алгассан" in text_of(final)
    await editor.send("/posts")
    report = await expect(editor, "Сүүлийн илгээлтүүд")
    assert f"✅ {got}/150 хүргэгдсэн" in text_of(report) and "зогсоосон" in text_of(report)


async def test_cancel_works_at_a_step_and_after_a_restart(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    await _subscribers(h, 1)
    await editor.send("/post")
    await editor.send("Цуцлах нийтлэл")
    await expect(editor, "Англи хэл дээрх")
    await editor.send("/cancel")
    await expect(editor, "Нийтлэлийг цуцаллаа")
    await editor.send("/post")
    await expect(editor, "Шинэ нийтлэл")  # nothing is offered back
    await editor.send("Дахин нэг нийтлэл")
    await expect(editor, "Англи хэл дээрх")
    await h.restart()
    await editor.send("/cancel")
    await expect(editor, "Нийтлэлийг цуцаллаа")
    await editor.send("/cancel")
    await expect(editor, "Цуцлах зүйл алга")
    await editor.send("Энэ бол нийтлэл биш")
    await h.fake.wait_idle()
    assert not _got(editor, "ямар төрлийн")


async def test_a_forwarded_message_keeps_no_trace_of_whom_it_came_from(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    people = await _subscribers(h, 1)
    sender = h.fake.user(first_name="Оюунцэцэг", username="oyuna_private", user_id=987_654_001)
    origin = {"type": "user", "sender_user": sender.to_json(), "date": 1_700_000_000}

    async def forward() -> None:
        editor.chat.receive(editor, {"text": "Авлигын эсрэг зөвлөмж", "forward_origin": origin})

    await _compose(editor, forward)
    data_dir = h.data_dir
    await h.restart()  # the draft is in the database now, and checkpointed
    files = [p.read_bytes() for p in data_dir.rglob("*") if p.is_file()]
    assert any("Авлигын эсрэг зөвлөмж".encode() in blob for blob in files), "the draft is kept"
    for secret in (str(sender.id), "Оюунцэцэг", "oyuna_private"):
        assert not any(secret.encode() in blob for blob in files), secret
    await press(editor, "✅ Баталгаажуулах")
    await expect(people[0], "Авлигын эсрэг зөвлөмж")
    await _finished(editor)


async def test_a_long_posts_list_is_split_within_telegrams_limit(h: Harness) -> None:
    editor = await _staff(h, EDITOR_ID, "editor")
    backend = h.app.bot_data["svc"].backend
    for i in range(20):
        title = f"Зөвлөмж {i:02} " + "урт гарчиг & <тэмдэгт> " * 9
        await schedule.publish(backend, EDITOR_ID, {"text": {"mn": title}},
                               PostMeta(title=title), local(2026, 12, 2, 10, i), h.clock())
    await editor.send("/posts")
    await expect(editor, "Илгээлт хараахан алга")
    parts = _got(editor, "Зөвлөмж ")
    assert len(parts) >= 2 and all(len(text_of(m)) <= 4096 for m in parts)
    shown = "\n".join(text_of(m) for m in parts)
    assert all(f"Зөвлөмж {i:02}" in shown for i in range(20))
    assert "& <тэмдэгт>" in shown  # escaped for Telegram's HTML, shown as typed
    assert len(_labels(parts[-1])) == 40 and not _labels(parts[0])
