"""The year's anti-corruption plan: goals, measures and indicators, from `content/plan/`.

The format is described for staff in `content/plan/README.md`:

- `<year>.yaml` (e.g. `2024.yaml`): the plan. Goals in order, each with its measures in the
  office's numbering (1.1, 1.2 … 6.5.2), the performance indicator, and optionally the
  `links` that say which of the bot's figures belong to the measure and `targets` from
  which "Хэрэгжилт N%" can be computed.
- `<year>-notes.yaml`, `<year>-h1-notes.yaml`: staff's words for column 5 of the year-end
  and the half-year report, written in a file (notes set in Telegram are stored in the
  database and win over these).
- `signers.yaml`: the three signature lines (a plan may carry its own `signers`).
- `template.yaml`: a blank plan to copy for a new year (checked, never loaded as a plan).

Like the content library, a broken file never stops the bot: loading collects a
`ContentError(path, field, reason)` for every problem and keeps every good file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.content import KINDS as POST_KINDS
from bot.core.content import _yaml_reason, parse_campaigns
from bot.core.offline import MEASURE, NOTE_LIMIT, Note
from bot.core.orgs import ContentError
from bot.core.surveys import load_surveys

PLAN_FILE = re.compile(r"^(\d{4})\.yaml$")
NOTES_FILE = re.compile(r"^(\d{4})-(?:(h1)-)?notes\.yaml$")
TEMPLATE = "template.yaml"
SIGNERS = "signers.yaml"

# The three signature lines, in the order they are printed.
SIGNER_ROLES = ("acknowledged", "reviewed", "compiled")  # ТАНИЛЦСАН, ХЯНАСАН, НЭГТГЭСЭН
PLAN_FIELDS = ("year", "title", "half_title", "place", "signers", "goals")
GOAL_FIELDS = ("number", "text", "measures")
MEASURE_FIELDS = ("number", "label", "text", "indicator", "links", "targets")
LINK_FIELDS = ("measures_tag", "campaigns", "kinds", "complaints", "offline", "surveys")
# What a target counts, and the link it needs to be measured at all.
OUTREACH_TARGETS = ("posts", "deliveries", "recipients", "shares", "useful", "pledges")
COMPLAINT_TARGETS = ("on_time_pct",)
OFFLINE_TARGETS = ("offline_times", "offline_people")
SURVEY_TARGETS = ("survey_responses",)
TARGETS = OUTREACH_TARGETS + COMPLAINT_TARGETS + OFFLINE_TARGETS + SURVEY_TARGETS
TEXT_LIMIT = 3000


@dataclass(frozen=True)
class Links:
    """Which of the bot's figures belong to a measure (column 5 is written from them).

    A post counts for the measure when it matches every one given: tagged with the
    measure's number (`measures_tag`), of one of `campaigns`, of one of `kinds`.
    """

    measures_tag: bool = False  # posts whose `measure` is this measure's number
    campaigns: tuple[str, ...] = ()  # posts of these campaigns (codes of campaigns.yaml)
    kinds: tuple[str, ...] = ()  # posts of these kinds (poster, article …)
    complaints: bool = False  # the complaints the bot received and their handling
    offline: bool = True  # work staff recorded against this measure (trainings, radio …)
    # Surveys whose answers count: True for those whose own `measure` is this one, or ids.
    surveys: bool | tuple[str, ...] = False

    @property
    def outreach(self) -> bool:
        """Whether any posts are linked."""
        return self.measures_tag or bool(self.campaigns) or bool(self.kinds)


@dataclass(frozen=True)
class Measure:
    """One measure of the plan: a row of the report."""

    no: str  # "1.1", "6.5.2": the key offline entries, notes and posts refer to
    text: str
    indicator: str = ""
    label: str | None = None  # the number as printed, when the document prints another
    links: Links = field(default_factory=Links)
    targets: Mapping[str, int] = field(default_factory=dict)

    @property
    def shown_no(self) -> str:
        """The number printed before the measure's text ("1.1.", or the plan's label)."""
        return f"{self.no}." if self.label is None else self.label


@dataclass(frozen=True)
class Goal:
    """A goal of the plan and its measures."""

    no: int
    text: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class Signer:
    """A signature line: ТАНИЛЦСАН / ХЯНАСАН / НЭГТГЭСЭН, the position and the name."""

    role: str
    position: str  # may hold line breaks, as printed
    name: str = ""  # empty: a blank to sign and fill by hand


@dataclass(frozen=True)
class Plan:
    """One year's plan."""

    year: int
    title: str  # the year-end report's title
    half_title: str  # the half-year report's title
    goals: tuple[Goal, ...]
    path: Path
    place: str = ""
    signers: tuple[Signer, ...] | None = None  # None: those of signers.yaml

    @property
    def measures(self) -> tuple[Measure, ...]:
        """Every measure, in order."""
        return tuple(m for g in self.goals for m in g.measures)

    def measure(self, no: str) -> Measure | None:
        """A measure by its number."""
        return next((m for m in self.measures if m.no == no), None)


