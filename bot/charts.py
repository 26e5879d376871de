"""Charts of the statistics as PNG images, readable on a phone (1080 px wide, large type).

matplotlib with the Agg renderer, through its object API only (`Figure`, no pyplot), so
charts can be drawn in a worker thread without global state; sizes and the font are set
on each element rather than in `rcParams`, which other threads share. DejaVu Sans (bundled
with matplotlib) has the Mongolian Cyrillic letters, Өө and Үү included. Labels come from
the catalogs (`stats.chart.*`, month names `stats.month.*`).

Only what was measured is drawn: deliveries (accepted by Telegram), once-per-person marks,
subscribers, complaints received; never views.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import Literal

import matplotlib

matplotlib.use("Agg")  # before anything else of matplotlib: no display, PNG only

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.core.stats import Monthly, Period
from bot.i18n import t

WIDTH_PX = 1080
DPI = 100
FONT = "DejaVu Sans"
TITLE_SIZE = 34
LABEL_SIZE = 24
VALUE_SIZE = 20
TICK_SIZE = 22
NOTE_SIZE = 19
NOTE_CHARS = 64  # of NOTE_SIZE text across 1080 px, with margins
# Colour-blind-safe (Okabe–Ito), dark enough for a phone in daylight.
BLUE, ORANGE, GREEN, PURPLE, GREY, SKY = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#555555", "#56B4E9")
KIND_COLOURS = {"complaint": ORANGE, "suggestion": GREEN, "report": PURPLE}
SOURCES_SHOWN = 10
MONTHS_NAMED = 12  # month labels that fit across the chart


def _figure(height_px: int) -> Figure:
    return Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, facecolor="white")


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def _style(ax: Axes, *, grid_axis: Literal["x", "y"] = "y") -> None:
    """Large ticks in DejaVu Sans, no chart junk, a light grid to read values against."""
    ax.tick_params(labelsize=TICK_SIZE, length=0, pad=8)
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontfamily(FONT)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid_axis, color="#dddddd", linewidth=1)
    ax.set_axisbelow(True)


def _title(ax: Axes, text: str, *, legend_rows: int = 0) -> None:
    """The axes' title at its left; a legend, if any, sits between it and the bars."""
    ax.set_title(text, fontsize=TITLE_SIZE, fontfamily=FONT, loc="left",
                 pad=24 + 44 * legend_rows, fontweight="bold")


def _header(fig: Figure, period: Period) -> None:
    """The period, small and grey, above everything (titles stay short enough to fit)."""
    fig.text(0.015, 0.995, f"{period.first:%Y.%m.%d} – {period.last:%Y.%m.%d}", ha="left",
             va="top", fontsize=LABEL_SIZE, fontfamily=FONT, color=GREY)


def _footnote(fig: Figure, text: str) -> None:
    """What the figures mean, at the foot, wrapped to the width."""
    fig.text(0.015, 0.005, "\n".join(textwrap.wrap(text, NOTE_CHARS)), ha="left", va="bottom",
             fontsize=NOTE_SIZE, fontfamily=FONT, color=GREY)


def month_labels(months: Sequence[Period], lang: str) -> list[str]:
    """Short month names; the year under the first month and under each January.

    Beyond a year of months, only every second (third …) month is named, so that the
    labels never run into each other.
    """
    several_years = months[0].first.year != months[-1].first.year
    step = -(-len(months) // MONTHS_NAMED)
    labels = []
    for i, m in enumerate(months):
        if i % step:
            labels.append("")
            continue
        label = t(lang, f"stats.month.{m.first.month}")
        if several_years and (i < step or m.first.month <= step):
            label += f"\n{m.first.year}"
        labels.append(label)
    return labels


def _bar_values(ax: Axes, xs: Sequence[float], heights: Sequence[int]) -> None:
    """Each bar's number above it (zeros stay blank: they are the axis)."""
    lift = max(heights, default=0) * 0.015
    size = VALUE_SIZE if len(xs) <= 8 else VALUE_SIZE - 3  # a year's twelve numbers fit
    for x, h in zip(xs, heights, strict=True):
        if h:
            ax.text(x, h + lift, f"{h}", ha="center", va="bottom", fontsize=size,
                    fontfamily=FONT)


def _legend(ax: Axes, columns: int) -> None:
    """Above the bars, under the title: month labels below may take two or three lines."""
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=columns, frameon=False,
              prop={"family": FONT, "size": LABEL_SIZE}, handlelength=1.2, columnspacing=1.4,
              borderaxespad=0.2, borderpad=0)


def _headroom(ax: Axes, highest: int) -> None:
    """Room above the highest bar for its number; an empty chart still has a scale."""
    ax.set_ylim(0, max(highest, 1) * 1.18)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))


