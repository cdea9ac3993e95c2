"""Load generation shared by the HTTP benchmarks: closed loops and fixed arrival rates.

A fixed-arrival-rate run schedules request *i* at ``start + i / rate`` and measures its
latency from that scheduled time, not from when it was actually sent (as wrk2 does), so a
server that stalls is charged for every request that should have gone out meanwhile
(no coordinated omission). Requests are bounded by count and time; loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

PROJECT = Path(__file__).resolve().parents[1]

# one request: returns True when the answer was right (status 200, no GraphQL errors)
Call = Callable[[], Awaitable[bool]]


@dataclass
class Figures:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"{self.count:7d} req {self.throughput:8.1f}/s  p50 {self.percentile(50):7.2f}  "
            f"p95 {self.percentile(95):7.2f}  p99 {self.percentile(99):7.2f}  "
            f"max {max(self.latencies_ms, default=0):7.1f} ms  errors {self.errors}"
        )


async def _timed(call: Call, scheduled: float, figures: Figures) -> None:
    try:
        ok = await call()
    except Exception:  # a refused or broken connection counts as an error
        ok = False
    figures.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
    if not ok:
        figures.errors += 1


async def closed_loop(
    make_call: Callable[[], Call], *, connections: int, seconds: float
) -> Figures:
    """``connections`` loops, each sending its next request when the previous answered."""
    figures = Figures()
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            await _timed(make_call(), time.perf_counter(), figures)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(connections)))
    figures.seconds = time.perf_counter() - started
    return figures


async def fixed_rate(
    make_call: Callable[[], Call], *, rate: float, seconds: float, max_in_flight: int = 2000
) -> Figures:
    """Requests at ``rate`` per second for ``seconds``; latency from each scheduled start."""
    figures = Figures()
    total = int(rate * seconds)
    in_flight: set[asyncio.Task[None]] = set()
    started = time.perf_counter()
    for index in range(total):
        scheduled = started + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(in_flight) >= max_in_flight:  # the server is drowning: count it as errors
            figures.errors += 1
            figures.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
            continue
        task = asyncio.create_task(_timed(make_call(), scheduled, figures))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.wait(in_flight, timeout=30)
    for task in in_flight:
        task.cancel()
    figures.seconds = time.perf_counter() - started
    return figures


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f}" if values else "-"


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants so far (Linux /proc).

    Requests per CPU-second of the server is the figure that holds on a machine shared
    with other work, where wall-clock throughput depends on what else runs.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def cpu_seconds_by_process(marker: bytes) -> dict[str, float]:
    """CPU seconds so far of every process whose environment holds ``marker`` (e.g.
    ``WNWA_DATA_DIR=/tmp/…``: a stack's services, workers and database server), summed by
    what each runs: the service ``wnwa serve`` names, ``postgres``, or ``other``."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if b"serve" in argv and argv.index(b"serve") + 1 < len(argv):
            label = argv[argv.index(b"serve") + 1].decode()
        elif any(b"postgres" in part for part in argv[:1]):
            label = "postgres"
        else:
            label = "other"
        totals[label] = totals.get(label, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return totals


@contextlib.asynccontextmanager
async def served_subgraph(
    service: str, database_url: str, *, jwks_url: str, issuer: str, workers: int
) -> AsyncIterator[tuple[str, int]]:
    """`wnwa serve SERVICE` on a free loopback port, in its own process group, trusting the
    given token issuer; yields its URL and process id once it is ready, stops it on exit."""
    from tests.support.servers import free_port  # the project's, on sys.path by the caller

    port = free_port()
    prefix = f"WNWA_{service.upper()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WNWA_")}
    env.update(
        {
            "WNWA_ENV": "test",
            f"{prefix}_DATABASE_URL": database_url,
            f"{prefix}_PORT": str(port),
            f"{prefix}_HOST": "127.0.0.1",
            "WNWA_JWKS_URL": jwks_url,
            "WNWA_TOKEN_ISSUER": issuer,
            "WNWA_WORKERS": str(workers),
            "WNWA_LOG_LEVEL": "WARNING",
        }
    )
    process = subprocess.Popen(  # noqa: ASYNC220 — started once, before any load
        [sys.executable, "-m", "wnwa", "serve", service, "--workers", str(workers)],
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
                    raise RuntimeError(f"the {service} service did not start")
                await asyncio.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def graphql_call(
    session: aiohttp.ClientSession, url: str, query: str, variables: dict[str, Any], token: str
) -> Call:
    """One POST of ``query`` with ``variables`` to ``url``/graphql as the bearer of ``token``;
    right when the answer is a 200 without GraphQL errors."""
    body = orjson.dumps({"query": query, "variables": variables})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    async def call() -> bool:
        async with session.post(f"{url}/graphql", data=body, headers=headers) as response:
            answer = orjson.loads(await response.read())
        return response.status == 200 and "errors" not in answer

    return call
