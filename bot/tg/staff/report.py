"""`/report`: the plan implementation report as a DOCX, staff's notes for it, the reminders.

- `/report` — buttons: the year (every year with a plan file), then the half-year or the
  year-end report; the DOCX comes back as a document. `/report 2026 [1]` goes straight there.
- `/report note [2026[/1]] 1.1 [90%] [text]` — staff's words and implementation percent
  for a measure (the current report unless a year is given: January–June the half-year
  report, July–December the year-end one); either may be left out and keeps what was set;
  `-` removes the note. A text may run over several lines: each is a paragraph.
- `/report notes [2026[/1]]` — the notes of a report.
- Reminders: 14, 7 and 1 days before June 10 and December 10 the staff group is reminded
  once (from 10:00 local time), with the bot's draft attached.

Any staff role may make the report (it holds counts only); notes need the right to post,
which the core checks. The document is Mongolian whatever the staff member's language.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.core import offline
from bot.core.errors import DomainError
from bot.core.offline import MEASURE, ActivityError, Note
from bot.core.plan import Plans, load_plans
from bot.i18n import t
from bot.report import reminders
from bot.report.build import file_name, make_report, make_report_for
from bot.report.compose import PlanMissing, merge_notes
from bot.report.model import HALF_YEAR, YEAR_END, Report
from bot.tg.access import Access, StaffCallbackHandler
from bot.tg.common import (
    App,
    Ctx,
    answer_callback,
    buttons,
    drop_keyboard,
    esc,
    lang_of,
    reply,
    reply_long,
    tell_staff,
)
from bot.tg.staff.admin import not_staff
from bot.tg.staff.cases import refuse

log = logging.getLogger(__name__)

JOB = "report-reminder"
REMIND_SECONDS = 600  # the reminder is looked at every ten minutes; it goes once a day
YEARS_SHOWN = 6
_NOTE = re.compile(r"^\s*notes?\b", re.IGNORECASE)
_NOTE_ARGS = re.compile(
    r"^\s*note\s+(?:(?P<year>\d{4})(?:/(?P<half>[12]))?\s+)?(?P<measure>\S+)"
    r"(?:\s+(?P<percent>\d{1,3})%)?(?:\s+(?P<text>.*))?\s*$", re.DOTALL | re.IGNORECASE)
_REPORT_ARG = re.compile(r"^(?:rp:)?(\d{4})$")


def current_report(today: dt.date) -> tuple[int, int]:
    """The report being prepared: January–June the half-year one, then the year-end one."""
    return today.year, HALF_YEAR if today.month <= 6 else YEAR_END


def report_name(lang: str, year: int, key: int) -> str:
    """"the 2026 half-year report", in words."""
    return t(lang, "report.name_half" if key == HALF_YEAR else "report.name_year", year=year)


def _plans(ctx: Ctx) -> Plans:
    return load_plans(ctx.svc.settings.content_dir)


def _problems(lang: str, year: int, exc: PlanMissing) -> list[str]:
    if not exc.errors:
        return [t(lang, "report.no_plan", year=year)]
    lines = [t(lang, "report.plan_broken", year=year)]
    lines += [t(lang, "report.problem", file=esc(e.path.name), field=esc(e.field),
                reason=esc(e.reason)) for e in exc.errors[:20]]
    return lines


def _caption(lang: str, report: Report) -> str:
    rows = report.rows
    return t(lang, "report.caption", report=esc(report_name(lang, report.year, report.key)),
             measures=len(rows), measured=sum(r.measured for r in rows),
             noted=sum(r.noted for r in rows), blank=sum(r.percent is None for r in rows))


async def _send_report(update: Update, ctx: Ctx, year: int, key: int) -> None:
    """Makes the report and sends it as a document, or says why it cannot."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    chat = update.effective_chat
    assert chat is not None and update.effective_user is not None
    await reply(update, t(lang, "report.making", report=esc(report_name(lang, year, key))))
    try:
        report, data = await make_report_for(svc.backend, update.effective_user.id,
                                             svc.settings.content_dir, year, key, svc.now())
    except PlanMissing as exc:
        await reply_long(update, _problems(lang, year, exc), sep="\n")
        return
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    await chat.send_document(InputFile(data, filename=file_name(report)),
                             caption=_caption(lang, report))


