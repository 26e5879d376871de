"""Surveys in Telegram: one question per message with buttons, "3 / 8", skip, back, resume.

Button data carries the survey and the question's and option's places (Telegram allows 64
bytes), so a press works after a restart too; a multiple choice's ticks wait in the draft
until "Done". The case rating's survey part is `case-rating.<case>`:
its answers are the person's for that case only, and stored without the case.

    sv:go:<survey>[:<tag>]       start or resume (a tag binds a case rating to its chat)
    sv:a:<survey>:<q>:<o>        answer option <o> of question <q> (99: prefer not to say)
    sv:m:<survey>:<q>:<o>        tick or untick an option of a multiple choice
    sv:d:<survey>:<q>            done with a multiple choice
    sv:s:<survey>:<q>            skip         sv:b:<survey>  back         sv:x:<survey>  stop
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import secrets
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.core import surveys
from bot.core.models import Citizen
from bot.core.staff import POST_ROLES
from bot.core.surveys import PREFER_NOT, Step, Survey, SurveyError
from bot.i18n import t
from bot.tg.citizen.complaint import FREE_TEXT, OTHER, PRIVATE
from bot.tg.common import (
    Ctx,
    answer_callback,
    buttons,
    citizen,
    lang_of,
    main_menu,
    menu_button,
    reply,
)

log = logging.getLogger(__name__)

FLOW = "survey"
ANSWERING = "survey_answering"
PREFER_NOT_INDEX = 99
TICK = "✅ "
# A survey; `.<case>` for a case rating; `~<form>` for a paper form staff type in.
_SID = r"[a-z0-9][a-z0-9-]{0,39}(?:\.\d{1,10}|~[0-9a-f]{8})?"
_DATA = re.compile(rf"^sv:(go|a|m|d|s|b|x):({_SID})(?::(\d{{1,2}}))?(?::(\d{{1,2}}))?"
                   r"(?::([A-Za-z0-9_-]{10}))?$")
END = -1


def _parse(data: str) -> tuple[str, str, int | None, int | None, str | None] | None:
    match = _DATA.match(data)
    if match is None:
        return None
    action, sid, qi, oi, tag = match.groups()
    return (action, sid, None if qi is None else int(qi), None if oi is None else int(oi),
            tag)


def _who(update: Update, sid: str) -> tuple[str, Citizen]:
    """The survey's id, and who answers.

    A case rating is the person's for that case; a paper form is its own respondent,
    counted with channel "paper".
    """
    survey_id, _, form = sid.partition("~")
    if form:
        return survey_id, Citizen("paper", f"{citizen(update).user_ref}/{form}")
    survey_id, _, case = sid.partition(".")
    person = citizen(update)
    if case:
        return survey_id, Citizen(person.channel, f"{person.user_ref}/case{case}")
    return survey_id, person


def _survey_id(sid: str) -> str:
    return sid.partition("~")[0].partition(".")[0]


def _paper_allowed(update: Update, ctx: Ctx, sid: str) -> bool:
    """Only staff with the right to post type in paper forms."""
    if "~" not in sid:
        return True
    user = update.effective_user
    return user is not None and ctx.svc.staff.get(user.id) in POST_ROLES


def _survey(ctx: Ctx, survey_id: str) -> Survey | None:
    return ctx.svc.surveys.get(survey_id)


# -- what the person sees ----------------------------------------------------------------
def _question_view(lang: str, sid: str, step: Step, ticked: set[int] | None = None
                   ) -> tuple[str, InlineKeyboardMarkup]:
    question = step.question
    assert question is not None
    survey = step.survey
    qi = survey.questions.index(question)
    lines = [f"<b>{step.number} / {step.total}</b>", html.escape(question.prompt(lang))]
    rows: list[list[InlineKeyboardButton]] = []
    if question.type == "single":
        rows += [[InlineKeyboardButton(o.label(lang), callback_data=f"sv:a:{sid}:{qi}:{i}")]
                 for i, o in enumerate(question.options)]
    elif question.type == "multiple":
        chosen = ticked or set()
        rows += [[InlineKeyboardButton((TICK if i in chosen else "") + o.label(lang),
                                       callback_data=f"sv:m:{sid}:{qi}:{i}")]
                 for i, o in enumerate(question.options)]
        rows.append([InlineKeyboardButton(t(lang, "survey.done"),
                                          callback_data=f"sv:d:{sid}:{qi}")])
        lines.append(t(lang, "survey.pick_any"))
    elif question.type == "scale":
        rows.append([InlineKeyboardButton(str(v), callback_data=f"sv:a:{sid}:{qi}:{v - 1}")
                     for v in range(1, 6)])
    else:
        lines.append(t(lang, "survey.type_answer"))
    if question.prefer_not:
        rows.append([InlineKeyboardButton(t(lang, "survey.prefer_not"),
                                          callback_data=f"sv:a:{sid}:{qi}:{PREFER_NOT_INDEX}")])
    rows.append([InlineKeyboardButton(t(lang, "survey.back"), callback_data=f"sv:b:{sid}"),
                 InlineKeyboardButton(t(lang, "survey.skip"), callback_data=f"sv:s:{sid}:{qi}"),
                 InlineKeyboardButton(t(lang, "survey.stop"), callback_data=f"sv:x:{sid}")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _show(update: Update, ctx: Ctx, sid: str, step: Step, who: Citizen) -> str | int:
    """The next question, or the thanks when there is none left."""
    lang = await lang_of(update, ctx)
    if step.done:
        try:
            await surveys.finish(ctx.svc.backend, step.survey, who, ctx.svc.now())
        except SurveyError as exc:
            await reply(update, t(lang, f"survey.error.{exc}"), reply_markup=main_menu(lang))
            return END
        _forget(ctx)
        if "~" in sid:  # staff typed in a paper form: offer the next one
            await reply(update, t(lang, "survey.paper_saved"), reply_markup=buttons(
                [[(t(lang, "survey.paper_next"), f"ss:p:{step.survey.id}")]]))
            return END
        await reply(update, t(lang, "survey.thanks"), reply_markup=main_menu(lang))
        return END
    text, markup = _question_view(lang, sid, step)
    await reply(update, text, reply_markup=markup)
    if ctx.user_data is not None:
        ctx.user_data["flow"], ctx.user_data["survey"] = FLOW, sid
    return ANSWERING


def _forget(ctx: Ctx) -> None:
    if ctx.user_data is not None:
        ctx.user_data.pop("survey", None)
        if ctx.user_data.get("flow") == FLOW:
            ctx.user_data.pop("flow", None)


async def _done_with_message(update: Update) -> None:
    """The question answered: its buttons go, so an old question is not pressed again."""
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)


# -- steps ------------------------------------------------------------------------------
async def menu(update: Update, ctx: Ctx) -> str | int:
    """The Survey button: the surveys open now, as buttons (or: none is open)."""
    lang = await lang_of(update, ctx)
    open_now = ctx.svc.surveys.open_now(ctx.svc.backend.local_date(ctx.svc.now()))
    if not open_now:
        await reply(update, t(lang, "survey.none_open"), reply_markup=main_menu(lang))
        return END
    await reply(update, t(lang, "survey.choose"),
                reply_markup=buttons([[(s.heading(lang), f"sv:go:{s.id}")] for s in open_now]))
    return END


async def from_link(update: Update, ctx: Ctx) -> str | int:
    """`/start sv-<survey>` (a QR code, a post's button): the survey's introduction."""
    assert update.message is not None and update.message.text is not None
    survey_id = update.message.text.split(" ", 1)[1][3:]
    return await _begin(update, ctx, survey_id)


async def paper_form(update: Update, ctx: Ctx, survey_id: str) -> str | int:
    """Staff type in one paper form: the survey's questions, counted as channel "paper"."""
    return await _begin(update, ctx, survey_id, f"{survey_id}~{secrets.token_hex(4)}")


async def go(update: Update, ctx: Ctx) -> str | int:
    """A survey chosen: its introduction and first question (or where the person was)."""
    parsed = _parse(update.callback_query.data or "") if update.callback_query else None
    await answer_callback(update)
    if parsed is None:
        return END
    _, sid, _, _, tag = parsed
    survey_id, _, case = sid.partition(".")
    if case:  # a case rating is offered only to whoever just read the case with its receipt
        chat = update.effective_chat
        if chat is None or tag is None or not ctx.svc.backend.vault.check_tag(
                tag, "rate", int(case), chat.id):
            await answer_callback(update, t(await lang_of(update, ctx), "error.stale_button"),
                                  alert=True)
            return END
    return await _begin(update, ctx, survey_id, sid)


async def _begin(update: Update, ctx: Ctx, survey_id: str, sid: str | None = None
                 ) -> str | int:
    lang = await lang_of(update, ctx)
    survey = _survey(ctx, survey_id)
    if survey is None or (sid is not None and not _paper_allowed(update, ctx, sid)):
        await reply(update, t(lang, "survey.error.closed"), reply_markup=main_menu(lang))
        return END
    sid = sid or survey.id
    _, who = _who(update, sid)
    try:
        step = await surveys.start(ctx.svc.backend, survey, who, ctx.svc.now())
    except SurveyError as exc:
        await reply(update, t(lang, f"survey.error.{exc}"), reply_markup=main_menu(lang))
        return END
    if not step.answers:
        intro = survey.intro.get(lang) or survey.intro["mn"]
        await reply(update, f"<b>{html.escape(survey.heading(lang))}</b>\n{html.escape(intro)}")
    return await _show(update, ctx, sid, step, who)


async def pressed(update: Update, ctx: Ctx) -> str | int:
    """An answer, a tick, "Done", skip, back or stop on a question."""
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, ctx)
    parsed = _parse(query.data or "")
    survey = None if parsed is None else _survey(ctx, _survey_id(parsed[1]))
    if parsed is None or survey is None or not _paper_allowed(update, ctx, parsed[1]):
        await answer_callback(update, t(lang, "error.stale_button"), alert=True)
        return END
    action, sid, qi, oi, _ = parsed
    _, who = _who(update, sid)
    question = survey.questions[qi] if qi is not None and qi < len(survey.questions) else None
    backend, now = ctx.svc.backend, ctx.svc.now()
    try:
        if action == "x":
            await answer_callback(update)
            await _done_with_message(update)
            _forget(ctx)
            await reply(update, t(lang, "survey.paused"), reply_markup=main_menu(lang))
            return END
        if action == "m":
            return await _tick(update, ctx, survey, sid, question, oi)
        if action == "b":
            step = await surveys.back(backend, survey, who, now)
        elif question is None:
            raise SurveyError("bad_answer")
        elif action == "s":
            step = await surveys.skip(backend, survey, who, question.id, now)
        elif action == "d":
            codes = await surveys.ticked(backend, survey, who, question.id)
            if not codes:
                await answer_callback(update, t(lang, "survey.pick_one"), alert=True)
                return ANSWERING
            step = await surveys.answer(backend, survey, who, question.id, codes, now)
        else:
            step = await surveys.answer(backend, survey, who, question.id,
                                        _value(question, oi), now)
    except SurveyError as exc:
        key = "survey.error.no_draft" if str(exc) == "no_draft" else "error.stale_button"
        await answer_callback(update, t(lang, key), alert=True)
        return END
    await answer_callback(update)
    await _done_with_message(update)
    return await _show(update, ctx, sid, step, who)


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


