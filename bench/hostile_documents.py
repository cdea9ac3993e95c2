"""How long the gateway takes to refuse hostile documents, and whether others still get in.

Usage: .venv/bin/python bench/hostile_documents.py [--rounds N]

Starts a gateway process (`wnwa serve gateway`, no subgraph behind it: a refusal needs
none) on a free loopback port and, for the fragment fan-out family N = 10 … 60 (``N``
fragments each spreading the next twice: 2**N fields from about 40·N bytes), posts each
document ``--rounds`` times and prints the median and worst time to refuse, in
milliseconds. While a client sends the N = 60 document back to back, a second client
asks for ``/healthz`` and its times are printed too: a refusal must leave room for others.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.adversarial.hostile import fragment_fan_out  # noqa: E402

LEVELS = (10, 20, 24, 30, 40, 50, 60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_until_up(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(200):
        try:
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the gateway did not start")


async def refusal_ms(session: aiohttp.ClientSession, base: str, query: str) -> float:
    started = time.perf_counter()
    async with session.post(f"{base}/graphql", json={"query": query}) as response:
        answer = await response.json()
    elapsed = (time.perf_counter() - started) * 1000
    code = answer["errors"][0]["extensions"]["code"]
    if code != "OPERATION_TOO_COSTLY":
        raise SystemExit(f"expected a refusal, got {answer}")
    return elapsed


async def measure(base: str, rounds: int) -> None:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await wait_until_up(session, base)
        print(f"{'N':>3} {'bytes':>6} {'fields':>22} {'median ms':>10} {'worst ms':>9}")
        for levels in LEVELS:
            query = fragment_fan_out(levels)
            times = [await refusal_ms(session, base, query) for _ in range(rounds)]
            print(
                f"{levels:>3} {len(query):>6} {2**levels:>22,} "
                f"{statistics.median(times):>10.2f} {max(times):>9.2f}"
            )
        attack = fragment_fan_out(60)
        health: list[float] = []
        stop = asyncio.Event()

        async def attacker() -> None:
            while not stop.is_set():
                await refusal_ms(session, base, attack)

        async def bystander() -> None:
            for _ in range(rounds):
                started = time.perf_counter()
                async with session.get(f"{base}/healthz") as response:
                    await response.read()
                health.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)
            stop.set()

        await asyncio.gather(*(attacker() for _ in range(4)), bystander())
        print(
            f"/healthz under 4 clients sending N=60 back to back: median "
            f"{statistics.median(health):.2f} ms, worst {max(health):.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    port = free_port()
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WNWA_")}
    env.update(
        {
            "WNWA_ENV": "test",
            "WNWA_GATEWAY_PORT": str(port),
            "WNWA_JWKS_URL": f"{nowhere}/jwks",
            "WNWA_LOG_LEVEL": "WARNING",
        }
    )
    for name in ("membership", "directory", "professionals", "identity"):
        env[f"WNWA_GATEWAY_{name.upper()}_URL"] = f"{nowhere}/graphql"
    gateway = subprocess.Popen(
        [sys.executable, "-m", "wnwa", "serve", "gateway"], env=env, cwd=PROJECT
    )
    try:
        asyncio.run(measure(f"http://127.0.0.1:{port}", args.rounds))
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)


if __name__ == "__main__":
    main()
