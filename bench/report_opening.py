"""Monthly support reports: what opening a month's sealed parts costs the directory.

A month's figures are summed in the service from the month's sealed parts (one per directory
process that ran at the close, each with the network's pair and one for every department
with a profile). Seals parts as ``report_store.write_part`` does, then times opening them
and summing every department (``report_store.month_figures``), and opening twelve months of
them to find one department's pairs (``report_store.twelve_month_figures``).

Run: .venv/bin/python bench/report_opening.py [--departments 1000] [--parts 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid

from servicekit.settings import Secret
from services.directory import report_store
from services.directory.report_figures import Cell
from services.directory.report_key import ReportKey


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=1000)
    parser.add_argument("--parts", type=int, default=3, help="directory processes at the close")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    key = ReportKey(Secret("bench-report-key-" + "b" * 32))
    month = dt.date(2025, 1, 1)
    departments = [uuid.uuid4() for _ in range(args.departments)]
    part: dict[uuid.UUID | None, Cell] = {None: Cell(3, 40)}
    part.update((d, Cell(3, 40)) for d in departments)
    rows = []
    for _ in range(args.parts):
        part_id = uuid.uuid4()
        sealed = report_store.sealed_part(key, month, part_id, part)
        rows.append({"month": month, "part_id": part_id, "sealed": sealed})
    timings: list[float] = []
    year: list[float] = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        opened = report_store.opened_parts(key, rows)
        sums: dict[bytes, int] = {}
        for each in opened.values():  # as month_figures sums them
            for department, reports, _ in each.records():
                sums[department] = sums.get(department, 0) + reports
        timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(12):  # a year of parts, one department looked up in each
            for each in report_store.opened_parts(key, rows).values():
                each.pair(departments[-1])
        year.append(time.perf_counter() - started)
    assert len(opened) == len(rows)
    print(
        f"a month of {args.parts} sealed parts of {args.departments:,} departments each: "
        f"opened and summed in {1000 * statistics.median(timings):.1f} ms median, "
        f"{1000 * max(timings):.1f} ms at most; twelve such months, one department's pair "
        f"found in each: {1000 * statistics.median(year):.1f} ms median "
        f"({args.rounds} rounds)"
    )


if __name__ == "__main__":
    main()
