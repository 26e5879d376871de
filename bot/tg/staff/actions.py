"""Case actions that need typed input: reply, internal note, reason, deadline extension.

The pending action lives in `user_data` (staff text, not a citizen's); `/cancel` drops it.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler, MessageHandler, filters

from bot.core import cases
from bot.core.errors import DeadlineAlreadyExtended, DeadlinePassed, DomainError, InvalidDraft
from bot.core.models import Status
from bot.i18n import t
from bot.tg.access import Access, StaffCallbackHandler
from bot.tg.common import (
    ANY_MENU_BUTTON,
    Ctx,
    answer_callback,
    buttons,
    drop_keyboard,
    esc,
    fmt_date,
    lang_of,
    reply,
    send_notice,
    status_name,
)
from bot.tg.staff.cases import refuse

TEXT, CONFIRM, DAYS = "text", "confirm", "days"
END = ConversationHandler.END
EXTENSION_CHOICES = (10, 15, 30)
ECHO = 1000  # characters of a reply shown back for confirmation (the reply may be 4,000)


def _pending(ctx: Ctx) -> dict[str, Any]:
    assert ctx.user_data is not None
    pending: dict[str, Any] = ctx.user_data.setdefault("staff_action", {})
    return pending


def _abort_row(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, "button.cancel"), "k:abort")]


async def start(update: Update, ctx: Ctx) -> str | int:
    """Asks for the reply, the note, the reason, or the extension's length."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await answer_callback(update)
    lang = await lang_of(update, ctx)
    parts = query.data.split(":")
    action, cid = parts[1], int(parts[2])
    pending = _pending(ctx)
    pending.clear()
    pending.update(action=action, cid=cid)
    ctx.user_data["flow"] = "staff"  # type: ignore[index]
    if action == "why":
        pending["status"] = parts[3]
        await reply(update, t(lang, "action.ask_reason", number=cid,
                              status=status_name(lang, Status(parts[3]))),
                    reply_markup=buttons([_abort_row(lang)]))
        return TEXT
    if action == "ext":
        max_days = ctx.svc.settings.max_extension_days
        choices = [d for d in EXTENSION_CHOICES if d <= max_days] or [max_days]
        await reply(update, t(lang, "action.ask_days", number=cid, max=max_days),
                    reply_markup=buttons([[(str(d), f"k:days:{d}") for d in choices],
                                          _abort_row(lang)]))
        return DAYS
    await reply(update, t(lang, f"action.ask_{action}", number=cid),
                reply_markup=buttons([_abort_row(lang)]))
    return TEXT


async def got_text(update: Update, ctx: Ctx) -> str | int:
    """Takes the typed text: a reply goes to confirmation, a note or reason is saved."""
    lang = await lang_of(update, ctx)
    assert update.effective_message is not None
    text = (update.effective_message.text or "").strip()
    pending = _pending(ctx)
    if not text or len(text) > cases.MAX_REPLY:
        await reply(update, t(lang, "action.bad_text", max=cases.MAX_REPLY))
        return TEXT
    pending["text"] = text
    action, cid = pending.get("action"), int(pending.get("cid", 0))
    svc = ctx.svc
    staff_id = update.effective_user.id if update.effective_user else 0
    if action == "reply":
        shown = text if len(text) <= ECHO else text[:ECHO] + "…"
        await reply(update, t(lang, "action.confirm_reply", number=cid, text=esc(shown)),
                    reply_markup=buttons([
                        [(t(lang, "action.button.answer"), "k:as:answer")],
                        [(t(lang, "action.button.message"), "k:as:message")],
                        _abort_row(lang)]))
        return CONFIRM
    try:
        if action == "note":
            await cases.add_note(svc.backend, staff_id, cid, text, svc.now())
            await reply(update, t(lang, "action.note_saved", number=cid))
        elif action == "why":
            status = Status(pending["status"])
            target = await cases.set_status(svc.backend, staff_id, cid, status, svc.now(),
                                            reason=text)
            await reply(update, t(lang, "case.status_set", number=cid,
                                  status=status_name(lang, status)))
            await send_notice(ctx, target)
        elif action == "ext":
            due, target = await cases.extend_deadline(
                svc.backend, staff_id, cid, int(pending["days"]), text, svc.now())
            await reply(update, t(lang, "action.extended", number=cid, due=fmt_date(due)))
            await send_notice(ctx, target)
    except DeadlineAlreadyExtended:
        await reply(update, t(lang, "action.already_extended", number=cid))
    except DeadlinePassed:
        await reply(update, t(lang, "action.deadline_passed", number=cid))
    except InvalidDraft as exc:
        await reply(update, t(lang, f"action.{exc.reason}", max=cases.MAX_REPLY))
        return TEXT
    except DomainError as exc:
        await refuse(update, ctx, exc)
    pending.clear()
    return END


