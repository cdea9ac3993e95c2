"""Garbage-collection pauses of the directory under a search load, before and after settling.

Usage: .venv/bin/python bench/directory_seed.py   (once)
       .venv/bin/python bench/gc_pauses.py [--requests 1500]

Runs the 20-row `searchPeerSupporters` page in-process (schema, resolvers, SQL), as the
directory serves it, first with the interpreter's default collector settings and then
after `servicekit.app.settle_heap()` (one collection, `gc.freeze()`, a higher threshold),
which the service runs once it has started. Every collection is timed through
`gc.callbacks`; prints collections and their pauses per generation, and the requests'
p50/p99. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from directory_http import AREAS, SEARCH, ZIPS  # noqa: E402
from directory_seed import BENCH_DATABASE, database_server  # noqa: E402

from servicekit import geo  # noqa: E402
from servicekit.app import settle_heap  # noqa: E402
from servicekit.clock import SYSTEM_CLOCK  # noqa: E402
from servicekit.database import create_pool  # noqa: E402
from servicekit.database_urls import with_database  # noqa: E402
from servicekit.graphql import RequestContext  # noqa: E402
from servicekit.settings import Secret  # noqa: E402
from servicekit.tokens import Principal  # noqa: E402
from services.directory.app import build_schema  # noqa: E402
from services.directory.availability import time_zones  # noqa: E402
from services.directory.report_key import ReportKey  # noqa: E402
from services.directory.report_months import ReportMonths  # noqa: E402
from services.directory.schema import DirectoryLoaders, DirectoryResources  # noqa: E402
from services.directory.search_index import SupporterIndex  # noqa: E402
from services.directory.settings import DEVELOPMENT_REPORT_KEY  # noqa: E402
from services.directory.survey_quarters import SurveyQuarters  # noqa: E402


class CollectorClock:
    """Times every collection, by generation."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = defaultdict(list)
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._started) * 1000)

    def report(self, requests: int) -> str:
        lines = []
        for generation in (0, 1, 2):
            pauses = self.pauses.get(generation, [])
            lines.append(
                f"    gen {generation}: {len(pauses) * 1000 / requests:7.1f} per 1000 requests, "
                f"max {max(pauses, default=0):6.2f} ms, total {sum(pauses):8.1f} ms"
            )
        return "\n".join(lines)


async def run(requests: int) -> None:
    with database_server() as server_url:
        pool = await create_pool(with_database(server_url, BENCH_DATABASE), max_size=2)
        geo.load()
        time_zones()
        schema = build_schema()
        index = SupporterIndex()  # the process's, read at its first search
        months = ReportMonths(SYSTEM_CLOCK, ReportKey(Secret(DEVELOPMENT_REPORT_KEY)))
        resources = DirectoryResources(
            months=months, survey=SurveyQuarters(SYSTEM_CLOCK, months), search_index=index
        )
        rng = random.Random(11)
        principal = Principal(
            subject="bench", department_id=str(uuid.uuid4()), roles=frozenset({"officer"})
        )

        async def search() -> float:
            context = RequestContext(
                pool=pool,
                principal=principal,
                token_problem=None,
                loaders=DirectoryLoaders(pool, SYSTEM_CLOCK),
                resources=resources,
                clock=SYSTEM_CLOCK,
            )
            variables = {
                "first": 20,
                "filter": {
                    "areasOfSupport": [rng.choice(AREAS)],
                    "near": {"zipCode": rng.choice(ZIPS), "withinMiles": rng.choice((50, 150))},
                },
            }
            started = time.perf_counter()
            result = await schema.execute(SEARCH, variable_values=variables, context_value=context)
            assert result.errors is None, result.errors
            return (time.perf_counter() - started) * 1000

        for _ in range(50):
            await search()
        print(f"{requests} searches per setting; objects tracked by the collector: ", end="")
        print(len(gc.get_objects()))
        for label in ("interpreter defaults", "after settle_heap()"):
            if label.startswith("after"):
                settle_heap()
            clock = CollectorClock()
            gc.callbacks.append(clock)
            try:
                timings = [await search() for _ in range(requests)]
            finally:
                gc.callbacks.remove(clock)
            ordered = sorted(timings)
            p99 = ordered[int(len(ordered) * 0.99)]
            print(
                f"  {label}: p50 {statistics.median(timings):.2f} ms, p99 {p99:.2f} ms, "
                f"max {ordered[-1]:.2f} ms"
            )
            print(clock.report(requests))
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    asyncio.run(run(parser.parse_args().requests))


if __name__ == "__main__":
    main()
