"""The office's Facebook Page end to end: scheduled posts published there, Facebook's figures.

The bot runs with both channels on (`tests.channels.Office`): staff compose on Telegram
through the fake Bot API, the Page lives in the fake Graph API. Publishing happens once
per occurrence across restarts; figures are read once a day and shown as Facebook reports
them ("not given" for a Page under 100 likes); a refused token is told to staff once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import SHIPPED_CONTENT
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


PLAN_2026 = """\
year: 2026
title: 2026 ОНЫ ТӨЛӨВЛӨГӨӨНИЙ БИЕЛЭЛТ
place: Баянхонгор
goals:
  - number: 1
    text: Сурталчлах
    measures:
      - number: "1.1"
        text: Мэдээлэл түгээх
        links: {measures_tag: true}
"""
PAGE_POST = """\
---
id: page-news
kind: news
measure: "1.1"
page: true
title: Авлигагүй үйлчилгээ
buttons:
  - text: Авлигатай тэмцэх газар
    url: https://iaac.mn
---
Төрийн үйлчилгээг <b>авлигагүй</b> авах эрхтэй.
"""


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """The shipped content, with a post marked for the Page and a plan for 2026."""
    root = tmp_path / "content"
    shutil.copytree(SHIPPED_CONTENT, root)
    (root / "posts" / "page-news.md").write_text(PAGE_POST, encoding="utf-8")
    (root / "plan" / "2026.yaml").write_text(PLAN_2026, encoding="utf-8")
    return root


@pytest.fixture
async def office(fake: FakeTelegram, graph: FakeGraph, tmp_path: Path, library: Path
                 ) -> AsyncIterator[Office]:
    found = Office(fake, graph, tmp_path / "data")
    await found.start(content_dir=library)
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


# -- a library post, and a stop in the middle ------------------------------------------------------
async def test_a_library_post_marked_for_the_page_goes_as_a_link_post(
        office: Office, graph: FakeGraph) -> None:
    citizen = await _subscriber(office)
    await office.admin.send("/post page-news")
    ask = await expect(office.admin, "Хэнд илгээх")
    assert "✅ Facebook хуудсанд ч нийтлэх" in _labels(ask)  # `page: true` in its header
    await press(office.admin, "pp:aud:subscribers")
    await press(office.admin, "⚡ Одоо")
    summary = await expect(office.admin, "Тохиргоо")
    assert "📘 Facebook хуудсанд: тийм" in text_of(summary)
    await _confirm(office)
    await expect(citizen, "Авлигагүй үйлчилгээ")
    await _page_pass(office)
    [post] = graph.posts
    assert (post.kind, post.link, post.message) == ("link", "https://iaac.mn", (
        "Авлигагүй үйлчилгээ\n\nТөрийн үйлчилгээг авлигагүй авах эрхтэй."))
    assert [r["form"] for r in _rows(office, "SELECT form FROM page_posts")] == ["link"]


async def test_a_publication_in_flight_at_a_stop_is_not_repeated_and_staff_are_told(
        office: Office, graph: FakeGraph, tmp_path: Path) -> None:
    """The core's pass, killed while Meta has the request: the next start does not repeat it."""
    from bot.core import page

    citizen = await _subscriber(office)
    await _compose_photo(office, page=True, when="10:05")
    await _confirm(office)
    await office.stop()
    office.advance(minutes=6)
    # The run fires (as the poller would) but the process "dies" inside the Graph call.
    from bot.core import schedule
    from bot.core.backend import open_backend

    backend = await open_backend(office.settings, office.clock())
    try:
        started, _ = await schedule.fire_due(backend, office.clock())
        assert len(started) == 1
        entered = asyncio.Event()

        class Hanging:
            async def publish(self, content: page.PageContent) -> tuple[str, str]:
                entered.set()
                await asyncio.Event().wait()  # Meta has it; the answer never comes
                raise AssertionError("unreachable")

            async def figures(self, post_id: str) -> page.Reading:
                raise AssertionError("not read")

        async def no_file(file_id: str, kind: str) -> bytes:
            return PHOTO

        task = asyncio.create_task(page.publish_due(backend, Hanging(), office.clock, no_file))
        await entered.wait()
        task.cancel()  # SIGKILL, as far as the database can tell
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await backend.close()
    assert [r["status"] for r in _rows(office, "SELECT status FROM page_posts")] == ["publishing"]
    await office.start(content_dir=office.settings.content_dir)
    await expect(citizen, "Нэгдье!")  # the broadcast is resumed
    await _run(office, "page-posts")
    await _run(office, "page-posts")
    assert graph.posts == []  # never a second Page post of what may already be there
    assert [(r["status"], r["error"], r["told"]) for r in _rows(
        office, "SELECT * FROM page_posts")] == [("unsure", "stopped", 1)]
    told = _staff_told(office, "нийтлэгдсэн эсэх нь тодорхойгүй")
    assert len(told) == 1 and "Илгээлт №1" in told[0]
    await office.admin.send("/posts")
    listing = text_of(await expect(office.admin, "Сүүлийн илгээлтүүд"))
    assert "бот нийтлэх үед зогссон, гарсан эсэхийг хуудаснаас шалгана уу" in listing


