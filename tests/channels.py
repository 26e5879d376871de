"""One citizen, two channels: drivers that let the same scenario run through Telegram and Messenger.

`Office` is the real bot with both channels on (`python -m bot run` with Facebook set),
against the fake Bot API and the fake Graph API, staff on Telegram. A citizen is a
`TelegramCitizen` (a fakegram user) or a `MessengerCitizen` (a fakegraph person), both
with the same verbs:

- ``start()`` — /start, or Get Started;
- ``menu(item)`` — a main-menu item: ``complain``, ``status``, ``materials``, ``privacy``,
  ``lang`` (Telegram's reply keyboard, Messenger's persistent menu);
- ``choose(label)`` — press a button or quick reply; ``label`` is a catalog key (each
  channel shows its own label for it: Messenger's may be shorter) or the text itself;
- ``send(text)``, ``send_file(data, kind=, name=, mime=)``, ``share_phone(phone)``
  (Telegram's contact button, Messenger's phone-number quick reply);
- ``expect(needle)`` — the next new message containing ``needle``, as text;
- ``receipt()`` — the next message with a receipt in it, the receipt as shown.

`file_complaint` is the whole complaint conversation through that API.
"""

from __future__ import annotations

import asyncio
import re
import socket
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bot.config import FacebookSettings, Secret, Settings
from bot.fakegram import FakeTelegram, FakeUser
from bot.fakegraph import FakeGraph, FakePerson, Received
from bot.i18n import catalog, t
from bot.messenger.chat import label as messenger_label
from bot.messenger.serve import Running, running_with_messenger
from bot.sandbox.script import RECEIPT, text_of
from bot.sandbox.script import expect as tg_expect
from bot.sandbox.script import press as tg_press
from bot.tg.app import build_app
from tests.harness import Harness

VERIFY = "verify-me-0123"
TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def facebook(graph: FakeGraph) -> FacebookSettings:
    """Settings pointing the bot at the fake Graph API."""
    return FacebookSettings(page_id=graph.page_id, page_token=Secret(graph.page_token),
                            app_secret=Secret(graph.app_secret), verify_token=Secret(VERIFY),
                            graph_url=graph.graph_url)


class Office(Harness):
    """The bot with Telegram and Messenger on, staff on Telegram; both fakes' clocks together."""

    def __init__(self, fake: FakeTelegram, graph: FakeGraph, data_dir: Path) -> None:
        super().__init__(fake, data_dir)
        self.graph = graph
        self.settings = Settings(**{**self.settings.__dict__, "http_port": free_port(),
                                    "facebook": facebook(graph)})
        self.running: Running | None = None

    async def start(self, **overrides: Any) -> None:
        """Start the bot (Telegram polling, the Messenger webhook) and subscribe the webhook."""
        if overrides:
            self.settings = Settings(**{**self.settings.__dict__, **overrides})
        self._stack = AsyncExitStack()
        self.app = build_app(self.settings, clock=self.clock)
        self.running = await self._stack.enter_async_context(
            running_with_messenger(self.app, poll_timeout=1))
        await self.graph.subscribe_webhook(self.hook_url, VERIFY)

    async def stop(self) -> None:
        """Stop the bot (the fakes keep running)."""
        await super().stop()
        self.running = None

    @property
    def hook_url(self) -> str:
        """Where Meta posts events."""
        return f"http://127.0.0.1:{self.settings.http_port}/messenger/webhook"

    @property
    def backend(self) -> Any:
        """The running bot's backend."""
        return self.app.bot_data["svc"].backend

    def advance(self, **delta: float) -> None:
        """Move the bot's clock and Meta's together (Telegram's fake has no windows)."""
        self.clock.advance(**delta)
        self.graph.clock.advance(**delta)

    async def idle(self) -> None:
        """Until the webhook's background work is done and the fake Bot API is idle."""
        for _ in range(1000):
            if self.running is None or self.running.webhook.pending == 0:
                break
            await asyncio.sleep(0.01)
        else:
            raise TimeoutError("Messenger events still pending")
        await self.fake.wait_idle()


