"""`/log`: staff record offline work step by step; `/log import`: many entries from a CSV file.

The steps, one question each, for staff who are not programmers: the plan measure (typed,
or one of the last used as a button), the kind (buttons), a title, the date (today,
yesterday, or typed), how many times, how many people, the place, a note — then a check
and Save. The entry counts in statistics and the report at once; a Withdraw button under
the confirmation takes a mistake back.

`/log import` asks for a CSV file (`date,measure,kind,title,times,people,place,note`) and
answers with what was added and, politely, each refused row by line and column.

The steps live in the one conversation of `bot/tg/citizen/flow.py` (see its docstring):
`states()`, `entry_points()` and `cancel_handlers()` are added there. The entry being
made lives in `user_data` (staff's own words, never a citizen's); `/cancel` drops it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.core import offline
from bot.core.errors import DomainError
from bot.core.offline import KINDS, MEASURE, NOTE_LIMIT, TITLE_LIMIT, Activity, ActivityError
from bot.i18n import t
from bot.tg.access import Access, StaffCallbackHandler
from bot.tg.common import (
    ANY_MENU_BUTTON,
    App,
    Ctx,
    answer_callback,
    buttons,
    drop_keyboard,
    esc,
    fmt_date,
    lang_of,
    reply,
    reply_long,
)
from bot.tg.staff.admin import not_staff
from bot.tg.staff.cases import refuse

log = logging.getLogger(__name__)

MEASURE_STEP, KIND, TITLE, DATE, TIMES, PEOPLE, PLACE, NOTE, CONFIRM, FILE = (
    "log:measure", "log:kind", "log:title", "log:date", "log:times", "log:people",
    "log:place", "log:note", "log:confirm", "log:file")
FLOW = "log"  # ctx.user_data["flow"] while an entry is being made (flow.cancel reads it)
END = ConversationHandler.END
Handlers = list[BaseHandler[Update, Ctx, Any]]
COMMANDS = ("log",)
PLACE_LIMIT = TITLE_LIMIT
REFUSED_SHOWN = 30  # refused rows listed one by one; the rest are counted
ICONS = {"training": "🎓", "handout": "📄", "radio": "📻", "tv": "📺", "led": "🖥",
         "board": "📌", "event": "🎉", "meeting": "🤝", "other": "➕"}
DAY = re.compile(r"^(\d{4})[-.](\d{1,2})[-.](\d{1,2})$")


def _entry(ctx: Ctx) -> dict[str, Any]:
    assert ctx.user_data is not None
    entry: dict[str, Any] = ctx.user_data.setdefault("offline_entry", {})
    return entry


def _text(update: Update) -> str:
    assert update.effective_message is not None
    return (update.effective_message.text or "").strip()


def _cancel_row(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, "button.cancel"), "lg:abort")]


def _skip_rows(lang: str) -> list[list[tuple[str, str]]]:
    return [[(t(lang, "log.button.skip"), "lg:skip")], _cancel_row(lang)]


def kind_label(lang: str, kind: str) -> str:
    """The kind's button: its icon and name."""
    return f"{ICONS.get(kind, '')} {t(lang, f'log.kind.{kind}')}".strip()


def _whole(raw: str) -> int | None:
    """A typed whole number ("1 200" and "1,200" too), or None."""
    cleaned = raw.replace(" ", "").replace(",", "")
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 9 else None


def _pressed(update: Update, prefix: str) -> str | None:
    """The rest of a pressed button's data after `prefix`, answering the press."""
    query = update.callback_query
    if query is None or query.data is None or not query.data.startswith(prefix):
        return None
    return query.data.removeprefix(prefix)


# -- the steps -------------------------------------------------------------------------
async def begin(update: Update, ctx: Ctx) -> str:
    """`/log`: asks for the plan measure; `/log import`: asks for the CSV file."""
    lang = await lang_of(update, ctx)
    entry = _entry(ctx)
    entry.clear()
    ctx.user_data["flow"] = FLOW  # type: ignore[index]
    if (ctx.args or [""])[0].lower() == "import":
        await reply(update, t(lang, "log.ask_file", kinds=", ".join(KINDS)),
                    reply_markup=buttons([_cancel_row(lang)]))
        return FILE
    recent = await offline.recent_measures(ctx.svc.backend)
    rows = [[(m, f"lg:m:{m}") for m in recent[i:i + 3]] for i in range(0, len(recent), 3)]
    await reply(update, t(lang, "log.ask_measure", recent=t(lang, "log.recent") if recent else "."),
                reply_markup=buttons([*rows, _cancel_row(lang)]))
    return MEASURE_STEP


