"""The quarterly supporter survey as its attackers try it: a supporter answering twice, a
coordinator trying to learn one supporter's answer, and a database reader trying to link an
answer to a person."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest

from servicekit.clock import FixedClock
from services.directory import survey_store
from services.directory.survey_quarters import ROWS, closes_at, open_quarters
from tests.conftest import ServiceUnderTest
from tests.privacy.leaks import table_texts
from tests.services.directory.conftest import REPORT_KEY, create_profile, directory_process
from tests.support.database import TemplateDatabases
from tests.support.tokens import TokenIssuer
from wnwa.registry import service_named

ANSWER = """
mutation ($quarter: String!, $answers: SupporterSurveyAnswers!) {
  submitSupporterSurvey(quarter: $quarter, answers: $answers) { accepted errors { field message } }
}
"""
RESULTS = """
query ($quarter: String) {
  supporterSurveyResults(quarter: $quarter) {
    quarter answers minimumAnswers questions { question answers { answer percent } }
  }
}
"""
TOO_HEAVY = {"load": "TOO_HEAVY", "supported": "NO", "recommend": "NOT_SURE"}
FINE = {"load": "SUSTAINABLE", "supported": "YES", "recommend": "YES"}
FEBRUARY = dt.datetime(2025, 2, 14, 12, tzinfo=dt.UTC)
APRIL_11 = dt.datetime(2025, 4, 11, 12, tzinfo=dt.UTC)  # the first quarter's survey closed


async def answer(
    directory: ServiceUnderTest, token: str, answers: dict[str, str], quarter: str = "2025-Q1"
) -> dict[str, Any]:
    found = await directory.graphql(ANSWER, {"quarter": quarter, "answers": answers}, token=token)
    assert "errors" not in found, found
    payload: dict[str, Any] = found["data"]["submitSupporterSurvey"]
    return payload


async def results(
    directory: ServiceUnderTest, token: str | None, quarter: str | None = "2025-Q1"
) -> dict[str, Any]:
    found = await directory.graphql(RESULTS, {"quarter": quarter}, token=token)
    assert "errors" not in found, found
    shown: dict[str, Any] = found["data"]["supporterSurveyResults"]
    return shown


def supporter(issuer: TokenIssuer, department: uuid.UUID | None = None) -> str:
    return issuer.token(
        "peer_supporter", department=department or uuid.uuid4(), subject=uuid.uuid4().hex
    )


@pytest.mark.slow  # two directory processes share a quarter and close it
async def test_a_supporter_who_answers_twice_in_a_quarter_is_counted_once(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await databases.fresh("directory", service_named("directory").migrations)
    clock = FixedClock(FEBRUARY)
    tokens = [supporter(issuer) for _ in range(30)]
    async with (
        directory_process(database_url, issuer, clock) as first,
        directory_process(database_url, issuer, clock) as second,
    ):
        for number, token in enumerate(tokens):
            assert (await answer((first, second)[number % 2], token, TOO_HEAVY))["accepted"]
        for token in tokens:
            for replica in (first, second):
                again = await answer(replica, token, FINE)
                assert again == {
                    "accepted": False,
                    "errors": [
                        {
                            "field": "quarter",
                            "message": "You already answered the survey of 2025-Q1.",
                        }
                    ],
                }
        # the monthly report is another mark: answering the survey does not use it up
        report = await first.graphql(
            'mutation { submitSupportReport(month: "2025-02", officersSupported: 3) { accepted } }',
            token=tokens[0],
        )
        assert report["data"]["submitSupportReport"]["accepted"]
        clock.at = APRIL_11
        await results(second, None)  # each writes its part at its next tick, or when asked
        shown = await results(first, None)
    # thirty answers, each counted once: with two parts the count's noise has sd ~2.7, so 30
    # and the 60 of counting every try cannot be confused
    assert shown["answers"] is not None
    assert abs(shown["answers"] - 30) < 15
    load = {a["answer"]: a["percent"] for a in shown["questions"][0]["answers"]}
    assert load["TOO_HEAVY"] > 70
    assert load["SUSTAINABLE"] < 30


async def test_a_coordinator_cannot_learn_one_supporters_answer(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    lone = uuid.uuid4()  # a department with one peer supporter, whom its coordinator knows
    coordinator = issuer.token("coordinator", department=lone)
    clock.at = FEBRUARY
    # no live results to read before and after the supporter answers
    before = await directory.graphql(RESULTS, {"quarter": "2025-Q1"}, token=coordinator)
    assert before["errors"][0]["message"] == (
        "Results for 2025-Q1 appear once its survey closes, on the 10th of the month after it."
    )
    assert (await answer(directory, supporter(issuer, lone), TOO_HEAVY))["accepted"]
    # no department's results exist to ask for
    by_department = await directory.graphql(
        'query ($d: ID) { supporterSurveyResults(quarter: "2025-Q1", departmentId: $d)'
        " { answers } }",
        {"d": str(lone)},
        token=coordinator,
    )
    assert "departmentId" in by_department["errors"][0]["message"]
    clock.at = APRIL_11
    # the one answer of the quarter stays below the minimum: nothing of it is shown, to the
    # coordinator or anyone else, and everyone reads the same thing
    hidden = await results(directory, coordinator)
    assert hidden["answers"] is None
    assert hidden["questions"] == []
    assert hidden["minimumAnswers"] == 19
    assert await results(directory, None) == hidden
    assert await results(directory, issuer.token("network_admin")) == hidden
    assert await results(directory, None, quarter=None) == hidden  # the latest closed quarter


async def test_a_database_reader_cannot_link_an_answer_to_a_person(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    clock.at = FEBRUARY
    department = uuid.uuid4()
    subject = uuid.uuid4().hex
    await create_profile(directory, issuer, department=department, subject=subject)
    before = await table_texts(directory.database_url, "directory")
    token = issuer.token("peer_supporter", department=department, subject=subject)
    assert (await answer(directory, token, TOO_HEAVY))["accepted"]
    for _ in range(25):
        assert (await answer(directory, supporter(issuer), FINE))["accepted"]
    # while the quarter is open an answer writes nothing at all
    assert await table_texts(directory.database_url, "directory") == before
    clock.at = APRIL_11
    assert (await results(directory, None))["answers"] is not None
    connection = await asyncpg.connect(directory.database_url)
    try:
        columns = await connection.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'supporter_survey_parts' ORDER BY ordinal_position"
        )
        rows = await connection.fetch("SELECT quarter, part_id, sealed FROM supporter_survey_parts")
    finally:
        await connection.close()
    # one part, sealed: a count for the answers and for every answer of every question,
    # whatever anyone answered; no person, department or time
    assert [c["column_name"] for c in columns] == ["quarter", "part_id", "sealed"]
    assert len(rows) == 1
    part = survey_store.open_part(
        REPORT_KEY, rows[0]["quarter"], rows[0]["part_id"], bytes(rows[0]["sealed"])
    )
    assert part is not None
    assert sorted(part) == sorted(ROWS)
    after = await table_texts(directory.database_url, "directory")
    new = [text for text in after if text not in before]
    assert new
    assert all(name.startswith("directory.supporter_survey_parts") for name, _ in new)
    assert not any(subject in text or str(department) in text for _, text in new)


async def test_answers_are_checked_and_only_supporters_answer(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    clock.at = FEBRUARY
    token = supporter(issuer)
    assert (await answer(directory, token, FINE, quarter="2025-Q5"))["errors"] == [
        {"field": "quarter", "message": "Write the quarter as YYYY-Qn, e.g. 2027-Q1."}
    ]
    assert (await answer(directory, token, FINE, quarter="2025-Q2"))["errors"] == [
        {"field": "quarter", "message": "That quarter has not started yet."}
    ]
    assert (await answer(directory, token, FINE, quarter="2024-Q4"))["errors"] == [
        {
            "field": "quarter",
            "message": "The survey of 2024-Q4 closed on the 10th of the month after it.",
        }
    ]
    officer = await directory.graphql(
        ANSWER, {"quarter": "2025-Q1", "answers": FINE}, token=issuer.token("officer")
    )
    assert officer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    wrong = await directory.graphql(
        ANSWER, {"quarter": "2025-Q1", "answers": {**FINE, "load": "FINE"}}, token=token
    )
    assert wrong["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    form = await directory.graphql(
        "{ supporterSurvey { quarters questions { question answers { answer } } } }", token=token
    )
    assert form["data"]["supporterSurvey"]["quarters"] == ["2025-Q1"]


def test_a_quarter_takes_answers_until_the_tenth_of_the_month_after() -> None:
    assert open_quarters(dt.date(2025, 4, 10)) == [dt.date(2025, 1, 1), dt.date(2025, 4, 1)]
    assert open_quarters(dt.date(2025, 4, 11)) == [dt.date(2025, 4, 1)]
    assert closes_at(dt.date(2024, 10, 1)) == dt.datetime(2025, 1, 11, tzinfo=dt.UTC)
