"""Reading a case by its receipt in Messenger, and adding a follow-up to it.

The core's `check_status` (wrong and unknown receipts look the same, and are limited per
person under a rotating keyed hash) and `add_followup`; the case reads as in Telegram
(`bot.tg.render.citizen_view`), in plain text. Payloads: ``ST:cancel``,
``FU:<case>:<tag>`` (the tag binds the button to this person and case), ``FU:send``.
"""

from __future__ import annotations

import logging

from bot.core import complaints
from bot.core.complaints import FOLLOWUP
from bot.core.errors import InvalidDraft, NotFound, TooManyAttempts
from bot.core.models import Draft
from bot.messenger.chat import Turn, menu, plain
from bot.messenger.complaint import problem, take_file
from bot.messenger.events import IncomingMessage
from bot.messenger.graph import QuickReply
from bot.messenger.survey import rating_button
from bot.tg.render import citizen_view

log = logging.getLogger(__name__)

WRITING = "writing"


async def begin(turn: Turn) -> None:
    """Asks for the receipt."""
    turn.person.flow = "status"
    await turn.text(turn.t("status.ask_receipt"), [turn.quick("button.cancel", "ST:cancel")])


async def lookup(turn: Turn, receipt_text: str) -> None:
    """Shows the case a receipt opens, and offers to add to it."""
    env = turn.env
    try:
        view = await complaints.check_status(env.backend, turn.who, receipt_text, turn.now)
    except TooManyAttempts as exc:
        turn.person.flow = None
        await turn.text(turn.t("status.too_many", minutes=max(1, exc.retry_after // 60 + 1)),
                        menu(turn.lang))
        return
    except NotFound:
        turn.person.flow = "status"
        await turn.text(turn.t("status.not_found"), [turn.quick("button.cancel", "ST:cancel")])
        return
    turn.person.flow = None
    shown = plain("\n\n".join(citizen_view(env.services, turn.lang, view)))
    if not await turn.text(shown):
        return
    tag = env.backend.vault.tag("followup", view.complaint_id, turn.psid)
    buttons = [turn.postback("button.followup", f"FU:{view.complaint_id}:{tag}")]
    # A handled case: the two-question rating, stored without the case.
    if (rate := rating_button(turn, view)) is not None:
        buttons.append(rate)
    await turn.buttons(turn.t("messenger.status_next"), buttons)


async def start_followup(turn: Turn, complaint_id: int, tag: str) -> None:
    """Asks for the follow-up (text and files), then "Send"."""
    backend = turn.env.backend
    if not backend.vault.check_tag(tag, "followup", complaint_id, turn.psid):
        await turn.text(turn.t("error.stale_button"), menu(turn.lang))
        return
    turn.person.flow = "followup"
    draft = Draft(step=WRITING, complaint_id=complaint_id, lang=turn.lang)
    await complaints.save_draft(backend, turn.who, draft, turn.now, FOLLOWUP)
    await turn.text(turn.t("followup.ask", number=complaint_id), _send_or_cancel(turn))


def _send_or_cancel(turn: Turn) -> list[QuickReply]:
    return [turn.quick("button.send", "FU:send"), turn.quick("button.cancel", "ST:cancel")]


async def load(turn: Turn) -> Draft | None:
    """The person's follow-up draft, if they are writing one."""
    return await complaints.load_draft(turn.env.backend, turn.who, FOLLOWUP)


async def on_input(turn: Turn, draft: Draft, event: IncomingMessage) -> None:
    """Adds the message's text and files to the follow-up."""
    notes: list[str] = []
    for attachment in event.attachments:
        try:
            draft.attachments.append(await take_file(turn, draft, attachment))
        except InvalidDraft as exc:
            notes.append(problem(turn, exc.reason, draft, complaints.MAX_FOLLOWUP_TEXT))
    if event.text:
        try:
            complaints.add_text(draft, event.text)
        except InvalidDraft as exc:
            notes.append(problem(turn, exc.reason, draft, complaints.MAX_FOLLOWUP_TEXT))
    if not event.text and not event.attachments:
        notes.append(turn.t("draft.wrong_type"))
    await complaints.save_draft(turn.env.backend, turn.who, draft, turn.now, FOLLOWUP)
    ack = turn.t("followup.ack", chars=draft.text_length, files=len(draft.attachments))
    await turn.text("\n".join([*dict.fromkeys(notes), ack]), _send_or_cancel(turn))


async def send_followup(turn: Turn) -> None:
    """Adds the follow-up to the case and tells staff (without its content)."""
    draft = await load(turn)
    if draft is None:
        turn.person.flow = None
        await turn.text(turn.t("complaint.expired"), menu(turn.lang))
        return
    try:
        complaint_id = await complaints.add_followup(turn.env.backend, turn.who, draft,
                                                     turn.now)
    except InvalidDraft:
        await turn.text(turn.t("followup.empty"), _send_or_cancel(turn))
        return
    except NotFound:
        turn.person.flow = None
        await turn.text(turn.t("complaint.expired"), menu(turn.lang))
        return
    turn.person.flow = None
    await turn.text(turn.t("followup.sent"), menu(turn.lang))
    await turn.env.staff.followup(complaint_id)


async def cancel(turn: Turn) -> None:
    """Drops the lookup or the follow-up draft, and shows the menu."""
    turn.person.flow = None
    await complaints.discard_draft(turn.env.backend, turn.who, FOLLOWUP)
    await turn.text(turn.t("status.cancelled"), menu(turn.lang))
