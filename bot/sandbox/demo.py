"""`python -m bot demo`: the real bot, the fake Bot API and Graph API, and a web chat, on 127.0.0.1.

The bot runs exactly as in production with both channels on (`python -m bot run` with
Facebook set): Telegram through `BOT_API_URL`, Messenger through the `BOT_FB_*` settings,
all pointed at fakes in this process (`bot.fakegram`, `bot.fakegraph`) with the fakes'
tokens, so nothing can reach Telegram or Facebook. The sandbox makes its own settings:
whatever `BOT_*` variables the environment holds are not read. The Messenger webhook is
served beside Telegram in the same process (`running_with_messenger`), on a free loopback
port, and the fake Graph API posts signed events to it.

Demo data is made through the bot's own flows (people typing and pressing buttons, in
Telegram and Messenger), not inserted rows; two posts from the content library are
scheduled a few minutes ahead, so a broadcast to the subscribers can be watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import signal
import struct
import tempfile
import zlib
from pathlib import Path

from aiohttp import web

from bot.config import FacebookSettings, Secret, Settings
from bot.core import posts, schedule
from bot.core.backend import Backend
from bot.core.content import load_library
from bot.fakegram import FakeTelegram, FakeUser, Limits
from bot.fakegraph import FakeGraph
from bot.messenger.chat import label as messenger_label
from bot.messenger.serve import running_with_messenger
from bot.sandbox import script
from bot.sandbox.messenger import MessengerSide, Thread
from bot.sandbox.web import DEMO_PHONE, AnyPersona, MessengerPersona, Persona, build_web
from bot.tg.app import build_app, configure_logging
from bot.tg.common import App

log = logging.getLogger(__name__)

BOT_USERNAME = "ac110_demo_bot"
BOT_NAME = "110 — Шударга ёс (туршилт)"
LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8110
# Only the fake server knows this token; Telegram would refuse it.
SANDBOX_TOKEN = "424242:SANDBOX-not-a-real-token"  # noqa: S105
# The fake Graph API's Page and app: only the fake knows them.
PAGE_ID = "110110110110110"
PAGE_TOKEN = "EAA-SANDBOX-not-a-real-page-token"  # noqa: S105
APP_SECRET = "sandbox-app-secret"  # noqa: S105


class Sandbox:
    """The fake Telegram, the bot against it, and the web page, started and stopped together."""

    def __init__(
        self, data_dir: Path, *, host: str = LOOPBACK, port: int = 0, seed: bool = True
    ) -> None:
        if host not in (LOOPBACK, "localhost", "::1"):
            raise ValueError("the sandbox listens on loopback only")
        self.data_dir = data_dir
        self.host, self.port, self.seed = host, port, seed
        # People click at human pace; the fake still enforces Telegram's rates, with a
        # burst that lets the seeding script type fast.
        # Inline mode and its feedback on, as @BotFather's /setinline and /setinlinefeedback
        # must be for the Share button to work and be counted.
        self.fake = FakeTelegram(token=SANDBOX_TOKEN,
                                 bot_username=BOT_USERNAME, bot_name=BOT_NAME,
                                 limits=Limits(private_burst=30),
                                 supports_inline_queries=True, inline_feedback=True)
        self.graph = FakeGraph(page_id=PAGE_ID, page_token=PAGE_TOKEN, app_secret=APP_SECRET)
        self.messenger = MessengerSide(self.graph, BOT_NAME)
        self.personas: list[AnyPersona] = []
        self._stack = contextlib.AsyncExitStack()
        self._runner: web.AppRunner | None = None
        self.app: App | None = None
        self.url = ""
        self.webhook_url = ""

    async def start(self) -> None:
        """Start everything; with `seed`, make the demo data through the bot's own flows."""
        await self.fake.start()
        self._stack.push_async_callback(self.fake.stop)
        await self.graph.start()
        self._stack.push_async_callback(self.graph.stop)
        self._stack.callback(self.messenger.close)
        people = self._people()
        threads = self._messenger_people()
        verify = secrets.token_urlsafe(16)
        settings = Settings(
            token=Secret(self.fake.token), api_url=self.fake.url, data_dir=self.data_dir,
            admins=frozenset({people["admin"].id}), staff_chat=self._staff_group.id,
            http_host=LOOPBACK, http_port=0,  # the Messenger webhook, on a free port
            facebook=FacebookSettings(
                page_id=self.graph.page_id, page_token=Secret(self.graph.page_token),
                app_secret=Secret(self.graph.app_secret), verify_token=Secret(verify),
                graph_url=self.graph.graph_url),
        )
        app = build_app(settings)
        self.app = app
        running = await self._stack.enter_async_context(
            running_with_messenger(app, poll_timeout=10))
        self.webhook_url = f"{running.url}/messenger/webhook"
        await self.graph.subscribe_webhook(self.webhook_url, verify)  # Meta checks it first
        if self.seed:
            await seed(people, threads)
            await schedule_demo_posts(app.bot_data["svc"].backend, settings,
                                      dt.datetime.now(dt.UTC))
        runner = web.AppRunner(build_web(self.fake, self.personas, bot_name=BOT_NAME,
                                         messenger=self.messenger))
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self._stack.push_async_callback(runner.cleanup)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}/"

    async def stop(self) -> None:
        """Stop the web page, the bot and the fake, in that order."""
        await self._stack.aclose()

    def _people(self) -> dict[str, FakeUser]:
        fake = self.fake
        people = {
            "saraa": fake.user(first_name="Сараа", language_code="mn"),
            "bat": fake.user(first_name="Бат-Эрдэнэ", language_code="mn"),
            "john": fake.user(first_name="John", language_code="en"),
            "admin": fake.user(first_name="Оюунаа", last_name="(ЗДТГ, хууль)",
                               language_code="mn"),
        }
        self._staff_group = fake.group(title="110 — ажилтнууд", members=[people["admin"]])
        self._channel = fake.channel(title="Авлигагүй Баянхонгор", username="ac110_news")
        self.personas = [
            Persona("saraa", "Сараа (иргэн)", "citizen", people["saraa"].chat, people["saraa"]),
            Persona("bat", "Бат-Эрдэнэ (иргэн)", "citizen", people["bat"].chat, people["bat"]),
            Persona("john", "John (citizen, English)", "citizen", people["john"].chat,
                    people["john"]),
            Persona("admin", "Оюунаа (ажилтан, админ)", "staff", people["admin"].chat,
                    people["admin"]),
            Persona("staff-group", "110 — ажилтнууд (групп)", "group", self._staff_group,
                    people["admin"]),
            Persona("news", "Авлигагүй Баянхонгор (суваг)", "channel", self._channel, None),
        ]
        return people

    def _messenger_people(self) -> dict[str, Thread]:
        """People writing to the office's Page in Messenger, after the Telegram citizens."""
        side = self.messenger
        threads = {
            "oyun": side.thread("oyun", "Оюун (Messenger)", "Оюун", phone=DEMO_PHONE),
            "ganbat": side.thread("ganbat", "Ганбат (Messenger)", "Ганбат",
                                  phone="+97688114455"),
        }
        citizens = [p for p in self.personas if p.role == "citizen"]
        after = self.personas.index(citizens[-1]) + 1
        self.personas[after:after] = [MessengerPersona(key, thread.title, thread)
                                      for key, thread in threads.items()]
        return threads