@dataclass(frozen=True)
class Plans:
    """Everything in `content/plan/` that loaded, and every problem found."""

    root: Path
    plans: dict[int, Plan]
    notes: dict[tuple[int, int], dict[str, Note]]  # (year, half) -> measure -> note
    signers: tuple[Signer, ...]
    errors: tuple[ContentError, ...]

    def signers_for(self, plan: Plan) -> tuple[Signer, ...]:
        """The plan's own signers, else those of signers.yaml."""
        return plan.signers if plan.signers is not None else self.signers

    def file_notes(self, year: int, half: int) -> dict[str, Note]:
        """Notes from the files for one report (half 0: the year-end report)."""
        return self.notes.get((year, half), {})

    def errors_for(self, year: int) -> list[ContentError]:
        """Problems in the files of one year and in signers.yaml."""
        return [e for e in self.errors
                if e.path.name == SIGNERS or e.path.name.startswith(f"{year}")]


class _Problems:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[ContentError] = []

    def add(self, where: str, reason: str) -> None:
        self.items.append(ContentError(self.path, where, reason))


def _text(value: Any, where: str, problems: _Problems, *, required: bool = True,
          keep_lines: bool = False, limit: int = TEXT_LIMIT) -> str:
    """Plain text; spaces tidied; line breaks kept only where they mean something."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(where, "required: the text as written in the plan")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(where, "expected text")
        return ""
    text = str(value)
    if keep_lines:
        lines = [" ".join(line.split()) for line in text.splitlines()]
        text = "\n".join(line for line in lines if line)
    else:
        text = " ".join(text.split())
    if len(text) > limit:
        problems.add(where, f"{len(text)} characters, at most {limit}")
    return text


def _unknown(data: dict[Any, Any], known: tuple[str, ...], where: str,
             problems: _Problems) -> None:
    """A problem for every field not in `known`."""
    for key in data:
        if key in known:
            continue
        at = f"{where}.{key}" if where else str(key)
        if isinstance(key, bool):
            problems.add(at, "YAML reads no, yes, on, off as yes/no: "
                             "write the field's name (number, text …)")
        else:
            problems.add(at, f"unknown field (known: {', '.join(known)})")


def _measure_no(value: Any) -> str | None:
    return value if isinstance(value, str) and MEASURE.match(value.strip()) else None


def _no_reason(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return (f'write the number in quotes, like "{value}" (YAML reads 1.10 as the number '
                "1.1, so a number without quotes is refused)")
    return 'a measure number like "1.1" or "6.5.2", in quotes'


def _codes(value: Any, where: str, problems: _Problems, known: Mapping[str, object] | None,
           what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(where, f"expected a list of {what} codes, like [negdye]")
        return ()
    if known is not None:
        for code in value:
            if code not in known:
                names = ", ".join(sorted(known)) or "none"
                problems.add(where, f"unknown {what} {code!r} (known: {names})")
    return tuple(value)


def _bool(value: Any, where: str, problems: _Problems, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        problems.add(where, "yes or no: write true or false")
        return default
    return value


def _surveys(value: Any, where: str, problems: _Problems,
             known: Mapping[str, object] | None) -> bool | tuple[str, ...]:
    if value is None or isinstance(value, bool):
        return bool(value)
    return _codes(value, where, problems, known, "survey")


def _links(value: Any, where: str, problems: _Problems,
           campaigns: Mapping[str, object] | None,
           surveys: Mapping[str, object] | None = None) -> Links:
    if value is None:
        return Links()
    if not isinstance(value, dict):
        problems.add(where, "expected fields like {measures_tag: true, campaigns: [negdye]}")
        return Links()
    for key in value:
        if key not in LINK_FIELDS:
            problems.add(f"{where}.{key}", f"unknown link (known: {', '.join(LINK_FIELDS)})")
    kinds = _codes(value.get("kinds"), f"{where}.kinds", problems,
                   dict.fromkeys(POST_KINDS), "post kind")
    return Links(
        measures_tag=_bool(value.get("measures_tag"), f"{where}.measures_tag", problems, False),
        campaigns=_codes(value.get("campaigns"), f"{where}.campaigns", problems, campaigns,
                         "campaign"),
        kinds=kinds,
        complaints=_bool(value.get("complaints"), f"{where}.complaints", problems, False),
        offline=_bool(value.get("offline"), f"{where}.offline", problems, True),
        surveys=_surveys(value.get("surveys"), f"{where}.surveys", problems, surveys),
    )


def _targets(value: Any, where: str, problems: _Problems, links: Links) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(where, "expected fields like {posts: 12, deliveries: 1000}")
        return {}
    found: dict[str, int] = {}
    for key, number in value.items():
        at = f"{where}.{key}"
        if key not in TARGETS:
            problems.add(at, f"unknown target (known: {', '.join(TARGETS)})")
            continue
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            problems.add(at, "a whole number, at least 1")
            continue
        if key == "on_time_pct" and number > 100:
            problems.add(at, "a percent, at most 100")
            continue
        if key in OUTREACH_TARGETS and not links.outreach:
            problems.add(at, "needs posts to count: links.measures_tag, campaigns or kinds")
            continue
        if key in COMPLAINT_TARGETS and not links.complaints:
            problems.add(at, "needs links.complaints: true")
            continue
        if key in OFFLINE_TARGETS and not links.offline:
            problems.add(at, "counts staff's entries, but links.offline is false")
            continue
        if key in SURVEY_TARGETS and not links.surveys:
            problems.add(at, "needs links.surveys: true or a list of survey ids")
            continue
        found[key] = number
    return found


def _signers(value: Any, where: str, problems: _Problems) -> tuple[Signer, ...] | None:
    if not isinstance(value, dict):
        problems.add(where, f"expected {', '.join(SIGNER_ROLES)}, each with position and name")
        return None
    for key in value:
        if key not in SIGNER_ROLES:
            problems.add(f"{where}.{key}", f"unknown signer (known: {', '.join(SIGNER_ROLES)})")
    found: list[Signer] = []
    for role in SIGNER_ROLES:
        item = value.get(role)
        at = f"{where}.{role}"
        if not isinstance(item, dict):
            problems.add(at, "required: {position: …, name: …}")
            continue
        for key in item:
            if key not in ("position", "name"):
                problems.add(f"{at}.{key}", "unknown field (position, name)")
        position = _text(item.get("position"), f"{at}.position", problems, keep_lines=True,
                         limit=200)
        name = _text(item.get("name"), f"{at}.name", problems, required=False, limit=100)
        found.append(Signer(role=role, position=position, name=name))
    return tuple(found)


def _load_yaml(path: Path, text: str, problems: _Problems) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(text.removeprefix("\ufeff"))
    except yaml.YAMLError as exc:
        problems.add("(file)", _yaml_reason(exc, first_line=1))
        return None
    if not isinstance(data, dict):
        problems.add("(file)", "expected fields like 'year: 2024' and 'goals:'")
        return None
    return data


def parse_plan(path: Path, text: str, campaigns: Mapping[str, object] | None,
               expect_year: int | None = None, surveys: Mapping[str, object] | None = None,
               ) -> tuple[Plan | None, list[ContentError]]:
    """Check one plan file; the plan (None if anything is wrong) and every problem found.

    `campaigns` is None when campaigns.yaml is broken: codes are then not checked (that
    file's own error says why); so are survey ids with `surveys` None. `expect_year` is the
    year the file's name gives.
    """
    problems = _Problems(path)
    data = _load_yaml(path, text, problems)
    if data is None:
        return None, problems.items
    _unknown(data, PLAN_FIELDS, "", problems)
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        problems.add("year", "required: the plan's year, like 2024")
        year = 0
    elif expect_year is not None and year != expect_year:
        problems.add("year", f"{year}, but the file is named {path.name}: make them agree")
    title = _text(data.get("title"), "title", problems, keep_lines=True, limit=400)
    half_title = _text(data.get("half_title"), "half_title", problems, required=False,
                       keep_lines=True, limit=400) or _half_title(title)
    place = _text(data.get("place"), "place", problems, required=False, limit=100)
    signers = None
    if data.get("signers") is not None:
        signers = _signers(data.get("signers"), "signers", problems)
    goals_raw = data.get("goals")
    goals: list[Goal] = []
    if not isinstance(goals_raw, list) or not goals_raw:
        problems.add("goals", "required: a list of goals, each with its measures")
        goals_raw = []
    seen_goals: set[int] = set()
    seen_measures: set[str] = set()
    for gi, goal in enumerate(goals_raw):
        where = f"goals[{gi}]"
        if not isinstance(goal, dict):
            problems.add(where, "expected {no, text, measures}")
            continue
        no = goal.get("number")
        if isinstance(no, bool) or not isinstance(no, int) or no < 1:
            problems.add(f"{where}.number", "required: the goal's number, 1, 2, 3 …")
            no = None
        else:
            where = f"goal {no}"
            if no in seen_goals:
                problems.add(f"{where}.number", f"goal {no} appears twice")
            seen_goals.add(no)
        _unknown(goal, GOAL_FIELDS, where, problems)
        goal_text = _text(goal.get("text"), f"{where}.text", problems)
        raw_measures = goal.get("measures")
        if not isinstance(raw_measures, list) or not raw_measures:
            problems.add(f"{where}.measures", "required: a list of the goal's measures")
            raw_measures = []
        measures: list[Measure] = []
        for mi, item in enumerate(raw_measures):
            at = f"{where}.measures[{mi}]"
            if not isinstance(item, dict):
                problems.add(at, "expected {no, text, indicator}")
                continue
            number = _measure_no(item.get("number"))
            if number is None:
                problems.add(f"{at}.number", _no_reason(item.get("number")))
            else:
                number = number.strip()
                at = f"measure {number}"
                if number in seen_measures:
                    problems.add(f"{at}.number", f"measure {number} appears twice")
                seen_measures.add(number)
                if no is not None and number.split(".")[0] != str(no):
                    problems.add(f"{at}.number", f"measure {number} is under goal {no}: its number "
                                             f"must start with {no}.")
            _unknown(item, MEASURE_FIELDS, at, problems)
            label = item.get("label")
            if label is not None and not isinstance(label, str):
                problems.add(f"{at}.label", 'expected text in quotes, like "1." or ""')
                label = None
            measure_text = _text(item.get("text"), f"{at}.text", problems)
            indicator = _text(item.get("indicator"), f"{at}.indicator", problems,
                              required=False, keep_lines=True)
            links = _links(item.get("links"), f"{at}.links", problems, campaigns, surveys)
            targets = _targets(item.get("targets"), f"{at}.targets", problems, links)
            if number is not None:
                measures.append(Measure(no=number, text=measure_text, indicator=indicator,
                                        label=label, links=links, targets=targets))
        if no is not None:
            goals.append(Goal(no=no, text=goal_text, measures=tuple(measures)))
    if problems.items:
        return None, problems.items
    return Plan(year=year, title=title, half_title=half_title, place=place,
                goals=tuple(goals), path=path, signers=signers), []


def _half_title(title: str) -> str:
    """The half-year title from the year-end one: "… БИЕЛЭЛТ" → "… ХАГАС ЖИЛИЙН БИЕЛЭЛТ"."""
    head, sep, tail = title.rpartition("БИЕЛЭЛТ")
    if sep and not tail.strip():
        return f"{head}ХАГАС ЖИЛИЙН БИЕЛЭЛТ"
    return title


def parse_signers(path: Path, text: str) -> tuple[tuple[Signer, ...] | None, list[ContentError]]:
    """Check signers.yaml: `signers: {acknowledged, reviewed, compiled}`."""
    problems = _Problems(path)
    data = _load_yaml(path, text, problems)
    if data is None:
        return None, problems.items
    for key in data:
        if key != "signers":
            problems.add(str(key), "unknown field (signers)")
    signers = _signers(data.get("signers"), "signers", problems)
    return (None if problems.items else signers), problems.items


def parse_notes(path: Path, text: str, plan: Plan | None
                ) -> tuple[dict[str, Note] | None, list[ContentError]]:
    """Check a notes file: `notes: {"1.1": {text: …, percent: 100}}`.

    Measures must exist in the year's plan (not checked when that plan is broken).
    """
    problems = _Problems(path)
    data = _load_yaml(path, text, problems)
    if data is None:
        return None, problems.items
    for key in data:
        if key != "notes":
            problems.add(str(key), "unknown field (notes)")
    raw = data.get("notes")
    if not isinstance(raw, dict):
        problems.add("notes", 'expected measures like "1.1": {text: …, percent: 100}')
        return None, problems.items
    found: dict[str, Note] = {}
    for key, item in raw.items():
        number = _measure_no(key)
        if number is None:
            problems.add(f"notes.{key}", _no_reason(key))
            continue
        at = f"notes.{number}"
        if plan is not None and plan.measure(number) is None:
            problems.add(at, f"the {plan.year} plan has no measure {number}")
            continue
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict):
            problems.add(at, "expected {text: …, percent: …}")
            continue
        for field_name in item:
            if field_name not in ("text", "percent"):
                problems.add(f"{at}.{field_name}", "unknown field (text, percent)")
        note_text = _text(item.get("text"), f"{at}.text", problems, required=False,
                          keep_lines=True, limit=NOTE_LIMIT * 4)
        percent = item.get("percent")
        if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int)
                                    or not 0 <= percent <= 100):
            problems.add(f"{at}.percent", "a whole number from 0 to 100")
            percent = None
        found[number] = Note(note_text, percent)
    return (None if problems.items else found), problems.items


def _read(path: Path, problems: list[ContentError]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(ContentError(path, "(file)", "not UTF-8 text"))
    except OSError as exc:
        problems.append(ContentError(path, "(file)", f"cannot be read: {exc.strerror}"))
    return None


def _survey_ids(content_root: Path) -> dict[str, object] | None:
    """The survey ids, or None when a survey file is broken (its own error says why)."""
    library = load_surveys(content_root)
    return None if library.errors else {s.id: s for s in library.surveys}


def _campaigns(content_root: Path) -> dict[str, object] | None:
    """The campaign codes, or None when campaigns.yaml is broken or missing."""
    path = content_root / "campaigns.yaml"
    try:
        return dict(parse_campaigns(path, path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ContentError):
        return None


def load_plans(content_root: Path, *, with_template: bool = False) -> Plans:
    """Every plan, notes file and signers.yaml under `content_root/plan`; never raises.

    `with_template` also checks template.yaml (for `python -m bot content check`).
    """
    root = content_root / "plan"
    errors: list[ContentError] = []
    plans: dict[int, Plan] = {}
    notes: dict[tuple[int, int], dict[str, Note]] = {}
    signers: tuple[Signer, ...] = ()
    if not root.is_dir():
        return Plans(root=root, plans={}, notes={}, signers=(), errors=())
    campaigns = _campaigns(content_root)
    surveys = _survey_ids(content_root)
    files = sorted(p for p in root.glob("*.yaml") if not p.name.startswith(("_", ".")))
    for path in files:
        match = PLAN_FILE.match(path.name)
        if match is None and not (with_template and path.name == TEMPLATE):
            continue
        text = _read(path, errors)
        if text is None:
            continue
        plan, problems = parse_plan(path, text, campaigns,
                                    expect_year=int(match.group(1)) if match else None,
                                    surveys=surveys)
        errors.extend(problems)
        if plan is not None and match is not None:
            plans[plan.year] = plan
    broken_years = {int(m.group(1)) for e in errors if (m := PLAN_FILE.match(e.path.name))}
    for path in files:
        match = NOTES_FILE.match(path.name)
        if match is None:
            continue
        year = int(match.group(1))
        half = 1 if match.group(2) else 0
        text = _read(path, errors)
        if text is None:
            continue
        plan = plans.get(year)
        if plan is None and year not in broken_years:
            errors.append(ContentError(path, "(file)", f"no plan for {year}: "
                                                       f"{year}.yaml is missing"))
            continue
        found, problems = parse_notes(path, text, plan)
        errors.extend(problems)
        if found is not None:
            notes[(year, half)] = found
    signers_path = root / SIGNERS
    if signers_path.is_file():
        text = _read(signers_path, errors)
        if text is not None:
            parsed, problems = parse_signers(signers_path, text)
            errors.extend(problems)
            signers = parsed or ()
    for path in files:
        known = (PLAN_FILE.match(path.name) or NOTES_FILE.match(path.name)
                 or path.name in (TEMPLATE, SIGNERS))
        if not known:
            errors.append(ContentError(path, "(file)", "not a plan file: name it 2024.yaml, "
                                                       "2024-notes.yaml, 2024-h1-notes.yaml or "
                                                       "signers.yaml (or start it with _)"))
    return Plans(root=root, plans=plans, notes=notes, signers=signers, errors=tuple(errors))


def check_plans(content_root: Path) -> tuple[Plans, list[ContentError]]:
    """Everything `python -m bot content check` says about `content/plan/`."""
    plans = load_plans(content_root, with_template=True)
    return plans, list(plans.errors)
