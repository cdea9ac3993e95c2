"""The idle stack's memory: resident memory of each process of `wnwa up` at demo size.

Usage: .venv/bin/python bench/stack_memory.py [--settle 10] [--workers 1]

Starts the stack as `wnwa up` does (demo data, its own data folder, free loopback ports),
waits until every process is ready and then ``--settle`` seconds idle, and prints each
process's resident memory (RSS) by service — the supervisor, each service and its
workers, the development IdP, and the embedded PostgreSQL server with its backends — and
the total of the Python processes and of everything. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from loadgen import postmaster_pid, processes_by_service  # noqa: E402

from tests.support.stack import running_stack  # noqa: E402


def resident_mb(pid: int) -> float:
    """A process's resident memory in MB (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def command_of(pid: int) -> str:
    """A short name for a process that is not a service (the supervisor, the IdP)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return "gone"
    words = [arg.decode(errors="replace").rsplit("/", 1)[-1] for arg in argv[1:4] if arg]
    return " ".join(words)[:27]


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (the database server's backends and workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="wnwa-memory-") as data_dir,
        running_stack(Path(data_dir), WNWA_WORKERS=str(args.workers)),
    ):
        time.sleep(args.settle)
        by_service = processes_by_service(f"WNWA_DATA_DIR={data_dir}".encode())
        postmaster = postmaster_pid(Path(data_dir) / "pgdata")
        database_pids = [postmaster, *children(postmaster)] if postmaster is not None else []
        python = 0.0
        print(f"{'process':<28}{'RSS MB':>10}")
        for label, pids in sorted(by_service.items()):
            for pid in sorted(set(pids) - set(database_pids)):
                mb = resident_mb(pid)
                python += mb
                name = label if label != "other" else command_of(pid)
                print(f"{name:<28}{mb:>10.1f}")
        # each backend's RSS counts the shared buffers it touched again: an upper bound
        database = sum(resident_mb(pid) for pid in database_pids)
        print(f"{'PostgreSQL (all, at most)':<28}{database:>10.1f}")
        print(f"{'Python processes, total':<28}{python:>10.1f}")
        print(f"{'everything':<28}{python + database:>10.1f}")


if __name__ == "__main__":
    main()
