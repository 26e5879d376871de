"""The sandbox in a real headless Chromium: a citizen files a complaint, staff reply, she reads it;
another files one in Messenger.

Everything goes through the page, as a person would use it: the reply keyboard, inline buttons,
the text field, switching persona in the chat list; in Messenger Get Started, the persistent
menu, quick replies, a photo attached, the phone-number quick reply and a button template.
Screenshots go to the test's temporary folder; `UPDATE_SCREENSHOTS=1` writes them to
docs/screenshots/ (``sandbox-*.png``) for the README instead.

Needs Debian's `chromium` and the `playwright` package (never `playwright install`); the test
is skipped, saying which one is missing, when either is absent.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.fakegram import FakeTelegram
from bot.sandbox.demo import Sandbox
from bot.sandbox.web import DEMO_PHONE, Persona, build_web

CHROMIUM = shutil.which("chromium")
try:
    from playwright.async_api import Locator, Page, async_playwright, expect
except ImportError:  # pragma: no cover - CI has it
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)
if CHROMIUM is None:  # pragma: no cover - CI has it
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                allow_module_level=True)

README_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def screenshots(tmp_path: Path) -> Path:
    """Where this run's screenshots go (the README's only when asked, to keep diffs quiet)."""
    folder = README_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RECEIPT = re.compile(r"\b(\d{4} \d{4} \d{4} \d{4})\b")
DESCRIPTION = "Сумын газрын даамал газар олгохдоо 500 000 ₮ авсан гэж сонссон. Өчигдөр."
M_DESCRIPTION = ("Сумын эмнэлэгт эмч үзлэгийн өмнө «талархал» гэж 50 000 ₮ нэхсэн. "
                 "Өчигдөр, 14 цагт. Зургийг хавсаргав.")
REPLY = "Таны гомдлыг хүлээн авч, сумын Засаг даргад шилжүүлж шалгуулав. Баярлалаа."
WAIT_MS = 10_000
JSON = dict[str, Any]


def exact(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def bot_message(page: Page, needle: str) -> Locator:
    """The newest of the bot's messages containing `needle`."""
    return page.locator(".msg.bot").filter(has_text=needle).last


async def press(page: Page, label: str) -> None:
    """Click the newest inline button with exactly this label."""
    button = page.locator("button.ikb").filter(has_text=exact(label)).last
    await button.click(timeout=WAIT_MS)


async def send(page: Page, text: str) -> None:
    field = page.locator("#composer-text")
    await field.fill(text)
    await field.press("Enter")
    await expect(page.locator(".msg.own").filter(has_text=text).last).to_be_visible()


async def open_chat(page: Page, key: str) -> None:
    await page.locator(f'.chat-item[data-chat="{key}"]').click()
    await expect(page.locator(f'.chat-item[data-chat="{key}"]')).to_have_attribute(
        "aria-current", "true"
    )


async def test_a_complaint_and_its_answer_through_the_page(tmp_path: Path) -> None:
    shots = screenshots(tmp_path)
    sandbox = Sandbox(tmp_path / "data", seed=False)
    await sandbox.start()
    problems: list[str] = []
    try:
        assert sandbox.url.startswith("http://127.0.0.1:")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 800})
                watch(page, problems)
                await page.goto(sandbox.url + "#saraa")
                await expect(page.locator("body")).to_have_attribute("data-ready", "true")
                await expect(page.locator(".banner")).to_contain_text(
                    "Туршилтын орчин — энд юу ч Telegram, Facebook руу явахгүй"
                )
                receipt = await citizen_files_a_complaint(page, shots)
                await staff_replies(page, shots)
                await citizen_reads_the_answer(page, receipt)
                await messenger_citizen_files_a_complaint(page, shots)
                await phone_view(browser, sandbox.url, shots)
            finally:
                await browser.close()
    finally:
        await sandbox.stop()
    assert problems == []


def watch(page: Page, problems: list[str]) -> None:
    """Collect script errors and failed requests: the page must work without either."""

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", on_console)


