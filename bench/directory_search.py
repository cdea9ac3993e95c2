"""Search latency of the directory subgraph over the seeded benchmark databases.

Usage: .venv/bin/python bench/directory_seed.py [--supporters N]   (once per size)
       .venv/bin/python bench/directory_search.py [--runs N] [--sizes 50000,200000]

Each run executes the `searchPeerSupporters` GraphQL operation on the directory's own
schema (resolvers, the catch-up query, the search, result shaping), as a subgraph would
for the gateway; HTTP framing and token verification (a cached-key signature check) are
left out. The filters are drawn the way officers would ask (``officer_mixes``): mostly an
area near a ZIP code, but also rare combinations (an area and a language few speak, a
county, a gender) and wide ones (300 miles and available now, the whole network). ZIP
codes, counties, areas and languages vary per run. Prints p50, p95 and p99 per mix and for
the mixes drawn by their weights, for each size side by side. Asserts nothing.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from directory_seed import OTHER_LANGUAGES, bench_database, database_server  # noqa: E402

from servicekit import geo  # noqa: E402
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


Filter = dict[str, Any]
Mix = tuple[str, Callable[[], Filter], int]


def officer_mixes(
    rng: random.Random, zips: list[str], counties: list[tuple[str, str]] | None = None
) -> list[Mix]:
    """The filters officers ask for, each with its share of searches (a weight)."""
    counties = counties or [("IL", "Cook"), ("CA", "Los Angeles"), ("MT", "Missoula")]
    genders = ["WOMAN", "MAN", "NON_BINARY"]
    return [
        (
            "area + 50 mi",
            lambda: {
                "areasOfSupport": [rng.choice(AREAS)],
                "near": {"zipCode": rng.choice(zips), "withinMiles": 50},
            },
            30,
        ),
        (
            "available now + area + 150 mi",
            lambda: {
                "availableNow": True,
                "areasOfSupport": [rng.choice(AREAS)],
                "near": {"zipCode": rng.choice(zips), "withinMiles": 150},
            },
            15,
        ),
        ("available now only (whole network)", lambda: {"availableNow": True}, 8),
        ("no filter (whole network)", lambda: {}, 4),
        (
            "available now + two areas",
            lambda: {"availableNow": True, "areasOfSupport": rng.sample(AREAS, 2)},
            6,
        ),
        ("language es + state", lambda: {"language": "es", "state": "IL"}, 4),
        (
            "rare: area + language, no location",
            lambda: {
                "areasOfSupport": [rng.choice(AREAS)],
                "language": rng.choice(OTHER_LANGUAGES),
            },
            8,
        ),
        (
            "rare: two areas + language + gender",
            lambda: {
                "areasOfSupport": rng.sample(AREAS, 2),
                "language": rng.choice(OTHER_LANGUAGES),
                "gender": rng.choice(genders),
            },
            4,
        ),
        (
            "county (with its state)",
            lambda: dict(zip(("state", "county"), rng.choice(counties), strict=True)),
            5,
        ),
        (
            "300 mi + available now",
            lambda: {
                "availableNow": True,
                "near": {"zipCode": rng.choice(zips), "withinMiles": 300},
            },
            6,
        ),
        (
            "gender + area + 100 mi",
            lambda: {
                "gender": rng.choice(genders),
                "areasOfSupport": [rng.choice(AREAS)],
                "near": {"zipCode": rng.choice(zips), "withinMiles": 100},
            },
            5,
        ),
        (
            "available now + area + language, no location",
            lambda: {
                "availableNow": True,
                "areasOfSupport": [rng.choice(AREAS)],
                "language": rng.choice(OTHER_LANGUAGES),
            },
            5,
        ),
    ]


def percentiles(timings: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(timings, n=100)
    return statistics.median(timings), cuts[94], cuts[98]


async def measure(
    server_url: str, supporters: int, runs: int
) -> dict[str, tuple[float, float, float, float]]:
    """Per mix: p50, p95, p99 (ms) and the mean number of matches on the first page."""
    pool = await create_pool(with_database(server_url, bench_database(supporters)), max_size=2)
    schema = build_schema()
    index = SupporterIndex()  # the process's, read at its first search
    months = ReportMonths(SYSTEM_CLOCK, ReportKey(Secret(DEVELOPMENT_REPORT_KEY)))
    resources = DirectoryResources(
        months=months, survey=SurveyQuarters(SYSTEM_CLOCK, months), search_index=index
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

    async def search(filter_: Filter, after: str | None = None) -> dict[str, Any]:
        context = RequestContext(
            pool=pool,
            principal=principal,
            token_problem=None,
            loaders=DirectoryLoaders(pool, SYSTEM_CLOCK),
            resources=resources,
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

    figures: dict[str, tuple[float, float, float, float]] = {}
    mixes = officer_mixes(rng, zips, counties)
    await search({})  # reads every profile
    for name, make, _ in mixes:
        for _ in range(10):  # warm the pool, plans and caches
            await search(make())
        timings, counts = [], []
        for _ in range(runs):
            started = time.perf_counter()
            answer = await search(make())
            timings.append((time.perf_counter() - started) * 1000)
            counts.append(len(answer["matches"]))
        figures[name] = (*percentiles(timings), statistics.mean(counts))
    # officers' searches as they come: each mix by its share
    timings = []
    weights = [weight for _, _, weight in mixes]
    for _ in range(runs * 3):
        _, make, _ = rng.choices(mixes, weights)[0]
        started = time.perf_counter()
        await search(make())
        timings.append((time.perf_counter() - started) * 1000)
    figures["officers' mix (by share)"] = (*percentiles(timings), 0.0)
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
    figures["area + 150 mi, second page"] = (*percentiles(timings), 0.0)
    await pool.close()
    return figures


async def run(runs: int, sizes: list[int]) -> None:
    geo.load()
    time_zones()
    print(f"{runs} searches per mix, first page of 20; load average {os.getloadavg()[0]:.2f}")
    with database_server() as server_url:
        by_size = {size: await measure(server_url, size, runs) for size in sizes}
    header = "".join(f" | {size:>9,}: p50 / p95 / p99 ms, matches" for size in sizes)
    print(f"{'filter mix':46}{header}")
    for name in by_size[sizes[0]]:
        cells = "".join(
            f" | {p50:7.2f} {p95:7.2f} {p99:7.2f} {matches:6.1f}      "
            for p50, p95, p99, matches in (by_size[size][name] for size in sizes)
        )
        print(f"{name:46}{cells}")
    print(f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sizes", default="50000,200000")
    args = parser.parse_args()
    asyncio.run(run(args.runs, [int(size) for size in args.sizes.split(",")]))


if __name__ == "__main__":
    main()
