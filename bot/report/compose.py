"""Column 5 of the report, written from figures: what the bot measured, what staff entered.

For each plan measure, in this order:

1. posts linked to it (`links`): how many posts of how many kinds went to how many
   recipients how many times, shares, "useful" presses, campaign pledges, groups and
   channels — from `bot.core.stats.outreach`; then the same posts on the office's Facebook
   Page, with the views, shares and reactions *as Facebook reports them* — from
   `bot.core.stats.page_figures`;
2. complaints, where the measure links them: received by kind, answered, on time, median
   days, forwarded, extended, overdue — from `bot.core.stats.complaint_figures`;
3. offline work staff recorded against the measure, each entry with its counts, labelled as
   staff's record — `bot.core.stats.offline_figures` and `bot.core.offline.between`;
4. surveys linked to it: how many took part, by channel — `bot.core.surveys.results`;
5. staff's own words (a note set in Telegram, else one from a notes file).

A number is written only when it was measured or entered; a figure that is zero is left
out rather than written as an achievement. Bots cannot see views, so no bot figure is ever
called хандалт (views): deliveries are "хүргэсэн" (delivered), never "үзсэн". The one
"үзсэн" is the Facebook Page's, said as Facebook's ("Facebook-ийн мэдээллээр"), and only
for the posts Facebook gave a view count for.

"Хэрэгжилт N%": staff's percent if set; else computed from the plan's `targets` (each
target's share reached, capped at 100%, averaged, rounded down) when the bot or staff
counted anything for the measure; else a blank to fill.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.core import offline, stats, surveys
from bot.core.backend import Backend
from bot.core.content import Campaign, parse_campaigns
from bot.core.offline import Activity, Note
from bot.core.orgs import ContentError
from bot.core.plan import SIGNER_ROLES, Measure, Plan, Plans, Signer
from bot.i18n import catalog, t
from bot.report.model import HALF_YEAR, GoalRows, Report, Row, report_key
from bot.report.words import accusative, number, percent

MAX_ITEMS = 12  # offline entries listed per kind; the rest are counted


class PlanMissing(LookupError):
    """No usable plan for the year: `errors` says why (empty: there is no file)."""

    def __init__(self, year: int, errors: list[ContentError]) -> None:
        super().__init__(f"no plan for {year}")
        self.year, self.errors = year, errors


@dataclass(frozen=True)
class MeasureFigures:
    """Everything counted for one measure in the report's period."""

    outreach: stats.OutreachFigures | None = None
    page: stats.PageFigures | None = None
    complaints: stats.ComplaintFigures | None = None
    offline: stats.OfflineFigures | None = None
    entries: tuple[Activity, ...] = ()
    surveys: tuple[surveys.Results, ...] = ()


def _n(lang: str, value: int | float) -> str:
    return number(lang, value)


def _listing(lang: str, counts: Mapping[str, int], name_key: str) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(t(lang, "report.prose.count_item", name=t(lang, f"{name_key}.{k}"),
                       n=_n(lang, v)) for k, v in items)


def outreach_prose(lang: str, f: stats.OutreachFigures,
                   campaigns: Mapping[str, Campaign]) -> list[str]:
    """Sentences about posts; none when no linked post went out in the period."""
    if f.posts == 0:
        return []
    sentences: list[str] = []
    kinds = len(f.by_kind)
    breakdown = (t(lang, "report.prose.kinds_breakdown",
                   items=_listing(lang, f.by_kind, "report.post_kind")) if kinds > 1 else "")
    common = {"kinds": _n(lang, kinds), "posts": _n(lang, f.posts), "breakdown": breakdown}
    if f.deliveries:
        people_only = set(f.deliveries_by_kind) <= {"person"}
        to = t(lang, "report.prose.to_people" if people_only else "report.prose.to_mixed",
               recipients=_n(lang, f.recipients))
        key = "report.prose.delivered_shared" if f.shares else "report.prose.delivered"
        sentences.append(t(lang, key, to=to, deliveries=_n(lang, f.deliveries),
                           shares=_n(lang, f.shares), **common))
    else:
        key = "report.prose.posted_shared" if f.shares else "report.prose.posted"
        sentences.append(t(lang, key, shares=_n(lang, f.shares), **common))
    if f.chats:
        key = "report.prose.chats_members" if f.channel_members else "report.prose.chats"
        sentences.append(t(lang, key, chats=_n(lang, f.chats),
                           members=_n(lang, f.channel_members)))
    in_campaigns = {code: n for code, n in f.by_campaign.items() if code}
    if in_campaigns and (len(in_campaigns) > 1 or sum(in_campaigns.values()) != f.posts):
        items = ", ".join(
            t(lang, "report.prose.count_item",
              name=campaigns[c].name(lang) if c in campaigns else c, n=_n(lang, n))
            for c, n in sorted(in_campaigns.items(), key=lambda kv: (-kv[1], kv[0])))
        sentences.append(t(lang, "report.prose.campaigns", items=items))
    if f.useful:
        sentences.append(t(lang, "report.prose.useful", useful=_n(lang, f.useful)))
    if f.pledges:
        sentences.append(t(lang, "report.prose.pledges", pledges=_n(lang, f.pledges)))
    if f.reactions:
        sentences.append(t(lang, "report.prose.reactions", reactions=_n(lang, f.reactions)))
    return [" ".join(sentences)]


