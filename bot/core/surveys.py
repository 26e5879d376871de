"""Surveys: definitions from `content/surveys/*.yaml`, anonymous answering, and results.

A person's answers wait in a draft found by a keyed pseudonym (so they can stop and come
back); when they finish, the answers are copied into rows with no pseudonym, the draft is
deleted, and a per-survey "has answered" mark remains, linked to nothing. Free-text answers
go to their own encrypted table without a response id, so they can never be shown next to
anyone's age band or employment. Results suppress any breakdown cell under 5 people.

The channel adapters ask `current(...)` what to show, and call `answer`, `skip` or `back`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.backend import Backend, record_event
from bot.core.models import Citizen
from bot.core.orgs import ContentError
from bot.core.staff import POST_ROLES, audit, require
from bot.storage import survey_queries as sq

TYPES = ("single", "multiple", "scale", "text")
DEMOGRAPHICS = ("age_band", "employment", "soum")
CHANNELS = ("telegram", "messenger", "paper")
SCALE = ("1", "2", "3", "4", "5")
PREFER_NOT = "-"  # the stored choice for "prefer not to say"
MIN_CELL = 5  # breakdown cells with fewer respondents are shown as "< 5"
TEXT_LIMIT = 1000
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
_MEASURE = re.compile(r"^\d{1,2}(\.\d{1,2}){0,3}$")


# -- definitions -------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """One choice of a question."""

    code: str
    text: dict[str, str]

    def label(self, lang: str) -> str:
        """The text in `lang`, falling back to Mongolian."""
        return self.text.get(lang) or self.text["mn"]


@dataclass(frozen=True)
class Condition:
    """Ask a question only if an earlier one was answered with one of `values`."""

    question: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """One question: single or multiple choice, a 1–5 scale, or free text."""

    id: str
    type: str
    text: dict[str, str]
    options: tuple[Option, ...] = ()
    demographic: str | None = None
    prefer_not: bool = False
    when: Condition | None = None

    def prompt(self, lang: str) -> str:
        """The question in `lang`, falling back to Mongolian."""
        return self.text.get(lang) or self.text["mn"]

    def choices(self) -> tuple[str, ...]:
        """Every stored value an answer can have."""
        codes = SCALE if self.type == "scale" else tuple(o.code for o in self.options)
        return (*codes, PREFER_NOT) if self.prefer_not else codes

    def option(self, code: str) -> Option | None:
        """An option by its code."""
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class Survey:
    """A survey file."""

    id: str
    title: dict[str, str]
    intro: dict[str, str]
    opens: dt.date
    closes: dt.date
    questions: tuple[Question, ...]
    measure: str | None = None
    after_case: bool = False
    path: Path | None = None

    def is_open(self, today: dt.date) -> bool:
        """Whether answers are taken on `today` (local)."""
        return self.opens <= today <= self.closes

    def question(self, question_id: str) -> Question | None:
        """A question by id."""
        return next((q for q in self.questions if q.id == question_id), None)

    def asked(self, answers: dict[str, list[str]]) -> list[Question]:
        """The questions this person is asked, given their answers so far (conditions)."""
        return [q for q in self.questions if q.when is None
                or any(v in answers.get(q.when.question, []) for v in q.when.values)]

    def heading(self, lang: str) -> str:
        """The title in `lang`, falling back to Mongolian."""
        return self.title.get(lang) or self.title["mn"]


def _texts(raw: Any, where: str, path: Path) -> dict[str, str]:
    if isinstance(raw, str) and raw.strip():
        return {"mn": raw.strip()}
    if isinstance(raw, dict) and isinstance(raw.get("mn"), str) and raw["mn"].strip():
        return {k: str(v).strip() for k, v in raw.items() if k in ("mn", "en") and v}
    raise ContentError(path, where, "needs a Mongolian text (mn)")


def _date(raw: Any, where: str, path: Path) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise ContentError(path, where, f"{raw!r} is not a date like 2024-01-31") from None


def parse_survey(path: Path, text: str) -> Survey:
    """One survey file; raises `ContentError` naming the field at the first problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ContentError(path, "yaml", str(exc).splitlines()[0]) from None
    if not isinstance(data, dict):
        raise ContentError(path, "file", "expected a mapping with id, title and questions")
    survey_id = str(data.get("id", ""))
    if not _ID.match(survey_id):
        raise ContentError(path, "id", "a-z, 0-9 and -, at most 40 characters")
    measure = data.get("measure")
    if measure is not None and not _MEASURE.match(str(measure)):
        raise ContentError(path, "measure", "a plan measure number like 4 or 7.3")
    opens, closes = _date(data.get("opens"), "opens", path), _date(data.get("closes"), "closes",
                                                                      path)
    if closes < opens:
        raise ContentError(path, "closes", "before opens")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise ContentError(path, "questions", "a list of at least one question")
    questions: list[Question] = []
    for i, raw in enumerate(raw_questions):
        questions.append(_question(path, f"questions[{i}]", raw, questions))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ContentError(path, "questions", "two questions have the same id")
    return Survey(id=survey_id, title=_texts(data.get("title"), "title", path),
                  intro=_texts(data.get("intro"), "intro", path), opens=opens, closes=closes,
                  questions=tuple(questions), measure=None if measure is None else str(measure),
                  after_case=bool(data.get("after_case", False)), path=path)