# -- statistics, the export and the report, by channel ---------------------------------------------
def test_every_sentence_about_the_pages_views_says_they_are_facebooks() -> None:
    from bot.i18n import catalog

    for lang, viewed in (("mn", "үзсэн"), ("en", "view")):
        texts = {k: v for k, v in catalog(lang).items() if k.startswith("report.facebook.")}
        assert len(texts) == 7
        for key, text in texts.items():  # "Facebook-ийн мэдээллээр", "as Facebook reports" …
            assert viewed not in text or "Facebook" in text, (lang, key)


async def _month(office: Office) -> Any:
    from bot.core import stats

    return await stats.summary(office.backend, stats.Period.month(dt.date(2026, 12, 1)),
                               office.clock())


async def test_statistics_the_export_and_the_report_show_every_figure_by_channel(
        office: Office, graph: FakeGraph, tmp_path: Path) -> None:
    from bot.core import stats
    from bot.core.plan import load_plans
    from bot.export import export
    from bot.report.compose import compose
    from bot.report.words import number
    from tests.channels import MessengerCitizen, TelegramCitizen, file_complaint, make_citizen

    # A source (a QR code on a poster); one person arrives by Telegram, one by Messenger.
    await office.admin.send("/qr Автобусны буудал")
    qr = text_of(await expect(office.admin, "start="))
    code = qr.split("start=")[1].split()[0].strip("<>\"'")
    arrived = office.fake.user(first_name="Дорж")
    await arrived.send(f"/start {code}")
    await expect(arrived, "110")
    m = make_citizen(office, "messenger", "Сараа")
    assert isinstance(m, MessengerCitizen)
    await m.person.open_link(code)
    await m.start()
    await m.expect("110")
    # One complaint through each channel.
    t = make_citizen(office, "telegram", "Бат")
    assert isinstance(t, TelegramCitizen)
    await t.start()
    await t.expect("110")
    await file_complaint(t)
    await file_complaint(m)
    # Messenger: a material on request; what reached Sараа's phone, and that she read it.
    await m.menu("materials")
    await m.choose("Хэрхэн мэдээлэх")
    listed = await m.expect("Аль материалыг үзэх вэ")
    poster = office.app.bot_data["svc"].content.get("box-110")
    number_of = next(line.split(".")[0] for line in listed.splitlines()
                     if poster.title_for("mn") in line)
    await m.person.tap_quick_reply(next(q["title"] for q in m.person.messages()[-1].quick_replies
                                        if str(q["title"]).startswith(f"{number_of}. ")))
    await m.expect("Нэг цонх")
    await office.idle()
    delivered = await m.person.confirm_delivery()
    await m.person.read()
    await office.idle()
    # Two Telegram subscribers get the library post marked for the Page; the Page gets it.
    people = [await _subscriber(office, f"Иргэн{i}") for i in range(2)]
    await asyncio.sleep(3)  # the admin's pause before /post (the flood guard)
    await office.admin.send("/post page-news")
    await press(office.admin, "pp:aud:subscribers")
    await press(office.admin, "⚡ Одоо")
    await expect(office.admin, "Тохиргоо")
    await _confirm(office)
    for user in people:
        await expect(user, "Авлигагүй үйлчилгээ")
    await office.settle()
    await _page_pass(office)
    [post] = graph.posts
    post.views, post.reactions, post.comments, post.shares = 6735, 120, 14, 203
    office.advance(days=1)
    await _run(office, "page-figures")

    # The statistics core: every figure by channel, the Page's as Facebook reports them.
    s = await _month(office)
    assert s.page == stats.PageFigures(posts=1, failed=0, read=1, with_views=1, views=6735,
                                       reactions=120, comments=14, shares=203)
    assert s.channels == stats.ChannelFigures(
        complaints={"messenger": 1, "telegram": 1},
        starts={"telegram": 2, "messenger": 1},
        arrivals={"messenger": 1, "telegram": 1},
        joined={"telegram": 2},
        deliveries={"messenger": len(delivered), "telegram": 2},
        readers={"messenger": 1},
        materials={"messenger": 1},
        posts={"facebook": 1, "telegram": 1})
    assert len(delivered) > 5  # every message the Page sent her, in one receipt

    # /stats.
    await asyncio.sleep(3)
    await office.admin.send("/stats 2026-12-01 2026-12-31")
    shown = text_of(await expect(office.admin, "Статистик: 2026.12.01"))
    for line in ("📘 Facebook хуудас (Facebook-ийн мэдээллээр)",
                 "Хуудсанд нийтэлсэн: 1",
                 "👁 Үзсэн хүн: 6735 (1 нийтлэлийн, нийтлэл бүрийн давхардаагүй үзэгчийн нийлбэр)",
                 "Реакц: 120 · сэтгэгдэл: 14 · хуваалцсан: 203",
                 "Гомдол, санал, мэдээлэл: Messenger 1 · Telegram 1",
                 "Ботыг эхлүүлсэн: Telegram 2 · Messenger 1",
                 "QR код, холбоосоор анх ирсэн: Messenger 1 · Telegram 1",
                 f"утсанд хүрсэн мессеж): Messenger {len(delivered)} · Telegram 2",
                 "Уншсан хүн, өдөр бүр нэг удаа: Messenger 1",
                 "Хүсэлтээр илгээсэн материал: Messenger 1",
                 "Нийтлэл: Facebook хуудас 1 · Telegram 1",
                 "🔀 Суваг бүрээр",
                 "Facebook хуудасны тоо бол Facebook-ийн өөрийн мэдээлэл"):
        assert line in shown, line

    # The export: the Page's sheet, the channel columns, the summary's sections traced.
    out = tmp_path / "dec.xlsx"
    await export(office.backend, dt.date(2026, 12, 1), dt.date(2026, 12, 31), "xlsx", out,
                 office.clock())
    book = _sheets(out)
    assert "Facebook хуудас" in book
    [row] = _table(book["Facebook хуудас"], "Түгээлт №")
    assert (row["Гарчиг"], row["Төлөв"], row["Хэлбэр"], row["Холбоос"],
            row["Үзсэн хүн (Facebook-ийн мэдээллээр)"], row["Реакц"], row["Сэтгэгдэл"],
            row["Хуваалцсан"]) == ("Авлигагүй үйлчилгээ", "нийтэлсэн", "холбоос",
                                   f"https://www.facebook.com/{post.id}", 6735, 120, 14, 203)
    [sent] = [p for p in _table(book["Нийтлэл"], "Түгээлт №") if p["Түгээлт №"]]
    assert (sent["Хүргэгдсэн"], sent["Facebook хуудас"]) == (
        2, f"https://www.facebook.com/{post.id}")
    [source] = _table(book["Эх сурвалж"], "Нэр")
    assert (source["Ирсэн хүн"], source["Telegram-аар"], source["Messenger-ээр"]) == (2, 1, 1)
    channels = {r["Суваг"] for r in _table(book["Өргөдөл, гомдол"], "Дугаар")}
    assert channels == {"telegram", "messenger"}
    f = {f"{r['Хэсэг']}/{r['Үзүүлэлт']}": (r["Тоо"], r["Хаанаас тоолсон"])
         for r in _table(book["Хураангуй"], "Хэсэг")}
    page_section = "Facebook хуудас (Facebook-ийн мэдээллээр)"
    assert f[f"{page_section}/Үзсэн хүн"][0] == 6735 == row["Үзсэн хүн (Facebook-ийн мэдээллээр)"]
    assert f[f"{page_section}/Хуваалцсан"][0] == 203
    assert f[f"{page_section}/Хуудсанд нийтэлсэн"][0] == 1
    assert f["Суваг бүрээр/Хүргэлт: Messenger"][0] == len(delivered)
    assert f["Суваг бүрээр/Хүргэлт: Telegram"][0] == sent["Хүргэгдсэн"] == 2
    assert f["Суваг бүрээр/Эх сурвалжаар анх ирсэн: Messenger"][0] == source["Messenger-ээр"] == 1
    assert f["Суваг бүрээр/Өргөдөл, гомдол: Messenger"] == (
        1, "«Өргөдөл, гомдол» хуудасны «Суваг» нь Messenger мөрүүд")
    assert f["Суваг бүрээр/Нийтлэл: Facebook хуудас"][0] == 1
    assert all(trace for _, trace in f.values())

    # The report: the outreach paragraph of 1.1 says what Facebook reports, as Facebook's.
    report = await compose(office.backend, load_plans(office.settings.content_dir), 2026,
                           None, office.clock())
    [row_11] = [r for g in report.goals for r in g.rows if r.measure.no == "1.1"]
    prose = " ".join(row_11.paragraphs)
    assert (f"Facebook хуудсанд 1 мэдээ нийтэлж, Facebook-ийн мэдээллээр "
            f"{number('mn', 6735)} хүн үзсэн, 203 удаа хуваалцсан.") in prose
    assert "Facebook хуудасны нийтлэлүүд 120 реакц, 14 сэтгэгдэл авсан." in prose
    assert "6\u00a0735 хүн үзсэн" in prose


