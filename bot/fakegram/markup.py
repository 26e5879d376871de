"""``reply_markup`` validation following tdlib's Client::get_reply_markup and its wording.

Deliberately stricter than the server in one place: an inline button naming more than one
action (say ``url`` and ``callback_data``) is rejected. Telegram silently keeps the first one,
and the documentation says exactly one must be used, so such a button is always a bug.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .errors import bad_request
from .formatting import checked_link
from .wire import JSON

MAX_CALLBACK_DATA_BYTES = 64

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "callback_game",
    "pay",
    "switch_inline_query",
    "switch_inline_query_chosen_chat",
    "switch_inline_query_current_chat",
    "login_url",
    "web_app",
    "copy_text",
)
_STRING_ACTIONS = ("url", "callback_data")  # tdlib treats an empty string as absent
# Buttons that open inline mode: in the current chat, or in chats the user picks.
SWITCH_INLINE_ACTIONS = (
    "switch_inline_query",
    "switch_inline_query_chosen_chat",
    "switch_inline_query_current_chat",
)
_QUERY_ACTIONS = ("switch_inline_query", "switch_inline_query_current_chat")  # a String, maybe ""
CHOSEN_CHAT_TYPES = (
    "allow_user_chats",
    "allow_bot_chats",
    "allow_group_chats",
    "allow_channel_chats",
)

MarkupKind = Literal["inline_keyboard", "keyboard", "remove_keyboard", "force_reply"]


@dataclass(frozen=True, slots=True)
class ReplyMarkup:
    """A validated markup; only inline keyboards are echoed in ``Message.reply_markup``."""

    kind: MarkupKind
    value: JSON

    @property
    def inline(self) -> JSON | None:
        """The markup as a Message shows it, or ``None`` for keyboard-level markups."""
        return self.value if self.kind == "inline_keyboard" else None


class _ButtonError(Exception):
    """A button problem that tdlib reports inside "Can't parse ... button: ..."."""


def parse_reply_markup(raw: str) -> ReplyMarkup | None:
    """Validate a ``reply_markup`` argument; ``None`` when absent or empty."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise bad_request("Can't parse reply keyboard markup JSON object") from None
    return validated_markup(value)


def validated_markup(value: Any) -> ReplyMarkup | None:
    """Check a decoded markup object the way tdlib does."""
    if not isinstance(value, dict):
        raise bad_request("Object expected as reply markup")
    keyboard = _rows(
        value,
        "keyboard",
        'Field "keyboard" must be an Array of Arrays',
        "keyboard button",
        _reply_button,
    )
    inline = _rows(
        value,
        "inline_keyboard",
        'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
        "inline keyboard button",
        _inline_button,
    )
    flags = {
        name: _optional_bool(value, name)
        for name in (
            "hide_keyboard",
            "remove_keyboard",
            "selective",
            "force_reply",
            "resize_keyboard",
            "one_time_keyboard",
            "is_persistent",
        )
    }
    placeholder = value.get("input_field_placeholder")
    options: JSON = {"selective": True} if flags["selective"] else {}
    if isinstance(placeholder, str) and placeholder:
        options["input_field_placeholder"] = placeholder
    if keyboard:
        for name in ("resize_keyboard", "one_time_keyboard", "is_persistent"):
            if flags[name]:
                options[name] = True
        return ReplyMarkup("keyboard", {"keyboard": keyboard, **options})
    if inline:
        return ReplyMarkup("inline_keyboard", {"inline_keyboard": inline})
    if flags["remove_keyboard"] or flags["hide_keyboard"]:
        return ReplyMarkup("remove_keyboard", {"remove_keyboard": True, **options})
    if flags["force_reply"]:
        return ReplyMarkup("force_reply", {"force_reply": True, **options})
    return None


# Reply keyboard buttons that only work in private chats, with tdlib's refusal.
_PRIVATE_ONLY = {
    "request_contact": "Phone number can be requested in private chats only",
    "request_location": "Location can be requested in private chats only",
    "request_poll": "Poll can be requested in private chats only",
    "web_app": "Web App buttons can be used in private chats only",
    "request_users": "Users can be requested in private chats only",
    "request_chat": "Chats can be requested in private chats only",
}


