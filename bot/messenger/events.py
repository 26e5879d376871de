"""What Messenger tells the bot, as small typed events parsed from Meta's webhook JSON.

Only the Page's own entries are read. A PSID (the person's page-scoped id) is in every
event, in memory only: it is left out of the events' reprs, as are texts and payloads, so
an event that ends up in a log line or a traceback says nothing about the person.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


def _at(ms: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(ms) / 1000, dt.UTC)


@dataclass(frozen=True)
class Attachment:
    """A file (or other attachment) someone sent; ``url`` is where Meta's CDN serves it."""

    type: str  # image, video, audio, file, fallback, …
    url: str | None = field(default=None, repr=False)
    sticker_id: int | None = None


@dataclass(frozen=True)
class Referral:
    """Where someone came from: ``m.me/<page>?ref=<ref>`` (source SHORTLINK), or an ad."""

    ref: str | None = field(repr=False)
    source: str
    type: str


@dataclass(frozen=True)
class IncomingMessage:
    """A message: text, a tapped quick reply (its payload), attachments, or several."""

    psid: str = field(repr=False)
    at: dt.datetime
    mid: str = field(repr=False)
    text: str | None = field(default=None, repr=False)
    quick_reply: str | None = field(default=None, repr=False)  # the payload
    attachments: tuple[Attachment, ...] = ()
    referral: Referral | None = None


@dataclass(frozen=True)
class Postback:
    """A tapped postback button: Get Started, the persistent menu, a template, an ice breaker."""

    psid: str = field(repr=False)
    at: dt.datetime
    payload: str = field(repr=False)
    title: str | None = field(default=None, repr=False)
    mid: str | None = field(default=None, repr=False)
    referral: Referral | None = None  # a new conversation opened through a link


@dataclass(frozen=True)
class ReferralEvent:
    """Someone already in conversation with the Page opened an ``m.me`` link with a ref."""

    psid: str = field(repr=False)
    at: dt.datetime
    referral: Referral


@dataclass(frozen=True)
class Delivery:
    """Messages the Page sent reached the person's device (all up to ``watermark``)."""

    psid: str = field(repr=False)
    watermark: dt.datetime
    mids: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Read:
    """The person read everything the Page sent up to ``watermark``."""

    psid: str = field(repr=False)
    at: dt.datetime
    watermark: dt.datetime


Event = IncomingMessage | Postback | ReferralEvent | Delivery | Read


def parse(payload: dict[str, Any], page_id: str) -> list[Event]:
    """Every event of every entry for ``page_id``.

    Echoes and what the bot does not handle are left out; a malformed event is skipped
    (counted in the log, never shown).
    """
    events: list[Event] = []
    skipped = 0
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or str(entry.get("id")) != page_id:
            continue
        items = entry.get("messaging")
        for item in items if isinstance(items, list) else []:
            try:
                event = _event(item)
            except (KeyError, TypeError, ValueError, AttributeError):
                skipped += 1
                continue
            if event is not None:
                events.append(event)
    if skipped:
        log.warning("skipped %d malformed webhook event(s)", skipped)
    return events


def _referral(raw: Any) -> Referral | None:
    if not isinstance(raw, dict):
        return None
    ref = raw.get("ref")
    return Referral(ref=str(ref) if ref is not None else None,
                    source=str(raw.get("source", "")), type=str(raw.get("type", "")))


def _event(item: dict[str, Any]) -> Event | None:
    psid = str(item["sender"]["id"])
    if "message" in item:
        message = item["message"]
        if message.get("is_echo"):  # what the Page itself sent
            return None
        attachments = tuple(
            Attachment(type=str(a.get("type", "")),
                       url=(a.get("payload") or {}).get("url"),
                       sticker_id=(a.get("payload") or {}).get("sticker_id"))
            for a in message.get("attachments") or [] if isinstance(a, dict))
        quick = message.get("quick_reply")
        return IncomingMessage(
            psid=psid, at=_at(item["timestamp"]), mid=str(message["mid"]),
            text=message.get("text"), attachments=attachments,
            quick_reply=str(quick["payload"]) if isinstance(quick, dict) else None,
            referral=_referral(message.get("referral")))
    if "postback" in item:
        postback = item["postback"]
        mid = postback.get("mid")
        return Postback(psid=psid, at=_at(item["timestamp"]), payload=str(postback["payload"]),
                        title=postback.get("title"), mid=str(mid) if mid else None,
                        referral=_referral(postback.get("referral")))
    if "referral" in item:
        referral = _referral(item["referral"])
        if referral is None:
            raise ValueError("referral is not an object")
        return ReferralEvent(psid=psid, at=_at(item["timestamp"]), referral=referral)
    if "delivery" in item:
        delivery = item["delivery"]
        return Delivery(psid=psid, watermark=_at(delivery["watermark"]),
                        mids=tuple(str(m) for m in delivery.get("mids") or ()))
    if "read" in item:
        return Read(psid=psid, at=_at(item["timestamp"]),
                    watermark=_at(item["read"]["watermark"]))
    return None


def dedup_key(event: Event) -> str:
    """What makes an event the same event when Meta sends it again.

    Messages by their mid; postbacks by theirs (Graph API v11+), else by sender and time;
    deliveries and reads by sender and watermark; referrals by sender and time.
    """
    if isinstance(event, IncomingMessage):
        return f"m:{event.mid}"
    if isinstance(event, Postback):
        return f"p:{event.mid}" if event.mid else f"p:{event.psid}:{event.at.timestamp()}"
    if isinstance(event, ReferralEvent):
        return f"r:{event.psid}:{event.at.timestamp()}"
    if isinstance(event, Delivery):
        return f"d:{event.psid}:{event.watermark.timestamp()}"
    return f"s:{event.psid}:{event.watermark.timestamp()}"
