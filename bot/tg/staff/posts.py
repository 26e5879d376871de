"""Staff's outreach: `/post` to compose and schedule a post, `/posts` to see and change them.

`/post`: the post (any message, an album, or a content-library post) → English text →
kind → campaign → plan measure → buttons → audience → when (now, a date and time, or
weekly) → preview with "send a test to me" → confirm. Tags come before the buttons because
the pledge button needs a campaign. A content-library post brings its own text, tags and
buttons, so it goes straight to the audience. Every step saves the draft in the database
(`schedule.PostDraft`), so a restart mid-flow loses nothing: the next message or button
carries on from the saved step. The steps are states of the one conversation in
`bot/tg/citizen/flow.py`.

`/posts`: the schedules still to run, soonest first, and the latest broadcasts with what
can honestly be counted (never views: bots cannot see them), with buttons to cancel a
schedule, stop a running broadcast, move a one-off, or replace a schedule's content.

Button data (checked again when pressed; anyone can forge it):
    `pp:…`  a step of a new post      `pe:…`  a step of an edit
    `pl:cancel:<schedule>`, `pl:cancel!:<schedule>` (confirmed), `pl:stop:<broadcast>`,
    `pl:stop!:<broadcast>`, `pl:edit:<schedule>`, `pl:move:<schedule>`, `pl:replace:<schedule>`
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.core import page, posts, schedule
from bot.core.content import KINDS
from bot.core.errors import DomainError
from bot.core.models import Role
from bot.core.posts import AUDIENCES, PostError
from bot.core.schedule import EDIT, NEW, PostDraft, ScheduleError, Weekly, WhenError
from bot.core.staff import POST_ROLES
from bot.i18n import t
from bot.tg.access import Access, StaffCallbackHandler
from bot.tg.citizen import start
from bot.tg.common import (
    ANY_MENU_BUTTON,
    App,
    Ctx,
    answer_callback,
    buttons,
    drop_keyboard,
    esc,
    lang_of,
    reply,
    reply_long,
)
from bot.tg.page import reason as page_reason
from bot.tg.postview import send_post
from bot.tg.staff import jobs
from bot.tg.staff.cases import refuse

log = logging.getLogger(__name__)

END = ConversationHandler.END
Handlers = list[BaseHandler[Update, Ctx, Any]]

# Conversation states; the same names are saved in the draft to carry on after a restart.
RESUME, CONTENT, ENGLISH = "post_resume", "post_content", "post_english"
KIND, CAMPAIGN, MEASURE, BUTTONS = "post_kind", "post_campaign", "post_measure", "post_buttons"
AUDIENCE, WHEN, AT = "post_audience", "post_when", "post_at"
DAYS, TIMES, UNTIL = "post_days", "post_times", "post_until"
PREVIEW, CHANGE = "post_preview", "post_change"
MOVE, REPLACE = "post_move", "post_replace"  # edits of a schedule
EDIT_PREVIEW, EDIT_ENGLISH = "post_edit_preview", "post_edit_english"
EDIT_STEPS = (MOVE, REPLACE, EDIT_PREVIEW, EDIT_ENGLISH)
FLOW_NEW, FLOW_EDIT = "post", "post_edit"  # `user_data["flow"]`, for /cancel

LIBRARY_PAGE = 8
ALBUM_DELAY = 1.5  # seconds after an album's last part before the next prompt
MAX_MEDIA = 10
BUTTON_LABEL = 48  # characters of a library post's title on its button
UPCOMING_SHOWN, RECENT_SHOWN = 20, 10
UNTIL_CHOICES = {"4w": dt.timedelta(weeks=4), "3m": dt.timedelta(days=91)}
# The buttons staff switch on and off here; a library post may bring others (a survey).
TOGGLES = ("useful", "share", "pledge", "complain")

PRIVATE = filters.ChatType.PRIVATE


# -- small helpers ---------------------------------------------------------------------
def _staff_id(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def _data(update: Update) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    return query.data


def _purpose(step: str) -> str:
    return EDIT if step in EDIT_STEPS else NEW


def _set_flow(ctx: Ctx, purpose: str) -> None:
    if ctx.user_data is not None:
        ctx.user_data["flow"] = FLOW_EDIT if purpose == EDIT else FLOW_NEW


def _local(ctx: Ctx, lang: str, moment: dt.datetime) -> str:
    """2026.12.05 (Баасан) 10:00, in the office's time zone."""
    local = moment.astimezone(ctx.svc.settings.tz)
    return t(lang, "compose.moment", date=local.strftime("%Y.%m.%d"),
             day=t(lang, f"compose.day.{local.weekday()}"), time=local.strftime("%H:%M"))


def _kind_name(lang: str, kind: str) -> str:
    return t(lang, f"compose.kind.{kind}") if kind in KINDS else esc(kind)


def _campaign_name(ctx: Ctx, lang: str, code: str | None) -> str:
    if code is None:
        return t(lang, "compose.none")
    campaign = ctx.svc.content.library.campaign(code)
    return esc(campaign.name(lang) if campaign is not None else code)


def _goes(ctx: Ctx, at: dt.datetime) -> dt.datetime:
    """When a post due at `at` really goes: after quiet hours, if it falls in them."""
    settings = ctx.svc.settings
    return schedule.out_of_quiet(at, settings.tz, settings.quiet_hours)


def _quiet_text(ctx: Ctx) -> str:
    quiet = ctx.svc.settings.quiet_hours
    return "" if quiet is None else f"{quiet[0]:%H:%M}–{quiet[1]:%H:%M}"


async def _say(ctx: Ctx, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None,
               note: str | None = None) -> None:
    """A prompt, from a handler or from a job (which has no update to reply to)."""
    if note:
        text = f"{note}\n\n{text}"
    await ctx.bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=markup)


async def _answered(update: Update, choice: str) -> None:
    """Show the choice under the question it answers, in place of the buttons."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    question = query.message.text_html or ""
    with contextlib.suppress(TelegramError):  # too old, or a double tap: the next prompt says it
        await query.edit_message_text(f"{question}\n→ <b>{choice}</b>", parse_mode="HTML")


async def _live(update: Update, ctx: Ctx, purpose: str) -> PostDraft | None:
    """The draft to work on, or None after saying it is gone (sent, cancelled, expired)."""
    draft = await schedule.load_draft(ctx.svc.backend, _staff_id(update), purpose, ctx.svc.now())
    if draft is not None:
        return draft
    lang = await lang_of(update, ctx)
    key = "compose.edit_gone" if purpose == EDIT else "compose.gone"
    if update.callback_query is not None:
        await answer_callback(update, t(lang, key), alert=True)
        await drop_keyboard(update)
    else:
        await reply(update, t(lang, key))
    return None


async def _save(update: Update, ctx: Ctx, draft: PostDraft, step: str) -> str:
    draft.step = step
    await schedule.save_draft(ctx.svc.backend, _staff_id(update), draft, ctx.svc.now(),
                              _purpose(step))
    return step


async def _go(update: Update, ctx: Ctx, draft: PostDraft, step: str,
              note: str | None = None) -> str:
    """Save the draft at `step` and show that step's prompt."""
    await _save(update, ctx, draft, step)
    await PROMPTS[step](ctx, _chat_id(update), await lang_of(update, ctx), draft, note)
    return step


def _next(draft: PostDraft, step: str) -> str:
    """After a change made from the preview, back to the preview; else on to `step`."""
    if draft.editing:
        draft.editing = False
        return PREVIEW
    return step


# -- prompts: what staff see at each step ------------------------------------------------
Prompt = Callable[[Ctx, int, str, PostDraft, str | None], Awaitable[None]]


def _cancel_row(lang: str, prefix: str = "pp") -> list[tuple[str, str]]:
    return [(t(lang, "button.cancel"), f"{prefix}:cancel")]


async def ask_content(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                      note: str | None = None) -> None:
    """Asks for the post: any message or album, or a post from the content library."""
    await _say(ctx, chat_id, t(lang, "compose.ask_content"), buttons([
        [(t(lang, "compose.button.library"), "pp:lib:0")], _cancel_row(lang)]), note)


async def ask_english(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                      note: str | None = None) -> None:
    """Asks for the English text, or Skip (English readers then get the Mongolian)."""
    await _say(ctx, chat_id, t(lang, "compose.ask_english"), buttons([
        [(t(lang, "compose.button.skip_english"), "pp:skip")], _cancel_row(lang)]), note)


