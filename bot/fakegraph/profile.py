"""Messenger Profile API (`/me/messenger_profile`): Get Started, greeting, menu, ice breakers."""

from __future__ import annotations

import re
from typing import Any

from . import limits as L
from .errors import invalid_parameter
from .messages import check_button

PROPERTIES = ("get_started", "greeting", "persistent_menu", "ice_breakers")
_LOCALE = re.compile(r"^(default|[a-z]{2}_[A-Z]{2})$")


def set_properties(profile: dict[str, Any], params: dict[str, Any]) -> None:
    """Check every property given, then store them all (or none)."""
    given = {k: v for k, v in params.items() if k not in ("access_token", "appsecret_proof",
                                                         "platform")}
    if not given:
        raise invalid_parameter("No Messenger profile property was given")
    if unknown := set(given) - set(PROPERTIES):
        raise invalid_parameter(f"Not a Messenger profile property the fake models: "
                                f"{sorted(unknown)}")
    if "get_started" in given:
        _get_started(given["get_started"])
    if "greeting" in given:
        _greeting(given["greeting"])
    if "persistent_menu" in given:
        if "get_started" not in given and "get_started" not in profile:
            raise invalid_parameter("You must set a Get Started button if you also wish to "
                                    "use persistent menu.")
        _menu(given["persistent_menu"])
    if "ice_breakers" in given:
        _ice_breakers(given["ice_breakers"])
    profile.update(given)


def delete_properties(profile: dict[str, Any], fields: list[str]) -> None:
    """Remove properties; the Get Started button stays while a persistent menu needs it."""
    if unknown := set(fields) - set(PROPERTIES):
        raise invalid_parameter(f"Not a Messenger profile property: {sorted(unknown)}")
    if "get_started" in fields and "persistent_menu" in profile and \
            "persistent_menu" not in fields:
        raise invalid_parameter("Cannot delete the Get Started button while a persistent "
                                "menu is set.")
    for name in fields:
        profile.pop(name, None)


def _get_started(value: Any) -> None:
    payload = value.get("payload") if isinstance(value, dict) else None
    if not isinstance(payload, str) or not payload:
        raise invalid_parameter("param get_started[payload] is required")
    if len(payload) > L.PAYLOAD_MAX:
        raise invalid_parameter(f"Length of param get_started[payload] must be less than or "
                                f"equal to {L.PAYLOAD_MAX}")


def _locales(items: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not items:
        raise invalid_parameter(f"param {name} must be a non-empty array")
    seen = set()
    for i, item in enumerate(items):
        locale = item.get("locale") if isinstance(item, dict) else None
        if not isinstance(locale, str) or not _LOCALE.match(locale):
            raise invalid_parameter(f"param {name}[{i}][locale] must be default or like en_US")
        if locale in seen:
            raise invalid_parameter(f"param {name}: locale {locale} is given twice")
        seen.add(locale)
    if "default" not in seen:
        raise invalid_parameter(f"param {name} needs an entry for the default locale")
    return list(items)


def _greeting(value: Any) -> None:
    for i, item in enumerate(_locales(value, "greeting")):
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            raise invalid_parameter(f"param greeting[{i}][text] is required")
        if len(text) > L.GREETING_MAX:
            raise invalid_parameter(f"Length of param greeting[{i}][text] must be less than or "
                                    f"equal to {L.GREETING_MAX}")


def _menu(value: Any) -> None:
    for i, item in enumerate(_locales(value, "persistent_menu")):
        actions = item.get("call_to_actions")
        disabled = item.get("composer_input_disabled", False)
        if not isinstance(disabled, bool):
            raise invalid_parameter(f"param persistent_menu[{i}][composer_input_disabled] "
                                    "must be a boolean")
        if not isinstance(actions, list) or not 1 <= len(actions) <= L.MENU_ITEMS_MAX:
            raise invalid_parameter(f"param persistent_menu[{i}][call_to_actions] must have 1 "
                                    f"to {L.MENU_ITEMS_MAX} elements")
        for j, button in enumerate(actions):
            where = f"persistent_menu[{i}][call_to_actions][{j}]"
            if isinstance(button, dict) and button.get("type") not in ("postback", "web_url"):
                raise invalid_parameter(f"param {where}[type] must be postback or web_url")
            check_button(button, where)


def _ice_breakers(value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise invalid_parameter("param ice_breakers must be a non-empty array")
    localized = all(isinstance(v, dict) and "call_to_actions" in v for v in value)
    legacy = all(isinstance(v, dict) and "question" in v for v in value)
    if not (localized or legacy):
        raise invalid_parameter("param ice_breakers mixes the localized and the older format")
    groups = [v["call_to_actions"] for v in _locales(value, "ice_breakers")] if localized \
        else [value]
    for i, questions in enumerate(groups):
        if not isinstance(questions, list) or not 1 <= len(questions) <= L.ICE_BREAKERS_MAX:
            raise invalid_parameter(f"param ice_breakers[{i}] must have 1 to "
                                    f"{L.ICE_BREAKERS_MAX} questions")
        for j, q in enumerate(questions):
            if not isinstance(q, dict) or not isinstance(q.get("question"), str) or \
                    not q["question"] or not isinstance(q.get("payload"), str) or \
                    not q["payload"]:
                raise invalid_parameter(f"param ice_breakers[{i}][{j}] needs a question and "
                                        "a payload")
            if len(q["payload"]) > L.PAYLOAD_MAX:
                raise invalid_parameter(f"Length of param ice_breakers[{i}][{j}][payload] "
                                        f"must be less than or equal to {L.PAYLOAD_MAX}")
