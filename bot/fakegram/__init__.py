"""A fake Telegram Bot API server, as strict as Telegram, for tests, sandboxes and benchmarks.

Usage::

    fake = FakeTelegram()
    await fake.start()
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")
        .build()
    )
    alice = fake.user(first_name="Бат")
    await alice.send("/start")
    reply = await alice.next_message()
"""

from .actors import FakeChat, FakeUser
from .errors import BotApiError
from .events import CallbackAnswerEvent, CallEvent, Event, EventQueue, MessageEvent
from .limits import Limits
from .server import FakeTelegram
from .state import Call

__all__ = [
    "BotApiError",
    "Call",
    "CallEvent",
    "CallbackAnswerEvent",
    "Event",
    "EventQueue",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "Limits",
    "MessageEvent",
]
