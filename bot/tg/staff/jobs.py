"""Scheduled work: the morning digest for the staff group, and clean-up of expired data."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import cast

from bot.core import cases, complaints, limits
from bot.core import schedule as schedules
from bot.i18n import t
from bot.tg import page
from bot.tg.broadcast import resume_broadcasts, start_broadcast
from bot.tg.common import App, Ctx, esc, tell_staff
from bot.tg.render import case_line

log = logging.getLogger(__name__)

CLEANUP_SECONDS = 60
SCHEDULE_SECONDS = 30
CONTENT_SECONDS = 60


async def digest(ctx: Ctx) -> None:
    """Tells the staff group which open cases are overdue or due within three days."""
    svc = ctx.svc
    result = await cases.digest(svc.backend, svc.now())
    lang = "mn"
    lines = [t(lang, "digest.header", date=result.today.strftime("%Y.%m.%d"),
               open=result.open_total)]
    if result.overdue:
        lines.append(t(lang, "digest.overdue", n=len(result.overdue)))
        lines += [case_line(svc, lang, c, result.today) for c in result.overdue]
    if result.due_soon:
        lines.append(t(lang, "digest.due_soon", n=len(result.due_soon)))
        lines += [case_line(svc, lang, c, result.today) for c in result.due_soon]
    if not result.overdue and not result.due_soon:
        lines.append(t(lang, "digest.all_good"))
    await tell_staff(ctx, lines)  # one line a block: a long digest splits between lines


async def cleanup(ctx: Ctx) -> None:
    """Deletes idle drafts (and their files) and limit rows whose window is over."""
    svc = ctx.svc
    now = svc.now()
    expired = await complaints.expire_drafts(svc.backend, now)
    await schedules.expire_drafts(svc.backend, now)  # staff's unfinished /post drafts
    await limits.purge(svc.backend, now)
    if expired:
        log.info("expired %d idle drafts", expired)


def schedule(app: App) -> None:
    """Register the jobs (they live in memory; their rules live in settings)."""
    svc = app.bot_data["svc"]
    assert app.job_queue is not None
    app.job_queue.run_daily(
        digest, time=dt.time(hour=svc.settings.digest_hour, tzinfo=svc.settings.tz), name="digest"
    )
    app.job_queue.run_repeating(cleanup, interval=CLEANUP_SECONDS, first=5, name="cleanup")
    # The outbox, not a task, is the truth: broadcasts a stop interrupted go on at start.
    app.job_queue.run_once(resume, when=0, name="resume-broadcasts")
    # Schedules live in the database; one poller reads them (at start, then every 30 s),
    # so nothing is lost with the in-memory job queue at a restart.
    app.job_queue.run_repeating(send_due_posts, interval=SCHEDULE_SECONDS, first=1,
                                name="schedules")
    # A broken content file is skipped, logged and told to staff: at start, then whenever
    # the folder changes.
    app.job_queue.run_repeating(check_content, interval=CONTENT_SECONDS, first=2,
                                name="content")
    page.schedule(app)  # the Facebook Page's posts and figures, when Facebook is configured


async def send_due_posts(ctx: Ctx) -> None:
    """Start the broadcasts that are due, and tell staff about runs missed while down."""
    svc = ctx.svc
    started, missed = await schedules.fire_due(svc.backend, svc.now())
    for broadcast_id in started:
        start_broadcast(cast(App, ctx.application), broadcast_id)
    if started:
        page.kick(cast(App, ctx.application))  # their Page posts, at the same time
    for item in missed:
        local = item.due_at.astimezone(svc.settings.tz)
        await tell_staff(ctx, t("mn", "staff.post_missed", schedule=item.schedule_id,
                                when=local.strftime("%Y.%m.%d %H:%M")))


async def resume(ctx: Ctx) -> None:
    """Go on with every broadcast that a stop interrupted."""
    await resume_broadcasts(cast(App, ctx.application))


async def check_content(ctx: Ctx) -> None:
    """Tell staff about content files that could not be loaded (each problem once)."""
    svc = ctx.svc
    data = ctx.bot_data
    first = not data.get("content_checked")
    data["content_checked"] = True
    problems = list(svc.content.errors) if first else svc.content.refresh()
    if problems:
        lines = [t("mn", "staff.content_problems", n=len(problems))]
        root = svc.content.root
        lines += [f"• <code>{esc(_relative(p.path, root))}</code>: {esc(p.field)}: {esc(p.reason)}"
                  for p in problems[:20]]
        await tell_staff(ctx, lines)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name
