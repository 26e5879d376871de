"""The export's sheets as rows, independent of the file format (XLSX or CSV).

Every detail sheet is one query streamed row by row from a read-only snapshot
(`bot.storage.export_queries`); the summary sheet walks the statistics' `Summary` and says,
for each figure, which sheet and which rows it counts.

Complaint rows are number, kind, organization, channel, dates, status and timeliness —
nothing else: no text, no reason, no name or phone, no receipt, no Telegram id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.stats import Period
from bot.i18n import catalog, t
from bot.storage import export_queries as eq
from bot.storage import page_queries as pq

Cell = str | int | float | dt.date | dt.datetime | None
SHEETS = ("summary", "posts", "page", "campaigns", "sources", "complaints", "deadlines",
          "offline")
COLUMNS: dict[str, tuple[str, ...]] = {
    "summary": ("section", "figure", "value", "counted"),
    "posts": ("broadcast", "post", "title", "kind", "campaign", "measure", "audience",
              "started", "total", "delivered", "failed", "skipped", "useful", "shares",
              "chats", "members", "reactions", "page"),
    "page": ("broadcast", "post", "title", "kind", "campaign", "measure", "status",
             "published", "link", "form", "note", "read", "views", "reactions", "comments",
             "shares"),
    "campaigns": ("code", "name", "posts", "broadcasts", "deliveries", "pledges"),
    "sources": ("name", "code", "link", "people", "telegram", "messenger"),
    "complaints": ("number", "kind", "org", "channel", "received", "due", "extended",
                   "status", "answered", "days", "on_time"),
    "deadlines": ("number", "kind", "org", "channel", "received", "due", "extended", "status",
                  "days_left", "overdue"),
    "offline": ("number", "date", "measure", "kind", "title", "times", "people", "place",
                "note", "source"),
}
# Column widths in characters (XLSX only), so a printed sheet is readable.
WIDTHS: dict[str, tuple[int, ...]] = {
    "summary": (18, 44, 12, 70),
    "posts": (10, 10, 40, 14, 30, 12, 14, 18, 10, 11, 11, 10, 11, 11, 10, 12, 10, 44),
    "page": (10, 10, 40, 14, 30, 12, 16, 18, 44, 12, 30, 18, 14, 10, 12, 12),
    "campaigns": (16, 44, 10, 10, 12, 12),
    "sources": (40, 14, 44, 12, 12, 12),
    "complaints": (9, 18, 34, 11, 13, 13, 10, 24, 13, 12, 12),
    "deadlines": (9, 18, 34, 11, 13, 13, 10, 18, 12, 12),
    "offline": (7, 12, 11, 14, 40, 8, 9, 24, 40, 14),
}


@dataclass(frozen=True)
class Names:
    """How codes read in the export: organizations, campaigns, the bot's link."""

    org: Callable[[str], str | None] = lambda code: None
    campaigns: Mapping[str, str] = field(default_factory=dict)  # code → name
    bot_username: str | None = None

    def campaign(self, code: str | None) -> str | None:
        """A campaign's name, or its code if it left campaigns.yaml."""
        return None if code is None else self.campaigns.get(code, code)


@dataclass(frozen=True)
class Span:
    """The export's period in the office's time zone."""

    period: Period
    tz: ZoneInfo

    @property
    def first(self) -> dt.date:
        """The first local day."""
        return self.period.first

    @property
    def last(self) -> dt.date:
        """The last local day (inclusive)."""
        return self.period.last

    @property
    def since(self) -> str:
        """The first day's local midnight in UTC, as /stats bounds broadcasts."""
        return self.period.utc_bounds(self.tz)[0]

    @property
    def until(self) -> str:
        """The local midnight after the last day, in UTC."""
        return self.period.utc_bounds(self.tz)[1]


@dataclass
class Sheet:
    """One sheet: its key (the CSV file's name), its title, its header and its rows."""

    key: str
    title: str
    header: tuple[str, ...]
    rows: Iterator[Sequence[Cell]]


