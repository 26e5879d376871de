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

Beyond chats: inline mode (``FakeUser.inline_query``, ``choose_inline_result``,
``share_via_button``, ``press_inline``; ``FakeTelegram(supports_inline_queries=True,
inline_feedback=True)``), channel reaction counts (``FakeChat.react``) and member counts
(``member_count``), injected failures (``fail_next``) and a flaky Telegram (``chaos``: HTML 502
pages, dropped connections before or after the action, late answers; ``chaos_stats``,
``deliveries``).
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
