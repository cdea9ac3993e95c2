"""Monthly support reports: aggregates only, small cells hidden, duplicates refused,
and nothing that says who reported once the month has closed."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import asyncpg

from services.directory import settings as directory_settings
from services.directory.app import create_app
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import FixedClock
from tests.support.database import TemplateDatabases
from tests.support.graphql import running
from tests.support.tokens import TokenIssuer
from wnwa.registry import service_named

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
BIG, SMALL = uuid.uuid4(), uuid.uuid4()


async def report(
    directory: ServiceUnderTest, token: str, month: str = "2025-01", n: int = 2
) -> dict[str, Any]:
    answer = await directory.graphql(SUBMIT, {"month": month, "n": n}, token=token)
    payload: dict[str, Any] = answer["data"]["submitSupportReport"]
    return payload


async def reciprocity(
    directory: ServiceUnderTest, token: str, dept: uuid.UUID | None = None
) -> dict[str, Any]:
    variables = {"month": "2025-01", "dept": str(dept) if dept else None}
    answer = await directory.graphql(RECIPROCITY, variables, token=token)
    assert "errors" not in answer, answer
    found: dict[str, Any] = answer["data"]["supportReciprocity"]
    return found


async def fill(directory: ServiceUnderTest, issuer: TokenIssuer) -> list[str]:
    subjects = []
    for department, count in ((BIG, 12), (SMALL, 3)):
        for _ in range(count):
            subject = uuid.uuid4().hex
            subjects.append(subject)
            token = issuer.token("peer_supporter", department=department, subject=subject)
            assert await report(directory, token) == {"accepted": True, "errors": []}
    return subjects


async def test_a_department_figure_needs_ten_reports_else_only_the_network_total_shows(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    await fill(directory, issuer)
    clock.now = dt.datetime(2025, 2, 11, 12, tzinfo=dt.UTC)  # January has closed
    big = await reciprocity(directory, issuer.token("coordinator", department=BIG))
    small = await reciprocity(directory, issuer.token("coordinator", department=SMALL))
    assert big["department"] == {
        "department": {"id": str(BIG)},
        "reports": 12,
        "officersSupported": 24,
    }
    assert small["department"] is None
    assert (small["reports"], small["officersSupported"], small["departmentsShown"]) == (15, 30, 1)
    admin = await reciprocity(directory, issuer.token("network_admin"), SMALL)
    assert admin["department"] is None


async def test_only_aggregates_are_kept_and_receipts_go_when_the_month_closes(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection, clock: FixedClock
) -> None:
    subjects = await fill(directory, issuer)
    rows = await db.fetch("SELECT * FROM support_report_totals ORDER BY reports")
    assert [(r["department_id"], r["reports"]) for r in rows] == [(SMALL, 3), (BIG, 12)]
    receipts = await db.fetch("SELECT receipt FROM support_report_receipts")
    assert len(receipts) == 15
    assert not any(
        s.encode() in r["receipt"] or s in r["receipt"].hex() for s in subjects for r in receipts
    )

    clock.now = dt.datetime(2025, 2, 11, 12, tzinfo=dt.UTC)  # January has closed
    figures = await directory.graphql(
        "{ directoryFigures { activePeerSupporters } }", token=issuer.token("service")
    )
    assert "errors" not in figures  # membership's regular call closes past months too
    rows = await db.fetch("SELECT * FROM support_report_totals ORDER BY reports")
    assert [(r["department_id"], r["reports"]) for r in rows] == [(None, 3), (BIG, 12)]
    network = await reciprocity(directory, issuer.token("network_admin"))
    assert (network["reports"], network["officersSupported"]) == (15, 30)
    rows = await db.fetch("SELECT * FROM support_report_totals ORDER BY reports")
    assert [(r["department_id"], r["reports"]) for r in rows] == [(None, 3), (BIG, 12)]
    assert await db.fetchval("SELECT count(*) FROM support_report_receipts") == 0
    late = await report(directory, issuer.token("peer_supporter", department=BIG))
    assert late["errors"] == [
        {"field": "month", "message": "Reports for 2025-01 closed on the 10th of the next month."}
    ]


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
    assert await db.fetchval("SELECT sum(reports) FROM support_report_totals") == 1


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
    await fill(directory, issuer)  # January 2025 is still open on the test clock's day
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
        await connection.execute(
            "INSERT INTO support_report_totals (month, department_id, reports, officers_supported)"
            " VALUES ('2025-01-01', $1, 3, 9)",
            SMALL,
        )
        settings = directory_settings.load(
            {
                "WNWA_ENV": "test",
                "WNWA_DIRECTORY_DATABASE_URL": database_url,
                "WNWA_JWKS_URL": issuer.jwks_url,
            }
        )
        clock = FixedClock(dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
        async with running(create_app(settings, clock=clock)):
            for _ in range(50):  # housekeeping runs as the service starts
                rows = await connection.fetch("SELECT department_id FROM support_report_totals")
                if [r["department_id"] for r in rows] == [None]:
                    break
                await asyncio.sleep(0.05)
        rows = await connection.fetch("SELECT department_id, reports FROM support_report_totals")
        assert [(r["department_id"], r["reports"]) for r in rows] == [(None, 3)]
    finally:
        await connection.close()