def _sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    import openpyxl

    book = openpyxl.load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def _table(rows: list[tuple[Any, ...]], header: str) -> list[dict[str, Any]]:
    start = next(i for i, r in enumerate(rows) if r[0] == header)
    names = rows[start]
    return [dict(zip(names, r, strict=True)) for r in rows[start + 1:]]


async def test_a_small_pages_posts_are_counted_and_their_views_left_out(
        office: Office, graph: FakeGraph) -> None:
    from bot.core import stats
    from bot.report.compose import page_prose

    graph.page_likes = 12
    citizen = await _subscriber(office)
    await _published_now(office, citizen)
    graph.posts[0].shares = 4
    office.advance(days=1)
    await _run(office, "page-figures")
    s = await _month(office)
    assert s.page == stats.PageFigures(posts=1, failed=0, read=1, with_views=0, views=0,
                                       reactions=0, comments=0, shares=4)
    assert page_prose("mn", s.page) == [
        "Facebook хуудсанд 1 мэдээ нийтэлж, Facebook-ийн мэдээллээр 4 удаа хуваалцсан."]
    await asyncio.sleep(2)
    await office.admin.send("/stats 2026-12-01 2026-12-31")
    shown = text_of(await expect(office.admin, "Статистик: 2026.12.01"))
    assert "1 нийтлэлийн үзсэн хүний тоог Facebook өгөөгүй" in shown
    assert "👁" not in shown


