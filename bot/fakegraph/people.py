"""Simulated people writing to the Page in Messenger, and what they receive from it.

Each person has a page-scoped id (PSID). What they do becomes webhook events delivered to
the bot (signed, possibly batched, retried until answered 200); what the Page sends them
through the Send API lands in their inbox, which tests read.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from .delivery import WebhookPost
from .state import CdnFile, World

ATTACHMENT_TYPES = ("image", "video", "audio", "file")


@dataclass(frozen=True)
class Sent:
    """What ``FakeGraph.observe`` sees when the Page's message reaches a person."""

    person: FakePerson
    received: Received


@dataclass
class Received:
    """A message the Page sent to the person."""

    mid: str
    message: dict[str, Any] | None  # None for a sender action
    messaging_type: str | None
    tag: str | None
    at_ms: int
    sender_action: str | None = None
    delivered: bool = False

    @property
    def text(self) -> str | None:
        """The text, or a button template's text."""
        if self.message is None:
            return None
        if "text" in self.message:
            return str(self.message["text"])
        payload = self._template()
        return None if payload is None else str(payload.get("text", ""))

    @property
    def quick_replies(self) -> list[dict[str, Any]]:
        """The quick replies offered with the message."""
        return list((self.message or {}).get("quick_replies", []))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The buttons of a button template."""
        payload = self._template()
        return [] if payload is None else list(payload.get("buttons", []))

    @property
    def attachment(self) -> dict[str, Any] | None:
        """The attachment (a file or a template), if any."""
        found = (self.message or {}).get("attachment")
        return found if isinstance(found, dict) else None

    def _template(self) -> dict[str, Any] | None:
        attachment = self.attachment
        if attachment is None or attachment.get("type") != "template":
            return None
        payload = attachment.get("payload")
        return payload if isinstance(payload, dict) else None


class FakePerson:
    """Someone on Messenger; ``psid`` is their id for this Page only."""

    def __init__(self, world: World, psid: str, name: str, locale: str) -> None:
        self._world = world
        self.psid = psid
        self.name = name
        self.locale = locale
        # False: blocked the Page, turned its messages off or deactivated (Send API: 551).
        self.available = True
        # Server time (seconds) of the person's last message, postback or referral.
        self.last_interaction: float | None = None
        self.inbox: list[Received] = []
        self._new: asyncio.Queue[Received] = asyncio.Queue()
        self._pending_ref: str | None = None
        self._has_thread = False

    def __repr__(self) -> str:
        return f"FakePerson({self.name!r})"

    # --- what the person does --------------------------------------------------------

    async def send(self, text: str) -> str:
        """Type and send a message; returns its mid."""
        return await self._message({"text": text})

    async def send_attachments(self, *attachments: dict[str, Any], text: str | None = None
                               ) -> str:
        """Send files made with ``FakeGraph.attachment`` (Messenger puts no text with them)."""
        if not attachments:
            raise ValueError("send at least one attachment")
        message: dict[str, Any] = {"attachments": list(attachments)}
        if text is not None:
            message["text"] = text
        return await self._message(message)

    async def tap_quick_reply(self, title: str | None = None, *, phone: str | None = None
                              ) -> str:
        """Tap a quick reply of the last message that has them.

        The phone quick reply (``content_type`` ``user_phone_number``) sends the person's
        number as both the text and the payload; pass it as ``phone``.
        """
        offered = self._last_with(lambda r: bool(r.quick_replies)).quick_replies
        if phone is not None:
            if not any(q.get("content_type") == "user_phone_number" for q in offered):
                raise AssertionError("no phone-number quick reply was offered")
            return await self._message({"text": phone, "quick_reply": {"payload": phone}})
        for reply in offered:
            if reply.get("content_type") == "text" and reply.get("title") == title:
                return await self._message(
                    {"text": title, "quick_reply": {"payload": reply["payload"]}})
        raise AssertionError(f"no quick reply titled {title!r}: "
                             f"{[q.get('title') for q in offered]}")

    async def tap_button(self, title: str, *, mid: str | None = None) -> str:
        """Tap a postback button of the last button template (or of the message ``mid``).

        Returns the postback's mid. Templates stay tappable in the conversation's history.
        """
        buttons = self._last_with(
            lambda r: bool(r.buttons) and (mid is None or r.mid == mid)).buttons
        for button in buttons:
            if button.get("title") == title:
                if button.get("type") != "postback":
                    raise AssertionError(f"{title!r} is a {button.get('type')} button")
                return await self._postback(title, str(button["payload"]))
        raise AssertionError(f"no button titled {title!r}: {[b.get('title') for b in buttons]}")

    async def tap_menu(self, title: str) -> str:
        """Tap an item of the Page's persistent menu (in the person's locale)."""
        items = self._for_locale(self._world.profile.get("persistent_menu", []))
        for item in (items or {}).get("call_to_actions", []):
            if item.get("title") == title and item.get("type") == "postback":
                return await self._postback(title, str(item["payload"]))
        raise AssertionError(f"no menu item titled {title!r}")

    async def tap_ice_breaker(self, question: str) -> str:
        """Tap one of the ice breakers on the welcome screen of a new conversation."""
        items = self._world.profile.get("ice_breakers", [])
        if items and "question" in items[0]:  # the older format, one list for every locale
            questions = items
        else:
            questions = (self._for_locale(items) or {}).get("call_to_actions", [])
        for item in questions:
            if item.get("question") == question:
                return await self._postback(question, str(item["payload"]))
        raise AssertionError(f"no ice breaker {question!r}")

    async def get_started(self) -> str:
        """Tap Get Started on the welcome screen (with the ref of the link that led here)."""
        started = self._world.profile.get("get_started")
        if not isinstance(started, dict):
            raise AssertionError("the Page has no Get Started button")
        referral = None
        if self._pending_ref is not None:
            referral = {"ref": self._pending_ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}
            self._pending_ref = None
        return await self._postback("Get Started", str(started["payload"]), referral=referral)

    async def open_link(self, ref: str) -> WebhookPost | None:
        """Open ``m.me/<page>?ref=<ref>``.

        In an existing conversation that is a ``messaging_referrals`` event; in a new one
        the welcome screen shows and the ref comes with the Get Started postback.
        """
        if not self._has_thread:
            self._pending_ref = ref
            return None
        self._touch()
        return await self._event("messaging_referrals", {
            "timestamp": self._world.now_ms(),
            "referral": {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}})

    async def confirm_delivery(self) -> list[str]:
        """The person's phone received what the Page sent: a ``message_deliveries`` event."""
        fresh = [r for r in self.inbox if not r.delivered and r.message is not None]
        if not fresh:
            return []
        for received in fresh:
            received.delivered = True
        mids = [r.mid for r in fresh]
        await self._event("message_deliveries", {
            "delivery": {"mids": mids, "watermark": fresh[-1].at_ms}})
        return mids

    async def read(self) -> int:
        """The person reads the conversation: a ``message_reads`` event; returns the watermark."""
        sent = [r for r in self.inbox if r.message is not None]
        if not sent:
            raise AssertionError("nothing to read")
        watermark = sent[-1].at_ms
        await self._event("message_reads", {"timestamp": self._world.now_ms(),
                                            "read": {"watermark": watermark}})
        return watermark

    # --- what the person received ----------------------------------------------------

    def messages(self) -> list[Received]:
        """Every message the Page sent (sender actions left out)."""
        return [r for r in self.inbox if r.message is not None]

    async def next_message(self, timeout: float = 5.0) -> Received:  # noqa: ASYNC109
        """The next message the Page sends (sender actions skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                received = await self._new.get()
                if received.message is not None:
                    return received

    def receive(self, received: Received) -> None:
        """Called by the Send API when a message reaches the person."""
        self.inbox.append(received)
        self._new.put_nowait(received)
        self._world.tell(Sent(self, received))

    # --- the events ------------------------------------------------------------------

    def _touch(self) -> None:
        self.last_interaction = self._world.clock()
        self._has_thread = True

    async def _message(self, message: dict[str, Any]) -> str:
        mid = self._world.new_mid()
        self._touch()
        await self._event("messages", {"timestamp": self._world.now_ms(),
                                       "message": {"mid": mid, **message}})
        return mid

    async def _postback(self, title: str, payload: str, *, referral: dict[str, Any] | None = None
                        ) -> str:
        mid = self._world.new_mid()
        self._touch()
        postback: dict[str, Any] = {"mid": mid, "title": title, "payload": payload}
        if referral is not None:
            postback["referral"] = referral
        await self._event("messaging_postbacks", {"timestamp": self._world.now_ms(),
                                                  "postback": postback})
        return mid

    async def _event(self, field_name: str, body: dict[str, Any]) -> WebhookPost | None:
        event = {"sender": {"id": self.psid}, "recipient": {"id": self._world.page_id}, **body}
        entry = {"id": self._world.page_id, "time": self._world.now_ms(), "messaging": [event]}
        return await self._world.webhook.deliver(field_name, entry)

    def _last_with(self, test: Any) -> Received:
        for received in reversed(self.inbox):
            if test(received):
                return received
        raise AssertionError(f"{self.name} has received nothing like that")

    def _for_locale(self, items: list[dict[str, Any]]) -> dict[str, Any] | None:
        by_locale = {item.get("locale"): item for item in items if isinstance(item, dict)}
        return by_locale.get(self.locale) or by_locale.get("default")


def new_psid() -> str:
    """A 16-digit page-scoped id."""
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def cdn_file(world: World, kind: str, *, data: bytes | None, size: int | None,
             content_type: str | None, name: str | None = None) -> dict[str, Any]:
    """Store a file on the fake CDN; returns the webhook attachment that points at it."""
    if kind not in ATTACHMENT_TYPES:
        raise ValueError(f"attachment type is one of {ATTACHMENT_TYPES}")
    if data is None and size is None:
        raise ValueError("give the file's data or its size")
    default_type = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg",
                    "file": "application/pdf"}[kind]
    url = world.put_file(CdnFile(content_type or default_type,
                                 len(data) if data is not None else int(size or 0), data,
                                 name=name))
    return {"type": kind, "payload": {"url": url}}