def check_private_only(markup: ReplyMarkup | None, *, private: bool) -> None:
    """Refuse request buttons (contact, location, ...) in a keyboard sent to a group."""
    if markup is None or markup.kind != "keyboard" or private:
        return
    for row in markup.value["keyboard"]:
        for button in row:
            for field, message in _PRIVATE_ONLY.items():
                if button.get(field):
                    raise bad_request(message)


def check_channel_markup(markup: ReplyMarkup | None, *, channel: bool) -> None:
    """In a channel the bot posts anonymously: inline keyboards only, and no switch buttons.

    tdlib refuses switch_inline_query buttons there because subscribers would not know the
    bot's username (the post does not show it).
    """
    if markup is None or not channel:
        return
    if markup.inline is None:
        raise bad_request("Inline keyboard expected")
    for button in inline_buttons(markup.inline):
        action = next((name for name in SWITCH_INLINE_ACTIONS if name in button), None)
        if action is not None:
            name = "switch_inline_query" if action.endswith("chosen_chat") else action
            raise bad_request(
                f"Can't use {name} button in a channel chat, because users will not be able "
                "to use the button without knowing bot's username"
            )


def inline_buttons(markup: JSON | None) -> list[JSON]:
    """All buttons of an inline keyboard, row by row."""
    if not markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


def _rows(
    value: JSON,
    field: str,
    not_rows: str,
    what: str,
    parse_button: Callable[[Any], JSON],
) -> list[list[JSON]]:
    rows = value.get(field)
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise bad_request(f'Field "{field}" must be of type Array')
    result: list[list[JSON]] = []
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(not_rows)
        try:
            result.append([parse_button(button) for button in row])
        except _ButtonError as error:
            raise bad_request(f"Can't parse {what}: {error}") from None
    return result


def _optional_bool(value: JSON, name: str) -> bool:
    flag = value.get(name, False)
    if not isinstance(flag, bool):
        raise bad_request(f'Field "{name}" must be of type Boolean')
    return flag


def _button_text(button: JSON, empty_error: str) -> str:
    if "text" not in button:
        raise _ButtonError('Can\'t find field "text"')
    text = button["text"]
    if not isinstance(text, str):
        raise _ButtonError('Field "text" must be of type String')
    if not text:
        raise bad_request(empty_error)
    return text


def _reply_button(button: Any) -> JSON:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict):
        raise _ButtonError("KeyboardButton must be a String or an Object")
    return {**button, "text": _button_text(button, "Keyboard button text must be non-empty")}


def _inline_button(button: Any) -> JSON:
    if not isinstance(button, dict):
        raise _ButtonError("InlineKeyboardButton must be an Object")
    text = _button_text(button, "Inline keyboard button text must be non-empty")
    actions = [
        name
        for name in INLINE_ACTIONS
        if name in button and not (name in _STRING_ACTIONS and button[name] == "")
    ]
    if not actions:
        raise _ButtonError("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _ButtonError(f"exactly one of {', '.join(actions)} must be used")
    action = actions[0]
    argument = button[action]
    if action in _STRING_ACTIONS and not isinstance(argument, str):
        raise _ButtonError(f'Field "{action}" must be of type String')
    if action == "callback_data" and len(argument.encode()) > MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")  # a server error, not wrapped by tdlib
    if action == "url" and checked_link(argument) is None:
        raise bad_request("BUTTON_URL_INVALID")
    if action in _QUERY_ACTIONS and not isinstance(argument, str):
        raise _ButtonError(f'Field "{action}" must be of type String')
    if action == "switch_inline_query_chosen_chat":
        return _chosen_chat_button(text, argument)
    return {"text": text, action: argument}


def _chosen_chat_button(text: str, argument: Any) -> JSON:
    """Query and flags as tdlib keeps them; all four allowed is shown as switch_inline_query."""
    if not isinstance(argument, dict):
        raise _ButtonError('Field "switch_inline_query_chosen_chat" must be of type Object')
    query = argument.get("query", "")
    if not isinstance(query, str):
        raise _ButtonError('Field "query" must be of type String')
    flags = {name: _optional_bool(argument, name) for name in CHOSEN_CHAT_TYPES}
    if not any(flags.values()):
        raise bad_request("At least one chat type must be allowed")
    if all(flags.values()):
        return {"text": text, "switch_inline_query": query}
    return {"text": text, "switch_inline_query_chosen_chat": {"query": query, **flags}}
