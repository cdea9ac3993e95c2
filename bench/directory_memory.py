"""Memory of a directory process, by the number of supporters it holds.

Usage: .venv/bin/python bench/directory_seed.py --supporters N   (once per size)
       .venv/bin/python bench/directory_memory.py [--sizes 0,48,50000,200000]

For each size, starts `wnwa serve directory` (one worker, its own process, loopback) on the
benchmark database of that many invented supporters (``bench_database``; 48 is the demo's
number, 0 the base), waits until it is ready, sends searches of every filter mix of
bench/directory_search.py and who-is-on-call-next questions, then reads the process's
resident memory now (VmRSS) and at its peak (VmHWM). Prints the memory per supporter above
the base. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from directory_search import BUSY_ZIPS, officer_mixes  # noqa: E402
from directory_seed import bench_database, database_server  # noqa: E402
from loadgen import served_subgraph  # noqa: E402

from servicekit.database_urls import with_database  # noqa: E402
from tests.support.tokens import ISSUER, TokenIssuer  # noqa: E402

SEARCH = """query Search($filter: PeerSupporterFilter, $first: Int!) {
  searchPeerSupporters(filter: $filter, first: $first) {
    matches { distanceMiles supporter { id displayName phone languages areasOfSupport
      state county availableNow department { id } } }
    errors { field message }
  }
}"""
NEXT = """query Next($filter: PeerSupporterFilter) {
  nextOnCallPeerSupporters(filter: $filter, first: 3) {
    matches { supporter { id nextOnCall } }
    errors { field message }
  }
}"""


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, resident at the peak) of the process, in MB."""
    figures: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0]) / 1024
    return figures["VmRSS"], figures["VmHWM"]


def server_pid(pid: int) -> int:
    """The process serving: the one started, or its only worker when it forked one."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(children[0]) if len(children) == 1 else pid


async def measure(server_url: str, supporters: int, issuer: TokenIssuer) -> tuple[float, float]:
    database_url = with_database(server_url, bench_database(supporters))
    connection = await asyncpg.connect(database_url)
    try:
        held = await connection.fetchval("SELECT count(*) FROM peer_supporters WHERE active")
    finally:
        await connection.close()
    token = issuer.token("officer", lifetime=3600)
    rng = random.Random(5)
    async with (
        served_subgraph(
            "directory", database_url, jwks_url=issuer.jwks_url, issuer=ISSUER, workers=1
        ) as (url, pid),
        aiohttp.ClientSession() as session,
    ):

        async def ask(query: str, filter_: dict[str, Any]) -> None:
            body = {"query": query, "variables": {"filter": filter_, "first": 20}}
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(f"{url}/graphql", json=body, headers=headers) as response:
                answer = await response.json()
                assert "errors" not in answer, answer

        for _ in range(3):
            for _, make, _ in officer_mixes(rng, BUSY_ZIPS):
                await ask(SEARCH, make())
            await ask(NEXT, {})
            await ask(NEXT, {"state": "IL"})
        now, peak = memory_mb(server_pid(pid))
    print(f"{supporters:>9,} supporters ({held:,} active): {now:7.1f} MB now, {peak:7.1f} MB peak")
    return now, peak


async def run(sizes: list[int]) -> None:
    issuer = TokenIssuer()
    await issuer.start()
    print(f"directory process, one worker; load average {os.getloadavg()[0]:.2f}")
    with database_server() as server_url:
        figures = {size: await measure(server_url, size, issuer) for size in sizes}
    base = figures.get(0)
    if base is not None:
        for size, (now, peak) in figures.items():
            if size:
                print(
                    f"{size:>9,}: {(now - base[0]) * 1024 / size:6.2f} KB per supporter above "
                    f"the base now, {(peak - base[1]) * 1024 / size:6.2f} KB at the peak"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,48,50000,200000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    asyncio.run(run(sizes))


if __name__ == "__main__":
    main()
