"""Monthly support reports: sealed under a month key held only in memory while the month is
open, duplicates refused, noisy figures only once it closes, and nothing left that can be
opened afterwards. Also what several processes sharing the month, and a restart, do."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest

from servicekit.clock import FixedClock
from services.directory import report_figures
from services.directory import settings as directory_settings
from services.directory.app import create_app
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import directory_process
from tests.support.database import TemplateDatabases
from tests.support.graphql import GraphQLClient, running
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.registry import service_named

pytestmark = pytest.mark.slow  # several directory processes share and close months

SUBMIT = """
mutation ($month: String!, $n: Int!) {
  submitSupportReport(month: $month, officersSupported: $n) { accepted errors { field message } }
}
"""
RECIPROCITY = """
query ($month: String!, $dept: ID) {
  supportReciprocity(month: $month, departmentId: $dept) {
    month reports officersSupported departmentsShown minimumReports
    department { department { id } reports officersSupported }
  }
}
"""
FEBRUARY_11 = dt.datetime(2025, 2, 11, 12, tzinfo=dt.UTC)  # January's reports have closed
BIG, SMALL = uuid.uuid4(), uuid.uuid4()
# far above and below the release threshold, so the noise cannot blur which is which
BIG_REPORTS, SMALL_REPORTS = 40, 1


async def report(
    directory: ServiceUnderTest, token: str, month: str = "2025-01", n: int = 2
) -> dict[str, Any]:
    answer = await directory.graphql(SUBMIT, {"month": month, "n": n}, token=token)
    assert "errors" not in answer, answer
    payload: dict[str, Any] = answer["data"]["submitSupportReport"]
    return payload


async def reciprocity(
    directory: ServiceUnderTest, token: str, dept: uuid.UUID | None = None, month: str = "2025-01"
) -> dict[str, Any]:
    variables = {"month": month, "dept": str(dept) if dept else None}
    answer = await directory.graphql(RECIPROCITY, variables, token=token)
    assert "errors" not in answer, answer
    found: dict[str, Any] = answer["data"]["supportReciprocity"]
    return found


def supporters(issuer: TokenIssuer) -> list[tuple[str, str]]:
    """(pseudonym, token) of BIG_REPORTS supporters of BIG and SMALL_REPORTS of SMALL."""
    people = []
    for department, count in ((BIG, BIG_REPORTS), (SMALL, SMALL_REPORTS)):
        for _ in range(count):
            subject = uuid.uuid4().hex
            token = issuer.token("peer_supporter", department=department, subject=subject)
            people.append((subject, token))
    return people


async def fill(directories: list[ServiceUnderTest], issuer: TokenIssuer) -> list[str]:
    """Every supporter reports 2, each through the next of ``directories`` in turn."""
    subjects = []
    for number, (subject, token) in enumerate(supporters(issuer)):
        subjects.append(subject)
        directory = directories[number % len(directories)]
        assert await report(directory, token) == {"accepted": True, "errors": []}
    return subjects


async def test_a_department_figure_shows_only_above_the_noisy_threshold(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    await fill([directory], issuer)
    clock.at = FEBRUARY_11
    big = await reciprocity(directory, issuer.token("coordinator", department=BIG))
    small = await reciprocity(directory, issuer.token("coordinator", department=SMALL))
    assert big["minimumReports"] == report_figures.MINIMUM_REPORTS
    assert big["department"]["department"] == {"id": str(BIG)}
    # noisy, but the noise of a count has scale 1: 15 away happens about once in 3 million
    assert abs(big["department"]["reports"] - BIG_REPORTS) < 15
    assert small["department"] is None
    assert small["departmentsShown"] == big["departmentsShown"] == 1
    admin = await reciprocity(directory, issuer.token("network_admin"), SMALL)
    assert admin["department"] is None
    # the noise was drawn once, when the month closed: asking again shows the same figures
    assert await reciprocity(directory, issuer.token("coordinator", department=BIG)) == big


async def test_an_open_month_holds_only_sealed_reports_and_a_closed_one_only_figures(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection, clock: FixedClock
) -> None:
    subjects = await fill([directory], issuer)
    sealed = await db.fetch("SELECT * FROM sealed_support_reports")
    receipts = await db.fetch("SELECT receipt FROM support_report_receipts")
    assert len(sealed) == len(receipts) == BIG_REPORTS + SMALL_REPORTS
    # every sealed report is the same length and names no department
    assert {len(row["sealed"]) for row in sealed} == {46}
    departments = (BIG.bytes, SMALL.bytes, str(BIG).encode(), str(SMALL).encode())
    stored = [bytes(r["sealed"]) for r in sealed] + [bytes(r["receipt"]) for r in receipts]
    assert not any(part in value for part in departments for value in stored)
    assert not any(s.encode() in value or s in value.hex() for s in subjects for value in stored)
    # the month key is in the database only wrapped for running processes
    wrapped = await db.fetch("SELECT holder, wrapped FROM report_month_keys")
    assert wrapped
    assert {len(row["wrapped"]) for row in wrapped} == {92}
    assert await db.fetchval("SELECT count(*) FROM support_report_totals") == 0

    clock.at = FEBRUARY_11
    network = await reciprocity(directory, issuer.token("network_admin"))
    assert network["departmentsShown"] == 1
    figures = await db.fetch("SELECT department_id FROM support_report_figures")
    assert {row["department_id"] for row in figures} == {None, BIG}
    for table in ("sealed_support_reports", "support_report_receipts", "report_month_keys"):
        left = await db.fetchval(f"SELECT count(*) FROM {table} WHERE month = '2025-01-01'")
        assert left == 0, table
    late = await report(directory, issuer.token("peer_supporter", department=BIG))
    assert late["errors"] == [
        {"field": "month", "message": "Reports for 2025-01 closed on the 10th of the next month."}
    ]


async def test_several_processes_share_the_month_and_a_rolling_restart_loses_nothing(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await databases.fresh("directory", service_named("directory").migrations)
    clock = FixedClock(dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC))
    people = supporters(issuer)
    async with directory_process(database_url, issuer, clock) as first:
        async with directory_process(database_url, issuer, clock) as second:
            for number, (_, token) in enumerate(people):
                replica = (first, second)[number % 2]
                assert (await report(replica, token))["accepted"]
            # the second report of anyone is refused, whichever process gets it
            for number, (_, token) in enumerate(people[:4]):
                replica = (second, first)[number % 2]
                again = await report(replica, token)
                assert again["errors"] == [
                    {"field": "month", "message": "You already reported for 2025-01."}
                ]
        # the second process stopped; a third starts while the first still runs
        async with directory_process(database_url, issuer, clock) as third:
            assert not (await report(third, people[0][1]))["accepted"]
        clock.at = FEBRUARY_11
        admin = issuer.token("network_admin")
        network = await reciprocity(first, admin, BIG)
    assert network["department"] is not None
    assert abs(network["department"]["reports"] - BIG_REPORTS) < 15


async def test_once_a_month_closes_no_process_keeps_its_key(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await databases.fresh("directory", service_named("directory").migrations)
    clock = FixedClock(dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC))
    settings = directory_settings.load(
        {
            "WNWA_ENV": "test",
            "WNWA_DIRECTORY_DATABASE_URL": database_url,
            "WNWA_JWKS_URL": issuer.jwks_url,
            "WNWA_TOKEN_ISSUER": ISSUER,
        }
    )
    apps = [create_app(settings, clock=clock) for _ in range(2)]
    january = dt.date(2025, 1, 1)

    async def held() -> list[bool]:
        return [january in app.state.report_months.holder.keys for app in apps]

    async with running(apps[0]) as first, running(apps[1]):
        token = issuer.token("peer_supporter", department=BIG)
        assert (await report(ServiceUnderTest(GraphQLClient(first), database_url, first), token))[
            "accepted"
        ]
        for _ in range(100):  # both processes hold January's key within a tick or two
            if await held() == [True, True]:
                break
            await asyncio.sleep(0.1)
        assert await held() == [True, True]
        clock.at = FEBRUARY_11
        for _ in range(100):  # one closes the month; the other drops the key too
            if await held() == [False, False]:
                break
            await asyncio.sleep(0.1)
        assert await held() == [False, False]


async def test_when_every_process_stops_at_once_the_open_month_so_far_is_lost(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await databases.fresh("directory", service_named("directory").migrations)
    clock = FixedClock(dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC))
    people = supporters(issuer)
    async with directory_process(database_url, issuer, clock) as only:
        for _, token in people:
            assert (await report(only, token))["accepted"]
    async with directory_process(database_url, issuer, clock) as restarted:
        # the receipts cannot be checked without the lost key: a supporter may report again
        assert (await report(restarted, people[0][1]))["accepted"]
        clock.at = FEBRUARY_11
        found = await reciprocity(restarted, issuer.token("network_admin"), BIG)
    # the reports made before the restart could not be opened, so they are not counted
    assert found["department"] is None
    assert found["reports"] < 15
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM sealed_support_reports") == 0
    finally:
        await connection.close()


async def test_bad_reports_are_refused_with_plain_errors(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    supporter = issuer.token("peer_supporter", department=BIG)
    assert (await report(directory, supporter))["accepted"]
    again = await report(directory, supporter, n=5)
    assert again == {
        "accepted": False,
        "errors": [{"field": "month", "message": "You already reported for 2025-01."}],
    }
    for month, n, field in (
        ("2025-01", -1, "officersSupported"),
        ("2025-01", 301, "officersSupported"),
        ("2025-13", 1, "month"),
        ("January", 1, "month"),
        ("2025-02", 1, "month"),
    ):
        payload = await report(directory, issuer.token("peer_supporter", department=BIG), month, n)
        assert payload["accepted"] is False
        assert [e["field"] for e in payload["errors"]] == [field], (month, n, payload)
    officer = await directory.graphql(
        SUBMIT, {"month": "2025-01", "n": 1}, token=issuer.token("officer")
    )
    assert officer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "Only peer supporters" in officer["errors"][0]["message"]
    assert await db.fetchval("SELECT count(*) FROM sealed_support_reports") == 1


async def test_who_sees_reciprocity_and_directory_figures(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    other = await directory.graphql(
        RECIPROCITY,
        {"month": "2025-01", "dept": str(SMALL)},
        token=issuer.token("coordinator", department=BIG),
    )
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    officer = await directory.graphql(
        RECIPROCITY, {"month": "2025-01"}, token=issuer.token("officer")
    )
    assert officer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await directory.graphql(
        RECIPROCITY, {"month": "soon"}, token=issuer.token("network_admin")
    )
    assert "YYYY-MM" in bad["errors"][0]["message"]
    figures = "{ directoryFigures { activePeerSupporters resources } }"
    refused = await directory.graphql(figures, token=issuer.token("officer"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    served = await directory.graphql(
        figures, token=issuer.token("service", subject="service:membership")
    )
    assert served["data"]["directoryFigures"] == {"activePeerSupporters": 0, "resources": 0}


async def test_an_open_month_shows_no_figures_so_no_single_report_can_be_read(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    await fill([directory], issuer)  # January 2025 is still open on the test clock's day
    answer = await directory.graphql(
        RECIPROCITY,
        {"month": "2025-01", "dept": str(BIG)},
        token=issuer.token("coordinator", department=BIG),
    )
    assert answer["data"] == {"supportReciprocity": None}
    assert answer["errors"][0]["message"] == (
        "Figures for 2025-01 appear once its reports close, on the 10th of the next month."
    )


async def test_past_months_close_at_start_even_if_nobody_asks(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await databases.fresh("directory", service_named("directory").migrations)
    connection = await asyncpg.connect(database_url)
    try:
        # exact totals kept before reports were sealed: folded into noisy figures, then gone
        await connection.execute(
            "INSERT INTO support_report_totals (month, department_id, reports, officers_supported)"
            " VALUES ('2025-01-01', $1, 3, 9), ('2025-01-01', NULL, 4, 8)",
            SMALL,
        )
        clock = FixedClock(dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
        async with directory_process(database_url, issuer, clock):
            for _ in range(100):  # housekeeping runs as the service starts
                if not await connection.fetchval("SELECT count(*) FROM support_report_totals"):
                    break
                await asyncio.sleep(0.05)
        assert await connection.fetchval("SELECT count(*) FROM support_report_totals") == 0
        rows = await connection.fetch("SELECT department_id FROM support_report_figures")
        assert [row["department_id"] for row in rows] == [None]
    finally:
        await connection.close()


async def test_a_month_without_any_directory_running_shows_nothing_taken(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    found = await reciprocity(
        directory, issuer.token("coordinator", department=BIG), BIG, month="2024-06"
    )
    assert (found["reports"], found["officersSupported"], found["department"]) == (0, 0, None)
