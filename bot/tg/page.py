"""The Facebook Page jobs: publishing scheduled posts there, reading Facebook's figures.

On only when Facebook is configured. The database holds what is due (`bot.core.page`);
here are the jobs that look at it, the Graph API client for each pass (a session of its
own, so the jobs do not depend on the Messenger webhook's), Telegram's side of a post's
files (a photo Telegram holds is downloaded with getFile and uploaded to the Page), and
the staff group's notices: a refused token once, a failed or unsure publication each once.

- `kick(app)`: start a publishing pass now, unless one is running (after schedules fire).
- job "page-posts", every 30 s: retries whose time has come.
- job "page-figures", every 10 minutes: each recent Page post's figures once a day.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from telegram.error import BadRequest, TelegramError

from bot.core import page
from bot.i18n import t
from bot.messenger.page import open_page
from bot.tg.common import App, Ctx, esc, tell_staff_by

log = logging.getLogger(__name__)

POSTS_SECONDS = 30
FIGURES_SECONDS = 600
PUBLISH_TIMEOUT = 120.0  # an upload of a 50 MB video; a text post answers in a second
TASK = "page_task"


def schedule(app: App) -> None:
    """Register the Page jobs, if Facebook is configured."""
    svc = app.bot_data["svc"]
    if svc.settings.facebook is None:
        return
    assert app.job_queue is not None
    app.job_queue.run_repeating(posts_job, interval=POSTS_SECONDS, first=3, name="page-posts")
    app.job_queue.run_repeating(figures_job, interval=FIGURES_SECONDS, first=10,
                                name="page-figures")


async def posts_job(ctx: Ctx) -> None:
    """Publish what is due (retries, and runs fired by another look)."""
    kick(cast(App, ctx.application))


def kick(app: App) -> asyncio.Task[None] | None:
    """A publishing pass in the background, unless one runs; the task (or the running one).

    `app.create_task`: a normal stop waits for it, so a Page post being made is finished,
    not left unsure; between posts the pass stops as soon as the application stops.
    """
    svc = app.bot_data.get("svc")
    if svc is None or svc.settings.facebook is None:
        return None
    running: asyncio.Task[None] | None = app.bot_data.get(TASK)
    if running is not None and not running.done():
        return running
    task: asyncio.Task[None] = app.create_task(_publish_pass(app), name="page-posts")
    app.bot_data[TASK] = task
    return task


async def _publish_pass(app: App) -> None:
    svc = app.bot_data["svc"]
    facebook = svc.settings.facebook
    assert facebook is not None
    try:
        if not app.bot_data.get("page_recovered"):
            app.bot_data["page_recovered"] = True
            await page.recover(svc.backend)
        if await page.has_due(svc.backend, svc.now()):
            async with open_page(facebook, seconds=max(PUBLISH_TIMEOUT,
                                                       svc.settings.http_timeout)) as target:
                done = await page.publish_due(svc.backend, target, svc.clock, _fetch(app),
                                              keep_going=lambda: app.running)
            if done.published or done.failed:
                log.info("Page: %d published, %d failed, %d to retry", done.published,
                         done.failed, done.retrying)
        await tell_news(app)
    except Exception:  # the next look tries again; a pass must not take the bot down
        log.exception("Page publishing pass failed")


def _fetch(app: App) -> page.Fetch:
    async def fetch(file_id: str, kind: str) -> bytes:
        """A file Telegram holds, downloaded through the Bot API (at most 20 MB)."""
        del kind
        try:
            found = await app.bot.get_file(file_id)
            return bytes(await found.download_as_bytearray())
        except BadRequest as exc:
            reason = "too_big" if "too big" in exc.message.lower() else "unreadable"
            raise page.MediaUnavailable(reason) from exc
        except TelegramError as exc:
            raise page.MediaUnavailable("unreadable") from exc

    return fetch


def reason(lang: str, error: str) -> str:
    """Why a Page publication failed, in words."""
    if error in ("invalid_token", "nothing_to_post", "stopped", "duplicate"):
        return t(lang, f"page.reason.{error}")
    if error and error[0].isdigit():  # Meta's code: "100", "100/33"
        return t(lang, "page.reason.code", code=esc(error))
    return t(lang, "page.reason.unavailable")  # "unavailable:613" after every try; a bug


async def tell_news(app: App) -> None:
    """The staff group hears what it has not heard: the token once, each trouble once."""
    svc = app.bot_data["svc"]
    token, troubles = await page.news(svc.backend)
    lang = "mn"
    lines = [t(lang, "page.token_refused")] if token else []
    for item in troubles:
        key = "page.unsure" if item.status == "unsure" else "page.failed"
        lines.append(t(lang, key, broadcast=item.broadcast_id, title=esc(item.title),
                       reason=reason(lang, item.error)))
    if lines:
        await tell_staff_by(app.bot, svc.settings, lines)


async def figures_job(ctx: Ctx) -> None:
    """Once a day for each recent Page post: Facebook's figures (see `bot.core.page`)."""
    app = cast(App, ctx.application)
    svc = ctx.svc
    facebook = svc.settings.facebook
    if facebook is None:
        return
    lock: asyncio.Lock = app.bot_data.setdefault("page_figures_lock", asyncio.Lock())
    if lock.locked():  # a reading is under way: one at a time, or a post is read twice
        return
    async with lock:
        try:
            if not await page.figures_due(svc.backend, svc.now()):
                return
            async with open_page(facebook, seconds=svc.settings.http_timeout) as target:
                done = await page.read_figures(svc.backend, target, svc.now(),
                                               keep_going=lambda: app.running)
            if done.read:
                log.info("Page figures read for %d post(s), %d without views", done.read,
                         done.without_views)
            await tell_news(app)
        except Exception:
            log.exception("Page figures not read")
