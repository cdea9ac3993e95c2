"""Keeps the processes of `wnwa up` running: start, wait for readiness, restart, stop.

- Readiness has no fixed time limit: `wnwa up` waits as long as something progresses (a
  process became ready, or one still starting is using the CPU, e.g. importing or building
  its schema) and prints what is still starting every ten seconds. Only when nothing has
  moved for ``stall_seconds`` does it give up, naming what never became ready.
- A service that exits is restarted after a back-off (1 s, 2 s, 4 s … up to 30 s), and
  `wnwa up` says so. The back-off starts again once the service has stayed up for a minute;
  a service that exits ``give_up_after`` times in a row stops the stack with a message.
- The database is not a child to restart: if PostgreSQL stops answering, every service is
  stopped cleanly and `wnwa up` ends with a message saying why.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True, slots=True)
class Child:
    """One child process of `wnwa up`: what it is, how to start it, where it answers."""

    label: str
    argv: list[str]
    env: dict[str, str]
    port: int
    ready_path: str
    show_url: str


class StackFailure(Exception):
    """The stack cannot go on; the message says why, for the person who started it."""


def http_ready(port: int, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def cpu_ticks(pid: int) -> int | None:
    """CPU time a process has used so far (Linux clock ticks), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def database_probe(server_url: str) -> Callable[[], bool]:
    """Whether PostgreSQL at ``server_url`` accepts connections (a socket connect, no login)."""
    parts = urlsplit(server_url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    port = parts.port or 5432

    def alive() -> bool:
        try:
            if host.startswith("/"):
                with socket.socket(socket.AF_UNIX) as probe:
                    probe.settimeout(2)
                    probe.connect(f"{host}/.s.PGSQL.{port}")
            else:
                socket.create_connection((host, port), timeout=2).close()
        except OSError:
            return False
        return True

    return alive


class _Running:
    """A child and what the supervisor knows of it."""

    def __init__(self, child: Child) -> None:
        self.child = child
        self.process: subprocess.Popen[bytes] | None = None
        self.ready = False
        self.ready_since = 0.0
        self.exits_in_a_row = 0
        self.restart_at: float | None = None
        self.cpu: int | None = None


class Supervisor:
    """Starts the children, waits for them, restarts the ones that exit, stops them all."""

    def __init__(
        self,
        children: Sequence[Child],
        *,
        database_alive: Callable[[], bool] | None = None,
        ready: Callable[[int, str], bool] = http_ready,
        first_backoff: float = 1.0,
        max_backoff: float = 30.0,
        stable_after: float = 60.0,
        give_up_after: int = 5,
        stall_seconds: float = 60.0,
        report_every: float = 10.0,
        out: TextIO | None = None,
    ) -> None:
        self.running = [_Running(child) for child in children]
        self.database_alive = database_alive
        self.ready = ready
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.give_up_after = give_up_after
        self.stall_seconds = stall_seconds
        self.report_every = report_every
        self.out = out or sys.stderr
        self._database_failures = 0
        self._database_checked = 0.0

    def _say(self, message: str) -> None:
        print(f"wnwa: {message}", file=self.out, flush=True)

    def _spawn(self, running: _Running) -> None:
        child = running.child
        running.process = subprocess.Popen(child.argv, env=child.env)  # noqa: S603 - our own modules
        running.restart_at = None
        running.ready = False
        running.cpu = None

    def start(self) -> None:
        for running in self.running:
            self._spawn(running)

    def _check_database(self, now: float) -> None:
        if self.database_alive is None or now - self._database_checked < 1:
            return
        self._database_checked = now
        if self.database_alive():
            self._database_failures = 0
            return
        self._database_failures += 1
        if self._database_failures >= 3:
            raise StackFailure(
                "PostgreSQL stopped answering, so every service is being stopped. Its data is "
                "kept; run `wnwa up` again to start it (see PostgreSQL's log in its data "
                "folder if it stops again)."
            )

    def _tick(self) -> bool:
        """One round of supervision; True when something progressed."""
        now = time.monotonic()
        self._check_database(now)
        progressed = False
        for running in self.running:
            label = running.child.label
            process = running.process
            if process is None:
                if running.restart_at is not None and now >= running.restart_at:
                    self._say(f"restarting {label}")
                    self._spawn(running)
                    progressed = True
                continue
            code = process.poll()
            if code is not None:
                running.process = None
                running.exits_in_a_row += 1
                if running.exits_in_a_row >= self.give_up_after:
                    raise StackFailure(
                        f"{label} exited {running.exits_in_a_row} times in a row (last exit "
                        f"code {code}); see its messages above. Stopping the stack."
                    )
                delay = min(
                    self.max_backoff, self.first_backoff * 2 ** (running.exits_in_a_row - 1)
                )
                self._say(f"{label} exited with code {code}; restarting it in {delay:.0f} s")
                running.restart_at = now + delay
                running.ready = False
                progressed = True
                continue
            if not running.ready:
                if self.ready(running.child.port, running.child.ready_path):
                    running.ready, running.ready_since = True, now
                    if running.exits_in_a_row:
                        self._say(f"{label} is running again")
                    progressed = True
                else:
                    cpu = cpu_ticks(process.pid)
                    if cpu is not None and cpu != running.cpu:
                        progressed = progressed or running.cpu is not None
                        running.cpu = cpu
            elif running.exits_in_a_row and now - running.ready_since > self.stable_after:
                running.exits_in_a_row = 0  # up for a while: the next exit starts the back-off anew
        return progressed

    def pending(self) -> list[str]:
        return [running.child.label for running in self.running if not running.ready]

    def wait_until_ready(self, stopping: Callable[[], bool], poll: float = 0.05) -> None:
        """Returns when every child answers (or ``stopping()``); raises StackFailure when
        nothing has progressed for ``stall_seconds``."""
        started = last_progress = last_report = time.monotonic()
        while self.pending() and not stopping():
            now = time.monotonic()
            if self._tick():
                last_progress = now
            if now - last_progress > self.stall_seconds:
                raise StackFailure(
                    f"nothing has progressed for {self.stall_seconds:.0f} s; never became "
                    f"ready: {', '.join(self.pending())}"
                )
            if now - last_report >= self.report_every and self.pending():
                last_report = now
                self._say(
                    f"still starting after {now - started:.0f} s: {', '.join(self.pending())}"
                )
            time.sleep(poll)

    def watch(self, stopping: Callable[[], bool], poll: float = 0.2) -> None:
        """Keeps the children running until ``stopping()``; raises StackFailure when the
        stack cannot go on."""
        while not stopping():
            self._tick()
            time.sleep(poll)

    def stop(self, timeout: float = 10) -> None:
        processes = [r.process for r in self.running if r.process is not None]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
