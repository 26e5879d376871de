"""Editing and deleting the bot's messages, with Telegram's "not modified" and 48-hour rules."""

from __future__ import annotations

from dataclasses import dataclass

from ..actors import ADMIN_STATUSES, FakeChat
from ..errors import bad_request
from ..markup import ReplyMarkup, check_channel_markup, parse_reply_markup
from ..state import ChatHistory, StoredMessage, World
from ..wire import JSON, Params
from .access import ChatAccess, Handler
from .content import CAPTION_FIELDS, MEDIA_KINDS, Content, has_media

DELETE_WINDOW_SECONDS = 48 * 3600
MAX_DELETE_BATCH = 100

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class Editing:
    """editMessage* and deleteMessage(s).

    An edit replaces the reply markup with the one given, so an edit without ``reply_markup``
    removes the inline keyboard, exactly as on Telegram. Messages users posted through inline
    mode are edited by ``inline_message_id`` (without chat_id and message_id), and the edit
    answers ``True`` instead of the Message.
    """

    def __init__(self, world: World, chats: ChatAccess, content: Content) -> None:
        self.world = world
        self.chats = chats
        self.content = content

    def handlers(self) -> dict[str, Handler]:
        """Map Bot API method names to this group's handlers."""
        return {
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "editMessageMedia": self.edit_message_media,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
        }

    async def edit_message_text(self, p: Params) -> JSON | bool:
        """New text for a text message."""
        formatted = self.content.message_text(p)
        reply_markup = _inline_markup(p)
        target = self._editable(p, reply_markup)
        if "text" not in target.stored.data:
            raise bad_request("There is no text in the message to edit")
        changes = formatted.fields("text", "entities")
        dropped = ("text", "entities", "link_preview_options")
        return self._apply(target, changes, dropped, reply_markup)

    async def edit_message_caption(self, p: Params) -> JSON | bool:
        """New caption for a media message."""
        formatted = self.content.caption(p)
        reply_markup = _inline_markup(p)
        target = self._editable(p, reply_markup)
        if not has_media(target.stored.data):
            raise bad_request("There is no caption in the message to edit")
        changes = formatted.fields(*CAPTION_FIELDS)
        return self._apply(target, changes, CAPTION_FIELDS, reply_markup)

    async def edit_message_reply_markup(self, p: Params) -> JSON | bool:
        """Only the inline keyboard changes; none given removes it."""
        reply_markup = _inline_markup(p)
        target = self._editable(p, reply_markup)
        return self._apply(target, {}, (), reply_markup)

    async def edit_message_media(self, p: Params) -> JSON | bool:
        """New media (and caption) for a media message."""
        media = p.json("media", "input media")
        if media is None:
            raise bad_request('Parameter "media" is required')
        changes = self.content.input_media(p, media, for_album=False)
        reply_markup = _inline_markup(p)
        target = self._editable(p, reply_markup)
        if not has_media(target.stored.data):
            raise bad_request("There is no media in the message to edit")
        dropped = (*MEDIA_KINDS, *CAPTION_FIELDS, "has_media_spoiler")
        return self._apply(target, changes, dropped, reply_markup)

    def _editable(self, p: Params, reply_markup: ReplyMarkup | None) -> _Target:
        if not p.text("chat_id") and p.integer("message_id") == 0:
            inline_message_id = p.text("inline_message_id")
            if not inline_message_id:
                raise bad_request("Message identifier is not specified")
            inline = self.world.inline_messages.get(inline_message_id)
            stored = inline.history.get(inline.message_id) if inline is not None else None
            if inline is None or stored is None:
                raise bad_request("MESSAGE_ID_INVALID")
            return _Target(inline.history, stored, inline=True)
        chat = self.chats.chat(p)
        stored = self.chats.message(chat, p, "Message to edit")
        if not stored.by_bot:
            raise bad_request("Message can't be edited")
        check_channel_markup(reply_markup, channel=chat.type == "channel")
        return _Target(chat.history, stored, inline=False)

    def _apply(
        self,
        target: _Target,
        changes: JSON,
        dropped: tuple[str, ...],
        reply_markup: ReplyMarkup | None,
    ) -> JSON | bool:
        old = target.stored.data
        replaced = {*dropped, "reply_markup", "edit_date"}
        edited = {k: v for k, v in old.items() if k not in replaced}
        edited.update(changes)
        if reply_markup is not None:
            edited["reply_markup"] = reply_markup.value
        if edited == {k: v for k, v in old.items() if k != "edit_date"}:
            raise bad_request(NOT_MODIFIED)
        edited["edit_date"] = self.world.now()
        target.history.replace(edited)
        return True if target.inline else edited

    async def delete_message(self, p: Params) -> bool:
        """Delete one message; the bot's own (or any, in private chats) within 48 hours."""
        chat = self.chats.chat(p, access="delete")
        if p.integer("message_id") <= 0:
            raise bad_request("Message identifier is not specified")
        stored = self.chats.message(chat, p, "Message to delete")
        if not self._can_delete(chat, stored):
            raise bad_request("Message can't be deleted")
        chat.history.remove(stored.data["message_id"])
        return True

    async def delete_messages(self, p: Params) -> bool:
        """Delete up to 100 messages, skipping those that cannot be deleted."""
        chat = self.chats.chat(p, access="delete")
        message_ids = p.json("message_ids", "message identifiers")
        if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= MAX_DELETE_BATCH:
            raise bad_request("Message identifiers are not specified")
        for message_id in message_ids:
            stored = chat.history.get(message_id) if isinstance(message_id, int) else None
            if stored is not None and self._can_delete(chat, stored):
                chat.history.remove(message_id)
        return True

    def _can_delete(self, chat: FakeChat, stored: StoredMessage) -> bool:
        if chat.type != "private" and chat.bot_status in ADMIN_STATUSES:
            return True
        recent = self.world.now() - int(stored.data["date"]) < DELETE_WINDOW_SECONDS
        return recent and (stored.by_bot or chat.type == "private")


@dataclass(frozen=True, slots=True)
class _Target:
    """The message an edit changes, and whether it was named by inline_message_id."""

    history: ChatHistory
    stored: StoredMessage
    inline: bool


def _inline_markup(p: Params) -> ReplyMarkup | None:
    """Edits take only inline keyboards."""
    reply_markup = parse_reply_markup(p.text("reply_markup"))
    if reply_markup is not None and reply_markup.inline is None:
        raise bad_request("Inline keyboard expected")
    return reply_markup
