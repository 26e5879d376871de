"""`/survey` for staff: results so far, charts, cross-tabs, and paper forms.

Results show shares per question and cross-tabs by the demographic questions; a group or a
cell under 5 people reads "< 5" (the core hides it). Free-text answers are read on their
own, shuffled, with nothing beside them. Paper forms are typed in through the survey's own
questions, or imported as a CSV file; both count with channel "paper".
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any

from telegram import InputFile, InputMediaPhoto, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.core import surveys
from bot.core.errors import DomainError
from bot.core.surveys import PREFER_NOT, Results, Survey
from bot.i18n import t
from bot.tg.access import Access, StaffCallbackHandler
from bot.tg.citizen import survey as citizen_survey
from bot.tg.common import App, Ctx, answer_callback, buttons, lang_of, reply, reply_long
from bot.tg.staff.cases import refuse
from bot.tg.staff.sources import deep_link, qr_png

log = logging.getLogger(__name__)

FLOW = "survey_import"
AWAIT_CSV = "survey_await_csv"
CSV_MAX_BYTES = 1024 * 1024
END = -1
_CHANNELS = ("telegram", "messenger", "paper")


def _survey(ctx: Ctx, data: str | None) -> Survey | None:
    survey_id = (data or "").split(":")[-1]
    return ctx.svc.surveys.get(survey_id)


async def list_surveys(update: Update, ctx: Ctx) -> None:
    """`/survey`: every survey, open or closed, as buttons."""
    lang = await lang_of(update, ctx)
    found = ctx.svc.surveys.surveys
    if not found:
        await reply(update, t(lang, "survey_staff.none"))
        return
    await reply(update, t(lang, "survey_staff.choose"),
                reply_markup=buttons([[(s.heading(lang), f"ss:r:{s.id}")] for s in found]))


def _choice(survey: Survey, question_id: str, choice: str, lang: str) -> str:
    question = survey.question(question_id)
    if choice == PREFER_NOT:
        return t(lang, "survey.prefer_not")
    option = question.option(choice) if question is not None else None
    return option.label(lang) if option is not None else choice


def summary_blocks(results: Results, lang: str) -> list[str]:
    """The results as message blocks: totals, shares per question, then cross-tabs."""
    survey = results.survey
    channels = " · ".join(f"{t(lang, f'survey_staff.channel_{c}')} {n}"
                          for c in _CHANNELS if (n := results.by_channel.get(c)))
    blocks = [t(lang, "survey_staff.header", title=html.escape(survey.heading(lang)),
                n=results.responses, channels=channels or "—")]
    for number, question in enumerate(survey.questions, start=1):
        shares = results.questions.get(question.id)
        if shares is None:
            if question.type == "text":
                blocks.append(t(lang, "survey_staff.texts", number=number,
                                question=html.escape(question.prompt(lang)), n=results.texts))
            continue
        base = next(iter(shares.values())).base if shares else 0
        lines = [t(lang, "survey_staff.question", number=number,
                   question=html.escape(question.prompt(lang)), base=base)]
        for choice, share in sorted(shares.items(), key=lambda kv: -kv[1].count):
            lines.append(f"{html.escape(_choice(survey, question.id, choice, lang))}: "
                         f"{share.percent:.1f}% ({share.count})")
        blocks.append("\n".join(lines))
    for group_id, table in results.crosstabs.items():
        group_q = survey.question(group_id)
        if group_q is None:
            continue
        lines = [t(lang, "survey_staff.by", question=html.escape(group_q.prompt(lang)))]
        for other_id in (q.id for q in survey.questions if q.id != group_id and not q.demographic
                         and q.type in ("single", "scale")):
            other = survey.question(other_id)
            assert other is not None
            lines.append(f"<i>{html.escape(other.prompt(lang))}</i>")
            for group, cells in table.items():
                row = cells.get(other_id, {})
                shown = " · ".join(
                    f"{html.escape(_choice(survey, other_id, c, lang))} "
                    f"{'&lt; 5' if n is None else n}" for c, n in row.items())
                lines.append(f"{html.escape(_choice(survey, group_id, group, lang))}: {shown}")
        blocks.append("\n".join(lines))
    blocks.append(t(lang, "survey_staff.small_note"))
    return blocks


async def show_results(update: Update, ctx: Ctx) -> None:
    """A survey's results: the summary, its charts, and what staff can do next."""
    query = update.callback_query
    lang = await lang_of(update, ctx)
    survey = _survey(ctx, query.data if query else None)
    await answer_callback(update)
    if survey is None:
        await reply(update, t(lang, "survey.error.closed"))
        return
    results = await surveys.results(ctx.svc.backend, survey)
    await reply_long(update, summary_blocks(results, lang))
    # Drawing takes a moment of CPU: in a thread, so other people's answers do not wait.
    # matplotlib loads here, at the first chart, not at start-up (48 MB; docs/benchmarks.md).
    from bot.survey_charts import survey_charts

    charts = await asyncio.to_thread(survey_charts, results, lang) if results.responses else []
    chat = update.effective_chat
    if charts and chat is not None:
        try:
            if len(charts) == 1:
                await chat.send_photo(charts[0][1])
            else:
                await chat.send_media_group([InputMediaPhoto(png) for _, png in charts[:10]])
        except TelegramError as exc:
            log.warning("survey charts not sent: %s", exc.__class__.__name__)
    rows = [[(t(lang, "survey_staff.paper_form"), f"ss:p:{survey.id}")],
            [(t(lang, "survey_staff.paper_csv"), f"ss:i:{survey.id}")],
            [(t(lang, "survey_staff.qr"), f"ss:q:{survey.id}")]]
    if results.texts:
        rows.append([(t(lang, "survey_staff.read_texts"), f"ss:t:{survey.id}")])
    await reply(update, t(lang, "survey_staff.next"), reply_markup=buttons(rows))