async def seed(people: dict[str, FakeUser], threads: dict[str, Thread] | None = None) -> None:
    """A few cases in different states, made by people using the bot (and in Messenger)."""
    bat, john, admin = people["bat"], people["john"], people["admin"]
    await bat.send("/start")
    await script.expect(bat, "Сайн байна уу")
    await script.file_complaint(
        bat, kind="😠 Гомдол", group="Төрийн байгууллага",
        org="Газрын харилцаа, барилга, хот байгуулалтын газар",
        texts=("Газар эзэмших зөвшөөрлийн хүсэлтийг 3 сар шийдээгүй, «түргэсгэх» гэж "
               "мөнгө нэхсэн.",),
        notify=True,
    )
    await script.file_complaint(
        bat, kind="🚨 Авлигын хэргийн мэдээлэл", group=None, org=None,
        texts=("Сургуулийн дотуур байрны хоолны мөнгийг захирлын хамаатны компанид "
               "тендергүй өгсөн гэсэн мэдээлэл байна.",),
    )
    await john.send("/start")
    await script.expect(john, "Сайн байна уу")
    await script.file_complaint(
        john, kind="💡 Санал", group=None, org=None,
        texts=("Нэг цэгийн үйлчилгээний төвд дугаарын машин тавьж, дараалал багасгаач.",),
    )
    await admin.send("/inbox")
    await script.expect(admin, "Нээлттэй хэрэг")
    await script.reply_to_case(
        admin, 1, "Таны гомдлыг хүлээн авч, Газрын харилцааны газрын даргад шалгуулахаар "
        "шилжүүллээ. Хүсэлтийг 5 хоногт шийдвэрлэнэ.",
    )
    await script.expect(bat, "шинэ мэдээ байна")  # the one-time notice he asked for
    await bat.send("/subscribe")
    await script.expect(bat, "бүртгүүллээ")
    await john.send("/lang")
    await script.press(john, "🇬🇧 English")
    await script.expect(john, "Language set to English")
    await john.send("/subscribe")
    await script.expect(john, "You will now get")
    if threads is not None:
        await seed_messenger(threads["ganbat"], admin)
    log.info("demo data made: %d submissions, %d answered, 2 subscribers",
             3 if threads is None else 4, 1 if threads is None else 2)


