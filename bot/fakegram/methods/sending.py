"""Methods that send messages, the only ones counted against the flood limits.

Every sender parses its content first, then shares one path: markup, chat and access, reply
target, flood limits, storage. That is also the order in which Telegram reports problems.
"""

from __future__ import annotations

from ..actors import FakeChat
from ..errors import bad_request
from ..limits import RateLimiter
from ..markup import ReplyMarkup, check_channel_markup, check_private_only, parse_reply_markup
from ..state import World
from ..wire import JSON, Params
from .access import ChatAccess, Handler
from .content import (
    ALBUM_TYPES,
    CAPTION_FIELDS,
    MEDIA_KINDS,
    Content,
    MediaKind,
    content_of,
    has_media,
    media_content,
)

MAX_ALBUM = 10
MAX_POLL_OPTIONS = 12
FIRST_MEDIA_GROUP_ID = 13_000_000_000_000_000

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class Sending:
    """sendMessage, the file senders, albums, polls, copies and forwards."""

    def __init__(
        self, world: World, chats: ChatAccess, content: Content, limiter: RateLimiter | None
    ) -> None:
        self.world = world
        self.chats = chats
        self.content = content
        self.limiter = limiter
        self._media_group_id = FIRST_MEDIA_GROUP_ID

    def handlers(self) -> dict[str, Handler]:
        """Map Bot API method names to this group's handlers."""
        handlers: dict[str, Handler] = {
            "sendMessage": self.send_message,
            "sendLocation": self.send_location,
            "sendContact": self.send_contact,
            "sendPoll": self.send_poll,
            "sendChatAction": self.send_chat_action,
            "sendMediaGroup": self.send_media_group,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
        }
        for kind in MEDIA_KINDS.values():
            handlers[f"send{kind.name.capitalize()}"] = self._media_sender(kind)
        return handlers

    async def send_message(self, p: Params) -> JSON:
        """Text of 1-4096 characters after entity parsing."""
        return self._send(p, self.content.message_text(p).fields("text", "entities"))

    async def send_location(self, p: Params) -> JSON:
        """A location pin."""
        coordinates = {}
        for name in ("latitude", "longitude"):
            raw = p.text(name).strip()
            if not raw:
                raise bad_request(f"{name} is empty")
            coordinates[name] = _float(raw)
        return self._send(p, {"location": coordinates})

    async def send_contact(self, p: Params) -> JSON:
        """A contact card."""
        contact = {
            "phone_number": p.required("phone_number"),
            "first_name": p.required("first_name"),
        }
        if p.text("last_name"):
            contact["last_name"] = p.text("last_name")
        return self._send(p, {"contact": contact})

    async def send_poll(self, p: Params) -> JSON:
        """A poll; votes come later from ``FakeUser.answer_poll``."""
        question = p.required("question")
        raw_options = p.json("options", "poll options")
        if not isinstance(raw_options, list) or not 2 <= len(raw_options) <= MAX_POLL_OPTIONS:
            raise bad_request("POLL_ANSWERS_INVALID")
        options = []
        for index, option in enumerate(raw_options):
            text = option.get("text") if isinstance(option, dict) else option
            if not isinstance(text, str) or not text.strip():
                raise bad_request("POLL_ANSWERS_INVALID")
            options.append({"text": text, "voter_count": 0, "persistent_id": str(index)})
        poll: JSON = {
            "id": self.world.query_id(),
            "question": question,
            "options": options,
            "total_voter_count": 0,
            "is_closed": p.flag("is_closed"),
            "is_anonymous": p.flag("is_anonymous") if p.has("is_anonymous") else True,
            "type": p.text("type") or "regular",
            "allows_multiple_answers": p.flag("allows_multiple_answers"),
            "allows_revoting": p.flag("allows_revoting"),
            "members_only": p.flag("members_only"),
        }
        correct = p.json("correct_option_ids", "correct option identifiers")
        if correct is None and p.has("correct_option_id"):
            correct = [p.integer("correct_option_id")]
        if correct is not None:
            poll["correct_option_ids"] = correct
        return self._send(p, {"poll": poll})

    async def send_chat_action(self, p: Params) -> bool:
        """A chat action; not a message, so not counted against the flood limits."""
        self.chats.chat(p)
        if p.text("action") not in CHAT_ACTIONS:
            raise bad_request("Wrong parameter action in request")
        return True

    def _media_sender(self, kind: MediaKind) -> Handler:
        async def send_media(p: Params) -> JSON:
            stored = self.content.input_file(p, kind, p.text(kind.name), upload_name=kind.name)
            if stored is None:
                raise bad_request(f"There is no {kind.name} in the request")
            content = media_content(kind, stored)
            if kind.captioned:
                content.update(self.content.caption(p).fields(*CAPTION_FIELDS))
            if p.flag("has_spoiler"):
                content["has_media_spoiler"] = True
            return self._send(p, content)

        return send_media

    async def send_media_group(self, p: Params) -> list[JSON]:
        """An album of 2-10 items.

        Albums cannot carry buttons. Telegram silently drops a reply_markup here, which hides
        a bug, so the fake refuses it.
        """
        if p.has("reply_markup"):
            raise bad_request(
                "reply_markup can't be used in sendMediaGroup: albums have no buttons"
            )
        media = p.json("media", "media")
        if media is None:
            raise bad_request('Parameter "media" is required')
        if not isinstance(media, list):
            raise bad_request("Expected an Array of InputMedia")
        contents = [self.content.input_media(p, item, for_album=True) for item in media]
        if not contents:
            raise bad_request("There are no messages to send")
        if len(contents) > MAX_ALBUM:
            raise bad_request("Too many messages to send as an album")
        if len(contents) < 2:
            raise bad_request("Too few messages to send as an album: 2-10 items are required")
        types = {next(t for t in ALBUM_TYPES if t in content) for content in contents}
        for homogeneous in ("document", "audio"):
            if homogeneous in types and len(types) > 1:
                raise bad_request(
                    f"{homogeneous.capitalize()} can't be mixed with other media types"
                )
        chat = self._target(p, None)
        common = self._common_fields(p, chat)
        self._admit(chat, p)  # an album counts as one send
        self._media_group_id += 1
        common["media_group_id"] = str(self._media_group_id)
        return [self._store(chat, {**content, **common}, None) for content in contents]

    async def copy_message(self, p: Params) -> JSON:
        """A copy with no link to the original; returns only the new MessageId."""
        source_chat = self.chats.chat(p, "from_chat_id", access="read")
        content = content_of(self.chats.message(source_chat, p, "Message to copy").data)
        if not content:
            raise bad_request("Message can't be copied")
        if p.has("caption"):
            if not has_media(content):
                raise bad_request("There is no caption in the message to copy")
            content = {k: v for k, v in content.items() if k not in CAPTION_FIELDS}
            content.update(self.content.caption(p).fields(*CAPTION_FIELDS))
        return {"message_id": self._send(p, content)["message_id"]}

    async def forward_message(self, p: Params) -> JSON:
        """A forward: it shows ``forward_origin``, i.e. who wrote the original."""
        source_chat = self.chats.chat(p, "from_chat_id", access="read")
        source = self.chats.message(source_chat, p, "Message to forward").data
        content = content_of(source)
        if not content:
            raise bad_request("Message can't be forwarded")
        if source.get("has_protected_content"):
            raise bad_request("Message has protected content and can't be forwarded")
        origin = source.get("forward_origin") or _forward_origin(source)
        return self._send(p, {**content, "forward_origin": origin}, markup=False)

    def _send(self, p: Params, content: JSON, *, markup: bool = True) -> JSON:
        reply_markup = parse_reply_markup(p.text("reply_markup")) if markup else None
        chat = self._target(p, reply_markup)
        common = self._common_fields(p, chat)
        self._admit(chat, p)
        return self._store(chat, {**content, **common}, reply_markup)

    def _target(self, p: Params, reply_markup: ReplyMarkup | None) -> FakeChat:
        chat = self.chats.chat(p)
        check_private_only(reply_markup, private=chat.type == "private")
        check_channel_markup(reply_markup, channel=chat.type == "channel")
        return chat

    def _common_fields(self, p: Params, chat: FakeChat) -> JSON:
        """Protection and the replied message, from reply_parameters or the legacy fields."""
        fields: JSON = {}
        if p.flag("protect_content"):
            fields["has_protected_content"] = True
        reply = p.json("reply_parameters", "reply parameters")
        if reply is not None:
            if not isinstance(reply, dict):
                raise bad_request("Object expected as reply parameters")
            message_id = reply.get("message_id")
            if not isinstance(message_id, int):
                raise bad_request(
                    'Can\'t parse reply parameters: Field "message_id" must be a Number'
                )
            tolerant = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = p.integer("reply_to_message_id")
            tolerant = p.flag("allow_sending_without_reply")
        if message_id:
            if chat.history.get(message_id) is not None:
                fields["reply_to_message"] = chat.reply_target(message_id)
            elif not tolerant:
                raise bad_request("Message to be replied not found")
        return fields

    def _admit(self, chat: FakeChat, p: Params) -> None:
        if self.limiter is not None:
            self.limiter.admit(
                chat.id, private=chat.type == "private", paid=p.flag("allow_paid_broadcast")
            )

    def _store(self, chat: FakeChat, fields: JSON, reply_markup: ReplyMarkup | None) -> JSON:
        author: JSON = (
            {"sender_chat": chat.to_json()} if chat.type == "channel" else {"from": self.world.bot}
        )
        message: JSON = {
            "message_id": chat.history.next_id(),
            **author,
            "chat": chat.to_json(),
            "date": self.world.now(),
            **fields,
        }
        if reply_markup is not None:
            if reply_markup.inline is not None:
                message["reply_markup"] = reply_markup.inline
            elif reply_markup.kind == "keyboard":
                chat.history.reply_keyboard = reply_markup.value["keyboard"]
            elif reply_markup.kind == "remove_keyboard":
                chat.history.reply_keyboard = None
        chat.history.add(message, by_bot=True)
        return message


def _forward_origin(message: JSON) -> JSON:
    if "sender_chat" in message:
        return {
            "type": "channel",
            "chat": message["sender_chat"],
            "message_id": message["message_id"],
            "date": message["date"],
        }
    return {"type": "user", "sender_user": message["from"], "date": message["date"]}


def _float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        return 0.0