class ChannelCitizen(ABC):
    """A citizen on one channel, driven as a person would (see the module's docstring)."""

    channel: str
    windowed: bool  # whether Meta's messaging windows limit what the office may send

    def __init__(self, office: Office, lang: str = "mn") -> None:
        self.office = office
        self.lang = lang

    def label(self, text: str) -> str:
        """A catalog key as this channel labels it; anything else as it is."""
        keys = catalog(self.lang).keys() | catalog("mn").keys()
        if text in keys or f"messenger.label.{text}" in keys:
            return self._label(text)
        return text

    @abstractmethod
    def _label(self, key: str) -> str: ...

    @property
    @abstractmethod
    def identifiers(self) -> list[str]:
        """What identifies this person on the channel (for the privacy scans)."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def menu(self, item: str) -> None: ...

    @abstractmethod
    async def choose(self, label: str) -> None: ...

    @abstractmethod
    async def send(self, text: str) -> None: ...

    @abstractmethod
    async def send_file(self, data: bytes, *, kind: str = "photo", name: str = "photo.jpg",
                        mime: str = "image/jpeg") -> None: ...

    @abstractmethod
    async def share_phone(self, phone: str) -> None: ...

    @abstractmethod
    async def _next(self, timeout: float) -> str: ...  # noqa: ASYNC109

    async def expect(self, needle: str, timeout: float = TIMEOUT) -> str:  # noqa: ASYNC109
        """The next new message containing ``needle`` (earlier ones are skipped)."""
        return await self.expect_match(lambda text: needle in text, timeout, needle)

    async def expect_match(self, test: Callable[[str], bool], timeout: float = TIMEOUT,  # noqa: ASYNC109
                           what: str = "a match") -> str:
        """The next new message whose text passes ``test``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen: list[str] = []
        while True:
            left = deadline - loop.time()
            try:
                text = await self._next(max(0.01, left))
            except TimeoutError:
                raise AssertionError(f"{self.channel}: no message with {what!r}; "
                                     f"got {seen!r}") from None
            if test(text):
                return text
            seen.append(text[:80])

    async def receipt(self, timeout: float = TIMEOUT) -> str:  # noqa: ASYNC109
        """The next message with a receipt; returns the receipt as shown (four groups)."""
        text = await self.expect_match(lambda s: RECEIPT.search(s) is not None, timeout,
                                       "a receipt")
        found = RECEIPT.search(text)
        assert found is not None
        return found.group(1)


class TelegramCitizen(ChannelCitizen):
    """A Telegram user of the bot, through the fake Bot API."""

    channel = "telegram"
    windowed = False

    def __init__(self, office: Office, user: FakeUser, lang: str = "mn") -> None:
        super().__init__(office, lang)
        self.user = user

    def _label(self, key: str) -> str:
        return t(self.lang, key)

    @property
    def identifiers(self) -> list[str]:
        found = [str(self.user.id), self.user.first_name]
        return found + ([self.user.username] if self.user.username else [])

    async def start(self) -> None:
        await self.user.send("/start")

    async def menu(self, item: str) -> None:
        # Telegram's menu names two items differently: "about & privacy", "news".
        key = {"privacy": "about", "materials": "news"}.get(item, item)
        await self.user.send(t(self.lang, f"menu.{key}"))

    async def choose(self, label: str) -> None:
        """An inline button (as soon as it is shown), else a reply-keyboard button."""
        text = self.label(label)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while True:
            try:
                await self.user.press(text)
                return
            except LookupError:
                keyboard = self.user.reply_keyboard() or []
                if any(b.get("text") == text for row in keyboard for b in row):
                    await self.user.send(text)
                    return
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.02)

    async def send(self, text: str) -> None:
        await self.user.send(text)

    async def send_file(self, data: bytes, *, kind: str = "photo", name: str = "photo.jpg",
                        mime: str = "image/jpeg") -> None:
        if kind == "photo":
            await self.user.send_photo(data)
        else:
            await self.user.send_document(data, file_name=name, mime_type=mime)

    async def share_phone(self, phone: str) -> None:
        await self.user.send_contact(phone, first_name=self.user.first_name)

    async def _next(self, timeout: float) -> str:  # noqa: ASYNC109
        return text_of(await self.user.next_message(timeout=timeout))

    async def expect(self, needle: str, timeout: float = TIMEOUT) -> str:  # noqa: ASYNC109
        return text_of(await tg_expect(self.user, needle, timeout))

    async def press(self, label: str) -> None:
        """An inline button only."""
        await tg_press(self.user, self.label(label))


