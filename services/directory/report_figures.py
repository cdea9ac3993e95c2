"""Monthly reciprocity figures under differential privacy (OpenDP's discrete Laplace).

When a month closes, its exact sums exist for a moment in memory; what is written is noisy:

- per department: the number of reports (noise scale 1/ε) and the officers supported (each
  report counted up to :data:`OFFICERS_CAP`, scale CAP/ε), released only when the noisy
  count reaches :data:`MINIMUM_REPORTS` (the threshold mechanism, which hides whether a
  small department took part at all, with probability of failure :data:`DELTA`);
- for the whole network: reports and officers supported, noised the same way.

A supporter reports once a month and belongs to one department, so one report moves one
department's pair and the network's pair: the month's budget per supporter is
ε = :data:`EPSILON_PER_MONTH` with δ = :data:`DELTA`. The noise is drawn once, at close, and
stored; every later question reads the same noisy figures, so asking again, or subtracting
one figure from another, spends nothing and yields nothing exact.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import opendp.prelude as dp

dp.enable_features("contrib")

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
DELTA = 1e-6
# P(a department with one report is released) <= exp(-(threshold - 1) / scale) <= DELTA
MINIMUM_REPORTS = 1 + math.ceil(math.log(1 / DELTA) / EPSILON_DEPARTMENT_REPORTS)


@dataclass(frozen=True, slots=True)
class Cell:
    reports: int
    officers_supported: int


@lru_cache(maxsize=8)
def _discrete_laplace(scale: float) -> Any:
    return dp.m.make_laplace(
        dp.atom_domain(T=int, nan=False), dp.absolute_distance(T=int), scale=scale
    )


def noisy(value: int, *, sensitivity: int, epsilon: float) -> int:
    """``value`` plus discrete Laplace noise for ``sensitivity``/``epsilon``."""
    released: int = _discrete_laplace(sensitivity / epsilon)(value)
    return released


def exact_cells(reports: Iterable[tuple[uuid.UUID, int]]) -> dict[uuid.UUID, Cell]:
    """Per-department sums of ``(department, officers)`` reports, each capped."""
    cells: dict[uuid.UUID, Cell] = {}
    for department, officers in reports:
        cell = cells.get(department, Cell(0, 0))
        cells[department] = Cell(
            cell.reports + 1, cell.officers_supported + min(officers, OFFICERS_CAP)
        )
    return cells


def release(
    cells: Mapping[uuid.UUID, Cell], *, network_only: Cell = Cell(0, 0)
) -> dict[uuid.UUID | None, Cell]:
    """The noisy figures to store: the network's (key None) and the released departments'.

    ``network_only`` adds sums that belong to no department (totals kept before reports
    were sealed, whose small departments had been folded into the network's).
    """
    reports = sum(c.reports for c in cells.values()) + network_only.reports
    officers = sum(c.officers_supported for c in cells.values()) + network_only.officers_supported
    network = Cell(
        max(0, noisy(reports, sensitivity=1, epsilon=EPSILON_NETWORK_REPORTS)),
        max(0, noisy(officers, sensitivity=OFFICERS_CAP, epsilon=EPSILON_NETWORK_OFFICERS)),
    )
    figures: dict[uuid.UUID | None, Cell] = {None: network}
    for department, cell in cells.items():
        count = noisy(cell.reports, sensitivity=1, epsilon=EPSILON_DEPARTMENT_REPORTS)
        if count < MINIMUM_REPORTS:
            continue
        total = noisy(
            cell.officers_supported, sensitivity=OFFICERS_CAP, epsilon=EPSILON_DEPARTMENT_OFFICERS
        )
        figures[department] = Cell(count, max(0, total))
    return figures