async def ask_kind(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                   note: str | None = None) -> None:
    """Asks what kind of material it is (news, poster, video …), two buttons a row."""
    labels = [(("• " if k == draft.kind else "") + t(lang, f"compose.kind.{k}"), f"pp:kind:{k}")
              for k in KINDS]
    rows = [labels[i:i + 2] for i in range(0, len(labels), 2)]
    await _say(ctx, chat_id, t(lang, "compose.ask_kind"), buttons([*rows, _cancel_row(lang)]),
               note)


async def ask_campaign(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                       note: str | None = None) -> None:
    """Asks which campaign it belongs to (from campaigns.yaml), or none."""
    rows = [[(c.name(lang), f"pp:camp:{c.code}")]
            for c in ctx.svc.content.library.campaigns.values()]
    rows.append([(t(lang, "compose.button.no_campaign"), "pp:camp:-")])
    await _say(ctx, chat_id, t(lang, "compose.ask_campaign"), buttons([*rows, _cancel_row(lang)]),
               note)


async def ask_measure(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                      note: str | None = None) -> None:
    """Asks for the plan measure the post serves, typed like 1.1, or Skip."""
    await _say(ctx, chat_id, t(lang, "compose.ask_measure"), buttons([
        [(t(lang, "compose.button.skip"), "pp:skip")], _cancel_row(lang)]), note)


def _buttons_markup(lang: str, draft: PostDraft) -> InlineKeyboardMarkup:
    chosen = posts.actions_of(draft.payload)
    rows = []
    for action in TOGGLES:
        if action == "pledge" and draft.campaign is None:
            continue  # a pledge is to a campaign
        mark = "✅" if action in chosen else "⬜"
        rows.append([(f"{mark} {t(lang, f'post.button.{action}')}", f"pp:btn:{action}")])
    rows.append([(t(lang, "compose.button.next"), "pp:btn:ok")])
    rows.append(_cancel_row(lang))
    return buttons(rows)


async def ask_buttons(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                      note: str | None = None) -> None:
    """Shows the buttons under the post as toggles (✅ on, ⬜ off), then Next."""
    key = "compose.ask_buttons" if draft.campaign else "compose.ask_buttons_no_campaign"
    await _say(ctx, chat_id, t(lang, key), _buttons_markup(lang, draft), note)


async def _audience_markup(ctx: Ctx, lang: str, draft: PostDraft) -> InlineKeyboardMarkup:
    counts = await posts.audience_counts(ctx.svc.backend)
    rows = [[(t(lang, f"compose.audience_button.{a}", n=counts[a]), f"pp:aud:{a}")]
            for a in AUDIENCES]
    if ctx.svc.settings.facebook is not None:  # the office's Page: a toggle, then the audience
        rows.append([(t(lang, "page.compose.toggle_on" if draft.page
                         else "page.compose.toggle_off"), "pp:fb")])
    return buttons([*rows, _cancel_row(lang)])


async def ask_audience(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                       note: str | None = None) -> None:
    """Asks whom it goes to, with how many each audience holds now (and the Facebook Page)."""
    text = t(lang, "compose.ask_audience")
    if ctx.svc.settings.facebook is not None:
        text += "\n\n" + t(lang, "page.compose.ask")
    await _say(ctx, chat_id, text, await _audience_markup(ctx, lang, draft), note)


async def ask_when(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                   note: str | None = None) -> None:
    """Asks when: now, at a date and time, or weekly."""
    await _say(ctx, chat_id, t(lang, "compose.ask_when"), buttons([
        [(t(lang, "compose.button.now"), "pp:when:now")],
        [(t(lang, "compose.button.at"), "pp:when:at")],
        [(t(lang, "compose.button.weekly"), "pp:when:weekly")],
        _cancel_row(lang)]), note)


def _examples(ctx: Ctx) -> dict[str, str]:
    tomorrow = ctx.svc.backend.local_date(ctx.svc.now()) + dt.timedelta(days=1)
    return {"full": tomorrow.strftime("%Y.%m.%d") + " 10:00",
            "short": tomorrow.strftime("%m.%d") + " 10:00"}


async def ask_at(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                 note: str | None = None) -> None:
    """Asks for the date and time, typed, with examples in local time."""
    await _say(ctx, chat_id, t(lang, "compose.ask_at", **_examples(ctx)),
               buttons([_cancel_row(lang)]), note)


def _days_markup(lang: str, draft: PostDraft) -> InlineKeyboardMarkup:
    labels = [(("✅ " if d in draft.days else "") + t(lang, f"compose.day.{d}"), f"pp:day:{d}")
              for d in range(7)]
    return buttons([labels[:4], labels[4:], [(t(lang, "compose.button.next"), "pp:day:ok")],
                    _cancel_row(lang)])


async def ask_days(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                   note: str | None = None) -> None:
    """Shows the days of the week as toggles, then Next."""
    await _say(ctx, chat_id, t(lang, "compose.ask_days"), _days_markup(lang, draft), note)


async def ask_times(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                    note: str | None = None) -> None:
    """Asks for the times of day, typed like 10:00, 15:00."""
    await _say(ctx, chat_id, t(lang, "compose.ask_times", max=schedule.MAX_TIMES),
               buttons([_cancel_row(lang)]), note)


async def ask_until(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                    note: str | None = None) -> None:
    """Asks until when: four weeks, three months, or a typed date."""
    example = (ctx.svc.backend.local_date(ctx.svc.now()) + dt.timedelta(days=30))
    await _say(ctx, chat_id, t(lang, "compose.ask_until", example=example.strftime("%Y.%m.%d")),
               buttons([[(t(lang, "compose.button.4w"), "pp:until:4w"),
                         (t(lang, "compose.button.3m"), "pp:until:3m")],
                        _cancel_row(lang)]), note)


def _when_text(ctx: Ctx, lang: str, moment: dt.datetime | Weekly | None) -> str:
    if moment is None:
        return t(lang, "compose.when_now")
    if isinstance(moment, dt.datetime):
        return _local(ctx, lang, moment)
    days = t(lang, "compose.days_each",
             days=", ".join(t(lang, f"compose.day.{d}") for d in sorted(moment.days)))
    if len(set(moment.days)) == 7:
        days = t(lang, "compose.every_day")
    return t(lang, "compose.when_weekly", days=days,
             times=", ".join(x.strftime("%H:%M") for x in sorted(moment.times)),
             start=moment.start_on.strftime("%Y.%m.%d"), end=moment.end_on.strftime("%Y.%m.%d"))


def _quiet_note(ctx: Ctx, lang: str, moment: dt.datetime | Weekly | None) -> str | None:
    """Says when quiet hours (22:00–08:00) hold the post back until 08:00."""
    settings = ctx.svc.settings
    if settings.quiet_hours is None:
        return None
    if isinstance(moment, Weekly):
        today = ctx.svc.backend.local_date(ctx.svc.now())
        quiet = [x.strftime("%H:%M") for x in sorted(moment.times)
                 if schedule.in_quiet_hours(dt.datetime.combine(today, x, settings.tz),
                                            settings.tz, settings.quiet_hours)]
        return t(lang, "compose.quiet_weekly", times=", ".join(quiet), quiet=_quiet_text(ctx),
                 end=f"{settings.quiet_hours[1]:%H:%M}") if quiet else None
    at = ctx.svc.now() if moment is None else moment
    if (goes := _goes(ctx, at)) == at:
        return None
    return t(lang, "compose.quiet_at", at=_local(ctx, lang, goes), quiet=_quiet_text(ctx))


def _button_names(lang: str, payload: dict[str, Any]) -> str:
    """The buttons under the post by their labels (a library post's own, or the usual)."""
    names = []
    for button in payload.get("buttons", []):
        texts = button.get("text") or {}
        own = texts if isinstance(texts, str) else texts.get(lang) or texts.get("mn")
        default = f"post.button.{button['action']}" if button.get("action") \
            else "compose.link_button"
        names.append(esc(own) if own else t(lang, default))
    return ", ".join(names) or t(lang, "compose.none")


