"""The "there is news" notice in Messenger, sent only where Meta allows it.

Meta lets a Page write to a person within 24 hours of the person's last message
(standard messaging), and a human's reply with the ``HUMAN_AGENT`` tag within 7 days;
outside that the Send API refuses (10 / 2018278) and repeated attempts count against the
Page. So the bot decides before it tries: from the time of the person's last message,
which the core keeps (encrypted, to the minute, rounded down) only for people who asked
for a notice (`complaints.keep_contact`, refreshed by every event of theirs), it picks
standard messaging, the tag for a staff member's reply, or nothing. A margin of ten
minutes keeps a notice from racing the window's end. What is not sent is logged (without
the person) and the citizen reads the news with the receipt, as the opt-in text says.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable

from bot.core import complaints
from bot.core.backend import Backend, record_event
from bot.core.models import Citizen, NoticeTarget
from bot.messenger.chat import CHANNEL, say
from bot.messenger.graph import (
    HUMAN_AGENT,
    GraphClient,
    GraphError,
    GraphUnavailable,
    MessagingType,
    OutsideWindow,
    PersonUnavailable,
)

log = logging.getLogger(__name__)

STANDARD_WINDOW = dt.timedelta(hours=24)
HUMAN_AGENT_WINDOW = dt.timedelta(days=7)
MARGIN = dt.timedelta(minutes=10)


class Send(enum.Enum):
    """How a notice may go."""

    STANDARD = "standard"  # within 24 hours of the person's last message
    HUMAN_AGENT = "human_agent"  # a staff member's reply, within 7 days


def allowed(last: dt.datetime | None, now: dt.datetime, *, human_reply: bool) -> Send | None:
    """How Meta lets a notice go ``now`` after the person's last message, or None."""
    if last is None:
        return None
    since = now - last
    if since < dt.timedelta(0):
        since = dt.timedelta(0)
    if since <= STANDARD_WINDOW - MARGIN:
        return Send.STANDARD
    if human_reply and since <= HUMAN_AGENT_WINDOW - MARGIN:
        return Send.HUMAN_AGENT
    return None


class MessengerNotifier:
    """Sends Messenger notice targets (a `bot.tg.common.Notifier`)."""

    def __init__(self, backend: Backend, graph: GraphClient,
                 clock: Callable[[], dt.datetime]) -> None:
        self.backend = backend
        self.graph = graph
        self.clock = clock

    async def __call__(self, target: NoticeTarget, human_reply: bool) -> None:
        """Send the content-free notice if Meta allows it now; else nothing."""
        now = self.clock()
        last = await complaints.last_contact(self.backend, Citizen(CHANNEL, target.chat_id), now)
        how = allowed(last, now, human_reply=human_reply)
        outcome = "sent"
        if how is None:
            log.info("Messenger notice not sent: outside Meta's messaging window")
            outcome = "outside_window"
        else:
            try:
                await self.graph.send_text(
                    target.chat_id, say(target.lang, "messenger.notice.news"),
                    messaging_type=MessagingType.UPDATE,
                    tag=HUMAN_AGENT if how is Send.HUMAN_AGENT else None)
            except (OutsideWindow, PersonUnavailable) as exc:
                log.info("Messenger notice not delivered: %s", exc.__class__.__name__)
                outcome = "refused"
            except (GraphError, GraphUnavailable) as exc:
                log.warning("Messenger notice failed: %s", exc.__class__.__name__)
                outcome = "failed"
            else:
                outcome = how.value
        await record_event(self.backend, "notice", now, channel=CHANNEL, precision="day",
                           outcome=outcome)
