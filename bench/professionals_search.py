"""Search p50/p95 at the professionals subgraph over the 100,000 bench listings.

Usage: .venv/bin/python bench/professionals_search.py [--runs N]

Run ``bench/professionals_seed.py`` first. Each search is the officers' GraphQL query
executed by the subgraph's own schema (resolvers, DataLoaders, SQL against PostgreSQL), first
page of 20 with their locations; HTTP and token verification are outside the figure.
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

from bench.professionals_seed import BENCH_DATABASE, CARRIERS, database_server  # noqa: E402
from servicekit import geo  # noqa: E402
from servicekit.clock import SYSTEM_CLOCK  # noqa: E402
from servicekit.database import create_pool  # noqa: E402
from servicekit.database_urls import with_database  # noqa: E402
from servicekit.ephemeral import EphemeralMarks  # noqa: E402
from servicekit.graphql import RequestContext  # noqa: E402
from servicekit.proof_of_work import FormProof  # noqa: E402
from servicekit.tokens import Principal  # noqa: E402
from services.professionals.app import build_schema  # noqa: E402
from services.professionals.context import ProfessionalsResources  # noqa: E402
from services.professionals.loaders import ProfessionalsLoaders  # noqa: E402
from services.professionals.settings import load  # noqa: E402

SEARCH = """
query ($search: ProfessionalSearch, $first: Int, $after: String) {
  professionals(search: $search, first: $first, after: $after) {
    nodes { id fullName credentials phone website distanceMiles languages specialties
            insurance { carrier { name } planTypes } availability { answersCallsAnyHour }
            locations { city state zipCode } }
    pageInfo { endCursor hasNextPage }
  }
}
"""
# where officers are likely to search from: big-city and small-town ZIP codes
CITY_ZIPS = [
    "60601",
    "10001",
    "90012",
    "77002",
    "85004",
    "19103",
    "78205",
    "92101",
    "75201",
    "95113",
    "30303",
    "98101",
    "02108",
    "80202",
    "63101",
    "33131",
    "55402",
    "97205",
]
TOWN_ZIPS = ["61701", "62301", "59601", "82001", "58501", "05602", "04330", "57501", "83702"]
STATES = ["IL", "CA", "TX", "NY", "FL", "WA", "OH", "GA", "MT", "VT"]


def mixes(rng: random.Random) -> dict[str, Callable[[], dict[str, Any]]]:
    def near(zips: list[str], miles: float) -> dict[str, Any]:
        return {"nearZipCode": rng.choice(zips), "withinMiles": miles}

    return {
        "city 25 mi + carrier/PPO + any hour": lambda: {
            **near(CITY_ZIPS, 25),
            "insuranceCarrier": rng.choice(CARRIERS[:16]),
            "planType": "PPO",
            "answersCallsAnyHour": True,
        },
        "city 50 mi + carrier + within 24 h": lambda: {
            **near(CITY_ZIPS, 50),
            "insuranceCarrier": rng.choice(CARRIERS),
            "schedulesWithin24Hours": True,
        },
        "town 100 mi + carrier/HMO + any hour": lambda: {
            **near(TOWN_ZIPS, 100),
            "insuranceCarrier": rng.choice(CARRIERS[:16]),
            "planType": "HMO",
            "answersCallsAnyHour": True,
        },
        "city 50 mi + Spanish + self-pay": lambda: {
            **near(CITY_ZIPS, 50),
            "language": "es",
            "selfPay": True,
        },
        "city 50 mi (no other filter)": lambda: near(CITY_ZIPS, 50),
        "state": lambda: {"state": rng.choice(STATES)},
        "state + carrier": lambda: {
            "state": rng.choice(STATES),
            "insuranceCarrier": rng.choice(CARRIERS),
        },
        "state + plan type + telehealth": lambda: {
            "state": rng.choice(STATES),
            "planType": rng.choice(("PPO", "HMO", "EPO", "POS")),
            "telehealth": True,
        },
        "state + carrier/PPO + telehealth": lambda: {
            "state": rng.choice(STATES),
            "insuranceCarrier": rng.choice(CARRIERS[:16]),
            "planType": "PPO",
            "telehealth": True,
        },
        "rare carrier nationwide + within 24 h": lambda: {
            "insuranceCarrier": rng.choice(CARRIERS[16:]),
            "schedulesWithin24Hours": True,
        },
        "no filter (whole country)": lambda: {},
    }


async def run(runs: int) -> None:
    with database_server() as server_url:
        database_url = with_database(server_url, BENCH_DATABASE)
        pool = await create_pool(database_url, max_size=2)
        geo.load()
        settings = load({"WNWA_PROFESSIONALS_DATABASE_URL": database_url})
        schema = build_schema()
        rng = random.Random(11)
        principal = Principal(
            subject="bench", department_id=str(uuid.uuid4()), roles=frozenset({"officer"})
        )

        # the application form's proof of work: never asked for by a search
        applications = FormProof(
            "professional-application",
            key=b"b" * 32,
            marks=EphemeralMarks(database_url, SYSTEM_CLOCK),
            clock=SYSTEM_CLOCK,
        )

        async def search(filters: dict[str, Any], after: str | None = None) -> dict[str, Any]:
            context = RequestContext(
                pool=pool,
                principal=principal,
                token_problem=None,
                loaders=ProfessionalsLoaders(pool, SYSTEM_CLOCK),
                resources=ProfessionalsResources(settings=settings, applications=applications),
                clock=SYSTEM_CLOCK,
            )
            result = await schema.execute(
                SEARCH,
                variable_values={"search": filters, "first": 20, "after": after},
                context_value=context,
            )
            assert result.errors is None, result.errors
            assert result.data is not None
            answer: dict[str, Any] = result.data["professionals"]
            return answer

        listed = await pool.fetchval(
            "SELECT count(*) FROM professionals WHERE status = 'approved'"
            " AND licenses_valid_until >= current_date"
        )
        print(f"{listed} listed professionals; {runs} searches per mix, first page of 20")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(f"{'filter mix':40} {'p50 ms':>8} {'p95 ms':>8} {'results':>8}")
        for name, make in mixes(rng).items():
            for _ in range(20):  # warm the pool, plans and caches
                await search(make())
            timings, counts = [], []
            for _ in range(runs):
                filters = make()
                started = time.perf_counter()
                answer = await search(filters)
                timings.append((time.perf_counter() - started) * 1000)
                counts.append(len(answer["nodes"]))
            p50, p95 = statistics.median(timings), statistics.quantiles(timings, n=20)[18]
            print(f"{name:40} {p50:8.2f} {p95:8.2f} {statistics.mean(counts):8.1f}")
        timings = []
        for _ in range(runs):
            filters = {
                **mixes(rng)["city 50 mi + carrier + within 24 h"](),
                "insuranceCarrier": "bcbs",
            }
            first = await search(filters)
            started = time.perf_counter()
            await search(filters, first["pageInfo"]["endCursor"])
            timings.append((time.perf_counter() - started) * 1000)
        p50, p95 = statistics.median(timings), statistics.quantiles(timings, n=20)[18]
        print(f"{'city 50 mi + bcbs + 24 h, second page':40} {p50:8.2f} {p95:8.2f}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    asyncio.run(run(parser.parse_args().runs))


if __name__ == "__main__":
    main()
