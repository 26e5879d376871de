"""Posts as subscribers get them: media, albums, buttons, progress, groups and channels."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bot.core import audiences, outreach, posts
from bot.core.posts import PostMeta
from bot.fakegram import FakeUser
from bot.fakegram.wire import Upload
from bot.tg.broadcast import TelegramSender, start_broadcast
from tests.harness import ADMIN_ID, Harness, expect, expect_edit, press, text_of

CONTENT = Path(__file__).resolve().parents[1] / "content"


def _svc(h: Harness) -> Any:
    return h.app.bot_data["svc"]


async def _crowd(h: Harness, n: int, lang: str = "mn") -> list[FakeUser]:
    users = [h.fake.user(first_name=f"Иргэн{i}", language_code=lang) for i in range(n)]
    for user in users:
        await outreach.subscribe(_svc(h).backend, "telegram", str(user.id), lang, h.clock())
    return users


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def _send(h: Harness, payload: dict[str, Any], meta: PostMeta | None = None,
                staff_id: int | None = None) -> outreach.Progress:
    backend = _svc(h).backend
    broadcast_id = await outreach.create_broadcast(backend, payload, h.clock(), meta=meta,
                                                   staff_id=staff_id)
    return await outreach.run_broadcast(backend, broadcast_id, TelegramSender(h.app), h.clock)


async def test_a_library_poster_is_uploaded_once_and_sent_by_file_id(h: Harness) -> None:
    users = await _crowd(h, 40)
    post = _svc(h).content.get("what-is-corruption")
    assert post is not None and post.media, "the shipped library has a poster post"
    payload, meta = posts.from_content(post)
    final = await _send(h, payload, meta)
    assert (final.sent, final.failed) == (40, 0)
    photos = h.fake.calls_to("sendPhoto")
    uploads = [c for c in photos if isinstance(c.params.get("photo"), Upload)]
    assert len(uploads) == 1, "the poster is uploaded once; the others reuse its file id"
    for user in users:
        got = [m for m in user.messages() if m.get("photo")]
        assert len(got) == 1
        assert post.title_for("mn") in got[0]["caption"]
        assert _buttons(got[0]), "the post's buttons are under the picture"
    # The file id outlives the process: a restart and a second broadcast upload nothing.
    await h.restart()
    await _send(h, payload, meta)
    assert len([c for c in h.fake.calls_to("sendPhoto")
                if isinstance(c.params.get("photo"), Upload)]) == 1


async def test_an_album_gets_its_buttons_in_a_message_after_it(h: Harness) -> None:
    users = await _crowd(h, 3)
    payload = {
        "text": {"mn": "<b>Зурагт мэдээ</b>"},
        "media": [{"type": "photo", "path": "media/posters/what-is-corruption.png"},
                  {"type": "photo", "path": "media/infographics/how-to-report.png"}],
        "buttons": [{"action": "useful"}],
    }
    final = await _send(h, payload)
    assert final.sent == 3
    for user in users:
        album = [m for m in user.messages() if m.get("media_group_id")]
        assert len(album) == 2 and album[0]["caption"] == "Зурагт мэдээ"
        after = user.messages()[-1]
        assert _buttons(after)[0]["callback_data"].startswith("ru:")


async def test_a_caption_too_long_for_a_picture_follows_it_as_text(h: Harness) -> None:
    users = await _crowd(h, 2)
    long_text = "Авлигын эсрэг. " * 100  # about 1,500 characters: over a caption's 1,024
    poster = {"type": "photo", "path": "media/posters/what-is-corruption.png"}
    payload = {"text": {"mn": long_text}, "media": [poster], "buttons": [{"action": "useful"}]}
    await _send(h, payload)
    for user in users:
        photo, text = user.messages()[-2:]
        assert photo.get("photo") and not photo.get("caption")
        assert text["text"].startswith("Авлигын эсрэг.") and _buttons(text)


async def test_the_staff_member_who_made_a_post_watches_one_message_to_the_end(
    h: Harness,
) -> None:
    await _crowd(h, 30)
    await h.admin.send("/start")
    await expect(h.admin, "")
    backend = _svc(h).backend
    broadcast_id = await outreach.create_broadcast(backend, {"text": {"mn": "Мэдээ"}}, h.clock(),
                                                   staff_id=ADMIN_ID)
    start_broadcast(h.app, broadcast_id)
    final = await expect_edit(h.admin, "дууслаа", timeout=20)
    assert "30 хүргэгдсэн" in text_of(final)
    notices = [m for m in h.admin.messages() if f"№{broadcast_id}" in text_of(m)]
    assert len(notices) == 1, "progress is one message, edited, not a stream"


async def test_paid_broadcasts_ask_telegram_for_it(h: Harness) -> None:
    await h.stop()
    await h.start(paid_broadcast=True)
    await _crowd(h, 3)
    await _send(h, {"text": {"mn": "Мэдээ"}})
    sends = h.fake.calls_to("sendMessage")
    assert len(sends) == 3 and all(c.params.get("allow_paid_broadcast") is True for c in sends)


async def test_a_group_gets_posts_only_after_an_admin_says_yes(h: Harness) -> None:
    await h.admin.send("/start")
    await expect(h.admin, "")
    someone = h.fake.user(first_name="Бат")
    group = h.fake.group(title="Сумын иргэд", members=[someone], bot_status="left")
    await h.fake.add_bot_to(group, by=someone)
    ask = await expect(h.admin, "Сумын иргэд")
    assert _buttons(ask), "the admin is asked, with buttons"
    meta = PostMeta(audience="chats")
    first = await _send(h, {"text": {"mn": "Эхний мэдээ"}}, meta)
    assert first.total == 0, "not before the admin confirms"
    await press(h.admin, "✅ Тийм, илгээнэ")
    await expect(h.admin, "нэмэгдлээ")
    second = await _send(h, {"text": {"mn": "Бүлгийн мэдээ"}}, meta)
    assert (second.total, second.sent) == (1, 1)
    assert any("Бүлгийн мэдээ" in text_of(m) for m in group.messages())
    # Subscribers-only posts do not go to the group; removing the bot ends its posts.
    await h.fake.remove_bot_from(group, by=someone)
    await h.fake.wait_idle()
    third = await _send(h, {"text": {"mn": "Гурав дахь"}}, meta)
    assert third.total == 0


async def test_a_channel_post_records_its_size_and_reactions_not_views(h: Harness) -> None:
    channel = h.fake.channel(title="Аймгийн мэдээ", bot_status="left", member_count=1234)
    await h.fake.add_bot_to(channel, by=h.admin, admin=True)
    await h.fake.wait_idle()
    backend = _svc(h).backend
    found = await audiences.chats(backend)
    assert [(c.kind, c.status, c.is_admin) for c in found] == [("channel", "pending", True)]
    await audiences.decide(backend, ADMIN_ID, found[0].id, True, h.clock())
    await _crowd(h, 2)
    payload = {"text": {"mn": "Сувгийн мэдээ"}, "buttons": [{"action": "useful"},
                                                            {"action": "share"}]}
    broadcast_id = await outreach.create_broadcast(backend, payload, h.clock(),
                                                   meta=PostMeta(audience="all"))
    await outreach.run_broadcast(backend, broadcast_id, TelegramSender(h.app), h.clock)
    posted = [m for m in channel.messages() if "Сувгийн мэдээ" in text_of(m)]
    assert len(posted) == 1
    assert [b.get("callback_data", "")[:3] for b in _buttons(posted[0])] == ["ru:"], \
        "no inline-mode share button in a channel (Telegram refuses it there)"
    await channel.react(posted[0]["message_id"], {"👍": 12, "❤": 3})
    await h.fake.wait_idle()
    reach = await posts.reach(backend, broadcast_id)
    assert (reach.sent, reach.chats, reach.members, reach.reactions) == (3, 1, 1234, 15)


async def test_a_broken_content_file_is_skipped_and_staff_are_told(
    h: Harness, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (content / "posts" / "broken.md").write_text("---\nid: broken\nkind: nonsense\n---\nТекст\n",
                                                 encoding="utf-8")
    await h.stop()
    await h.start(content_dir=content)
    message = await expect(h.staff_group, "алдаа", timeout=10)
    assert "broken.md" in text_of(message) and "kind" in text_of(message)
    assert _svc(h).content.get("broken") is None
    assert _svc(h).content.get("what-is-corruption") is not None


async def test_a_cancelled_broadcast_stops_and_stays_cancelled(h: Harness) -> None:
    users = await _crowd(h, 200)
    backend = _svc(h).backend
    broadcast_id = await outreach.create_broadcast(backend, {"text": {"mn": "Зогсоох"}},
                                                   h.clock())
    await outreach.cancel_broadcast(backend, broadcast_id, h.clock())
    final = await outreach.run_broadcast(backend, broadcast_id, TelegramSender(h.app), h.clock)
    assert final.sent == 0 and final.skipped == 200
    assert not any("Зогсоох" in text_of(m) for u in users for m in u.messages())
    recent = await posts.recent(backend)
    assert recent[0].status == "cancelled"


async def test_the_news_button_opts_in_and_out_in_place(h: Harness) -> None:
    saraa = h.fake.user(first_name="Сараа")
    await saraa.send("/start")
    await expect(saraa, "110")
    await saraa.send("📰 Мэдээ авах")
    offer = await expect(saraa, "авах уу")
    await press(saraa, "✅ Мэдээ авах", message_id=offer["message_id"])
    await expect_edit(saraa, "бүртгүүллээ")
    backend = _svc(h).backend
    assert await outreach.is_subscribed(backend, "telegram", str(saraa.id))
    await press(saraa, "🔕 Мэдээ авахаа зогсоох", message_id=offer["message_id"])
    await expect_edit(saraa, "зогсоолоо")
    assert not await outreach.is_subscribed(backend, "telegram", str(saraa.id))
    await saraa.send("📰 Мэдээ авах")
    await expect(saraa, "авах уу")


async def test_staff_press_a_pledge_under_a_post_like_anyone(h: Harness) -> None:
    backend = _svc(h).backend
    await outreach.subscribe(backend, "telegram", str(h.admin.id), "mn", h.clock())
    post = _svc(h).content.get("negdye")
    assert post is not None
    payload, meta = posts.from_content(post)
    await _send(h, payload, meta)
    label = next(b["text"] for m in h.admin.messages() for b in _buttons(m)
                 if b.get("callback_data", "").startswith("rp:"))
    await press(h.admin, label)
    await h.fake.wait_idle()
    from bot.core import reach

    assert await reach.count(backend, "pledge", "negdye") == 1