async def got_measure(update: Update, ctx: Ctx) -> str:
    """Takes the measure's number, then shows the kinds as buttons."""
    lang = await lang_of(update, ctx)
    pressed = _pressed(update, "lg:m:")
    if pressed is not None:
        await answer_callback(update)
        await drop_keyboard(update)
    measure = pressed if pressed is not None else _text(update)
    if not MEASURE.match(measure):
        await reply(update, t(lang, "log.bad_measure"))
        return MEASURE_STEP
    _entry(ctx)["measure"] = measure
    rows = [[(kind_label(lang, k), f"lg:k:{k}") for k in KINDS[i:i + 3]]
            for i in range(0, len(KINDS), 3)]
    await reply(update, t(lang, "log.ask_kind"), reply_markup=buttons([*rows, _cancel_row(lang)]))
    return KIND


async def got_kind(update: Update, ctx: Ctx) -> str:
    """Takes the kind, then asks for the title."""
    lang = await lang_of(update, ctx)
    kind = _pressed(update, "lg:k:")
    await answer_callback(update)
    if kind not in KINDS:
        return KIND
    await drop_keyboard(update)
    _entry(ctx)["kind"] = kind
    await reply(update, t(lang, "log.ask_title", max=TITLE_LIMIT),
                reply_markup=buttons([_cancel_row(lang)]))
    return TITLE


async def got_title(update: Update, ctx: Ctx) -> str:
    """Takes the title, then asks for the date (today and yesterday as buttons)."""
    lang = await lang_of(update, ctx)
    title = " ".join(_text(update).split())
    if not title or len(title) > TITLE_LIMIT:
        await reply(update, t(lang, "log.bad_title", max=TITLE_LIMIT))
        return TITLE
    _entry(ctx)["title"] = title
    await reply(update, t(lang, "log.ask_date"), reply_markup=buttons([
        [(t(lang, "log.button.today"), "lg:d:0"), (t(lang, "log.button.yesterday"), "lg:d:1")],
        _cancel_row(lang)]))
    return DATE


def _typed_day(raw: str) -> dt.date | None:
    found = DAY.match(raw)
    if found is None:
        return None
    try:
        return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


async def got_date(update: Update, ctx: Ctx) -> str:
    """Takes the date (a button, or typed as 2026-11-28), then asks how many times."""
    lang = await lang_of(update, ctx)
    today = ctx.svc.backend.local_date(ctx.svc.now())
    pressed = _pressed(update, "lg:d:")
    if pressed is not None:
        await answer_callback(update)
        day: dt.date | None = today - dt.timedelta(days=int(pressed))
    else:
        day = _typed_day(_text(update))
    if day is None or day > today:
        await reply(update, t(lang, "log.bad_date"))
        return DATE
    await drop_keyboard(update)
    _entry(ctx)["date"] = day.isoformat()
    await reply(update, t(lang, "log.ask_times"), reply_markup=buttons([
        [(t(lang, "log.button.once"), "lg:n:1")], _cancel_row(lang)]))
    return TIMES


async def got_times(update: Update, ctx: Ctx) -> str:
    """Takes how many times (88 radio spots), then asks how many people."""
    lang = await lang_of(update, ctx)
    pressed = _pressed(update, "lg:n:")
    if pressed is not None:
        await answer_callback(update)
    times = _whole(pressed if pressed is not None else _text(update))
    if times is None or times < 1:
        await reply(update, t(lang, "log.bad_times"))
        return TIMES
    await drop_keyboard(update)
    _entry(ctx)["times"] = times
    await reply(update, t(lang, "log.ask_people"), reply_markup=buttons(_skip_rows(lang)))
    return PEOPLE


async def _skipped(update: Update) -> bool:
    """Whether Skip was pressed (the press is answered and its buttons removed)."""
    if _pressed(update, "lg:skip") is None:
        return False
    await answer_callback(update)
    await drop_keyboard(update)
    return True


async def got_people(update: Update, ctx: Ctx) -> str:
    """Takes how many people (or Skip), then asks where."""
    lang = await lang_of(update, ctx)
    people: int | None = None
    if not await _skipped(update):
        people = _whole(_text(update))
        if people is None:
            await reply(update, t(lang, "log.bad_people"))
            return PEOPLE
    _entry(ctx)["people"] = people
    await reply(update, t(lang, "log.ask_place"), reply_markup=buttons(_skip_rows(lang)))
    return PLACE


