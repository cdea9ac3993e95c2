"""A small department's reciprocity: the sum of its last twelve closed months' noisy parts,
shown once that count reaches the twelve-month minimum, and when it would appear at the
network's pace when it is not shown yet."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest

from servicekit.clock import FixedClock
from services.directory import report_figures, report_store
from services.directory.report_figures import Cell
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import REPORT_KEY, create_profile
from tests.support.tokens import TokenIssuer

YEAR = """
query ($month: String!, $dept: ID) {
  supportReciprocity(month: $month, departmentId: $dept) {
    department { reports }
    twelveMonths {
      firstMonth lastMonth minimumReports reportsMargin officersMargin
      expectedReportsPerMonth appearsAround
      department { department { id } reports officersSupported }
    }
  }
}
"""
SUBMIT = """
mutation ($month: String!, $n: Int!) {
  submitSupportReport(month: $month, officersSupported: $n) { accepted errors { field message } }
}
"""


async def year(
    directory: ServiceUnderTest, issuer: TokenIssuer, department: uuid.UUID, month: str
) -> dict[str, Any]:
    token = issuer.token("coordinator", department=department)
    answer = await directory.graphql(YEAR, {"month": month, "dept": str(department)}, token=token)
    assert "errors" not in answer, answer
    found: dict[str, Any] = answer["data"]["supportReciprocity"]
    return found


def first_of(month: int, year: int = 2025) -> dt.date:
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


@pytest.mark.slow  # twelve months of reports and closes through the service
async def test_a_department_of_three_supporters_sees_its_twelve_month_figure(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    small = uuid.uuid4()
    subjects = [uuid.uuid4().hex for _ in range(3)]
    for subject in subjects:
        await create_profile(directory, issuer, department=small, subject=subject)
    for number in range(1, 13):
        month = first_of(number)
        clock.at = dt.datetime(month.year, month.month, 15, 12, tzinfo=dt.UTC)
        for subject in subjects:
            token = issuer.token("peer_supporter", department=small, subject=subject)
            variables = {"month": f"{month:%Y-%m}", "n": 4}
            answer = await directory.graphql(SUBMIT, variables, token=token)
            assert answer["data"]["submitSupportReport"]["accepted"], answer
        await year(directory, issuer, small, f"{first_of(number - 1):%Y-%m}")  # closes it
    clock.at = dt.datetime(2026, 1, 11, 12, tzinfo=dt.UTC)
    found = await year(directory, issuer, small, "2025-12")
    # three reports a month never show in a month (15 needed) ...
    assert found["department"] is None
    twelve = found["twelveMonths"]
    assert (twelve["firstMonth"], twelve["lastMonth"]) == ("2025-01", "2025-12")
    assert twelve["minimumReports"] == report_figures.YEAR_MINIMUM_REPORTS  # twelve parts
    # ... but thirty-six over the year do: noise of twelve parts has sd ~4.7, so missing 12
    # happens about once in 300,000 years
    shown = twelve["department"]
    assert shown is not None
    assert shown["department"] == {"id": str(small)}
    assert abs(shown["reports"] - 36) <= 24
    assert twelve["reportsMargin"] == 10
    assert twelve["officersMargin"] == 289
    assert twelve["appearsAround"] is None
    # another department's coordinator still cannot ask for it
    other = issuer.token("coordinator", department=uuid.uuid4())
    refused = await directory.graphql(YEAR, {"month": "2025-12", "dept": str(small)}, token=other)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def write_parts(
    database_url: str, months: dict[dt.date, dict[uuid.UUID | None, int]]
) -> None:
    """One part per month with the given noisy counts of reports (officers: 5 a report)."""
    connection = await asyncpg.connect(database_url)
    try:
        for month, counts in months.items():
            part = {d: Cell(reports, 5 * reports) for d, reports in counts.items()}
            # sealed under the key the test processes run with, as a process writes a part
            assert await report_store.write_part(
                db=connection, key=REPORT_KEY, month=month, part_id=uuid.uuid4(), part=part
            )
    finally:
        await connection.close()


async def test_the_twelve_month_figure_shows_from_its_minimum_and_says_when_it_would(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    shown, hidden, lone, without = (uuid.uuid4() for _ in range(4))
    for department, profiles in ((shown, 1), (hidden, 2), (lone, 1)):
        for _ in range(profiles):
            await create_profile(directory, issuer, department=department)
    # February 2025 to January 2026, one part each; a month before the window counts nowhere.
    # The network: three reports a month for four active supporters
    months = {
        first_of(n): {None: 3, shown: 1, hidden: 1 if n > 2 else 0, lone: 0} for n in range(2, 14)
    }
    months[first_of(1)] = {None: 40, shown: 40, hidden: 40, lone: 40}
    await write_parts(directory.database_url, months)
    clock.at = dt.datetime(2026, 2, 11, 12, tzinfo=dt.UTC)  # January 2026 closed yesterday

    at_minimum = (await year(directory, issuer, shown, "2026-01"))["twelveMonths"]
    assert (at_minimum["firstMonth"], at_minimum["lastMonth"]) == ("2025-02", "2026-01")
    assert at_minimum["minimumReports"] == 12
    assert at_minimum["department"]["reports"] == 12
    assert at_minimum["department"]["officersSupported"] == 60
    assert at_minimum["appearsAround"] is None

    below = (await year(directory, issuer, hidden, "2026-01"))["twelveMonths"]
    assert below["department"] is None  # eleven
    # two supporters at the network's pace (three reports a month over four supporters):
    # 1.5 a month, eight months for twelve from February 2026 (the month taking reports), the
    # last of which closes in October
    assert below["expectedReportsPerMonth"] == 1.5
    assert below["appearsAround"] == "2026-10"
    # one supporter at that pace: sixteen months for twelve, more than the window holds
    lone_year = (await year(directory, issuer, lone, "2026-01"))["twelveMonths"]
    assert lone_year["department"] is None
    assert lone_year["expectedReportsPerMonth"] == 0.75
    assert lone_year["appearsAround"] is None
    # a department without any active supporter has no pace at all
    nobody = (await year(directory, issuer, without, "2026-01"))["twelveMonths"]
    assert nobody["department"] is None
    assert nobody["expectedReportsPerMonth"] == 0
    assert nobody["appearsAround"] is None


def test_the_twelve_month_minimum_keeps_a_department_without_reports_hidden() -> None:
    for parts, expected in ((1, 12), (12, 12), (24, 17), (36, 20)):
        minimum = report_figures.twelve_month_minimum(parts)
        assert minimum == expected
        noise = report_figures.summed_noise(parts)
        # a department nobody reported for reaches it at most once in a hundred closes
        assert sum(p for x, p in noise.items() if x >= minimum) <= report_figures.EMPTY_YEAR_SHOWN
