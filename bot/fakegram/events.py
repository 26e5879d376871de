"""Observing the fake while it runs: messages stored, edited and deleted, answers, API calls.

A sandbox UI (or a test) subscribes and reads events from a bounded queue::

    queue = fake.subscribe()
    try:
        while True:
            event = await queue.get()
            ...
    finally:
        fake.unsubscribe(queue)

Publishing costs one truth test while nobody subscribes, so benchmarks are not slowed down.
A subscriber that falls behind never blocks the server: when its queue is full the oldest
event is dropped and ``queue.dropped`` counts it, so the reader knows to resynchronise.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

from .wire import JSON

if TYPE_CHECKING:
    from .state import Call

MessageChange = Literal["new", "edited", "deleted"]
DEFAULT_QUEUE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """A message was stored, replaced by an edit, or deleted in a chat.

    ``message`` is the stored dict (never mutated later); for a deletion, the last version.
    """

    change: MessageChange
    chat_id: int
    message: JSON
    by_bot: bool

    @property
    def message_id(self) -> int:
        """The message's id within its chat."""
        return int(self.message["message_id"])


@dataclass(frozen=True, slots=True)
class CallbackAnswerEvent:
    """The bot answered a button press (answerCallbackQuery)."""

    query_id: str
    user_id: int
    chat_id: int | None  # where the pressed message is
    message_id: int | None
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True, slots=True)
class CallEvent:
    """The fake answered one Bot API request (the same record as ``FakeTelegram.calls``)."""

    call: Call


Event: TypeAlias = MessageEvent | CallbackAnswerEvent | CallEvent


class EventQueue(asyncio.Queue[Event]):
    """A subscriber's bounded queue; ``dropped`` counts events lost to a full queue."""

    def __init__(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> None:
        super().__init__(maxsize)
        self.dropped = 0


class EventHub:
    """Fans events out to subscribers' queues, dropping the oldest event of a full queue."""

    __slots__ = ("_queues",)

    def __init__(self) -> None:
        self._queues: list[EventQueue] = []

    def __bool__(self) -> bool:
        """Whether anyone listens (check before building an event)."""
        return bool(self._queues)

    def subscribe(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> EventQueue:
        """A new queue receiving every later event."""
        if maxsize <= 0:
            raise ValueError("an event queue must be bounded")
        queue = EventQueue(maxsize)
        self._queues.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        """Stop filling ``queue``; unknown queues are ignored."""
        self._queues = [q for q in self._queues if q is not queue]

    def publish(self, event: Event) -> None:
        """Hand ``event`` to every subscriber without ever waiting."""
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
                queue.dropped += 1
            queue.put_nowait(event)

    def message(self, change: MessageChange, message: JSON, *, by_bot: bool) -> None:
        """Publish a message change, if anyone listens."""
        if self._queues:
            chat_id = int(message["chat"]["id"])
            self.publish(MessageEvent(change, chat_id, message, by_bot))