class MessengerCitizen(ChannelCitizen):
    """A person writing to the office's Page in Messenger, through the fake Graph API."""

    channel = "messenger"
    windowed = True

    def __init__(self, office: Office, person: FakePerson, lang: str = "mn") -> None:
        super().__init__(office, lang)
        self.person = person

    def _label(self, key: str) -> str:
        return messenger_label(self.lang, key)

    @property
    def identifiers(self) -> list[str]:
        return [self.person.psid, self.person.name]

    async def start(self) -> None:
        await self.person.get_started()

    async def menu(self, item: str) -> None:
        # The persistent menu is in the person's Facebook language, whatever they chose here.
        menu_lang = "en" if self.person.locale.startswith("en") else "mn"
        await self.person.tap_menu(t(menu_lang, f"messenger.menu.{item}"))

    def _quick_title(self, text: str) -> str | None:
        """The title of a quick reply on the newest message matching ``text``.

        Messenger shows quick replies only under the newest message. A title cut to 20
        characters ("Баянхонгор сум (айм…") matches the whole name.
        """
        sent = self.person.messages()
        for reply in sent[-1].quick_replies if sent else []:
            title = str(reply.get("title", ""))
            if title == text or (title.endswith("…") and text.startswith(title[:-1])):
                return title
        return None

    def _button_title(self, text: str) -> str | None:
        for received in reversed(self.person.messages()):
            if received.buttons:
                return next((str(b["title"]) for b in received.buttons
                             if b.get("title") == text), None)
        return None

    async def choose(self, label: str) -> None:
        """A quick reply under the newest message, else a button of the newest template."""
        text = self.label(label)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while True:
            if (title := self._quick_title(text)) is not None:
                await self.person.tap_quick_reply(title)
                return
            if (title := self._button_title(text)) is not None:
                await self.person.tap_button(title)
                return
            if loop.time() > deadline:
                sent = self.person.messages()
                raise LookupError(f"no {text!r}: quick replies "
                                  f"{[q.get('title') for q in sent[-1].quick_replies]}"
                                  if sent else f"no {text!r}: nothing received")
            await asyncio.sleep(0.02)

    async def send(self, text: str) -> None:
        await self.person.send(text)

    async def send_file(self, data: bytes, *, kind: str = "photo", name: str = "photo.jpg",
                        mime: str = "image/jpeg") -> None:
        del name  # Messenger sends no file name with an attachment
        attachment = self.office.graph.attachment("image" if kind == "photo" else "file",
                                                  data=data, content_type=mime)
        await self.person.send_attachments(attachment)

    async def share_phone(self, phone: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while True:
            sent = self.person.messages()
            if sent and any(q.get("content_type") == "user_phone_number"
                            for q in sent[-1].quick_replies):
                await self.person.tap_quick_reply(phone=phone)
                return
            if loop.time() > deadline:
                raise LookupError("no phone-number quick reply offered")
            await asyncio.sleep(0.02)

    async def next_received(self, timeout: float = TIMEOUT) -> Received:  # noqa: ASYNC109
        """The next message the Page sends, as Meta delivered it."""
        return await self.person.next_message(timeout=timeout)

    async def _next(self, timeout: float) -> str:  # noqa: ASYNC109
        return (await self.person.next_message(timeout=timeout)).text or ""


def make_citizen(office: Office, channel: str, name: str = "Сараа", lang: str = "mn",
                 **identity: Any) -> ChannelCitizen:
    """A new citizen on ``channel``."""
    if channel == "telegram":
        return TelegramCitizen(office, office.fake.user(first_name=name, **identity), lang)
    psid = identity.get("user_id")
    person = office.graph.person(name, locale="en_US" if lang == "en" else "mn_MN",
                                 psid=None if psid is None else str(psid))
    return MessengerCitizen(office, person, lang)


FileSender = Callable[[ChannelCitizen], Awaitable[None]]


async def file_complaint(
    c: ChannelCitizen,
    *,
    kind: str = "kind.button.complaint",
    group: str | None = "Сум",
    org: str | None = "Богд сум",
    texts: Sequence[str] = ("Сумын газрын даамал газар олгохдоо 500 000 ₮ авсан. Өнөөдөр.",),
    files: Sequence[FileSender] = (),
    named: tuple[str, str] | None = None,
    notify: bool = False,
) -> str:
    """The whole complaint conversation in Mongolian; returns the receipt as shown."""
    await c.menu("complain")
    await c.expect("Юу илгээх вэ")
    await c.choose(kind)
    await c.expect("Хэнд хамаарах вэ")
    if group is None or org is None:
        await c.choose("org.unsure")
    else:
        await c.choose(group)
        await c.choose(org)
    await c.expect("Юу болсныг бичнэ үү")
    for text in texts:
        await c.send(text)
        await c.expect("Хүлээн авлаа")
    for send_file in files:
        await send_file(c)
        await c.expect("Хүлээн авлаа")
    await c.choose("button.done")
    await c.expect("Нэрээ нууцлах уу")
    if named is None:
        await c.choose("identity.button.anonymous")
    else:
        await c.choose("identity.button.named")
        await c.expect("Овог, нэрээ")
        await c.send(named[0])
        await c.expect("утасны дугаараа")
        await c.share_phone(named[1])
    await c.expect("Илгээхээс өмнө шалгана уу")
    await c.choose("button.send")
    receipt = await c.receipt()
    await c.choose("button.notify_me" if notify else "button.no_notice")
    await c.expect("мэдэгдье" if notify else "холбоосыг хадгалахгүй")
    return receipt


async def read_case(c: ChannelCitizen, receipt: str) -> str:
    """Open the case by its receipt through the menu; returns what the citizen reads."""
    await c.menu("status")
    await c.expect("16 оронтой")
    await c.send(receipt)
    return await c.expect("Хүлээн авсан")


def case_number(text: str) -> int:
    """The case number (№17) a text mentions."""
    found = re.search(r"№(\d+)", text)
    assert found is not None, text
    return int(found.group(1))


__all__ = ["ChannelCitizen", "MessengerCitizen", "Office", "TelegramCitizen", "case_number",
           "file_complaint", "make_citizen", "read_case"]
