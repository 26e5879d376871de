"""A sheet per survey in the export: shares per question, then the cross-tabs.

Rows come from `bot.core.surveys.results`, which has already hidden every group and cell
under 5 people; those read "< 5" here too. Free-text answers are not exported: they are
read apart in Telegram, never beside anyone's age band or employment.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.core.surveys import PREFER_NOT, Question, Results
from bot.export.sheets import Cell, Sheet
from bot.i18n import t

COLUMNS = ("number", "question", "answer", "people", "answered", "percent")


def _label(question: Question, choice: str, lang: str) -> str:
    if choice == PREFER_NOT:
        return t(lang, "survey.prefer_not_plain")
    option = question.option(choice)
    return option.label(lang) if option is not None else choice


def _rows(results: Results, lang: str) -> Iterator[Sequence[Cell]]:
    survey = results.survey
    yield (None, t(lang, "export.survey.responses"), None, results.responses, None, None)
    for channel, count in sorted(results.by_channel.items()):
        yield (None, t(lang, "export.survey.channel"), channel, count, None, None)
    for number, question in enumerate(survey.questions, start=1):
        shares = results.questions.get(question.id)
        if shares is None:
            continue
        for choice, share in shares.items():
            yield (number, question.prompt(lang), _label(question, choice, lang), share.count,
                   share.base, round(share.percent, 1))
    for group_id, table in results.crosstabs.items():
        group_q = survey.question(group_id)
        if group_q is None:
            continue
        for group, cells in table.items():
            by = t(lang, "export.survey.by", question=group_q.prompt(lang),
                   group=_label(group_q, group, lang))
            for other_id, choices in cells.items():
                other = survey.question(other_id)
                if other is None:
                    continue
                for choice, n in choices.items():
                    yield (by, other.prompt(lang), _label(other, choice, lang),
                           "< 5" if n is None else n, None, None)


def survey_sheets(all_results: Sequence[Results], lang: str) -> list[Sheet]:
    """One sheet for each survey anyone answered in the period."""
    header = tuple(t(lang, f"export.col.survey.{c}") for c in COLUMNS)
    return [Sheet(f"survey-{r.survey.id}", t(lang, "export.sheet.survey",
                                            title=r.survey.heading(lang)), header,
                  _rows(r, lang))
            for r in all_results if r.responses]
