"""The professionals subgraph over HTTP: the officers' search at 100,000 listings.

Usage: .venv/bin/python bench/professionals_seed.py   (once: 100,000 listings)
       .venv/bin/python bench/professionals_http.py [--requests 300] [--connections 4]

Applies the service's pending migrations to the seeded benchmark database (as `wnwa migrate`
would), starts `wnwa serve professionals` (uvicorn, its own process, loopback) on it with a
token issuer of its own, then, for every filter combination of the in-process bench
(`bench/professionals_search.py`), sends ``--requests`` searches one after another (one
connection, closed loop), each with variables drawn afresh (state, ZIP code, carrier, plan
type, page size) and the bearer token of one of 21 signed-in officers in turn: p50/p95/p99
per combination, and the CPU per request of the service and of the database (embedded
server only): the figures that hold on a machine shared with other work. Then every
combination mixed over ``--connections`` connections: requests per second at saturation
and per CPU-second. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from loadgen import (  # noqa: E402
    Call,
    Figures,
    closed_loop,
    graphql_call,
    postgres_cpu_seconds,
    process_tree_cpu_seconds,
    served_subgraph,
)

from bench.professionals_search import SEARCH, mixes  # noqa: E402
from bench.professionals_seed import BENCH_DATABASE, PGDATA, database_server  # noqa: E402
from servicekit.database_urls import with_database  # noqa: E402
from servicekit.migrations import apply_migrations  # noqa: E402
from services.professionals.app import MIGRATIONS  # noqa: E402
from tests.support.tokens import ISSUER, TokenIssuer  # noqa: E402

OFFICERS = 21


class CpuMeter:
    """CPU seconds spent by the service's processes and the database's since the start."""

    def __init__(self, service_pid: int) -> None:
        self.service_pid = service_pid
        self.start = self.now()

    def now(self) -> tuple[float, float]:
        return (
            process_tree_cpu_seconds(self.service_pid),
            postgres_cpu_seconds(PGDATA),
        )

    def per_request_ms(self, count: int) -> str:
        service, database = self.spent()
        return f"{service * 1000 / count:7.2f} {database * 1000 / count:7.2f}"

    def spent(self) -> tuple[float, float]:
        (service, database), (service0, database0) = self.now(), self.start
        return service - service0, database - database0


def search_calls(
    session: aiohttp.ClientSession,
    url: str,
    tokens: list[str],
    rng: random.Random,
    filters: Callable[[], dict[str, Any]],
) -> Callable[[], Call]:
    turn = iter(range(1 << 62))

    def make() -> Call:
        variables = {"search": filters(), "first": rng.randint(15, 25)}
        return graphql_call(session, url, SEARCH, variables, tokens[next(turn) % len(tokens)])

    return make


async def counted(make: Callable[[], Call], requests: int) -> Figures:
    """``requests`` calls one after another, each timed from when it was sent."""
    figures = Figures()
    started = time.perf_counter()
    for _ in range(requests):
        call = make()
        sent = time.perf_counter()
        try:
            ok = await call()
        except aiohttp.ClientError:
            ok = False
        figures.latencies_ms.append((time.perf_counter() - sent) * 1000)
        figures.errors += 0 if ok else 1
    figures.seconds = time.perf_counter() - started
    return figures


async def second_pages(
    session: aiohttp.ClientSession, url: str, tokens: list[str], rng: random.Random, requests: int
) -> Figures:
    """The second page of a busy search (its cursor from the first, which is not timed)."""
    figures = Figures()
    started = time.perf_counter()
    for index in range(requests):
        search = {**mixes(rng)["city 50 mi + carrier + within 24 h"](), "insuranceCarrier": "bcbs"}
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {tokens[index % len(tokens)]}",
        }
        cursor = None
        for page in (1, 2):
            body = orjson.dumps(
                {"query": SEARCH, "variables": {"search": search, "first": 20, "after": cursor}}
            )
            sent = time.perf_counter()
            async with session.post(f"{url}/graphql", data=body, headers=headers) as response:
                answer = orjson.loads(await response.read())
            ok = response.status == 200 and "errors" not in answer
            if page == 1 and ok:
                cursor = answer["data"]["professionals"]["pageInfo"]["endCursor"]
        figures.latencies_ms.append((time.perf_counter() - sent) * 1000)
        figures.errors += 0 if ok else 1
    figures.seconds = time.perf_counter() - started
    return figures


async def run(requests: int, connections: int, seconds: float, workers: int) -> None:
    issuer = TokenIssuer()
    await issuer.start()
    tokens = [issuer.token("officer", lifetime=3600) for _ in range(OFFICERS)]
    rng = random.Random(17)
    combinations = mixes(rng)
    with database_server() as server_url:
        database_url = with_database(server_url, BENCH_DATABASE)
        connection = await asyncpg.connect(database_url)
        try:
            await apply_migrations(connection, MIGRATIONS)
            listed = await connection.fetchval(
                "SELECT count(*) FROM professionals WHERE status = 'approved'"
                " AND licenses_valid_until >= current_date"
            )
        finally:
            await connection.close()
        async with (
            served_subgraph(
                "professionals",
                database_url,
                jwks_url=issuer.jwks_url,
                issuer=ISSUER,
                workers=workers,
            ) as (url, pid),
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session,
        ):
            print(
                f"professionals subgraph over HTTP, {listed} listed, {workers} worker(s), "
                f"{os.cpu_count()} CPUs, {OFFICERS} officers' tokens in turn, "
                f"load average {os.getloadavg()[0]:.2f}"
            )
            print(
                f"{'filter combination (1 connection)':40} {'p50 ms':>7} {'p95 ms':>7} "
                f"{'p99 ms':>7} {'CPU ms/req: service':>19} {'db':>7} {'errors':>6}"
            )
            for name, filters in combinations.items():
                make = search_calls(session, url, tokens, rng, filters)
                await counted(make, 20)  # warm the pool, plans and caches
                meter = CpuMeter(pid)
                figures = await counted(make, requests)
                print(
                    f"{name:40} {figures.percentile(50):7.2f} {figures.percentile(95):7.2f} "
                    f"{figures.percentile(99):7.2f} {meter.per_request_ms(figures.count):>27} "
                    f"{figures.errors:6d}"
                )
            meter = CpuMeter(pid)
            figures = await second_pages(session, url, tokens, rng, requests)
            print(
                f"{'city 50 mi + bcbs + 24 h, second page':40} {figures.percentile(50):7.2f} "
                f"{figures.percentile(95):7.2f} {figures.percentile(99):7.2f} "
                f"{meter.per_request_ms(2 * figures.count):>27} {figures.errors:6d}"
            )
            every = list(combinations.values())
            make = search_calls(session, url, tokens, rng, lambda: rng.choice(every)())
            meter = CpuMeter(pid)
            figures = await closed_loop(make, connections=connections, seconds=seconds)
            service, database = meter.spent()
            print(
                f"every combination mixed, {connections} connections, {seconds:.0f} s:\n"
                f"  {figures.line()}\n"
                f"  {figures.count / service if service else float('nan'):6.0f} req per service "
                f"CPU-second, {figures.count / (service + database):6.0f} per CPU-second of "
                "service and database together"
            )
            print(f"load average after: {os.getloadavg()[0]:.2f}")
    await issuer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per combination")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10, help="of the mixed run")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.connections, args.seconds, args.workers))


if __name__ == "__main__":
    main()
