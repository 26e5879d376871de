"""Surveys in the core: definitions, answering with conditions, one response each, results
with small cells suppressed, paper forms, and nothing in the database that names anyone."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import surveys
from bot.core.backend import Backend, open_backend
from bot.core.models import Citizen
from bot.core.orgs import ContentError
from bot.core.surveys import SurveyError
from tests.test_core import ADMIN, NOW, settings_for

CONTENT = Path(__file__).resolve().parents[1] / "content"


@pytest.fixture
async def b(tmp_path: Path) -> AsyncIterator[Backend]:
    backend = await open_backend(settings_for(tmp_path), NOW)
    yield backend
    await backend.close()


def _library() -> surveys.SurveyLibrary:
    library = surveys.load_surveys(CONTENT)
    assert library.errors == ()
    return library


def test_the_shipped_surveys_load() -> None:
    library = _library()
    assert {s.id for s in library.surveys} == {"perception-2024", "one-stop-satisfaction",
                                               "case-rating"}
    perception = library.get("perception-2024")
    assert perception is not None and perception.measure == "4.1"
    assert [q.demographic for q in perception.questions[:2]] == ["age_band", "employment"]
    assert library.case_rating() is not None
    assert library.case_rating() not in library.open_now(dt.date(2026, 12, 1))


@pytest.mark.parametrize(("body", "field"), [
    ("id: Bad Id\n", "id"),
    ("id: s\nopens: 2024-01-01\ncloses: 2023-01-01\n", "closes"),
    ("id: s\nopens: 2024-01-01\ncloses: 2024-02-01\nquestions: []\n", "questions"),
    ("id: s\nopens: 2024-01-01\ncloses: 2024-02-01\ntitle: T\nintro: I\nquestions:\n"
     "  - {id: a, type: single, text: A, options: [{code: x, mn: X}]}\n",
     "questions[0].options"),
    ("id: s\nopens: 2024-01-01\ncloses: 2024-02-01\ntitle: T\nintro: I\nquestions:\n"
     "  - {id: a, type: scale, text: A}\n"
     "  - {id: b, type: text, text: B, when: {question: a, is: ['9']}}\n",
     "questions[1].when.is"),
    ("id: s\nopens: 2024-01-01\ncloses: 2024-02-01\ntitle: T\nintro: I\nquestions:\n"
     "  - {id: a, type: text, text: A, when: {question: later, is: ['1']}}\n",
     "questions[0].when.question"),
    ("id: s\nopens: [\n", "yaml"),
])
def test_a_broken_survey_names_its_file_and_field(tmp_path: Path, body: str, field: str) -> None:
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "bad.yaml").write_text(body, encoding="utf-8")
    (folder / "good.yaml").write_text((CONTENT / "surveys" / "case-rating.yaml").read_text(
        encoding="utf-8"), encoding="utf-8")
    library = surveys.load_surveys(tmp_path)
    assert [s.id for s in library.surveys] == ["case-rating"], "a bad file never stops the rest"
    [error] = library.errors
    assert isinstance(error, ContentError) and error.path.name == "bad.yaml"
    assert error.field == field, error


async def _answer_all(b: Backend, survey: surveys.Survey, who: Citizen,
                      answers: dict[str, list[str] | str]) -> None:
    step = await surveys.start(b, survey, who, NOW)
    while not step.done:
        assert step.question is not None
        value = answers.get(step.question.id)
        if value is None:
            step = await surveys.skip(b, survey, who, step.question.id, NOW)
        else:
            step = await surveys.answer(b, survey, who, step.question.id, value, NOW)
    await surveys.finish(b, survey, who, NOW)


async def test_conditions_progress_back_and_one_response_per_person(b: Backend) -> None:
    survey = _library().get("perception-2024")
    assert survey is not None
    who = Citizen("telegram", "700001")
    step = await surveys.start(b, survey, who, NOW)
    assert (step.question and step.question.id, step.number, step.total) == ("age", 1, 8)
    for qid, value in (("age", "20-45"), ("employment", "civil-servant"),
                       ("widespread", "moderate"), ("level", "senior"),
                       ("where", ["police", "court"]), ("met", "yes")):
        step = await surveys.answer(b, survey, who, qid, value, NOW)
    # "Did you report it?" appears only after "yes": the total grows by one.
    assert (step.question and step.question.id, step.number, step.total) == ("reported", 7, 9)
    step = await surveys.answer(b, survey, who, "reported", "no", NOW)
    assert step.question is not None and step.question.id == "why-not" and step.total == 10
    step = await surveys.back(b, survey, who, NOW)
    assert step.question is not None and step.question.id == "reported"
    # Changing "met" to "no" drops the answers that depended on it.
    await surveys.answer(b, survey, who, "met", "no", NOW)
    step = await surveys.current(b, survey, who)
    assert step.question is not None and step.question.id == "scale-trust"
    assert "reported" not in step.answers and step.total == 8
    with pytest.raises(SurveyError, match="bad_answer"):
        await surveys.answer(b, survey, who, "scale-trust", "7", NOW)
    with pytest.raises(SurveyError, match="bad_answer"):
        await surveys.answer(b, survey, who, "reported", "yes", NOW)  # not asked any more
    await surveys.answer(b, survey, who, "scale-trust", "2", NOW)
    await surveys.answer(b, survey, who, "suggestion", "Ил тод байдлыг нэмэгдүүлэх", NOW)
    await surveys.finish(b, survey, who, NOW)
    with pytest.raises(SurveyError, match="answered"):
        await surveys.start(b, survey, who, NOW)
    result = await surveys.results(b, survey)
    assert result.responses == 1 and result.by_channel == {"telegram": 1}
    assert result.questions["where"]["police"].count == 1
    assert result.texts == 1
    assert await surveys.read_texts(b, ADMIN, survey) == ["Ил тод байдлыг нэмэгдүүлэх"]


async def test_a_closed_survey_takes_no_answers(b: Backend) -> None:
    survey = _library().get("one-stop-satisfaction")
    assert survey is not None
    late = NOW.replace(year=2028)
    with pytest.raises(SurveyError, match="closed"):
        await surveys.start(b, survey, Citizen("telegram", "1"), late)


async def test_percentages_and_crosstabs_with_small_cells_hidden(b: Backend) -> None:
    survey = _library().get("perception-2024")
    assert survey is not None
    # 12 people aged 20–45 (8 say senior officials are most exposed, 4 executive), and
    # 3 over 60 (all "all"): the over-60 group is too small to show at all.
    people = [("20-45", "senior")] * 8 + [("20-45", "executive")] * 4 + [("over-60", "all")] * 3
    for i, (age, level) in enumerate(people):
        await _answer_all(b, survey, Citizen("telegram", str(800000 + i)),
                          {"age": age, "level": level, "met": "no"})
    result = await surveys.results(b, survey)
    assert result.responses == 15
    level = result.questions["level"]
    assert (level["senior"].count, level["senior"].base) == (8, 15)
    assert round(level["senior"].percent, 1) == 53.3
    assert round(result.questions["age"]["20-45"].percent, 1) == 80.0
    by_age = result.crosstabs["age"]
    assert by_age["20-45"]["level"]["senior"] == 8
    assert by_age["20-45"]["level"]["executive"] is None, "4 people: shown as < 5"
    assert by_age["20-45"]["level"]["all"] == 0
    assert all(v is None for v in by_age["over-60"]["level"].values()), \
        "a group of 3 shows nothing, not even its zeros"


async def test_paper_forms_are_counted_as_paper_and_bad_rows_reported(b: Backend) -> None:
    from bot.core import staff
    from bot.core.models import Role

    await staff.add_staff(b, ADMIN, 42, Role.EDITOR, NOW)
    survey = _library().get("one-stop-satisfaction")
    assert survey is not None
    csv_text = ("service,satisfied,wait,asked,suggestion\n"
                "land,4,under-15,no,Хурдан байсан\n"
                "tax,5,,-,\n"
                "registration,9,under-60,no,\n"     # 9 is not on the scale
                "welfare,3,days,maybe,\n")          # maybe is not a choice
    result = await surveys.import_paper(b, 42, survey, csv_text, NOW)
    assert result.added == 2
    assert [(line, column) for line, column, _ in result.problems] == [(4, "satisfied"),
                                                                      (5, "asked")]
    stats = await surveys.results(b, survey)
    assert stats.by_channel == {"paper": 2}
    assert stats.questions["asked"]["-"].count == 1
    assert stats.questions["wait"]["under-15"].base == 1, "a skipped cell is not an answer"
    from bot.core.errors import NotAuthorized

    with pytest.raises(NotAuthorized):
        await surveys.import_paper(b, 999, survey, csv_text, NOW)


async def test_the_database_keeps_no_respondent_and_no_plaintext_answer(tmp_path: Path) -> None:
    b = await open_backend(settings_for(tmp_path), NOW)
    survey = _library().get("perception-2024")
    assert survey is not None
    secret_words = "Сумын даргын жолооч хахууль авдаг"
    who = Citizen("telegram", "987654321")
    await _answer_all(b, survey, who, {"age": "20-45", "met": "no", "suggestion": secret_words})
    # An unfinished draft is kept too (encrypted) — also without the id in the clear.
    await surveys.start(b, _library().get("one-stop-satisfaction"),  # type: ignore[arg-type]
                        who, NOW)
    await b.close()
    raw = b"".join(p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file())  # noqa: ASYNC240
    for needle in ("987654321", secret_words, "Сумын даргын"):
        assert needle.encode() not in raw
    assert (987654321).to_bytes(8, "little") not in raw
    assert (987654321).to_bytes(8, "big") not in raw
    reopened = await open_backend(settings_for(tmp_path), NOW)
    try:
        async with reopened.db.read() as conn, conn.execute(
                "SELECT COUNT(*) FROM survey_drafts") as cur:
            row = await cur.fetchone()
        assert row is not None and row[0] == 1, "the finished survey's draft is gone"
    finally:
        await reopened.close()


def test_content_check_names_a_broken_survey(tmp_path: Path) -> None:
    import io
    import shutil

    from bot.core.content import check

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (content / "surveys" / "broken.yaml").write_text("id: broken\nopens: 2024-01-01\n",
                                                     encoding="utf-8")
    out = io.StringIO()
    assert check(content, out) == 1
    assert "broken.yaml: closes:" in out.getvalue()