async def test_the_channel_counts_run_along_the_events_index(tmp_path: Path) -> None:
    """The by-channel figures read each event name's range of `events_by_name_day`."""
    from bot.config import Settings
    from bot.core import stats
    from bot.core.backend import open_backend
    from bot.storage import stats_queries as sq

    now = dt.datetime(2026, 12, 20, 2, 0, tzinfo=dt.UTC)
    backend = await open_backend(Settings(data_dir=tmp_path, receipt_scrypt_n=2**8), now)
    seen: list[tuple[str, Any]] = []

    class Spy:
        def __init__(self, conn: Any) -> None:
            self.conn = conn

        def execute(self, sql: str, params: Any = ()) -> Any:
            seen.append((sql, params))
            return self.conn.execute(sql, params)

    try:
        async with sq.reader(backend.db) as conn:
            spy: Any = Spy(conn)
            year = stats.Period.year(2026)
            params = stats._params(backend, year, stats.Selector())
            outreach = await stats._outreach(conn, params, stats.Selector())
            complaints = await stats._complaints(conn, "2026-01-01", "2026-12-31", "2026-12-20")
            page = await stats._page(spy, params)
            await stats._channels(spy, "2026-01-01", "2026-12-31", outreach, complaints, page)
            plans = []
            for sql, values in seen:
                async with conn.execute(f"EXPLAIN QUERY PLAN {sql}", values) as cur:
                    plans.append((sql, "\n".join(str(r[3]) for r in await cur.fetchall())))
    finally:
        await backend.close()
    assert len(plans) == 4
    for sql, steps in plans:
        if "FROM events" in sql:
            assert "events_by_name_day" in steps, (sql, steps)


async def test_a_duplicate_is_not_retried_and_staff_are_asked_to_look(
        office: Office, graph: FakeGraph) -> None:
    citizen = await _subscriber(office)
    graph.fail_next("photos", 506)  # "Duplicate post": perhaps there from an answer lost
    await _published_now(office, citizen)
    office.advance(minutes=5)
    await _run(office, "page-posts")
    assert len(graph.calls_to("photos")) == 1 and graph.posts == []
    assert [(r["status"], r["error"]) for r in _rows(office, "SELECT * FROM page_posts")] == [
        ("failed", "duplicate")]
    [told] = _staff_told(office, "давхар нийтлэл")
    assert "хуудсанд аль хэдийн гарсан байж магадгүй" in told