async def report_command(update: Update, ctx: Ctx) -> None:
    """`/report`: asks which year; `/report 2026 [1]`, `/report note …`, `/report notes`."""
    lang = await lang_of(update, ctx)
    args = ctx.args or []
    if args and _NOTE.match(args[0]):
        if args[0].lower() == "notes":
            await list_notes(update, ctx, args[1:])
        else:
            await set_note(update, ctx)
        return
    if args:
        year = _REPORT_ARG.match(args[0])
        half = args[1] if len(args) > 1 else None
        if year is None or len(args) > 2 or half not in (None, "1", "2"):
            await reply(update, t(lang, "report.usage"))
            return
        await _send_report(update, ctx, int(year.group(1)), HALF_YEAR if half == "1"
                           else YEAR_END)
        return
    plans = await asyncio.to_thread(_plans, ctx)
    years = sorted(set(plans.plans) | {int(e.path.name[:4]) for e in plans.errors
                                       if e.path.name[:4].isdigit()}, reverse=True)
    if not years:
        await reply(update, t(lang, "report.no_plans"))
        return
    rows = [[(str(y), f"rep:y:{y}") for y in years[i:i + 3]]
            for i in range(0, min(len(years), YEARS_SHOWN), 3)]
    await reply(update, t(lang, "report.choose_year"), reply_markup=buttons(rows))


async def pressed(update: Update, ctx: Ctx) -> None:
    """The year, then the report: `rep:y:<year>`, `rep:g:<year>:<0|1>`."""
    lang = await lang_of(update, ctx)
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")
    if len(parts) == 3 and parts[1] == "y" and _REPORT_ARG.match(parts[2]):
        await answer_callback(update)
        year = int(parts[2])
        markup = buttons([[(t(lang, "report.button_half"), f"rep:g:{year}:{HALF_YEAR}")],
                          [(t(lang, "report.button_year"), f"rep:g:{year}:{YEAR_END}")]])
        try:
            await query.edit_message_text(t(lang, "report.choose_half", year=year),
                                          parse_mode="HTML", reply_markup=markup)
        except TelegramError:
            await reply(update, t(lang, "report.choose_half", year=year), reply_markup=markup)
        return
    if (len(parts) == 4 and parts[1] == "g" and _REPORT_ARG.match(parts[2])
            and parts[3] in (str(HALF_YEAR), str(YEAR_END))):
        await answer_callback(update)
        await drop_keyboard(update)
        await _send_report(update, ctx, int(parts[2]), int(parts[3]))
        return
    await answer_callback(update, t(lang, "report.stale"), alert=True)


def _percent(lang: str, value: int | None) -> str:
    return t(lang, "report.percent_blank") if value is None else f"{value}%"