async def _summary(ctx: Ctx, lang: str, draft: PostDraft) -> str:
    counts = await posts.audience_counts(ctx.svc.backend)
    moment = draft.moment()
    lines = [t(lang, "compose.summary_header")]
    if draft.content_id:
        lines.append(t(lang, "compose.summary_library", id=esc(draft.content_id)))
    lines += [
        t(lang, "compose.summary_kind", kind=_kind_name(lang, draft.kind)),
        t(lang, "compose.summary_campaign", campaign=_campaign_name(ctx, lang, draft.campaign)),
        t(lang, "compose.summary_measure", measure=esc(draft.measure or t(lang, "compose.none"))),
        t(lang, "compose.summary_buttons", buttons=_button_names(lang, draft.payload)),
        t(lang, "compose.summary_audience", audience=t(lang, f"compose.audience.{draft.audience}"),
          n=counts[draft.audience]),
        t(lang, "compose.summary_when", when=_when_text(ctx, lang, moment)),
        t(lang, "compose.summary_english_yes" if draft.payload["text"].get("en")
          else "compose.summary_english_no"),
    ]
    if ctx.svc.settings.facebook is not None:
        on_page = page.expected_note(draft.payload)
        lines.append(t(lang, "page.compose.summary_yes", note=t(lang, f"page.note.{on_page}")
                       if on_page else "") if draft.page else t(lang, "page.compose.summary_no"))
    if (quiet := _quiet_note(ctx, lang, moment)) is not None:
        lines.append(quiet)
    if counts[draft.audience] == 0:
        lines.append(t(lang, "compose.nobody"))
    return "\n".join(lines)


async def _show_post(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft, post_lang: str = "mn"
                     ) -> bool:
    """The post exactly as readers of `post_lang` will get it; False if Telegram refused."""
    try:
        await send_post(cast(App, ctx.application), chat_id, 0, draft.payload, post_lang,
                        campaign=draft.campaign)
    except TelegramError as exc:
        log.info("preview not shown: %s", exc.__class__.__name__)
        await _say(ctx, chat_id, t(lang, "compose.preview_failed", reason=esc(exc.message)))
        return False
    return True


async def show_preview(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                       note: str | None = None) -> None:
    """Shows the post as it will look, then its settings with test, confirm, change, cancel."""
    if note:
        await _say(ctx, chat_id, note)
    await _show_post(ctx, chat_id, lang, draft)
    await _preview_buttons(ctx, chat_id, lang, draft)


async def _preview_buttons(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                           note: str | None = None) -> None:
    await _say(ctx, chat_id, await _summary(ctx, lang, draft), buttons([
        [(t(lang, "compose.button.test"), "pp:test")],
        [(t(lang, "compose.button.confirm"), "pp:ok")],
        [(t(lang, "compose.button.change"), "pp:change"), (t(lang, "button.cancel"), "pp:cancel")],
    ]), note)


async def ask_change(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                     note: str | None = None) -> None:
    """Asks which setting to change; each goes back to the preview."""
    def b(what: str) -> tuple[str, str]:
        return t(lang, f"compose.change.{what}"), f"pp:ch:{what}"

    await _say(ctx, chat_id, t(lang, "compose.ask_change"), buttons([
        [b("content"), b("english")], [b("kind"), b("campaign")], [b("measure"), b("buttons")],
        [b("audience"), b("when")], [b("back")]]), note)


async def ask_resume(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                     note: str | None = None) -> None:
    """Offers the unfinished post back, or a fresh start."""
    saved = dt.datetime.fromisoformat(draft.saved_at) if draft.saved_at else ctx.svc.now()
    await _say(ctx, chat_id, t(lang, "compose.resume", saved=_local(ctx, lang, saved)), buttons([
        [(t(lang, "button.continue"), "pp:resume")],
        [(t(lang, "compose.button.start_over"), "pp:new")]]), note)


async def ask_move(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                   note: str | None = None) -> None:
    """Asks for a schedule's new date and time."""
    view = await schedule.schedule_view(ctx.svc.backend, draft.schedule_id or 0, ctx.svc.now())
    current = _local(ctx, lang, view.once_at) if view and view.once_at else "—"
    await _say(ctx, chat_id, t(lang, "compose.ask_move", number=draft.schedule_id,
                               current=current, **_examples(ctx)),
               buttons([_cancel_row(lang, "pe")]), note)


async def ask_replace(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                      note: str | None = None) -> None:
    """Asks for the new content of a schedule (its buttons and settings stay)."""
    await _say(ctx, chat_id, t(lang, "compose.ask_replace", number=draft.schedule_id),
               buttons([_cancel_row(lang, "pe")]), note)


async def show_edit_preview(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                            note: str | None = None) -> None:
    """Shows the new content as it will look, with test, English text, replace, cancel."""
    if note:
        await _say(ctx, chat_id, note)
    await _show_post(ctx, chat_id, lang, draft)
    await _edit_preview_buttons(ctx, chat_id, lang, draft)


async def _edit_preview_buttons(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                                note: str | None = None) -> None:
    english = "compose.summary_english_yes" if draft.payload["text"].get("en") \
        else "compose.summary_english_no"
    await _say(ctx, chat_id, "\n".join([t(lang, "compose.edit_summary", number=draft.schedule_id),
                                        t(lang, english)]), buttons([
        [(t(lang, "compose.button.test"), "pe:test")],
        [(t(lang, "compose.change.english"), "pe:en")],
        [(t(lang, "compose.button.replace"), "pe:ok"), (t(lang, "button.cancel"), "pe:cancel")],
    ]), note)


async def ask_edit_english(ctx: Ctx, chat_id: int, lang: str, draft: PostDraft,
                           note: str | None = None) -> None:
    """Asks for the new content's English text, or Skip."""
    await _say(ctx, chat_id, t(lang, "compose.ask_english"), buttons([
        [(t(lang, "compose.button.skip_english"), "pe:skip")], _cancel_row(lang, "pe")]), note)


PROMPTS: dict[str, Prompt] = {
    RESUME: ask_resume, CONTENT: ask_content, ENGLISH: ask_english, KIND: ask_kind,
    CAMPAIGN: ask_campaign, MEASURE: ask_measure, BUTTONS: ask_buttons, AUDIENCE: ask_audience,
    WHEN: ask_when, AT: ask_at, DAYS: ask_days, TIMES: ask_times, UNTIL: ask_until,
    PREVIEW: show_preview, CHANGE: ask_change, MOVE: ask_move, REPLACE: ask_replace,
    EDIT_PREVIEW: show_edit_preview, EDIT_ENGLISH: ask_edit_english,
}


# -- starting, resuming, cancelling --------------------------------------------------------
async def begin(update: Update, ctx: Ctx) -> str | int:
    """`/post [content-id]`: asks for the post, or offers an unfinished one back."""
    _set_flow(ctx, NEW)
    svc = ctx.svc
    content_id = " ".join(ctx.args or []).strip().lower()
    existing = await schedule.load_draft(svc.backend, _staff_id(update), NEW, svc.now())
    if existing is not None:
        if ctx.user_data is not None:  # "start over" takes the library post asked for
            ctx.user_data["post_asked"] = content_id
        await ask_resume(ctx, _chat_id(update), await lang_of(update, ctx), existing)
        return RESUME
    return await _fresh(update, ctx, content_id)


async def _fresh(update: Update, ctx: Ctx, content_id: str) -> str | int:
    draft = PostDraft()
    if content_id:
        return await _pick(update, ctx, draft, content_id)
    return await _go(update, ctx, draft, CONTENT)


