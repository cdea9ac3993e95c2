"""Load generation shared by the HTTP benchmarks: closed loops and fixed arrival rates.

A fixed-arrival-rate run schedules request *i* at ``start + i / rate`` and measures its
latency from that scheduled time, not from when it was actually sent (as wrk2 does), so a
server that stalls is charged for every request that should have gone out meanwhile
(no coordinated omission). Requests are bounded by count and time; loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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
    scheduled: list[float] = field(default_factory=list)  # each request's perf_counter() start
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
    figures.scheduled.append(scheduled)
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
            figures.scheduled.append(scheduled)
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
    """User + system CPU seconds of a process and its descendants so far (Linux /proc),
    children that have ended and been waited for included.

    Requests per CPU-second of the server is the figure that holds on a machine shared
    with other work, where wall-clock throughput depends on what else runs.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15]) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def processes_by_service(marker: bytes) -> dict[str, list[int]]:
    """The process ids of every process whose environment holds ``marker`` (e.g.
    ``WNWA_DATA_DIR=/tmp/…``: a stack's services and their workers), by the service
    ``wnwa serve`` names, or ``other``. (The embedded database server starts with an
    environment of its own: see ``postmaster_pid``.)"""
    found: dict[str, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if b"serve" in argv and argv.index(b"serve") + 1 < len(argv):
            label = argv[argv.index(b"serve") + 1].decode()
        else:
            label = "other"
        found.setdefault(label, []).append(int(entry.name))
    return found


def cpu_seconds_by_process(marker: bytes) -> dict[str, float]:
    """CPU seconds so far of the processes ``processes_by_service`` finds, by service."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for label, pids in processes_by_service(marker).items():
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            totals[label] = totals.get(label, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return totals


def postmaster_pid(pgdata: Path) -> int | None:
    """The process id of the embedded PostgreSQL server on ``pgdata`` (its backends and
    workers are its children); None when it is not running."""
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def postgres_cpu_seconds(pgdata: Path) -> float:
    """CPU seconds so far of the embedded PostgreSQL server on ``pgdata``: its postmaster,
    every backend and worker, and the ones gone. NaN for an external server
    (``WNWA_POSTGRES_URL``), whose CPU is not seen from here."""
    if os.environ.get("WNWA_POSTGRES_URL"):
        return float("nan")
    pid = postmaster_pid(pgdata)
    return 0.0 if pid is None else process_tree_cpu_seconds(pid)


@contextlib.asynccontextmanager
async def served_service(
    service: str, settings: Mapping[str, str], *, workers: int = 1
) -> AsyncIterator[tuple[str, int]]:
    """`wnwa serve SERVICE` on a free loopback port, in its own process group, with
    ``settings`` (its own ``WNWA_<SERVICE>_*`` names, without the prefix); yields its URL and
    process id once it says it is ready, stops it on exit."""
    from tests.support.servers import free_port  # the project's, on sys.path by the caller

    port = free_port()
    prefix = f"WNWA_{service.upper()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WNWA_")}
    env.update(
        {
            "WNWA_ENV": "test",
            "WNWA_WORKERS": str(workers),
            "WNWA_LOG_LEVEL": "WARNING",
            f"{prefix}_PORT": str(port),
            f"{prefix}_HOST": "127.0.0.1",
            **{f"{prefix}_{key}": value for key, value in settings.items()},
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


def served_subgraph(
    service: str, database_url: str, *, jwks_url: str, issuer: str, workers: int
) -> contextlib.AbstractAsyncContextManager[tuple[str, int]]:
    """A subgraph on its database, trusting the given token issuer (:func:`served_service`)."""
    settings = {"DATABASE_URL": database_url, "JWKS_URL": jwks_url, "TOKEN_ISSUER": issuer}
    return served_service(service, settings, workers=workers)


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


def run_wrk(url: str, lua: str, *, connections: int, seconds: int) -> tuple[dict[str, float], str]:
    """Run wrk with the script ``lua`` against ``url``: p50, p99 and requests per second, and
    wrk's whole output (for what a script of its own writes)."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    script.write(lua)
    script.close()
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    if "Latency Distribution" not in output:
        raise RuntimeError(f"wrk gave no figures for {url}:\n{output}")
    # the percentiles follow this heading (the thread summary above has percentages too)
    distribution = output.split("Latency Distribution", 1)[1]
    return {
        "p50": _milliseconds(re.search(r"50%\s+(\S+)", distribution)),
        "p99": _milliseconds(re.search(r"99%\s+(\S+)", distribution)),
        "rps": float(re.search(r"Requests/sec:\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
    }, output


def count_in(pattern: str, output: str) -> int:
    match = re.search(pattern, output)
    return int(match.group(1)) if match else 0


def _milliseconds(match: re.Match[str] | None) -> float:
    assert match is not None
    value = match.group(1)
    for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * factor
    return float(value)


_ROTATING_LUA = """
local bodies, tokens = {}, {}
for line in io.lines(%(bodies)s) do bodies[#bodies + 1] = line end
for line in io.lines(%(tokens)s) do tokens[#tokens + 1] = line end
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[counter %% #tokens + 1]},
    bodies[counter %% #bodies + 1])
end
"""

# the end of every wrk script here: counts the answers that failed (not 200, or a GraphQL
# error; a payload's own `errors { field message }` starts with "field") and prints the
# totals as `requests=N` and `failed=N` (count_in reads them)
WRK_TALLY = """
failed = 0
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors":[{"message"', 1, true) then
    failed = failed + 1
  end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local failed_total = 0
  for _, thread in ipairs(threads) do failed_total = failed_total + thread:get("failed") end
  io.write(string.format("requests=%d\\nfailed=%d\\n", summary.requests, failed_total))
end
"""


def wrk_rotating(
    url: str, bodies: list[bytes], tokens: list[str], *, connections: int, seconds: int
) -> dict[str, float]:
    """wrk (one thread, C: far cheaper than a Python client) POSTing ``bodies`` in turn to
    ``url``/graphql, each with the next of ``tokens``: requests per second, p50/p99 and
    requests that failed (not 200, or a GraphQL error)."""
    with tempfile.TemporaryDirectory(prefix="wnwa-wrk-") as folder:
        bodies_file, tokens_file = Path(folder) / "bodies", Path(folder) / "tokens"
        bodies_file.write_bytes(b"\n".join(bodies) + b"\n")
        tokens_file.write_text("\n".join(tokens) + "\n")
        lua = WRK_TALLY + _ROTATING_LUA % {
            "bodies": json.dumps(str(bodies_file)),
            "tokens": json.dumps(str(tokens_file)),
        }
        figures, output = run_wrk(url, lua, connections=connections, seconds=seconds)
    return {
        **figures,
        "requests": float(count_in(r"requests=(\d+)", output)),
        "failed": float(count_in(r"failed=(\d+)", output)),
    }
