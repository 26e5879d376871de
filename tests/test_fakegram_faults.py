"""Chaos mode of the fake Bot API: 502 pages, dropped connections and late answers, via PTB.

Each test runs over PTB's own httpx layer and over the bot's aiohttp one (`bot.tg.request`):
both must turn the same faults into the same PTB errors.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.fakegram import FakeTelegram
from bot.tg.request import AiohttpRequest

LAYERS: dict[str, type[BaseRequest]] = {"httpx": HTTPXRequest, "aiohttp": AiohttpRequest}


@pytest.fixture(params=sorted(LAYERS))
def layer(request: pytest.FixtureRequest) -> type[BaseRequest]:
    return LAYERS[request.param]


@pytest.fixture(autouse=True)
def _timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=None) as server:
        yield server


def make_bot(fake: FakeTelegram, layer: type[BaseRequest], read_timeout: float = 5.0) -> Bot:
    return Bot(
        fake.token,
        base_url=f"{fake.url}/bot",
        base_file_url=f"{fake.url}/file/bot",
        request=layer(read_timeout=read_timeout),  # type: ignore[call-arg]
    )


@pytest.fixture
async def bot(fake: FakeTelegram, layer: type[BaseRequest]) -> AsyncIterator[Bot]:
    async with make_bot(fake, layer) as client:
        yield client


async def test_bad_gateway_is_an_html_page_and_a_network_error(
    fake: FakeTelegram, bot: Bot
) -> None:
    alice = fake.user()
    fake.chaos(error_rate=1.0)
    with pytest.raises(NetworkError, match=r"Bad Gateway \(502\)") as raised:
        await bot.send_message(alice.id, "a")
    assert "nginx" in str(raised.value)  # PTB quotes the unparsable body
    assert alice.messages() == []
    [call] = fake.calls_to("sendMessage")
    assert (call.ok, call.fault, call.answered) == (False, "bad_gateway", True)
    assert call.error is not None and call.error.error_code == 502
    assert fake.deliveries() == []
    assert fake.chaos_stats["bad_gateway"] == 1


async def test_dropped_after_action_delivers_but_the_bot_never_knows(
    fake: FakeTelegram, bot: Bot
) -> None:
    alice = fake.user()
    fake.chaos(drop_rate=1.0)  # drop_after_action=True by default: the dangerous case
    with pytest.raises(NetworkError, match="disconnected"):
        await bot.send_message(alice.id, "Таны өргөдөл бүртгэгдлээ")
    assert alice.texts() == ["Таны өргөдөл бүртгэгдлээ"]
    [call] = fake.deliveries()
    assert (call.ok, call.fault, call.answered) == (True, "dropped_after_action", False)


async def test_dropped_before_action_delivers_nothing(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user()
    fake.chaos(drop_rate=1.0, drop_after_action=False)
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "a")
    assert alice.messages() == []
    [call] = fake.calls_to("sendMessage")
    assert (call.ok, call.fault, call.answered) == (False, "dropped_before_action", False)
    assert fake.chaos_stats["dropped_before_action"] == 1


async def test_a_late_answer_times_out_although_the_message_was_delivered(
    fake: FakeTelegram, layer: type[BaseRequest]
) -> None:
    alice = fake.user()
    fake.chaos(delay_rate=1.0, delay=0.4, methods={"sendMessage"})  # not getMe at start-up
    async with make_bot(fake, layer, read_timeout=0.1) as impatient:
        with pytest.raises(TimedOut):
            await impatient.send_message(alice.id, "a")
    assert alice.texts() == ["a"]
    for _ in range(300):  # the server notices the closed connection a moment later
        if fake.chaos_stats["delayed_abandoned"]:
            break
        await asyncio.sleep(0.01)
    assert fake.chaos_stats["delayed_abandoned"] == 1
    [call] = fake.deliveries()
    assert (call.fault, call.answered) == ("delayed", False)

    async with make_bot(fake, layer, read_timeout=3.0) as patient:  # waits long enough
        message = await patient.send_message(alice.id, "b")
    assert message.text == "b"
    assert fake.calls_to("sendMessage")[-1].answered


async def test_polling_is_spared_and_calm_switches_chaos_off(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user()
    fake.chaos(error_rate=1.0)
    await alice.send("/start")
    [update] = await bot.get_updates()  # getUpdates is excluded by default
    assert update.message is not None
    fake.calm()
    await bot.send_message(alice.id, "a")
    assert fake.chaos_stats["calls"] == 0  # getUpdates was never rolled; the send came after
    fake.chaos(None)  # the other way to switch it off


async def test_chaos_only_touches_the_methods_named(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user()
    fake.chaos(error_rate=1.0, methods={"sendPhoto"})
    await bot.send_message(alice.id, "a")
    with pytest.raises(NetworkError):
        await bot.send_photo(alice.id, b"jpeg")
    assert fake.chaos_stats == {
        "calls": 1,
        "bad_gateway": 1,
        "dropped_before_action": 0,
        "dropped_after_action": 0,
        "delayed": 0,
        "delayed_abandoned": 0,
    }


async def _faults_for(seed: int, layer: type[BaseRequest]) -> list[str | None]:
    async with FakeTelegram(limits=None) as fake:
        alice = fake.user()
        async with make_bot(fake, layer) as client:
            fake.chaos(error_rate=0.2, drop_rate=0.2, drop_after_action=0.5, seed=seed)
            for index in range(30):
                with contextlib.suppress(NetworkError):
                    await client.send_message(alice.id, str(index))
        return [call.fault for call in fake.calls_to("sendMessage")]


async def test_chaos_is_deterministic_under_a_seed(layer: type[BaseRequest]) -> None:
    first, again = await _faults_for(1, layer), await _faults_for(1, layer)
    other = await _faults_for(2, layer)
    assert first == again
    assert first != other
    assert {"bad_gateway", "dropped_before_action", "dropped_after_action", None} <= set(first)


async def test_counting_duplicates_of_a_naive_retrying_sender(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user()
    fake.chaos(error_rate=0.1, drop_rate=0.2, seed=7)
    intended = [f"мэдэгдэл {index}" for index in range(40)]
    for text in intended:
        for _attempt in range(10):  # retries on every network error: double-sends
            try:
                await bot.send_message(alice.id, text)
                break
            except NetworkError:
                continue
    delivered = Counter(call.result["text"] for call in fake.deliveries(chat_id=alice.id))
    duplicates = sum(delivered.values()) - len(intended)
    assert set(delivered) == set(intended)
    assert duplicates == fake.chaos_stats["dropped_after_action"] > 0
    assert len(alice.messages()) == len(intended) + duplicates


def test_chaos_arguments_are_checked() -> None:
    fake = FakeTelegram()
    with pytest.raises(ValueError, match="between 0 and 1"):
        fake.chaos(error_rate=1.5)
    with pytest.raises(ValueError, match="must not exceed 1"):
        fake.chaos(error_rate=0.6, drop_rate=0.6)
