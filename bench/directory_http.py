"""The directory subgraph over HTTP: a 20-row search page, as the gateway would ask for it.

Usage: .venv/bin/python bench/directory_seed.py   (once: 50,000 supporters)
       .venv/bin/python bench/directory_http.py [--seconds 10] [--connections 8] [--workers 1]

Starts `wnwa serve directory` (uvicorn, its own process, loopback) on the seeded benchmark
database with a token issuer of its own, then measures with distinct variables on every
request (ZIP code, radius, area of support) and 21 signed-in officers rotating:

- one connection, closed loop: p50/p95/p99 (the tail-stall check: p99 against p50);
- ``--connections`` connections, closed loop: requests per second at saturation.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from directory_seed import BENCH_DATABASE, database_server  # noqa: E402
from loadgen import Call, Figures, closed_loop, process_tree_cpu_seconds  # noqa: E402

from servicekit.database import with_database  # noqa: E402
from services.directory.vocabulary import AreaOfSupport  # noqa: E402
from tests.support.servers import free_port  # noqa: E402
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


@contextlib.asynccontextmanager
async def directory_server(
    database_url: str, issuer: TokenIssuer, workers: int
) -> AsyncIterator[tuple[str, int]]:
    """`wnwa serve directory` in its own process group; stopped on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WNWA_")}
    env.update(
        {
            "WNWA_ENV": "test",
            "WNWA_DIRECTORY_DATABASE_URL": database_url,
            "WNWA_DIRECTORY_PORT": str(port),
            "WNWA_DIRECTORY_HOST": "127.0.0.1",
            "WNWA_JWKS_URL": issuer.jwks_url,
            "WNWA_TOKEN_ISSUER": ISSUER,
            "WNWA_WORKERS": str(workers),
            "WNWA_LOG_LEVEL": "WARNING",
        }
    )
    process = subprocess.Popen(  # noqa: ASYNC220 — started once, before any load
        [sys.executable, "-m", "wnwa", "serve", "directory", "--workers", str(workers)],
        env=env,
        cwd=PROJECT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{url}/readyz") as response:
                        if response.status == 200:
                            break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the directory did not start")
                await asyncio.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def search_calls(
    session: aiohttp.ClientSession, url: str, tokens: list[str], rng: random.Random
) -> Callable[[], Call]:
    def make() -> Call:
        variables: dict[str, Any] = {
            "first": 20,
            "filter": {
                "areasOfSupport": [rng.choice(AREAS)],
                "near": {"zipCode": rng.choice(ZIPS), "withinMiles": rng.choice((50, 100, 150))},
            },
        }
        body = orjson.dumps({"query": SEARCH, "variables": variables})
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {rng.choice(tokens)}",
        }

        async def call() -> bool:
            async with session.post(f"{url}/graphql", data=body, headers=headers) as response:
                answer = orjson.loads(await response.read())
            return response.status == 200 and "errors" not in answer

        return call

    return make


async def run(seconds: float, connections: int, workers: int) -> None:
    issuer = TokenIssuer()
    await issuer.start()
    tokens = [issuer.token("officer", lifetime=3600) for _ in range(21)]
    rng = random.Random(17)
    with database_server() as server_url:
        database_url = with_database(server_url, BENCH_DATABASE)
        async with (
            directory_server(database_url, issuer, workers) as (url, pid),
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session,
        ):
            make = search_calls(session, url, tokens, rng)
            await closed_loop(make, connections=2, seconds=3)  # warm up
            print(f"directory subgraph, 20-row search, {workers} worker(s), {os.cpu_count()} CPUs")

            async def measured(connections: int) -> tuple[Figures, float]:
                cpu = process_tree_cpu_seconds(pid)
                figures = await closed_loop(make, connections=connections, seconds=seconds)
                spent = process_tree_cpu_seconds(pid) - cpu
                return figures, figures.count / spent if spent else float("nan")

            for count in (1, connections):
                figures, per_cpu_second = await measured(count)
                print(
                    f"  {count:2d} connection(s) {figures.line()}  "
                    f"{per_cpu_second:6.0f} req per server CPU-second"
                )
    await issuer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.connections, args.workers))


if __name__ == "__main__":
    main()