async def got_place(update: Update, ctx: Ctx) -> str:
    """Takes the place (or Skip), then asks for a note."""
    lang = await lang_of(update, ctx)
    place: str | None = None
    if not await _skipped(update):
        place = " ".join(_text(update).split())
        if not place or len(place) > PLACE_LIMIT:
            await reply(update, t(lang, "log.bad_place", max=PLACE_LIMIT))
            return PLACE
    _entry(ctx)["place"] = place
    await reply(update, t(lang, "log.ask_note"), reply_markup=buttons(_skip_rows(lang)))
    return NOTE


async def got_note(update: Update, ctx: Ctx) -> str:
    """Takes the note (or Skip), then shows everything with Save and Cancel."""
    lang = await lang_of(update, ctx)
    note: str | None = None
    if not await _skipped(update):
        note = _text(update)
        if not note or len(note) > NOTE_LIMIT:
            await reply(update, t(lang, "log.bad_note", max=NOTE_LIMIT))
            return NOTE
    entry = _entry(ctx)
    entry["note"] = note
    missing = t(lang, "log.unknown")
    await reply(update, t(
        lang, "log.confirm", measure=esc(entry["measure"]),
        kind=esc(t(lang, f"log.kind.{entry['kind']}")), title=esc(entry["title"]),
        date=fmt_date(dt.date.fromisoformat(entry["date"])), times=entry["times"],
        people=missing if entry["people"] is None else entry["people"],
        place=esc(entry["place"] or missing), note=esc(note or missing)),
        reply_markup=buttons([[(t(lang, "log.button.save"), "lg:save")], _cancel_row(lang)]))
    return CONFIRM


async def save(update: Update, ctx: Ctx) -> int | str:
    """Save: records the entry and offers Withdraw under the confirmation."""
    await answer_callback(update)
    lang = await lang_of(update, ctx)
    entry = _entry(ctx)
    assert update.effective_user is not None
    try:
        activity = Activity(
            happened_on=dt.date.fromisoformat(entry["date"]), measure=entry["measure"],
            kind=entry["kind"], title=entry["title"], times=int(entry["times"]),
            people=entry["people"], place=entry["place"], note=entry["note"])
        number = await offline.record(ctx.svc.backend, update.effective_user.id, activity,
                                      ctx.svc.now())
    except KeyError:  # a Save from before a restart: the entry is gone
        await reply(update, t(lang, "log.cancelled"))
        return END
    except ActivityError as exc:  # only a clock set back since the date step does this
        await reply(update, problem_text(lang, exc.field, exc.reason))
        return CONFIRM
    except DomainError as exc:
        await refuse(update, ctx, exc)
        entry.clear()
        return END
    await drop_keyboard(update)
    entry.clear()
    await reply(update, t(lang, "log.saved", number=number),
                reply_markup=buttons([[(t(lang, "log.button.withdraw"), f"lg:undo:{number}")]]))
    return END


async def withdraw(update: Update, ctx: Ctx) -> None:
    """Withdraw (under a saved entry): it no longer counts, and stays in the audit."""
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    await answer_callback(update)
    lang = await lang_of(update, ctx)
    number = int(query.data.removeprefix("lg:undo:"))
    try:
        done = await offline.withdraw(ctx.svc.backend, update.effective_user.id, number,
                                      ctx.svc.now())
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    await drop_keyboard(update)
    await reply(update, t(lang, "log.withdrawn" if done else "log.not_withdrawn", number=number))


