"""Surveys in Messenger: the core's surveys (`bot.core.surveys`), one question a message.

The question and its options are written in the message (numbered, in full); the options
are quick replies ("2. Төрийн албан…", cut to 20 characters), with "prefer not to say",
back, skip and pause, at most 13; a number typed answers too. A multiple choice shows
its ticks again after each tap (Messenger cannot edit a message), kept in the core's
draft. The answers wait in that draft (a restart loses nothing) and are stored without
the person when the last question is answered. After a handled case the status view
offers the case rating, bound to the person and case by a tag.

Payloads (``<sid>`` a survey id, or ``<id>.<case>`` for a case rating):
``SV`` the open surveys, ``SV:go:<sid>[:<tag>]``, ``SV:a:<sid>:<q>:<o>`` (``o`` 99:
prefer not to say), ``SV:m:<sid>:<q>:<o>`` tick, ``SV:d:<sid>:<q>`` done,
``SV:s:<sid>:<q>`` skip, ``SV:b:<sid>`` back, ``SV:x:<sid>`` pause.
"""

from __future__ import annotations

import logging
import re

from bot.core import surveys
from bot.core.models import Citizen, CitizenView, Status
from bot.core.surveys import PREFER_NOT, Step, Survey, SurveyError
from bot.messenger.chat import Turn, menu, title
from bot.messenger.graph import QUICK_REPLIES_MAX, PostbackButton, QuickReply
from bot.tg.common import esc

log = logging.getLogger(__name__)

FLOW = "survey"
PREFER_NOT_INDEX = 99
TICK = "✅ "
_SID = r"[a-z0-9][a-z0-9-]{0,39}(?:\.\d{1,10})?"
PAYLOAD = re.compile(rf"^SV:(go|a|m|d|s|b|x):({_SID})(?::(\d{{1,2}}))?(?::(\d{{1,2}}))?"
                     r"(?::([A-Za-z0-9_-]{10}))?$")


def _who(turn: Turn, sid: str) -> Citizen:
    """Who answers: the person, or for a case rating the person for that case only."""
    _, _, case = sid.partition(".")
    return Citizen(turn.who.channel, f"{turn.who.user_ref}/case{case}") if case else turn.who


def _survey(turn: Turn, sid: str) -> Survey | None:
    return turn.env.services.surveys.get(sid.partition(".")[0])


def rating_button(turn: Turn, view: CitizenView) -> PostbackButton | None:
    """The "rate how it was handled" button for a handled case, if a rating is open."""
    survey = turn.env.services.surveys.case_rating()
    if view.status not in (Status.ANSWERED, Status.CLOSED) or survey is None or \
            not survey.is_open(turn.env.backend.local_date(turn.now)):
        return None
    tag = turn.env.backend.vault.tag("rate", view.complaint_id, turn.psid)
    return turn.postback("survey.rate_case", f"SV:go:{survey.id}.{view.complaint_id}:{tag}")


async def choose(turn: Turn) -> None:
    """The surveys open now, as quick replies (or: none is open)."""
    open_now = turn.env.services.surveys.open_now(turn.env.backend.local_date(turn.now))
    if not open_now:
        await turn.text(turn.t("survey.none_open"), menu(turn.lang))
        return
    listed = "\n".join(f"• {s.heading(turn.lang)}" for s in open_now)
    await turn.text(f"{turn.t('survey.choose')}\n{listed}",
                    [QuickReply(title(s.heading(turn.lang)), f"SV:go:{s.id}")
                     for s in open_now[:QUICK_REPLIES_MAX]])


def _question(turn: Turn, sid: str, step: Step, ticked: list[str]) -> tuple[str, list[QuickReply]]:
    question = step.question
    if question is None:
        raise ValueError("no question to show")
    qi = step.survey.questions.index(question)
    lang = turn.lang
    lines = [f"{step.number} / {step.total}", question.prompt(lang)]
    quick: list[QuickReply] = []
    if question.type in ("single", "multiple"):
        verb = "m" if question.type == "multiple" else "a"
        for i, option in enumerate(question.options):
            mark = TICK if option.code in ticked else ""
            lines.append(f"{mark}{i + 1}. {option.label(lang)}")
            quick.append(QuickReply(title(f"{mark}{i + 1}. {option.label(lang)}"),
                                    f"SV:{verb}:{sid}:{qi}:{i}"))
        if question.type == "multiple":
            lines.append(turn.t("survey.pick_any"))
            quick.append(turn.quick("survey.done", f"SV:d:{sid}:{qi}"))
    elif question.type == "scale":
        quick += [QuickReply(str(v), f"SV:a:{sid}:{qi}:{v - 1}") for v in range(1, 6)]
    else:
        lines.append(turn.t("survey.type_answer"))
    if question.prefer_not:
        quick.append(turn.quick("survey.prefer_not", f"SV:a:{sid}:{qi}:{PREFER_NOT_INDEX}"))
    controls = [turn.quick("survey.back", f"SV:b:{sid}"),
                turn.quick("survey.skip", f"SV:s:{sid}:{qi}"),
                turn.quick("survey.stop", f"SV:x:{sid}")]
    # The answers first; what does not fit in 13 can still be typed as its number.
    return "\n".join(lines), [*quick, *controls][:QUICK_REPLIES_MAX]


