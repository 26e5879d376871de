"""The Page's Messenger profile: Get Started, greeting, persistent menu, ice breakers.

Set at start from the catalogs (Mongolian as Meta's ``default`` locale, English for English
locales). The payloads are the seam for the conversation: each menu item and ice breaker
comes back as a postback with one of `Payload`'s values.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from bot.i18n import t
from bot.messenger.graph import GraphClient, GraphError, GraphUnavailable

log = logging.getLogger(__name__)


class Payload(StrEnum):
    """Postback payloads of the profile's buttons (the same in every language)."""

    GET_STARTED = "GET_STARTED"
    COMPLAIN = "COMPLAIN"
    STATUS = "STATUS"
    MATERIALS = "MATERIALS"
    PRIVACY = "PRIVACY"
    LANG = "LANG"


MENU = (Payload.COMPLAIN, Payload.STATUS, Payload.MATERIALS, Payload.PRIVACY, Payload.LANG)
ICE_BREAKERS = (Payload.COMPLAIN, Payload.STATUS, Payload.MATERIALS, Payload.PRIVACY)
# Messenger's locales for our languages; "default" is what everyone else sees.
LOCALES = (("default", "mn"), ("en_US", "en"), ("en_GB", "en"))


def messenger_profile() -> dict[str, Any]:
    """The profile as the Messenger Profile API takes it."""
    return {
        "get_started": {"payload": str(Payload.GET_STARTED)},
        "greeting": [{"locale": locale, "text": t(lang, "messenger.greeting")}
                     for locale, lang in LOCALES],
        "persistent_menu": [
            {"locale": locale, "composer_input_disabled": False,
             "call_to_actions": [{"type": "postback", "payload": str(p),
                                  "title": t(lang, f"messenger.menu.{p.lower()}")}
                                 for p in MENU]}
            for locale, lang in LOCALES],
        "ice_breakers": [
            {"locale": locale,
             "call_to_actions": [{"question": t(lang, f"messenger.ice.{p.lower()}"),
                                  "payload": str(p)} for p in ICE_BREAKERS]}
            for locale, lang in LOCALES],
    }


async def publish_profile(graph: GraphClient) -> bool:
    """Set the profile; a refusal is logged (by code), and the bot runs on without it."""
    try:
        await graph.set_messenger_profile(messenger_profile())
    except (GraphError, GraphUnavailable) as exc:
        log.warning("Messenger profile not set: %s", exc.__class__.__name__)
        return False
    return True