class Builder:
    """Makes every sheet of one export over one snapshot."""

    def __init__(self, conn: sqlite3.Connection, span: Span, now: dt.datetime, lang: str,
                 names: Names) -> None:
        self.conn, self.span, self.lang, self.names = conn, span, lang, names
        self.today = now.astimezone(span.tz).date()
        self._broadcasts: list[tuple[Any, ...]] | None = None

    # -- helpers ---------------------------------------------------------------------
    def sheet(self, key: str, rows: Iterator[Sequence[Cell]]) -> Sheet:
        """A sheet with its title and header in the export's language."""
        header = tuple(t(self.lang, f"export.col.{key}.{c}") for c in COLUMNS[key])
        return Sheet(key, t(self.lang, f"export.sheet.{key}"), header, rows)

    def yes_no(self, value: bool) -> str:
        """Тийм / үгүй."""
        return t(self.lang, "export.yes") if value else t(self.lang, "export.no")

    def word(self, key: str, fallback: str) -> str:
        """A catalog text that may be missing (a code the catalogs do not know yet)."""
        return catalog(self.lang).get(key) or catalog("mn").get(key) or fallback

    def org(self, code: str | None) -> str:
        """An organization's name, "not sure", or the code of one that left the list."""
        if code is None:
            return t(self.lang, "export.no_org")
        return self.names.org(code) or code

    def complaint_kind(self, kind: str) -> str:
        """гомдол / санал / авлигын мэдээлэл."""
        return self.word(f"kind.{kind}", kind)

    def status(self, status: str) -> str:
        """A case status's name."""
        return self.word(f"status.{status}", status)

    def post_kind(self, kind: str) -> str:
        """A post kind's name (poster, video …)."""
        return self.word(f"export.post_kind.{kind}", kind)

    def offline_kind(self, kind: str) -> str:
        """An offline activity kind's name (training, radio …)."""
        return self.word(f"log.kind.{kind}", kind)

    def link(self, code: str) -> str:
        """A source's deep link (just its start payload if the bot's name is unknown)."""
        if self.names.bot_username:
            return f"https://t.me/{self.names.bot_username}?start={code}"
        return f"?start={code}"

    # -- outreach --------------------------------------------------------------------
    def broadcasts(self) -> list[tuple[Any, ...]]:
        """The period's broadcasts (few: hundreds a year), aggregated from the outbox once."""
        if self._broadcasts is None:
            self._broadcasts = list(eq.broadcasts(self.conn, self.span.since, self.span.until))
        return self._broadcasts

    def _post_marks(self) -> tuple[dict[str, int], dict[str, int]]:
        first, last = self.span.first.isoformat(), self.span.last.isoformat()
        return (eq.marks_by_scope(self.conn, "useful", first, last),
                eq.marks_by_scope(self.conn, "share", first, last))

    def posts(self) -> Iterator[Sequence[Cell]]:
        """One row per broadcast started in the period; then earlier posts pressed in it.

        Useful presses and shares count once per person per post, on the day pressed (as
        /stats counts them), whichever broadcast the person saw: they are on the post's first
        row (a later broadcast of the same post shows 0), so each column sums to its total.
        A post sent before the period has a row without a broadcast number, for its presses.
        """
        useful, shares = self._post_marks()
        on_page = pq.fb_posts_of_broadcasts(self.conn, self.span.since, self.span.until)
        seen: set[int] = set()
        for (bid, post_id, title, content_id, kind, campaign, measure, audience, started,
             total, sent, failed, skipped, chats, members, reactions) in self.broadcasts():
            first_of_post = post_id not in seen
            seen.add(post_id)
            yield (bid, *self._post_columns(post_id, title, content_id, kind, campaign,
                                            measure, audience),
                   _local(started, self.span.tz), total, sent, failed, skipped,
                   useful.get(str(post_id), 0) if first_of_post else 0,
                   shares.get(str(post_id), 0) if first_of_post else 0,
                   chats, members, reactions,
                   _fb_link(on_page[bid]) if bid in on_page else None)
        earlier = sorted({int(s) for s in (*useful, *shares) if s.isdigit()} - seen)
        for (post_id, title, content_id, kind, campaign, measure,
             audience) in eq.posts(self.conn, earlier):
            yield (None, *self._post_columns(post_id, title, content_id, kind, campaign,
                                             measure, audience),
                   None, None, None, None, None, useful.get(str(post_id), 0),
                   shares.get(str(post_id), 0), None, None, None, None)

    def page(self) -> Iterator[Sequence[Cell]]:
        """One row per run of the period that went (or was to go) to the Facebook Page.

        Views, reactions, comments and shares are Facebook's latest figures, as Facebook
        reported them on the day in «read»; a Page Facebook gives no insights to (under
        100 likes) has no view count, said in words, never a number made up.
        """
        for (_row, bid, post_id, title, content_id, kind, campaign, measure, status,
             published, fb_post_id, form, note, _error, read_at, views, reactions, comments,
             shares) in pq.rows_published(self.conn, self.span.since, self.span.until):
            read = read_at is not None
            yield (bid, post_id, title or content_id or f"#{post_id}", self.post_kind(kind),
                   self.names.campaign(campaign), measure,
                   self.word(f"export.page_status.{status}", status),
                   _local(published, self.span.tz), _fb_link(fb_post_id) if fb_post_id else None,
                   self.word(f"export.page_form.{form}", form) if form else None,
                   self.word(f"export.page_note.{note}", note) if note else None,
                   _local(read_at, self.span.tz),
                   (views if views is not None else t(self.lang, "export.page_no_views"))
                   if read else None,
                   reactions, comments, shares)

    def _post_columns(self, post_id: int, title: str | None, content_id: str | None,
                      kind: str, campaign: str | None, measure: str | None, audience: str
                      ) -> tuple[Cell, ...]:
        return (post_id, title or content_id or f"#{post_id}", self.post_kind(kind),
                self.names.campaign(campaign), measure,
                self.word(f"export.audience.{audience}", audience))

    def campaigns(self) -> Iterator[Sequence[Cell]]:
        """Per campaign: posts and broadcasts in the period, deliveries, pledges."""
        first, last = self.span.first.isoformat(), self.span.last.isoformat()
        pledges = eq.marks_by_scope(self.conn, "pledge", first, last)
        posts: dict[str, set[int]] = {}
        runs: dict[str, int] = {}
        deliveries: dict[str, int] = {}
        for row in self.broadcasts():
            code = row[5]
            if code is None:
                continue
            posts.setdefault(code, set()).add(row[1])
            runs[code] = runs.get(code, 0) + 1
            deliveries[code] = deliveries.get(code, 0) + row[10]
        codes = list(self.names.campaigns)
        codes += sorted((set(posts) | set(pledges)) - set(codes))
        for code in codes:
            yield (code, self.names.campaign(code), len(posts.get(code, ())), runs.get(code, 0),
                   deliveries.get(code, 0), pledges.get(code, 0))

    def sources(self) -> Iterator[Sequence[Cell]]:
        """Every named source, with the people who first arrived through it in the period."""
        first, last = self.span.first.isoformat(), self.span.last.isoformat()
        people = eq.marks_by_scope(self.conn, "source", first, last)
        by_channel = pq.arrivals_by_channel(self.conn, first, last)
        for code, name in eq.sources(self.conn):
            yield (name, code, self.link(code), people.get(code, 0),
                   by_channel.get((code, "telegram"), 0), by_channel.get((code, "messenger"), 0))

    # -- complaints ------------------------------------------------------------------
    def complaints(self) -> Iterator[Sequence[Cell]]:
        """One row per complaint received in the period; no content, no identity."""
        for (number, kind, org, channel, received, due, extended, status,
             answered) in eq.complaints(self.conn, self.span.first.isoformat(),
                                        self.span.last.isoformat()):
            received_on, due_on = dt.date.fromisoformat(received), dt.date.fromisoformat(due)
            answered_on = dt.date.fromisoformat(answered) if answered else None
            days = (answered_on - received_on).days if answered_on else None
            on_time = None if answered_on is None else self.yes_no(answered_on <= due_on)
            yield (number, self.complaint_kind(kind), self.org(org), channel, received_on,
                   due_on, self.yes_no(bool(extended)), self.status(status), answered_on,
                   days, on_time)

    def deadlines(self) -> Iterator[Sequence[Cell]]:
        """Open cases now, nearest deadline first; a negative "days left" is overdue."""
        for (number, kind, org, channel, received, due, extended, status,
             _answered) in eq.open_complaints(self.conn):
            due_on = dt.date.fromisoformat(due)
            left = (due_on - self.today).days
            yield (number, self.complaint_kind(kind), self.org(org), channel,
                   dt.date.fromisoformat(received), due_on, self.yes_no(bool(extended)),
                   self.status(status), left, self.yes_no(left < 0))

    # -- offline ---------------------------------------------------------------------
    def offline(self) -> Iterator[Sequence[Cell]]:
        """The offline work staff recorded for the period (withdrawn entries left out)."""
        for (number, day, measure, kind, title, times, people, place, note,
             source) in eq.activities(self.conn, self.span.first.isoformat(),
                                      self.span.last.isoformat()):
            yield (number, dt.date.fromisoformat(day), measure, self.offline_kind(kind), title,
                   times, people, place, note,
                   self.word(f"export.source.{source}", source))

    # -- every sheet -----------------------------------------------------------------
    def details(self) -> list[Sheet]:
        """The detail sheets, in the workbook's order.

        The Facebook Page's sheet is there once the office has published on its Page (an
        office without Facebook gets no empty sheet).
        """
        return [self.sheet(key, getattr(self, key)()) for key in SHEETS[1:]
                if key != "page" or pq.any_page_posts(self.conn)]