async def _show(turn: Turn, sid: str, step: Step, who: Citizen) -> None:
    """The next question, or the thanks when none is left."""
    if step.done:
        try:
            await surveys.finish(turn.env.backend, step.survey, who, turn.now)
        except SurveyError as exc:
            await turn.text(turn.t(f"survey.error.{exc}"), menu(turn.lang))
            return
        turn.person.flow = None
        await turn.text(turn.t("survey.thanks"), menu(turn.lang))
        return
    ticked: list[str] = []
    if step.question is not None and step.question.type == "multiple":
        ticked = await surveys.ticked(turn.env.backend, step.survey, who, step.question.id)
    text, quick = _question(turn, sid, step, ticked)
    turn.person.flow = FLOW
    turn.person.survey = sid
    await turn.text(text, quick)


async def begin(turn: Turn, sid: str, tag: str | None) -> None:
    """A survey chosen: its introduction and first question (or where the person was)."""
    survey = _survey(turn, sid)
    _, _, case = sid.partition(".")
    if survey is None or (case and (tag is None or not survey.after_case or
                                    not turn.env.backend.vault.check_tag(
                                        tag, "rate", int(case), turn.psid))):
        await turn.text(turn.t("error.stale_button"), menu(turn.lang))
        return
    who = _who(turn, sid)
    try:
        step = await surveys.start(turn.env.backend, survey, who, turn.now)
    except SurveyError as exc:
        await turn.text(turn.t(f"survey.error.{exc}"), menu(turn.lang))
        return
    if not step.answers:
        intro = survey.intro.get(turn.lang) or survey.intro["mn"]
        await turn.text(f"{survey.heading(turn.lang)}\n{intro}")
    await _show(turn, sid, step, who)


async def pressed(turn: Turn, payload: str) -> None:
    """An answer, a tick, "Done", skip, back or pause."""
    parsed = PAYLOAD.match(payload)
    if parsed is None:
        await turn.text(turn.t("error.stale_button"), menu(turn.lang))
        return
    action, sid, qi_text, oi_text, tag = parsed.groups()
    if action == "go":
        await begin(turn, sid, tag)
        return
    survey = _survey(turn, sid)
    if survey is None:
        await turn.text(turn.t("error.stale_button"), menu(turn.lang))
        return
    who = _who(turn, sid)
    qi = None if qi_text is None else int(qi_text)
    question = survey.questions[qi] if qi is not None and qi < len(survey.questions) else None
    oi = None if oi_text is None else int(oi_text)
    backend, now = turn.env.backend, turn.now
    try:
        if action == "x":
            turn.person.flow = None
            await turn.text(turn.t("survey.paused"), menu(turn.lang))
            return
        if action == "b":
            step = await surveys.back(backend, survey, who, now)
        elif question is None:
            raise SurveyError("bad_answer")
        elif action == "s":
            step = await surveys.skip(backend, survey, who, question.id, now)
        elif action == "m":
            if oi is None or not 0 <= oi < len(question.options):
                raise SurveyError("bad_answer")
            await surveys.toggle(backend, survey, who, question.id, question.options[oi].code,
                                 now)
            step = await surveys.current(backend, survey, who)
        elif action == "d":
            codes = await surveys.ticked(backend, survey, who, question.id)
            if not codes:
                await turn.text(turn.t("survey.pick_one"))
                step = await surveys.current(backend, survey, who)
            else:
                step = await surveys.answer(backend, survey, who, question.id, codes, now)
        else:
            step = await surveys.answer(backend, survey, who, question.id,
                                        _value(question, oi), now)
    except SurveyError as exc:
        key = "survey.error.no_draft" if str(exc) == "no_draft" else "error.stale_button"
        await turn.text(turn.t(key), menu(turn.lang))
        return
    await _show(turn, sid, step, who)


def _value(question: surveys.Question, oi: int | None) -> str:
    if oi == PREFER_NOT_INDEX and question.prefer_not:
        return PREFER_NOT
    if oi is None:
        raise SurveyError("bad_answer")
    if question.type == "scale" and 0 <= oi < 5:
        return str(oi + 1)
    if question.type == "single" and 0 <= oi < len(question.options):
        return question.options[oi].code
    raise SurveyError("bad_answer")


async def typed(turn: Turn, text: str) -> None:
    """Text while answering: a free-text answer, or an option's number."""
    sid = turn.person.survey
    survey = None if sid is None else _survey(turn, sid)
    if sid is None or survey is None:
        turn.person.flow = None
        await turn.text(turn.t("messenger.menu_hint"), menu(turn.lang))
        return
    who = _who(turn, sid)
    backend = turn.env.backend
    try:
        step = await surveys.current(backend, survey, who)
        question = step.question
        if question is None:
            await _show(turn, sid, step, who)
            return
        qi = survey.questions.index(question)
        if question.type == "text":
            step = await surveys.answer(backend, survey, who, question.id, text, turn.now)
        elif text.strip().isdigit() and question.type in ("single", "multiple", "scale"):
            number = int(text.strip())
            verb = "m" if question.type == "multiple" else "a"
            await pressed(turn, f"SV:{verb}:{sid}:{qi}:{number - 1}"
                          if 1 <= number <= 99 else "SV:?")
            return
        else:
            await turn.text(turn.t("survey.use_buttons"))
            await _show(turn, sid, step, who)
            return
    except SurveyError as exc:
        if str(exc) == "bad_answer":
            await turn.text(turn.t("survey.text_limit", limit=esc(surveys.TEXT_LIMIT)))
            return
        turn.person.flow = None
        await turn.text(turn.t(f"survey.error.{exc}"), menu(turn.lang))
        return
    await _show(turn, sid, step, who)
