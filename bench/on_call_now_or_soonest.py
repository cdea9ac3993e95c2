"""Latency of `onCallNowOrSoonest` (whom to call, at any hour) over the benchmark database.

Usage: .venv/bin/python bench/directory_seed.py [--supporters N]   (once per size)
       .venv/bin/python bench/on_call_now_or_soonest.py [--runs N] [--sizes 50000]

Each run executes the operation on the directory's own schema (as
bench/directory_search.py does the search), with the officers' filter mixes of that bench,
at 03:10 on a Tuesday in Chicago and at 15:10 the same day (a fixed clock), each time in
the officer's zone. Prints p50, p95 and p99 per mix and moment, the share answered with
someone on call now and the mean number of filters left out. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from directory_search import BUSY_ZIPS, officer_mixes, percentiles  # noqa: E402
from directory_seed import bench_database, database_server  # noqa: E402

from servicekit import geo  # noqa: E402
from servicekit.clock import FixedClock  # noqa: E402
from servicekit.database import create_pool  # noqa: E402
from servicekit.database_urls import with_database  # noqa: E402
from servicekit.graphql import RequestContext  # noqa: E402
from servicekit.tokens import Principal  # noqa: E402
from services.directory.app import build_schema  # noqa: E402
from services.directory.availability import time_zones  # noqa: E402
from services.directory.report_months import ReportMonths  # noqa: E402
from services.directory.schema import DirectoryLoaders, DirectoryResources  # noqa: E402
from services.directory.search_index import SupporterIndex  # noqa: E402
from services.directory.survey_quarters import SurveyQuarters  # noqa: E402

ASK = """
query OnCallNowOrSoonest($filter: PeerSupporterFilter, $timeZone: String!, $first: Int!) {
  onCallNowOrSoonest(filter: $filter, timeZone: $timeZone, first: $first) {
    onCallNow relaxed
    matches { onCallFrom minutesUntilOnCall
      supporter { id displayName telLink smsLink county state department { id } } }
    errors { field message }
  }
}
"""
MOMENTS = {
    "03:10": dt.datetime(2025, 1, 14, 9, 10, tzinfo=dt.UTC),
    "15:10": dt.datetime(2025, 1, 14, 21, 10, tzinfo=dt.UTC),
}

Figures = tuple[float, float, float, float, float]


async def measure(server_url: str, supporters: int, runs: int) -> dict[str, Figures]:
    """Per mix and moment: p50, p95, p99 (ms), the share on call now, filters left out."""
    pool = await create_pool(with_database(server_url, bench_database(supporters)), max_size=2)
    schema = build_schema()
    clock = FixedClock(MOMENTS["03:10"])
    index = SupporterIndex()
    months = ReportMonths(clock)
    resources = DirectoryResources(
        months=months, survey=SurveyQuarters(clock, months), search_index=index
    )
    rng = random.Random(7)
    sample = await pool.fetch(
        "SELECT zip_code, state, county FROM peer_supporters TABLESAMPLE SYSTEM (2) LIMIT 200"
    )
    zips = BUSY_ZIPS + [str(row["zip_code"]).strip() for row in sample]
    counties = [(row["state"], row["county"]) for row in sample if row["county"]]
    principal = Principal(
        subject="bench", department_id=str(uuid.uuid4()), roles=frozenset({"officer"})
    )

    async def ask(filter_: dict[str, Any]) -> dict[str, Any]:
        context = RequestContext(
            pool=pool,
            principal=principal,
            token_problem=None,
            loaders=DirectoryLoaders(pool, clock),
            resources=resources,
            clock=clock,
        )
        result = await schema.execute(
            ASK,
            variable_values={"filter": filter_, "timeZone": "America/Chicago", "first": 3},
            context_value=context,
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        answer: dict[str, Any] = result.data["onCallNowOrSoonest"]
        assert answer["errors"] == [], answer["errors"]
        return answer

    figures: dict[str, Figures] = {}
    await ask({})  # reads every profile
    for moment_name, moment in MOMENTS.items():
        clock.at = moment
        for name, make, _ in officer_mixes(rng, zips, counties):
            for _ in range(10):
                await ask(make())
            timings, now, relaxed = [], [], []
            for _ in range(runs):
                started = time.perf_counter()
                answer = await ask(make())
                timings.append((time.perf_counter() - started) * 1000)
                now.append(1.0 if answer["onCallNow"] else 0.0)
                relaxed.append(float(len(answer["relaxed"])))
            figures[f"{moment_name} {name}"] = (
                *percentiles(timings),
                statistics.mean(now),
                statistics.mean(relaxed),
            )
    await pool.close()
    return figures


async def run(runs: int, sizes: list[int]) -> None:
    geo.load()
    time_zones()
    print(f"{runs} questions per mix, first 3; load average {os.getloadavg()[0]:.2f}")
    with database_server() as server_url:
        for size in sizes:
            figures = await measure(server_url, size, runs)
            print(f"{size:,} supporters: p50 / p95 / p99 ms, on call now, filters left out")
            for name, (p50, p95, p99, now, relaxed) in figures.items():
                print(f"{name:52} {p50:7.2f} {p95:7.2f} {p99:7.2f} {now:6.0%} {relaxed:5.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--sizes", default="50000")
    args = parser.parse_args()
    asyncio.run(run(args.runs, [int(size) for size in args.sizes.split(",")]))


if __name__ == "__main__":
    main()