async def citizen_files_a_complaint(page: Page, shots: Path) -> str:
    await page.locator("#start-btn").click()
    await expect(bot_message(page, "Сайн байна уу")).to_be_visible()
    await page.locator("button.rkb").filter(has_text="Гомдол, санал илгээх (110)").click()
    await expect(bot_message(page, "Юу илгээх вэ")).to_be_visible()
    await press(page, "😠 Гомдол")
    await press(page, "🤷 Мэдэхгүй байна")
    await expect(bot_message(page, "Юу болсныг бичнэ үү")).to_be_visible()
    await send(page, DESCRIPTION)
    await expect(bot_message(page, "Хүлээн авлаа")).to_be_visible()
    await press(page, "✅ Дууслаа")
    await press(page, "🕶 Нэрээ нууцлах (зөвлөмж)")
    preview = bot_message(page, "Илгээхээс өмнө шалгана уу")
    await expect(preview).to_contain_text(DESCRIPTION)
    await expect(preview.locator("button.ikb").filter(has_text=exact("✅ Илгээх"))).to_be_visible()
    await page.screenshot(path=shots / "sandbox-citizen-complaint.png")
    await press(page, "✅ Илгээх")
    receipt_message = bot_message(page, "Баримтын дугаар")
    await expect(receipt_message).to_contain_text(RECEIPT)
    found = RECEIPT.search(await receipt_message.inner_text())
    assert found is not None
    await expect(receipt_message.locator("code")).to_have_text(found.group(1))  # formatting
    await page.screenshot(path=shots / "sandbox-receipt.png")
    await press(page, "Үгүй, баярлалаа")
    await expect(bot_message(page, "холбоосыг хадгалахгүй")).to_be_visible()
    return found.group(1)


async def staff_replies(page: Page, shots: Path) -> None:
    # The staff group was told about the case, without its content.
    await open_chat(page, "staff-group")
    notice = bot_message(page, "№1")
    await expect(notice).to_be_visible()
    await expect(notice).not_to_contain_text("даамал")
    await open_chat(page, "admin")
    await send(page, "/case 1")
    await expect(bot_message(page, DESCRIPTION[:30])).to_be_visible()
    actions = bot_message(page, "№1 хэргийн үйлдлүүд")
    await expect(actions.locator("button.ikb")).not_to_have_count(0)
    await page.locator("#log-toggle").click()
    await expect(page.locator("#log-list .call-method").filter(has_text="sendMessage").last
                 ).to_be_visible()
    await page.screenshot(path=shots / "sandbox-staff-case.png")
    await page.locator("#log-close").click()
    await press(page, "✉️ Иргэнд хариу бичих")
    await expect(bot_message(page, "хариугаа бичнэ үү")).to_be_visible()
    await send(page, REPLY)
    await expect(bot_message(page, "Байгууллагын хариу болгож")).to_be_visible()
    await press(page, "✅ Хариу болгож илгээх")
    await expect(bot_message(page, "хариу хадгалагдлаа")).to_be_visible()


async def citizen_reads_the_answer(page: Page, receipt: str) -> None:
    await open_chat(page, "saraa")
    await send(page, f"/status {receipt}")
    status = bot_message(page, "Хариу өгсөн")
    await expect(status).to_contain_text(REPLY)
    await expect(status).to_be_in_viewport()


def page_message(page: Page, needle: str) -> Locator:
    """The newest of the Page's Messenger messages containing `needle`."""
    return page.locator(".mmsg.page").filter(has_text=needle).last


async def tap(page: Page, label: str) -> None:
    """Tap a quick reply under the newest message."""
    await page.locator(".mqr-chip").filter(has_text=exact(label)).click(timeout=WAIT_MS)


