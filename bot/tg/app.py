"""`build_app()`: the whole Telegram bot, wired top to bottom."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypedDict, cast

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder, BaseRateLimiter, ContextTypes
from telegram.request import BaseRequest, HTTPXRequest

from bot import logs
from bot.config import Settings
from bot.core.backend import open_backend
from bot.core.content import ContentLibrary
from bot.core.orgs import OrgDirectory
from bot.core.pacing import Pacer, PaceRules
from bot.core.surveys import load_surveys
from bot.i18n import LANGS, t
from bot.tg import broadcast, flood
from bot.tg.access import Access
from bot.tg.citizen import flow, reach, start, subscribe
from bot.tg.common import App, Ctx, Services, answer_callback, reply
from bot.tg.ordering import PerPersonOrder
from bot.tg.pacing import Pace, PacedRateLimiter
from bot.tg.request import AiohttpRequest
from bot.tg.staff import admin, cases, chats, jobs, posts, report, sources, stats
from bot.tg.staff import export as export_staff
from bot.tg.staff import log as offline_log
from bot.tg.staff import surveys as staff_surveys

log = logging.getLogger(__name__)

CITIZEN_COMMANDS = ("start", "complain", "status", "subscribe", "unsubscribe", "privacy", "lang",
                    "help", "cancel")
# Inline queries and chosen results are shares; reaction counts come from channels where
# the bot is an admin (Telegram sends them only when asked for by name).
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER,
                   Update.INLINE_QUERY, Update.CHOSEN_INLINE_RESULT,
                   Update.MESSAGE_REACTION_COUNT]
WEBHOOK_PATH = "telegram"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _request(settings: Settings, baseline: bool, *, pool: int) -> BaseRequest:
    seconds = settings.http_timeout
    kind = HTTPXRequest if baseline else AiohttpRequest
    return kind(connection_pool_size=pool, read_timeout=seconds, write_timeout=seconds,
                connect_timeout=seconds, pool_timeout=seconds,
                media_write_timeout=max(seconds, 20.0))


def build_app(
    settings: Settings, *, clock: Callable[[], dt.datetime] = _utcnow, baseline: bool = False
) -> App:
    """The application with every handler registered; services open at start-up.

    `baseline=True` swaps in PTB's defaults (one update at a time, AIORateLimiter), which
    the benchmarks measure the bot against.
    """
    # Paid broadcasts have a budget of 1,000 a second of their own (per-chat limits stay);
    # replies keep Telegram's 30.
    rate = settings.send_per_second
    paid = settings.paid_per_second if settings.paid_broadcast else None
    builder = (
        ApplicationBuilder()
        .token(settings.token.get())
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .context_types(ContextTypes(context=Ctx))
        # HTTP over aiohttp: an eleventh of httpx's CPU a request (see request.py), which
        # paid broadcasts need. A request Telegram has not answered in time is given up and
        # retried (a weak link must not hang a handler); polling adds its long-poll time.
        .request(_request(settings, baseline, pool=256))
        .get_updates_request(_request(settings, baseline, pool=1))
        # Sends at Telegram's pace, replies first, 429s waited out (see bot/core/pacing.py).
        .rate_limiter(cast(BaseRateLimiter[Pace], AIORateLimiter(max_retries=3)) if baseline
                      else PacedRateLimiter(Pacer(PaceRules(
                          per_second=rate, burst=int(rate), paid_per_second=paid,
                          group_per_minute=settings.group_per_minute,
                          group_burst=int(settings.group_per_minute)))))
        # Different people at once, each person's updates in order (see ordering.py).
        .concurrent_updates(False if baseline else PerPersonOrder())
        .post_init(on_startup)
        .post_stop(on_stop)
        .post_shutdown(on_shutdown)
    )
    app = cast(App, builder.build())
    app.bot_data["settings"] = settings
    app.bot_data["clock"] = clock
    access = Access(app.bot_data)

    # 0. Before everything (group -1): one flooding user must not slow the bot for others.
    flood.register(app)
    # Handlers in one group; the first that matches wins, so the order is the design:
    # 1. Every step-by-step flow (submitting, /status, an officer's typed reply or reason)
    #    in one conversation, so one person is in one step at a time; its text handlers
    #    skip commands and menu buttons, and it picks a saved draft up after a restart.
    flow.register(app, settings.draft_idle_minutes, access)
    # 2. Staff commands and buttons, filtered by role, in private chats only.
    cases.register(app, access)
    admin.register(app, access)
    posts.register(app, access)
    stats.register(app, access)  # /stats: figures and charts, for every staff role
    sources.register(app, access)
    chats.register(app, access)
    staff_surveys.register(app, access)  # before the refusals: /survey is also a citizen's
    report.register(app, access)  # /report, and the reminders before June 10, Dec 10
    offline_log.register(app, access)
    export_staff.register(app, access)
    # 3. The same staff commands from anyone else are refused, not silently ignored.
    admin.register_refusals(app)
    # 4. Citizen commands and menu buttons; opting in and out of posts; the buttons under
    #    posts (useful, pledge) and shares through inline mode.
    start.register(app)
    subscribe.register(app)
    reach.register(app)
    # 5. Last: stale or forged buttons nothing else took.
    start.register_catch_alls(app)

    app.add_error_handler(on_error)
    return app


async def on_startup(app: App) -> None:
    """Open the data folder, load content, schedule jobs, publish the command menu."""
    settings: Settings = app.bot_data["settings"]
    clock: Callable[[], dt.datetime] = app.bot_data["clock"]
    backend = await open_backend(settings, clock())
    svc = Services(settings=settings, backend=backend, clock=clock,
                   orgs=OrgDirectory(settings.content_dir / "organizations.yaml"),
                   content=ContentLibrary(settings.content_dir),
                   surveys=load_surveys(settings.content_dir))
    app.bot_data["svc"] = svc
    from bot.core.staff import staff_ids

    svc.staff = await staff_ids(backend)
    jobs.schedule(app)
    try:
        for lang in LANGS:
            await app.bot.set_my_commands(
                [BotCommand(c, t(lang, f"command.{c}")) for c in CITIZEN_COMMANDS],
                language_code=None if lang == "mn" else lang,
            )
        ctx = Ctx(app)
        for user_id, role in svc.staff.items():
            await admin.set_staff_commands(ctx, user_id, role)
    except TelegramError as exc:
        log.warning("command menu not published: %s", exc.__class__.__name__)
    log.info("bot ready: %d staff, %d organization groups", len(svc.staff),
             len(svc.orgs.groups))


async def on_stop(app: App) -> None:
    """Stop background broadcasts while the bot can still talk (before shutdown)."""
    await broadcast.stop_broadcasts(app)


async def on_shutdown(app: App) -> None:
    """Close the database (checkpointing the WAL)."""
    svc: Services | None = app.bot_data.pop("svc", None)
    if svc is not None:
        await svc.backend.close()


async def on_error(update: object, ctx: Ctx) -> None:
    """Log the failure (never the update: it holds citizens' words) and apologise."""
    error = ctx.error
    log.error("handler failed: %s", error.__class__.__name__,
              exc_info=(type(error), error, error.__traceback__) if error else None)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            lang = "mn"
            if isinstance(ctx.user_data, dict) and isinstance(ctx.user_data.get("lang"), str):
                lang = ctx.user_data["lang"]
            await answer_callback(update)  # may have been answered already; that is fine
            await reply(update, t(lang, "error.internal"))
        except TelegramError:
            pass


@asynccontextmanager
async def running(app: App, *, poll_timeout: int = 10) -> AsyncIterator[App]:
    """Run the bot inside an event loop the caller owns (tests, the demo).

    Long polling, or the webhook when BOT_WEBHOOK_URL is set, exactly as `python -m bot run`.
    """
    settings: Settings = app.bot_data["settings"]
    await app.initialize()
    await on_startup(app)
    assert app.updater is not None
    if settings.webhook_url:
        await app.updater.start_webhook(**webhook_options(settings))
    else:
        await app.updater.start_polling(poll_interval=0, timeout=poll_timeout,
                                        allowed_updates=ALLOWED_UPDATES)
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await on_stop(app)
        await on_shutdown(app)
        await app.shutdown()


class WebhookOptions(TypedDict):
    """The arguments `run_webhook` and `start_webhook` share."""

    listen: str
    port: int
    url_path: str
    webhook_url: str | None
    secret_token: str | None
    allowed_updates: list[str]


def webhook_options(settings: Settings) -> WebhookOptions:
    """How the webhook listens; Telegram sends `secret_token` in every call, PTB checks it."""
    return {
        "listen": settings.http_host,
        "port": settings.http_port,
        "url_path": WEBHOOK_PATH,
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret.get() or None,
        "allowed_updates": ALLOWED_UPDATES,
    }


def configure_logging(level: str = "INFO") -> None:
    """Our loggers at `level`; libraries that would log tokens or updates at WARNING."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    quiet_libraries()


def quiet_libraries() -> None:
    """Silence httpx (its URLs hold the token) and PTB (its debug log holds updates)."""
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A flaky Telegram makes PTB log an error per request: once a minute is enough.
    logs.install(logs.NOISY)