async def seed_messenger(ganbat: Thread, admin: FakeUser) -> None:
    """A Messenger complaint with a photo, answered by staff in Telegram, read by receipt."""
    def mn(key: str) -> str:
        return messenger_label("mn", key)

    await ganbat.get_started()
    await ganbat.expect("Сайн байна уу")
    await ganbat.open_menu(mn("messenger.menu.complain"))
    await ganbat.expect("Юу илгээх вэ")
    await ganbat.choose(mn("kind.button.complaint"))
    await ganbat.expect("Хэнд хамаарах вэ")
    await ganbat.choose("Сум")
    await ganbat.choose("Баянхонгор сум (аймгийн төв)")
    await ganbat.expect("Юу болсныг бичнэ үү")
    await ganbat.send_text("Цэцэрлэгт хүүхдээ бүртгүүлэхэд эрхлэгч «хандив» гэж 200 000 ₮ "
                           "нэхсэн. Шилжүүлгийн баримтын зургийг хавсаргав.")
    await ganbat.expect("Хүлээн авлаа")
    await ganbat.send_files([("шилжүүлэг.png", "image/png", demo_png(360, 240))])
    await ganbat.expect("Хүлээн авлаа")
    await ganbat.choose(mn("button.done"))
    await ganbat.expect("Нэрээ нууцлах уу")
    await ganbat.choose(mn("identity.button.anonymous"))
    await ganbat.expect("Илгээхээс өмнө шалгана уу")
    await ganbat.choose(mn("button.send"))
    found = script.RECEIPT.search((await ganbat.expect("Баримтын дугаар")).text or "")
    if found is None:
        raise script.ScriptError("no receipt in Messenger")
    await ganbat.choose(mn("button.notify_me"))
    await ganbat.expect("мэдэгдье")
    await ganbat.read()
    await admin.send("/inbox")
    await script.expect(admin, "Нээлттэй хэрэг")
    await script.reply_to_case(
        admin, 4, "Хүлээн авлаа. Боловсролын газарт шилжүүлж, цэцэрлэгийн эрхлэгчийн "
        "үйлдлийг 7 хоногт шалгуулна. Элсэлтэд «хандив» шаардах нь хууль бус.",
    )
    await ganbat.expect("шинэ мэдээ байна")  # the one notice, inside Meta's window
    await ganbat.open_menu(mn("messenger.menu.status"))
    await ganbat.expect("16 оронтой")
    await ganbat.send_text(found.group(1))
    await ganbat.expect("Хүлээн авсан")
    await ganbat.read()


def demo_png(width: int, height: int) -> bytes:
    """A small real PNG (a colour gradient) standing in for a photo of a bank receipt."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((40 + x * 180 // width, 90 + y * 120 // height, 200))
                           for x in range(width))
        for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


async def schedule_demo_posts(backend: Backend, settings: Settings, now: dt.datetime) -> None:
    """Two posts from the content library, due in the next minutes, to watch a broadcast."""
    library = load_library(settings.content_dir)
    for minutes, post_id in ((2, "negdye"), (4, "how-to-report")):
        post = library.get(post_id)
        if post is None:
            continue
        payload, meta = posts.from_content(post)  # its poster and buttons too
        await schedule.schedule_once(backend, payload, now + dt.timedelta(minutes=minutes), now,
                                     meta=meta)


async def run_demo(port: int = DEFAULT_PORT, data_dir: Path | None = None,
                   seed_data: bool = True) -> None:
    """Run the sandbox until Ctrl-C."""
    folder = data_dir or Path(tempfile.mkdtemp(prefix="ac110-demo-"))
    sandbox = Sandbox(folder, port=port, seed=seed_data)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("Starting the sandbox (the bot, a fake Telegram, a fake Facebook and a web chat) …",
          flush=True)
    await sandbox.start()
    print(f"\n  Sandbox ready — open {sandbox.url}\n"
          f"  Туршилтын орчин: {sandbox.url}\n"
          f"  Data: {folder} (a fresh folder; nothing here reaches Telegram or Facebook)\n"
          "  Stop with Ctrl-C.\n", flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()


def main(port: int = DEFAULT_PORT, data_dir: Path | None = None, seed_data: bool = True) -> int:
    """Entry point for `python -m bot demo`."""
    configure_logging("WARNING")
    asyncio.run(run_demo(port, data_dir, seed_data))
    return 0
