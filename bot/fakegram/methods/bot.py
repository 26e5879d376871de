"""Methods about the bot rather than one chat: identity, updates, commands, answers, files."""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import bad_request, conflict
from ..events import CallbackAnswerEvent
from ..files import MAX_DOWNLOAD_BYTES
from ..inline import parse_answer
from ..state import LONG_POLL_MAX_TIMEOUT, PendingQuery, World
from ..wire import JSON, Params
from .access import ChatAccess, Handler

QUERY_ANSWER_SECONDS = 15  # after this the client stopped waiting and the answer fails
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
MAX_CALLBACK_ANSWER_TEXT = 200
MAX_COMMANDS = 100
MAX_COMMAND_DESCRIPTION = 256

_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES_WITHOUT_CHAT = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)
_SCOPES_WITH_CHAT = frozenset({"chat", "chat_administrators", "chat_member"})


def scope_key(scope: JSON | None, language_code: str) -> tuple[str, str]:
    """How commands are keyed: the scope object (default when absent) and the language."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code


class BotMethods:
    """getMe, polling and webhooks, commands, query answers and getFile."""

    def __init__(self, world: World, chats: ChatAccess) -> None:
        self.world = world
        self.chats = chats
        self.webhook: JSON = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}

    def handlers(self) -> dict[str, Handler]:
        """Map Bot API method names to this group's handlers."""
        return {
            "getMe": self.get_me,
            "logOut": self.log_out,
            "close": self.log_out,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "answerCallbackQuery": self.answer_callback_query,
            "answerInlineQuery": self.answer_inline_query,
            "getFile": self.get_file,
        }

    async def get_me(self, p: Params) -> JSON:
        """The bot's User object with the capability flags set in @BotFather."""
        return self.world.profile

    async def log_out(self, p: Params) -> bool:
        """Accept logOut and close; they are recorded, and there is nothing to hand over."""
        return True

    # --- updates --------------------------------------------------------------------------

    async def get_updates(self, p: Params) -> list[JSON]:
        """Long polling, refused while a webhook is set."""
        if self.webhook:
            raise conflict(
                "can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
        self._apply_allowed_updates(p)
        limit = min(max(p.integer("limit", 100), 1), 100)
        timeout = min(max(p.integer("timeout"), 0), LONG_POLL_MAX_TIMEOUT)
        return await self.world.updates.fetch(p.integer("offset"), limit, timeout)

    async def set_webhook(self, p: Params) -> bool:
        """Record the webhook (the fake delivers nothing to it); getUpdates then answers 409."""
        if p.flag("drop_pending_updates"):
            self.world.updates.drop_all()
        self._apply_allowed_updates(p)
        url = p.text("url")
        self.webhook = (
            {"url": url, "max_connections": p.integer("max_connections", 40)} if url else {}
        )
        return True

    async def delete_webhook(self, p: Params) -> bool:
        """Back to polling, optionally dropping pending updates."""
        if p.flag("drop_pending_updates"):
            self.world.updates.drop_all()
        self.webhook = {}
        return True

    async def get_webhook_info(self, p: Params) -> JSON:
        """WebhookInfo; an empty url means polling."""
        info: JSON = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": self.world.updates.pending_count,
            **self.webhook,
        }
        if self.webhook:
            info["allowed_updates"] = sorted(self.world.updates.allowed)
        return info

    def _apply_allowed_updates(self, p: Params) -> None:
        allowed = p.json("allowed_updates", "allowed updates")
        if isinstance(allowed, list):
            self.world.updates.set_allowed([kind for kind in allowed if isinstance(kind, str)])

    # --- commands -------------------------------------------------------------------------

    async def set_my_commands(self, p: Params) -> bool:
        """Commands for a scope and language; Telegram checks names and descriptions."""
        commands = p.json("commands", "commands") or []
        if not isinstance(commands, list):
            raise bad_request("Expected an Array of BotCommand")
        if len(commands) > MAX_COMMANDS:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        checked = [_bot_command(command) for command in commands]
        self.commands[self._scope_key(p)] = checked
        return True

    async def get_my_commands(self, p: Params) -> list[JSON]:
        """The commands of exactly this scope and language."""
        return self.commands.get(self._scope_key(p), [])

    async def delete_my_commands(self, p: Params) -> bool:
        """Forget the commands of this scope and language."""
        self.commands.pop(self._scope_key(p), None)
        return True

    def _scope_key(self, p: Params) -> tuple[str, str]:
        scope = p.json("scope", "BotCommandScope")
        if scope is not None:
            if not isinstance(scope, dict):
                raise bad_request("Can't parse BotCommandScope: BotCommandScope must be an Object")
            scope_type = scope.get("type")
            if scope_type in _SCOPES_WITH_CHAT:
                if not scope.get("chat_id"):
                    raise bad_request("Can't parse BotCommandScope: Empty chat_id specified")
                self.chats.lookup(str(scope["chat_id"]))
                if scope_type == "chat_member" and not isinstance(scope.get("user_id"), int):
                    raise bad_request(
                        'Can\'t parse BotCommandScope: Field "user_id" must be a Number'
                    )
            elif scope_type not in _SCOPES_WITHOUT_CHAT:
                raise bad_request("Can't parse BotCommandScope: Unsupported type specified")
        return scope_key(scope, p.text("language_code"))

    # --- answers to queries ---------------------------------------------------------------

    async def answer_callback_query(self, p: Params) -> bool:
        """Answer a button press once, while the client still waits."""
        text = p.text("text")
        if len(text) > MAX_CALLBACK_ANSWER_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        query_id = p.text("callback_query_id")
        pending = self._pending(self.world.callback_queries.get(query_id))
        answer: JSON = {
            "callback_query_id": query_id,
            "text": text or None,
            "show_alert": p.flag("show_alert"),
            "url": p.text("url") or None,
            "cache_time": p.integer("cache_time"),
        }
        pending.user.callback_answers.append(answer)
        if self.world.events:
            self.world.events.publish(
                CallbackAnswerEvent(
                    query_id=query_id,
                    user_id=pending.user.id,
                    chat_id=pending.chat_id,
                    message_id=pending.message_id,
                    text=answer["text"],
                    show_alert=answer["show_alert"],
                    url=answer["url"],
                )
            )
        return True

    async def answer_inline_query(self, p: Params) -> bool:
        """Results for an inline query, checked like Telegram's and cached like them."""
        answer = parse_answer(p, self.world.files)
        query_id = p.text("inline_query_id")
        pending = self._pending(self.world.inline_queries.get(query_id))
        answer.query_id = query_id
        pending.answer = answer
        pending.user.inline_answers.append(p.decoded())
        self.world.inline_cache.put(
            pending.query, pending.offset, pending.user.id, answer, self.world.now()
        )
        self.world.inline_answered.fire()
        return True

    def _pending(self, pending: PendingQuery | None) -> PendingQuery:
        if (
            pending is None
            or pending.answered
            or self.world.now() - pending.created > QUERY_ANSWER_SECONDS
        ):
            raise bad_request(QUERY_TOO_OLD)
        pending.answered = True
        return pending

    # --- files ----------------------------------------------------------------------------

    async def get_file(self, p: Params) -> JSON:
        """A download path, for files up to 20 MB."""
        stored = self.world.files.record(p.text("file_id"))
        if stored is None:
            raise bad_request("Invalid file_id")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise bad_request("File is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": self.world.files.path_for(stored),
        }


def _bot_command(command: Any) -> JSON:
    if not isinstance(command, dict):
        raise bad_request("Can't parse BotCommand: expected an Object")
    for name in ("command", "description"):
        if not isinstance(command.get(name), str):
            raise bad_request(f'Can\'t parse BotCommand: Field "{name}" must be of type String')
    if not _BOT_COMMAND.fullmatch(command["command"]):
        raise bad_request("BOT_COMMAND_INVALID")
    if not 1 <= len(command["description"].strip()) <= MAX_COMMAND_DESCRIPTION:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return {"command": command["command"], "description": command["description"]}
