"""`/stats` for staff: a period's figures as one summary message, and charts as photos.

`/stats` offers this month, quarter, half-year and year as buttons, and "two dates", which
tells how to type them: `/stats 2026-01-01 2026-06-30` (or `/stats 2025` for a year) — a
command argument rather than a conversation step, so nothing waits for the next message.
Every staff role may read statistics (viewers exist for it); the core checks the role
again and audits the look (`bot.core.stats.overview`). Figures carry no person and no
complaint content; deliveries are named as what they are, and no view is claimed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable

from telegram import InlineKeyboardMarkup, InputFile, InputMediaPhoto, Update
from telegram.ext import CommandHandler, filters

from bot.core import stats
from bot.core.errors import DomainError
from bot.core.stats import Overview, Period, Summary
from bot.i18n import catalog, t
from bot.tg.access import Access, StaffCallbackHandler
from bot.tg.common import (
    App,
    Ctx,
    Services,
    answer_callback,
    buttons,
    esc,
    fmt_date,
    lang_of,
    org_name,
    reply,
    reply_long,
)
from bot.tg.staff.admin import not_staff
from bot.tg.staff.cases import refuse

PERIODS = {"month": Period.month, "quarter": Period.quarter, "half": Period.half,
           "year": Period.year}
LEFT_REASONS = ("stopped", "blocked", "gone")
SHOWN = 8  # items of a list (organizations, sources …) before "N more"
_DATE = re.compile(r"^(\d{4})[-.](\d{1,2})[-.](\d{1,2})$")


def parse_period(args: list[str]) -> Period | None:
    """Two dates (2026-01-01 or 2026.01.01, as offices write them), or a year; else None.

    A dash or dots typed between the dates ("2026-01-01 – 2026-06-30") are fine.
    """
    args = [a for a in args if a.strip("-–—.") != ""]
    if len(args) == 1 and re.fullmatch(r"\d{4}", args[0]):
        return Period.year(int(args[0]))
    if len(args) != 2:
        return None
    days = []
    for arg in args:
        match = _DATE.match(arg)
        if match is None:
            return None
        try:
            days.append(dt.date(*(int(part) for part in match.groups())))
        except ValueError:
            return None
    try:
        return Period.between(days[0], days[1])
    except ValueError:
        return None


def _menu(lang: str) -> InlineKeyboardMarkup:
    return buttons([
        [(t(lang, "stats.button.month"), "stats:month"),
         (t(lang, "stats.button.quarter"), "stats:quarter")],
        [(t(lang, "stats.button.half"), "stats:half"),
         (t(lang, "stats.button.year"), "stats:year")],
        [(t(lang, "stats.button.dates"), "stats:dates")],
    ])


async def stats_command(update: Update, ctx: Ctx) -> None:
    """Offers the periods; with two dates or a year, shows that period at once."""
    lang = await lang_of(update, ctx)
    args = ctx.args or []
    if not args:
        await reply(update, t(lang, "stats.menu"), reply_markup=_menu(lang))
        return
    period = parse_period(args)
    if period is None:
        await reply(update, t(lang, "stats.bad_dates"))
        return
    await show(update, ctx, period)


async def period_pressed(update: Update, ctx: Ctx) -> None:
    """Shows this month's, quarter's, half-year's or year's figures; or how to type dates."""
    assert update.callback_query is not None and update.callback_query.data is not None
    await answer_callback(update)
    which = update.callback_query.data.removeprefix("stats:")
    if which == "dates":
        await reply(update, t(await lang_of(update, ctx), "stats.dates_usage"))
        return
    today = ctx.svc.backend.local_date(ctx.svc.now())
    await show(update, ctx, PERIODS[which](today))


async def show(update: Update, ctx: Ctx, period: Period) -> None:
    """Sends the summary, then the charts (an album, or one photo)."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    assert update.effective_user is not None and update.effective_chat is not None
    try:
        overview = await stats.overview(svc.backend, update.effective_user.id, period, svc.now())
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    await reply_long(update, summary_blocks(svc, lang, overview.summary), sep="\n")
    charts = await asyncio.to_thread(_draw, overview, lang)
    if not charts:
        return
    caption = t(lang, "stats.charts", first=fmt_date(period.first), last=fmt_date(period.last))
    chat = update.effective_chat
    if len(charts) == 1:
        name, png = charts[0]
        await chat.send_photo(InputFile(png, filename=name), caption=caption)
        return
    # Bytes, not an InputFile: only then does PTB attach them to the album (attach://).
    await chat.send_media_group([
        InputMediaPhoto(png, filename=name, caption=caption if i == 0 else None)
        for i, (name, png) in enumerate(charts)])


def _draw(overview: Overview, lang: str) -> list[tuple[str, bytes]]:
    # matplotlib is imported here, in the worker thread, the first time a chart is drawn:
    # the bot starts without paying for it, and the event loop never waits for it.
    from bot import charts

    return charts.all_charts(overview.monthly, overview.summary.audience.sources, lang)