def _question(path: Path, where: str, raw: Any, before: list[Question]) -> Question:
    if not isinstance(raw, dict):
        raise ContentError(path, where, "a question is a mapping")
    qid, qtype = str(raw.get("id", "")), raw.get("type")
    if not _CODE.match(qid):
        raise ContentError(path, f"{where}.id", "a-z, 0-9 and -, at most 24 characters")
    if qtype not in TYPES:
        raise ContentError(path, f"{where}.type", f"one of {', '.join(TYPES)}")
    options: list[Option] = []
    for j, option in enumerate(raw.get("options") or []):
        if not isinstance(option, dict) or not _CODE.match(str(option.get("code", ""))):
            raise ContentError(path, f"{where}.options[{j}].code", "a-z, 0-9 and -")
        options.append(Option(str(option["code"]), _texts(
            {k: v for k, v in option.items() if k != "code"}, f"{where}.options[{j}]", path)))
    if qtype in ("single", "multiple") and not 2 <= len(options) <= 12:
        raise ContentError(path, f"{where}.options", "a choice question needs 2 to 12 options")
    if qtype in ("scale", "text") and options:
        raise ContentError(path, f"{where}.options", f"a {qtype} question has no options")
    if len({o.code for o in options}) != len(options):
        raise ContentError(path, f"{where}.options", "two options have the same code")
    demographic = raw.get("demographic")
    if demographic is not None and (demographic not in DEMOGRAPHICS or qtype != "single"):
        raise ContentError(path, f"{where}.demographic",
                           f"one of {', '.join(DEMOGRAPHICS)}, on a single-choice question")
    when = None
    if (cond := raw.get("when")) is not None:
        if not isinstance(cond, dict):
            raise ContentError(path, f"{where}.when", "{question: …, is: [...]}")
        target = next((q for q in before if q.id == cond.get("question")), None)
        values = cond.get("is")
        if target is None:
            raise ContentError(path, f"{where}.when.question", "must name an earlier question")
        if not isinstance(values, list) or not values or \
                not all(str(v) in target.choices() for v in values):
            raise ContentError(path, f"{where}.when.is", f"choices of {target.id}: "
                               f"{', '.join(target.choices())}")
        when = Condition(target.id, tuple(str(v) for v in values))
    return Question(id=qid, type=str(qtype), text=_texts(raw.get("text"), f"{where}.text", path),
                    options=tuple(options), demographic=demographic,
                    prefer_not=bool(raw.get("prefer_not", False)), when=when)