async def qr(update: Update, ctx: Ctx) -> None:
    """A QR code of the survey's link, for a poster at the One-Stop hall or a paper form."""
    query = update.callback_query
    lang = await lang_of(update, ctx)
    survey = _survey(ctx, query.data if query else None)
    await answer_callback(update)
    chat = update.effective_chat
    if survey is None or chat is None:
        return
    link = deep_link(ctx.bot.username, f"sv-{survey.id}")
    png = await asyncio.to_thread(qr_png, link)
    await chat.send_document(InputFile(png, filename=f"qr-{survey.id}.png"),
                             caption=t(lang, "survey_staff.qr_caption",
                                       title=html.escape(survey.heading(lang)), link=link),
                             parse_mode="HTML")


async def read_texts(update: Update, ctx: Ctx) -> None:
    """The free-text answers, shuffled, numbered, with nothing else about who wrote them."""
    query = update.callback_query
    lang = await lang_of(update, ctx)
    survey = _survey(ctx, query.data if query else None)
    await answer_callback(update)
    if survey is None or update.effective_user is None:
        return
    try:
        texts = await surveys.read_texts(ctx.svc.backend, update.effective_user.id, survey)
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    lines = [t(lang, "survey_staff.texts_header", n=len(texts))]
    lines += [f"{i}. {html.escape(text)}" for i, text in enumerate(texts, start=1)]
    await reply_long(update, lines, sep="\n")


async def paper_form(update: Update, ctx: Ctx) -> str | int:
    """Type in one paper form: the survey's own questions, one by one."""
    query = update.callback_query
    survey = _survey(ctx, query.data if query else None)
    await answer_callback(update)
    if survey is None:
        return END
    return await citizen_survey.paper_form(update, ctx, survey.id)


async def ask_csv(update: Update, ctx: Ctx) -> str | int:
    """Asks for the CSV file of paper forms, and says what its columns are."""
    query = update.callback_query
    lang = await lang_of(update, ctx)
    survey = _survey(ctx, query.data if query else None)
    await answer_callback(update)
    if survey is None:
        return END
    if ctx.user_data is not None:
        ctx.user_data["flow"], ctx.user_data["survey_import"] = FLOW, survey.id
    columns = ",".join(q.id for q in survey.questions)
    await reply(update, t(lang, "survey_staff.send_csv", columns=html.escape(columns)),
                reply_markup=buttons([[(t(lang, "button.cancel"), "ss:cancel")]]))
    return AWAIT_CSV


