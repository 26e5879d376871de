"""The year's plan: the shipped 2023 plan as the reference document has it, and validation."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from bot.core.content import check
from bot.core.plan import Links, load_plans, parse_plan

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "content"
CAMPAIGNS = {"negdye": object(), "honest-leader": object()}

# Counted in shared/reference/000_099628953c2ee5f7.txt: eight goals; the measures 1.1–1.4,
# 2.1–2.3, 3.1, goal 4's one (printed "1."), 5.1–5.3, 6.1–6.5 with 6.5.1–6.5.4, 7.1–7.3 and
# goal 8's two unnumbered ones.
MEASURES_2023 = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "3.1", "4.1", "5.1", "5.2",
                 "5.3", "6.1", "6.2", "6.3", "6.4", "6.5", "6.5.1", "6.5.2", "6.5.3", "6.5.4",
                 "7.1", "7.2", "7.3", "8.1", "8.2"]


def test_the_shipped_2023_plan_is_the_reference_documents() -> None:
    plans = load_plans(SHIPPED)
    assert plans.errors == ()
    plan = plans.plans[2023]
    assert [g.no for g in plan.goals] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [m.no for m in plan.measures] == MEASURES_2023
    assert [len(g.measures) for g in plan.goals] == [4, 3, 1, 1, 3, 9, 3, 2]
    assert plan.title == ("БАЯНХОНГОР АЙМГИЙН АВЛИГЫН ЭСРЭГ ҮЙЛ АЖИЛЛАГААНЫ 2023 ОНЫ "
                          "ТӨЛӨВЛӨГӨӨНИЙ БИЕЛЭЛТ")
    first = plan.goals[0]
    assert first.text.startswith("Авлигын эсрэг хууль тогтоомжийг иргэдэд сурталчлах")
    assert first.measures[0].text.startswith("АТГ-аас бэлтгэсэн тв шторк, инфографик")
    assert first.measures[1].indicator == ("-Дэмжиж хамтран ажилласан байх\n"
                                           "-Салбар нэгж, орон нутаг, зохион байгуулж, үр дүнг "
                                           "тайлагнасан байх")
    assert plan.measure("4.1") is not None and plan.measure("4.1").shown_no == "1."  # type: ignore[union-attr]
    assert plan.measure("8.2").shown_no == ""  # type: ignore[union-attr]
    assert plan.measure("6.5.2").shown_no == "6.5.2."  # type: ignore[union-attr]
    assert plan.measure("6.5.2").links.complaints  # type: ignore[union-attr]
    assert plan.measure("1.2").links.campaigns == ("negdye",)  # type: ignore[union-attr]
    assert [s.name for s in plans.signers_for(plan)] == ["Д.МӨНХСАЙХАН", "Д.САРАНГАРАВ",
                                                         "Ж.ЛХАМДУЛАМ"]


def test_the_2023_notes_are_the_offices_words_for_every_measure() -> None:
    plans = load_plans(SHIPPED)
    notes = plans.file_notes(2023, 0)
    assert sorted(notes) == sorted(MEASURES_2023)
    assert all(n.percent == 100 for n in notes.values())
    assert "56 төрлийн мэдээг түгээж 6735 хандалт авч, 203 удаа" in notes["1.1"].text
    assert "297 иргэн судалгаанд хамрагдсан" in notes["7.3"].text
    assert notes["1.4"].text.count("\n") == 3  # four paragraphs
    assert plans.file_notes(2023, 1) == {}


def test_shipped_signers_leave_names_to_fill_in() -> None:
    plans = load_plans(SHIPPED)
    assert [s.role for s in plans.signers] == ["acknowledged", "reviewed", "compiled"]
    assert plans.signers[0].position == "АЙМГИЙН ЗАСАГ\nДАРГА"
    assert all(s.name == "" for s in plans.signers)


PLAN = """\
year: 2024
title: ТАЙЛАН
goals:
  - number: 1
    text: Зорилго нэг
    measures:
      - number: "1.1"
        text: Арга хэмжээ
        indicator: Үзүүлэлт
        links: {measures_tag: true, campaigns: [negdye], kinds: [poster], complaints: true}
        targets: {posts: 12, deliveries: 1000, on_time_pct: 100}
