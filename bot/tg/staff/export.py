"""`/export`: the period's figures as an XLSX workbook, sent as a document.

`/export` offers periods as buttons (this month, last month, quarter, half-year, year, last
year); `/export 2026-01-01 2026-06-30` takes two dates and `/export 2026` a year, as /stats
does. The workbook is made in a worker thread from a read-only snapshot (see `bot/export`),
so the bot keeps answering meanwhile.
Any staff role may export: no row of it says who complained or what about.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from telegram import InputFile, Update
from telegram.ext import CommandHandler, filters

from bot.core.errors import DomainError
from bot.core.stats import Period
from bot.export import ExportError, Names, export, file_name
from bot.i18n import t
from bot.tg.access import Access, StaffCallbackHandler
from bot.tg.common import App, Ctx, Services, answer_callback, buttons, fmt_date, lang_of, reply
from bot.tg.staff.admin import not_staff
from bot.tg.staff.cases import refuse
from bot.tg.staff.stats import parse_period

log = logging.getLogger(__name__)

COMMANDS = ("export",)


def _last_month(today: dt.date) -> Period:
    return Period.month(today.replace(day=1) - dt.timedelta(days=1))


# The buttons, in order: what each means on a given local day.
PERIODS: dict[str, Callable[[dt.date], Period]] = {
    "month": Period.month,
    "last_month": _last_month,
    "quarter": Period.quarter,
    "half": Period.half,
    "year": Period.year,
    "last_year": lambda today: Period.year(today.year - 1),
}


def names_for(svc: Services, lang: str, bot_username: str) -> Names:
    """Organization and campaign names as the bot shows them, and the bot's link."""
    def org(code: str) -> str | None:
        found = svc.orgs.get(code)
        return None if found is None else found.name(lang)

    campaigns = {code: c.name(lang) for code, c in svc.content.library.campaigns.items()}
    return Names(org=org, campaigns=campaigns, bot_username=bot_username)


async def export_command(update: Update, ctx: Ctx) -> None:
    """`/export`: the period buttons; `/export FIRST LAST`: the workbook at once."""
    lang = await lang_of(update, ctx)
    args = ctx.args or []
    if not args:
        rows = [[(t(lang, f"export.period.{key}"), f"xp:{key}") for key in keys]
                for keys in (("month", "last_month"), ("quarter", "half"),
                             ("year", "last_year"))]
        await reply(update, t(lang, "export.choose"), reply_markup=buttons(rows))
        return
    period = parse_period(args)  # as /stats reads it: two dates, or a year
    if period is None:
        await reply(update, t(lang, "export.usage"))
        return
    await _send(update, ctx, period, lang)


async def period_pressed(update: Update, ctx: Ctx) -> None:
    """A period button: the workbook for that period as of today."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await answer_callback(update)
    lang = await lang_of(update, ctx)
    choose = PERIODS.get(query.data.removeprefix("xp:"))
    if choose is None:  # the pattern lets only known keys through; forged data ends here
        return
    await _send(update, ctx, choose(ctx.svc.backend.local_date(ctx.svc.now())), lang)


async def _send(update: Update, ctx: Ctx, period: Period, lang: str) -> None:
    """Makes the workbook in a temporary folder, sends it, and removes it."""
    assert update.effective_user is not None and update.effective_chat is not None
    svc = ctx.svc
    first, last = fmt_date(period.first), fmt_date(period.last)
    await reply(update, t(lang, "export.building", first=first, last=last))
    name = file_name(period.first, period.last, "xlsx")
    with tempfile.TemporaryDirectory(prefix="export-") as folder:
        path = Path(folder) / name
        try:
            await export(svc.backend, period.first, period.last, "xlsx", path, svc.now(),
                         lang=lang, names=names_for(svc, lang, ctx.bot.username),
                         staff_id=update.effective_user.id)
        except DomainError as exc:
            await refuse(update, ctx, exc)
            return
        except (ExportError, OSError):
            log.exception("export failed")
            await reply(update, t(lang, "export.failed"))
            return
        with path.open("rb") as workbook:
            await update.effective_chat.send_document(
                InputFile(workbook, filename=name),
                caption=t(lang, "export.caption", first=first, last=last))


def register(app: App, access: Access) -> None:
    """`/export` and its period buttons for every staff role; refused to anyone else."""
    app.add_handler(CommandHandler("export", export_command, filters=access.any_staff))
    app.add_handler(StaffCallbackHandler(period_pressed, rf"^xp:({'|'.join(PERIODS)})$",
                                         access.any_staff))
    # admin.ALL_STAFF_COMMANDS does not name this; refused here, right after, instead.
    app.add_handler(CommandHandler(list(COMMANDS), not_staff,
                                   filters=filters.ChatType.PRIVATE | filters.ChatType.GROUPS))
