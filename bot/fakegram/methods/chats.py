"""Questions about chats and members, leaving, pinning and the chat menu button."""

from __future__ import annotations

from ..actors import ADMIN_STATUSES, FakeChat, member_json
from ..errors import bad_request
from ..state import World
from ..wire import JSON, Params
from .access import ChatAccess, Handler

DEFAULT_MENU_BUTTON: JSON = {"type": "default"}
_MENU_BUTTON_TYPES = ("default", "commands", "web_app")
# ChatFullInfo fields PTB requires that the fake has no opinion about
_FULL_INFO_DEFAULTS: JSON = {
    "accent_color_id": 0,
    "max_reaction_count": 11,
    "accepted_gift_types": {
        "unlimited_gifts": True,
        "limited_gifts": True,
        "unique_gifts": True,
        "premium_subscription": True,
        "gifts_from_channels": True,
    },
}


class ChatMethods:
    """getChat*, leaveChat, pin/unpin and the menu button."""

    def __init__(self, world: World, chats: ChatAccess) -> None:
        self.world = world
        self.chats = chats
        self.default_menu_button = DEFAULT_MENU_BUTTON

    def handlers(self) -> dict[str, Handler]:
        """Map Bot API method names to this group's handlers."""
        return {
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatMemberCount": self.get_chat_member_count,
            "getChatAdministrators": self.get_chat_administrators,
            "leaveChat": self.leave_chat,
            "pinChatMessage": self.pin_chat_message,
            "unpinChatMessage": self.unpin_chat_message,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
        }

    async def get_chat(self, p: Params) -> JSON:
        """ChatFullInfo."""
        chat = self.chats.chat(p, access="read")
        return {**chat.to_json(), **_FULL_INFO_DEFAULTS}

    async def get_chat_member(self, p: Params) -> JSON:
        """A member's status; users who never joined are "left"."""
        chat = self.chats.chat(p, access="read")
        user_id = p.integer("user_id")
        if user_id == self.world.bot_id:
            return member_json(self.world.bot, chat.bot_status)
        user = self.world.users.get(user_id)
        if user is None:
            raise bad_request("User not found")
        if chat.user is not None:
            return member_json(user.to_json(), "member" if user is chat.user else "left")
        return member_json(user.to_json(), chat.members.get(user_id, "left"))

    async def get_chat_member_count(self, p: Params) -> int:
        """Members present, the bot included, or the count set on the chat."""
        return self.chats.chat(p, access="read").member_count

    async def get_chat_administrators(self, p: Params) -> list[JSON]:
        """The administrators, the bot included when it is one."""
        chat = self.chats.chat(p, access="read")
        if chat.user is not None:
            raise bad_request("There are no administrators in the private chat")
        admins = [
            member_json(self.world.users[user_id].to_json(), status)
            for user_id, status in chat.members.items()
            if status in ADMIN_STATUSES
        ]
        if chat.bot_status in ADMIN_STATUSES:
            admins.append(member_json(self.world.bot, chat.bot_status))
        return admins

    async def leave_chat(self, p: Params) -> bool:
        """The bot leaves a group or channel (and gets ``my_chat_member``)."""
        chat = self.chats.chat(p, access="read")
        if chat.user is not None:
            raise bad_request("Chat member status can't be changed in private chats")
        chat.change_bot_status("left", by=None)
        return True

    async def pin_chat_message(self, p: Params) -> bool:
        """Pin; in groups the bot must be an administrator."""
        chat = self.chats.chat(p)
        stored = self.chats.message(chat, p, "Message to pin")
        _check_pin_rights(chat)
        chat.pinned.append(stored.data["message_id"])
        return True

    async def unpin_chat_message(self, p: Params) -> bool:
        """Unpin one message, or the most recent pin."""
        chat = self.chats.chat(p)
        _check_pin_rights(chat)
        message_id = p.integer("message_id") or (chat.pinned[-1] if chat.pinned else 0)
        if message_id not in chat.pinned:
            raise bad_request("Message to unpin not found")
        chat.pinned.remove(message_id)
        return True

    async def set_chat_menu_button(self, p: Params) -> bool:
        """The menu button of one private chat, or the default for all chats."""
        button = p.json("menu_button", "menu button") or DEFAULT_MENU_BUTTON
        if not isinstance(button, dict) or button.get("type") not in _MENU_BUTTON_TYPES:
            raise bad_request("Can't parse menu button: MenuButton must be an Object")
        if button["type"] == "web_app" and not (
            isinstance(button.get("text"), str) and isinstance(button.get("web_app"), dict)
        ):
            raise bad_request("Can't parse menu button: Can't find field \"web_app\"")
        if p.text("chat_id"):
            self.chats.chat(p, access="read").menu_button = button
        else:
            self.default_menu_button = button
        return True

    async def get_chat_menu_button(self, p: Params) -> JSON:
        """The chat's own menu button, else the default."""
        if p.text("chat_id"):
            own = self.chats.chat(p, access="read").menu_button
            if own is not None:
                return own
        return self.default_menu_button


def _check_pin_rights(chat: FakeChat) -> None:
    if chat.user is None and chat.bot_status not in ADMIN_STATUSES:
        raise bad_request("Not enough rights to manage pinned messages in the chat")