async def resume(update: Update, ctx: Ctx) -> str | int:
    """Carries on with the saved post at the step where it stopped."""
    _set_flow(ctx, NEW)
    await answer_callback(update)
    await drop_keyboard(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    step = draft.step if draft.step in PROMPTS and draft.step != RESUME else CONTENT
    return await _go(update, ctx, draft, step)


async def start_over(update: Update, ctx: Ctx) -> str | int:
    """Drops the unfinished post and asks for a new one."""
    _set_flow(ctx, NEW)
    await answer_callback(update)
    await drop_keyboard(update)
    await schedule.discard_draft(ctx.svc.backend, _staff_id(update), NEW)
    asked = ctx.user_data.pop("post_asked", "") if ctx.user_data is not None else ""
    return await _fresh(update, ctx, str(asked))


async def cancel_new(update: Update, ctx: Ctx) -> int:
    """Drops the post being composed."""
    await answer_callback(update)
    await drop_keyboard(update)
    await schedule.discard_draft(ctx.svc.backend, _staff_id(update), NEW)
    await reply(update, t(await lang_of(update, ctx), "compose.cancelled"))
    return END


async def cancel_edit(update: Update, ctx: Ctx) -> int:
    """Drops the edit of a schedule; the schedule stays as it was."""
    await answer_callback(update)
    await drop_keyboard(update)
    await schedule.discard_draft(ctx.svc.backend, _staff_id(update), EDIT)
    await reply(update, t(await lang_of(update, ctx), "compose.edit_cancelled"))
    return END


async def cancel(update: Update, ctx: Ctx) -> int:
    """`/cancel` in a post or an edit (which one: `user_data["flow"]`)."""
    flow = ctx.user_data.get("flow") if ctx.user_data is not None else None
    return await (cancel_edit if flow == FLOW_EDIT else cancel_new)(update, ctx)


async def cancel_outside(update: Update, ctx: Ctx) -> int:
    """`/cancel` with no flow running (after a restart): drops saved post drafts, if any."""
    backend, staff_id = ctx.svc.backend, _staff_id(update)
    dropped = [await schedule.discard_draft(backend, staff_id, p) for p in (NEW, EDIT)]
    if any(dropped):
        await reply(update, t(await lang_of(update, ctx), "compose.cancelled"))
    else:
        await start.cancel_outside(update, ctx)  # the citizen side's drafts, or "nothing"
    return END


async def pending(update: Update, ctx: Ctx) -> tuple[str, str] | None:
    """(step, flow) of the staff member's saved post or edit, the newer one; None if none.

    For picking a draft up after a restart, when no flow is running.
    """
    user = update.effective_user
    if user is None or ctx.svc.staff.get(user.id) not in POST_ROLES:
        return None
    found = []
    for purpose in (NEW, EDIT):
        draft = await schedule.load_draft(ctx.svc.backend, user.id, purpose, ctx.svc.now())
        if draft is not None and draft.step in PROMPTS:
            found.append((draft.saved_at, draft.step, FLOW_EDIT if purpose == EDIT else FLOW_NEW))
    if not found:
        return None
    _, step, flow = max(found)
    return step, flow


async def remind(update: Update, ctx: Ctx, flow: str) -> str | int:
    """Shows the saved step's prompt again (after a restart, for input it cannot take)."""
    purpose = EDIT if flow == FLOW_EDIT else NEW
    if (draft := await _live(update, ctx, purpose)) is None:
        return END
    lang = await lang_of(update, ctx)
    await PROMPTS[draft.step](ctx, _chat_id(update), lang, draft, t(lang, "compose.reminder"))
    return draft.step


# -- step 1: the post ------------------------------------------------------------------------
def _media_item(message: Message) -> dict[str, Any] | None:
    """A file Telegram already has, by its file id (nothing is downloaded)."""
    if message.animation is not None:  # a GIF also carries a `document`: check it first
        return {"type": "animation", "file_id": message.animation.file_id}
    if message.photo:
        return {"type": "photo", "file_id": message.photo[-1].file_id}
    if message.video is not None:
        return {"type": "video", "file_id": message.video.file_id}
    if message.document is not None:
        return {"type": "document", "file_id": message.document.file_id}
    return None


def _received(lang: str, payload: dict[str, Any]) -> str:
    media = payload.get("media", [])
    if len(media) > 1:
        return t(lang, "compose.got_album", n=len(media))
    what = media[0]["type"] if media else "text"
    return t(lang, "compose.got", what=t(lang, f"compose.what.{what}"))


async def _take_content(update: Update, ctx: Ctx, purpose: str) -> str | int:
    """A message (or an album's first part) as the post's new content."""
    if (draft := await _live(update, ctx, purpose)) is None:
        return END
    message = update.effective_message
    assert message is not None
    lang = await lang_of(update, ctx)
    item = _media_item(message)
    text = message.text_html if message.text else (message.caption_html or "")
    keep_buttons = draft.payload.get("buttons", [])
    draft.payload = {"text": {"mn": text}, "media": [item] if item else [],
                     "buttons": keep_buttons}
    if purpose == NEW:
        draft.content_id = None
        draft.title = posts.title_from(draft.payload)
        if not draft.editing and item is not None:
            draft.kind = posts.KIND_OF_MEDIA.get(item["type"], draft.kind)
    next_step = ENGLISH if purpose == NEW else EDIT_PREVIEW
    if message.media_group_id:
        draft.album = message.media_group_id
        await _save(update, ctx, draft, next_step)
        _prompt_after_album(ctx, _chat_id(update), lang, purpose)
        return next_step
    draft.album = None
    return await _go(update, ctx, draft, next_step, note=_received(lang, draft.payload))


async def got_content(update: Update, ctx: Ctx) -> str | int:
    """Takes any message as the post: text, or a photo, video, file or GIF with its caption."""
    return await _take_content(update, ctx, NEW)


async def got_replacement(update: Update, ctx: Ctx) -> str | int:
    """Takes the new content of a schedule, then shows it."""
    return await _take_content(update, ctx, EDIT)


def _prompt_after_album(ctx: Ctx, chat_id: int, lang: str, purpose: str) -> None:
    """An album arrives as one message per file: prompt once, shortly after the last one."""
    assert ctx.job_queue is not None
    name = f"post-album:{chat_id}:{purpose}"
    for job in ctx.job_queue.get_jobs_by_name(name):
        job.schedule_removal()
    ctx.job_queue.run_once(_album_done, ALBUM_DELAY,  # type: ignore[arg-type]  # PTB generics
                           chat_id=chat_id, name=name, data=(lang, purpose))


async def _album_done(ctx: Ctx) -> None:
    """The album is complete: the prompt of the step it led to (the job lives in memory)."""
    job = ctx.job
    if job is None or job.chat_id is None:
        return
    lang, purpose = cast(tuple[str, str], job.data)
    draft = await schedule.load_draft(ctx.svc.backend, job.chat_id, purpose, ctx.svc.now())
    if draft is None or draft.step not in PROMPTS:
        return
    await PROMPTS[draft.step](ctx, job.chat_id, lang, draft, _received(lang, draft.payload))


class _AlbumPart(filters.MessageFilter):
    """A file that is part of an album (Telegram sends one message per file)."""

    def filter(self, message: Message) -> bool:
        """Whether the message belongs to a media group."""
        return message.media_group_id is not None


_ALBUM_PART = _AlbumPart(name="AlbumPart")


def _album_part(purpose: str) -> Callable[[Update, Ctx], Coroutine[Any, Any, str | int | None]]:
    async def album_part(update: Update, ctx: Ctx) -> str | int | None:
        """Adds a further file of the album being received; another album gets a hint."""
        message = update.effective_message
        assert message is not None
        draft = await schedule.load_draft(ctx.svc.backend, _staff_id(update), purpose,
                                          ctx.svc.now())
        if draft is None:
            return END
        lang = await lang_of(update, ctx)
        item = _media_item(message)
        if draft.album != message.media_group_id or item is None:
            if ctx.user_data is not None and ctx.user_data.get("refused_album") \
                    == message.media_group_id:
                return None  # one answer for a whole album
            if ctx.user_data is not None:
                ctx.user_data["refused_album"] = message.media_group_id
            await reply(update, t(lang, "compose.album_not_now"))
            return None
        payload = draft.payload
        candidate = {**payload, "media": [*payload["media"], item]}
        if not payload["text"].get("mn") and message.caption:
            candidate["text"] = {**payload["text"], "mn": message.caption_html or ""}
        try:
            posts.check_payload(candidate)
        except PostError:
            await reply(update, t(lang, "compose.album_item_dropped", max=MAX_MEDIA))
            return None
        draft.payload = candidate
        if purpose == NEW:
            draft.title = posts.title_from(candidate)
        await _save(update, ctx, draft, draft.step)
        _prompt_after_album(ctx, _chat_id(update), lang, purpose)
        return None  # stay in the step the album's first part led to

    return album_part


async def library_page(update: Update, ctx: Ctx) -> str:
    """Shows one page of the content library's posts as buttons."""
    data = _data(update)
    await answer_callback(update)
    lang = await lang_of(update, ctx)
    library = list(ctx.svc.content.posts)
    page = int(data.rsplit(":", 1)[1])
    pages = max(1, -(-len(library) // LIBRARY_PAGE))
    page = min(page, pages - 1)
    items = library[page * LIBRARY_PAGE:(page + 1) * LIBRARY_PAGE]
    rows = []
    for post in items:
        title = post.title_for(lang)
        label = title if len(title) <= BUTTON_LABEL else title[:BUTTON_LABEL - 1] + "…"
        rows.append([(label, f"pp:pick:{post.id}")])
    nav = []
    if page > 0:
        nav.append(("◀️", f"pp:page:{page - 1}"))
    if page + 1 < pages:
        nav.append(("▶️", f"pp:page:{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append(_cancel_row(lang))
    text = t(lang, "compose.library", page=page + 1, pages=pages) if library \
        else t(lang, "compose.library_empty")
    query = update.callback_query
    if data.startswith("pp:page:") and query is not None:
        with contextlib.suppress(TelegramError):  # a double tap: that page is shown already
            await query.edit_message_text(text, parse_mode="HTML", reply_markup=buttons(rows))
        return CONTENT
    await reply(update, text, reply_markup=buttons(rows))
    return CONTENT


async def picked(update: Update, ctx: Ctx) -> str | int:
    """Takes a content-library post: its text, files, tags and buttons come with it."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    await drop_keyboard(update)
    return await _pick(update, ctx, draft, _data(update).removeprefix("pp:pick:"))


async def _pick(update: Update, ctx: Ctx, draft: PostDraft, content_id: str) -> str | int:
    lang = await lang_of(update, ctx)
    post = ctx.svc.content.get(content_id)
    if post is None:
        return await _go(update, ctx, draft, CONTENT,
                         note=t(lang, "compose.no_such_post", id=esc(content_id[:40])))
    payload, meta = posts.from_content(post)
    draft.payload, draft.content_id, draft.title = payload, meta.content_id, meta.title
    draft.kind, draft.campaign, draft.measure = meta.kind, meta.campaign, meta.measure
    draft.page = meta.page and ctx.svc.settings.facebook is not None
    draft.album = None
    note = t(lang, "compose.picked", title=esc(post.title_for(lang)))
    return await _go(update, ctx, draft, _next(draft, AUDIENCE), note=note)


# -- steps 2–5: English text, tags, buttons, audience -------------------------------------------
async def got_english(update: Update, ctx: Ctx) -> str | int:
    """Takes the English text (or Skip), then asks the kind."""
    return await _take_english(update, ctx, NEW)


async def got_edit_english(update: Update, ctx: Ctx) -> str | int:
    """Takes the new content's English text (or Skip), then shows it again."""
    return await _take_english(update, ctx, EDIT)


async def _take_english(update: Update, ctx: Ctx, purpose: str) -> str | int:
    if (draft := await _live(update, ctx, purpose)) is None:
        return END
    lang = await lang_of(update, ctx)
    texts = dict(draft.payload["text"])
    if update.callback_query is not None:
        await answer_callback(update)
        await _answered(update, t(lang, "compose.button.skip_english"))
        texts.pop("en", None)
    else:
        message = update.effective_message
        assert message is not None
        texts["en"] = message.text_html
    draft.payload = {**draft.payload, "text": texts}
    if purpose == EDIT:
        return await _go(update, ctx, draft, EDIT_PREVIEW)
    return await _go(update, ctx, draft, _next(draft, KIND))


async def chose_kind(update: Update, ctx: Ctx) -> str | int:
    """Takes the kind, then asks the campaign."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    lang = await lang_of(update, ctx)
    draft.kind = _data(update).removeprefix("pp:kind:")
    await _answered(update, _kind_name(lang, draft.kind))
    return await _go(update, ctx, draft, _next(draft, CAMPAIGN))


async def chose_campaign(update: Update, ctx: Ctx) -> str | int:
    """Takes the campaign (or none), then asks the plan measure."""
    if (draft := await _live(update, ctx, NEW)) is None:
        await answer_callback(update)
        return END
    lang = await lang_of(update, ctx)
    code = _data(update).removeprefix("pp:camp:")
    if code != "-" and ctx.svc.content.library.campaign(code) is None:
        await answer_callback(update, t(lang, "error.stale_button"), alert=True)
        return CAMPAIGN
    await answer_callback(update)
    draft.campaign = None if code == "-" else code
    if draft.campaign is None:  # a pledge is to a campaign
        draft.payload = posts.with_action(draft.payload, "pledge", False)
    await _answered(update, _campaign_name(ctx, lang, draft.campaign) if draft.campaign
                    else t(lang, "compose.button.no_campaign"))
    return await _go(update, ctx, draft, _next(draft, MEASURE))


async def got_measure(update: Update, ctx: Ctx) -> str | int:
    """Takes the plan measure typed like 1.1 (or Skip), then shows the buttons."""
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    lang = await lang_of(update, ctx)
    if update.callback_query is not None:
        await answer_callback(update)
        await _answered(update, t(lang, "compose.button.skip"))
        draft.measure = None
    else:
        assert update.effective_message is not None
        try:
            draft.measure = posts.parse_measure(update.effective_message.text or "")
        except PostError:
            await reply(update, t(lang, "compose.bad_measure"))
            return MEASURE
    return await _go(update, ctx, draft, _next(draft, BUTTONS))


async def toggle_button(update: Update, ctx: Ctx) -> str | int:
    """Turns one button under the post on or off, in place."""
    if (draft := await _live(update, ctx, NEW)) is None:
        await answer_callback(update)
        return END
    lang = await lang_of(update, ctx)
    action = _data(update).removeprefix("pp:btn:")
    if action == "pledge" and draft.campaign is None:
        await answer_callback(update, t(lang, "compose.pledge_needs_campaign"), alert=True)
        return BUTTONS
    await answer_callback(update)
    on = action not in posts.actions_of(draft.payload)
    draft.payload = posts.with_action(draft.payload, action, on)
    await _save(update, ctx, draft, BUTTONS)
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(TelegramError):  # a double tap: the same keyboard is shown
        await query.edit_message_reply_markup(_buttons_markup(lang, draft))
    return BUTTONS


async def buttons_done(update: Update, ctx: Ctx) -> str | int:
    """Keeps the buttons as shown, then asks the audience."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    lang = await lang_of(update, ctx)
    await _answered(update, _button_names(lang, draft.payload))
    return await _go(update, ctx, draft, _next(draft, AUDIENCE))


async def toggle_page(update: Update, ctx: Ctx) -> str | int:
    """Turns "also on the Facebook Page" on or off, in place."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    if ctx.svc.settings.facebook is None:  # an old button from when Facebook was on
        return draft.step
    lang = await lang_of(update, ctx)
    draft.page = not draft.page
    await _save(update, ctx, draft, AUDIENCE)
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(TelegramError):  # a double tap: the same keyboard is shown
        await query.edit_message_reply_markup(await _audience_markup(ctx, lang, draft))
    return AUDIENCE


async def chose_audience(update: Update, ctx: Ctx) -> str | int:
    """Takes the audience, then asks when."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    lang = await lang_of(update, ctx)
    draft.audience = _data(update).removeprefix("pp:aud:")
    await _answered(update, t(lang, f"compose.audience.{draft.audience}"))
    return await _go(update, ctx, draft, _next(draft, WHEN))


# -- step 6: when --------------------------------------------------------------------------------
async def chose_when(update: Update, ctx: Ctx) -> str | int:
    """Now goes to the preview; a date and time, or weekly, asks on."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    lang = await lang_of(update, ctx)
    choice = _data(update).removeprefix("pp:when:")
    await _answered(update, t(lang, f"compose.button.{choice}"))
    if choice == "now":
        draft.when = schedule.when_of(None)
        draft.editing = False
        return await _go(update, ctx, draft, PREVIEW)
    if choice == "weekly":
        draft.days, draft.times = [], []
        return await _go(update, ctx, draft, DAYS)
    return await _go(update, ctx, draft, AT)


async def got_at(update: Update, ctx: Ctx) -> str | int:
    """Takes a typed date and time (local); refuses the past and what it cannot read."""
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    lang = await lang_of(update, ctx)
    assert update.effective_message is not None
    try:
        at = schedule.parse_moment(update.effective_message.text or "", ctx.svc.now(),
                                   ctx.svc.settings.tz)
    except WhenError as exc:
        await _when_refused(update, ctx, lang, exc)
        return draft.step  # the buttons of "when" still work, and so does typing again
    draft.when = schedule.when_of(at)
    draft.editing = False
    return await _go(update, ctx, draft, PREVIEW,
                     note=t(lang, "compose.understood", when=_local(ctx, lang, at)))


async def _when_refused(update: Update, ctx: Ctx, lang: str, exc: WhenError) -> None:
    now = _local(ctx, lang, ctx.svc.now())
    await reply(update, t(lang, f"compose.when_error.{exc.reason}", now=now, **_examples(ctx)))


async def toggle_day(update: Update, ctx: Ctx) -> str | int:
    """Turns a day of the week on or off, in place."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    lang = await lang_of(update, ctx)
    day = int(_data(update).removeprefix("pp:day:"))
    draft.days = sorted(set(draft.days) ^ {day})
    await _save(update, ctx, draft, DAYS)
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(_days_markup(lang, draft))
    return DAYS


async def days_done(update: Update, ctx: Ctx) -> str | int:
    """Keeps the days (at least one), then asks the times."""
    if (draft := await _live(update, ctx, NEW)) is None:
        await answer_callback(update)
        return END
    lang = await lang_of(update, ctx)
    if not draft.days:
        await answer_callback(update, t(lang, "compose.no_days"), alert=True)
        return DAYS
    await answer_callback(update)
    await _answered(update, ", ".join(t(lang, f"compose.day.{d}") for d in draft.days))
    return await _go(update, ctx, draft, TIMES)


async def got_times(update: Update, ctx: Ctx) -> str | int:
    """Takes the times of day, then asks until when."""
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    lang = await lang_of(update, ctx)
    assert update.effective_message is not None
    try:
        times = schedule.parse_times(update.effective_message.text or "")
    except WhenError as exc:
        await _when_refused(update, ctx, lang, exc)
        return TIMES
    draft.times = [x.strftime("%H:%M") for x in times]
    return await _go(update, ctx, draft, UNTIL)


async def got_until(update: Update, ctx: Ctx) -> str | int:
    """Takes the last day (a button or typed), then shows the preview."""
    if (draft := await _live(update, ctx, NEW)) is None:
        await answer_callback(update)
        return END
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    today = svc.backend.local_date(svc.now())
    if update.callback_query is not None:
        await answer_callback(update)
        choice = _data(update).removeprefix("pp:until:")
        await _answered(update, t(lang, f"compose.button.{choice}"))
        end_on = today + UNTIL_CHOICES[choice]
    else:
        assert update.effective_message is not None
        try:
            end_on = schedule.parse_end(update.effective_message.text or "", today)
        except WhenError as exc:
            await _when_refused(update, ctx, lang, exc)
            return UNTIL
    rule = Weekly(days=tuple(draft.days), times=tuple(dt.time.fromisoformat(x)
                                                     for x in draft.times),
                  start_on=today, end_on=end_on)
    first = schedule.first_run(rule, svc.settings.tz, svc.now())
    if first is None:
        await reply(update, t(lang, "compose.when_error.no_runs", now=_local(ctx, lang, svc.now()),
                              **_examples(ctx)))
        return UNTIL
    draft.when = schedule.when_of(rule)
    draft.editing = False
    note = t(lang, "compose.first_run", when=_local(ctx, lang, first))
    return await _go(update, ctx, draft, PREVIEW, note=note)


# -- steps 7–8: preview, test, change, confirm -------------------------------------------------
async def send_test(update: Update, ctx: Ctx) -> str | int:
    """Sends the post to the staff member in each of its languages, as readers get it."""
    await answer_callback(update)
    edit = _data(update).startswith("pe:")
    purpose = EDIT if edit else NEW
    if (draft := await _live(update, ctx, purpose)) is None:
        return END
    lang, chat_id = await lang_of(update, ctx), _chat_id(update)
    for post_lang in ("mn", "en"):
        if post_lang == "mn" or draft.payload["text"].get("en"):
            if post_lang == "en":
                await _say(ctx, chat_id, t(lang, "compose.test_english"))
            if not await _show_post(ctx, chat_id, lang, draft, post_lang):
                break
    if edit:
        await _edit_preview_buttons(ctx, chat_id, lang, draft, t(lang, "compose.test_sent"))
        return EDIT_PREVIEW
    await _preview_buttons(ctx, chat_id, lang, draft, t(lang, "compose.test_sent"))
    return PREVIEW


async def change(update: Update, ctx: Ctx) -> str | int:
    """Shows what can be changed."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    await drop_keyboard(update)
    return await _go(update, ctx, draft, CHANGE)


async def change_choice(update: Update, ctx: Ctx) -> str | int:
    """Goes to the chosen step; it comes back to the preview."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    await drop_keyboard(update)
    what = _data(update).removeprefix("pp:ch:")
    if what == "back":
        return await _go(update, ctx, draft, PREVIEW)
    step = {"content": CONTENT, "english": ENGLISH, "kind": KIND, "campaign": CAMPAIGN,
            "measure": MEASURE, "buttons": BUTTONS, "audience": AUDIENCE, "when": WHEN}[what]
    draft.editing = True
    return await _go(update, ctx, draft, step)


async def confirm(update: Update, ctx: Ctx) -> str | int:
    """Schedules the post; says its number and when it goes (now: starts it at once)."""
    await answer_callback(update)
    svc = ctx.svc
    if (draft := await _live(update, ctx, NEW)) is None:
        return END
    lang = await lang_of(update, ctx)
    moment = draft.moment()
    try:
        schedule_id = await schedule.publish_draft(svc.backend, _staff_id(update), draft,
                                                   svc.now())
    except schedule.DraftGone:
        await reply(update, t(lang, "compose.gone"))
        return END
    except WhenError as exc:
        await _when_refused(update, ctx, lang, exc)
        draft.editing = True
        return await _go(update, ctx, draft, WHEN)
    except (PostError, ScheduleError) as exc:
        log.info("post refused: %s", exc)
        await reply(update, t(lang, "compose.refused"))
        return PREVIEW
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return END
    await drop_keyboard(update)
    log.info("post scheduled as schedule %d", schedule_id)
    if isinstance(moment, Weekly):
        first = schedule.first_run(moment, svc.settings.tz, svc.now())
        when = t(lang, "compose.done_weekly", rule=_when_text(ctx, lang, moment),
                 first=_local(ctx, lang, first) if first else "—")
    else:
        at = svc.now() if moment is None else moment
        goes = _goes(ctx, at)
        when = t(lang, "compose.done_now") if moment is None and goes == at \
            else t(lang, "compose.done_at", at=_local(ctx, lang, goes))
    await reply(update, t(lang, "compose.scheduled", number=schedule_id, when=when))
    if moment is None:
        await jobs.send_due_posts(ctx)  # now means now, not at the poller's next look
    return END


# -- edits of a schedule (from /posts) -----------------------------------------------------------
async def start_move(update: Update, ctx: Ctx) -> str | int:
    """Asks for a one-off schedule's new time."""
    return await _start_edit(update, ctx, MOVE)


async def start_replace(update: Update, ctx: Ctx) -> str | int:
    """Asks for a schedule's new content."""
    return await _start_edit(update, ctx, REPLACE)


async def _start_edit(update: Update, ctx: Ctx, step: str) -> str | int:
    await answer_callback(update)
    svc = ctx.svc
    lang = await lang_of(update, ctx)
    schedule_id = int(_data(update).rsplit(":", 1)[1])
    view = await schedule.schedule_view(svc.backend, schedule_id, svc.now())
    if view is None or (step == MOVE and view.once_at is None):
        await reply(update, t(lang, "posts.not_active", number=schedule_id))
        return END
    stored = await posts.load(svc.backend, view.post_id)
    if stored is None:
        await reply(update, t(lang, "posts.not_active", number=schedule_id))
        return END
    await drop_keyboard(update)
    _set_flow(ctx, EDIT)
    draft = PostDraft(schedule_id=schedule_id, payload=stored[0], campaign=stored[1].campaign)
    return await _go(update, ctx, draft, step)


async def got_move(update: Update, ctx: Ctx) -> str | int:
    """Takes the new date and time, and moves the schedule."""
    if (draft := await _live(update, ctx, EDIT)) is None:
        return END
    svc = ctx.svc
    lang = await lang_of(update, ctx)
    assert update.effective_message is not None and draft.schedule_id is not None
    try:
        at = schedule.parse_moment(update.effective_message.text or "", svc.now(),
                                   svc.settings.tz)
        await schedule.staff_move(svc.backend, _staff_id(update), draft.schedule_id, at,
                                  svc.now())
    except WhenError as exc:
        await _when_refused(update, ctx, lang, exc)
        return MOVE
    except ScheduleError:
        await schedule.discard_draft(svc.backend, _staff_id(update), EDIT)
        await reply(update, t(lang, "posts.not_active", number=draft.schedule_id))
        return END
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return END
    await schedule.discard_draft(svc.backend, _staff_id(update), EDIT)
    goes = _goes(ctx, at)
    await reply(update, t(lang, "posts.moved", number=draft.schedule_id,
                          at=_local(ctx, lang, goes)))
    return END


async def edit_english(update: Update, ctx: Ctx) -> str | int:
    """Asks for the new content's English text."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, EDIT)) is None:
        return END
    await drop_keyboard(update)
    return await _go(update, ctx, draft, EDIT_ENGLISH)


async def confirm_replace(update: Update, ctx: Ctx) -> str | int:
    """Replaces the schedule's content for its runs still to come."""
    await answer_callback(update)
    if (draft := await _live(update, ctx, EDIT)) is None:
        return END
    svc = ctx.svc
    lang = await lang_of(update, ctx)
    assert draft.schedule_id is not None
    try:
        await schedule.staff_replace(svc.backend, _staff_id(update), draft.schedule_id,
                                     draft.payload, svc.now())
    except (PostError, ScheduleError):
        await schedule.discard_draft(svc.backend, _staff_id(update), EDIT)
        await reply(update, t(lang, "posts.not_active", number=draft.schedule_id))
        return END
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return END
    await drop_keyboard(update)
    await reply(update, t(lang, "posts.replaced", number=draft.schedule_id))
    return END


# -- wrong input -----------------------------------------------------------------------------
HINTS = {
    CONTENT: "compose.wrong.content", ENGLISH: "compose.wrong.english",
    MEASURE: "compose.bad_measure", AT: "compose.wrong.at", TIMES: "compose.wrong.times",
    UNTIL: "compose.wrong.until", MOVE: "compose.wrong.at", REPLACE: "compose.wrong.content",
    EDIT_ENGLISH: "compose.wrong.english",
}


def _wrong(step: str) -> Callable[[Update, Ctx], Coroutine[Any, Any, str | int]]:
    async def wrong(update: Update, ctx: Ctx) -> str | int:
        if (draft := await _live(update, ctx, _purpose(step))) is None:
            return END
        lang = await lang_of(update, ctx)
        note = t(lang, HINTS.get(step, "compose.wrong.buttons"), **_examples(ctx))
        if step == PREVIEW:
            await _preview_buttons(ctx, _chat_id(update), lang, draft, note)
        elif step == EDIT_PREVIEW:
            await _edit_preview_buttons(ctx, _chat_id(update), lang, draft, note)
        elif step in HINTS:
            await reply(update, note)
        else:
            await PROMPTS[step](ctx, _chat_id(update), lang, draft, note)
        return step

    wrong.__doc__ = f"Explains what the {step} step takes, after input it cannot take."
    return wrong


# -- wiring of the steps (into the conversation in bot/tg/citizen/flow.py) --------------------
def entry_points(access: Access) -> Handlers:
    """What starts (or resumes) a post or an edit, from anywhere."""
    poster = access.poster
    return [
        CommandHandler("post", begin, filters=poster),
        StaffCallbackHandler(resume, r"^pp:resume$", poster),
        StaffCallbackHandler(start_over, r"^pp:new$", poster),
        StaffCallbackHandler(start_move, r"^pl:move:\d{1,10}$", poster),
        StaffCallbackHandler(start_replace, r"^pl:replace:\d{1,10}$", poster),
        # /cancel when no flow is running, e.g. after a restart: the saved post goes too.
        CommandHandler("cancel", cancel_outside, filters=poster),
    ]


def states(access: Access) -> dict[object, Handlers]:
    """The steps of a post and of an edit, and what each one accepts."""
    poster = access.poster
    # Commands and the citizen menu are never a step's input: they switch flows.
    staff_input = poster & ~filters.COMMAND & ~ANY_MENU_BUTTON
    text = staff_input & filters.TEXT
    postable = staff_input & (filters.TEXT | filters.PHOTO | filters.VIDEO | filters.ANIMATION
                              | filters.Document.ALL)

    def button(callback: Callable[[Update, Ctx], Awaitable[Any]], pattern: str
               ) -> StaffCallbackHandler:
        return StaffCallbackHandler(callback, pattern, poster)

    def step(name: str, *handlers: BaseHandler[Update, Ctx, Any]) -> Handlers:
        purpose = _purpose(name)
        parts: Handlers = [] if name in (CONTENT, REPLACE) else [
            MessageHandler(staff_input & _ALBUM_PART, _album_part(purpose))]
        return [*parts, *handlers, MessageHandler(staff_input, _wrong(name))]

    return {
        RESUME: step(RESUME, button(resume, r"^pp:resume$"), button(start_over, r"^pp:new$")),
        CONTENT: step(CONTENT, MessageHandler(postable, got_content),
                      button(library_page, r"^pp:(lib|page):\d{1,3}$"),
                      button(picked, r"^pp:pick:[a-z0-9][a-z0-9-]{0,39}$")),
        ENGLISH: step(ENGLISH, MessageHandler(text, got_english),
                      button(got_english, r"^pp:skip$")),
        KIND: step(KIND, button(chose_kind, rf"^pp:kind:({'|'.join(KINDS)})$")),
        CAMPAIGN: step(CAMPAIGN, button(chose_campaign, r"^pp:camp:(-|[a-z0-9][a-z0-9-]{0,39})$")),
        MEASURE: step(MEASURE, MessageHandler(text, got_measure),
                      button(got_measure, r"^pp:skip$")),
        BUTTONS: step(BUTTONS, button(toggle_button, rf"^pp:btn:({'|'.join(TOGGLES)})$"),
                      button(buttons_done, r"^pp:btn:ok$")),
        AUDIENCE: step(AUDIENCE, button(chose_audience, rf"^pp:aud:({'|'.join(AUDIENCES)})$"),
                       button(toggle_page, r"^pp:fb$")),
        WHEN: step(WHEN, button(chose_when, r"^pp:when:(now|at|weekly)$"),
                   MessageHandler(text, got_at)),
        AT: step(AT, MessageHandler(text, got_at)),
        DAYS: step(DAYS, button(toggle_day, r"^pp:day:[0-6]$"), button(days_done, r"^pp:day:ok$")),
        TIMES: step(TIMES, MessageHandler(text, got_times)),
        UNTIL: step(UNTIL, button(got_until, r"^pp:until:(4w|3m)$"),
                    MessageHandler(text, got_until)),
        PREVIEW: step(PREVIEW, button(send_test, r"^pp:test$"), button(confirm, r"^pp:ok$"),
                      button(change, r"^pp:change$")),
        CHANGE: step(CHANGE, button(change_choice, r"^pp:ch:(content|english|kind|campaign|"
                                                   r"measure|buttons|audience|when|back)$")),
        MOVE: step(MOVE, MessageHandler(text, got_move)),
        REPLACE: step(REPLACE, MessageHandler(postable, got_replacement)),
        EDIT_PREVIEW: step(EDIT_PREVIEW, button(send_test, r"^pe:test$"),
                           button(edit_english, r"^pe:en$"), button(confirm_replace, r"^pe:ok$")),
        EDIT_ENGLISH: step(EDIT_ENGLISH, MessageHandler(text, got_edit_english),
                           button(got_edit_english, r"^pe:skip$")),
    }


def cancel_handlers(access: Access) -> Handlers:
    """The Cancel buttons of a post and of an edit."""
    return [StaffCallbackHandler(cancel_new, r"^pp:cancel$", access.poster),
            StaffCallbackHandler(cancel_edit, r"^pe:cancel$", access.poster)]


# -- /posts: what is scheduled, what went out, and their reach ----------------------------------
def _rule_text(ctx: Ctx, lang: str, view: schedule.ScheduleView) -> str:
    if view.rule is None:
        assert view.once_at is not None
        return _local(ctx, lang, view.once_at)
    return _when_text(ctx, lang, view.rule)


def _upcoming_block(ctx: Ctx, lang: str, view: schedule.ScheduleView) -> str:
    lines = [t(lang, "posts.upcoming_line", number=view.schedule_id,
               when=_rule_text(ctx, lang, view), kind=_kind_name(lang, view.kind),
               audience=t(lang, f"compose.audience.{view.audience}"), title=esc(view.title))]
    if view.rule is not None:
        lines.append(t(lang, "posts.next_run", at=_local(ctx, lang, view.goes_at))
                     if view.goes_at is not None else t(lang, "posts.no_more_runs"))
    elif view.goes_at is not None and view.goes_at != view.next_at:
        lines.append(t(lang, "posts.held_back", at=_local(ctx, lang, view.goes_at)))
    return "\n".join(lines)


def _recent_block(ctx: Ctx, lang: str, item: posts.Recent,
                  on_page: page.PagePost | None = None) -> str:
    r = item.reach
    lines = [t(lang, "posts.recent_line", number=item.broadcast_id, title=esc(item.title),
               started=_local(ctx, lang, item.started) if item.started else "—",
               status=t(lang, f"posts.status.{item.status}")),
             t(lang, "posts.reach", sent=r.sent, total=r.total, failed=r.failed,
               skipped=r.skipped, useful=r.useful, shares=r.shares)]
    if r.chats:
        lines.append(t(lang, "posts.reach_chats", chats=r.chats, members=r.members,
                       reactions=r.reactions))
    if on_page is not None:
        lines += page_lines(ctx, lang, on_page)
    return "\n".join(lines)


def page_lines(ctx: Ctx, lang: str, p: page.PagePost) -> list[str]:
    """A broadcast's Facebook Page post: where it stands, and Facebook's latest figures."""
    if p.status == "published" and p.url is not None and p.published_at is not None:
        lines = [t(lang, "page.posts.published", url=esc(p.url),
                   at=_local(ctx, lang, p.published_at),
                   note=t(lang, f"page.note.{p.note}") if p.note in page.NOTES else "")]
        f = p.figures
        if f is None or p.read_on is None:
            lines.append(t(lang, "page.posts.not_read"))
        else:
            numbers = {"date": p.read_on.strftime("%Y.%m.%d"), "reactions": f.reactions,
                       "comments": f.comments, "shares": f.shares}
            lines.append(t(lang, "page.posts.figures", views=f.views, **numbers)
                         if f.views is not None else t(lang, "page.posts.figures_no_views",
                                                       **numbers))
        return lines
    if p.status == "pending" and p.attempts and p.next_at is not None:
        return [t(lang, "page.posts.retrying", at=_local(ctx, lang, p.next_at))]
    if p.status == "failed":  # in the staff notice's own words
        return [t(lang, "page.posts.failed", reason=page_reason(lang, p.error or ""))]
    return [t(lang, f"page.posts.{p.status}")]  # pending, publishing, unsure


async def list_posts(update: Update, ctx: Ctx) -> None:
    """`/posts`: schedules still to run (soonest first) and recent broadcasts with reach."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    ahead = await schedule.schedules_ahead(svc.backend, svc.now(), UPCOMING_SHOWN)
    if ahead:
        rows = [[(t(lang, "posts.button.edit", number=v.schedule_id), f"pl:edit:{v.schedule_id}"),
                 (t(lang, "posts.button.cancel", number=v.schedule_id),
                  f"pl:cancel:{v.schedule_id}")] for v in ahead]
        await reply_long(update, [t(lang, "posts.upcoming_header", n=len(ahead)),
                                  *(_upcoming_block(ctx, lang, v) for v in ahead)],
                         reply_markup=buttons(rows))
    else:
        await reply(update, t(lang, "posts.no_upcoming"))
    recent = await posts.recent(svc.backend, RECENT_SHOWN)
    if not recent:
        await reply(update, t(lang, "posts.no_recent"))
        return
    running = [r for r in recent if r.status in ("queued", "sending")]
    markup = buttons([[(t(lang, "posts.button.stop", number=r.broadcast_id),
                        f"pl:stop:{r.broadcast_id}")] for r in running]) if running else None
    on_page = await page.of_broadcasts(svc.backend, [r.broadcast_id for r in recent])
    notes = [t(lang, "posts.reach_note")] + ([t(lang, "page.posts.note")] if on_page else [])
    await reply_long(update, [t(lang, "posts.recent_header"),
                              *(_recent_block(ctx, lang, r, on_page.get(r.broadcast_id))
                                for r in recent), *notes], reply_markup=markup)


def _number(update: Update) -> int:
    return int(_data(update).rsplit(":", 1)[1])


async def edit_menu(update: Update, ctx: Ctx) -> None:
    """What to change in a schedule: its time (one-offs), or its content."""
    await answer_callback(update)
    lang = await lang_of(update, ctx)
    number = _number(update)
    view = await schedule.schedule_view(ctx.svc.backend, number, ctx.svc.now())
    if view is None:
        await reply(update, t(lang, "posts.not_active", number=number))
        return
    rows = [[(t(lang, "posts.button.replace"), f"pl:replace:{number}")]]
    if view.rule is None:
        rows.insert(0, [(t(lang, "posts.button.move"), f"pl:move:{number}")])
    await reply(update, t(lang, "posts.edit_what", number=number,
                          when=_rule_text(ctx, lang, view), title=esc(view.title)),
                reply_markup=buttons(rows))


async def ask_cancel(update: Update, ctx: Ctx) -> None:
    """Asks to confirm cancelling a schedule."""
    await answer_callback(update)
    lang = await lang_of(update, ctx)
    number = _number(update)
    await reply(update, t(lang, "posts.ask_cancel", number=number), reply_markup=buttons([[
        (t(lang, "posts.button.yes_cancel"), f"pl:cancel!:{number}"),
        (t(lang, "posts.button.keep"), "pl:keep")]]))


async def do_cancel(update: Update, ctx: Ctx) -> None:
    """Cancels the schedule's runs still to come."""
    lang = await lang_of(update, ctx)
    number = _number(update)
    try:
        done = await schedule.staff_cancel(ctx.svc.backend, _staff_id(update), number,
                                           ctx.svc.now())
    except DomainError as exc:
        await answer_callback(update)
        await refuse(update, ctx, exc)
        return
    await answer_callback(update)
    await drop_keyboard(update)
    await reply(update, t(lang, "posts.cancelled" if done else "posts.not_active",
                          number=number))


async def ask_stop(update: Update, ctx: Ctx) -> None:
    """Asks to confirm stopping a running broadcast."""
    await answer_callback(update)
    lang = await lang_of(update, ctx)
    number = _number(update)
    await reply(update, t(lang, "posts.ask_stop", number=number), reply_markup=buttons([[
        (t(lang, "posts.button.yes_stop"), f"pl:stop!:{number}"),
        (t(lang, "posts.button.keep"), "pl:keep")]]))


async def do_stop(update: Update, ctx: Ctx) -> None:
    """Stops a running broadcast: nobody else gets it."""
    lang = await lang_of(update, ctx)
    number = _number(update)
    try:
        skipped = await posts.staff_stop(ctx.svc.backend, _staff_id(update), number,
                                         ctx.svc.now())
    except DomainError as exc:
        await answer_callback(update)
        await refuse(update, ctx, exc)
        return
    await answer_callback(update)
    await drop_keyboard(update)
    await reply(update, t(lang, "posts.not_running" if skipped is None else "posts.stopped",
                          number=number))


async def keep(update: Update, ctx: Ctx) -> None:
    """Leaves the schedule or broadcast as it is."""
    await answer_callback(update)
    await drop_keyboard(update)
    await reply(update, t(await lang_of(update, ctx), "posts.kept"))


async def not_allowed(update: Update, ctx: Ctx) -> None:
    """`/post` or `/posts` from someone who may not post, or outside a private chat."""
    lang = await lang_of(update, ctx)
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and chat.type != chat.PRIVATE:
        key = "staff.private_only"
    elif user is not None and ctx.svc.staff.get(user.id) in set(Role):
        key = "staff.not_allowed"  # staff, but a viewer
    else:
        key = "staff.only"
    await reply(update, t(lang, key))


def register(app: App, access: Access) -> None:
    """`/posts` and its buttons; `/post` and `/posts` from anyone else are refused."""
    poster = access.poster
    app.add_handler(CommandHandler("posts", list_posts, filters=poster))
    app.add_handler(StaffCallbackHandler(edit_menu, r"^pl:edit:\d{1,10}$", poster))
    app.add_handler(StaffCallbackHandler(ask_cancel, r"^pl:cancel:\d{1,10}$", poster))
    app.add_handler(StaffCallbackHandler(do_cancel, r"^pl:cancel!:\d{1,10}$", poster))
    app.add_handler(StaffCallbackHandler(ask_stop, r"^pl:stop:\d{1,10}$", poster))
    app.add_handler(StaffCallbackHandler(do_stop, r"^pl:stop!:\d{1,10}$", poster))
    app.add_handler(StaffCallbackHandler(keep, r"^pl:keep$", poster))
    app.add_handler(CommandHandler(["post", "posts"], not_allowed,
                                   filters=PRIVATE | filters.ChatType.GROUPS))
