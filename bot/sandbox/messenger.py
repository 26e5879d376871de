"""The sandbox's Messenger side: people on the fake Graph API, each conversation as a thread.

Meta keeps no conversation for a test to read back, and a simulated person
(`bot.fakegraph.FakePerson`) keeps only what the Page sent. A `Thread` holds both sides of
one person's conversation, in order, as Messenger shows it: what the person typed, tapped
(a quick reply, a template's button, the persistent menu, Get Started, an ice breaker) or
attached — recorded just before it goes to the bot as a signed webhook — and what the Page
sent, seen through `FakeGraph.observe` the moment the Send API accepts it. The web page
(`bot.sandbox.web`) shows threads and acts through them; the demo's seeding script uses
the same verbs, so its data is made exactly as a visitor would make it.

`MessengerSide` is the fake Graph API's side of the sandbox: the threads, the log of Graph
API calls and webhook events for the "what just happened" panel, and bounded event queues
for the page's server-sent events.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.fakegraph import Call, FakeGraph, FakePerson, Received, Sent

JSON = dict[str, Any]
CALLS_KEPT = 400
QUEUE_SIZE = 1000
SCRIPT_BACKLOG = 200  # the Page's messages kept for `Thread.expect` (a visitor reads none)
FILES_PER_MESSAGE = 10
# What the person's own Messenger shows for the Get Started postback.
GET_STARTED = "Get Started"
_KINDS = (("image/", "image"), ("video/", "video"), ("audio/", "audio"))


class ThreadError(Exception):
    """An action the thread refuses (not offered, gone, already used); the web page's 409."""


@dataclass
class Item:
    """One message of a thread: the person's or the Page's."""

    id: int  # the thread's own numbering, in order
    own: bool  # the person's
    at: float  # Unix seconds
    via: str  # own: text, quick_reply, phone, postback, menu, get_started, ice_breaker,
    # attachments; the Page's: text, template, attachment
    text: str | None = None
    quick_replies: list[JSON] = field(default_factory=list)
    buttons: list[JSON] = field(default_factory=list)  # a button template's
    attachments: list[JSON] = field(default_factory=list)
    mid: str | None = None  # the Page's message id (a template's buttons name it)

    def view(self, page_name: str, sender: str) -> JSON:
        """The item as the page renders it (payloads stay on the server)."""
        return {
            "id": self.id,
            "own": self.own,
            "by_page": not self.own,
            "at": self.at,
            "via": self.via,
            "sender": sender if self.own else page_name,
            "text": self.text,
            "quick_replies": [_public(q) for q in self.quick_replies],
            "buttons": [_public(b) for b in self.buttons],
            "attachments": self.attachments,
        }


def _matches(title: str, label: str) -> bool:
    return title == label or (title.endswith("…") and label.startswith(title[:-1]))


def _public(control: JSON) -> JSON:
    """A quick reply or button without its payload (a phone button's number is shown)."""
    shown = {k: v for k, v in control.items() if k != "payload"}
    if control.get("type") == "phone_number":
        shown["number"] = control.get("payload")
    return shown


def file_view(url: str, *, kind: str, name: str | None, size: int, mime: str) -> JSON:
    """An attachment as the page shows it: the bytes are served by the page's own origin."""
    return {"type": kind, "url": f"/mfiles/{url.rsplit('/', 1)[-1]}", "name": name,
            "size": size, "mime": mime}


@dataclass(frozen=True)
class ThreadEvent:
    """A message was added to a thread."""

    thread: Thread
    item: Item


@dataclass(frozen=True)
class GraphCallEvent:
    """The bot called the Graph API (``at``: Unix seconds)."""

    at: float
    call: Call


@dataclass(frozen=True)
class WebhookEvent:
    """Meta posted an event of a person to the bot's webhook (``at``: Unix seconds)."""

    at: float
    thread: Thread
    field: str  # messages, messaging_postbacks, message_deliveries, message_reads
    detail: str


MessengerEvent = ThreadEvent | GraphCallEvent | WebhookEvent


class EventFeed(asyncio.Queue[MessengerEvent]):
    """A subscriber's bounded queue; the oldest event goes when it is full (``dropped``)."""

    def __init__(self, maxsize: int = QUEUE_SIZE) -> None:
        super().__init__(maxsize)
        self.dropped = 0