# -- the file --------------------------------------------------------------------------
async def got_file(update: Update, ctx: Ctx) -> int | str:
    """Takes the CSV file: adds its good rows, and lists the refused ones by line and column."""
    lang = await lang_of(update, ctx)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    document = message.document
    name = (document.file_name or "") if document is not None else ""
    if document is None or not name.lower().endswith(".csv"):
        await reply(update, t(lang, "log.not_csv"))
        return FILE
    too_big = t(lang, "log.too_big", max=offline.CSV_MAX_BYTES // 1024)
    if (document.file_size or 0) > offline.CSV_MAX_BYTES:
        await reply(update, too_big)
        return FILE
    try:
        data = bytes(await (await ctx.bot.get_file(document.file_id)).download_as_bytearray())
        text = offline.decode_csv(data)
    except TelegramError as exc:
        log.warning("CSV download failed: %s", exc.__class__.__name__)
        await reply(update, t(lang, "error.internal"))
        return FILE
    except ActivityError as exc:
        await reply(update, too_big if exc.field == "size" else t(lang, "log.not_utf8"))
        return FILE
    try:
        result = await offline.import_csv(ctx.svc.backend, update.effective_user.id, text,
                                          ctx.svc.now())
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return END
    _entry(ctx).clear()
    lines = [t(lang, "log.imported", added=result.added) if result.added
             else t(lang, "log.nothing_added")]
    if result.problems:
        lines += ["", t(lang, "log.refused_header", count=len(result.problems))]
        lines += [t(lang, "log.refused_line", line=line, field=esc(field),
                    reason=problem_text(lang, field, reason))
                  for line, field, reason in result.problems[:REFUSED_SHOWN]]
        if len(result.problems) > REFUSED_SHOWN:
            lines.append(t(lang, "log.refused_more", count=len(result.problems) - REFUSED_SHOWN))
    await reply_long(update, lines, sep="\n")
    return END


PROBLEMS = ("date", "measure", "kind", "title", "times", "people", "note")


def problem_text(lang: str, field: str, reason: str) -> str:
    """Why a row was refused, in the staff member's language (HTML)."""
    if field in PROBLEMS:
        key = field
    elif reason == "missing column":
        key = "columns"
    else:
        key = "other"
    return t(lang, f"log.problem.{key}", kinds=", ".join(KINDS), columns=esc(field),
             title_max=TITLE_LIMIT, note_max=NOTE_LIMIT, reason=esc(reason))


# -- the wiring ------------------------------------------------------------------------
async def abort(update: Update, ctx: Ctx) -> int:
    """Cancel: drops the entry being made (nothing was saved)."""
    await answer_callback(update)
    await drop_keyboard(update)
    _entry(ctx).clear()
    await reply(update, t(await lang_of(update, ctx), "log.cancelled"))
    return END


async def wrong_input(update: Update, ctx: Ctx) -> None:
    """Asks for the answer or a button when something else arrives (a sticker, a photo)."""
    await reply(update, t(await lang_of(update, ctx), "log.bad_input"))


async def not_a_file(update: Update, ctx: Ctx) -> None:
    """Text, a photo or a sticker where the CSV file was asked for."""
    await reply(update, t(await lang_of(update, ctx), "log.not_csv"))


def entry_points(access: Access) -> Handlers:
    """`/log` and `/log import`, for staff who may record outreach work."""
    return [CommandHandler("log", begin, filters=access.poster)]


def states(access: Access) -> dict[object, Handlers]:
    """Each step: its typed answer or its buttons; anything else gets a hint."""
    # Menu buttons are not answers: they switch to the citizen flows.
    text = access.poster & filters.TEXT & ~filters.COMMAND & ~ANY_MENU_BUTTON
    other = access.poster & ~filters.COMMAND & ~ANY_MENU_BUTTON

    def step(callback: Any, pattern: str | None = None, typed: bool = True) -> Handlers:
        handlers: Handlers = []
        if pattern is not None:
            handlers.append(StaffCallbackHandler(callback, pattern, access.poster))
        if typed:
            handlers.append(MessageHandler(text, callback))
        handlers.append(MessageHandler(other, wrong_input))
        return handlers

    return {
        MEASURE_STEP: step(got_measure, r"^lg:m:[\d.]{1,11}$"),
        KIND: step(got_kind, rf"^lg:k:({'|'.join(KINDS)})$", typed=False),
        TITLE: step(got_title),
        DATE: step(got_date, r"^lg:d:[01]$"),
        TIMES: step(got_times, r"^lg:n:1$"),
        PEOPLE: step(got_people, r"^lg:skip$"),
        PLACE: step(got_place, r"^lg:skip$"),
        NOTE: step(got_note, r"^lg:skip$"),
        CONFIRM: [StaffCallbackHandler(save, r"^lg:save$", access.poster),
                  MessageHandler(other, wrong_input)],
        FILE: [MessageHandler(access.poster & filters.Document.ALL, got_file),
               MessageHandler(other, not_a_file)],
    }


def cancel_handlers(access: Access) -> Handlers:
    """The Cancel button under every step."""
    return [StaffCallbackHandler(abort, r"^lg:abort$", access.poster)]


def register(app: App, access: Access) -> None:
    """Withdraw under a saved entry (it outlives the conversation); `/log` refused to others."""
    app.add_handler(StaffCallbackHandler(withdraw, r"^lg:undo:\d{1,10}$", access.poster))
    # admin.ALL_STAFF_COMMANDS does not name this; refused here, right after, instead.
    app.add_handler(CommandHandler(list(COMMANDS), not_staff,
                                   filters=filters.ChatType.PRIVATE | filters.ChatType.GROUPS))
