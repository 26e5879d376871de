"""The Send API (`POST /{page-id}/messages`): what Meta accepts, and the messaging windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import limits as L
from .errors import (
    GraphApiError,
    invalid_parameter,
    no_matching_user,
    outside_window,
    person_unavailable,
)
from .people import FakePerson, Received
from .state import CdnFile, World

MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")
# The one tag the bot may use: a human's reply, up to 7 days after the person's last message.
# Meta has others (ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE); they are
# not for this office and the fake refuses them rather than guess their rules.
TAGS = ("HUMAN_AGENT",)
MEDIA_TYPES = ("image", "video", "audio", "file")
UPLOAD_MAX = 25 * 1024 * 1024  # attachments the Page sends


@dataclass(frozen=True)
class Outgoing:
    """A checked Send API request."""

    person: FakePerson
    messaging_type: str | None
    tag: str | None
    message: dict[str, Any] | None
    sender_action: str | None

    @property
    def media(self) -> bool:
        """Audio and video count against the slower media rate."""
        attachment = (self.message or {}).get("attachment") or {}
        return attachment.get("type") in ("audio", "video")


def check(world: World, params: dict[str, Any], upload_size: int | None) -> Outgoing:
    """Raise the error Meta would answer, or return the request to perform."""
    recipient = params.get("recipient")
    if not isinstance(recipient, dict) or "id" not in recipient:
        raise invalid_parameter("param recipient must be an object with an id")
    action = params.get("sender_action")
    message = params.get("message")
    if action is not None:
        if action not in SENDER_ACTIONS:
            raise invalid_parameter(f"param sender_action must be one of {SENDER_ACTIONS}")
        if message is not None:
            raise invalid_parameter("sender_action cannot be sent with a message")
    else:
        if not isinstance(message, dict):
            raise invalid_parameter("param message must be an object")
        _check_message(message, upload_size)
    messaging_type = params.get("messaging_type")
    tag = params.get("tag")
    if action is None:
        if messaging_type not in MESSAGING_TYPES:
            raise invalid_parameter(
                f"param messaging_type must be one of {{{', '.join(MESSAGING_TYPES)}}}")
        if messaging_type == "MESSAGE_TAG" and tag is None:
            raise invalid_parameter("param tag is required when messaging_type is MESSAGE_TAG")
        if tag is not None and messaging_type != "MESSAGE_TAG":
            raise invalid_parameter("param tag is only allowed with messaging_type MESSAGE_TAG")
        if tag is not None and tag not in TAGS:
            raise invalid_parameter(f"tag {tag!r} is not modelled by the fake (only HUMAN_AGENT)")
    person = world.people.get(str(recipient["id"]))
    if person is None:
        raise no_matching_user()
    if not person.available:
        raise person_unavailable()
    _check_window(world, person, tag)
    return Outgoing(person, messaging_type, tag, message, action)


def _check_window(world: World, person: FakePerson, tag: str | None) -> None:
    """Only inside the person's window: 24 hours, or 7 days for a human agent's reply."""
    if person.last_interaction is None:  # the conversation must be started by the person
        raise outside_window()
    window = L.HUMAN_AGENT_WINDOW if tag == "HUMAN_AGENT" else L.STANDARD_WINDOW
    if world.clock() - person.last_interaction > window:
        raise outside_window()


def _too_long(param: str, limit: int) -> GraphApiError:
    return invalid_parameter(f"Length of param {param} must be less than or equal to {limit}")


def _check_message(message: dict[str, Any], upload_size: int | None) -> None:
    text, attachment = message.get("text"), message.get("attachment")
    if (text is None) == (attachment is None):
        raise invalid_parameter("Message must contain exactly one of text or attachment")
    if text is not None:
        if not isinstance(text, str) or not text.strip():
            raise invalid_parameter("Message cannot be empty, must provide valid attachment "
                                    "or text")
        if len(text) > L.TEXT_MAX:
            raise _too_long("message[text]", L.TEXT_MAX)
    if attachment is not None:
        _check_attachment(attachment, upload_size)
    if "quick_replies" in message:
        _check_quick_replies(message["quick_replies"])
    if unknown := set(message) - {"text", "attachment", "quick_replies", "metadata"}:
        raise invalid_parameter(f"Unknown message fields: {sorted(unknown)}")


def _check_attachment(attachment: Any, upload_size: int | None) -> None:
    if not isinstance(attachment, dict):
        raise invalid_parameter("param message[attachment] must be an object")
    kind, payload = attachment.get("type"), attachment.get("payload")
    if kind == "template":
        if not isinstance(payload, dict) or payload.get("template_type") != "button":
            raise invalid_parameter("the fake models the button template only")
        _check_button_template(payload)
        return
    if kind not in MEDIA_TYPES:
        raise invalid_parameter("param message[attachment][type] must be one of "
                                "{image, video, audio, file, template}")
    if upload_size is not None:
        if upload_size > UPLOAD_MAX:
            raise invalid_parameter("Attachment size exceeds the 25 MB limit")
        return
    if not isinstance(payload, dict):
        raise invalid_parameter("param message[attachment][payload] must be an object")
    url, reusable_id = payload.get("url"), payload.get("attachment_id")
    if reusable_id is None and not (isinstance(url, str) and url.startswith(("https://",
                                                                            "http://"))):
        raise invalid_parameter("param message[attachment][payload][url] must be a URL")


def _check_button_template(payload: dict[str, Any]) -> None:
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise invalid_parameter("param message[attachment][payload][text] must be non-empty")
    if len(text) > L.BUTTON_TEMPLATE_TEXT_MAX:
        raise _too_long("message[attachment][payload][text]", L.BUTTON_TEMPLATE_TEXT_MAX)
    buttons = payload.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= L.BUTTONS_MAX:
        raise invalid_parameter(f"param message[attachment][payload][buttons] must have 1 to "
                                f"{L.BUTTONS_MAX} elements")
    for i, button in enumerate(buttons):
        check_button(button, f"message[attachment][payload][buttons][{i}]")


def check_button(button: Any, where: str) -> None:
    """A postback, URL or call button (templates and the persistent menu)."""
    if not isinstance(button, dict):
        raise invalid_parameter(f"param {where} must be an object")
    title = button.get("title")
    if not isinstance(title, str) or not title:
        raise invalid_parameter(f"param {where}[title] is required")
    if len(title) > L.BUTTON_TITLE_MAX:
        raise _too_long(f"{where}[title]", L.BUTTON_TITLE_MAX)
    kind = button.get("type")
    if kind == "postback":
        payload = button.get("payload")
        if not isinstance(payload, str) or not payload:
            raise invalid_parameter(f"param {where}[payload] is required")
        if len(payload) > L.PAYLOAD_MAX:
            raise _too_long(f"{where}[payload]", L.PAYLOAD_MAX)
    elif kind == "web_url":
        url = button.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise invalid_parameter(f"param {where}[url] must be a URL")
    elif kind == "phone_number":
        number = button.get("payload")
        if not isinstance(number, str) or not number.startswith("+"):
            raise invalid_parameter(f"param {where}[payload] must be a phone number "
                                    "starting with +")
    else:
        raise invalid_parameter(f"param {where}[type] must be one of "
                                "{postback, web_url, phone_number}")


def _check_quick_replies(replies: Any) -> None:
    if not isinstance(replies, list) or not 1 <= len(replies) <= L.QUICK_REPLIES_MAX:
        raise invalid_parameter(f"param message[quick_replies] must have 1 to "
                                f"{L.QUICK_REPLIES_MAX} elements")
    for i, reply in enumerate(replies):
        where = f"message[quick_replies][{i}]"
        if not isinstance(reply, dict):
            raise invalid_parameter(f"param {where} must be an object")
        kind = reply.get("content_type")
        if kind == "text":
            title, payload = reply.get("title"), reply.get("payload")
            if not isinstance(title, str) or not title:
                raise invalid_parameter(f"param {where}[title] is required for text")
            if len(title) > L.QUICK_REPLY_TITLE_MAX:
                raise _too_long(f"{where}[title]", L.QUICK_REPLY_TITLE_MAX)
            if not isinstance(payload, str | int) or payload == "":
                raise invalid_parameter(f"param {where}[payload] is required for text")
            if len(str(payload)) > L.PAYLOAD_MAX:
                raise _too_long(f"{where}[payload]", L.PAYLOAD_MAX)
        elif kind in ("user_phone_number", "user_email"):
            if "title" in reply or "payload" in reply:
                raise invalid_parameter(f"param {where}: {kind} takes no title or payload")
        else:
            raise invalid_parameter(f"param {where}[content_type] must be one of "
                                    "{text, user_phone_number, user_email}")


def deliver(world: World, out: Outgoing, uploaded: CdnFile | None = None) -> dict[str, Any]:
    """Put the message in the person's inbox; the Send API's answer.

    A file the Page uploaded goes on the CDN, and the person's copy of the message points
    at it (``payload.url``), as the recipient's Messenger shows it.
    """
    mid = world.new_mid()
    message = out.message
    attachment = (message or {}).get("attachment")
    if uploaded is not None and message is not None and isinstance(attachment, dict) \
            and attachment.get("type") in MEDIA_TYPES:
        payload = {**(attachment.get("payload") or {}), "url": world.put_file(uploaded)}
        message = {**message, "attachment": {**attachment, "payload": payload}}
    out.person.receive(Received(mid=mid, message=message, messaging_type=out.messaging_type,
                                tag=out.tag, at_ms=world.now_ms(),
                                sender_action=out.sender_action))
    if out.sender_action is not None:
        return {"recipient_id": out.person.psid}
    return {"recipient_id": out.person.psid, "message_id": mid}
