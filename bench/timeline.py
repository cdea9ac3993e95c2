"""Where the time went during a load run, 50 ms at a time: the evidence behind a stall.

A sampler in a process of its own (so it never holds the load generator's interpreter)
reads, every ``interval`` seconds, each watched process's ``/proc/PID/schedstat`` (time on
a CPU, and time runnable but waiting for one, in nanoseconds) and the machine's
``/proc/stat`` (time stolen by the hypervisor, time waiting for the disk). After the run,
``stalls`` lines the requests' latencies up with it: for each window whose slowest request
took over ``threshold_ms``, what each process did and waited in the window before it.
Linux only; prints, asserts nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

# label -> process ids; asked again every second (database backends come and go)
Watched = Callable[[], dict[str, list[int]]]


@dataclass(frozen=True)
class Sample:
    at: float  # time.perf_counter() (CLOCK_MONOTONIC: the same in every process)
    running_ns: dict[str, int]  # by label, summed over its processes
    waiting_ns: dict[str, int]  # runnable but not running (the CPUs were busy)
    steal_ms: float  # the machine's, since boot
    iowait_ms: float


def _schedstat(pid: int) -> tuple[int, int]:
    try:
        running, waiting, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return 0, 0
    return int(running), int(waiting)


def _machine() -> tuple[float, float]:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    return int(fields[8]) * tick_ms, int(fields[5]) * tick_ms  # steal, iowait


def _sample(watched: Watched, interval: float, stop: Connection) -> None:
    samples: list[Sample] = []
    pids: dict[str, list[int]] = {}
    refreshed = 0.0
    while not stop.poll(interval):
        now = time.perf_counter()
        if now - refreshed > 1.0:
            pids, refreshed = watched(), now
        running: dict[str, int] = {}
        waiting: dict[str, int] = {}
        for label, group in pids.items():
            for pid in group:
                run, wait = _schedstat(pid)
                running[label] = running.get(label, 0) + run
                waiting[label] = waiting.get(label, 0) + wait
        steal, iowait = _machine()
        samples.append(Sample(now, running, waiting, steal, iowait))
    stop.send(samples)


class Timeline:
    """Samples ``watched`` until ``close()``; ``samples`` then holds what was seen."""

    def __init__(self, watched: Watched, interval: float = 0.05) -> None:
        self._ours, theirs = multiprocessing.Pipe()
        context = multiprocessing.get_context("fork")
        self._process = context.Process(target=_sample, args=(watched, interval, theirs))
        self._process.start()
        self.samples: list[Sample] = []

    def close(self) -> None:
        self._ours.send("stop")
        self.samples = self._ours.recv()
        self._process.join(timeout=10)


def stalls(
    samples: list[Sample],
    requests: list[tuple[float, float]],
    *,
    threshold_ms: float = 100.0,
    window: float = 0.1,
    limit: int = 8,
) -> list[str]:
    """Lines describing the worst windows: ``requests`` are (scheduled at, latency ms)."""
    worst: dict[int, float] = {}
    for at, latency in requests:
        key = int(at / window)
        worst[key] = max(worst.get(key, 0.0), latency)
    stalled = sorted((k for k, v in worst.items() if v > threshold_ms), key=lambda k: -worst[k])
    if not requests:
        return []
    start = min(at for at, _ in requests)
    lines = [
        f"{len(stalled)} of {len(worst)} windows of {window * 1000:.0f} ms had a request over "
        f"{threshold_ms:.0f} ms"
    ]
    for key in sorted(stalled[:limit]):
        begin, end = key * window - 0.2, key * window + window
        inside = [s for s in samples if begin <= s.at <= end]
        if len(inside) < 2:
            continue
        first, last = inside[0], inside[-1]
        span_ms = (last.at - first.at) * 1000
        doing = ", ".join(
            f"{label} {(last.running_ns[label] - first.running_ns.get(label, 0)) / 1e6:.0f}"
            f"/{(last.waiting_ns[label] - first.waiting_ns.get(label, 0)) / 1e6:.0f}"
            for label in sorted(last.running_ns)
        )
        stolen, disk = last.steal_ms - first.steal_ms, last.iowait_ms - first.iowait_ms
        lines.append(
            f"  at {key * window - start:6.2f} s: slowest {worst[key]:6.0f} ms; over the "
            f"{span_ms:.0f} ms before, ms on a CPU/waiting for one: {doing}; stolen "
            f"{stolen:.0f}, disk wait {disk:.0f}"
        )
    return lines