async def messenger_citizen_files_a_complaint(page: Page, shots: Path) -> None:
    """Оюун, in Messenger: Get Started, the menu, quick replies, a photo, her phone, Send."""
    await open_chat(page, "oyun")
    welcome = page.locator(".mwelcome")
    await expect(welcome).to_contain_text("Facebook хуудас")
    await expect(welcome.locator(".mice")).to_have_count(4)  # the ice breakers
    await page.locator("#start-btn").click()  # Get Started
    await expect(page.locator(".mmsg.own").last).to_have_text("Get Started")
    await expect(page_message(page, "Сайн байна уу")).to_be_visible()
    await expect(page.locator(".mqr-chip")).not_to_have_count(0)
    await page.locator("#menu-btn").click()  # the persistent menu
    await page.locator(".mmenu .command").filter(has_text="Гомдол илгээх").click()
    kinds = page_message(page, "Юу илгээх вэ")
    await expect(kinds).to_be_visible()
    offered = await kinds.get_attribute("data-id")
    await expect(page.locator(".mqr")).to_have_count(1)  # under the newest message only
    await tap(page, "😠 Гомдол")
    await expect(page.locator(f'.mqr[data-for="{offered}"]')).to_have_count(0)  # gone once used
    await expect(page_message(page, "Хэнд хамаарах вэ")).to_be_visible()
    await tap(page, "🤷 Мэдэхгүй байна")
    await expect(page_message(page, "Юу болсныг бичнэ үү")).to_be_visible()
    field = page.locator("#composer-text")
    await field.fill(M_DESCRIPTION)
    await field.press("Enter")
    await expect(page.locator(".mmsg.own .mbubble").filter(has_text=M_DESCRIPTION)).to_be_visible()
    await expect(page_message(page, "0/10 файл")).to_be_visible()
    await page.locator("#file-input").set_input_files(
        files=[{"name": "баримт.png", "mimeType": "image/png", "buffer": png(240, 160)}]
    )
    await page.locator("#send").click()
    photo = page.locator(".mmsg.own .mmedia img").last
    await expect(photo).to_have_js_property("naturalWidth", 240)  # served by the page's origin
    await expect(page_message(page, "1/10 файл")).to_be_visible()
    await tap(page, "✅ Дууслаа")
    await tap(page, "🪪 Нэр, утсаа өгөх")
    await expect(page_message(page, "Овог, нэрээ")).to_be_visible()
    await field.fill("Оюун Батболд")
    await field.press("Enter")
    await expect(page_message(page, "утасны дугаараа")).to_be_visible()
    phone = page.locator(".mqr-chip").filter(has_text=DEMO_PHONE)  # Messenger's phone reply
    await expect(phone).to_be_visible()
    await page.screenshot(path=shots / "sandbox-messenger.png")
    await phone.click()
    template = page.locator(".mtpl").filter(has_text="Илгээх үү").last
    await expect(page_message(page, "Илгээхээс өмнө шалгана уу")).to_contain_text(DEMO_PHONE)
    await template.locator(".mtpl-btn").filter(has_text=exact("✅ Илгээх")).click()
    receipt = page.locator(".mmsg.page").filter(has_text=RECEIPT).last
    await expect(receipt).to_contain_text("Баримтын дугаар:")
    offer = page.locator(".mtpl").filter(has_text="Хариу ирэхэд мэдэгдэх үү").last
    await expect(offer.locator(".mtpl-btn")).to_have_count(2)
    await page.locator("#log-toggle").click()
    graph_call = page.locator("#log-list .call.api-graph").filter(has_text="Баримтын дугаар:")
    await expect(graph_call).to_be_visible()
    await expect(page.locator("#log-list .call.api-webhook").last).to_be_visible()
    await page.screenshot(path=shots / "sandbox-messenger-receipt.png")
    await page.locator("#log-close").click()
    await offer.locator(".mtpl-btn").filter(has_text="Үгүй, баярлалаа").click()
    await expect(page_message(page, "холбоосыг хадгалахгүй")).to_be_visible()
    # The staff group on Telegram hears of the Messenger case as of any, without content.
    await open_chat(page, "staff-group")
    notice = bot_message(page, "№2")
    await expect(notice).to_be_visible()
    await expect(notice).not_to_contain_text("эмнэлэгт")


async def phone_view(browser: Any, url: str, shots: Path) -> None:
    """The same chat on a phone: the list or the chat, with a back button."""
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )
    try:
        page = await context.new_page()
        await page.goto(url)
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await expect(page.locator(".chat-list")).to_be_visible()
        await expect(page.locator(".chat")).to_be_hidden()
        await page.locator('.chat-item[data-chat="saraa"]').click()
        await expect(page.locator(".sidebar")).to_be_hidden()
        await expect(bot_message(page, "Хариу өгсөн")).to_contain_text(REPLY)
        await expect(page.locator("#back")).to_be_visible()
        await page.screenshot(path=shots / "sandbox-phone.png")
        await page.locator("#back").click()
        await expect(page.locator(".chat-list")).to_be_visible()
    finally:
        await context.close()


# --- what the page can show, driven from the bot's side by hand -------------------------------