@dataclass(frozen=True)
class SurveyLibrary:
    """The surveys that loaded, and every problem found."""

    surveys: tuple[Survey, ...] = ()
    errors: tuple[ContentError, ...] = ()

    def get(self, survey_id: str) -> Survey | None:
        """A survey by id."""
        return next((s for s in self.surveys if s.id == survey_id), None)

    def open_now(self, today: dt.date) -> list[Survey]:
        """Surveys citizens can pick from the menu today (not the case rating)."""
        return [s for s in self.surveys if s.is_open(today) and not s.after_case]

    def case_rating(self) -> Survey | None:
        """The survey offered after a case is closed."""
        return next((s for s in self.surveys if s.after_case), None)


def load_surveys(content_dir: Path) -> SurveyLibrary:
    """Every `content/surveys/*.yaml`; a broken file is skipped and reported, never fatal."""
    folder = content_dir / "surveys"
    surveys: list[Survey] = []
    errors: list[ContentError] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            survey = parse_survey(path, path.read_text(encoding="utf-8"))
        except ContentError as exc:
            errors.append(exc)
            continue
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(ContentError(path, "file", exc.__class__.__name__))
            continue
        if any(s.id == survey.id for s in surveys):
            errors.append(ContentError(path, "id", f"{survey.id} is used by another survey"))
            continue
        surveys.append(survey)
    return SurveyLibrary(tuple(surveys), tuple(errors))


# -- answering ---------------------------------------------------------------------------
class SurveyError(Exception):
    """Why a survey cannot be answered now: `closed`, `answered`, `bad_answer`, `no_draft`."""


@dataclass(frozen=True)
class Step:
    """What the person sees next: a question (with its place), or the end."""

    survey: Survey
    question: Question | None  # None: all answered, the thanks
    number: int  # 1-based place among the questions this person is asked
    total: int
    answers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """No question left."""
        return self.question is None


def _key(b: Backend, survey: Survey, who: Citizen) -> bytes:
    return b.vault.pseudonym(f"survey:{survey.id}", who.ref)


def _context(survey: Survey) -> str:
    return f"survey:{survey.id}"


async def _load(b: Backend, survey: Survey, who: Citizen) -> dict[str, Any] | None:
    async with b.db.read() as conn:
        row = await sq.get_draft(conn, _key(b, survey, who))
    if row is None or row["survey"] != survey.id:
        return None
    loaded: dict[str, Any] = json.loads(b.vault.open_text(bytes(row["answers"]),
                                                          _context(survey)))
    return loaded


async def _save(b: Backend, survey: Survey, who: Citizen, state: dict[str, Any],
                now: dt.datetime) -> None:
    sealed = b.vault.seal_text(json.dumps(state, ensure_ascii=False), _context(survey))
    async with b.db.tx() as conn:
        await sq.put_draft(conn, _key(b, survey, who), survey.id, who.channel, sealed,
                           now.isoformat())


def _step(survey: Survey, state: dict[str, Any]) -> Step:
    answers: dict[str, list[str]] = state["answers"]
    skipped: list[str] = state.get("skipped", [])
    asked = survey.asked(answers)
    for number, question in enumerate(asked, start=1):
        if question.id not in answers and question.id not in skipped:
            return Step(survey, question, number, len(asked), answers)
    return Step(survey, None, len(asked), len(asked), answers)


async def start(b: Backend, survey: Survey, who: Citizen, now: dt.datetime) -> Step:
    """Begin (or resume) a survey; `SurveyError("answered")` if this person already did."""
    if not survey.is_open(b.local_date(now)):
        raise SurveyError("closed")
    async with b.db.read() as conn:
        if await sq.has_taken(conn, survey.id, _key(b, survey, who)):
            raise SurveyError("answered")
    state = await _load(b, survey, who)
    if state is None:
        state = {"answers": {}, "skipped": [], "texts": {}}
        await _save(b, survey, who, state, now)
        await record_event(b, "survey_started", now, channel=who.channel, survey=survey.id,
                           precision="day")
    return _step(survey, state)


