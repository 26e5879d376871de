"""Facebook Messenger: the webhook, the Graph API client, and the Page's Messenger profile.

- `events`: Meta's webhook JSON parsed into small typed events (no PSID in their reprs).
- `webhook`: ``GET``/``POST /messenger/webhook`` — verification, signatures, dedup, order.
- `dispatch`: `Dispatcher` (the seam) and `ReachDispatcher` (starts, sources, deliveries,
  reads).
- `conversation`: the citizens' conversation (`Conversation`), with `complaint`, `status`,
  `materials` and `survey` its steps, `chat` what they share.
- `notices`: the "there is news" notice, only inside Meta's messaging windows.
- `graph`: `GraphClient` (Send API, Messenger Profile API, Page posts and figures,
  downloads) and Meta's errors as exceptions.
- `profile`: Get Started, greeting, persistent menu and ice breakers from the catalogs.
- `serve`: Telegram and Messenger in one process, on one port.
"""

from bot.messenger.dispatch import Dispatcher, ReachDispatcher
from bot.messenger.events import (
    Attachment,
    Delivery,
    Event,
    IncomingMessage,
    Postback,
    Read,
    Referral,
    ReferralEvent,
)
from bot.messenger.graph import (
    AttachmentTooLarge,
    GraphClient,
    GraphError,
    GraphUnavailable,
    InsightsUnavailable,
    InvalidToken,
    OutsideWindow,
    PersonUnavailable,
    RateLimited,
)
from bot.messenger.profile import Payload

__all__ = [
    "Attachment",
    "AttachmentTooLarge",
    "Delivery",
    "Dispatcher",
    "Event",
    "GraphClient",
    "GraphError",
    "GraphUnavailable",
    "IncomingMessage",
    "InsightsUnavailable",
    "InvalidToken",
    "OutsideWindow",
    "Payload",
    "PersonUnavailable",
    "Postback",
    "RateLimited",
    "ReachDispatcher",
    "Read",
    "Referral",
    "ReferralEvent",
]