async def got_days(update: Update, ctx: Ctx) -> str | int:
    """Takes the extension's length, then asks for the reason the citizen will read."""
    lang = await lang_of(update, ctx)
    max_days = ctx.svc.settings.max_extension_days
    if update.callback_query is not None and update.callback_query.data is not None:
        await answer_callback(update)
        await drop_keyboard(update)
        raw = update.callback_query.data.removeprefix("k:days:")
    else:
        assert update.effective_message is not None
        raw = (update.effective_message.text or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= max_days:
        await reply(update, t(lang, "action.extension_days", max=max_days))
        return DAYS
    _pending(ctx)["days"] = int(raw)
    await reply(update, t(lang, "action.ask_ext_reason", days=int(raw)),
                reply_markup=buttons([_abort_row(lang)]))
    return TEXT


async def confirm_reply(update: Update, ctx: Ctx) -> int:
    """Sends the reply, as the answer or as a message, and tells the citizen if asked."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await answer_callback(update)
    await drop_keyboard(update)
    lang = await lang_of(update, ctx)
    pending = _pending(ctx)
    svc = ctx.svc
    cid = int(pending.get("cid", 0))
    staff_id = update.effective_user.id if update.effective_user else 0
    try:
        target = await cases.reply(svc.backend, staff_id, cid, str(pending.get("text", "")),
                                   svc.now(), mark_answered=query.data == "k:as:answer")
    except DomainError as exc:
        await refuse(update, ctx, exc)
        pending.clear()
        return END
    await reply(update, t(lang, "action.reply_sent", number=cid))
    await send_notice(ctx, target, human_reply=True)
    pending.clear()
    return END


async def abort(update: Update, ctx: Ctx) -> int:
    """Drops the pending action."""
    await answer_callback(update)
    await drop_keyboard(update)
    _pending(ctx).clear()
    await reply(update, t(await lang_of(update, ctx), "action.cancelled"))
    return END


async def wrong_input(update: Update, ctx: Ctx) -> None:
    """Asks for text (or the buttons) when something else arrives."""
    await reply(update, t(await lang_of(update, ctx), "action.bad_input"))


def entry_points(access: Access) -> list[BaseHandler[Update, Ctx, Any]]:
    """The case buttons that ask for typed input (officers and admins only)."""
    return [
        StaffCallbackHandler(start, r"^k:(reply|note|ext):\d{1,10}$", access.officer),
        StaffCallbackHandler(start, r"^k:why:\d{1,10}:(forwarded|rejected)$", access.officer),
    ]


def states(access: Access) -> dict[object, list[BaseHandler[Update, Ctx, Any]]]:
    """Typing the text, confirming a reply, choosing the extension's length."""
    # Menu buttons are not text for a case: they switch to the citizen flows.
    staff_text = access.officer & filters.TEXT & ~filters.COMMAND & ~ANY_MENU_BUTTON
    staff_other = access.officer & ~filters.COMMAND & ~ANY_MENU_BUTTON
    return {
        TEXT: [MessageHandler(staff_text, got_text), MessageHandler(staff_other, wrong_input)],
        CONFIRM: [StaffCallbackHandler(confirm_reply, r"^k:as:(answer|message)$", access.officer),
                  MessageHandler(staff_other, wrong_input)],
        DAYS: [StaffCallbackHandler(got_days, r"^k:days:\d{1,3}$", access.officer),
               MessageHandler(staff_text, got_days),
               MessageHandler(staff_other, wrong_input)],
    }


def cancel_handlers(access: Access) -> list[BaseHandler[Update, Ctx, Any]]:
    """The Cancel button under a pending action."""
    return [StaffCallbackHandler(abort, r"^k:abort$", access.officer)]
