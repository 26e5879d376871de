"""The bot's aiohttp layer for PTB (`bot.tg.request`) sends what PTB's httpx layer sends.

Faults (502 pages, dropped connections, late answers) are in test_fakegram_faults.py, over
both layers; here: every kind of body, long polling, and a closed or unopened layer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMediaPhoto
from telegram.error import NetworkError
from telegram.request import BaseRequest, HTTPXRequest

from bot.fakegram import FakeTelegram
from bot.tg.request import AiohttpRequest

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=None) as server:
        yield server


def _bot(fake: FakeTelegram, request: BaseRequest) -> Bot:
    return Bot(fake.token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot",
               request=request)


async def _exchange(fake: FakeTelegram, request: BaseRequest) -> list[dict[str, object]]:
    """The same calls through one layer; what the fake recorded of each."""
    alice = fake.user(first_name="Болд")
    yes = InlineKeyboardMarkup([[InlineKeyboardButton("Тийм ✅", callback_data="y")]])
    async with _bot(fake, request) as bot:
        await bot.send_message(alice.id, "<b>Өргөдөл</b> хүлээн авлаа: Үүрийн Өөдрөг",
                               parse_mode="HTML", reply_markup=yes)
        await bot.send_document(alice.id, InputFile(b"%PDF-1.4 handbook",
                                                    filename="Гарын авлага.pdf"),
                                caption="Авлигын эсрэг гарын авлага")
        await bot.send_media_group(alice.id, [InputMediaPhoto(PNG), InputMediaPhoto(PNG)])
        await bot.get_me()  # no parameters at all
    return [
        {"method": call.method, "ok": call.ok, "result": call.result}
        for call in fake.calls if call.method != "getMe"
    ]


def _shape(calls: list[dict[str, object]]) -> list[object]:
    """What must be equal between layers (file ids and dates differ between runs)."""
    shaped: list[object] = []
    for call in calls:
        result = call["result"]
        items = result if isinstance(result, list) else [result]
        shaped.append((call["method"], call["ok"], [
            (item.get("text"), item.get("caption"), item.get("reply_markup"),
             (item.get("document") or {}).get("file_name"), "photo" in item)
            for item in items if isinstance(item, dict)]))
    return shaped


async def test_the_same_requests_arrive_as_through_httpx() -> None:
    async with FakeTelegram(limits=None) as fake:
        theirs = await _exchange(fake, HTTPXRequest())
    async with FakeTelegram(limits=None) as fake:
        ours = await _exchange(fake, AiohttpRequest())
    assert _shape(ours) == _shape(theirs)
    message, document, album = _shape(ours)
    assert message[2][0][0] == "Өргөдөл хүлээн авлаа: Үүрийн Өөдрөг"  # type: ignore[index]
    assert document[2][0][3] == "Гарын авлага.pdf"  # type: ignore[index]  # raw UTF-8 name
    assert [item[4] for item in album[2]] == [True, True]  # type: ignore[index]


async def test_long_polling_waits_longer_than_the_read_timeout(fake: FakeTelegram) -> None:
    alice = fake.user()
    # PTB adds the poll's own timeout to the read timeout: a 0.2 s read timeout must not cut
    # off a poll that Telegram holds open until a message comes 0.6 s later.
    async with _bot(fake, AiohttpRequest(read_timeout=0.2)) as bot:
        assert await bot.get_updates(timeout=0) == ()
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.6)
        assert not poll.done()
        await alice.send("Сайн байна уу")
        [update] = await asyncio.wait_for(poll, 3)
    assert update.message is not None and update.message.text == "Сайн байна уу"


async def test_a_layer_must_be_open(fake: FakeTelegram) -> None:
    request = AiohttpRequest()
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps it
        await request.post(f"{fake.url}/bot{fake.token}/getMe")
    await request.initialize()
    status, body = await request.do_request(f"{fake.url}/bot{fake.token}/getMe", "POST")
    assert status == 200 and b'"ok":true' in body.replace(b" ", b"")
    await request.shutdown()
    await request.shutdown()  # twice is harmless, as with PTB's own layer
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{fake.url}/bot{fake.token}/getMe", "POST")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/bot123:SECRET-TOKEN/getMe",  # nothing listens on port 9 here
    "http:///bot123:SECRET-TOKEN/getMe",  # aiohttp quotes a URL it cannot use in full
])
async def test_a_failed_request_names_no_token(url: str) -> None:
    request = AiohttpRequest(connect_timeout=2.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(url)
    finally:
        await request.shutdown()
    assert "SECRET-TOKEN" not in str(raised.value)
    assert "aiohttp." in str(raised.value)


async def test_a_slow_upload_is_given_time_a_hung_one_is_not() -> None:
    """aiohttp has no write timeout: the bound on a whole request grows with its upload."""

    async def read_slowly(request: web.Request) -> web.Response:
        received = 0
        while chunk := await request.content.read(65536):
            received += len(chunk)
            await asyncio.sleep(0.01)  # about 6 MB a second: 20 MB take 3 s
        return web.json_response({"ok": True, "result": received})

    async def get_me(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {
            "id": 1, "is_bot": True, "first_name": "Bot", "username": "bot"}})

    server = web.Application(client_max_size=64 * 2**20)
    server.router.add_post("/bot1:T/getMe", get_me)
    server.router.add_post("/bot1:T/senddocument", read_slowly)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    # Without the allowance the request as a whole would be cut at 0.1 × 3 + 2 = 2.3 s.
    request = AiohttpRequest(read_timeout=2.0, write_timeout=0.1, connect_timeout=0.1,
                             pool_timeout=0.1, media_write_timeout=0.1)
    try:
        async with Bot("1:T", base_url=f"http://127.0.0.1:{port}/bot", request=request) as bot:
            started = asyncio.get_running_loop().time()
            received = await bot.do_api_request(
                "senddocument", api_kwargs={"chat_id": 1, "document": InputFile(
                    b"x" * 20_000_000, filename="video.mp4")})
            took = asyncio.get_running_loop().time() - started
    finally:
        await runner.cleanup()
    assert received > 20_000_000  # the file and its multipart framing all arrived
    assert took > 2.3