def png(width: int, height: int) -> bytes:
    """A real PNG (a colour gradient), so the browser has something to draw."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 160)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class BotSide:
    """The fake and the web page without a bot: the test makes the bot's calls itself."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.fake = FakeTelegram(bot_name="Bot")
        self.http = http
        self.ann = self.fake.user(first_name="Анн")
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        await self.fake.start()
        personas = [Persona("ann", "Анн (иргэн)", "citizen", self.ann.chat, self.ann)]
        self.runner = web.AppRunner(build_web(self.fake, personas, bot_name="Bot"))
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        await self.fake.stop()

    async def call(self, method: str, files: dict[str, tuple[str, bytes]] | None = None,
                   **params: Any) -> Any:
        url = f"{self.fake.url}/bot{self.fake.token}/{method}"
        if files:
            form = aiohttp.FormData()
            for key, value in params.items():
                form.add_field(key, value if isinstance(value, str) else json.dumps(value))
            for key, (name, data) in files.items():
                form.add_field(key, data, filename=name)
            request = self.http.post(url, data=form)
        else:
            request = self.http.post(url, json=params)
        async with request as response:
            body = await response.json()
        assert body["ok"], body
        return body["result"]

    async def next_callback(self) -> Any:
        """The newest callback query, as the bot's getUpdates returns it."""
        for _ in range(250):
            updates = await self.call("getUpdates", timeout=0)
            queries = [u["callback_query"] for u in updates if "callback_query" in u]
            if queries:
                await self.call("getUpdates", offset=updates[-1]["update_id"] + 1, timeout=0)
                return queries[-1]
            await asyncio.sleep(0.02)
        raise AssertionError("the page sent no callback query")


async def test_formatting_media_buttons_and_live_changes(tmp_path: Path) -> None:
    problems: list[str] = []
    async with aiohttp.ClientSession() as http:
        side = BotSide(http)
        await side.start()
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    page = await browser.new_page(viewport={"width": 1100, "height": 900})
                    watch(page, problems)
                    await page.goto(side.url)
                    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
                    await formatting_from_entities(page, side)
                    await album_and_document(page, side, tmp_path)
                    await buttons_answers_edits_and_deletions(page, side)
                    await contact_and_photo_from_the_page(page, side)
                    await page.screenshot(path=tmp_path / "rich.png")
                finally:
                    await browser.close()
        finally:
            await side.stop()
    assert problems == []


async def formatting_from_entities(page: Page, side: BotSide) -> None:
    await side.call(
        "sendMessage", chat_id=side.ann.id, parse_mode="HTML",
        text="<b>Тод</b> <i>налуу</i> <u>доогуур</u> <s>дарсан</s> <code>код</code> "
        '<tg-spoiler>нууц</tg-spoiler> <a href="https://example.org/x">холбоос</a> '
        '<a href="javascript:alert(1)">муу</a> &lt;script&gt;alert(2)&lt;/script&gt;\n'
        '<pre><code class="language-python">print("сайн")</code></pre>',
    )
    text = page.locator(".msg.bot .text").last
    await expect(text.locator("strong")).to_have_text("Тод")
    await expect(text.locator("em")).to_have_text("налуу")
    await expect(text.locator("u")).to_have_text("доогуур")
    await expect(text.locator("s")).to_have_text("дарсан")
    await expect(text.locator(":scope > code")).to_have_text("код")
    await expect(text.locator("pre code.language-python")).to_have_text('print("сайн")')
    await expect(text.locator('a[href="https://example.org/x"]')).to_have_text("холбоос")
    await expect(text.locator("a")).to_have_count(1)  # no javascript: link
    await expect(text).to_contain_text("<script>alert(2)</script>")  # shown, not run
    await expect(page.locator(".messages script")).to_have_count(0)
    spoiler = text.locator(".spoiler")
    await expect(spoiler).not_to_have_class(re.compile("revealed"))
    await spoiler.click()
    await expect(spoiler).to_have_class(re.compile("revealed"))