def _fb_link(post_id: str) -> str:
    """A Page post on Facebook."""
    return f"https://www.facebook.com/{post_id}"


def _local(stamp: str | None, tz: ZoneInfo) -> dt.datetime | None:
    """A stored UTC time as the office's wall-clock time (Excel keeps no zones)."""
    if not stamp:
        return None
    return dt.datetime.fromisoformat(stamp).astimezone(tz).replace(tzinfo=None)


# -- the summary --------------------------------------------------------------------------
SECTIONS = ("outreach", "audience", "complaints", "offline", "page", "channels")


def summary_rows(summary: Any, b: Builder) -> Iterator[Sequence[Cell]]:
    """Every figure of `summary` (`bot.core.stats.Summary`): section, label, value, tracing.

    Mappings (by kind, by organization …) give a row per key; a key's value that is itself
    several figures (offline work by kind: entries, times, people) gives a row for each. A
    figure this export has no words for yet still appears, under its field name, so nothing
    the statistics count is left out.
    """
    lang = b.lang
    for section in SECTIONS:
        figures = getattr(summary, section, None)
        if figures is None:
            continue
        heading = t(lang, f"export.section.{section}")
        for f in dataclasses.fields(figures):
            value = getattr(figures, f.name)
            key = f"{section}.{f.name}"
            label = b.word(f"export.figure.{key}", f.name)
            trace = b.word(f"export.trace.{key}", "")
            if not isinstance(value, Mapping):
                yield heading, label, _number(value), trace
                continue
            for item, count in _items(value):
                name = _item_name(b, key, item)
                note = trace.replace("{item}", name)
                if isinstance(count, tuple | list):
                    parts = PARTS.get(key, ())
                    for index, part in enumerate(count):
                        part_label = (b.word(f"export.figure.{section}.{parts[index]}",
                                              parts[index]) if index < len(parts) else "")
                        yield heading, f"{label}: {name} — {part_label}", _number(part), note
                else:
                    yield heading, f"{label}: {name}", _number(count), note


