"""Monthly reciprocity figures under differential privacy (OpenDP's discrete Laplace).

Each directory process counts the reports it takes in memory (``report_months``). When the
month closes it writes its *part* of the figures, with noise, and forgets the exact counts:

- per department: the number of reports (noise scale 1/ε) and the officers supported (each
  report counted up to :data:`OFFICERS_CAP`, scale CAP/ε), for **every** department that has
  a profile in the directory, whether or not any of its supporters reported — the list of
  departments written never depends on the reports;
- for the whole network: reports and officers supported, noised the same way.

A report is counted by exactly one process, in one department and the network, so one
supporter moves one department's pair and the network's pair of one part: each part, and
therefore everything stored, is ε-differentially private per supporter per month with
ε = :data:`EPSILON_PER_MONTH` (δ = 0). The published figure is the sum of the month's parts
(post-processing: no further cost); the noise of k parts adds up, so its variance is k times
one part's. A department's figure is shown when its summed noisy count reaches
:func:`minimum_reports` for that many parts, chosen so that a department with one report is
shown with probability below :data:`DELTA`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

OFFICERS_CAP = 30  # one report counts for at most this many officers in the figures
EPSILON_DEPARTMENT_REPORTS = 1.0
EPSILON_DEPARTMENT_OFFICERS = 1.0
EPSILON_NETWORK_REPORTS = 0.5
EPSILON_NETWORK_OFFICERS = 0.5
EPSILON_PER_MONTH = (
    EPSILON_DEPARTMENT_REPORTS
    + EPSILON_DEPARTMENT_OFFICERS
    + EPSILON_NETWORK_REPORTS
    + EPSILON_NETWORK_OFFICERS
)
# the chance that a department with a single report is shown, whatever the number of parts
DELTA = 1e-6
# with one part: P(1 + noise >= threshold) <= exp(-(threshold - 1) / scale) <= DELTA
MINIMUM_REPORTS = 1 + math.ceil(math.log(1 / DELTA) / EPSILON_DEPARTMENT_REPORTS)
# A department's twelve-month figure is the sum of the parts of its last twelve closed months
# (already stored: no new noise, no new budget). It is shown from a count of what one
# supporter reporting every month files in a year, and only where a department without any
# report reaches that count at most this often (the figure is then mostly signal).
TWELVE_MONTHS = 12
YEAR_MINIMUM_REPORTS = 12
EMPTY_YEAR_SHOWN = 0.01


@dataclass(frozen=True, slots=True)
class Cell:
    reports: int
    officers_supported: int


@lru_cache(maxsize=8)
def _discrete_laplace(scale: float) -> Any:
    # imported at the first close of a month, not at start: some 12 MB the process would
    # otherwise hold from its start
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int, nan=False)), dp.l1_distance(T=int), scale=scale
    )


def noisy(values: list[int], *, sensitivity: int, epsilon: float) -> list[int]:
    """Each of ``values`` plus its own discrete Laplace noise for ``sensitivity``/``epsilon``
    (one report changes one of them by at most ``sensitivity``)."""
    if not values:
        return []
    released: list[int] = _discrete_laplace(sensitivity / epsilon)(values)
    return released


def capped(officers: int) -> int:
    """What one report counts for in the figures."""
    return min(officers, OFFICERS_CAP)


def noisy_part(
    cells: Mapping[uuid.UUID, Cell], departments: Iterable[uuid.UUID]
) -> dict[uuid.UUID | None, Cell]:
    """One process's part of a month: the network's pair (key None) and one noisy pair for
    each of ``departments``, reported to or not. Reports of a department not among them
    count in the network's pair only. Values may be negative: clamping each part would bias
    their sum; only the published sum is clamped."""
    listed = sorted(set(departments))
    reports = sum(cell.reports for cell in cells.values())
    officers = sum(cell.officers_supported for cell in cells.values())
    network_reports = noisy([reports], sensitivity=1, epsilon=EPSILON_NETWORK_REPORTS)[0]
    network_officers = noisy(
        [officers], sensitivity=OFFICERS_CAP, epsilon=EPSILON_NETWORK_OFFICERS
    )[0]
    empty = Cell(0, 0)
    counts = noisy(
        [cells.get(d, empty).reports for d in listed],
        sensitivity=1,
        epsilon=EPSILON_DEPARTMENT_REPORTS,
    )
    sums = noisy(
        [cells.get(d, empty).officers_supported for d in listed],
        sensitivity=OFFICERS_CAP,
        epsilon=EPSILON_DEPARTMENT_OFFICERS,
    )
    part: dict[uuid.UUID | None, Cell] = {None: Cell(network_reports, network_officers)}
    for department, count, total in zip(listed, counts, sums, strict=True):
        part[department] = Cell(count, total)
    return part


def _noise_distribution(scale: float) -> dict[int, float]:
    """The discrete Laplace distribution of ``scale``, cut where it is below 1e-30."""
    alpha = math.exp(-1 / scale)
    reach = math.ceil(70 * scale)
    weight = (1 - alpha) / (1 + alpha)
    return {x: weight * alpha ** abs(x) for x in range(-reach, reach + 1)}


@lru_cache(maxsize=64)
def summed_noise(parts: int, epsilon: float = EPSILON_DEPARTMENT_REPORTS) -> dict[int, float]:
    """The distribution of the summed noise of a count over ``parts`` parts, each drawn with
    ``epsilon`` for a count one report moves by one (cut where it is below 1e-30)."""
    one = _noise_distribution(1 / epsilon)
    total: dict[int, float] = {0: 1.0}
    for _ in range(max(parts, 1)):
        added: dict[int, float] = {}
        for x, p in total.items():
            for y, q in one.items():
                added[x + y] = added.get(x + y, 0.0) + p * q
        total = {x: p for x, p in added.items() if p > 1e-30}
    return total


def minimum_count(parts: int, epsilon: float, lowest: int) -> int:
    """The smallest summed noisy count, from ``lowest`` up, that a count of one reaches with
    probability at most :data:`DELTA` when ``parts`` parts each drew noise with ``epsilon``."""
    total = summed_noise(parts, epsilon)
    threshold = lowest
    while sum(p for x, p in total.items() if 1 + x >= threshold) > DELTA:
        threshold += 1
    return threshold


@lru_cache(maxsize=64)
def minimum_reports(parts: int) -> int:
    """The smallest summed noisy count at which a department is shown, with ``parts`` parts
    written for the month: a department with one report reaches it with probability at most
    :data:`DELTA` (15 for one part, 17 for two, 19 for three)."""
    return minimum_count(parts, EPSILON_DEPARTMENT_REPORTS, MINIMUM_REPORTS)


@lru_cache(maxsize=64)
def twelve_month_minimum(parts: int) -> int:
    """The smallest summed noisy count of twelve months at which a department is shown, with
    ``parts`` parts written over them: at least :data:`YEAR_MINIMUM_REPORTS` (a year of one
    supporter's monthly reports), and high enough that a department without any report in
    those months reaches it with probability at most :data:`EMPTY_YEAR_SHOWN` (12 for twelve
    parts, 17 for twenty-four, 20 for thirty-six)."""
    total = summed_noise(parts)
    threshold = YEAR_MINIMUM_REPORTS
    while sum(p for x, p in total.items() if x >= threshold) > EMPTY_YEAR_SHOWN:
        threshold += 1
    return threshold


def margin(parts: int, *, sensitivity: int, epsilon: float) -> int:
    """About 95% of sums of ``parts`` parts' noise for ``sensitivity``/``epsilon`` fall within
    plus or minus this (1.96 standard deviations; near normal once a few parts add up)."""
    alpha = math.exp(-epsilon / sensitivity)
    variance = 2 * alpha / (1 - alpha) ** 2
    return math.ceil(1.96 * math.sqrt(max(parts, 1) * variance))
