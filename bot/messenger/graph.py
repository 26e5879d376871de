"""`GraphClient`: the Graph API calls the bot makes, over aiohttp, with Meta's errors named.

Send API (text, quick replies, button templates, sender actions, tags), the Messenger
Profile API, Page posts and their figures, and attachment downloads with a size limit.
The token travels in the Authorization header, never in a URL; every call carries
``appsecret_proof`` (HMAC-SHA256 of the token with the app secret) so a stolen token alone
cannot be used from elsewhere once the app requires it. Nothing here logs a payload.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp

from bot.config import FacebookSettings, Secret

log = logging.getLogger(__name__)

# Limits the code relies on; each is sourced in docs/messenger.md.
TEXT_MAX = 2000
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
BUTTONS_MAX = 3
BUTTON_TEXT_MAX = 640
BUTTON_TITLE_MAX = 20
PAYLOAD_MAX = 1000
VIEWS_METRIC = "post_total_media_view_unique"
ATTACHMENT_KINDS = ("image", "video", "audio", "file")


# -- errors --------------------------------------------------------------------------------
class GraphError(Exception):
    """An error Meta answered: its code, subcode and message (never a user's words)."""

    def __init__(self, code: int, message: str, *, subcode: int | None = None,
                 fbtrace_id: str | None = None, status: int = 400) -> None:
        super().__init__(f"({code}/{subcode}) {message}" if subcode else f"({code}) {message}")
        self.code = code
        self.subcode = subcode
        self.message = message
        self.fbtrace_id = fbtrace_id
        self.status = status


class OutsideWindow(GraphError):
    """10 / 2018278: the 24-hour window (or HUMAN_AGENT's 7 days) has closed for this person."""


class PersonUnavailable(GraphError):
    """551: the person blocked the Page, turned its messages off, or left Messenger."""


class RateLimited(GraphError):
    """613 (or 4): too many calls; wait and try again later."""


class InvalidToken(GraphError):
    """190: the Page token is wrong, expired or revoked; an admin must issue a new one."""


class InsightsUnavailable(GraphError):
    """Meta gives no insights for this Page (fewer than 100 likes)."""


class GraphUnavailable(Exception):
    """Meta did not answer usably: a network error, a timeout, or a 5xx without JSON."""


class AttachmentTooLarge(Exception):
    """A file someone sent is above the size the bot accepts; nothing was kept."""


_INSIGHTS_CODE = 2874008


def _error(status: int, body: Any) -> GraphError:
    raw = body.get("error") if isinstance(body, dict) else None
    if not isinstance(raw, dict):
        return GraphError(0, f"HTTP {status} without an error body", status=status)
    code = int(raw.get("code") or 0)
    subcode = raw.get("error_subcode")
    subcode = int(subcode) if subcode is not None else None
    kind: type[GraphError] = GraphError
    if code == 10 and subcode == 2018278:
        kind = OutsideWindow
    elif code == 551:
        kind = PersonUnavailable
    elif code in (4, 613):
        kind = RateLimited
    elif code == 190:
        kind = InvalidToken
    elif _INSIGHTS_CODE in (code, subcode):
        kind = InsightsUnavailable
    return kind(code, str(raw.get("message", "")), subcode=subcode,
                fbtrace_id=raw.get("fbtrace_id"), status=status)


# -- what a message can hold ---------------------------------------------------------------
class MessagingType(StrEnum):
    """Why the Page writes: a reply, an update inside the window, or a tagged message."""

    RESPONSE = "RESPONSE"
    UPDATE = "UPDATE"
    MESSAGE_TAG = "MESSAGE_TAG"


HUMAN_AGENT = "HUMAN_AGENT"  # a human's reply, up to 7 days after the person's last message


@dataclass(frozen=True)
class QuickReply:
    """A quick-reply button: ``title`` shows (≤ 20 characters), ``payload`` comes back."""

    title: str
    payload: str

    def to_json(self) -> dict[str, str]:
        """The Send API's form."""
        return {"content_type": "text", "title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class PhoneQuickReply:
    """Messenger's "send my phone number" quick reply (the number comes back as the text)."""

    def to_json(self) -> dict[str, str]:
        """The Send API's form."""
        return {"content_type": "user_phone_number"}


@dataclass(frozen=True)
class PostbackButton:
    """A button that sends ``payload`` back as a postback."""

    title: str
    payload: str

    def to_json(self) -> dict[str, str]:
        """The Send API's form."""
        return {"type": "postback", "title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class UrlButton:
    """A button that opens a web page."""

    title: str
    url: str

    def to_json(self) -> dict[str, str]:
        """The Send API's form."""
        return {"type": "web_url", "title": self.title, "url": self.url}


Button = PostbackButton | UrlButton


@dataclass(frozen=True)
class PostFigures:
    """What Meta reports about a Page post; ``views`` is None where Meta gives no insights."""

    post_id: str
    views: int | None
    reactions: int
    comments: int
    shares: int


@dataclass(frozen=True)
class Download:
    """A file fetched from Meta's CDN."""

    data: bytes = field(repr=False)
    content_type: str | None


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Cut a long text into messages of at most ``limit`` characters.

    At a paragraph break if there is one in reach, else a line break, else a space, else
    at the limit itself.
    """
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = next((at for sep in ("\n\n", "\n", " ") if (at := window.rfind(sep)) > 0),
                   limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


# -- the client ----------------------------------------------------------------------------
class GraphClient:
    """The bot's calls to the Graph API for one Page."""

    def __init__(self, session: aiohttp.ClientSession, facebook: FacebookSettings, *,
                 timeout: float = 10.0) -> None:
        self._session = session
        self._root = facebook.graph_url
        self.page_id = facebook.page_id
        self._token: Secret = facebook.page_token
        self._proof = hmac.new(facebook.app_secret.get().encode(),
                               facebook.page_token.get().encode(), hashlib.sha256).hexdigest()
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    # --- Send API --------------------------------------------------------------------

    async def send(self, psid: str, message: Mapping[str, Any], *,
                   messaging_type: MessagingType = MessagingType.RESPONSE,
                   tag: str | None = None) -> str:
        """Send one message; returns its mid (Meta's refusals raise, see the errors above)."""
        body: dict[str, Any] = {"recipient": {"id": psid}, "messaging_type": str(messaging_type),
                                "message": dict(message)}
        if tag is not None:
            body["messaging_type"] = str(MessagingType.MESSAGE_TAG)
            body["tag"] = tag
        answer = await self._call("POST", f"{self.page_id}/messages", json_body=body)
        return str(answer["message_id"])

    async def send_text(self, psid: str, text: str, *,
                        quick_replies: Sequence[QuickReply | PhoneQuickReply] = (),
                        messaging_type: MessagingType = MessagingType.RESPONSE,
                        tag: str | None = None) -> str:
        """A text of at most 2,000 characters (see ``split_text``), with quick replies."""
        message: dict[str, Any] = {"text": text}
        if quick_replies:
            message["quick_replies"] = [q.to_json() for q in quick_replies]
        return await self.send(psid, message, messaging_type=messaging_type, tag=tag)

    async def send_buttons(self, psid: str, text: str, buttons: Sequence[Button], *,
                           messaging_type: MessagingType = MessagingType.RESPONSE,
                           tag: str | None = None) -> str:
        """A button template: text of at most 640 characters, one to three buttons."""
        message = {"attachment": {"type": "template", "payload": {
            "template_type": "button", "text": text, "buttons": [b.to_json() for b in buttons]}}}
        return await self.send(psid, message, messaging_type=messaging_type, tag=tag)

    async def send_attachment(self, psid: str, kind: str, data: bytes, *, filename: str,
                              content_type: str = "application/octet-stream",
                              messaging_type: MessagingType = MessagingType.RESPONSE) -> str:
        """Upload and send a file: ``kind`` is image, video, audio or file; returns its mid."""
        if kind not in ATTACHMENT_KINDS:
            raise ValueError(f"an attachment is one of {ATTACHMENT_KINDS}")
        form = aiohttp.FormData()
        form.add_field("recipient", json.dumps({"id": psid}))
        form.add_field("messaging_type", str(messaging_type))
        form.add_field("message", json.dumps(
            {"attachment": {"type": kind, "payload": {"is_reusable": False}}}))
        form.add_field("filedata", data, filename=filename, content_type=content_type)
        answer = await self._call("POST", f"{self.page_id}/messages", form=form)
        return str(answer["message_id"])

    async def sender_action(self, psid: str, action: str) -> None:
        """typing_on, typing_off or mark_seen."""
        await self._call("POST", f"{self.page_id}/messages",
                         json_body={"recipient": {"id": psid}, "sender_action": action})

    # --- Messenger Profile API -------------------------------------------------------

    async def set_messenger_profile(self, properties: Mapping[str, Any]) -> None:
        """Set Get Started, greeting, persistent menu, ice breakers (those given)."""
        await self._call("POST", "me/messenger_profile", json_body=dict(properties))

    # --- the Page --------------------------------------------------------------------

    async def publish(self, message: str, *, link: str | None = None) -> str:
        """A text (or link) post on the Page; returns the post's id."""
        body: dict[str, Any] = {"message": message}
        if link is not None:
            body["link"] = link
        answer = await self._call("POST", f"{self.page_id}/feed", json_body=body)
        return str(answer["id"])

    async def publish_photo(self, *, caption: str, url: str | None = None,
                            data: bytes | None = None, filename: str = "photo.jpg") -> str:
        """A photo post, from a public URL or uploaded; returns the post's id."""
        answer = await self._publish_media("photos", {"message": caption}, url_field="url",
                                           url=url, data=data, filename=filename)
        return str(answer["post_id"])

    async def publish_video(self, *, description: str, url: str | None = None,
                            data: bytes | None = None, filename: str = "video.mp4") -> str:
        """A video post, from a public URL or uploaded; returns the post's id."""
        answer = await self._publish_media("videos", {"description": description},
                                           url_field="file_url", url=url, data=data,
                                           filename=filename)
        video = await self._call("GET", str(answer["id"]), params={"fields": "post_id"})
        return str(video["post_id"])

    async def post_figures(self, post_id: str) -> PostFigures:
        """Unique views (insights; None if Meta gives none), reactions, comments, shares."""
        fields = ("shares,reactions.summary(total_count).limit(0),"
                  "comments.summary(total_count).limit(0)")
        post = await self._call("GET", post_id, params={"fields": fields})
        views: int | None = None
        try:
            insights = await self._call("GET", f"{post_id}/insights",
                                        params={"metric": VIEWS_METRIC})
        except InsightsUnavailable:
            pass
        else:
            for item in insights.get("data") or []:  # empty for small Pages (older API)
                if item.get("name") == VIEWS_METRIC and item.get("values"):
                    views = int(item["values"][-1]["value"])
        return PostFigures(
            post_id=post_id, views=views,
            reactions=int(((post.get("reactions") or {}).get("summary") or {})
                          .get("total_count", 0)),
            comments=int(((post.get("comments") or {}).get("summary") or {})
                         .get("total_count", 0)),
            shares=int((post.get("shares") or {}).get("count", 0)))  # absent while 0

    # --- attachments -----------------------------------------------------------------

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        """A file someone sent, from Meta's CDN; AttachmentTooLarge above ``max_bytes``."""
        return (await self.fetch(url, max_bytes=max_bytes)).data

    async def fetch(self, url: str, *, max_bytes: int) -> Download:
        """``download`` with the file's type as the CDN declared it.

        The declared length is checked before reading, and the bytes are counted while
        reading (a server may not declare it), so nothing above the limit is held.
        """
        try:
            async with self._session.get(url, timeout=self._timeout) as response:
                if response.status != 200:
                    raise GraphUnavailable(f"attachment download answered {response.status}")
                if response.content_length is not None and response.content_length > max_bytes:
                    raise AttachmentTooLarge(f"{response.content_length} bytes")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise AttachmentTooLarge(f"more than {max_bytes} bytes")
                    chunks.append(chunk)
                kind = response.content_type
                return Download(b"".join(chunks),
                                None if kind == "application/octet-stream" else kind)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphUnavailable(exc.__class__.__name__) from exc

    # --- the wire --------------------------------------------------------------------

    async def _publish_media(self, edge: str, fields: dict[str, str], *, url_field: str,
                             url: str | None, data: bytes | None, filename: str
                             ) -> dict[str, Any]:
        if (url is None) == (data is None):
            raise ValueError("give the media's url or its data, not both")
        if url is not None:
            return await self._call("POST", f"{self.page_id}/{edge}",
                                    json_body={**fields, url_field: url})
        form = aiohttp.FormData()
        for name, value in fields.items():
            form.add_field(name, value)
        form.add_field("source", data, filename=filename,
                       content_type="application/octet-stream")
        return await self._call("POST", f"{self.page_id}/{edge}", form=form)

    async def _call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                    json_body: dict[str, Any] | None = None,
                    form: aiohttp.FormData | None = None) -> dict[str, Any]:
        query = {**(params or {}), "appsecret_proof": self._proof}
        headers = {"Authorization": f"Bearer {self._token.get()}"}
        data: Any = form
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(method, f"{self._root}/{path}", params=query,
                                             data=data, headers=headers,
                                             timeout=self._timeout) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphUnavailable(exc.__class__.__name__) from exc
        if status == 200 and isinstance(body, dict) and "error" not in body:
            return body
        if body is None and status >= 500:
            raise GraphUnavailable(f"HTTP {status}")
        error = _error(status, body)
        log.warning("Graph API %s %s refused: code %s subcode %s", method, _edge(path),
                    error.code, error.subcode)
        raise error


def _edge(path: str) -> str:
    """The edge of a path, without ids (``messages``, ``insights``, ``object``)."""
    tail = path.rsplit("/", 1)
    return tail[1] if len(tail) == 2 else "object"