def page_prose(lang: str, f: stats.PageFigures) -> list[str]:
    """Sentences about the Facebook Page's posts, its figures as Facebook reports them.

    Views only where Facebook gave them (a Page under 100 likes gets none): the sentence
    then says for how many of the posts; zeros are left out.
    """
    if f.posts == 0:
        return []
    viewed, shared = f.with_views > 0, f.shares > 0
    key = {(True, True): "page_viewed_shared", (True, False): "page_viewed",
           (False, True): "page_shared", (False, False): "page_posted"}[(viewed, shared)]
    sentences = [t(lang, f"report.facebook.{key}", posts=_n(lang, f.posts),
                   views=_n(lang, f.views), shares=_n(lang, f.shares))]
    if viewed and f.without_views:
        sentences[0] = sentences[0].removesuffix(".") + t(
            lang, "report.facebook.page_views_of", n=_n(lang, f.with_views))
    if f.reactions or f.comments:
        key = "report.facebook.page_reactions_comments" if f.comments else \
            "report.facebook.page_reactions"
        sentences.append(t(lang, key, reactions=_n(lang, f.reactions),
                           comments=_n(lang, f.comments)))
    return [" ".join(sentences)]


def complaints_prose(lang: str, f: stats.ComplaintFigures) -> list[str]:
    """Sentences about complaints; none when nothing came through the bot in the period."""
    if f.received == 0:
        return []
    sentences = [t(lang, "report.prose.received", received=_n(lang, f.received),
                   kinds=_listing(lang, f.by_kind, "kind"))]
    if f.answered:
        if f.answered_on_time == f.answered:
            sentences.append(t(lang, "report.prose.answered_all_on_time",
                               answered=accusative(lang, f.answered)))
        else:
            sentences.append(t(lang, "report.prose.answered",
                               answered=accusative(lang, f.answered),
                               on_time=_n(lang, f.answered_on_time),
                               pct=percent(f.on_time_pct or 0.0)))
        if f.median_days is not None:
            sentences.append(t(lang, "report.prose.median",
                               days=percent(f.median_days)))
    forwarded = f.by_status.get("forwarded", 0)
    if forwarded:
        sentences.append(t(lang, "report.prose.forwarded", n=accusative(lang, forwarded)))
    if f.extended:
        sentences.append(t(lang, "report.prose.extended", n=_n(lang, f.extended)))
    if f.overdue_now:
        sentences.append(t(lang, "report.prose.overdue", n=_n(lang, f.overdue_now)))
    return [" ".join(sentences)]


def offline_prose(lang: str, f: stats.OfflineFigures | None,
                  entries: tuple[Activity, ...]) -> list[str]:
    """A paragraph per kind of offline work: each entry with its counts, then the total."""
    if not entries:
        return []
    paragraphs = []
    for kind in offline.KINDS:
        mine = [e for e in entries if e.kind == kind]
        if not mine:
            continue
        items = [_entry(lang, e) for e in mine[:MAX_ITEMS]]
        if len(mine) > MAX_ITEMS:
            items.append(t(lang, "report.prose.offline_more", n=_n(lang, len(mine) - MAX_ITEMS)))
        text = t(lang, "report.prose.offline_kind", kind=t(lang, f"report.offline_kind.{kind}"),
                 items="; ".join(items))
        entries_n, times, people = (f.by_kind.get(kind) if f is not None else None) or (
            len(mine), sum(e.times for e in mine), sum(e.people or 0 for e in mine))
        if entries_n > 1:
            key = "report.prose.offline_total_people" if people else "report.prose.offline_total"
            text += " " + t(lang, key, times=_n(lang, times), people=_n(lang, people))
        paragraphs.append(text)
    return paragraphs


