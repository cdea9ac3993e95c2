"""Monthly support reports: counted in the memory of the process that took them while the
month is open (nothing written), one per supporter per month across processes, and at the
close one noisy part per process, whose sums are the figures. Also what stopping a process,
and the upgrade from sealed reports, do."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from servicekit.clock import FixedClock
from servicekit.migrations import apply_migrations
from services.directory import report_figures, report_store
from services.directory.app import MIGRATIONS
from services.directory.survey_quarters import ALL, ROWS
from tests.conftest import ServiceUnderTest
from tests.privacy.leaks import table_texts
from tests.services.directory.conftest import REPORT_KEY, create_profile, directory_process
from tests.support.database import TemplateDatabases, drop, recreate
from tests.support.tokens import TokenIssuer
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
MID_JANUARY = dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)
FEBRUARY_11 = dt.datetime(2025, 2, 11, 12, tzinfo=dt.UTC)  # January's reports have closed
JANUARY = dt.date(2025, 1, 1)
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


async def listed(directory: ServiceUnderTest, issuer: TokenIssuer) -> None:
    """One profile in BIG and one in SMALL: the departments every part has a pair for."""
    for department in (BIG, SMALL):
        await create_profile(directory, issuer, department=department)


async def fill(directories: list[ServiceUnderTest], issuer: TokenIssuer) -> list[str]:
    """Every supporter reports 2, each through the next of ``directories`` in turn."""
    subjects = []
    for number, (subject, token) in enumerate(supporters(issuer)):
        subjects.append(subject)
        directory = directories[number % len(directories)]
        assert await report(directory, token) == {"accepted": True, "errors": []}
    return subjects


async def parts(database_url: str) -> list[dict[str, Any]]:
    """January's parts as the service opens them: one dict per pair, the network's first."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT month, part_id, sealed FROM support_report_parts WHERE month = $1", JANUARY
        )
    finally:
        await connection.close()
    opened = report_store.opened_parts(REPORT_KEY, rows)
    assert len(opened) == len(rows)  # every part the service wrote opens
    pairs = []
    for (_, part_id), part in sorted(opened.items(), key=lambda item: str(item[0][1])):
        for department, cell in [(None, part.network()), *part.pairs()]:
            pairs.append(
                {
                    "part_id": part_id,
                    "department_id": department,
                    "reports": cell.reports,
                    "officers_supported": cell.officers_supported,
                }
            )
    return pairs


async def fresh_directory(databases: TemplateDatabases) -> str:
    return await databases.fresh("directory", service_named("directory").migrations)


