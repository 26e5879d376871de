"""Telegram's side of the broadcast engine: sending one post, and running broadcasts.

Broadcast sends go through the same pacer as replies, at broadcast priority, so a big
broadcast uses what replies leave over and citizens stay answered.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.core import outreach
from bot.tg.common import App, Services
from bot.tg.pacing import BROADCAST

log = logging.getLogger(__name__)


class TelegramSender:
    """`outreach.Sender` over the application's bot."""

    def __init__(self, app: App) -> None:
        self._app = app

    async def send(self, chat_id: str, lang: str, payload: dict[str, Any]) -> int:
        """Send a text post in the subscriber's language (Mongolian when it has none)."""
        texts: dict[str, str] = payload.get("text", {})
        text = texts.get(lang) or texts["mn"]
        try:
            message = await self._app.bot.send_message(
                int(chat_id), text, parse_mode="HTML", rate_limit_args=BROADCAST,
                disable_notification=bool(payload.get("silent", False)),
            )
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
        return message.message_id


def start_broadcast(app: App, broadcast_id: int) -> None:
    """Run a broadcast in the background (its state is in the database, not the task).

    A plain asyncio task, not `app.create_task`: PTB waits for its own tasks when stopping,
    and a stop must not wait for a 100,000-recipient broadcast; `stop_broadcasts` cancels
    them instead, and the outbox resumes them at the next start. One runner per
    broadcast: a second would put the first one's rows in flight back in the queue.
    """
    svc: Services = app.bot_data["svc"]
    tasks: dict[int, asyncio.Task[outreach.Progress]] = app.bot_data.setdefault(
        "broadcast_tasks", {})
    if broadcast_id in tasks:
        return
    task = asyncio.get_running_loop().create_task(
        outreach.run_broadcast(svc.backend, broadcast_id, TelegramSender(app), svc.clock),
        name=f"broadcast-{broadcast_id}",
    )
    tasks[broadcast_id] = task

    def finished(done: asyncio.Task[outreach.Progress]) -> None:
        tasks.pop(broadcast_id, None)
        if not done.cancelled() and (error := done.exception()) is not None:
            log.error("broadcast %d stopped: %s", broadcast_id, error.__class__.__name__,
                      exc_info=error)

    task.add_done_callback(finished)


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