def _entry(lang: str, e: Activity) -> str:
    details = []
    if e.place:
        details.append(e.place)
    if e.times > 1:
        details.append(t(lang, "report.prose.offline_times", n=_n(lang, e.times)))
    if e.people is not None:
        details.append(t(lang, "report.prose.offline_people", n=_n(lang, e.people)))
    title = t(lang, "report.prose.offline_title", title=e.title)
    return f"{title} — {', '.join(details)}" if details else title


def survey_prose(lang: str, results: tuple[surveys.Results, ...]) -> list[str]:
    """A sentence per linked survey anyone answered in the period: how many, by channel."""
    sentences = []
    for r in results:
        if not r.responses:
            continue
        channels = ", ".join(
            t(lang, "report.prose.count_item", name=_channel(lang, c), n=_n(lang, n))
            for c, n in sorted(r.by_channel.items(), key=lambda kv: (-kv[1], kv[0])) if n)
        sentences.append(t(lang, "report.prose.survey", title=r.survey.title.get(lang)
                           or r.survey.title["mn"], responses=_n(lang, r.responses),
                           channels=channels))
        sentences += survey_findings(lang, r)
    return [" ".join(sentences)] if sentences else []


FINDINGS = 3  # questions whose leading answers the paragraph reports


def _option_label(question: surveys.Question, code: str, lang: str) -> str:
    option = question.option(code)
    return code if option is None else option.label(lang)


def _pct(value: float) -> str:
    return f"{value:.1f}"


def survey_findings(lang: str, r: surveys.Results) -> list[str]:
    """Who took part (the demographic shares) and the main findings, in the office's words.

    As in "46.2 хувь нь 20–45 насны …" and "«…» гэсэн асуултад «…» гэж 73.1 хувь …".

    A question fewer than 5 people answered is left out, like a small cell in /survey.
    """
    out: list[str] = []
    findings = 0
    for question in r.survey.questions:
        shares = r.questions.get(question.id)
        if not shares or question.when is not None:
            continue
        base = next(iter(shares.values())).base
        if base < surveys.MIN_CELL:
            continue
        top = [(c, s) for c, s in sorted(shares.items(), key=lambda kv: -kv[1].count)
               if s.count and c != surveys.PREFER_NOT][:2]
        if not top:
            continue
        label = {c: _option_label(question, c, lang) for c, _ in top}
        if question.demographic == "age_band":
            joined = ", ".join(t(lang, "report.prose.survey_share", pct=_pct(s.percent),
                                 label=label[c]) for c, s in top)
            out.append(t(lang, "report.prose.survey_age", shares=joined))
        elif question.demographic:
            joined = ", ".join(t(lang, "report.prose.survey_share", pct=_pct(s.percent),
                                 label=label[c].lower()) for c, s in top)
            out.append(t(lang, f"report.prose.survey_by_{question.demographic}", shares=joined))
        elif question.type == "single" and findings < FINDINGS:
            findings += 1
            joined = ", ".join(t(lang, "report.prose.survey_answer", pct=_pct(s.percent),
                                 label=label[c]) for c, s in top)
            out.append(t(lang, "report.prose.survey_finding",
                         question=question.prompt(lang).rstrip("?"), shares=joined))
    return out


def _channel(lang: str, code: str) -> str:
    key = f"report.survey_channel.{code}"
    return t(lang, key) if key in catalog(lang) else code


def target_percent(measure: Measure, f: MeasureFigures) -> int | None:
    """Each target's share reached (capped at 1), averaged, in whole percent rounded down.

    None when the measure has no target, or none of its figures could be measured.
    """
    reached: list[float] = []
    for key, target in measure.targets.items():
        actual: float | None = None
        if f.outreach is not None and hasattr(f.outreach, key):
            actual = float(getattr(f.outreach, key))
        elif key == "on_time_pct" and f.complaints is not None:
            actual = f.complaints.on_time_pct
        elif key == "offline_times" and f.offline is not None:
            actual = float(f.offline.times)
        elif key == "offline_people" and f.offline is not None:
            actual = float(f.offline.people)
        elif key == "survey_responses" and f.surveys:
            actual = float(sum(r.responses for r in f.surveys))
        if actual is not None:
            reached.append(min(1.0, actual / target))
    if not reached:
        return None
    return math.floor(100 * sum(reached) / len(reached) + 1e-9)


def merge_notes(stored: Note | None, filed: Note | None) -> Note | None:
    """Staff's note set in Telegram wins, field by field, over one from a notes file."""
    if stored is None:
        return filed
    if filed is None:
        return stored
    return Note(stored.text or filed.text,
                stored.percent if stored.percent is not None else filed.percent)


