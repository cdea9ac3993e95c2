"""The quarterly supporter survey in the schema: peer supporters answer three questions with
fixed answers once a quarter (``survey_quarters``); anyone reads the network-wide results of
a closed quarter, noisy and only from a minimum number of answers. Nothing ties an answer to
its supporter or their department: the results have no department at all."""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Any

import strawberry
from strawberry.types import Info

from servicekit.graphql import Forbidden, InputErrors, PublicError, context_of, parse_id

from . import report_figures, survey_store
from .report_months import CLOSES_ON_DAY, Outcome
from .reports import SupportReportPayload, require_principal_supporter
from .schema import context
from .survey_quarters import (
    ALL,
    EPSILON_PER_COUNT,
    QUESTIONS,
    SurveyQuarters,
    closes_at,
    open_quarters,
    previous_quarter,
    quarter_name,
)

SURVEY_REFUSAL = "Only peer supporters answer the supporter survey."
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@strawberry.enum(description="How sustainable a supporter's peer-support load is.")
class SupportLoad(enum.Enum):
    SUSTAINABLE = "SUSTAINABLE"
    HEAVY_AT_TIMES = "HEAVY_AT_TIMES"
    TOO_HEAVY = "TOO_HEAVY"


@strawberry.enum(description="Whether a supporter got the support they needed themselves.")
class SupportReceived(enum.Enum):
    YES = "YES"
    PARTLY = "PARTLY"
    NO = "NO"
    DID_NOT_NEED = "DID_NOT_NEED"


@strawberry.enum(description="Whether a supporter would recommend the network to a colleague.")
class Recommendation(enum.Enum):
    YES = "YES"
    NOT_SURE = "NOT_SURE"
    NO = "NO"


@strawberry.input
class SupporterSurveyAnswers:
    load: SupportLoad
    supported: SupportReceived
    recommend: Recommendation


@strawberry.type
class SurveyAnswer:
    answer: str
    text: str


@strawberry.type
class SurveyQuestion:
    question: str
    text: str
    answers: list[SurveyAnswer]


@strawberry.type(description="The survey a peer supporter can answer now.")
class SupporterSurveyForm:
    quarters: list[str] = strawberry.field(
        description="Quarters taking answers (`YYYY-Qn`): this one, and the last until the "
        "10th of the month after it."
    )
    questions: list[SurveyQuestion]


@strawberry.type
class SurveyAnswerShare:
    answer: str
    text: str
    percent: int = strawberry.field(description="Of the (noisy) answers to its question.")


@strawberry.type
class SurveyQuestionResult:
    question: str
    text: str
    answers: list[SurveyAnswerShare]


@strawberry.type(
    description="A closed quarter's survey across the network: every count carries "
    "differential-privacy noise drawn once at the close; no department's results exist."
)
class SupporterSurveyResults:
    quarter: str
    answers: int | None = strawberry.field(
        description="Supporters who answered (noisy); null below `minimumAnswers`."
    )
    minimum_answers: int = strawberry.field(
        description="The noisy count of answers the results need to be shown."
    )
    questions: list[SurveyQuestionResult] = strawberry.field(
        description="Empty while the answers stay below `minimumAnswers`."
    )


def survey_of(info: Info[Any, Any]) -> SurveyQuarters:
    """This process's survey quarters (and, through them, its report months)."""
    survey: SurveyQuarters = context(info).resources.survey
    return survey


def parse_quarter(text: str) -> dt.date | None:
    match = _QUARTER.match(text.strip())
    if not match:
        return None
    return dt.date(int(match.group(1)), int(match.group(2)) * 3 - 2, 1)


def questions() -> list[SurveyQuestion]:
    return [
        SurveyQuestion(
            question=question,
            text=text,
            answers=[SurveyAnswer(answer=a, text=t) for a, t in answers.items()],
        )
        for question, (text, answers) in QUESTIONS.items()
    ]


