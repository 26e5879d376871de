"""Dispatchers: what the bot does with each Messenger event.

`Dispatcher` routes an event to ``on_message``, ``on_postback``, ``on_referral``,
``on_delivery`` or ``on_read`` (each a no-op). `ReachDispatcher` records ``m.me``
referrals as sources, and deliveries and reads as reach; the citizens' conversation
(`bot.messenger.conversation.Conversation`) subclasses it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from bot.core import reach
from bot.core.backend import Backend, record_event
from bot.core.models import Citizen
from bot.messenger.events import (
    Delivery,
    Event,
    IncomingMessage,
    Postback,
    Read,
    Referral,
    ReferralEvent,
)

log = logging.getLogger(__name__)

CHANNEL = "messenger"


def citizen(psid: str) -> Citizen:
    """The person as the core knows them: only ever turned into keyed hashes."""
    return Citizen(CHANNEL, psid)


class Dispatcher:
    """Routes each event to its handler; subclasses override the ones they need."""

    async def dispatch(self, event: Event) -> None:
        """Hand the event to its handler."""
        if isinstance(event, IncomingMessage):
            await self.on_message(event)
        elif isinstance(event, Postback):
            await self.on_postback(event)
        elif isinstance(event, ReferralEvent):
            await self.on_referral(event)
        elif isinstance(event, Delivery):
            await self.on_delivery(event)
        else:
            await self.on_read(event)

    async def on_message(self, event: IncomingMessage) -> None:
        """A message: text, a quick reply's payload, attachments."""

    async def on_postback(self, event: Postback) -> None:
        """A postback: Get Started, the menu, an ice breaker, a template's button."""

    async def on_referral(self, event: ReferralEvent) -> None:
        """An ``m.me/<page>?ref=…`` link opened in an existing conversation."""

    async def on_delivery(self, event: Delivery) -> None:
        """Messages the Page sent reached the person's device."""

    async def on_read(self, event: Read) -> None:
        """The person read what the Page sent."""


class ReachDispatcher(Dispatcher):
    """Records what Messenger lets the office count: starts, sources, deliveries, reads.

    A delivery or a read is an event with a pseudonym that changes every day and differs
    between deliveries and reads, so one day's readers can be counted once each but no
    two days, and no delivery and read, can be joined to one person.
    """

    def __init__(self, backend: Backend, clock: Callable[[], dt.datetime]) -> None:
        self.backend = backend
        self.clock = clock

    def _daily(self, what: str, psid: str) -> str:
        now = self.clock()
        day = self.backend.local_date(now).isoformat()
        return self.backend.vault.rotating_pseudonym(f"messenger:{what}", day,
                                                     citizen(psid).ref).hex()[:16]

    async def on_delivery(self, event: Delivery) -> None:
        """Count a delivery (how many messages it covers, not which)."""
        await record_event(self.backend, "message_delivered", self.clock(), channel=CHANNEL,
                           who=self._daily("delivered", event.psid), messages=len(event.mids))

    async def on_read(self, event: Read) -> None:
        """Count a read."""
        await record_event(self.backend, "message_read", self.clock(), channel=CHANNEL,
                           who=self._daily("read", event.psid))

    async def arrived(self, psid: str, referral: Referral | None) -> None:
        """A first arrival through a named source's link counts once per person."""
        if referral is None or not referral.ref:
            return
        try:
            await reach.arrived(self.backend, referral.ref, citizen(psid), self.clock())
        except reach.UnknownSource:
            log.info("Messenger referral with an unknown source")

    async def on_referral(self, event: ReferralEvent) -> None:
        """An ``m.me`` link with a source's code, in an existing conversation."""
        await self.arrived(event.psid, event.referral)
