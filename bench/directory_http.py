"""The directory subgraph over HTTP: a 20-row search page, as the gateway would ask for it.

Usage: .venv/bin/python bench/directory_seed.py   (once: 50,000 supporters)
       .venv/bin/python bench/directory_http.py [--seconds 10] [--connections 8] [--workers 1]
                                                [--mix-seconds 4]

Starts `wnwa serve directory` (uvicorn, its own process, loopback) on the seeded benchmark
database with a token issuer of its own, then measures with distinct variables on every
request (ZIP code, radius, area of support) and 21 signed-in officers rotating:

- each filter combination of bench/directory_search.py (the unfiltered whole-network
  search included), one connection, closed loop: p50/p95/p99 and server CPU per request;
- the typical search (area + near a ZIP code), one connection: p50/p95/p99 (the tail-stall
  check: p99 against p50);
- the same at ``--connections`` connections, sent by wrk (C, one thread: a Python client
  would take a core of its own), a different filter in each of 5,000 bodies and the 21
  tokens in turn: requests per second at saturation, and the CPU per request of the
  server and of PostgreSQL. Run it with ``--workers 2`` to use both cores.

Needs `wrk` (Debian package).

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from directory_search import BUSY_ZIPS, officer_mixes  # noqa: E402
from directory_seed import BENCH_DATABASE, PGDATA, database_server  # noqa: E402
from loadgen import (  # noqa: E402
    Call,
    Figures,
    closed_loop,
    graphql_call,
    postgres_cpu_seconds,
    process_tree_cpu_seconds,
    served_subgraph,
    wrk_rotating,
)

from servicekit.database_urls import with_database  # noqa: E402
from services.directory.vocabulary import AreaOfSupport  # noqa: E402
from tests.support.tokens import ISSUER, TokenIssuer  # noqa: E402

SEARCH = """query Search($filter: PeerSupporterFilter, $first: Int!) {
  searchPeerSupporters(filter: $filter, first: $first) {
    matches { distanceMiles supporter { id displayName phone telLink smsLink languages
      areasOfSupport yearsOfService state county availableNow department { id } } }
    pageInfo { endCursor hasNextPage }
    errors { field message }
  }
}"""
AREAS = [area.name for area in AreaOfSupport]
ZIPS = ["60601", "60540", "61602", "10001", "90012", "77002", "30303", "98101", "62701"]


def typical_filter(rng: random.Random) -> Callable[[], dict[str, Any]]:
    return lambda: {
        "areasOfSupport": [rng.choice(AREAS)],
        "near": {"zipCode": rng.choice(ZIPS), "withinMiles": rng.choice((50, 100, 150))},
    }


def search_calls(
    session: aiohttp.ClientSession,
    url: str,
    tokens: list[str],
    rng: random.Random,
    make_filter: Callable[[], dict[str, Any]],
) -> Callable[[], Call]:
    def make() -> Call:
        variables: dict[str, Any] = {"first": 20, "filter": make_filter()}
        return graphql_call(session, url, SEARCH, variables, rng.choice(tokens))

    return make


async def sample_zips(database_url: str) -> list[str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT zip_code FROM peer_supporters TABLESAMPLE SYSTEM (2) LIMIT 200"
        )
    finally:
        await connection.close()
    return BUSY_ZIPS + [str(row["zip_code"]) for row in rows]


async def run(seconds: float, connections: int, workers: int, mix_seconds: float) -> None:
    issuer = TokenIssuer()
    await issuer.start()
    tokens = [issuer.token("officer", lifetime=3600) for _ in range(21)]
    rng = random.Random(17)
    with database_server() as server_url:
        database_url = with_database(server_url, BENCH_DATABASE)
        async with (
            served_subgraph(
                "directory", database_url, jwks_url=issuer.jwks_url, issuer=ISSUER, workers=workers
            ) as (url, pid),
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session,
        ):
            make = search_calls(session, url, tokens, rng, typical_filter(rng))
            await closed_loop(make, connections=2, seconds=3)  # warm up
            print(
                f"directory subgraph, 20-row search, {workers} worker(s), {os.cpu_count()} CPUs, "
                f"load average {os.getloadavg()[0]:.2f}"
            )

            async def measured(
                make: Callable[[], Call], connections: int, seconds: float
            ) -> tuple[Figures, float]:
                cpu = process_tree_cpu_seconds(pid)
                figures = await closed_loop(make, connections=connections, seconds=seconds)
                spent = process_tree_cpu_seconds(pid) - cpu
                return figures, figures.count / spent if spent else float("nan")

            print("each filter combination, one connection:")
            for name, make_filter, _ in officer_mixes(rng, await sample_zips(database_url)):
                per_mix = search_calls(session, url, tokens, rng, make_filter)
                await closed_loop(per_mix, connections=1, seconds=0.5)  # warm this mix's plans
                figures, per_cpu_second = await measured(per_mix, 1, mix_seconds)
                print(
                    f"  {name:36} p50 {figures.percentile(50):6.2f}  "
                    f"p95 {figures.percentile(95):6.2f}  p99 {figures.percentile(99):6.2f} ms  "
                    f"{figures.count:5d} req  errors {figures.errors}  "
                    f"{per_cpu_second:5.0f} req per server CPU-second"
                )
            print("area + near a ZIP code:")
            figures, per_cpu_second = await measured(make, 1, seconds)
            print(f"   1 connection  {figures.line()}  {per_cpu_second:6.0f} req per server CPU-s")
            make_filter = typical_filter(rng)
            bodies = [
                orjson.dumps({"query": SEARCH, "variables": {"first": 20, "filter": make_filter()}})
                for _ in range(5000)
            ]
            server, database = process_tree_cpu_seconds(pid), postgres_cpu_seconds(PGDATA)
            load = await asyncio.to_thread(
                wrk_rotating, url, bodies, tokens, connections=connections, seconds=int(seconds)
            )
            server = process_tree_cpu_seconds(pid) - server
            database = postgres_cpu_seconds(PGDATA) - database
            count = max(1.0, load["requests"])
            print(
                f"  {connections:2d} connections (wrk) {load['rps']:7.1f} req/s  "
                f"p50 {load['p50']:6.2f}  p99 {load['p99']:6.2f} ms  failed {load['failed']:.0f}  "
                f"CPU ms per request: server {server * 1000 / count:.2f}, "
                f"PostgreSQL {database * 1000 / count:.2f}"
            )
            print(f"load average after: {os.getloadavg()[0]:.2f}")
    await issuer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--mix-seconds", type=float, default=4)
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.connections, args.workers, args.mix_seconds))


if __name__ == "__main__":
    main()
