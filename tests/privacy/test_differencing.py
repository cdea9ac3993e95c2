"""The subtraction attack on the monthly reciprocity figures.

A department with one reporting supporter is not shown, but a coordinator who sees the
network total and their own department's, or a network admin who sees every shown
department, can subtract: network - shown departments = the hidden supporter's figure. With
exact totals that recovers it every month. The figures carry differential-privacy noise
(services/directory/report_figures.py), so the difference is the hidden figure plus noise
of scale ~60 officers: it lands on the exact value about once in two hundred months, and the
attacker cannot tell when it did. With several directory processes each writes a noisy part
and the figures are their sums: the noise only grows.
"""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections.abc import AsyncIterator

import pytest

from servicekit.clock import FixedClock
from services.directory import report_figures
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import create_profile, directory_process
from tests.services.directory.test_support_reports import reciprocity, report
from tests.support.database import TemplateDatabases
from tests.support.tokens import TokenIssuer
from wnwa.registry import service_named

pytestmark = pytest.mark.slow  # simulates hundreds of monthly closes

OWN, HIDDEN = uuid.uuid4(), uuid.uuid4()
HIDDEN_FIGURE = 23
OWN_SUPPORTERS = 40
MONTHS = ("2025-01", "2025-02", "2025-03")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC))


@pytest.fixture
async def directory(
    databases: TemplateDatabases, issuer: TokenIssuer, clock: FixedClock
) -> AsyncIterator[ServiceUnderTest]:
    database_url = await databases.fresh("directory", service_named("directory").migrations)
    async with directory_process(database_url, issuer, clock) as directory:
        yield directory


async def test_subtracting_the_figures_does_not_recover_a_lone_supporters_report(
    directory: ServiceUnderTest, issuer: TokenIssuer, clock: FixedClock
) -> None:
    coordinator = issuer.token("coordinator", department=OWN)
    admin = issuer.token("network_admin")
    for department in (OWN, HIDDEN):  # both departments are listed (they have profiles)
        await create_profile(directory, issuer, department=department)
    recovered = {"coordinator": 0, "network admin": 0}
    for month in MONTHS:
        year, number = map(int, month.split("-"))
        clock.at = dt.datetime(year, number, 15, 12, tzinfo=dt.UTC)
        for _ in range(OWN_SUPPORTERS):
            token = issuer.token("peer_supporter", department=OWN)
            assert (await report(directory, token, month, 3))["accepted"]
        lone = issuer.token("peer_supporter", department=HIDDEN)
        assert (await report(directory, lone, month, HIDDEN_FIGURE))["accepted"]
        clock.at = dt.datetime(year + number // 12, number % 12 + 1, 11, 12, tzinfo=dt.UTC)

        # the coordinator: the network total minus their own department's
        seen = await reciprocity(directory, coordinator, month=month)
        assert seen["department"] is not None  # their own department is shown
        guess = seen["officersSupported"] - seen["department"]["officersSupported"]
        recovered["coordinator"] += guess == HIDDEN_FIGURE
        # the network admin: the network total minus every department shown
        network = await reciprocity(directory, admin, month=month)
        hidden = await reciprocity(directory, admin, HIDDEN, month=month)
        assert hidden["department"] is None  # the lone supporter's department is not shown
        own = await reciprocity(directory, admin, OWN, month=month)
        assert network["departmentsShown"] == 1
        guess = network["officersSupported"] - own["department"]["officersSupported"]
        recovered["network admin"] += guess == HIDDEN_FIGURE
    # exact totals would give 3 out of 3 in each line; noise at most a lucky one
    assert all(count <= 1 for count in recovered.values()), recovered


@pytest.mark.parametrize("processes", [1, 2])
def test_over_many_months_the_attack_misses_by_the_noise(processes: int) -> None:
    # the lone supporter's report is in one process's part; the others took OWN's reports
    counted = [
        {
            OWN: report_figures.Cell(OWN_SUPPORTERS // processes, OWN_SUPPORTERS // processes * 3),
            HIDDEN: report_figures.Cell(int(n == 0), HIDDEN_FIGURE * (n == 0)),
        }
        for n in range(processes)
    ]
    threshold = report_figures.minimum_reports(processes)
    errors, shown = [], 0
    for _ in range(1000):
        parts = [report_figures.noisy_part(cells, [OWN, HIDDEN]) for cells in counted]
        summed = {key: sum(part[key].officers_supported for part in parts) for key in (None, OWN)}
        shown += sum(part[HIDDEN].reports for part in parts) >= threshold
        guess = max(0, summed[None]) - max(0, summed[OWN])
        errors.append(guess - HIDDEN_FIGURE)
    assert shown <= 1  # the lone supporter's department is shown once in a million months
    exact = sum(error == 0 for error in errors) / len(errors)
    assert exact < 0.02
    assert statistics.mean(abs(error) for error in errors) > 20
