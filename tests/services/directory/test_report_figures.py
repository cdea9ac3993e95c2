"""The noisy parts of a month and the threshold of their sums, with nothing running."""

from __future__ import annotations

import datetime as dt
import uuid

from services.directory import report_figures
from services.directory.report_figures import Cell
from services.directory.report_months import closes_at, open_from

LISTED, OTHER, UNLISTED = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def test_a_part_has_a_pair_for_every_listed_department_and_nothing_else() -> None:
    cells = {LISTED: Cell(3, 40), UNLISTED: Cell(2, 10)}
    for counted in (cells, {}):
        part = report_figures.noisy_part(counted, [LISTED, OTHER])
        # the same rows whether anyone reported or not; a department without a profile has
        # no pair of its own (its reports count in the network's)
        assert set(part) == {None, LISTED, OTHER}


def test_a_report_counts_for_at_most_the_cap() -> None:
    assert report_figures.capped(300) == report_figures.OFFICERS_CAP == 30
    assert report_figures.capped(7) == 7


def test_the_threshold_grows_with_the_parts_so_one_report_stays_hidden() -> None:
    thresholds = [report_figures.minimum_reports(parts) for parts in (1, 2, 3, 4)]
    assert thresholds == [15, 17, 19, 20]
    assert thresholds[0] == report_figures.MINIMUM_REPORTS


def test_a_month_takes_reports_until_the_tenth_of_the_next() -> None:
    assert open_from(dt.date(2025, 2, 10)) == dt.date(2025, 1, 1)
    assert open_from(dt.date(2025, 2, 11)) == dt.date(2025, 2, 1)
    assert closes_at(dt.date(2025, 1, 1)) == dt.datetime(2025, 2, 11, tzinfo=dt.UTC)
    assert closes_at(dt.date(2024, 12, 1)) == dt.datetime(2025, 1, 11, tzinfo=dt.UTC)
