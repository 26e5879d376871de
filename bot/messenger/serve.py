"""Telegram and Messenger in one process and one event loop, on one HTTP port.

`running_with_messenger(app)` runs the Telegram application (polling, or its webhook) and
an aiohttp server on ``BOT_HTTP_HOST:BOT_HTTP_PORT`` with ``/messenger/webhook`` and
``/healthz``; `serve(app)` is ``python -m bot run`` with Facebook on.

One port, not two. When ``BOT_WEBHOOK_URL`` is set PTB would start its own server on
``BOT_HTTP_PORT`` too, and two servers cannot share a port. Rather than a second port (a
second setting, a second TLS route through the reverse proxy, two things to monitor),
Telegram's webhook is served from this same aiohttp app at ``/telegram`` — the path
PTB uses (``bot.tg.app.WEBHOOK_PATH``), so ``BOT_WEBHOOK_URL`` means the same with
Facebook on or off. Like PTB's own handler it checks ``X-Telegram-Bot-Api-Secret-Token``
(in constant time) and puts each update on ``app.update_queue``; the application's
handlers, ordering and rate limiting are untouched. Without ``BOT_WEBHOOK_URL`` the bot
polls Telegram exactly as without Facebook (``bot.tg.app.running``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from telegram import Update

from bot.config import FacebookSettings, Settings
from bot.core.backend import Backend
from bot.core.models import Draft, Receipt
from bot.i18n import t
from bot.messenger.chat import CHANNEL, Env, StaffLine
from bot.messenger.conversation import Conversation
from bot.messenger.graph import GraphClient
from bot.messenger.notices import MessengerNotifier
from bot.messenger.profile import publish_profile
from bot.messenger.webhook import Dispatcher, MessengerWebhook
from bot.tg.app import ALLOWED_UPDATES, WEBHOOK_PATH, on_shutdown, on_startup, on_stop, running
from bot.tg.citizen.complaint import new_case_notice
from bot.tg.common import App, Services, tell_staff_by

log = logging.getLogger(__name__)

MAX_BODY = 8 * 1024 * 1024  # Meta batches many entries into one POST
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


@dataclass(frozen=True)
class MessengerContext:
    """What a dispatcher is made from."""

    backend: Backend
    graph: GraphClient
    clock: Callable[[], dt.datetime]
    telegram_link: str
    services: Services
    staff: StaffLine


DispatcherFactory = Callable[[MessengerContext], Dispatcher]
Handler = Callable[[web.Request], Awaitable[web.Response]]


def conversation(ctx: MessengerContext) -> Dispatcher:
    """The citizens' conversation (the 110 box, status, materials), reach recorded."""
    return Conversation(Env(backend=ctx.backend, graph=ctx.graph, clock=ctx.clock,
                            services=ctx.services, staff=ctx.staff))


class TelegramStaffLine:
    """The staff group on Telegram, told of Messenger's cases as of Telegram's."""

    def __init__(self, app: App) -> None:
        self._app = app

    async def new_case(self, draft: Draft, receipt: Receipt) -> None:
        """The new-case notice, without content."""
        svc: Services = self._app.bot_data["svc"]
        await tell_staff_by(self._app.bot, svc.settings, new_case_notice(svc, draft, receipt))

    async def followup(self, complaint_id: int) -> None:
        """The follow-up notice, without content."""
        svc: Services = self._app.bot_data["svc"]
        await tell_staff_by(self._app.bot, svc.settings,
                            t("mn", "staff.followup", number=complaint_id))


@dataclass(frozen=True)
class Running:
    """The Messenger side while it runs."""

    webhook: MessengerWebhook
    graph: GraphClient
    url: str  # where the HTTP server listens, e.g. http://127.0.0.1:8080


def telegram_handler(app: App, secret: str | None
                     ) -> Handler:
    """Telegram's webhook as PTB serves it: the secret checked, the update queued."""

    async def handle(request: web.Request) -> web.Response:
        if secret is not None:
            given = request.headers.get(TELEGRAM_SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, secret.encode()):
                log.debug("Telegram webhook call without the right secret")
                return web.Response(status=403)
        if request.content_type != "application/json":
            return web.Response(status=403)
        try:
            update = Update.de_json(json.loads(await request.read()), app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        if update is not None:
            await app.update_queue.put(update)
        return web.Response()

    return handle


@asynccontextmanager
async def _telegram_by_webhook(app: App, settings: Settings) -> AsyncIterator[None]:
    """Like ``bot.tg.app.running`` in webhook mode, minus PTB's own HTTP server."""
    await app.initialize()
    await on_startup(app)
    await app.bot.set_webhook(url=str(settings.webhook_url), allowed_updates=ALLOWED_UPDATES,
                              secret_token=settings.webhook_secret.get() or None)
    await app.start()
    try:
        yield
    finally:
        await app.stop()
        await on_stop(app)
        await on_shutdown(app)
        await app.shutdown()


@asynccontextmanager
async def running_with_messenger(
    app: App, *, poll_timeout: int = 10, dispatcher: DispatcherFactory = conversation,
) -> AsyncIterator[Running]:
    """Run the Telegram app and the Messenger webhook together, in the caller's loop."""
    settings: Settings = app.bot_data["settings"]
    if settings.facebook is None:
        raise ValueError("Facebook is not configured (BOT_FB_* settings)")
    facebook: FacebookSettings = settings.facebook
    async with AsyncExitStack() as stack:
        if settings.webhook_url:
            await stack.enter_async_context(_telegram_by_webhook(app, settings))
        else:
            await stack.enter_async_context(running(app, poll_timeout=poll_timeout))
        svc: Services = app.bot_data["svc"]
        session = await stack.enter_async_context(aiohttp.ClientSession())
        graph = GraphClient(session, facebook, timeout=settings.http_timeout)
        ctx = MessengerContext(svc.backend, graph, svc.clock,
                               telegram_link=f"https://t.me/{app.bot.username}",
                               services=svc, staff=TelegramStaffLine(app))
        # Staff actions on Telegram reach Messenger citizens through this (bot.tg.common).
        svc.notifiers[CHANNEL] = MessengerNotifier(svc.backend, graph, svc.clock)
        stack.callback(svc.notifiers.pop, CHANNEL, None)
        webhook = MessengerWebhook(page_id=facebook.page_id, app_secret=facebook.app_secret,
                                   verify_token=facebook.verify_token,
                                   dispatcher=dispatcher(ctx))
        web_app = web.Application(client_max_size=MAX_BODY)
        webhook.add_routes(web_app)
        mode = "webhook" if settings.webhook_url else "polling"
        web_app.router.add_get("/healthz", _health(mode))
        if settings.webhook_url:
            web_app.router.add_post(f"/{WEBHOOK_PATH}", telegram_handler(
                app, settings.webhook_secret.get() or None))
        # No access log: a verification request has the verify token in its query string.
        runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        stack.push_async_callback(webhook.drain)  # after the server stops, before Telegram
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        host, port = runner.addresses[0][:2]
        await publish_profile(graph)
        log.info("Messenger webhook listening on %s:%s (Telegram: %s)", host, port, mode)
        yield Running(webhook, graph, f"http://{host}:{port}")


def _health(mode: str) -> Handler:
    async def health(request: web.Request) -> web.Response:
        del request
        return web.json_response({"status": "ok", "telegram": mode, "messenger": True})

    return health


def serve(app: App) -> int:
    """``python -m bot run`` with Facebook on: until SIGINT or SIGTERM."""
    asyncio.run(_serve(app))
    return 0


async def _serve(app: App) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_with_messenger(app):
        await stop.wait()
    log.info("stopped")
