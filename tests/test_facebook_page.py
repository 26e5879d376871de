"""The office's Facebook Page end to end: scheduled posts published there, Facebook's figures.

The bot runs with both channels on (`tests.channels.Office`): staff compose on Telegram
through the fake Bot API, the Page lives in the fake Graph API. Publishing happens once
per occurrence across restarts; figures are read once a day and shown as Facebook reports
them ("not given" for a Page under 100 likes); a refused token is told to staff once.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.fakegram import FakeTelegram, FakeUser
from bot.fakegraph import FakeGraph
from bot.fakegraph.state import PagePost
from bot.sandbox.script import expect, press, text_of
from tests.channels import Office

PHOTO = b"\x89PNG\r\n\x1a\n" + b"page poster " * 60
CAPTION = "Нэгдье! Авлигын эсрэг хамтдаа <110> & Өлзийт сум"  # escaped in HTML, not on the Page


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


# -- helpers ---------------------------------------------------------------------------------
async def _until(check: Callable[[], bool], what: str, seconds: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def _labels(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def _got(user: Any, needle: str) -> list[dict[str, Any]]:
    return [m for m in user.messages() if needle in text_of(m)]


async def _page_pass(office: Office) -> None:
    """Let the background Page pass (if any) finish."""
    task = office.app.bot_data.get("page_task")
    if task is not None:
        await asyncio.wait_for(asyncio.shield(task), 30)


async def _run(office: Office, job: str) -> None:
    await office.run_job(job)
    await _page_pass(office)


def _db(office: Office) -> sqlite3.Connection:
    conn = sqlite3.connect(office.data_dir / "bot.sqlite3")
    conn.row_factory = sqlite3.Row
    return conn


def _rows(office: Office, sql: str, *params: Any) -> list[sqlite3.Row]:
    with _db(office) as conn:
        return list(conn.execute(sql, params))


async def _subscriber(office: Office, name: str = "Иргэн") -> FakeUser:
    user = office.fake.user(first_name=name)
    await user.send("/subscribe")
    await expect(user, "бүртгүүллээ")
    return user


async def _compose_photo(office: Office, *, page: bool, when: str | None = "10:30",
                         caption: str = CAPTION) -> dict[str, Any]:
    """/post of a Telegram photo, to subscribers (and the Page); the summary message."""
    editor = office.admin
    await editor.send("/post")
    await expect(editor, "Шинэ нийтлэл")
    sent = await editor.send_photo(PHOTO, caption=caption)
    assert sent
    await expect(editor, "Хүлээн авлаа: зураг")
    await press(editor, "⏭ Англи бичвэргүй")
    await expect(editor, "ямар төрлийн")
    await press(editor, "pp:kind:poster")
    await press(editor, "— Аянд хамаарахгүй")
    await press(editor, "⏭ Алгасах")
    await expect(editor, "ямар товч")
    await press(editor, "Дараах ➡️")
    ask = await expect(editor, "Хэнд илгээх")
    assert "Facebook хуудсанд ч нийтлэх" in text_of(ask)
    assert "⬜ Facebook хуудсанд ч нийтлэх" in _labels(ask)
    if page:
        await press(editor, "pp:fb")
        await editor.wait_for(lambda m: "✅ Facebook хуудсанд ч нийтлэх" in _labels(m))
    await press(editor, "pp:aud:subscribers")
    await expect(editor, "Хэзээ илгээх")
    if when is None:
        await press(editor, "⚡ Одоо")
    else:
        await press(editor, "🗓 Өдөр, цаг")
        await expect(editor, "Өдөр, цагаа")
        await editor.send(when)
    return await expect(editor, "Тохиргоо")


async def _confirm(office: Office) -> str:
    await press(office.admin, "✅ Баталгаажуулах")
    return text_of(await expect(office.admin, "Хуваарь №"))


# -- publishing ------------------------------------------------------------------------------
async def test_a_scheduled_photo_goes_to_the_page_at_its_time_once_across_restarts(
        office: Office, graph: FakeGraph) -> None:
    citizen = await _subscriber(office)
    summary = await _compose_photo(office, page=True)
    assert "📘 Facebook хуудсанд: тийм" in text_of(summary)
    await _confirm(office)
    await office.restart()  # before its time: nothing is published yet
    await _run(office, "schedules")
    assert graph.posts == [] and graph.calls_to("photos") == []

    office.advance(minutes=31)  # 10:31 local: the occurrence is due
    await _run(office, "schedules")
    await expect(citizen, "Нэгдье!")
    await _until(lambda: len(graph.posts) == 1, "the Page post")
    post: PagePost = graph.posts[0]
    # The Telegram photo, downloaded through getFile and uploaded; the caption as plain text.
    assert (post.kind, post.message, post.media_bytes) == ("photo", CAPTION, len(PHOTO))

    # Again, after a restart, and again: still one Page post, one upload, one row.
    for _ in range(2):
        await office.restart()
        await _run(office, "schedules")
        await _run(office, "page-posts")
    assert len(graph.posts) == 1 and len(graph.calls_to("photos")) == 1
    rows = _rows(office, "SELECT * FROM page_posts")
    assert [(r["status"], r["fb_post_id"], r["form"], r["attempts"], r["note"]) for r in rows] \
        == [("published", post.id, "photo", 1, None)]
    assert await _citizen_copies(citizen) == 1

    await office.admin.send("/posts")
    listing = text_of(await expect(office.admin, "Сүүлийн илгээлтүүд"))
    assert "📘 Facebook хуудас: нийтэлсэн, 2026.12.01 (Мягмар) 10:31" in listing
    assert "Facebook-ийн тоо маргаашаас" in listing
    assert "Facebook-ийн өөрийн мэдээлэл" in listing


async def _citizen_copies(user: FakeUser) -> int:
    await asyncio.sleep(0.2)
    return len(_got(user, "Нэгдье!"))


async def test_without_the_toggle_nothing_goes_to_the_page(office: Office,
                                                           graph: FakeGraph) -> None:
    citizen = await _subscriber(office)
    summary = await _compose_photo(office, page=False, when=None)
    assert "📘 Facebook хуудсанд: үгүй" in text_of(summary)
    await _confirm(office)
    await expect(citizen, "Нэгдье!")
    await _run(office, "page-posts")
    assert graph.posts == [] and _rows(office, "SELECT * FROM page_posts") == []


async def _published_now(office: Office, citizen: FakeUser, caption: str = CAPTION) -> None:
    """A photo post with the Page on, sent now; the broadcast and the Page pass finished."""
    await _compose_photo(office, page=True, when=None, caption=caption)
    await _confirm(office)
    await expect(citizen, caption[:12])
    await _page_pass(office)


def _staff_told(office: Office, needle: str) -> list[str]:
    return [text_of(m) for m in office.staff_group.messages() if needle in text_of(m)]


async def test_meta_unavailable_is_retried_with_backoff_and_published_once(
        office: Office, graph: FakeGraph) -> None:
    citizen = await _subscriber(office)
    graph.fail_next("photos", 613)  # rate limited
    await _published_now(office, citizen)
    row = _rows(office, "SELECT * FROM page_posts")[0]
    assert (row["status"], row["attempts"], row["error"], row["next_at"]) == (
        "pending", 1, "613", "2026-12-01T02:01:00+00:00")  # a minute later
    await office.admin.send("/posts")
    listing = text_of(await expect(office.admin, "Сүүлийн илгээлтүүд"))
    assert "Facebook хариу өгөхгүй байна, 2026.12.01 (Мягмар) 10:01 цагт дахин оролдоно" \
        in listing
    await _run(office, "page-posts")  # not yet
    assert len(graph.calls_to("photos")) == 1
    graph.fail_next("photos", 2)  # Meta's "unexpected error, retry later" (HTTP 500)
    office.advance(minutes=1)
    await _run(office, "page-posts")
    row = _rows(office, "SELECT * FROM page_posts")[0]
    assert (row["status"], row["attempts"], row["error"], row["next_at"]) == (
        "pending", 2, "2", "2026-12-01T02:03:00+00:00")  # two minutes later
    office.advance(minutes=2)
    await _run(office, "page-posts")
    await _run(office, "page-posts")
    assert len(graph.calls_to("photos")) == 3 and len(graph.posts) == 1
    row = _rows(office, "SELECT * FROM page_posts")[0]
    assert (row["status"], row["attempts"], row["error"]) == ("published", 3, None)
    assert _staff_told(office, "Facebook") == []  # it went: nothing to tell


async def test_after_eight_tries_it_fails_and_staff_are_told_once(
        office: Office, graph: FakeGraph) -> None:
    citizen = await _subscriber(office)
    graph.fail_next("photos", 613, count=8)
    await _published_now(office, citizen)
    waits = [1, 2, 4, 8, 16, 32, 60]  # minutes; about two hours in all
    for minutes in waits:
        office.advance(minutes=minutes)
        await _run(office, "page-posts")
    assert len(graph.calls_to("photos")) == 8 and graph.posts == []
    row = _rows(office, "SELECT * FROM page_posts")[0]
    assert (row["status"], row["attempts"], row["told"]) == ("failed", 8, 1)
    told = _staff_told(office, "Facebook хуудсанд нийтлэгдсэнгүй")
    assert told == ["⚠️ Илгээлт №1 «Нэгдье! Авлигын эсрэг хамтдаа <110> & Өлзийт сум» Facebook "
                    "хуудсанд нийтлэгдсэнгүй: Facebook хоёр цагийн турш хариу өгсөнгүй. "
                    "Telegram-ын илгээлт хэвээр явна."]
    office.advance(hours=1)
    await _run(office, "page-posts")
    assert len(_staff_told(office, "Facebook хуудсанд нийтлэгдсэнгүй")) == 1


async def test_a_refused_token_is_told_to_staff_once(office: Office, graph: FakeGraph) -> None:
    citizen = await _subscriber(office)
    graph.expire_token()
    await _published_now(office, citizen, "Эхний мэдээ: авлигагүй үйлчилгээ")
    await asyncio.sleep(3)  # a person's pause: the flood guard lets 20 updates through at once
    await _published_now(office, citizen, "Хоёр дахь мэдээ: ил тод байдал")
    office.advance(days=1)
    await _run(office, "page-figures")
    await _run(office, "page-posts")
    assert graph.posts == []
    assert len(graph.calls_to("photos")) == 2  # tried once each, never again
    rows = _rows(office, "SELECT status, error, told FROM page_posts ORDER BY id")
    assert [tuple(r) for r in rows] == [("failed", "invalid_token", 1)] * 2
    told = _staff_told(office, "токеныг")
    assert len(told) == 1 and "BOT_FB_PAGE_TOKEN" in told[0]
    assert _staff_told(office, "нийтлэгдсэнгүй") == []  # the token notice covers both
    # Telegram's subscribers got both posts all the same.
    assert _got(citizen, "Эхний мэдээ") and _got(citizen, "Хоёр дахь мэдээ")
    await office.admin.send("/posts")
    listing = text_of(await expect(office.admin, "Сүүлийн илгээлтүүд"))
    assert listing.count("Facebook хуудас: нийтлэгдсэнгүй — Facebook токеныг хүлээн авсангүй") \
        == 2


# -- figures ---------------------------------------------------------------------------------
def _events(office: Office, name: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(r["day"], r["channel"], json.loads(r["dims"])) for r in _rows(
        office, "SELECT day, channel, dims FROM events WHERE name = ? ORDER BY id", name)]


async def test_the_daily_reading_records_facebooks_figures_once_a_day(
        office: Office, graph: FakeGraph) -> None:
    citizen = await _subscriber(office)
    await _published_now(office, citizen)
    post = graph.posts[0]
    await _run(office, "page-figures")  # the day it went out: Facebook has nothing yet
    assert graph.calls_to("insights") == []
    post.views, post.reactions, post.comments, post.shares = 6735, 120, 14, 203
    office.advance(days=1)  # 2026.12.02 10:00
    await _run(office, "page-figures")
    office.advance(hours=5)  # later the same day: not read again
    await _run(office, "page-figures")
    assert len(graph.calls_to("insights")) == 1
    figures = _rows(office, "SELECT * FROM page_figures")
    assert [(r["read_on"], r["views"], r["reactions"], r["comments"], r["shares"])
            for r in figures] == [("2026-12-02", 6735, 120, 14, 203)]
    assert _events(office, "page_figures") == [("2026-12-02", "facebook", {
        "page_post": 1, "views": 6735, "reactions": 120, "comments": 14, "shares": 203,
        "insights": "given"})]
    await office.admin.send("/posts")
    listing = text_of(await expect(office.admin, "Сүүлийн илгээлтүүд"))
    assert ("Facebook-ийн мэдээллээр (2026.12.02): 👁 6735 хүн үзсэн · 120 реакц · "
            "14 сэтгэгдэл · 203 хуваалцсан") in listing
    # The next day the latest figures replace these; each reading stays as an event.
    post.views, post.shares = 7010, 215
    office.advance(days=1)
    await _run(office, "page-figures")
    assert [(r["read_on"], r["views"], r["shares"]) for r in _rows(
        office, "SELECT * FROM page_figures")] == [("2026-12-03", 7010, 215)]
    assert [e[2]["views"] for e in _events(office, "page_figures")] == [6735, 7010]


@pytest.mark.parametrize("answer", ["error", "empty"])
async def test_a_small_page_gets_no_views_and_they_are_recorded_as_not_given(
        office: Office, graph: FakeGraph, answer: str) -> None:
    graph.page_likes, graph.small_page_insights = 64, answer
    citizen = await _subscriber(office)
    await _published_now(office, citizen)
    post = graph.posts[0]
    post.views, post.reactions, post.comments, post.shares = 40, 9, 2, 3  # Meta keeps views
    office.advance(days=1)
    await _run(office, "page-figures")
    figures = _rows(office, "SELECT * FROM page_figures")
    assert [(r["views"], r["reactions"], r["comments"], r["shares"]) for r in figures] == [
        (None, 9, 2, 3)]
    assert _events(office, "page_figures")[0][2] == {
        "page_post": 1, "views": None, "reactions": 9, "comments": 2, "shares": 3,
        "insights": "not_given"}
    await office.admin.send("/posts")
    listing = text_of(await expect(office.admin, "Сүүлийн илгээлтүүд"))
    assert ("Facebook-ийн мэдээллээр (2026.12.02): 9 реакц · 2 сэтгэгдэл · 3 хуваалцсан. "
            "Үзсэн хүний тоог Facebook өгөөгүй: 100-аас цөөн лайктай хуудсанд Meta тоо "
            "өгдөггүй.") in listing
    assert "👁" not in listing and " 40 " not in listing
