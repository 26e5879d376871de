"""The pacer, on a fake clock: Telegram's rates, groups per minute, replies first, 429 holds."""

from __future__ import annotations

import asyncio

from bot.core.pacing import Pacer, PaceRules, Priority


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def pacer(time: FakeTime, **rules: float) -> Pacer:
    return Pacer(PaceRules(**rules), clock=time.clock, sleep=time.sleep)  # type: ignore[arg-type]


async def test_overall_rate_after_the_burst() -> None:
    time = FakeTime()
    p = pacer(time, per_second=30, burst=30)
    for n in range(90):
        await p.acquire(1000 + n)
    assert 1.9 <= time.now <= 2.1  # 30 at once, then 30 a second


async def test_a_group_gets_twenty_a_minute() -> None:
    time = FakeTime()
    p = pacer(time)
    for _ in range(25):
        await p.acquire(-100123)
    assert 14.9 <= time.now <= 15.1  # 20 at once, then one every 3 s
    await p.acquire(555)  # a person is not held back by the group
    assert time.now <= 15.1


async def test_replies_go_before_waiting_broadcast_sends() -> None:
    # Real time (a few hundredths of a second): the order among concurrent waiters is the point.
    p = Pacer(PaceRules(per_second=50, burst=1))
    order: list[str] = []

    async def send(name: str, chat: int, priority: Priority) -> None:
        await p.acquire(chat, priority)
        order.append(name)

    broadcast = [asyncio.create_task(send(f"b{i}", 100 + i, Priority.BROADCAST))
                 for i in range(5)]
    await asyncio.sleep(0.001)  # the broadcast is queued first, and took the one free token
    replies = [asyncio.create_task(send(f"r{i}", 200 + i, Priority.REPLY)) for i in range(3)]
    await asyncio.gather(*broadcast, *replies)
    assert order[0] == "b0"
    assert sorted(order[1:4]) == ["r0", "r1", "r2"]  # every reply before the rest of it
    assert sorted(order[4:]) == ["b1", "b2", "b3", "b4"]


async def test_a_429_holds_only_that_chat() -> None:
    time = FakeTime()
    p = pacer(time)
    p.block(42, 5.0)
    await p.acquire(43)
    assert time.now == 0.0
    await p.acquire(42)
    assert time.now >= 5.0


async def test_a_reply_held_by_its_own_chat_does_not_hold_up_broadcasts() -> None:
    p = Pacer(PaceRules(per_second=30, burst=30))  # real time, fractions of a second
    p.block(7, 0.5)  # a citizen's chat got a 429
    reply = asyncio.create_task(p.acquire(7, Priority.REPLY))
    await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await p.acquire(8, Priority.BROADCAST)  # a shared token is free: the broadcast goes on
    assert loop.time() - started < 0.1
    await reply


async def test_a_broadcast_leaves_a_reserve_that_replies_use_at_once() -> None:
    time = FakeTime()
    p = pacer(time, per_second=30, burst=30)  # the reserve: 27, all but a tenth of a second
    for n in range(3):  # a full bucket: the broadcast takes what is above the reserve
        await p.acquire(1000 + n, Priority.BROADCAST)
    assert time.now == 0.0
    await p.acquire(1003, Priority.BROADCAST)  # then only what the bucket gains
    assert time.now > 0.0
    held = time.now
    for n in range(27):  # 27 citizens answered without waiting for anything
        await p.acquire(3000 + n)
    assert time.now == held
    await p.acquire(4000)  # the next waits like any send
    assert time.now > held


async def test_a_smaller_reserve_lets_a_broadcast_burst() -> None:
    time = FakeTime()
    p = pacer(time, per_second=30, burst=30, reply_reserve=10)
    for n in range(20):
        await p.acquire(1000 + n, Priority.BROADCAST)
    assert time.now == 0.0
    await p.acquire(2000, Priority.BROADCAST)
    assert time.now > 0.0


async def test_a_long_broadcast_still_gets_the_whole_rate() -> None:
    time = FakeTime()
    p = pacer(time, per_second=30, burst=30)
    for n in range(303):
        await p.acquire(1000 + n, Priority.BROADCAST)
    assert 9.9 <= time.now <= 10.1  # 3 at once, then 30 a second: the reserve costs no rate


async def test_paid_sends_have_their_own_budget_and_replies_keep_thirty() -> None:
    time = FakeTime()
    p = pacer(time, per_second=30, burst=30, paid_per_second=1000)
    for n in range(3000):  # a paid broadcast: 1,000 at once, then 1,000 a second
        await p.acquire(1000 + n, Priority.BROADCAST, paid=True)
    assert 1.9 <= time.now <= 2.1
    held = time.now
    for n in range(30):  # replies were not spent by it: a full 30 at once
        await p.acquire(9000 + n)
    assert time.now == held
    for n in range(30):  # and then Telegram's 30 a second, not 1,000
        await p.acquire(9500 + n)
    assert time.now - held >= 0.9


async def test_without_paid_broadcasts_a_paid_flag_changes_nothing() -> None:
    time = FakeTime()
    p = pacer(time, per_second=30, burst=30)
    for n in range(63):
        await p.acquire(1000 + n, Priority.BROADCAST, paid=True)
    assert 1.9 <= time.now <= 2.1  # 3 at once above the reserve, then 30 a second
