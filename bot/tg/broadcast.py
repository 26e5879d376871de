"""Telegram's side of the broadcast engine: sending one post, running broadcasts, progress.

Broadcast sends go through the same pacer as replies, at broadcast priority, so a big
broadcast uses what replies leave over and citizens stay answered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.core import audiences, outreach, reach
from bot.i18n import t
from bot.storage import queries as q
from bot.tg.common import App, Services
from bot.tg.pacing import BROADCAST
from bot.tg.postview import send_post_ids

log = logging.getLogger(__name__)

PLEDGE_COUNT_SECONDS = 5.0  # a pledge button's count is at most this stale when sent


class TelegramSender:
    """`outreach.Sender` over the application's bot."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._pledges: dict[str, tuple[float, int]] = {}

    async def _pledge_count(self, campaign: str | None) -> int | None:
        if campaign is None:
            return None
        stamp, count = self._pledges.get(campaign, (0.0, 0))
        if time.monotonic() - stamp > PLEDGE_COUNT_SECONDS:
            svc: Services = self._app.bot_data["svc"]
            count = await reach.count(svc.backend, "pledge", campaign)
            self._pledges[campaign] = (time.monotonic(), count)
        return count

    async def send(self, to: outreach.Recipient, post: outreach.Outgoing) -> int:
        """Send a post in the recipient's language (Mongolian when it has none)."""
        svc: Services = self._app.bot_data["svc"]
        args: dict[str, Any] = {"allow_paid_broadcast": True} if svc.settings.paid_broadcast \
            else {}
        try:
            message_id, buttons_message = await send_post_ids(
                self._app, int(to.chat_id), post.post_id, post.payload, to.lang,
                campaign=post.campaign, pledges=await self._pledge_count(post.campaign),
                rate_limit_args=BROADCAST, chat_kind=to.kind, **args)
        except Forbidden as exc:
            raise outreach.RecipientBlocked(exc.message) from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise outreach.RecipientGone(exc.message) from exc
            raise outreach.SendError(exc.message) from exc
        except (RetryAfter, NetworkError) as exc:  # TimedOut is a NetworkError
            raise outreach.TransientSendError(exc.__class__.__name__) from exc
        except TelegramError as exc:
            raise outreach.SendError(exc.__class__.__name__) from exc
        if to.kind != "person":
            await self._count_chat(to, post, message_id, buttons_message)
        return message_id

    async def _count_chat(self, to: outreach.Recipient, post: outreach.Outgoing,
                          message_id: int, buttons_message: int | None) -> None:
        """A group's or channel's size at send time: its potential reach (not views)."""
        svc: Services = self._app.bot_data["svc"]
        try:
            chat = await audiences.chat_of_recipient(svc.backend, to.subscriber_id)
            if chat is None:
                return
            try:
                # The count includes the bot itself, which reads nothing.
                count = await self._app.bot.get_chat_member_count(int(to.chat_id))
                members: int | None = max(count - 1, 0)
            except TelegramError as exc:
                log.info("member count unknown: %s", exc.__class__.__name__)
                members = None
            await audiences.posted(svc.backend, post.broadcast_id, chat, message_id, members,
                                   buttons_message)
        except Exception:  # a statistic must not fail a delivery that happened
            log.exception("channel reach not recorded")