def results(quarter: dt.date, found: survey_store.QuarterResults) -> SupporterSurveyResults:
    """The published results: sums clamped at zero, shares of each question's answers."""
    minimum = report_figures.minimum_count(found.parts, EPSILON_PER_COUNT, 1)
    answered = found.counts.get((ALL, ALL))
    if not found.parts or answered is None or answered < minimum:
        return SupporterSurveyResults(
            quarter=quarter_name(quarter), answers=None, minimum_answers=minimum, questions=[]
        )
    shown = []
    for question, (text, answers) in QUESTIONS.items():
        counts = {a: max(0, found.counts.get((question, a), 0)) for a in answers}
        total = sum(counts.values())
        shares = [
            SurveyAnswerShare(
                answer=a, text=t, percent=round(100 * counts[a] / total) if total else 0
            )
            for a, t in answers.items()
        ]
        shown.append(SurveyQuestionResult(question=question, text=text, answers=shares))
    return SupporterSurveyResults(
        quarter=quarter_name(quarter), answers=answered, minimum_answers=minimum, questions=shown
    )


@strawberry.type
class SurveyQueries:
    @strawberry.field(description="The survey to answer now: peer supporters.")
    def supporter_survey(self, info: Info[Any, Any]) -> SupporterSurveyForm:
        require_principal_supporter(info, SURVEY_REFUSAL)
        today = context(info).loaders.now.date()
        return SupporterSurveyForm(
            quarters=[quarter_name(q) for q in open_quarters(today)], questions=questions()
        )

    @strawberry.field(
        description="A closed quarter's survey results across the network (anyone); `quarter` "
        "is `YYYY-Qn`, the latest closed quarter when left out."
    )
    async def supporter_survey_results(
        self, info: Info[Any, Any], quarter: str | None = None
    ) -> SupporterSurveyResults:
        now = context(info).loaders.now
        earliest_open = open_quarters(now.date())[0]
        if quarter is None:
            when = earliest_open
            while closes_at(when) > now:
                when = previous_quarter(when)
        else:
            parsed = parse_quarter(quarter)
            if parsed is None:
                raise PublicError("`quarter` must be a quarter written YYYY-Qn, e.g. 2027-Q1.")
            when = parsed
        if closes_at(when) > now:
            # while a quarter takes answers, each new one would show as a change
            raise PublicError(
                f"Results for {quarter_name(when)} appear once its survey closes, on the "
                f"{CLOSES_ON_DAY}th of the month after it."
            )
        pool = context_of(info).pool
        survey = survey_of(info)
        await survey.tick(pool)  # the quarter may have closed a moment ago
        found = await survey_store.quarter_results(db=pool, key=survey.months.key, quarter=when)
        return results(when, found)


@strawberry.type
class SurveyMutations:
    @strawberry.mutation(
        description="Answer the quarter's supporter survey (`YYYY-Qn`): peer supporters, once "
        "per quarter, until the 10th of the month after it. Nothing is written until the "
        "quarter closes, then only noisy network-wide counts; nothing ties the answers to you."
    )
    async def submit_supporter_survey(
        self, info: Info[Any, Any], quarter: str, answers: SupporterSurveyAnswers
    ) -> SupportReportPayload:
        principal = require_principal_supporter(info, SURVEY_REFUSAL)
        if parse_id(principal.department_id) is None:
            raise Forbidden("Your sign-in names no department.")
        today = context(info).loaders.now.date()
        errors = InputErrors()
        when = parse_quarter(quarter)
        taking = open_quarters(today)
        if when is None:
            errors.add("quarter", "Write the quarter as YYYY-Qn, e.g. 2027-Q1.")
        elif when > taking[-1]:
            errors.add("quarter", "That quarter has not started yet.")
        elif when < taking[0]:
            errors.add(
                "quarter",
                f"The survey of {quarter_name(when)} closed on the {CLOSES_ON_DAY}th of the "
                "month after it.",
            )
        if errors or when is None:
            return SupportReportPayload(accepted=False, errors=errors.items)
        chosen = {
            "LOAD": answers.load.value,
            "SUPPORTED": answers.supported.value,
            "RECOMMEND": answers.recommend.value,
        }
        outcome = await survey_of(info).answer(
            quarter=when, subject=principal.subject, answers=chosen
        )
        name = quarter_name(when)
        if outcome is Outcome.ALREADY:
            errors.add("quarter", f"You already answered the survey of {name}.")
        elif outcome is Outcome.CLOSED:
            errors.add("quarter", f"The survey of {name} has closed.")
        elif outcome is Outcome.UNAVAILABLE:
            errors.add("quarter", "Answers cannot be taken this minute; try again shortly.")
        return SupportReportPayload(accepted=outcome is Outcome.COUNTED, errors=errors.items)
