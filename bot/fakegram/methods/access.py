"""Resolving ``chat_id`` arguments and Telegram's rules on who may read or write a chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from ..actors import ADMIN_STATUSES, FakeChat
from ..errors import bad_request, forbidden
from ..state import StoredMessage, World
from ..wire import Params, to_integer

Handler = Callable[[Params], Awaitable[Any]]
Access = Literal["read", "delete", "write"]

_CHAT_NOUNS = {"group": "group chat", "supergroup": "supergroup chat", "channel": "channel chat"}


class ChatAccess:
    """Chat and message lookups with tdlib's check_chat_access, shared by all methods."""

    def __init__(self, world: World) -> None:
        self.world = world

    def chat(self, p: Params, name: str = "chat_id", *, access: Access = "write") -> FakeChat:
        """The chat named by argument ``name``, checked for ``access``."""
        raw = p.text(name).strip()
        if not raw:
            raise bad_request(
                "chat_id is empty" if name == "chat_id" else f'Parameter "{name}" is required'
            )
        chat = self.lookup(raw)
        self.check(chat, access)
        return chat

    def lookup(self, raw: str) -> FakeChat:
        """A chat by id or ``@username`` (public groups and channels only)."""
        if raw.startswith("@"):
            chat = self.world.public_chats.get(raw[1:].lower())
        else:
            chat = self.world.chats.get(to_integer(raw))
        if chat is None:
            raise bad_request("Chat not found")
        return chat

    def check(self, chat: FakeChat, access: Access) -> None:
        """Refuse like Telegram: deactivated or blocking users, chats the bot is not in."""
        if chat.user is not None:
            if chat.user.deactivated and access != "read":
                raise forbidden("user is deactivated")
            if chat.user.blocked and access == "write":
                raise forbidden("bot was blocked by the user")
            return
        noun = _CHAT_NOUNS[chat.type]
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {noun}")
        if chat.bot_status == "left" and (access != "read" or not chat.username):
            raise forbidden(f"bot is not a member of the {noun}")
        if access == "write" and chat.type == "channel" and chat.bot_status not in ADMIN_STATUSES:
            raise bad_request("Need administrator rights in the channel chat")

    def message(self, chat: FakeChat, p: Params, what: str) -> StoredMessage:
        """The message named by ``message_id``; ``what`` words the error ("Message to edit")."""
        stored = chat.history.get(p.integer("message_id"))
        if stored is None:
            raise bad_request(f"{what} not found")
        return stored