async def set_note(update: Update, ctx: Ctx) -> None:
    """`/report note [2026[/1]] 1.1 [90%] [text]`: staff's words and percent for a measure."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    assert update.message is not None and update.effective_user is not None
    raw = (update.message.text or "").split(maxsplit=1)
    match = _NOTE_ARGS.match(raw[1] if len(raw) > 1 else "")
    if match is None or not MEASURE.match(match["measure"]) or (
            match["percent"] is None and not (match["text"] or "").strip()):
        await reply(update, t(lang, "report.note_usage"))
        return
    year, key = current_report(svc.backend.local_date(svc.now()))
    if match["year"]:
        year, key = int(match["year"]), HALF_YEAR if match["half"] == "1" else YEAR_END
    measure = match["measure"]
    plans = await asyncio.to_thread(_plans, ctx)
    plan = plans.plans.get(year)
    if plan is None:
        exc = PlanMissing(year, plans.errors_for(year))
        await reply_long(update, _problems(lang, year, exc), sep="\n")
        return
    if plan.measure(measure) is None:
        await reply(update, t(lang, "report.note_unknown", year=year, measure=esc(measure),
                              known=esc(", ".join(m.no for m in plan.measures))))
        return
    text = "\n".join(line.strip() for line in (match["text"] or "").strip().splitlines())
    percent = int(match["percent"]) if match["percent"] is not None else None
    name = esc(report_name(lang, year, key))
    try:
        if text == "-" and percent is None:
            await offline.set_note(svc.backend, update.effective_user.id, year, key, measure,
                                   "", svc.now())
            await reply(update, t(lang, "report.note_cleared", measure=esc(measure),
                                  report=name))
            return
        old = (await offline.notes(svc.backend, year, key)).get(measure)
        note = Note(text or (old.text if old else ""),
                    percent if percent is not None else (old.percent if old else None))
        await offline.set_note(svc.backend, update.effective_user.id, year, key, measure,
                               note.text, svc.now(), percent=note.percent)
    except ActivityError as exc:
        await reply(update, t(lang, "report.note_bad", reason=esc(exc.reason)))
        return
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    await reply(update, t(lang, "report.note_saved", measure=esc(measure), report=name,
                          percent=_percent(lang, note.percent)))


async def list_notes(update: Update, ctx: Ctx, args: list[str]) -> None:
    """`/report notes [2026[/1]]`: the notes of a report, from Telegram and from files."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    year, key = current_report(svc.backend.local_date(svc.now()))
    if args:
        given = re.match(r"^(\d{4})(?:/([12]))?$", args[0])
        if given is None:
            await reply(update, t(lang, "report.usage"))
            return
        year, key = int(given[1]), HALF_YEAR if given[2] == "1" else YEAR_END
    plans = await asyncio.to_thread(_plans, ctx)
    stored = await offline.notes(svc.backend, year, key)
    filed = plans.file_notes(year, key)
    merged = {m: n for m in sorted(stored.keys() | filed.keys(), key=_measure_order)
              if (n := merge_notes(stored.get(m), filed.get(m))) is not None
              and (n.text or n.percent is not None)}
    name = esc(report_name(lang, year, key))
    if not merged:
        await reply(update, t(lang, "report.notes_none", report=name))
        return
    lines = [t(lang, "report.notes_header", report=name)]
    lines += [t(lang, "report.notes_line", measure=esc(m), percent=_percent(lang, n.percent),
                text=esc(_short(n.text))) for m, n in merged.items()]
    await reply_long(update, lines, sep="\n")


def _measure_order(no: str) -> tuple[int, ...]:
    return tuple(int(p) for p in no.split("."))


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


async def remind(ctx: Ctx) -> None:
    """On a reminder day, once: tells the staff group and attaches the bot's draft."""
    svc = ctx.svc
    if svc.settings.staff_chat is None:
        return
    reminder = reminders.due(svc.now(), svc.settings.tz)
    if reminder is None or not await reminders.claim(svc.backend, reminder):
        return
    lang = "mn"
    name = report_name(lang, reminder.year, reminder.key)
    deadline = t(lang, "report.deadline_half" if reminder.key == HALF_YEAR
                 else "report.deadline_year")
    await tell_staff(ctx, t(lang, "report.reminder", report=esc(name), deadline=deadline,
                            days=reminder.days_left))
    try:
        report, data = await make_report(svc.backend, svc.settings.content_dir, reminder.year,
                                         reminder.key, svc.now())
    except PlanMissing:
        await tell_staff(ctx, t(lang, "report.reminder_no_plan", year=reminder.year))
        return
    try:
        await ctx.bot.send_document(svc.settings.staff_chat,
                                    InputFile(data, filename=file_name(report)),
                                    caption=_caption(lang, report))
    except TelegramError as exc:
        log.warning("report draft not delivered to the staff group: %s",
                    exc.__class__.__name__)


def register(app: App, access: Access) -> None:
    """`/report` and its buttons for staff, refused to anyone else; the daily reminder."""
    app.add_handler(CommandHandler("report", report_command, filters=access.any_staff))
    # `rep:`, not `rp:`: that is a citizen's pledge, which staff press under posts too.
    app.add_handler(StaffCallbackHandler(pressed, pattern=r"^rep:[yg]:",
                                         staff_filter=access.any_staff))
    app.add_handler(CommandHandler("report", not_staff,
                                   filters=filters.ChatType.PRIVATE | filters.ChatType.GROUPS))
    if app.job_queue is not None:
        app.job_queue.run_repeating(remind, interval=REMIND_SECONDS, first=30, name=JOB)