async def got_csv(update: Update, ctx: Ctx) -> str | int:
    """The CSV file: good rows added, the others named by line and column."""
    lang = await lang_of(update, ctx)
    message = update.message
    survey_id = ctx.user_data.get("survey_import") if ctx.user_data is not None else None
    survey = ctx.svc.surveys.get(str(survey_id)) if survey_id else None
    if message is None or message.document is None or survey is None or \
            update.effective_user is None:
        return END
    document = message.document
    if (document.file_size or 0) > CSV_MAX_BYTES:
        await reply(update, t(lang, "survey_staff.csv_too_big"))
        return AWAIT_CSV
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        await reply(update, t(lang, "survey_staff.csv_not_utf8"))
        return AWAIT_CSV
    try:
        result = await surveys.import_paper(ctx.svc.backend, update.effective_user.id, survey,
                                            text, ctx.svc.now())
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return END
    lines = [t(lang, "survey_staff.imported", added=result.added, refused=len(result.problems))]
    lines += [t(lang, "survey_staff.import_problem", line=line, column=html.escape(column),
                reason=html.escape(reason)) for line, column, reason in result.problems[:50]]
    await reply_long(update, lines, sep="\n")
    _forget(ctx)
    return END


async def not_csv(update: Update, ctx: Ctx) -> str:
    """Anything but a file while a CSV is awaited."""
    await reply(update, t(await lang_of(update, ctx), "survey_staff.send_csv_again"))
    return AWAIT_CSV


async def cancel(update: Update, ctx: Ctx) -> int:
    """Cancel the import."""
    await answer_callback(update)
    _forget(ctx)
    await reply(update, t(await lang_of(update, ctx), "survey_staff.cancelled"))
    return END


def _forget(ctx: Ctx) -> None:
    if ctx.user_data is not None:
        ctx.user_data.pop("survey_import", None)
        if ctx.user_data.get("flow") == FLOW:
            ctx.user_data.pop("flow", None)


# -- wiring ------------------------------------------------------------------------------
def entry_points(access: Access) -> list[BaseHandler[Update, Ctx, Any]]:
    """Typing in a paper form and importing a CSV start steps of the one conversation."""
    return [StaffCallbackHandler(paper_form, r"^ss:p:[a-z0-9-]{1,40}$", access.poster),
            StaffCallbackHandler(ask_csv, r"^ss:i:[a-z0-9-]{1,40}$", access.poster)]


def states(access: Access) -> dict[object, list[BaseHandler[Update, Ctx, Any]]]:
    """Waiting for the CSV file."""
    return {AWAIT_CSV: [MessageHandler(access.poster & filters.Document.ALL, got_csv),
                        MessageHandler(access.poster & ~filters.COMMAND, not_csv)]}


def cancel_handlers(access: Access) -> list[BaseHandler[Update, Ctx, Any]]:
    """The Cancel button of the import."""
    return [StaffCallbackHandler(cancel, r"^ss:cancel$", access.poster)]


def register(app: App, access: Access) -> None:
    """`/survey` and its result buttons, for any staff member."""
    app.add_handler(CommandHandler("survey", list_surveys, filters=access.any_staff))
    # Anyone else typing /survey wants to take one: the citizens' list.
    app.add_handler(CommandHandler("survey", citizen_survey.menu,
                                   filters=filters.ChatType.PRIVATE))
    app.add_handler(StaffCallbackHandler(show_results, r"^ss:r:[a-z0-9-]{1,40}$",
                                         access.any_staff))
    app.add_handler(StaffCallbackHandler(read_texts, r"^ss:t:[a-z0-9-]{1,40}$", access.poster))
    app.add_handler(StaffCallbackHandler(qr, r"^ss:q:[a-z0-9-]{1,40}$", access.poster))
    app.add_handler(CallbackQueryHandler(refused, pattern=r"^ss:"))


async def refused(update: Update, ctx: Ctx) -> None:
    """A survey staff button pressed by someone without the right (or forged)."""
    await answer_callback(update, t(await lang_of(update, ctx), "staff.only"), alert=True)