class Thread:
    """One person's conversation with the Page, both sides, and what they can do in it."""

    def __init__(self, side: MessengerSide, key: str, title: str, person: FakePerson,
                 phone: str) -> None:
        self.side = side
        self.key = key
        self.title = title
        self.person = person
        self.phone = phone  # what Messenger's phone-number quick reply offers
        self.items: list[Item] = []
        self._ids = itertools.count(1)
        self._seen: asyncio.Queue[Item] = asyncio.Queue(SCRIPT_BACKLOG)

    def __repr__(self) -> str:
        return f"Thread({self.key!r})"

    @property
    def name(self) -> str:
        """The person's name on Facebook."""
        return self.person.name

    # --- what the page shows ----------------------------------------------------------

    def views(self) -> list[JSON]:
        """Every message, oldest first."""
        return [self.view(item) for item in self.items]

    def view(self, item: Item) -> JSON:
        """One message as the page shows it."""
        return item.view(self.side.page_name, self.person.name)

    def menu(self) -> list[JSON]:
        """The Page's persistent menu as this person sees it (their locale, else default)."""
        entry = self._for_locale(self.side.graph.profile.get("persistent_menu", []))
        return list((entry or {}).get("call_to_actions", []))

    def ice_breakers(self) -> list[JSON]:
        """The questions of a new conversation's welcome screen."""
        items = self.side.graph.profile.get("ice_breakers", [])
        if items and isinstance(items[0], dict) and "question" in items[0]:
            return list(items)  # the older format: one list for every locale
        return list((self._for_locale(items) or {}).get("call_to_actions", []))

    def greeting(self) -> str | None:
        """The Page's greeting on the welcome screen."""
        entry = self._for_locale(self.side.graph.profile.get("greeting", []))
        return None if entry is None else str(entry.get("text", ""))

    def has_get_started(self) -> bool:
        """Whether the Page set a Get Started button."""
        return isinstance(self.side.graph.profile.get("get_started"), dict)

    def offered(self) -> Item | None:
        """The newest message, if it is the Page's with quick replies.

        Messenger shows quick replies under the newest message only, until anything else
        is sent.
        """
        if self.items and not self.items[-1].own and self.items[-1].quick_replies:
            return self.items[-1]
        return None

    # --- what the person does -----------------------------------------------------------

    async def send_text(self, text: str) -> Item:
        """Type a message and send it."""
        item = self._own("text", text=text)
        self.side.note_webhook(self, "messages", f"text={text!r}")
        await self.person.send(text)
        return item

    async def send_files(self, files: Sequence[tuple[str, str, bytes]]) -> Item:
        """Send files (name, content type, bytes) in one message, as Messenger does."""
        if not 1 <= len(files) <= FILES_PER_MESSAGE:
            raise ThreadError(f"send 1 to {FILES_PER_MESSAGE} files at a time")
        attachments, shown = [], []
        for name, content_type, data in files:
            kind = next((k for prefix, k in _KINDS if content_type.startswith(prefix)), "file")
            attachment = self.side.graph.attachment(kind, data=data, content_type=content_type,
                                                    name=name)
            attachments.append(attachment)
            shown.append(file_view(attachment["payload"]["url"], kind=kind, name=name,
                                   size=len(data), mime=content_type))
        item = self._own("attachments", attachments=shown)
        kinds = ", ".join(str(a["type"]) for a in attachments)
        self.side.note_webhook(self, "messages", f"attachments=[{kinds}]")
        await self.person.send_attachments(*attachments)
        return item

    async def tap_quick_reply(self, item_id: int, index: int) -> Item:
        """Tap one of the quick replies under the newest message."""
        offered = self.offered()
        if offered is None or offered.id != item_id:
            raise ThreadError("those quick replies are gone: only the newest message's stay")
        if not 0 <= index < len(offered.quick_replies):
            raise ThreadError("no such quick reply")
        reply = offered.quick_replies[index]
        kind = reply.get("content_type")
        if kind == "user_phone_number":
            item = self._own("phone", text=self.phone)
            self.side.note_webhook(self, "messages", f"quick_reply (phone) {self.phone}")
            await self.person.tap_quick_reply(phone=self.phone)
            return item
        if kind != "text":
            raise ThreadError(f"a {kind} quick reply is not simulated in the sandbox")
        title = str(reply["title"])
        item = self._own("quick_reply", text=title)
        self.side.note_webhook(self, "messages",
                               f"quick_reply payload={reply.get('payload')!r} text={title!r}")
        await self.person.tap_quick_reply(title)
        return item

    async def tap_button(self, item_id: int, index: int) -> Item:
        """Tap a postback button of a button template (they stay tappable in the history)."""
        found = next((i for i in self.items if i.id == item_id and i.buttons), None)
        if found is None or not 0 <= index < len(found.buttons):
            raise ThreadError("no such button")
        button = found.buttons[index]
        if button.get("type") != "postback":
            raise ThreadError("only postback buttons are pressed here; links open in the page")
        title = str(button["title"])
        item = self._own("postback", text=title)
        self.side.note_webhook(self, "messaging_postbacks",
                               f"payload={button.get('payload')!r} title={title!r}")
        await self.person.tap_button(title, mid=found.mid)
        return item

    async def tap_menu(self, index: int) -> Item:
        """Tap an item of the persistent menu."""
        menu = self.menu()
        if not 0 <= index < len(menu) or menu[index].get("type") != "postback":
            raise ThreadError("no such menu item")
        title = str(menu[index]["title"])
        item = self._own("menu", text=title)
        self.side.note_webhook(self, "messaging_postbacks",
                               f"payload={menu[index].get('payload')!r} (menu)")
        await self.person.tap_menu(title)
        return item

    async def get_started(self) -> Item:
        """Tap Get Started on the welcome screen."""
        if not self.has_get_started():
            raise ThreadError("the Page has no Get Started button")
        item = self._own("get_started", text=GET_STARTED)
        payload = self.side.graph.profile["get_started"].get("payload")
        self.side.note_webhook(self, "messaging_postbacks", f"payload={payload!r} (Get Started)")
        await self.person.get_started()
        return item

    async def tap_ice_breaker(self, index: int) -> Item:
        """Tap one of the welcome screen's questions."""
        questions = self.ice_breakers()
        if not 0 <= index < len(questions):
            raise ThreadError("no such question")
        question = str(questions[index]["question"])
        item = self._own("ice_breaker", text=question)
        self.side.note_webhook(self, "messaging_postbacks",
                               f"payload={questions[index].get('payload')!r} (ice breaker)")
        await self.person.tap_ice_breaker(question)
        return item

    async def read(self) -> bool:
        """The person's Messenger got and showed what the Page sent: a delivery, a read.

        False when there was nothing new.
        """
        mids = await self.person.confirm_delivery()
        if not mids:
            return False
        self.side.note_webhook(self, "message_deliveries", f"{len(mids)} message(s)")
        await self.person.read()
        self.side.note_webhook(self, "message_reads", "watermark")
        return True

    # --- for scripts: as a person reading the screen ----------------------------------------

    async def next_from_page(self, timeout: float = 10.0) -> Item:  # noqa: ASYNC109
        """The Page's next message (each is returned once, in order)."""
        async with asyncio.timeout(timeout):
            return await self._seen.get()

    async def expect(self, needle: str, timeout: float = 10.0) -> Item:  # noqa: ASYNC109
        """The Page's next new message containing ``needle`` (earlier ones are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen: list[str] = []
        while True:
            try:
                item = await self.next_from_page(max(0.01, deadline - loop.time()))
            except TimeoutError:
                raise ThreadError(f"{self.key}: no message with {needle!r}; got {seen}") from None
            if needle in (item.text or ""):
                return item
            seen.append((item.text or item.via)[:60])

    async def choose(self, label: str, timeout: float = 10.0) -> Item:  # noqa: ASYNC109
        """Tap a quick reply or a template's button called ``label``, as soon as it is shown.

        A quick reply under the newest message, else a postback button of the newest
        template. A title cut with "…" matches the whole label.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if (offered := self.offered()) is not None:
                for index, reply in enumerate(offered.quick_replies):
                    if _matches(str(reply.get("title", "")), label):
                        return await self.tap_quick_reply(offered.id, index)
            if (template := next((i for i in reversed(self.items) if i.buttons), None)):
                for index, button in enumerate(template.buttons):
                    if button.get("type") == "postback" and _matches(str(button["title"]),
                                                                     label):
                        return await self.tap_button(template.id, index)
            if loop.time() > deadline:
                raise ThreadError(f"{self.key}: nothing to tap called {label!r}")
            await asyncio.sleep(0.02)

    async def open_menu(self, title: str) -> Item:
        """Tap the persistent menu's item called ``title``."""
        for index, item in enumerate(self.menu()):
            if item.get("title") == title:
                return await self.tap_menu(index)
        raise ThreadError(f"no menu item {title!r}")

    # --- the log ----------------------------------------------------------------------

    def _own(self, via: str, *, text: str | None = None,
             attachments: list[JSON] | None = None) -> Item:
        item = Item(next(self._ids), True, time.time(), via, text=text,
                    attachments=attachments or [])
        self._add(item)
        return item

    def received(self, received: Received) -> None:
        """The Page's message reached the person (sender actions are not messages)."""
        message = received.message
        if message is None:
            return
        attachments: list[JSON] = []
        found = received.attachment
        via = "text"
        if received.buttons:
            via = "template"
        elif found is not None:
            via = "attachment"
            url = str((found.get("payload") or {}).get("url") or "")
            stored = self.side.graph.file(url) if url else None
            attachments.append(file_view(url, kind=str(found.get("type")),
                                         name=None if stored is None else stored.name,
                                         size=0 if stored is None else stored.size,
                                         mime="" if stored is None else stored.content_type))
        item = Item(next(self._ids), False, received.at_ms / 1000, via, text=received.text,
                    quick_replies=received.quick_replies, buttons=received.buttons,
                    attachments=attachments, mid=received.mid)
        self._add(item)
        if self._seen.full():
            self._seen.get_nowait()
        self._seen.put_nowait(item)

    def _add(self, item: Item) -> None:
        self.items.append(item)
        self.side.publish(ThreadEvent(self, item))

    def _for_locale(self, items: list[JSON]) -> JSON | None:
        by_locale = {i.get("locale"): i for i in items if isinstance(i, dict)}
        return by_locale.get(self.person.locale) or by_locale.get("default")