"""


def _problems(text: str, year: int | None = 2024) -> list[str]:
    plan, errors = parse_plan(Path("2024.yaml"), text, CAMPAIGNS, expect_year=year)
    assert (plan is None) == bool(errors)
    return [f"{e.path}: {e.field}: {e.reason}" for e in errors]


def test_a_good_plan_parses() -> None:
    plan, errors = parse_plan(Path("2024.yaml"), PLAN, CAMPAIGNS, expect_year=2024)
    assert errors == [] and plan is not None
    measure = plan.measures[0]
    assert measure.links == Links(measures_tag=True, campaigns=("negdye",), kinds=("poster",),
                                  complaints=True, offline=True)
    assert dict(measure.targets) == {"posts": 12, "deliveries": 1000, "on_time_pct": 100}
    assert plan.half_title == "ТАЙЛАН"
    assert parse_plan(Path("x"), PLAN.replace("ТАЙЛАН", "2024 ОНЫ БИЕЛЭЛТ"), CAMPAIGNS
                      )[0].half_title == "2024 ОНЫ ХАГАС ЖИЛИЙН БИЕЛЭЛТ"  # type: ignore[union-attr]


@pytest.mark.parametrize(("change", "problem"), [
    (("campaigns: [negdye]", "campaigns: [nope]"),
     "2024.yaml: measure 1.1.links.campaigns: unknown campaign 'nope' "
     "(known: honest-leader, negdye)"),
    (("kinds: [poster]", "kinds: [tweet]"),
     "2024.yaml: measure 1.1.links.kinds: unknown post kind 'tweet' (known: article, campaign, "
     "ebook, handbook, infographic, news, poster, video)"),
    (('number: "1.1"', "number: 1.1"),
     '2024.yaml: goal 1.measures[0].number: write the number in quotes, like "1.1" (YAML '
     "reads 1.10 as the number 1.1, so a number without quotes is refused)"),
    (('number: "1.1"', 'number: "2.1"'),
     "2024.yaml: measure 2.1.number: measure 2.1 is under goal 1: its number must start "
     "with 1."),
    (("number: 1\n", "no: 1\n"),
     "2024.yaml: goals[0].number: required: the goal's number, 1, 2, 3 …"),
    (("targets: {posts: 12,", "targets: {posts: 0,"),
     "2024.yaml: measure 1.1.targets.posts: a whole number, at least 1"),
    (("on_time_pct: 100", "on_time_pct: 120"),
     "2024.yaml: measure 1.1.targets.on_time_pct: a percent, at most 100"),
    (("on_time_pct: 100", "views: 100"),
     "2024.yaml: measure 1.1.targets.views: unknown target (known: posts, deliveries, "
     "recipients, shares, useful, pledges, on_time_pct, offline_times, offline_people, "
     "survey_responses)"),
    (("complaints: true", "complaints: yes please"),
     "2024.yaml: measure 1.1.links.complaints: yes or no: write true or false"),
    (("year: 2024", "year: 2025"),
     "2024.yaml: year: 2025, but the file is named 2024.yaml: make them agree"),
    (("        text: Арга хэмжээ\n", ""),
     "2024.yaml: measure 1.1.text: required: the text as written in the plan"),
    (("indicator: Үзүүлэлт", "indicatr: Үзүүлэлт"),
     "2024.yaml: measure 1.1.indicatr: unknown field (known: number, label, text, indicator, "
     "links, targets)"),
])
def test_a_broken_plan_names_the_field_and_the_reason(change: tuple[str, str],
                                                      problem: str) -> None:
    old, new = change
    assert old in PLAN
    problems = _problems(PLAN.replace(old, new))
    assert problem in problems, problems


def test_the_no_trap_of_yaml_is_explained() -> None:
    problems = _problems(PLAN.replace("number: 1\n", "no: 1\n"))
    assert ("2024.yaml: goals[0].False: YAML reads no, yes, on, off as yes/no: write the "
            "field's name (number, text …)") in problems


def test_surveys_are_linked_by_their_measure_or_by_id() -> None:
    text = PLAN.replace("complaints: true}", "complaints: true, surveys: [one-stop, nope]}")
    plan, errors = parse_plan(Path("2024.yaml"), text, CAMPAIGNS, surveys={"one-stop": 1})
    assert [f"{e.field}: {e.reason}" for e in errors] == [
        "measure 1.1.links.surveys: unknown survey 'nope' (known: one-stop)"]
    both = PLAN.replace("complaints: true}", "complaints: true, surveys: true}")
    plan, _ = parse_plan(Path("2024.yaml"), both, CAMPAIGNS)
    assert plan is not None and plan.measures[0].links.surveys is True
    shipped = load_plans(SHIPPED).plans[2023]
    assert [m.no for m in shipped.measures if m.links.surveys] == ["4.1", "6.5.2", "7.3"]


def test_targets_need_a_link_that_counts_them() -> None:
    text = PLAN.replace("links: {measures_tag: true, campaigns: [negdye], kinds: [poster], "
                        "complaints: true}", "links: {offline: false}")
    assert _problems(text) == [
        "2024.yaml: measure 1.1.targets.posts: needs posts to count: links.measures_tag, "
        "campaigns or kinds",
        "2024.yaml: measure 1.1.targets.deliveries: needs posts to count: "
        "links.measures_tag, campaigns or kinds",
        "2024.yaml: measure 1.1.targets.on_time_pct: needs links.complaints: true",
    ]


def test_duplicates_and_yaml_errors() -> None:
    twice = PLAN + '      - number: "1.1"\n        text: Дахиад\n'
    assert "2024.yaml: measure 1.1.number: measure 1.1 appears twice" in _problems(twice)
    assert _problems("year: 2024\ntitle: a: b\n") == [
        "2024.yaml: (file): line 2: not valid YAML: mapping values are not allowed here "
        "(a text containing ': ' must be put in quotes)"]
    assert _problems("- a\n") == [
        "2024.yaml: (file): expected fields like 'year: 2024' and 'goals:'"]


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(SHIPPED, root)
    return root


def test_a_broken_file_is_reported_and_the_rest_loads(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    (root / "plan" / "2024.yaml").write_text(PLAN.replace("kinds: [poster]", "kinds: [x]"),
                                             encoding="utf-8")
    (root / "plan" / "2024-notes.yaml").write_text('notes:\n  "1.1": {text: Сайн}\n',
                                                   encoding="utf-8")
    (root / "plan" / "2023-h1-notes.yaml").write_text(
        'notes:\n  "9.9": {text: Үгүй, percent: 50}\n  "1.1": {percent: 101}\n',
        encoding="utf-8")
    (root / "plan" / "notes.txt.yaml").write_text("x: 1\n", encoding="utf-8")
    plans = load_plans(root)
    assert 2023 in plans.plans and 2024 not in plans.plans
    assert [f"{e.path.name}: {e.field}: {e.reason}" for e in plans.errors] == [
        "2024.yaml: measure 1.1.links.kinds: unknown post kind 'x' (known: article, campaign, "
        "ebook, handbook, infographic, news, poster, video)",
        "2023-h1-notes.yaml: notes.9.9: the 2023 plan has no measure 9.9",
        "2023-h1-notes.yaml: notes.1.1.percent: a whole number from 0 to 100",
        "notes.txt.yaml: (file): not a plan file: name it 2024.yaml, 2024-notes.yaml, "
        "2024-h1-notes.yaml or signers.yaml (or start it with _)",
    ]
    # The notes of a broken plan are not checked against it, and not reported as orphans.
    assert [e.path.name for e in plans.errors_for(2024)] == ["2024.yaml"]


def test_content_check_covers_the_plan_folder(tmp_path: Path) -> None:
    out = io.StringIO()
    assert check(SHIPPED, out) == 0
    assert ", 1 plan (26 measures)" in out.getvalue()
    root = _folder(tmp_path)
    (root / "plan" / "template.yaml").write_text("year: 2025\ngoals: []\n", encoding="utf-8")
    (root / "plan" / "signers.yaml").write_text("signers:\n  reviewed: {name: Б.Бат}\n",
                                                encoding="utf-8")
    out = io.StringIO()
    assert check(root, out) == 1
    lines = out.getvalue().splitlines()
    plan_dir = root / "plan"
    assert lines[:-1] == [
        f"{plan_dir / 'template.yaml'}: title: required: the text as written in the plan",
        f"{plan_dir / 'template.yaml'}: goals: required: a list of goals, each with its "
        "measures",
        f"{plan_dir / 'signers.yaml'}: signers.acknowledged: required: {{position: …, name: …}}",
        f"{plan_dir / 'signers.yaml'}: signers.reviewed.position: required: the text as "
        "written in the plan",
        f"{plan_dir / 'signers.yaml'}: signers.compiled: required: {{position: …, name: …}}",
    ]
    assert "5 problems in 2 files" in lines[-1]