async def album_and_document(page: Page, side: BotSide, tmp_path: Path) -> None:
    media: list[JSON] = [{"type": "photo", "media": f"attach://p{i}"} for i in range(3)]
    media[0]["caption"] = "Гурван зураг"
    photos = {f"p{i}": (f"p{i}.png", png(160 + 40 * i, 120)) for i in range(3)}
    await side.call("sendMediaGroup", files=photos, chat_id=str(side.ann.id), media=media)
    album = page.locator(".msg.bot").filter(has_text="Гурван зураг")
    await expect(album.locator(".media img")).to_have_count(3)  # one bubble
    await expect(page.locator(".msg.bot")).to_have_count(2)
    first = album.locator(".media img").first
    await expect(first).to_have_js_property("naturalWidth", 160)  # the bytes are served
    await side.call("sendDocument", files={"document": ("hariu.pdf", b"%PDF-1.4 demo")},
                    chat_id=str(side.ann.id), caption="Албан бичиг")
    link = page.locator(".msg.bot a.file").last
    await expect(link).to_contain_text("hariu.pdf")
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    assert download.suggested_filename == "hariu.pdf"
    saved = tmp_path / "download.pdf"
    await download.save_as(saved)
    assert saved.read_bytes() == b"%PDF-1.4 demo"


async def buttons_answers_edits_and_deletions(page: Page, side: BotSide) -> None:
    keyboard = {"inline_keyboard": [
        [{"text": "Асуух", "callback_data": "ask"},
         {"text": "Анхааруулга", "callback_data": "alert"}],
        [{"text": "Сайт", "url": "https://example.org/"}],
    ]}
    sent = await side.call("sendMessage", chat_id=side.ann.id, text="Товчнууд",
                           reply_markup=keyboard)
    await press(page, "Асуух")
    query = await side.next_callback()
    assert query["data"] == "ask" and query["message"]["message_id"] == sent["message_id"]
    await side.call("answerCallbackQuery", callback_query_id=query["id"], text="Хүлээн авлаа ✓")
    await expect(page.locator("#toast")).to_have_text("Хүлээн авлаа ✓")
    await press(page, "Анхааруулга")
    query = await side.next_callback()
    await side.call("answerCallbackQuery", callback_query_id=query["id"], text="Анхаар!",
                    show_alert=True)
    await expect(page.locator("#alert-dialog")).to_be_visible()
    await expect(page.locator("#alert-text")).to_have_text("Анхаар!")
    await page.locator("#alert-dialog button").click()
    await expect(page.locator("#alert-dialog")).to_be_hidden()
    site = page.locator("a.ikb").filter(has_text="Сайт")
    await expect(site).to_have_attribute("target", "_blank")
    await expect(site).to_have_attribute("href", "https://example.org/")

    await side.call("editMessageText", chat_id=side.ann.id, message_id=sent["message_id"],
                    text="Товчнууд (засав)")
    edited = page.locator(f'.msg[data-id="{sent["message_id"]}"]')
    await expect(edited).to_contain_text("Товчнууд (засав)")
    await expect(edited).to_contain_text("засварласан")
    await expect(edited.locator("button.ikb")).to_have_count(0)
    await side.call("deleteMessage", chat_id=side.ann.id, message_id=sent["message_id"])
    await expect(edited).to_have_count(0)


async def contact_and_photo_from_the_page(page: Page, side: BotSide) -> None:
    await side.call("sendMessage", chat_id=side.ann.id, text="Утсаа илгээнэ үү", reply_markup={
        "keyboard": [[{"text": "Утас илгээх", "request_contact": True}]],
        "resize_keyboard": True,
    })
    await page.locator("button.rkb").filter(has_text="Утас илгээх").click()
    await expect(page.locator("#contact-dialog")).to_be_visible()
    await page.locator("#contact-phone").fill("+976 8800 1122")
    await page.locator("#contact-share").click()
    await expect(page.locator(".msg.own .card")).to_contain_text("+97688001122")
    contact = side.ann.chat.history.all_messages()[-1].data["contact"]
    assert contact["user_id"] == side.ann.id

    await page.locator("#file-input").set_input_files(
        files=[{"name": "нотолгоо.png", "mimeType": "image/png", "buffer": png(64, 48)}]
    )
    await expect(page.locator(".chip")).to_contain_text("нотолгоо.png")
    await page.locator("#composer-text").fill("Зургийн тайлбар")
    await page.locator("#send").click()
    mine = page.locator(".msg.own").filter(has_text="Зургийн тайлбар")
    await expect(mine.locator(".media img")).to_have_count(1)
    photo = side.ann.chat.history.all_messages()[-1].data
    assert photo["caption"] == "Зургийн тайлбар"
    assert (photo["photo"][-1]["width"], photo["photo"][-1]["height"]) == (64, 48)