class MessengerSide:
    """The simulated people of one fake Graph API, their threads, and what happened."""

    def __init__(self, graph: FakeGraph, page_name: str) -> None:
        self.graph = graph
        self.page_name = page_name
        self.threads: dict[str, Thread] = {}  # by key
        self._by_psid: dict[str, Thread] = {}
        self.log: deque[GraphCallEvent | WebhookEvent] = deque(maxlen=CALLS_KEPT)
        self._feeds: list[EventFeed] = []
        self._stop = graph.observe(self._observe)

    def thread(self, key: str, title: str, name: str, *, locale: str = "mn_MN",
               phone: str) -> Thread:
        """A new person writing to the Page, and their conversation."""
        if key in self.threads:
            raise ValueError(f"a thread {key!r} exists")
        thread = Thread(self, key, title, self.graph.person(name, locale=locale), phone)
        self.threads[key] = thread
        self._by_psid[thread.person.psid] = thread
        return thread

    def by_psid(self, psid: str) -> Thread | None:
        """The thread of a PSID, if it is one of the sandbox's people."""
        return self._by_psid.get(psid)

    def close(self) -> None:
        """Stop observing the fake."""
        self._stop()

    # --- events -------------------------------------------------------------------------

    def subscribe(self, maxsize: int = QUEUE_SIZE) -> EventFeed:
        """A bounded queue of every later event."""
        feed = EventFeed(maxsize)
        self._feeds.append(feed)
        return feed

    def unsubscribe(self, feed: EventFeed) -> None:
        """Stop filling ``feed``."""
        self._feeds = [f for f in self._feeds if f is not feed]

    def publish(self, event: MessengerEvent) -> None:
        """Hand ``event`` to every subscriber without waiting (and log calls and webhooks)."""
        if isinstance(event, GraphCallEvent | WebhookEvent):
            self.log.append(event)
        for feed in self._feeds:
            if feed.full():
                feed.get_nowait()
                feed.dropped += 1
            feed.put_nowait(event)

    def note_webhook(self, thread: Thread, field_name: str, detail: str) -> None:
        """Log the webhook event a person's action is about to make."""
        self.publish(WebhookEvent(time.time(), thread, field_name, detail))

    def _observe(self, event: object) -> None:
        if isinstance(event, Sent):
            thread = self._by_psid.get(event.person.psid)
            if thread is not None:
                thread.received(event.received)
        elif isinstance(event, Call):
            self.publish(GraphCallEvent(time.time(), event))
