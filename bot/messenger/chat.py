"""What every step of the Messenger conversation shares: texts, labels, and the turn.

Texts come from the same catalogs as Telegram's, written in Telegram's HTML with user text
escaped by the caller (`bot.tg.common.esc`); `plain` turns them into the plain text
Messenger shows, so no wording is kept twice. Labels too long for a Messenger button have
a short form under ``messenger.label.<key>`` (`label`). A `Turn` is one event of one
person: who they are for the core, their language, and how to answer them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.core import complaints
from bot.core.backend import Backend
from bot.core.models import Citizen, Draft, Receipt
from bot.i18n import DEFAULT_LANG, LANGS, catalog, t
from bot.messenger.graph import (
    BUTTON_TEXT_MAX,
    BUTTONS_MAX,
    QUICK_REPLIES_MAX,
    QUICK_REPLY_TITLE_MAX,
    Button,
    GraphClient,
    GraphError,
    GraphUnavailable,
    OutsideWindow,
    PersonUnavailable,
    PhoneQuickReply,
    PostbackButton,
    QuickReply,
    split_text,
)
from bot.messenger.profile import Payload
from bot.tg.common import Services

log = logging.getLogger(__name__)

CHANNEL = "messenger"
PEOPLE_KEPT = 10_000  # people whose in-memory state (language, flow) is kept at once

_LINK = re.compile(r"""<a\s+href\s*=\s*["']([^"']*)["']\s*>(.*?)</a>""", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?>")


def plain(text: str) -> str:
    """Catalog HTML as Messenger's plain text: tags dropped, a link's address kept."""
    def link(match: re.Match[str]) -> str:
        url, words = match.group(1), match.group(2)
        return words if words == url else f"{words} ({url})"

    return html.unescape(_TAG.sub("", _LINK.sub(link, text)))


def say(lang: str, key: str, /, **params: object) -> str:
    """`t` as plain text (params HTML-escaped by the caller, as for Telegram)."""
    return plain(t(lang, key, **params))


def label(lang: str, key: str) -> str:
    """A button's label: the Messenger short form if the catalog has one, else the label."""
    short = f"messenger.label.{key}"
    if short in catalog(lang) or short in catalog(DEFAULT_LANG):
        return t(lang, short)
    return t(lang, key)


def title(text: str, limit: int = QUICK_REPLY_TITLE_MAX) -> str:
    """A title that fits a button: cut with "…" when longer than ``limit``."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


SURVEY = "SURVEY"  # the surveys: a quick reply of the menu (not in the persistent menu)


def menu(lang: str) -> list[QuickReply]:
    """The main choices as quick replies (the persistent menu holds all but the surveys)."""
    return [*(QuickReply(label(lang, f"messenger.menu.{p.lower()}"), str(p))
              for p in (Payload.COMPLAIN, Payload.STATUS, Payload.MATERIALS)),
            QuickReply(label(lang, "menu.survey"), SURVEY),
            *(QuickReply(label(lang, f"messenger.menu.{p.lower()}"), str(p))
              for p in (Payload.PRIVACY, Payload.LANG))]


class StaffLine(Protocol):
    """How the Messenger side tells the staff group (on Telegram), never with content."""

    async def new_case(self, draft: Draft, receipt: Receipt) -> None:
        """A case came in."""

    async def followup(self, complaint_id: int) -> None:
        """A citizen added to a case."""


@dataclass
class Person:
    """What is kept in memory about someone between their events (lost at a restart)."""

    lang: str | None = None
    flow: str | None = None  # "status" (waiting for a receipt), "followup", "complaint",
    # "survey"
    survey: str | None = None  # the survey being answered
    editing: bool = False  # changing one part from the preview: back to it afterwards


@dataclass
class Env:
    """The long-lived things every step uses."""

    backend: Backend
    graph: GraphClient
    clock: Callable[[], dt.datetime]
    services: Services
    staff: StaffLine
    _people: OrderedDict[bytes, Person] = field(default_factory=OrderedDict)
    _salt: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    def person(self, psid: str) -> Person:
        """The person's in-memory state, under a per-process keyed hash of their PSID."""
        key = hashlib.blake2b(psid.encode(), key=self._salt, digest_size=16).digest()
        found = self._people.pop(key, None) or Person()
        self._people[key] = found
        while len(self._people) > PEOPLE_KEPT:
            self._people.popitem(last=False)
        return found


class Turn:
    """One event of one person: who they are for the core, their language, how to answer."""

    def __init__(self, env: Env, psid: str, person: Person, lang: str) -> None:
        self.env = env
        self.psid = psid
        self.person = person
        self.lang = lang

    def __repr__(self) -> str:  # never the PSID
        return f"Turn(lang={self.lang!r})"

    @classmethod
    async def open(cls, env: Env, psid: str) -> Turn:
        """The turn of an event from ``psid``, with their language (their choice, else mn)."""
        person = env.person(psid)
        if person.lang is None:
            person.lang = await complaints.get_lang(env.backend, Citizen(CHANNEL, psid)) \
                or DEFAULT_LANG
        return cls(env, psid, person, person.lang if person.lang in LANGS else DEFAULT_LANG)

    @property
    def who(self) -> Citizen:
        """The person as the core knows them (only ever turned into keyed hashes)."""
        return Citizen(CHANNEL, self.psid)

    @property
    def now(self) -> dt.datetime:
        """The bot's clock."""
        return self.env.clock()

    def t(self, key: str, /, **params: object) -> str:
        """A catalog text in the person's language, as plain text."""
        return say(self.lang, key, **params)

    def label(self, key: str) -> str:
        """A button label in the person's language."""
        return label(self.lang, key)

    async def text(self, text: str,
                   quick: Sequence[QuickReply | PhoneQuickReply] = ()) -> bool:
        """Send ``text`` (in parts of at most 2,000 characters, quick replies on the last).

        False if Meta refused or could not be reached (logged by class, never the text).
        """
        if len(quick) > QUICK_REPLIES_MAX:
            raise ValueError(f"at most {QUICK_REPLIES_MAX} quick replies")
        parts = split_text(text) or ["…"]
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if not await self._send(self.env.graph.send_text(
                    self.psid, part, quick_replies=quick if last else ())):
                return False
        return True

    async def buttons(self, text: str, buttons: Sequence[Button]) -> bool:
        """A button template (1–3 buttons); a text longer than 640 characters goes before."""
        if not 1 <= len(buttons) <= BUTTONS_MAX:
            raise ValueError(f"a button template has 1 to {BUTTONS_MAX} buttons")
        if len(text) > BUTTON_TEXT_MAX:
            head, _, text = text.rpartition("\n\n")
            if not head or len(text) > BUTTON_TEXT_MAX:
                head, text = text, "…"
            if not await self.text(head):
                return False
        return await self._send(self.env.graph.send_buttons(self.psid, text, buttons))

    async def _send(self, call: Awaitable[object]) -> bool:
        try:
            await call
        except (OutsideWindow, PersonUnavailable) as exc:
            log.info("Messenger answer not sent: %s", exc.__class__.__name__)
            return False
        except (GraphError, GraphUnavailable) as exc:
            log.warning("Messenger answer failed: %s", exc.__class__.__name__)
            return False
        return True

    def postback(self, key: str, payload: str) -> PostbackButton:
        """A postback button with a catalog label."""
        return PostbackButton(self.label(key), payload)

    def quick(self, key: str, payload: str) -> QuickReply:
        """A quick reply with a catalog label."""
        return QuickReply(self.label(key), payload)
