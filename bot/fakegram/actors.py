"""Simulated Telegram users and chats: what a test does on the other side of the bot.

Every user action creates the message or update a real client would cause and queues it for
getUpdates. Group messages follow the privacy mode: a bot that is a plain member (and was not
allowed to read all group messages) only sees commands, replies to it, mentions of it and
service messages, exactly what Telegram would deliver.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from .formatting import format_text
from .inline import MAX_INLINE_QUERY_LENGTH, InlineAnswer, InlineMessage, InlineResult
from .markup import CHOSEN_CHAT_TYPES, SWITCH_INLINE_ACTIONS, inline_buttons
from .reactions import reaction_counts
from .state import ChatHistory, PendingQuery, World
from .wire import JSON

ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "left", "kicked"]

PRESENT_STATUSES = frozenset({"creator", "administrator", "member"})
ADMIN_STATUSES = frozenset({"creator", "administrator"})
_SERVICE_FIELDS = ("new_chat_members", "left_chat_member", "pinned_message", "new_chat_title")
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_post_messages",
    "can_edit_messages",
    "can_pin_messages",
)
_STICKER_BYTES = b"RIFF\x1a\x00\x00\x00WEBPVP8L fakegram sticker"


def member_json(user: JSON, status: str) -> JSON:
    """A ChatMember object of the given status, with every field PTB requires."""
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "kicked":
        member["until_date"] = 0
    return member


class FakeChat:
    """A chat as the test sees it: the bot's messages in it and actions on it."""

    def __init__(
        self,
        world: World,
        chat_id: int,
        chat_type: ChatType,
        *,
        title: str | None = None,
        username: str | None = None,
        user: FakeUser | None = None,
        bot_status: MemberStatus = "member",
    ) -> None:
        self._world = world
        self.id = chat_id
        self.type: ChatType = chat_type
        self.title = title
        self.username = username
        self.user = user  # the other party of a private chat
        self.bot_status: MemberStatus = bot_status
        self.members: dict[int, MemberStatus] = {}
        self.history = ChatHistory(world.events)
        self.menu_button: JSON | None = None  # None: the bot's default button
        self.pinned: list[int] = []
        self.chat_instance = str(7_000_000_000_000_000_000 + chat_id)  # stable per chat
        self.reactions: dict[int, list[JSON]] = {}  # message_id -> ReactionCount list (channels)
        self._cursor = 0
        self._unlisted_members = 0  # members beyond ``members``, from setting member_count

    @property
    def member_count(self) -> int:
        """What getChatMemberCount answers: the members present, the bot included.

        Set it to model a big channel or group without creating every member; later joins
        and leaves (``add_member``, the bot's own status) still move it by one.
        """
        return max(0, self._listed_member_count() + self._unlisted_members)

    @member_count.setter
    def member_count(self, count: int) -> None:
        if self.user is not None:
            raise ValueError("a private chat always has two members")
        if count < 0:
            raise ValueError("a member count cannot be negative")
        self._unlisted_members = count - self._listed_member_count()

    def _listed_member_count(self) -> int:
        if self.user is not None:
            return 2
        present = sum(status in PRESENT_STATUSES for status in self.members.values())
        return present + (self.bot_status in PRESENT_STATUSES)

    def __repr__(self) -> str:
        name = self.title or (self.user.first_name if self.user else "")
        return f"<FakeChat {self.type} {self.id} {name!r}>"

    def to_json(self) -> JSON:
        """The Chat object embedded in messages and updates."""
        if self.user is not None:
            return {**_name_fields(self.user), "id": self.id, "type": "private"}
        chat: JSON = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            chat["username"] = self.username
        return chat

    # --- what the bot sent ------------------------------------------------------------------

    def messages(self) -> list[JSON]:
        """The bot's current messages here (edits applied, deletions removed), oldest first."""
        return self.history.bot_messages()

    def texts(self) -> list[str]:
        """Text or caption of each of the bot's current messages."""
        return [_text_of(m) for m in self.messages()]

    def reply_keyboard(self) -> list[list[JSON]] | None:
        """The reply keyboard the bot shows here, until it sends ReplyKeyboardRemove."""
        return self.history.reply_keyboard

    async def next_message(self, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """The next message the bot sends here after the last one consumed (a cursor)."""
        return await self._wait(lambda: self._consume(None), timeout, "new bot message")

    async def wait_for(self, predicate: Callable[[JSON], bool], timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """A bot message matching ``predicate``: unconsumed new ones first, then current ones."""

        def check() -> JSON | None:
            found = self._consume(predicate)
            if found is None:
                found = next((m for m in reversed(self.messages()) if predicate(m)), None)
            return found

        return await self._wait(check, timeout, "bot message matching the predicate")

    def _consume(self, predicate: Callable[[JSON], bool] | None) -> JSON | None:
        sent = self.history.sent
        for index in range(self._cursor, len(sent)):
            if predicate is None or predicate(sent[index]):
                self._cursor = index + 1
                return sent[index]
        return None

    async def _wait(self, check: Callable[[], JSON | None], seconds: float, what: str) -> JSON:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (found := check()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"No {what} in {self!r} within {seconds:g} s.\n"
                    f"Bot messages here: {self.texts()!r}\n"
                    f"Recent calls:\n{self._world.recent_calls()}"
                )
            await asyncio.wait((self.history.changed.wait(),), timeout=remaining)
        return found

    # --- what happens in the chat -----------------------------------------------------------

    async def post(self, text: str) -> JSON:
        """A channel post by the channel's owner, delivered as ``channel_post``."""
        if self.type != "channel":
            raise ValueError(f"{self!r} is not a channel")
        return self.publish(_user_text(text))

    def publish(self, fields: JSON) -> JSON:
        """Store a post an administrator made in this channel; ``channel_post`` to an admin bot."""
        message: JSON = {
            "message_id": self.history.next_id(),
            "sender_chat": self.to_json(),
            "chat": self.to_json(),
            "date": self._world.now(),
            **fields,
        }
        self.history.add(message, by_bot=False)
        if self.bot_status in ADMIN_STATUSES:
            self._world.updates.push("channel_post", message)
        return message

    async def react(self, message_id: int, totals: Mapping[str, int]) -> JSON:
        """Set the anonymous reaction totals of a channel post: ``message_reaction_count``.

        ``totals`` maps an emoji (one Telegram allows: the heart is "\u2764", no U+FE0F),
        ``"paid"`` or ``"custom_emoji:<id>"`` to its new total; totals replace the previous
        ones, and a reaction left out has no count any more. The update goes to the bot only
        if it administers the channel and named ``message_reaction_count`` in
        ``allowed_updates``. Returns the MessageReactionCountUpdated object.
        """
        if self.type != "channel":
            raise ValueError(f"{self!r} is not a channel; anonymous reaction counts are channels'")
        if self.history.get(message_id) is None:
            raise LookupError(f"no message {message_id} in {self!r}")
        counts = reaction_counts(totals)
        self.reactions[message_id] = counts
        update: JSON = {
            "chat": self.to_json(),
            "message_id": message_id,
            "date": self._world.now(),
            "reactions": counts,
        }
        if self.bot_status in ADMIN_STATUSES:
            self._world.updates.push("message_reaction_count", update)
        return update

    async def add_member(self, user: FakeUser, status: MemberStatus = "member") -> None:
        """A user joins: a service message, and ``chat_member`` if the bot is an admin."""
        old = self.members.get(user.id, "left")
        self.members[user.id] = status
        if self.type != "channel":
            self.receive(user, {"new_chat_members": [user.to_json()]})
        if self.bot_status in ADMIN_STATUSES:
            self._world.updates.push(
                "chat_member", self._member_update(user, user.to_json(), old, status)
            )

    def change_bot_status(self, status: MemberStatus, by: FakeUser | None) -> None:
        """The bot is added, promoted, removed or leaves: ``my_chat_member``, maybe a join."""
        bot = self._world.bot
        old = self.bot_status
        self.bot_status = status
        self._world.updates.push("my_chat_member", self._member_update(by, bot, old, status))
        joined = old not in PRESENT_STATUSES and status in PRESENT_STATUSES
        if by is not None and joined and self.type in ("group", "supergroup"):
            self.receive(by, {"new_chat_members": [bot]})

    def _member_update(self, by: FakeUser | None, user: JSON, old: str, new: str) -> JSON:
        return {
            "chat": self.to_json(),
            "from": by.to_json() if by is not None else self._world.bot,
            "date": self._world.now(),
            "old_chat_member": member_json(user, old),
            "new_chat_member": member_json(user, new),
        }

    def receive(self, user: FakeUser, fields: JSON) -> JSON:
        """Store a user's message and deliver it if the bot would see it."""
        message: JSON = {
            "message_id": self.history.next_id(),
            "from": user.to_json(),
            "chat": self.to_json(),
            "date": self._world.now(),
            **fields,
        }
        self.history.add(message, by_bot=False)
        if self.bot_sees(message):
            self._world.updates.push("message", message)
        return message

    def bot_sees(self, message: JSON) -> bool:
        """Whether Telegram would deliver this user message to the bot (privacy mode)."""
        if self.type == "private":
            return True
        if self.bot_status not in PRESENT_STATUSES:
            return False
        if self.bot_status in ADMIN_STATUSES or self._world.can_read_all_group_messages:
            return True
        return self._addressed_to_bot(message)

    def _addressed_to_bot(self, message: JSON) -> bool:
        bot = self._world.bot
        if any(name in message for name in _SERVICE_FIELDS):
            return True
        if message.get("via_bot", {}).get("id") == bot["id"]:
            return True  # messages sent via this bot reach it in privacy mode too
        if message.get("reply_to_message", {}).get("from", {}).get("id") == bot["id"]:
            return True
        text = _text_of(message)
        username = str(bot["username"]).lower()
        if re.search(rf"@{re.escape(username)}\b", text, re.IGNORECASE):
            return True
        command = re.match(r"/\w+(?:@(\w+))?", text, re.ASCII)
        if command is None:
            return False
        addressee = command.group(1)
        return addressee is None or addressee.lower() == username

    def reply_target(self, message_id: int) -> JSON:
        """A message as embedded in ``reply_to_message`` (without its own reply)."""
        stored = self.history.get(message_id)
        if stored is None:
            raise LookupError(f"no message {message_id} in {self!r}")
        return {k: v for k, v in stored.data.items() if k != "reply_to_message"}


class FakeUser:
    """A Telegram user who has started the bot; its methods are what the user does."""

    def __init__(
        self,
        world: World,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self._world = world
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.blocked = False
        self.deactivated = False
        self.callback_answers: list[JSON] = []  # answerCallbackQuery arguments, in order
        self.inline_answers: list[JSON] = []  # answerInlineQuery arguments, in order
        self.chat = FakeChat(world, user_id, "private", user=self)

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r}>"

    def to_json(self) -> JSON:
        """The User object embedded in messages and updates."""
        user: JSON = {"id": self.id, "is_bot": False, **_name_fields(self)}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    # --- the private chat, from the user's side ---------------------------------------------

    def messages(self) -> list[JSON]:
        """The bot's current messages in the private chat, oldest first."""
        return self.chat.messages()

    def texts(self) -> list[str]:
        """Text or caption of each of those messages."""
        return self.chat.texts()

    def reply_keyboard(self) -> list[list[JSON]] | None:
        """The reply keyboard the bot currently shows this user."""
        return self.chat.reply_keyboard()

    async def next_message(self, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """The next message the bot sends this user (see ``FakeChat.next_message``)."""
        return await self.chat.next_message(timeout)

    async def wait_for(self, predicate: Callable[[JSON], bool], timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """A bot message to this user matching ``predicate``."""
        return await self.chat.wait_for(predicate, timeout)

    # --- sending --------------------------------------------------------------------------

    async def send(
        self, text: str, *, chat: FakeChat | None = None, reply_to: int | None = None
    ) -> JSON:
        """A text message; commands get their ``bot_command`` entity like in a real client."""
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        return self._send(chat, _user_text(text), reply_to)

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        *,
        width: int = 1280,
        height: int = 960,
        chat: FakeChat | None = None,
    ) -> JSON:
        """A photo, in Telegram's several sizes (the last one is ``data``)."""
        photo = self._world.files.add_photo(data, width, height)
        fields = {"photo": [size.to_json() for size in photo], **_caption(caption)}
        return self._send(chat, fields)

    async def send_document(
        self,
        data: bytes,
        file_name: str = "a.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        *,
        file_size: int | None = None,
        chat: FakeChat | None = None,
    ) -> JSON:
        """A file sent "as file"; ``file_size`` may claim more than ``data`` (huge uploads)."""
        meta = {"file_name": file_name, "mime_type": mime_type}
        stored = self._world.files.add("Document", data, size=file_size, meta=meta)
        return self._send(chat, {"document": stored.to_json(), **_caption(caption)})

    async def send_voice(
        self,
        data: bytes,
        duration: int = 3,
        mime_type: str = "audio/ogg",
        *,
        chat: FakeChat | None = None,
    ) -> JSON:
        """A voice note."""
        meta = {"duration": duration, "mime_type": mime_type}
        stored = self._world.files.add("VoiceNote", data, meta=meta)
        return self._send(chat, {"voice": stored.to_json()})

    async def send_video(
        self,
        data: bytes,
        duration: int = 5,
        width: int = 640,
        height: int = 360,
        caption: str | None = None,
        *,
        file_name: str = "video.mp4",
        mime_type: str = "video/mp4",
        chat: FakeChat | None = None,
    ) -> JSON:
        """A video."""
        meta = {
            "duration": duration,
            "width": width,
            "height": height,
            "file_name": file_name,
            "mime_type": mime_type,
        }
        stored = self._world.files.add("Video", data, meta=meta)
        return self._send(chat, {"video": stored.to_json(), **_caption(caption)})

    async def send_audio(
        self,
        data: bytes,
        duration: int = 180,
        caption: str | None = None,
        *,
        title: str | None = None,
        performer: str | None = None,
        file_name: str = "audio.mp3",
        mime_type: str = "audio/mpeg",
        chat: FakeChat | None = None,
    ) -> JSON:
        """A music file."""
        meta: JSON = {"duration": duration, "file_name": file_name, "mime_type": mime_type}
        meta.update({k: v for k, v in (("title", title), ("performer", performer)) if v})
        stored = self._world.files.add("Audio", data, meta=meta)
        return self._send(chat, {"audio": stored.to_json(), **_caption(caption)})

    async def send_sticker(self, emoji: str = "🙂", *, chat: FakeChat | None = None) -> JSON:
        """A regular static sticker."""
        meta = {
            "width": 512,
            "height": 512,
            "emoji": emoji,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
        stored = self._world.files.add("Sticker", _STICKER_BYTES, meta=meta)
        return self._send(chat, {"sticker": stored.to_json()})

    async def send_location(
        self, latitude: float, longitude: float, *, chat: FakeChat | None = None
    ) -> JSON:
        """A location pin."""
        return self._send(chat, {"location": {"latitude": latitude, "longitude": longitude}})

    async def send_contact(
        self,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | None = None,
        *,
        chat: FakeChat | None = None,
    ) -> JSON:
        """A shared contact; by default the user's own (what ``request_contact`` sends)."""
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": first_name,
            "user_id": self.id if user_id is None else user_id,
        }
        if last_name:
            contact["last_name"] = last_name
        return self._send(chat, {"contact": contact})

    async def edit(self, message_id: int, text: str, *, chat: FakeChat | None = None) -> JSON:
        """Edit one of the user's own text messages: an ``edited_message`` update."""
        target = chat or self.chat
        self._check_can_write(target)
        stored = target.history.get(message_id)
        if stored is None or stored.by_bot or stored.data.get("from", {}).get("id") != self.id:
            raise LookupError(f"{self!r} has no message {message_id} in {target!r}")
        kept = {k: v for k, v in stored.data.items() if k not in ("text", "entities")}
        edited = {**kept, **_user_text(text), "edit_date": self._world.now()}
        target.history.replace(edited)
        if target.bot_sees(edited):
            self._world.updates.push("edited_message", edited)
        return edited

    def _send(self, chat: FakeChat | None, fields: JSON, reply_to: int | None = None) -> JSON:
        target = chat or self.chat
        self._check_can_write(target)
        if reply_to is not None:
            fields = {**fields, "reply_to_message": target.reply_target(reply_to)}
        return target.receive(self, fields)

    def _check_can_write(self, chat: FakeChat) -> None:
        if self.deactivated:
            raise RuntimeError(f"{self!r} is deactivated")
        if chat.type == "private":
            if chat is not self.chat:
                raise ValueError(f"{self!r} cannot write in another user's private chat")
            if self.blocked:
                raise RuntimeError(f"{self!r} blocked the bot; call unblock() first")
        elif chat.type == "channel":
            raise ValueError("users cannot write in a channel; use FakeChat.post()")
        elif chat.members.get(self.id) not in PRESENT_STATUSES:
            raise ValueError(f"{self!r} is not a member of {chat!r}; use add_member()")

    # --- buttons, queries and polls -------------------------------------------------------

    async def press(
        self, button: str, *, message_id: int | None = None, chat: FakeChat | None = None
    ) -> str:
        """Press an inline callback button, found by text or callback_data; returns the query id.

        Without ``message_id`` the newest bot message having such a button is used.
        """
        target = chat or self.chat
        candidates = self._bot_messages(target, message_id)
        for message in candidates:
            for candidate in inline_buttons(message.get("reply_markup")):
                if "callback_data" in candidate and button in (
                    candidate["text"],
                    candidate["callback_data"],
                ):
                    return self._callback_query(target, message, candidate["callback_data"])
        shown = [b["text"] for m in candidates for b in inline_buttons(m.get("reply_markup"))]
        raise LookupError(f"no callback button {button!r} in {target!r}; buttons shown: {shown}")

    async def press_data(
        self, data: str, *, message_id: int | None = None, chat: FakeChat | None = None
    ) -> str:
        """Send arbitrary (forged or stale) callback_data on a bot message; returns the query id."""
        target = chat or self.chat
        candidates = self._bot_messages(target, message_id)
        if not candidates:
            raise LookupError(f"no bot message in {target!r} to press on")
        return self._callback_query(target, candidates[0], data)

    async def inline_query(
        self, query: str, offset: str = "", *, chat: FakeChat | FakeUser | None = None
    ) -> str:
        """Type ``@bot query`` in ``chat``: an ``inline_query`` update; returns its id.

        ``chat`` is where the user types (a FakeChat, another FakeUser for their private chat,
        or None for the user's Saved Messages: ``chat_type`` "sender"). When Telegram still
        caches an answer to the same query and offset (``cache_time``, shared by all users
        unless ``is_personal``), the bot gets no update and the query is answered from the
        cache at once, as on Telegram.
        """
        self._check_active()
        if not self._world.profile["supports_inline_queries"]:
            raise RuntimeError("inline mode is off; use FakeTelegram(supports_inline_queries=True)")
        if len(query) > MAX_INLINE_QUERY_LENGTH:
            raise ValueError(f"clients send at most {MAX_INLINE_QUERY_LENGTH} characters")
        world = self._world
        query_id = world.query_id()
        pending = PendingQuery(self, world.now(), query=query, offset=offset)
        world.inline_queries[query_id] = pending
        cached = world.inline_cache.get(query, offset, self.id, world.now())
        if cached is not None:
            pending.answered, pending.answer = True, cached
            return query_id
        update = {
            "id": query_id,
            "from": self.to_json(),
            "query": query,
            "offset": offset,
            "chat_type": self._chat_type(chat),
        }
        world.updates.push("inline_query", update)
        return query_id

    async def inline_results(self, query_id: str, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109
        """The results the bot answered (or Telegram's cache gave) for ``query_id``, waiting."""
        answer = await self._inline_answer(query_id, timeout)
        return [result.raw for result in answer.results]

    async def choose_inline_result(
        self, query_id: str, result_id: str, *, chat: FakeChat | FakeUser
    ) -> JSON:
        """Pick a result of the bot's answer: the client posts it in ``chat`` "via @bot".

        ``chat`` is a group, a channel the user administers, the user's own chat with the bot,
        or another user (their private chat, which the bot cannot see; see ``inbox``). The
        message has ``via_bot``, the result's content and inline keyboard; the bot gets it as
        any message in that chat. With inline feedback on (``FakeTelegram(inline_feedback=)``)
        the bot also gets ``chosen_inline_result``, which says who chose what, not where; it
        carries ``inline_message_id`` only when the message has an inline keyboard. Returns
        the posted message.
        """
        self._check_active()
        pending = self._world.inline_queries.get(query_id)
        if pending is None or pending.user is not self:
            raise LookupError(f"{self!r} sent no inline query {query_id}")
        if pending.answer is None:
            raise LookupError(f"the bot has not answered inline query {query_id} yet")
        result = pending.answer.result(result_id)
        if result is None:
            shown = [r.id for r in pending.answer.results]
            raise LookupError(
                f"the bot's answer to {query_id} has no result {result_id!r}: {shown}"
            )
        if result.content is None:
            reason = result.why_not or "it has no message content"
            raise ValueError(f"result {result_id!r} cannot be posted by the fake: {reason}")
        message, inline = self._post_inline(result, chat)
        inline_message_id = ""
        if result.reply_markup is not None and inline is not None:
            inline_message_id = self._world.inline_message_id()
            self._world.inline_messages[inline_message_id] = inline
        if self._feedback_sampled():
            chosen: JSON = {"result_id": result.id, "from": self.to_json(), "query": pending.query}
            if inline_message_id:
                chosen["inline_message_id"] = inline_message_id
            self._world.updates.push("chosen_inline_result", chosen)
        return message

    async def share_via_button(
        self,
        message: JSON,
        button: str,
        chat: FakeChat | FakeUser | None = None,
        *,
        result_id: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """Press a switch-inline button and send a result to ``chat``, as a real client does.

        The button (by text, or by its query) opens inline mode with its query: for
        ``switch_inline_query`` in the chat the user picks, for ``switch_inline_query_chosen_chat``
        in a picked chat of an allowed type, for ``switch_inline_query_current_chat`` in the
        message's own chat (``chat`` may then be omitted). Then waits for the bot's answer and
        chooses ``result_id`` (default the first result). Returns the posted message.
        """
        current = self._current_version(message)
        found = _switch_button(current, button)
        if found is None:
            shown = [b["text"] for b in inline_buttons(current.get("reply_markup"))]
            raise LookupError(f"no switch-inline button {button!r} on the message: {shown}")
        action, query, allowed = found
        here = self._world.chats.get(int(current["chat"]["id"]))
        if action == "switch_inline_query_current_chat":
            if chat is not None and chat is not here:
                raise ValueError("a switch_inline_query_current_chat button stays in its chat")
            chat = here
        if chat is None:
            raise ValueError("pick the chat to share to: chat=<FakeChat or FakeUser>")
        kind = self._picker_kind(chat)
        if allowed is not None and not allowed.get(f"allow_{kind}_chats", False):
            raise ValueError(f"the button does not let the user pick {kind} chats: {allowed}")
        query_id = await self.inline_query(query, chat=chat)
        answer = await self._inline_answer(query_id, timeout)
        if not answer.results:
            raise LookupError(f"the bot answered inline query {query!r} with no results")
        chosen = result_id if result_id is not None else answer.results[0].id
        return await self.choose_inline_result(query_id, chosen, chat=chat)

    def inbox(self) -> list[JSON]:
        """Messages other users posted in their private chats with this user (inline shares)."""
        return [
            stored.data
            for (low, high), history in self._world.peer_chats.items()
            if self.id in (low, high)
            for stored in history.all_messages()
            if stored.data["from"]["id"] != self.id or low == high
        ]

    async def press_inline(self, message: JSON, button: str) -> str:
        """Press a callback button on a message posted through inline mode; returns the query id.

        The bot gets a ``callback_query`` with ``inline_message_id`` and no ``message``, as on
        Telegram. ``message`` is what ``choose_inline_result`` returned (or a later version).
        """
        self._check_active()
        found = self._inline_message(message)
        if found is None:
            raise LookupError("not a message posted through inline mode with an inline keyboard")
        inline_message_id, inline = found
        if inline.peers and self.id not in inline.peers:
            raise ValueError(f"{self!r} is not in the chat of that message")
        if inline.chat is not None and inline.chat.type != "channel":
            self._check_can_write(inline.chat)
        stored = inline.history.get(inline.message_id)
        if stored is None:
            raise LookupError("the message was deleted")
        for candidate in inline_buttons(stored.data.get("reply_markup")):
            if "callback_data" in candidate and button in (
                candidate["text"],
                candidate["callback_data"],
            ):
                query_id = self._world.query_id()
                self._world.callback_queries[query_id] = PendingQuery(self, self._world.now())
                update = {
                    "id": query_id,
                    "from": self.to_json(),
                    "inline_message_id": inline_message_id,
                    "chat_instance": inline.chat_instance,
                    "data": candidate["callback_data"],
                }
                self._world.updates.push("callback_query", update)
                return query_id
        shown = [b["text"] for b in inline_buttons(stored.data.get("reply_markup"))]
        raise LookupError(f"no callback button {button!r} on the inline message: {shown}")

    async def _inline_answer(self, query_id: str, seconds: float) -> InlineAnswer:
        pending = self._world.inline_queries.get(query_id)
        if pending is None or pending.user is not self:
            raise LookupError(f"{self!r} sent no inline query {query_id}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while pending.answer is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"The bot did not answer inline query {pending.query!r} within {seconds:g} s."
                    f"\nRecent calls:\n{self._world.recent_calls()}"
                )
            await asyncio.wait((self._world.inline_answered.wait(),), timeout=remaining)
        return pending.answer

    def _post_inline(
        self, result: InlineResult, chat: FakeChat | FakeUser
    ) -> tuple[JSON, InlineMessage | None]:
        """Post a chosen result as this user's message; the record needed to edit it later."""
        world = self._world
        fields: JSON = {"via_bot": world.bot, **(result.content or {})}
        if result.reply_markup is not None:
            fields["reply_markup"] = result.reply_markup
        if isinstance(chat, FakeUser):
            chat._check_active()
            history = world.peer_chat(self.id, chat.id)
            message: JSON = {
                "message_id": history.next_id(),
                "from": self.to_json(),
                "chat": {**_name_fields(chat), "id": chat.id, "type": "private"},
                "date": world.now(),
                **fields,
            }
            history.add(message, by_bot=False)
            low, high = sorted((self.id, chat.id))
            instance = str(8_000_000_000_000_000_000 + low * 7 + high)
            return message, InlineMessage(
                history, message["message_id"], instance, peers=(low, high)
            )
        if chat.type == "channel":
            if chat.members.get(self.id) not in ADMIN_STATUSES:
                raise ValueError(f"{self!r} is not an administrator of {chat!r}")
            message = chat.publish(fields)
        else:
            if chat.type == "private" and chat is not self.chat:
                raise ValueError("another user's chat with the bot; pass chat=<that FakeUser>")
            self._check_can_write(chat)
            message = chat.receive(self, fields)
        return message, InlineMessage(
            chat.history, int(message["message_id"]), chat.chat_instance, chat=chat
        )

    def _inline_message(self, message: JSON) -> tuple[str, InlineMessage] | None:
        for inline_message_id, inline in self._world.inline_messages.items():
            stored = inline.history.get(inline.message_id)
            if (
                stored is not None
                and stored.data["message_id"] == message.get("message_id")
                and stored.data["chat"]["id"] == message.get("chat", {}).get("id")
                and stored.data.get("from", {}).get("id") == message.get("from", {}).get("id")
            ):
                return inline_message_id, inline
        return None

    def _current_version(self, message: JSON) -> JSON:
        """A bot message as it is now (edits applied), if the fake knows its chat."""
        if message.get("from", {}).get("id") != self._world.bot_id:
            return message
        chat = self._world.chats.get(int(message["chat"]["id"]))
        if chat is None:
            return message
        stored = chat.history.get(int(message["message_id"]))
        if stored is None:
            raise LookupError(f"message {message['message_id']} was deleted from {chat!r}")
        return stored.data

    def _chat_type(self, chat: FakeChat | FakeUser | None) -> str:
        if chat is None or chat is self:
            return "sender"
        if isinstance(chat, FakeUser):
            return "private"
        return chat.type

    def _picker_kind(self, chat: FakeChat | FakeUser) -> str:
        """How a chat picker classes a chat: user, bot, group or channel chats."""
        if isinstance(chat, FakeUser):
            return "user"
        if chat.type == "private":
            return "bot"  # the chat with this bot
        return "channel" if chat.type == "channel" else "group"

    def _feedback_sampled(self) -> bool:
        share = self._world.inline_feedback
        return share >= 1.0 or (share > 0.0 and self._world.feedback_random.random() < share)

    async def answer_poll(
        self, message_id: int, option_ids: Iterable[int], *, chat: FakeChat | None = None
    ) -> None:
        """Vote in a poll the bot sent: ``poll_answer`` for non-anonymous polls, and ``poll``."""
        target = chat or self.chat
        self._check_active()
        stored = target.history.get(message_id)
        if stored is None or "poll" not in stored.data:
            raise LookupError(f"no poll {message_id} in {target!r}")
        chosen = sorted(set(option_ids))
        poll = stored.data["poll"]
        if poll["is_closed"] or not chosen or not set(chosen) <= set(range(len(poll["options"]))):
            raise ValueError(f"cannot vote {chosen} in {poll['question']!r}")
        if len(chosen) > 1 and not poll["allows_multiple_answers"]:
            raise ValueError(f"{poll['question']!r} allows one answer only")
        options = [
            {**option, "voter_count": option["voter_count"] + (index in chosen)}
            for index, option in enumerate(poll["options"])
        ]
        poll = {**poll, "options": options, "total_voter_count": poll["total_voter_count"] + 1}
        target.history.replace({**stored.data, "poll": poll})
        self._world.updates.push("poll", poll)
        if not poll["is_anonymous"]:
            answer = {
                "poll_id": poll["id"],
                "user": self.to_json(),
                "option_ids": chosen,
                "option_persistent_ids": [options[i]["persistent_id"] for i in chosen],
            }
            self._world.updates.push("poll_answer", answer)

    def _bot_messages(self, chat: FakeChat, message_id: int | None) -> list[JSON]:
        if chat.type == "channel":
            self._check_active()  # subscribers press buttons under posts
        else:
            self._check_can_write(chat)
        if message_id is None:
            return list(reversed(chat.messages()))
        stored = chat.history.get(message_id)
        if stored is None or not stored.by_bot:
            raise LookupError(f"no bot message {message_id} in {chat!r}")
        return [stored.data]

    def _callback_query(self, chat: FakeChat, message: JSON, data: str) -> str:
        query_id = self._world.query_id()
        self._world.callback_queries[query_id] = PendingQuery(
            self, self._world.now(), chat_id=chat.id, message_id=int(message["message_id"])
        )
        update = {
            "id": query_id,
            "from": self.to_json(),
            "message": message,
            "chat_instance": chat.chat_instance,
            "data": data,
        }
        self._world.updates.push("callback_query", update)
        return query_id

    # --- the user's relation to the bot ---------------------------------------------------

    async def block(self) -> None:
        """Block the bot: sends now fail with 403, and the bot gets ``my_chat_member``."""
        self._set_blocked(True)

    async def unblock(self) -> None:
        """Unblock (restart) the bot."""
        self._set_blocked(False)

    def deactivate(self) -> None:
        """Delete the account: sends fail with 403 "user is deactivated"; no update is sent."""
        self.deactivated = True

    def _set_blocked(self, blocked: bool) -> None:
        self._check_active()
        if self.blocked == blocked:
            return
        self.blocked = blocked
        self.chat.change_bot_status("kicked" if blocked else "member", by=self)

    def _check_active(self) -> None:
        if self.deactivated:
            raise RuntimeError(f"{self!r} is deactivated")


def _switch_button(message: JSON, wanted: str) -> tuple[str, str, JSON | None] | None:
    """The action, query and allowed chat types of a switch-inline button, by text or query."""
    for button in inline_buttons(message.get("reply_markup")):
        action = next((name for name in SWITCH_INLINE_ACTIONS if name in button), None)
        if action is None:
            continue
        argument = button[action]
        if action == "switch_inline_query_chosen_chat":
            query = str(argument.get("query", ""))
            allowed = {name: bool(argument.get(name)) for name in CHOSEN_CHAT_TYPES}
        else:
            query, allowed = str(argument), None
        if wanted in (button["text"], query):
            return action, query, allowed
    return None


def _text_of(message: JSON) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _name_fields(user: FakeUser) -> JSON:
    fields: JSON = {"first_name": user.first_name}
    if user.last_name:
        fields["last_name"] = user.last_name
    if user.username:
        fields["username"] = user.username
    return fields


def _user_text(text: str) -> JSON:
    """A message text as a client sends it, with the entities Telegram finds."""
    return format_text(text, "", None).fields("text", "entities")


def _caption(caption: str | None) -> JSON:
    return format_text(caption or "", "", None, allow_empty=True).fields(
        "caption", "caption_entities"
    )