def row_for(lang: str, measure: Measure, f: MeasureFigures, note: Note | None,
            campaigns: Mapping[str, Campaign]) -> Row:
    """A measure's row from its figures and staff's note (no database needed)."""
    measured: list[str] = []
    if f.outreach is not None:
        measured += outreach_prose(lang, f.outreach, campaigns)
    if f.page is not None and (on_page := page_prose(lang, f.page)):
        if measured:  # the same posts' outreach: one paragraph
            measured[-1] = f"{measured[-1]} {on_page[0]}"
        else:
            measured += on_page
    if f.complaints is not None:
        measured += complaints_prose(lang, f.complaints)
    measured += offline_prose(lang, f.offline, f.entries)
    measured += survey_prose(lang, f.surveys)
    words = [line for line in (note.text.split("\n") if note else []) if line.strip()]
    share: int | None = note.percent if note is not None else None
    source: Literal["staff", "targets"] | None = "staff" if share is not None else None
    # A percent from targets only over something measured: nothing counted is no 0%.
    if share is None and measured and (share := target_percent(measure, f)) is not None:
        source = "targets"
    return Row(measure=measure, paragraphs=tuple(measured + words), percent=share,
               percent_from=source, measured=bool(measured), noted=bool(words))


async def measure_figures(b: Backend, measure: Measure, period: stats.Period,
                          complaints: stats.ComplaintFigures | None,
                          library: surveys.SurveyLibrary | None = None) -> MeasureFigures:
    """What the statistics core (and the surveys) counted for one measure in the period."""
    links = measure.links
    outreach = None
    page = None
    if links.outreach:
        selector = stats.Selector(measures=(measure.no,) if links.measures_tag else (),
                                  campaigns=links.campaigns, kinds=links.kinds)
        outreach = await stats.outreach(b, period, selector)
        page = await stats.page_figures(b, period, selector)
    figures: stats.OfflineFigures | None = None
    entries: tuple[Activity, ...] = ()
    if links.offline:
        figures = await stats.offline_figures(b, period, (measure.no,))
        if figures.entries:
            entries = tuple(await offline.between(b, period.first, period.last, measure.no))
    answered: list[surveys.Results] = []
    if links.surveys and library is not None:
        chosen = ([s for code in links.surveys if (s := library.get(code)) is not None]
                  if isinstance(links.surveys, tuple)
                  else [s for s in library.surveys if s.measure == measure.no])
        answered = [await surveys.results(b, s, period.first, period.last) for s in chosen]
    return MeasureFigures(outreach=outreach, page=page,
                          complaints=complaints if links.complaints else None,
                          offline=figures, entries=entries, surveys=tuple(answered))


def campaigns_of(plans: Plans) -> dict[str, Campaign]:
    """The campaigns' names (codes stand for themselves if campaigns.yaml is broken)."""
    path = plans.root.parent / "campaigns.yaml"
    try:
        return parse_campaigns(path, path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ContentError):
        return {}


def plan_for(plans: Plans, year: int) -> Plan:
    """The year's plan, or `PlanMissing` with the problems that keep it from loading."""
    plan = plans.plans.get(year)
    if plan is None:
        raise PlanMissing(year, plans.errors_for(year))
    return plan


async def compose(b: Backend, plans: Plans, year: int, half: int | None, now: dt.datetime,
                  lang: str = "mn") -> Report:
    """The whole report for a year (half 1: the half-year report; 2 or None: year-end)."""
    plan = plan_for(plans, year)
    key = report_key(half)
    period = stats.Period.report(year, key)
    stored = await offline.notes(b, year, key)
    filed = plans.file_notes(year, key)
    complaints = None
    if any(m.links.complaints for m in plan.measures):
        complaints = await stats.complaint_figures(b, period, now)
    campaigns = campaigns_of(plans)
    library = None
    if any(m.links.surveys for m in plan.measures):
        library = surveys.load_surveys(plans.root.parent)
    blocks = []
    for goal in plan.goals:
        rows = []
        for measure in goal.measures:
            figures = await measure_figures(b, measure, period, complaints, library)
            note = merge_notes(stored.get(measure.no), filed.get(measure.no))
            rows.append(row_for(lang, measure, figures, note, campaigns))
        blocks.append(GoalRows(goal=goal, rows=tuple(rows)))
    return Report(year=year, key=key,
                  title=plan.half_title if key == HALF_YEAR else plan.title,
                  made_on=b.local_date(now), place=plan.place, goals=tuple(blocks),
                  signers=plans.signers_for(plan) or _blank_signers(),
                  first=period.first, last=period.last)


def _blank_signers() -> tuple[Signer, ...]:
    """Three lines to fill by hand when no signers are configured."""
    return tuple(Signer(role=role, position="") for role in SIGNER_ROLES)