async def current(b: Backend, survey: Survey, who: Citizen) -> Step:
    """Where this person is in the survey; `SurveyError("no_draft")` if not in it."""
    state = await _load(b, survey, who)
    if state is None:
        raise SurveyError("no_draft")
    return _step(survey, state)


def _check(question: Question, values: list[str]) -> list[str]:
    allowed = question.choices()
    if question.type == "text":
        raise SurveyError("bad_answer")
    if not values or any(v not in allowed for v in values):
        raise SurveyError("bad_answer")
    if question.type != "multiple" and len(values) != 1:
        raise SurveyError("bad_answer")
    if PREFER_NOT in values and len(values) > 1:
        raise SurveyError("bad_answer")
    return sorted(set(values), key=allowed.index)


async def answer(b: Backend, survey: Survey, who: Citizen, question_id: str,
                 values: list[str] | str, now: dt.datetime) -> Step:
    """Record an answer to the current question (choices, a scale value, or free text).

    Answering a question again changes it; answers to questions a changed answer no longer
    leads to are dropped, so the conditions always hold.
    """
    state = await _load(b, survey, who)
    question = survey.question(question_id)
    if state is None:
        raise SurveyError("no_draft")
    if question is None or question not in survey.asked(state["answers"]):
        raise SurveyError("bad_answer")
    if question.type == "text":
        text = " ".join(str(values).split()) if isinstance(values, str) else ""
        if not text or len(text) > TEXT_LIMIT:
            raise SurveyError("bad_answer")
        state["texts"][question.id] = text
        state["answers"][question.id] = ["text"]
    else:
        state["answers"][question.id] = _check(
            question, [values] if isinstance(values, str) else list(values))
    state["skipped"] = [s for s in state["skipped"] if s != question.id]
    still = {q.id for q in survey.asked(state["answers"])}
    state["answers"] = {k: v for k, v in state["answers"].items() if k in still}
    state["texts"] = {k: v for k, v in state["texts"].items() if k in still}
    await _save(b, survey, who, state, now)
    return _step(survey, state)


async def toggle(b: Backend, survey: Survey, who: Citizen, question_id: str, code: str,
                 now: dt.datetime) -> list[str]:
    """Tick or untick an option of a multiple choice; returns the ticks so far.

    They are kept in the draft, so two quick taps, or a restart, lose none.
    """
    state = await _load(b, survey, who)
    question = survey.question(question_id)
    if state is None:
        raise SurveyError("no_draft")
    if question is None or question.type != "multiple" or question.option(code) is None \
            or question not in survey.asked(state["answers"]):
        raise SurveyError("bad_answer")
    ticked: list[str] = state.setdefault("ticked", {}).get(question_id, [])
    ticked = [c for c in ticked if c != code] if code in ticked else [*ticked, code]
    state["ticked"][question_id] = ticked
    await _save(b, survey, who, state, now)
    return ticked


async def ticked(b: Backend, survey: Survey, who: Citizen, question_id: str) -> list[str]:
    """The options ticked so far on a multiple choice."""
    state = await _load(b, survey, who)
    if state is None:
        raise SurveyError("no_draft")
    return list(state.get("ticked", {}).get(question_id, []))


async def skip(b: Backend, survey: Survey, who: Citizen, question_id: str,
               now: dt.datetime) -> Step:
    """Leave the current question unanswered."""
    state = await _load(b, survey, who)
    if state is None:
        raise SurveyError("no_draft")
    if question_id not in state["skipped"]:
        state["skipped"].append(question_id)
    state["answers"].pop(question_id, None)
    state["texts"].pop(question_id, None)
    await _save(b, survey, who, state, now)
    return _step(survey, state)


