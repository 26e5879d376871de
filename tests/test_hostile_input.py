"""Hostile and odd input: the bot never crashes, everyone gets an answer, others stay served.

Hypothesis makes the sequences: every kind of message at every step, huge and empty texts,
odd Unicode, forged callback data, unknown commands, floods from one user.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.fakegram import FakeUser
from tests.harness import Harness, begin_draft, expect, press, text_of

PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 200
ODD_TEXT = st.one_of(
    st.text(min_size=1, max_size=60),
    st.sampled_from(["‮evil‬", "\u200b", "Өө Үү ӨҮ", "🇲🇳" * 30, "<b>не</b> &amp; <", "\x00",
                     "а" * 4096, " ", "/", "/start@other_bot", "@ac110_bot hi"]),
).filter(lambda s: s.strip() != "" and "\x00" not in s)
COMMANDS = st.sampled_from(["/start", "/help", "/complain", "/status", "/status 12",
                            "/cancel", "/lang", "/privacy", "/inbox", "/case 1", "/staff",
                            "/audit", "/nonexistent", "/start ../../etc", "/myid"])
CALLBACKS = st.one_of(
    st.sampled_from(["c:kind:complaint", "c:kind:bribe", "c:og:soum:0", "c:og:soum:999",
                     "c:org:bogd", "c:org:../x", "c:done", "c:anon", "c:named", "c:send",
                     "c:edit", "c:e:kind", "c:cancel", "c:resume", "c:discard", "st:send",
                     "st:fu:1:AAAAAAAAAA", "n:1:AAAAAAAAAA", "n:no", "k:open:1",
                     "k:set:1:closed", "lang:en", "lang:mn", "lang:xx"]),
    st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=64),
)
Action = tuple[str, Any]
ACTIONS = st.one_of(
    st.tuples(st.just("text"), ODD_TEXT),
    st.tuples(st.just("text"), COMMANDS),
    st.tuples(st.just("press"), CALLBACKS),
    st.tuples(st.just("sticker"), st.none()),
    st.tuples(st.just("photo"), st.none()),
    st.tuples(st.just("location"), st.none()),
    st.tuples(st.just("contact"), st.none()),
    st.tuples(st.just("big_file"), st.none()),
)


async def _act(user: FakeUser, action: Action) -> None:
    kind, value = action
    perform: dict[str, Callable[[], Any]] = {
        "text": lambda: user.send(value),
        "press": lambda: user.press_data(value),
        "sticker": lambda: user.send_sticker(),
        "photo": lambda: user.send_photo(PNG),
        "location": lambda: user.send_location(46.19, 100.72),
        "contact": lambda: user.send_contact("+97699001122", first_name="Х", user_id=31337),
        "big_file": lambda: user.send_document(b"", file_name="big.mp4", mime_type="video/mp4",
                                               file_size=40_000_000),
    }
    await perform[kind]()


def _answered(user: FakeUser, before_messages: int, before_answers: int) -> bool:
    return len(user.messages()) > before_messages or len(user.callback_answers) > before_answers


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions=st.lists(ACTIONS, min_size=3, max_size=12))
async def test_any_sequence_of_input_gets_answers_and_never_a_crash(
    h: Harness, actions: list[Action], log_text: Callable[[], str]
) -> None:
    user = h.fake.user(first_name="Fuzz")
    await user.send("/start")
    await expect(user, "Сайн байна уу")
    for action in actions:
        messages, answers = len(user.messages()), len(user.callback_answers)
        await _act(user, action)
        deadline = time.monotonic() + 10
        while not _answered(user, messages, answers):
            assert time.monotonic() < deadline, f"no answer to {action!r}"
            await asyncio.sleep(0.02)
    await h.fake.wait_idle()
    assert "handler failed" not in log_text(), log_text()
    assert all(len(text_of(m)) <= 4096 for m in user.messages())


async def test_a_flood_from_one_user_does_not_slow_the_others(h: Harness) -> None:
    flooder = h.fake.user(first_name="Flood")
    calm = h.fake.user(first_name="Calm")
    await calm.send("/start")
    await expect(calm, "Сайн байна уу")
    for i in range(200):
        await flooder.send(f"spam {i}")
    started = time.monotonic()
    await calm.send("/help")
    await expect(calm, "Би юу хийж чадах вэ")
    assert time.monotonic() - started < 3.0
    await flooder.wait_for(lambda m: "хэт хурдан" in text_of(m), timeout=30)
    await h.fake.wait_idle(timeout=30)
    warnings = [t for t in flooder.texts() if "хэт хурдан" in t]
    assert len(warnings) == 1  # told once, not flooded back
    assert len(flooder.messages()) < 60  # the guard dropped most of the 200


async def test_a_busy_database_is_waited_for_and_nothing_is_lost(h: Harness) -> None:
    alice = h.fake.user()
    await begin_draft(alice)
    held = threading.Event()

    def hold_write_lock() -> None:
        conn = sqlite3.connect(h.settings.db_path, timeout=30)
        conn.execute("BEGIN IMMEDIATE")  # another process writing, say a backup tool
        held.set()
        time.sleep(2.0)
        conn.rollback()
        conn.close()

    locker = threading.Thread(target=hold_write_lock)
    locker.start()
    await asyncio.to_thread(held.wait)
    started = time.monotonic()
    await alice.send("Түгжээтэй үед илгээсэн тайлбар.")
    await expect(alice, "Хүлээн авлаа", timeout=20)
    assert time.monotonic() - started >= 1.0  # it waited for the lock, then wrote
    await asyncio.to_thread(locker.join)
    await press(alice, "✅ Дууслаа")
    await press(alice, "🕶 Нэрээ нууцлах (зөвлөмж)")
    preview = await expect(alice, "Илгээхээс өмнө шалгана уу")
    assert "Түгжээтэй үед илгээсэн тайлбар." in text_of(preview)
