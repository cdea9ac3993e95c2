"""Search latency of the directory subgraph over the seeded benchmark database.

Usage: .venv/bin/python bench/directory_seed.py   (once)
       .venv/bin/python bench/directory_search.py [--runs N]

Each run executes the `searchPeerSupporters` GraphQL operation on the directory's own
schema (resolvers, availability computation, SQL, result shaping), as a subgraph would
for the gateway; HTTP framing and token verification (a cached-key signature check) are
left out. ZIP codes, areas and languages vary per run. Prints p50 and p95 per filter mix.
"""

from __future__ import annotations

import argparse
import asyncio
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

from directory_seed import BENCH_DATABASE, database_server  # noqa: E402

from servicekit import geo  # noqa: E402
from servicekit.clock import SYSTEM_CLOCK  # noqa: E402
from servicekit.database import create_pool, with_database  # noqa: E402
from servicekit.graphql import RequestContext  # noqa: E402
from servicekit.tokens import Principal  # noqa: E402
from services.directory.app import build_schema  # noqa: E402
from services.directory.availability import time_zones  # noqa: E402
from services.directory.report_months import ReportMonths  # noqa: E402
from services.directory.schema import DirectoryLoaders  # noqa: E402
from services.directory.search_index import SupporterIndex  # noqa: E402
from services.directory.vocabulary import AreaOfSupport  # noqa: E402

SEARCH = """
query Search($filter: PeerSupporterFilter, $first: Int!, $after: String) {
  searchPeerSupporters(filter: $filter, first: $first, after: $after) {
    matches {
      distanceMiles
      supporter {
        id displayName phone telLink smsLink languages areasOfSupport yearsOfService
        state county availableNow department { id }
      }
    }
    pageInfo { endCursor hasNextPage }
    errors { field message }
  }
}
"""

AREAS = [area.name for area in AreaOfSupport]
BUSY_ZIPS = ["60601", "60540", "61602", "10001", "90012", "77002", "30303", "98101"]


def mixes(rng: random.Random, zips: list[str]) -> dict[str, Any]:
    """Filter mixes, each a function of the random source giving one search's filter."""
    return {
        "available now + area + 50 mi": lambda: {
            "availableNow": True,
            "areasOfSupport": [rng.choice(AREAS)],
            "near": {"zipCode": rng.choice(zips), "withinMiles": 50},
        },
        "available now + area + 150 mi": lambda: {
            "availableNow": True,
            "areasOfSupport": [rng.choice(AREAS)],
            "near": {"zipCode": rng.choice(zips), "withinMiles": 150},
        },
        "area + 50 mi (anyone)": lambda: {
            "areasOfSupport": [rng.choice(AREAS)],
            "near": {"zipCode": rng.choice(zips), "withinMiles": 50},
        },
        "available now + two areas": lambda: {
            "availableNow": True,
            "areasOfSupport": rng.sample(AREAS, 2),
        },
        "language es + state": lambda: {"language": "es", "state": "IL"},
        "available now only (whole network)": lambda: {"availableNow": True},
        "no filter (whole network)": lambda: {},
    }


async def run(runs: int) -> None:
    with database_server() as server_url:
        pool = await create_pool(with_database(server_url, BENCH_DATABASE), max_size=2)
        geo.load()
        time_zones()
        schema = build_schema()
        index = SupporterIndex()  # the process's, read at its first search
        rng = random.Random(7)
        zips = BUSY_ZIPS + [
            str(row["zip_code"])
            for row in await pool.fetch(
                "SELECT zip_code FROM peer_supporters TABLESAMPLE SYSTEM (2) LIMIT 200"
            )
        ]
        principal = Principal(
            subject="bench", department_id=str(uuid.uuid4()), roles=frozenset({"officer"})
        )

        async def search(filter_: dict[str, Any], after: str | None = None) -> dict[str, Any]:
            context = RequestContext(
                pool=pool,
                principal=principal,
                token_problem=None,
                loaders=DirectoryLoaders(pool, SYSTEM_CLOCK, index),
                resources=ReportMonths(SYSTEM_CLOCK),
                clock=SYSTEM_CLOCK,
            )
            result = await schema.execute(
                SEARCH,
                variable_values={"filter": filter_, "first": 20, "after": after},
                context_value=context,
            )
            assert result.errors is None, result.errors
            assert result.data is not None
            answer: dict[str, Any] = result.data["searchPeerSupporters"]
            assert answer["errors"] == [], answer["errors"]
            return answer

        load = os.getloadavg()
        print(f"{runs} searches per mix, first page of 20; load average before: {load[0]:.2f}")
        print(f"{'filter mix':40} {'p50 ms':>8} {'p95 ms':>8} {'results':>8}")
        for name, make in mixes(rng, zips).items():
            for _ in range(20):  # warm the pool, plans and caches
                await search(make())
            timings, counts = [], []
            for _ in range(runs):
                started = time.perf_counter()
                answer = await search(make())
                timings.append((time.perf_counter() - started) * 1000)
                counts.append(len(answer["matches"]))
            p50 = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[18]
            print(f"{name:40} {p50:8.2f} {p95:8.2f} {statistics.mean(counts):8.1f}")
        # the second page of the typical mix, through its cursor
        timings = []
        for _ in range(runs):
            filter_ = {
                "areasOfSupport": [rng.choice(AREAS)],
                "near": {"zipCode": rng.choice(BUSY_ZIPS), "withinMiles": 150},
            }
            first = await search(filter_)
            started = time.perf_counter()
            await search(filter_, first["pageInfo"]["endCursor"])
            timings.append((time.perf_counter() - started) * 1000)
        p50, p95 = statistics.median(timings), statistics.quantiles(timings, n=20)[18]
        print(f"{'area + 150 mi, second page':40} {p50:8.2f} {p95:8.2f}")
        print(f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    asyncio.run(run(parser.parse_args().runs))


if __name__ == "__main__":
    main()