# What the figures inside a tuple value are, by their section's own field names.
PARTS = {"offline.by_kind": ("entries", "times", "people")}


def _items(value: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """Largest first, then by name (the statistics' own order may differ by source)."""
    return sorted(value.items(), key=lambda kv: (-_sortable(kv[1]), str(kv[0])))


def _sortable(value: Any) -> float:
    if isinstance(value, tuple | list) and value:
        value = value[0]
    return float(value) if isinstance(value, int | float) else 0.0


def _number(value: Any) -> Cell:
    """A figure as a cell: 45.0 days reads 45, in the sheet and in the CSV alike."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float | str) or value is None:
        return value
    return str(value)


def _item_name(b: Builder, key: str, item: Any) -> str:
    """A mapping key as people read it: a kind's name, an organization's name, …."""
    raw = "" if item is None else str(item)
    if key == "outreach.by_kind":
        return b.post_kind(raw)
    if key == "outreach.by_campaign":
        return b.names.campaign(raw) or t(b.lang, "export.no_campaign")
    if key == "complaints.by_kind":
        return b.complaint_kind(raw)
    if key == "complaints.by_status":
        return b.status(raw)
    if key == "complaints.by_org":
        return b.org(raw or None)
    if key == "offline.by_kind":
        return b.offline_kind(raw)
    if key == "audience.left_by_reason":
        return b.word(f"export.left.{raw}", raw)
    if key == "outreach.deliveries_by_kind":
        return b.word(f"export.recipient.{raw}", raw)
    if key.startswith("channels.") or key == "complaints.by_channel":
        return b.word(f"export.channel.{raw}", raw)
    return raw