async def back(b: Backend, survey: Survey, who: Citizen, now: dt.datetime) -> Step:
    """Go back one question: the one before the current is asked again."""
    state = await _load(b, survey, who)
    if state is None:
        raise SurveyError("no_draft")
    here = _step(survey, state)
    asked = survey.asked(state["answers"])
    index = len(asked) if here.question is None else asked.index(here.question)
    if index > 0:
        previous = asked[index - 1].id
        state["answers"].pop(previous, None)
        state["texts"].pop(previous, None)
        state["skipped"] = [s for s in state["skipped"] if s != previous]
        await _save(b, survey, who, state, now)
    return _step(survey, state)


async def finish(b: Backend, survey: Survey, who: Citizen, now: dt.datetime) -> None:
    """Store the answers without the person, mark them as having answered, drop the draft."""
    state = await _load(b, survey, who)
    if state is None:
        raise SurveyError("no_draft")
    if not _step(survey, state).done:
        raise SurveyError("bad_answer")
    day = b.local_date(now).isoformat()
    async with b.db.tx() as conn:
        if not await sq.mark_taken(conn, survey.id, _key(b, survey, who)):
            raise SurveyError("answered")
        await _store(b, conn, survey, who.channel, state, day)
        await sq.delete_draft(conn, _key(b, survey, who))
    await record_event(b, "survey_answered", now, channel=who.channel, survey=survey.id,
                       precision="day")


async def _store(b: Backend, conn: Any, survey: Survey, channel: str, state: dict[str, Any],
                 day: str) -> None:
    response_id = await sq.insert_response(conn, survey.id, channel, day)
    rows = [(response_id, qid, choice) for qid, choices in state["answers"].items()
            for choice in choices if choice != "text"]
    await sq.insert_answers(conn, rows)
    for qid, text in state.get("texts", {}).items():
        await sq.insert_text(conn, survey.id, qid,
                             b.vault.seal_text(text, f"survey-text:{survey.id}"), day)


async def discard(b: Backend, survey: Survey, who: Citizen) -> None:
    """Drop an unfinished draft (the person said stop)."""
    async with b.db.tx() as conn:
        await sq.delete_draft(conn, _key(b, survey, who))


# -- paper forms -------------------------------------------------------------------------
@dataclass(frozen=True)
class PaperImport:
    """What an import of paper forms did."""

    added: int
    problems: tuple[tuple[int, str, str], ...]  # (line, column, reason)


def parse_paper(survey: Survey, text: str) -> tuple[list[dict[str, Any]], list[tuple[int, str,
                                                                                        str]]]:
    """A CSV of paper forms: a column per question id, one form per row.

    Cells hold an option code (several separated by `|` for a multiple choice), 1–5 for a
    scale, `-` for "prefer not to say", free text for a text question, or nothing (skipped).
    """
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    unknown = [c for c in reader.fieldnames or [] if survey.question(c) is None]
    if unknown:
        return [], [(1, ",".join(unknown), "not a question of this survey")]
    forms: list[dict[str, Any]] = []
    problems: list[tuple[int, str, str]] = []
    for line, row in enumerate(reader, start=2):
        answers: dict[str, list[str]] = {}
        texts: dict[str, str] = {}
        bad = False
        for question in survey.questions:
            cell = (row.get(question.id) or "").strip()
            if not cell:
                continue
            if question.type == "text":
                texts[question.id] = " ".join(cell.split())[:TEXT_LIMIT]
                answers[question.id] = ["text"]
                continue
            try:
                answers[question.id] = _check(question, [c.strip() for c in cell.split("|")])
            except SurveyError:
                problems.append((line, question.id, f"{cell!r}: one of "
                                 f"{', '.join(question.choices())}"))
                bad = True
        asked = {q.id for q in survey.asked(answers)}
        if not bad and (extra := [k for k in answers if k not in asked]):
            problems.append((line, extra[0], "answered, but its condition is not met"))
            bad = True
        if not bad and answers:
            forms.append({"answers": answers, "texts": texts})
    return forms, problems