async def test_a_department_figure_shows_only_above_the_noisy_threshold(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    await listed(directory, issuer)
    await fill([directory], issuer)
    clock.at = FEBRUARY_11
    big = await reciprocity(directory, issuer.token("coordinator", department=BIG))
    small = await reciprocity(directory, issuer.token("coordinator", department=SMALL))
    assert big["minimumReports"] == report_figures.MINIMUM_REPORTS  # one process, one part
    assert big["department"]["department"] == {"id": str(BIG)}
    # noisy, but the noise of a count has scale 1: 15 away happens about once in 3 million
    assert abs(big["department"]["reports"] - BIG_REPORTS) < 15
    assert small["department"] is None
    assert small["departmentsShown"] == big["departmentsShown"] == 1
    admin = await reciprocity(directory, issuer.token("network_admin"), SMALL)
    assert admin["department"] is None
    # the noise was drawn once, when the month closed: asking again shows the same figures
    assert await reciprocity(directory, issuer.token("coordinator", department=BIG)) == big


async def test_an_open_month_writes_nothing_and_a_closed_one_one_noisy_part(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    await listed(directory, issuer)
    listed_only = await table_texts(directory.database_url, "directory")
    await fill([directory], issuer)
    # forty-one reports, and not a row changed: they are counted in this process's memory
    assert await table_texts(directory.database_url, "directory") == listed_only

    clock.at = FEBRUARY_11
    network = await reciprocity(directory, issuer.token("network_admin"))
    assert network["departmentsShown"] == 1
    written = await parts(directory.database_url)
    # one part: the network's pair and one pair for each department with a profile (SMALL,
    # with its one report, as much as BIG), never more
    assert {row["department_id"] for row in written} == {None, BIG, SMALL}
    assert len({row["part_id"] for row in written}) == 1
    assert await reciprocity(directory, issuer.token("network_admin")) == network
    assert await parts(directory.database_url) == written
    late = await report(directory, issuer.token("peer_supporter", department=BIG))
    assert late["errors"] == [
        {"field": "month", "message": "Reports for 2025-01 closed on the 10th of the next month."}
    ]


async def test_a_second_report_is_refused_whichever_process_gets_it(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await fresh_directory(databases)
    clock = FixedClock(MID_JANUARY)
    people = supporters(issuer)[:6]
    async with (
        directory_process(database_url, issuer, clock) as first,
        directory_process(database_url, issuer, clock) as second,
    ):
        for number, (_, token) in enumerate(people):
            assert (await report((first, second)[number % 2], token))["accepted"]
        for number, (_, token) in enumerate(people):
            for replica in (first, second):
                again = await report(replica, token, n=number)
                assert again == {
                    "accepted": False,
                    "errors": [{"field": "month", "message": "You already reported for 2025-01."}],
                }
        # another month is another mark
        clock.at = dt.datetime(2025, 2, 3, tzinfo=dt.UTC)
        assert (await report(second, people[0][1], month="2025-02"))["accepted"]
        assert not (await report(first, people[0][1], month="2025-01"))["accepted"]


async def test_the_figures_are_the_sums_of_every_process_part(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await fresh_directory(databases)
    clock = FixedClock(MID_JANUARY)
    admin = issuer.token("network_admin")
    async with (
        directory_process(database_url, issuer, clock) as first,
        directory_process(database_url, issuer, clock) as second,
    ):
        await listed(first, issuer)
        await fill([first, second], issuer)
        clock.at = FEBRUARY_11
        await reciprocity(second, admin, BIG)  # each writes its part at its next tick, or
        network = await reciprocity(first, admin, BIG)  # when asked, whichever comes first
    written = await parts(database_url)
    assert len({row["part_id"] for row in written}) == 2
    sums: dict[uuid.UUID | None, list[int]] = {}
    for row in written:
        pair = sums.setdefault(row["department_id"], [0, 0])
        pair[0] += row["reports"]
        pair[1] += row["officers_supported"]
    assert set(sums) == {None, BIG, SMALL}
    assert network["minimumReports"] == report_figures.minimum_reports(2) == 17
    assert [network["reports"], network["officersSupported"]] == [max(0, v) for v in sums[None]]
    assert network["department"] == {
        "department": {"id": str(BIG)},
        "reports": sums[BIG][0],
        "officersSupported": max(0, sums[BIG][1]),
    }
    assert abs(sums[BIG][0] - BIG_REPORTS) < 20
    assert network["departmentsShown"] == 1 + (sums[SMALL][0] >= 17)


async def test_a_process_that_stops_before_the_close_takes_its_reports_with_it(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await fresh_directory(databases)
    clock = FixedClock(MID_JANUARY)
    people = supporters(issuer)[:BIG_REPORTS]
    async with directory_process(database_url, issuer, clock) as staying:
        await listed(staying, issuer)
        async with directory_process(database_url, issuer, clock) as leaving:
            for _, token in people:
                assert (await report(leaving, token))["accepted"]
        # what it counted, and its marks, went with it: each may report again, and counts once
        for _, token in people:
            assert (await report(staying, token))["accepted"]
        clock.at = FEBRUARY_11
        big = await reciprocity(staying, issuer.token("network_admin"), BIG)
    assert len({row["part_id"] for row in await parts(database_url)}) == 1
    assert abs(big["department"]["reports"] - BIG_REPORTS) < 15


async def test_a_process_running_at_the_close_writes_its_part_unasked_and_once(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    database_url = await fresh_directory(databases)
    clock = FixedClock(MID_JANUARY)
    async with directory_process(database_url, issuer, clock) as directory:
        await listed(directory, issuer)
        clock.at = FEBRUARY_11
        for _ in range(100):  # the process's next tick, within seconds
            if await parts(database_url):
                break
            await asyncio.sleep(0.1)
    written = await parts(database_url)
    # nobody reported: the part is there all the same, so its being there says nothing
    assert {row["department_id"] for row in written} == {None, BIG, SMALL}
    # a process that starts after the close has no part of the month to write
    async with directory_process(database_url, issuer, clock) as later:
        await reciprocity(later, issuer.token("network_admin"))
    assert await parts(database_url) == written


async def test_bad_reports_are_refused_with_plain_errors(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    supporter = issuer.token("peer_supporter", department=BIG)
    before = await table_texts(directory.database_url, "directory")
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
    assert await table_texts(directory.database_url, "directory") == before


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


async def test_a_month_without_any_directory_running_shows_nothing_taken(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    found = await reciprocity(
        directory, issuer.token("coordinator", department=BIG), BIG, month="2024-06"
    )
    assert (found["reports"], found["officersSupported"], found["department"]) == (0, 0, None)


async def test_the_upgrade_keeps_closed_figures_and_drops_the_sealed_reports(
    postgres_url: str, issuer: TokenIssuer, tmp_path: Path
) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name < "0010":
            shutil.copy(path, before / path.name)
    name = f"test_directory_upgrade_{uuid.uuid4().hex[:8]}"
    database_url = await recreate(postgres_url, name)
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, before)
        december = dt.date(2024, 12, 1)
        await connection.execute(
            "INSERT INTO support_report_figures (month, department_id, reports,"
            " officers_supported) VALUES ($1, NULL, 60, 400), ($1, $2, 41, 150)",
            december,
            BIG,
        )
        await connection.execute(
            "INSERT INTO sealed_support_reports (month, key_id, sealed) VALUES ($1, $2, $3)",
            JANUARY,
            uuid.uuid4(),
            bytes(46),
        )
        await apply_migrations(connection, MIGRATIONS)
        left = await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN"
            " ('sealed_support_reports', 'support_report_receipts', 'report_month_keys',"
            " 'report_key_holders', 'support_report_totals', 'support_report_figures')"
        )
        assert left == 0
        clock = FixedClock(FEBRUARY_11)
        async with directory_process(database_url, issuer, clock) as directory:
            found = await reciprocity(directory, issuer.token("network_admin"), BIG, "2024-12")
        assert found == {
            "month": "2024-12",
            "reports": 60,
            "officersSupported": 400,
            "departmentsShown": 1,
            "minimumReports": report_figures.MINIMUM_REPORTS,
            "department": {"department": {"id": str(BIG)}, "reports": 41, "officersSupported": 150},
        }
    finally:
        await connection.close()
        await drop(postgres_url, name)


async def test_the_upgrade_seals_the_parts_in_the_clear_once_and_keeps_every_figure(
    postgres_url: str, issuer: TokenIssuer, tmp_path: Path
) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name < "0012":
            shutil.copy(path, before / path.name)
    name = f"test_directory_sealing_{uuid.uuid4().hex[:8]}"
    database_url = await recreate(postgres_url, name)
    december, autumn = dt.date(2024, 12, 1), dt.date(2024, 10, 1)
    survey = {row: 30 if row == (ALL, ALL) else 10 for row in ROWS}
    admin = issuer.token("network_admin")
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, before)
        # a closed month's two parts and a closed quarter's part, as the previous release
        # wrote them: in the clear
        for part, (network, big) in ((uuid.uuid4(), (60, 41)), (uuid.uuid4(), (-2, 3))):
            await connection.execute(
                "INSERT INTO support_report_parts (month, part_id, department_id, reports,"
                " officers_supported) VALUES ($1, $2, NULL, $3, $4), ($1, $2, $5, $6, $7)",
                december,
                part,
                network,
                7 * network,
                BIG,
                big,
                5 * big,
            )
        await connection.executemany(
            "INSERT INTO supporter_survey_parts (quarter, part_id, question, answer, answers)"
            " VALUES ($1, $2, $3, $4, $5)",
            [(autumn, uuid.UUID(int=1), q, a, n) for (q, a), n in survey.items()],
        )
        await apply_migrations(connection, MIGRATIONS)
        clock = FixedClock(FEBRUARY_11)
        async with directory_process(database_url, issuer, clock) as directory:
            month = await reciprocity(directory, admin, BIG, "2024-12")
            quarter = await directory.graphql(
                '{ supporterSurveyResults(quarter: "2024-Q4") { answers questions'
                " { question answers { answer percent } } } }"
            )
        # the same sums as before the upgrade: nothing lost, nothing drawn again
        assert month == {
            "month": "2024-12",
            "reports": 58,
            "officersSupported": 406,
            "departmentsShown": 1,
            "minimumReports": report_figures.minimum_reports(2),
            "department": {"department": {"id": str(BIG)}, "reports": 44, "officersSupported": 220},
        }
        results = quarter["data"]["supporterSurveyResults"]
        assert results["answers"] == 30
        load = next(q for q in results["questions"] if q["question"] == "LOAD")
        assert {a["percent"] for a in load["answers"]} == {33}
        # every value sealed, and the tables in the clear gone
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%to_seal'"
            )
            == 0
        )
        for table in ("support_report_parts", "supporter_survey_parts"):
            types = await connection.fetch(
                "SELECT data_type FROM information_schema.columns WHERE table_name = $1", table
            )
            assert "integer" not in {row["data_type"] for row in types}
        assert await connection.fetchval("SELECT count(*) FROM support_report_parts") == 2

        # Later, the database's writer makes a table of the old name with a forged part: it
        # is dropped unread at the next start, never sealed into the figures
        await connection.execute(
            "CREATE TABLE support_report_parts_to_seal (month date, part_id uuid,"
            " department_id uuid, reports int, officers_supported int)"
        )
        await connection.execute(
            "INSERT INTO support_report_parts_to_seal VALUES ($1, $2, NULL, 900, 900),"
            " ($1, $2, $3, 900, 900)",
            december,
            uuid.uuid4(),
            SMALL,
        )
        async with directory_process(database_url, issuer, clock) as restarted:
            assert await reciprocity(restarted, admin, BIG, "2024-12") == month
            hidden = await reciprocity(restarted, admin, SMALL, "2024-12")
        assert hidden["department"] is None
        assert hidden["reports"] == 58
        gone = await connection.fetchval("SELECT to_regclass('support_report_parts_to_seal')")
        assert gone is None
    finally:
        await connection.close()
        await drop(postgres_url, name)
