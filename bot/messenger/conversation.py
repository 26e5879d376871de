"""The citizens' Messenger conversation: the dispatcher `serve()` plugs into the webhook.

Every event first refreshes the person's notice contact (kept only if they asked for a
notice: Meta's window runs from their last message) and counts what reach counts
(`ReachDispatcher`: starts, sources, deliveries, reads). Then:

- a payload — a postback (Get Started, the persistent menu, ice breakers, a template's
  button) or a quick reply — goes to its step by its prefix;
- anything typed or sent goes to what the person is doing: a follow-up being written, the
  complaint draft at its saved step, a receipt asked for; else a typed receipt opens its
  case, and anything else gets the greeting and the menu.

What a person is doing lives in the core's encrypted drafts, so a restart loses nothing;
only small hints (language, which flow is in front, an edit in progress) are in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from bot.core import complaints, reach
from bot.core.backend import record_event
from bot.core.models import Draft
from bot.i18n import LANGS, t
from bot.messenger import complaint, materials, status, survey
from bot.messenger.chat import CHANNEL, SURVEY, Env, Turn, menu
from bot.messenger.dispatch import ReachDispatcher, citizen
from bot.messenger.events import Event, IncomingMessage, Postback, Referral, ReferralEvent
from bot.messenger.graph import QuickReply
from bot.messenger.profile import Payload

log = logging.getLogger(__name__)

_NOTIFY = re.compile(r"^N:(\d{1,10}):([A-Za-z0-9_-]{10})$")
_FOLLOWUP = re.compile(r"^FU:(\d{1,10}):([A-Za-z0-9_-]{10})$")
_ORG_PAGE = re.compile(r"^OG:([a-z0-9-]{1,24}):(\d{1,3})$")
_SURVEY_REF = re.compile(r"^sv-[a-z0-9][a-z0-9-]{0,39}$")

Step = Callable[[Turn, str], Awaitable[None]]


class Conversation(ReachDispatcher):
    """The 110 box, status, materials, privacy and language, for people in Messenger."""

    def __init__(self, env: Env) -> None:
        super().__init__(env.backend, env.clock)
        self.env = env

    async def dispatch(self, event: Event) -> None:
        """Route the event; a failure is logged (its class) and the person told, once."""
        if isinstance(event, IncomingMessage | Postback | ReferralEvent):  # not receipts
            try:
                await complaints.note_contact(self.backend, citizen(event.psid), self.clock())
            except Exception:  # the window must not stand between a person and the bot
                log.exception("notice contact not refreshed")
        try:
            await super().dispatch(event)
        except Exception as error:
            log.error("Messenger %s failed: %s", type(event).__name__,
                      error.__class__.__name__, exc_info=error)
            if isinstance(event, IncomingMessage | Postback):
                turn = await Turn.open(self.env, event.psid)
                await turn.text(turn.t("error.internal"), menu(turn.lang))

    # --- events ----------------------------------------------------------------------

    async def on_postback(self, event: Postback) -> None:
        """Get Started (a start, with its link's source), the menu, a template's button."""
        if event.payload == Payload.GET_STARTED:
            ref = event.referral.ref if event.referral and event.referral.ref else ""
            # Like Telegram's /start payload: a code, or nothing (a ref is anyone's text).
            source = ref if reach.SOURCE_CODE.match(ref) else ""
            await record_event(self.backend, "start", self.clock(), channel=CHANNEL,
                               source=source)
        await self.arrived(event.psid, event.referral)
        turn = await Turn.open(self.env, event.psid)
        if event.payload == Payload.GET_STARTED and await self._survey_link(turn, event.referral):
            return
        await self.payload(turn, event.payload, None)

    async def _survey_link(self, turn: Turn, referral: Referral | None) -> bool:
        """``m.me/<page>?ref=sv-<survey>`` (a QR code, a poster): the survey, like Telegram's."""
        ref = referral.ref if referral is not None and referral.ref else ""
        if not _SURVEY_REF.match(ref):
            return False
        await survey.begin(turn, ref.removeprefix("sv-"), None)
        return True

    async def on_message(self, event: IncomingMessage) -> None:
        """A quick reply's payload, or what the person typed or sent."""
        await self.arrived(event.psid, event.referral)
        turn = await Turn.open(self.env, event.psid)
        if event.quick_reply is not None:
            await self.payload(turn, event.quick_reply, event)
            return
        await self.free(turn, event)

    async def on_referral(self, event: ReferralEvent) -> None:
        """An ``m.me`` link opened in the conversation: counted; a survey's link opens it."""
        await self.arrived(event.psid, event.referral)
        if _SURVEY_REF.match(event.referral.ref or ""):
            await self._survey_link(await Turn.open(self.env, event.psid), event.referral)

    # --- payloads --------------------------------------------------------------------

    async def payload(self, turn: Turn, payload: str, event: IncomingMessage | None) -> None:
        """A tapped button or quick reply, by its prefix."""
        fixed: dict[str, Callable[[Turn], Awaitable[None]]] = {
            Payload.GET_STARTED: welcome, Payload.COMPLAIN: complaint.begin,
            Payload.STATUS: status.begin, Payload.MATERIALS: materials.choose,
            Payload.PRIVACY: privacy, Payload.LANG: choose_lang,
            "DONE": complaint.described, "ANON": complaint.chose_anonymous,
            "NAMED": complaint.chose_named, "SEND": complaint.send, "EDIT": complaint.edit,
            "CANCEL": complaint.cancel, "RESUME": complaint.resume,
            "DISCARD": complaint.cancel, "N:no": complaint.no_notice,
            "ST:cancel": status.cancel, "FU:send": status.send_followup,
            "M:latest": materials.latest, "M:topics": materials.choose,
            SURVEY: survey.choose,
        }
        if (step := fixed.get(payload)) is not None:
            await step(turn)
            return
        prefixed: dict[str, Step] = {
            "K:": complaint.chose_kind, "O:": complaint.chose_org,
            "E:": complaint.edit_choice, "LANG:": set_lang,
            "M:t:": materials.topic, "M:p:": materials.send_post,
        }
        for prefix, handler in prefixed.items():
            if payload.startswith(prefix):
                await handler(turn, payload.removeprefix(prefix))
                return
        if payload.startswith("SV:"):
            await survey.pressed(turn, payload)
        elif found := _ORG_PAGE.match(payload):
            await complaint.org_page(turn, found.group(1), int(found.group(2)))
        elif payload == "OG:-":
            if (draft := await complaint.load(turn)) is not None and draft.receipt is None \
                    and draft.step == complaint.ORG:
                await complaint.prompt_org(turn, draft)
            else:
                await stale(turn)
        elif found := _NOTIFY.match(payload):
            await complaint.notify_me(turn, int(found.group(1)), found.group(2))
        elif found := _FOLLOWUP.match(payload):
            await status.start_followup(turn, int(found.group(1)), found.group(2))
        elif event is not None and await self._phone(turn, event):
            pass  # Messenger's phone quick reply: its payload is the number
        else:
            await stale(turn)

    async def _phone(self, turn: Turn, event: IncomingMessage) -> bool:
        draft = await complaint.load(turn)
        if draft is None or draft.receipt is not None or draft.step != complaint.PHONE:
            return False
        await complaint.on_input(turn, draft, event)
        return True

    # --- what the person typed or sent -----------------------------------------------

    async def free(self, turn: Turn, event: IncomingMessage) -> None:
        """Text or files, to whatever the person is doing."""
        flow = turn.person.flow
        if flow == survey.FLOW:
            if event.text and not event.attachments:
                await survey.typed(turn, event.text)
            else:
                await turn.text(turn.t("survey.use_buttons"))
            return
        if flow == "status" and event.text and not event.attachments:
            await status.lookup(turn, event.text)
            return
        followup = await status.load(turn) if flow in (None, "followup") else None
        if followup is not None:
            turn.person.flow = "followup"
            await status.on_input(turn, followup, event)
            return
        draft: Draft | None = await complaint.load(turn)
        if draft is not None:
            turn.person.flow = "complaint"
            await complaint.on_input(turn, draft, event)
            return
        if flow == "status":
            await status.begin(turn)
        elif event.text and complaints.normalize_receipt(event.text) is not None:
            await status.lookup(turn, event.text)
        else:
            turn.person.flow = None
            await welcome(turn)


async def welcome(turn: Turn) -> None:
    """What the box is, the privacy promise, and the menu."""
    await turn.text(turn.t("messenger.welcome"), menu(turn.lang))


async def privacy(turn: Turn) -> None:
    """What is stored, what is not, what Meta sees, and when a notice can come."""
    await turn.text(turn.t("messenger.privacy"), menu(turn.lang))


async def choose_lang(turn: Turn) -> None:
    """Offers the two languages."""
    await turn.text(turn.t("lang.choose"),
                    [QuickReply(t(code, "lang.name"), f"LANG:{code}") for code in LANGS])


async def set_lang(turn: Turn, code: str) -> None:
    """Switches the language (kept by the core under a keyed pseudonym) and shows the menu."""
    if code not in LANGS:
        await stale(turn)
        return
    await complaints.set_lang(turn.env.backend, turn.who, code)
    turn.person.lang = turn.lang = code
    await turn.text(f"{turn.t('lang.set')}\n\n{turn.t('messenger.menu_hint')}", menu(code))


async def stale(turn: Turn) -> None:
    """A forged or outdated button: said politely, with the menu."""
    await turn.text(turn.t("error.stale_button"), menu(turn.lang))