async def _tick(update: Update, ctx: Ctx, survey: Survey, sid: str,
                question: surveys.Question | None, oi: int | None) -> str | int:
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, ctx)
    if question is None or question.type != "multiple" or oi is None \
            or not 0 <= oi < len(question.options):
        await answer_callback(update, t(lang, "error.stale_button"), alert=True)
        return ANSWERING
    _, who = _who(update, sid)
    try:
        codes = await surveys.toggle(ctx.svc.backend, survey, who, question.id,
                                     question.options[oi].code, ctx.svc.now())
        step = await surveys.current(ctx.svc.backend, survey, who)
    except SurveyError as exc:
        key = "survey.error.no_draft" if str(exc) == "no_draft" else "error.stale_button"
        await answer_callback(update, t(lang, key), alert=True)
        return ANSWERING
    await answer_callback(update)
    if step.question is not None and step.question.id == question.id:
        chosen = {i for i, o in enumerate(question.options) if o.code in codes}
        _, markup = _question_view(lang, sid, step, chosen)
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(markup)
    return ANSWERING


async def typed(update: Update, ctx: Ctx) -> str | int:
    """Text while answering: the answer to a free-text question, or "use the buttons"."""
    lang = await lang_of(update, ctx)
    sid = ctx.user_data.get("survey") if ctx.user_data is not None else None
    survey = None if not isinstance(sid, str) else _survey(ctx, _survey_id(sid))
    if survey is None or not isinstance(sid, str):
        _forget(ctx)
        await reply(update, t(lang, "fallback.menu"), reply_markup=main_menu(lang))
        return END
    _, who = _who(update, sid)
    try:
        step = await surveys.current(ctx.svc.backend, survey, who)
        if step.question is None or step.question.type != "text":
            await reply(update, t(lang, "survey.use_buttons"))
            return ANSWERING
        assert update.message is not None and update.message.text is not None
        step = await surveys.answer(ctx.svc.backend, survey, who, step.question.id,
                                    update.message.text, ctx.svc.now())
    except SurveyError as exc:
        if str(exc) == "bad_answer":
            await reply(update, t(lang, "survey.text_limit", limit=surveys.TEXT_LIMIT))
            return ANSWERING
        await reply(update, t(lang, f"survey.error.{exc}"), reply_markup=main_menu(lang))
        return END
    return await _show(update, ctx, sid, step, who)


