"""A survey's results as PNG images: one horizontal bar chart per question, for a phone.

Same conventions as `bot/charts.py` (Agg, the object API, DejaVu Sans for Mongolian
Cyrillic, 1080 px wide); shares are of the people who answered that question, and the
base is printed under each chart.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from bot.core.surveys import PREFER_NOT, Question, Results
from bot.i18n import t

WIDTH_PX, DPI, FONT = 1080, 100, "DejaVu Sans"
BLUE, GREY = "#0072B2", "#555555"


def _label(question: Question, choice: str, lang: str) -> str:
    if choice == PREFER_NOT:
        return t(lang, "survey.prefer_not_plain")  # DejaVu Sans has no emoji
    option = question.option(choice)
    return option.label(lang) if option is not None else choice


def question_chart(results: Results, question: Question, lang: str) -> bytes:
    """Shares of each answer to one question, largest first."""
    shares = results.questions[question.id]
    rows = sorted(shares.items(), key=lambda kv: -kv[1].count)
    base = next(iter(shares.values())).base if shares else 0
    fig = Figure(figsize=(WIDTH_PX / DPI, max(6.0, 2.4 + 0.95 * len(rows))), dpi=DPI,
                 facecolor="white")
    ax = fig.subplots()
    names = ["\n".join(textwrap.wrap(_label(question, c, lang), 24)[:2]) for c, _ in rows]
    values = [s.percent for _, s in rows]
    ys = list(range(len(rows)))[::-1]
    ax.barh(ys, values, color=BLUE, height=0.65)
    for y, (_, share) in zip(ys, rows, strict=True):
        ax.text(share.percent + 1.5, y, f"{share.percent:.1f}% ({share.count})", va="center",
                fontsize=20, fontfamily=FONT)
    ax.set_xlim(0, 118)
    ax.set_yticks(ys, names)
    ax.tick_params(labelsize=22, length=0)
    for label in ax.get_yticklabels():
        label.set_fontfamily(FONT)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    fig.suptitle("\n".join(textwrap.wrap(question.prompt(lang), 40)[:3]), fontsize=26,
                 fontfamily=FONT, fontweight="bold", x=0.015, ha="left")
    fig.text(0.015, 0.01, t(lang, "survey.chart_base", n=base), fontsize=19, fontfamily=FONT,
             color=GREY)
    fig.tight_layout(rect=(0, 0.05, 1, 0.88))
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def survey_charts(results: Results, lang: str, limit: int = 10) -> list[tuple[str, bytes]]:
    """(file name, PNG) for each choice or scale question with answers (at most `limit`)."""
    found = []
    for question in results.survey.questions:
        shares = results.questions.get(question.id)
        if not shares or not any(s.count for s in shares.values()):
            continue
        found.append((f"{question.id}.png", question_chart(results, question, lang)))
    return found[:limit]