def reach_chart(m: Monthly, lang: str) -> bytes:
    """Deliveries by month above; useful presses, shares, pledges and new subscribers below."""
    fig = _figure(1350)
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.15]})
    xs = list(range(len(m.months)))
    labels = month_labels(m.months, lang)
    period = Period(m.months[0].first, m.months[-1].last)

    top.bar(xs, m.deliveries, color=BLUE, width=0.7)
    _bar_values(top, xs, m.deliveries)
    _headroom(top, max(m.deliveries, default=0))
    _title(top, t(lang, "stats.chart.deliveries"))
    top.set_xticks(xs, labels)
    _style(top)

    series = [(m.useful, t(lang, "stats.chart.useful"), GREEN),
              (m.shares, t(lang, "stats.chart.shares"), SKY),
              (m.pledges, t(lang, "stats.chart.pledges"), ORANGE),
              (m.joined, t(lang, "stats.chart.joined"), PURPLE)]
    width = 0.8 / len(series)
    for i, (values, name, colour) in enumerate(series):
        offsets = [x - 0.4 + width * (i + 0.5) for x in xs]
        bottom.bar(offsets, values, width=width * 0.92, color=colour, label=name)
        if len(xs) <= 6:  # numbers over grouped bars only while they have room
            _bar_values(bottom, offsets, values)
    _headroom(bottom, max((v for values, _, _ in series for v in values), default=0))
    _title(bottom, t(lang, "stats.chart.reactions"), legend_rows=2)
    bottom.set_xticks(xs, labels)
    _style(bottom)
    _legend(bottom, columns=2)
    _header(fig, period)
    _footnote(fig, t(lang, "stats.chart.reach_note"))
    fig.tight_layout(rect=(0, 0.05, 1, 0.97), h_pad=3)
    return _png(fig)


def complaints_chart(m: Monthly, lang: str) -> bytes:
    """Complaints, suggestions and reports received by month, stacked, with totals."""
    fig = _figure(1080)
    ax = fig.subplots()
    xs = list(range(len(m.months)))
    period = Period(m.months[0].first, m.months[-1].last)
    stacked = [0] * len(xs)
    for kind, values in m.complaints.items():
        ax.bar(xs, values, bottom=stacked, width=0.7, color=KIND_COLOURS.get(kind, GREY),
               label=t(lang, f"kind.{kind}"))
        stacked = [a + b for a, b in zip(stacked, values, strict=True)]
    _bar_values(ax, xs, stacked)
    _headroom(ax, max(stacked, default=0))
    _title(ax, t(lang, "stats.chart.complaints"), legend_rows=1)
    ax.set_xticks(xs, month_labels(m.months, lang))
    _style(ax)
    _legend(ax, columns=3)
    _header(fig, period)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return _png(fig)


def sources_chart(sources: dict[str, int], period: Period, lang: str) -> bytes:
    """People who first arrived through each named source (QR code, deep link), most first."""
    shown = sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))[:SOURCES_SHOWN]
    rows = max(len(shown), 1)
    fig = _figure(max(700, 260 + 110 * rows))
    ax = fig.subplots()
    names = [_two_lines(name, 22) for name, _ in shown]
    values = [n for _, n in shown]
    ys = list(range(len(shown)))[::-1]
    ax.barh(ys, values, color=BLUE, height=0.65)
    highest = max(values, default=0)
    for y, v in zip(ys, values, strict=True):
        ax.text(v + max(highest, 1) * 0.015, y, f"{v}", va="center", fontsize=VALUE_SIZE,
                fontfamily=FONT)
    ax.set_xlim(0, max(highest, 1) * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.set_yticks(ys, names)
    # The names take the left of the figure: the title starts at the figure's edge instead.
    top = 1 - 150 / fig.get_figheight() / DPI
    fig.text(0.015, top + 60 / fig.get_figheight() / DPI, t(lang, "stats.chart.sources"),
             fontsize=TITLE_SIZE, fontfamily=FONT, fontweight="bold", ha="left", va="bottom")
    _style(ax, grid_axis="x")
    _header(fig, period)
    _footnote(fig, t(lang, "stats.chart.sources_note"))
    fig.tight_layout(rect=(0, 0.06, 1, top))
    return _png(fig)


def _two_lines(name: str, width: int) -> str:
    """A label in at most two lines of `width` characters, cut with an ellipsis."""
    lines = textwrap.wrap(name, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    return "\n".join(lines)


def all_charts(m: Monthly, sources: dict[str, int], lang: str) -> list[tuple[str, bytes]]:
    """(file name, PNG) of every chart that has something to show."""
    period = Period(m.months[0].first, m.months[-1].last)
    found = []
    if any(m.deliveries) or any(m.useful) or any(m.shares) or any(m.pledges) or any(m.joined):
        found.append(("reach.png", reach_chart(m, lang)))
    if any(v for values in m.complaints.values() for v in values):
        found.append(("complaints.png", complaints_chart(m, lang)))
    if any(sources.values()):
        found.append(("sources.png", sources_chart(sources, period, lang)))
    return found