async def wrong_type(update: Update, ctx: Ctx) -> str:
    """A photo, a sticker … while answering: the survey takes buttons and text only."""
    await reply(update, t(await lang_of(update, ctx), "survey.use_buttons"))
    return ANSWERING


async def cancel(update: Update, ctx: Ctx) -> int:
    """`/cancel` while answering: stops for now; the answers so far wait to be continued."""
    lang = await lang_of(update, ctx)
    _forget(ctx)
    await reply(update, t(lang, "survey.paused"), reply_markup=main_menu(lang))
    return END


def rating_button(ctx: Ctx, lang: str, complaint_id: int, chat_id: int
                  ) -> tuple[str, str] | None:
    """The "rate how it was handled" button shown with a closed case (if a rating exists)."""
    survey = ctx.svc.surveys.case_rating()
    if survey is None or not survey.is_open(ctx.svc.backend.local_date(ctx.svc.now())):
        return None
    tag = ctx.svc.backend.vault.tag("rate", complaint_id, chat_id)
    return t(lang, "survey.rate_case"), f"sv:go:{survey.id}.{complaint_id}:{tag}"


# -- wiring ------------------------------------------------------------------------------
_PRESS = r"^sv:(a|m|d|s|b|x):"
START_SURVEY = filters.Regex(r"^/start sv-[a-z0-9][a-z0-9-]{0,39}$")


def entry_points() -> list[BaseHandler[Update, Ctx, Any]]:
    """The Survey button, deep links, survey buttons, and presses after a restart."""
    return [
        MessageHandler(PRIVATE & menu_button("menu.survey"), menu),
        CommandHandler("start", from_link, filters=PRIVATE & START_SURVEY),
        CallbackQueryHandler(go, pattern=r"^sv:go:"),
        CallbackQueryHandler(pressed, pattern=_PRESS),
    ]


def states() -> dict[object, list[BaseHandler[Update, Ctx, Any]]]:
    """Answering: buttons, or typed text for a free-text question."""
    return {ANSWERING: [CallbackQueryHandler(pressed, pattern=_PRESS),
                        MessageHandler(FREE_TEXT, typed),
                        MessageHandler(OTHER, wrong_type)]}
