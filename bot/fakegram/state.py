"""Server-side state shared by the HTTP methods and the simulated users.

Message dicts are never mutated once stored: an edit stores a new dict. Snapshots handed to
tests therefore stay as they were when the bot sent them, without copying.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import BotApiError, conflict
from .events import EventHub
from .files import FileStore
from .inline import InlineAnswer, InlineCache, InlineMessage
from .wire import JSON

if TYPE_CHECKING:
    from .actors import FakeChat, FakeUser

ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
# Delivered only when named in allowed_updates.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - OPT_IN_UPDATE_TYPES

LONG_POLL_MAX_TIMEOUT = 50  # seconds, tdlib's LONG_POLL_MAX_TIMEOUT
FIRST_UPDATE_ID = 700_000_001


def unix_now() -> int:
    """Telegram's clock: whole Unix seconds."""
    return int(time.time())


class Signal:
    """Wakes every coroutine waiting for the next change; waiters share one future."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None

    def wait(self) -> asyncio.Future[None]:
        """A future resolved at the next ``fire``.

        Wait on it with ``asyncio.wait``: ``wait_for`` would cancel it for the other waiters.
        """
        if self._future is None:
            self._future = asyncio.get_running_loop().create_future()
        return self._future

    def fire(self) -> None:
        """Wake all current waiters."""
        if self._future is not None and not self._future.done():
            self._future.set_result(None)
        self._future = None


@dataclass(frozen=True, slots=True)
class Call:
    """One request the bot made, as the fake answered it."""

    method: str
    params: JSON
    ok: bool
    result: Any = None
    error: BotApiError | None = None
    at: float = 0.0  # time.monotonic() when answered (or dropped)
    # What chaos mode did to the request (see bot.fakegram.chaos), None when untouched.
    fault: str | None = None
    # Whether the bot received an answer: False for a dropped connection, or a delayed answer
    # the bot gave up on. ``ok`` still tells whether the action took effect.
    answered: bool = True

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k not in ("offset", "timeout")}
        outcome = "ok" if self.ok else f"-> {self.error!r}" if self.error else "not performed"
        if self.fault:
            outcome += f" [{self.fault}{'' if self.answered else ', answer lost'}]"
        return f"{self.method}({_abbreviate(shown)}) {outcome}"


def _abbreviate(params: JSON, width: int = 160) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(eq=False, slots=True)
class StoredMessage:
    """A message in a chat; ``by_bot`` tells the bot's own messages from the users'."""

    data: JSON
    by_bot: bool
    # Whether an edit changed what the message shows; a bot's edit of only the inline
    # keyboard leaves it False (Telegram's edit_hide: clients show no "edited" mark).
    content_edited: bool = False


_NOT_CONTENT = frozenset({"reply_markup", "edit_date"})


def _content(message: JSON) -> JSON:
    return {k: v for k, v in message.items() if k not in _NOT_CONTENT}


class ChatHistory:
    """The messages of one chat, and what the bot sent to it in order."""

    __slots__ = ("_events", "_last_id", "_messages", "changed", "reply_keyboard", "sent")

    def __init__(self, events: EventHub | None = None) -> None:
        self._events = events if events is not None else EventHub()
        self._messages: dict[int, StoredMessage] = {}
        self._last_id = 0
        self.sent: list[JSON] = []  # snapshots of the bot's messages, in sending order
        self.changed = Signal()
        self.reply_keyboard: list[list[JSON]] | None = None

    def next_id(self) -> int:
        """Message ids increase within a chat and are never reused."""
        self._last_id += 1
        return self._last_id

    def add(self, message: JSON, *, by_bot: bool) -> None:
        """Store a new message."""
        self._messages[message["message_id"]] = StoredMessage(message, by_bot)
        if by_bot:
            self.sent.append(message)
        self.changed.fire()
        if self._events:
            self._events.message("new", message, by_bot=by_bot)

    def get(self, message_id: int) -> StoredMessage | None:
        """The live message, or ``None`` if unknown or deleted."""
        return self._messages.get(message_id)

    def replace(self, message: JSON) -> None:
        """Store an edited version of a message."""
        stored = self._messages[message["message_id"]]
        if not stored.content_edited and _content(stored.data) != _content(message):
            stored.content_edited = True
        stored.data = message
        self.changed.fire()
        if self._events:
            self._events.message("edited", message, by_bot=stored.by_bot)

    def remove(self, message_id: int) -> None:
        """Delete a message."""
        stored = self._messages.pop(message_id)
        self.changed.fire()
        if self._events:
            self._events.message("deleted", stored.data, by_bot=stored.by_bot)

    def bot_messages(self) -> list[JSON]:
        """The bot's current messages, oldest first."""
        return [m.data for m in self._messages.values() if m.by_bot]

    def all_messages(self) -> list[StoredMessage]:
        """Every current message, the users' too, oldest first (edits applied)."""
        return list(self._messages.values())


@dataclass(eq=False, slots=True)
class PendingQuery:
    """A callback or inline query waiting for the bot's answer."""

    user: FakeUser
    created: int
    answered: bool = False
    chat_id: int | None = None  # where the pressed message is (callback queries)
    message_id: int | None = None
    query: str = ""  # inline queries: the text typed after @bot, and the page asked for
    offset: str = ""
    answer: InlineAnswer | None = None  # inline queries: the bot's answer, or the cached one