async def import_paper(b: Backend, staff_id: int, survey: Survey, text: str,
                       now: dt.datetime) -> PaperImport:
    """Add paper forms (counted with channel "paper") in one transaction."""
    forms, problems = parse_paper(survey, text)
    day = b.local_date(now).isoformat()
    async with b.db.tx() as conn:
        await require(conn, staff_id, POST_ROLES)
        for form in forms:
            await _store(b, conn, survey, "paper", form, day)
        if forms:
            await audit(conn, staff_id, "survey_paper_import", now,
                        detail=f"{survey.id}:{len(forms)}")
    if forms:
        await record_event(b, "survey_answered", now, channel="paper", survey=survey.id,
                           count=len(forms), precision="day")
    return PaperImport(len(forms), tuple(problems))


# -- results -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Share:
    """How many chose an option, of how many answered the question."""

    count: int
    base: int

    @property
    def percent(self) -> float:
        """The share in percent (0 with no answers)."""
        return 100.0 * self.count / self.base if self.base else 0.0


@dataclass(frozen=True)
class Results:
    """A survey's results: counts by channel, shares per question, and cross-tabs."""

    survey: Survey
    responses: int
    by_channel: dict[str, int]
    questions: dict[str, dict[str, Share]]  # question -> choice -> share
    # demographic question -> its choice -> question -> choice -> count (None: under 5)
    crosstabs: dict[str, dict[str, dict[str, dict[str, int | None]]]]
    texts: int  # how many free-text answers (read them with `read_texts`)


async def results(b: Backend, survey: Survey, first: dt.date | None = None,
                  last: dt.date | None = None) -> Results:
    """Shares per question and cross-tabs by the demographic questions, cells under 5 hidden."""
    first_day = (first or dt.date.min).isoformat()
    last_day = (last or dt.date.max).isoformat()
    async with b.db.read() as conn:
        by_channel = await sq.responses_by_channel(conn, survey.id, first_day, last_day)
        counts = await sq.choice_counts(conn, survey.id, first_day, last_day)
        bases = await sq.question_bases(conn, survey.id, first_day, last_day)
        texts = await sq.count_texts(conn, survey.id, first_day, last_day)
        demographic = [q for q in survey.questions if q.demographic]
        pairs: dict[str, list[Any]] = {}
        for q in demographic:
            pairs[q.id] = await sq.crosstab(conn, survey.id, q.id, first_day, last_day)
    questions: dict[str, dict[str, Share]] = {}
    for q in survey.questions:
        if q.type == "text":
            continue
        base = bases.get(q.id, 0)
        questions[q.id] = {c: Share(counts.get((q.id, c), 0), base) for c in q.choices()}
    crosstabs: dict[str, dict[str, dict[str, dict[str, int | None]]]] = {}
    for q in demographic:
        table: dict[str, dict[str, dict[str, int | None]]] = defaultdict(
            lambda: defaultdict(dict))
        raw: Counter[tuple[str, str, str]] = Counter()
        for row in pairs[q.id]:
            raw[(str(row["group_choice"]), str(row["question"]), str(row["choice"]))] = \
                int(row["n"])
        for group in q.choices():
            # A group under 5 people shows nothing: even its zeros would tell on them.
            small = counts.get((q.id, group), 0) < MIN_CELL
            for other in survey.questions:
                if other.id == q.id or other.type == "text":
                    continue
                for choice in other.choices():
                    n = raw.get((group, other.id, choice), 0)
                    table[group][other.id][choice] = None if small or 0 < n < MIN_CELL else n
        crosstabs[q.id] = {g: dict(v) for g, v in table.items()}
    return Results(survey, sum(by_channel.values()), by_channel, questions, crosstabs, texts)


async def read_texts(b: Backend, staff_id: int, survey: Survey) -> list[str]:
    """The free-text answers, for staff, in random order and with nothing beside them."""
    async with b.db.read() as conn:
        await require(conn, staff_id, POST_ROLES)
        rows = await sq.texts(conn, survey.id)
    return [b.vault.open_text(bytes(r["body"]), f"survey-text:{survey.id}") for r in rows]
