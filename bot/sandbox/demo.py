"""`python -m bot demo`: the real bot, the fake Bot API and a web chat, on 127.0.0.1 only.

The bot runs exactly as in production, configured through `BOT_API_URL` to talk to the fake
server in this process; its token is the fake's, so nothing can reach Telegram. Demo data is
made through the bot's own flows (people typing and pressing buttons), not inserted rows;
two posts from the content library are scheduled a few minutes ahead, so a broadcast to the
subscribers can be watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import tempfile
from pathlib import Path

from aiohttp import web

from bot.config import Secret, Settings
from bot.core import posts, schedule
from bot.core.backend import Backend
from bot.core.content import load_library
from bot.fakegram import FakeTelegram, FakeUser, Limits
from bot.sandbox import script
from bot.sandbox.web import Persona, build_web
from bot.tg.app import build_app, configure_logging, running
from bot.tg.common import App

log = logging.getLogger(__name__)

BOT_USERNAME = "ac110_demo_bot"
BOT_NAME = "110 — Шударга ёс (туршилт)"
LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8110
# Only the fake server knows this token; Telegram would refuse it.
SANDBOX_TOKEN = "424242:SANDBOX-not-a-real-token"  # noqa: S105


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
        self.personas: list[Persona] = []
        self._stack = contextlib.AsyncExitStack()
        self._runner: web.AppRunner | None = None
        self.app: App | None = None
        self.url = ""

    async def start(self) -> None:
        """Start everything; with `seed`, make the demo data through the bot's own flows."""
        await self.fake.start()
        self._stack.push_async_callback(self.fake.stop)
        people = self._people()
        settings = Settings(
            token=Secret(self.fake.token), api_url=self.fake.url, data_dir=self.data_dir,
            admins=frozenset({people["admin"].id}), staff_chat=self._staff_group.id,
        )
        app = build_app(settings)
        self.app = app
        await self._stack.enter_async_context(running(app, poll_timeout=10))
        if self.seed:
            await seed(people)
            await schedule_demo_posts(app.bot_data["svc"].backend, settings,
                                      dt.datetime.now(dt.UTC))
        runner = web.AppRunner(build_web(self.fake, self.personas, bot_name=BOT_NAME))
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


async def seed(people: dict[str, FakeUser]) -> None:
    """A few cases in different states, made by people using the bot."""
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
    log.info("demo data made: 3 submissions, 1 answered, 2 subscribers")


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
    print("Starting the sandbox (the bot, a fake Telegram and a web chat) …", flush=True)
    await sandbox.start()
    print(f"\n  Sandbox ready — open {sandbox.url}\n"
          f"  Туршилтын орчин: {sandbox.url}\n"
          f"  Data: {folder} (a fresh folder; nothing here reaches Telegram)\n"
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