class UpdateQueue:
    """Updates waiting for getUpdates, with Telegram's offset and long-poll rules."""

    def __init__(self) -> None:
        self._pending: deque[JSON] = deque()
        self._next_id = FIRST_UPDATE_ID
        self._arrived = Signal()
        self._long_poll: asyncio.Future[None] | None = None
        self._closed = False
        self.allowed = DEFAULT_UPDATE_TYPES
        self.delivered_upto = 0

    @property
    def pending_count(self) -> int:
        """Updates not yet confirmed by an offset (getWebhookInfo's pending_update_count)."""
        return len(self._pending)

    @property
    def has_undelivered(self) -> bool:
        """Whether some update has not been returned by getUpdates yet."""
        return bool(self._pending) and self._pending[-1]["update_id"] > self.delivered_upto

    def push(self, kind: str, payload: JSON) -> None:
        """Queue an update; types outside allowed_updates are never created, as on Telegram."""
        if kind not in self.allowed:
            return
        self._pending.append({"update_id": self._next_id, kind: payload})
        self._next_id += 1
        self._arrived.fire()

    def set_allowed(self, kinds: list[str]) -> None:
        """Apply an ``allowed_updates`` list; an empty list means the default set."""
        chosen = frozenset(kinds) & ALL_UPDATE_TYPES
        self.allowed = chosen or DEFAULT_UPDATE_TYPES

    def drop_all(self) -> None:
        """``drop_pending_updates``."""
        self._pending.clear()

    def close(self) -> None:
        """Answer waiting long polls now, and later ones at once, while the server stops."""
        self._closed = True
        self._arrived.fire()

    def reopen(self) -> None:
        """Long-poll again after a restart of the server."""
        self._closed = False

    async def fetch(self, offset: int, limit: int, poll_seconds: float) -> list[JSON]:
        """getUpdates: confirm below ``offset``, then return updates or long-poll for them."""
        self._confirm(offset)
        batch = self._take(limit)
        if batch or poll_seconds <= 0 or self._closed:
            return batch
        if self._long_poll is not None and not self._long_poll.done():
            self._long_poll.set_result(None)  # the older poll answers 409, as on Telegram
        loop = asyncio.get_running_loop()
        aborted = loop.create_future()
        self._long_poll = aborted
        deadline = loop.time() + poll_seconds
        try:
            while (remaining := deadline - loop.time()) > 0:
                await asyncio.wait(
                    (self._arrived.wait(), aborted),
                    timeout=remaining,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if aborted.done():
                    raise conflict(
                        "terminated by other getUpdates request; "
                        "make sure that only one bot instance is running"
                    )
                batch = self._take(limit)
                if batch or self._closed:
                    return batch
            return []
        finally:
            if self._long_poll is aborted:
                self._long_poll = None

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            while len(self._pending) > -offset:
                self._pending.popleft()
        elif offset > 0:
            while self._pending and self._pending[0]["update_id"] < offset:
                self._pending.popleft()

    def _take(self, limit: int) -> list[JSON]:
        batch = list(itertools.islice(self._pending, limit))
        if batch:
            self.delivered_upto = max(self.delivered_upto, batch[-1]["update_id"])
        return batch


@dataclass(eq=False)
class World:
    """Everything the server knows: the bot, users, chats, files, updates and calls."""

    bot: JSON  # the User object in messages
    profile: JSON  # getMe: the User object with the @BotFather capability flags
    now: Callable[[], int] = unix_now
    users: dict[int, FakeUser] = field(default_factory=dict)
    chats: dict[int, FakeChat] = field(default_factory=dict)
    public_chats: dict[str, FakeChat] = field(default_factory=dict)  # by lower-case username
    files: FileStore = field(default_factory=FileStore)
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    calls: list[Call] = field(default_factory=list)
    events: EventHub = field(default_factory=EventHub)
    callback_queries: dict[str, PendingQuery] = field(default_factory=dict)
    inline_queries: dict[str, PendingQuery] = field(default_factory=dict)
    inline_cache: InlineCache = field(default_factory=InlineCache)
    inline_answered: Signal = field(default_factory=Signal)
    inline_messages: dict[str, InlineMessage] = field(default_factory=dict)
    # Private chats between two users (inline shares land there), by the sorted pair of ids.
    # The bot is not in them: they have their own event hub, never the sandbox observers'.
    peer_chats: dict[tuple[int, int], ChatHistory] = field(default_factory=dict)
    # @BotFather's inline feedback: the share of chosen results reported (0: off, as default).
    inline_feedback: float = 0.0
    feedback_random: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311
    _query_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(4_611_686_018_427_387_904)
    )
    _inline_message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def bot_id(self) -> int:
        """The bot's user id."""
        return int(self.bot["id"])

    @property
    def can_read_all_group_messages(self) -> bool:
        """Privacy mode off (set in @BotFather): the bot sees every group message."""
        return bool(self.profile["can_read_all_group_messages"])

    def query_id(self) -> str:
        """A fresh callback or inline query id, a long number in a string as on Telegram."""
        return str(next(self._query_ids))

    def inline_message_id(self) -> str:
        """A fresh inline_message_id, opaque base64url like Telegram's ("AgAAAN...").

        Derived from a counter, so runs are reproducible.
        """
        serial = next(self._inline_message_ids)
        raw = (2).to_bytes(4, "little") + (self.bot_id * 1_000_003 + serial).to_bytes(16, "little")
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def peer_chat(self, a: int, b: int) -> ChatHistory:
        """The private chat between users ``a`` and ``b`` (created on first use)."""
        key = (min(a, b), max(a, b))
        history = self.peer_chats.get(key)
        if history is None:
            history = self.peer_chats[key] = ChatHistory()
        return history

    def recent_calls(self, count: int = 12) -> str:
        """The bot's last calls apart from polling, one per line, for timeout messages."""
        actions = (call for call in reversed(self.calls) if call.method.lower() != "getupdates")
        lines = [f"  {call}" for call in itertools.islice(actions, count)][::-1]
        return "\n".join(lines) if lines else "  (no calls besides getUpdates)"