# -- the summary's words -------------------------------------------------------------------
def _num(lang: str, n: int) -> str:
    """Numbers as the report writes them: 6735 in Mongolian, 6,735 in English."""
    return f"{n:,}" if lang == "en" else str(n)


def _list(lang: str, items: dict[str, int], name: Callable[[str], str] = str,
          shown: int = SHOWN) -> str:
    """`name count · …`, largest first, the rest as "N more"."""
    ordered = sorted(items.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [f"{esc(name(k))} {_num(lang, n)}" for k, n in ordered[:shown]]
    if len(ordered) > shown:
        parts.append(t(lang, "stats.more", n=len(ordered) - shown))
    return t(lang, "stats.list_sep").join(parts)


def _named(lang: str, prefix: str) -> Callable[[str], str]:
    """Names from the catalog under `prefix`; a code it does not know shows as itself."""
    names = catalog(lang)
    return lambda code: names.get(f"{prefix}.{code}", code)


def _outreach_lines(svc: Services, lang: str, s: Summary) -> list[str]:
    o = s.outreach
    lines = [t(lang, "stats.outreach.header")]
    if not o.broadcasts and not (o.useful or o.shares or o.pledges):
        return [*lines, t(lang, "stats.outreach.none")]
    lines.append(t(lang, "stats.outreach.posts", posts=_num(lang, o.posts),
                   broadcasts=_num(lang, o.broadcasts)))
    if o.by_kind:
        lines.append(t(lang, "stats.outreach.by_kind", list=_list(
            lang, o.by_kind, _named(lang, "stats.post_kind"))))
    if o.by_campaign:
        def campaign(code: str) -> str:
            found = svc.content.library.campaign(code)
            return found.name(lang) if found is not None else code
        lines.append(t(lang, "stats.outreach.by_campaign", list=_list(lang, o.by_campaign,
                                                                       campaign)))
    split = {k: n for k, n in o.deliveries_by_kind.items() if n}
    if set(split) - {"person"}:
        lines.append(t(lang, "stats.outreach.deliveries_split", n=_num(lang, o.deliveries),
                       list=_list(lang, split, _named(lang, "stats.recipient"))))
    else:
        lines.append(t(lang, "stats.outreach.deliveries", n=_num(lang, o.deliveries)))
    lines.append(t(lang, "stats.outreach.recipients", n=_num(lang, o.recipients)))
    if o.failed:
        lines.append(t(lang, "stats.outreach.failed_reasons", n=_num(lang, o.failed),
                       list=_list(lang, o.failed_by_reason, shown=3)))
    if o.chats:
        lines.append(t(lang, "stats.outreach.channels", chats=_num(lang, o.chats),
                       members=_num(lang, o.channel_members),
                       reactions=_num(lang, o.reactions)))
    lines.append(t(lang, "stats.outreach.marks", useful=_num(lang, o.useful),
                   shares=_num(lang, o.shares), pledges=_num(lang, o.pledges)))
    return lines


def _audience_lines(lang: str, s: Summary) -> list[str]:
    a = s.audience
    lines = [t(lang, "stats.audience.header"),
             t(lang, "stats.audience.now", people=_num(lang, a.subscribers_now),
               chats=_num(lang, a.chats_now))]
    if a.left_by_reason:
        reasons = t(lang, "stats.list_sep").join(
            t(lang, f"stats.left.{r}", n=_num(lang, n)) if r in LEFT_REASONS
            else f"{esc(r)} {_num(lang, n)}"
            for r, n in sorted(a.left_by_reason.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(t(lang, "stats.audience.flow_reasons", joined=_num(lang, a.joined),
                       left=_num(lang, a.left), list=reasons))
    else:
        lines.append(t(lang, "stats.audience.flow", joined=_num(lang, a.joined),
                       left=_num(lang, a.left)))
    lines.append(t(lang, "stats.audience.starts", n=_num(lang, a.starts)))
    lines.append(t(lang, "stats.audience.sources", list=_list(lang, a.sources))
                 if a.sources else t(lang, "stats.audience.no_sources"))
    return lines


def _complaint_lines(svc: Services, lang: str, s: Summary) -> list[str]:
    c = s.complaints
    lines = [t(lang, "stats.complaints.header")]
    if not c.received:
        lines.append(t(lang, "stats.complaints.none"))
    else:
        lines += [
            t(lang, "stats.complaints.received", n=_num(lang, c.received),
              list=_list(lang, c.by_kind, _named(lang, "kind"))),
            t(lang, "stats.complaints.by_org",
              list=_list(lang, c.by_org, lambda k: org_name(svc, lang, k or None))),
            t(lang, "stats.complaints.by_status",
              list=_list(lang, c.by_status, _named(lang, "status"))),
        ]
        if len(c.by_channel) > 1:
            lines.append(t(lang, "stats.complaints.by_channel", list=_list(lang, c.by_channel)))
        percent = (t(lang, "stats.none") if c.on_time_pct is None
                   else t(lang, "stats.percent", value=f"{c.on_time_pct:g}"))
        lines.append(t(lang, "stats.complaints.answered", answered=_num(lang, c.answered),
                       on_time=_num(lang, c.answered_on_time), percent=percent))
        if c.median_days is not None:
            lines.append(t(lang, "stats.complaints.median", days=f"{c.median_days:g}"))
        if c.extended:
            lines.append(t(lang, "stats.complaints.extended", n=_num(lang, c.extended)))
    lines.append(t(lang, "stats.complaints.overdue", period=_num(lang, c.overdue_now),
                   all=_num(lang, c.overdue_all_now)))
    return lines


def _offline_lines(lang: str, s: Summary) -> list[str]:
    f = s.offline
    lines = [t(lang, "stats.offline.header")]
    if not f.entries:
        return [*lines, t(lang, "stats.offline.none")]
    lines.append(t(lang, "stats.offline.total", entries=_num(lang, f.entries),
                   times=_num(lang, f.times), people=_num(lang, f.people)))
    kind_name = _named(lang, "stats.offline.kind")
    for kind, (entries, times, people) in f.by_kind.items():
        lines.append(t(lang, "stats.offline.line", kind=esc(kind_name(kind)),
                       entries=_num(lang, entries), times=_num(lang, times),
                       people=_num(lang, people)))
    return lines


def _page_lines(lang: str, s: Summary) -> list[str]:
    """The Facebook Page's posts and Facebook's own figures for them (never estimated)."""
    p = s.page
    lines = [t(lang, "stats.page.header")]
    if not p.posts and not p.failed:
        return [*lines, t(lang, "stats.page.none")]
    lines.append(t(lang, "stats.page.posts_failed" if p.failed else "stats.page.posts",
                   posts=_num(lang, p.posts), failed=_num(lang, p.failed)))
    if p.with_views:
        lines.append(t(lang, "stats.page.views", views=_num(lang, p.views),
                       posts=_num(lang, p.with_views)))
    if p.without_views:
        lines.append(t(lang, "stats.page.no_views", n=_num(lang, p.without_views)))
    if p.read:
        lines.append(t(lang, "stats.page.engagement", reactions=_num(lang, p.reactions),
                       comments=_num(lang, p.comments), shares=_num(lang, p.shares)))
    return lines


def _channel_lines(lang: str, s: Summary) -> list[str]:
    """Every figure that has a channel, split by it: Telegram, Messenger, the Page."""
    c = s.channels
    name = _named(lang, "stats.channel")
    lines = [t(lang, "stats.channels.header")]
    for figure in ("complaints", "starts", "arrivals", "joined", "deliveries", "readers",
                   "materials", "posts"):
        counts: dict[str, int] = getattr(c, figure)
        if counts:
            lines.append(t(lang, f"stats.channels.{figure}", list=_list(lang, counts, name)))
    return lines


def _several_channels(svc: Services, s: Summary) -> bool:
    """Whether anything happened beyond Telegram (or Facebook is on): then split by channel."""
    c = s.channels
    seen = {k for figure in (c.complaints, c.starts, c.arrivals, c.joined, c.deliveries,
                             c.readers, c.materials, c.posts) for k in figure}
    return svc.settings.facebook is not None or bool(seen - {"telegram"})


def summary_blocks(svc: Services, lang: str, s: Summary) -> list[str]:
    """The summary as lines of HTML, each short enough never to be split."""
    extra: list[str] = []
    notes = [t(lang, "stats.note")]
    if svc.settings.facebook is not None or s.page.posts or s.page.failed:
        extra += ["", *_page_lines(lang, s)]
        notes.append(t(lang, "stats.page.note"))
    if _several_channels(svc, s):
        extra += ["", *_channel_lines(lang, s)]
    return [
        t(lang, "stats.header", first=fmt_date(s.period.first), last=fmt_date(s.period.last)),
        "", *_outreach_lines(svc, lang, s), *extra,
        "", *_audience_lines(lang, s),
        "", *_complaint_lines(svc, lang, s),
        "", *_offline_lines(lang, s),
        "", *notes,
    ]


def register(app: App, access: Access) -> None:
    """`/stats` and its buttons for every staff role; refused to anyone else."""
    app.add_handler(CommandHandler("stats", stats_command, filters=access.any_staff))
    app.add_handler(StaffCallbackHandler(period_pressed, r"^stats:(month|quarter|half|year|dates)$",
                                         access.any_staff))
    # admin.ALL_STAFF_COMMANDS does not name /stats; refused here, right after, instead.
    app.add_handler(CommandHandler("stats", not_staff,
                                   filters=filters.ChatType.PRIVATE | filters.ChatType.GROUPS))