class ProgressMessage:
    """One message to the staff member who made the post, edited as the broadcast goes."""

    def __init__(self, app: App, broadcast_id: int, chat_id: int | None,
                 message_id: int | None) -> None:
        self._app = app
        self._id = broadcast_id
        self._chat = chat_id
        self._message = message_id
        self._start = time.monotonic()
        self._first_done: int | None = None
        self._last_text = ""

    async def __call__(self, now: outreach.Progress) -> None:
        """Edit the message (a new one the first time) with counts, rate and time left."""
        if self._chat is None:
            return
        svc: Services = self._app.bot_data["svc"]
        lang = "mn"
        done = now.sent + now.failed + now.skipped
        if self._first_done is None:
            self._first_done, self._start = done, time.monotonic()
        elapsed = max(time.monotonic() - self._start, 1e-6)
        rate = (done - self._first_done) / elapsed
        if now.done:
            text = t(lang, "broadcast.finished", id=self._id, sent=now.sent, failed=now.failed,
                     skipped=now.skipped, total=now.total)
        else:
            left = now.pending / rate if rate > 0 else None
            text = t(lang, "broadcast.progress", id=self._id, sent=now.sent, failed=now.failed,
                     total=now.total, rate=f"{rate:.1f}",
                     left=_duration(lang, left) if left is not None else "…")
        if text == self._last_text:  # Telegram refuses an edit that changes nothing
            return
        self._last_text = text
        bot = self._app.bot
        try:
            if self._message is None:
                message = await bot.send_message(self._chat, text, parse_mode="HTML")
                self._message = message.message_id
                async with svc.backend.db.tx() as conn:
                    await q.set_broadcast_notice(conn, self._id, self._message)
            else:
                await bot.edit_message_text(text, chat_id=self._chat,
                                            message_id=self._message, parse_mode="HTML")
        except TelegramError as exc:
            log.info("progress of broadcast %d not shown: %s", self._id,
                     exc.__class__.__name__)


def _duration(lang: str, seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    if minutes >= 60:
        return t(lang, "broadcast.hours", h=minutes // 60, m=minutes % 60)
    if minutes:
        return t(lang, "broadcast.minutes", m=minutes, s=secs)
    return t(lang, "broadcast.seconds", s=secs)


def start_broadcast(app: App, broadcast_id: int) -> None:
    """Run a broadcast in the background (its state is in the database, not the task).

    A plain asyncio task, not `app.create_task`: PTB waits for its own tasks when stopping,
    and a stop must not wait for a 100,000-recipient broadcast; `stop_broadcasts` cancels
    them instead, and the outbox resumes them at the next start. One runner per
    broadcast: a second would put the first one's rows in flight back in the queue.
    """
    tasks: dict[int, asyncio.Task[outreach.Progress]] = app.bot_data.setdefault(
        "broadcast_tasks", {})
    if broadcast_id in tasks:
        return
    task = asyncio.get_running_loop().create_task(_run(app, broadcast_id),
                                                  name=f"broadcast-{broadcast_id}")
    tasks[broadcast_id] = task

    def finished(done: asyncio.Task[outreach.Progress]) -> None:
        tasks.pop(broadcast_id, None)
        if not done.cancelled() and (error := done.exception()) is not None:
            log.error("broadcast %d stopped: %s", broadcast_id, error.__class__.__name__,
                      exc_info=error)

    task.add_done_callback(finished)


async def _run(app: App, broadcast_id: int) -> outreach.Progress:
    svc: Services = app.bot_data["svc"]
    async with svc.backend.db.read() as conn:
        row = await q.get_broadcast(conn, broadcast_id)
    watcher = None if row is None else ProgressMessage(
        app, broadcast_id, row["notify_chat"], row["notify_message"])
    return await outreach.run_broadcast(svc.backend, broadcast_id, TelegramSender(app),
                                        svc.clock, on_progress=watcher)


async def cancel_broadcast(app: App, broadcast_id: int, now: dt.datetime) -> int:
    """Stop a running broadcast now; its runner ends at its next batch."""
    svc: Services = app.bot_data["svc"]
    return await outreach.cancel_broadcast(svc.backend, broadcast_id, now)


async def stop_broadcasts(app: App) -> None:
    """At a stop: cancel the running broadcasts (their rows in flight are resent later)."""
    tasks = list(app.bot_data.get("broadcast_tasks", {}).values())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def resume_broadcasts(app: App) -> None:
    """At start-up: every broadcast a stop interrupted goes on where it was."""
    svc: Services = app.bot_data["svc"]
    for broadcast_id in await outreach.unfinished(svc.backend):
        log.info("resuming broadcast %d", broadcast_id)
        start_broadcast(app, broadcast_id)
