"""The dispatch table: every implemented Bot API method, by lower-case name."""

from __future__ import annotations

from .limits import RateLimiter
from .methods.access import ChatAccess, Handler
from .methods.bot import BotMethods
from .methods.chats import ChatMethods
from .methods.content import Content
from .methods.editing import Editing
from .methods.sending import Sending
from .state import World


class BotApi:
    """The method groups over one ``World``; Telegram matches method names case-insensitively."""

    def __init__(self, world: World, limiter: RateLimiter | None) -> None:
        chats = ChatAccess(world)
        content = Content(world.files)
        self.bot = BotMethods(world, chats)
        groups = (
            self.bot,
            Sending(world, chats, content, limiter),
            Editing(world, chats, content),
            ChatMethods(world, chats),
        )
        self.methods: dict[str, Handler] = {
            name.lower(): handler for group in groups for name, handler in group.handlers().items()
        }
        # Telegram's method names are case-insensitive; calls are recorded under the
        # documented spelling whatever the bot sent ("sendmessage" → "sendMessage").
        self.names: dict[str, str] = {
            name.lower(): name for group in groups for name in group.handlers()
        }
