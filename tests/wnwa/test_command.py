"""The `wnwa` command on a real machine: embedded and external PostgreSQL, up and down."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import asyncpg
import pytest

from servicekit.demo import DEMO_DEPARTMENTS
from tests.support.database import drop
from tests.support.servers import free_port
from wnwa.registry import available_services

pytestmark = pytest.mark.slow  # runs `wnwa up` stacks

PROJECT = Path(__file__).resolve().parents[2]
ACTIVE_DEMO_DEPARTMENTS = sum(1 for department in DEMO_DEPARTMENTS if department.status == "active")


def command_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WNWA_")}
    env.update({"WNWA_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **extra})
    for service in available_services():
        env[f"WNWA_{service.name.upper()}_PORT"] = str(free_port())
    env["WNWA_DEVIDP_PORT"] = str(free_port())
    return env


def wnwa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wnwa", *args],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class RunningStack:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wnwa", "up"],
            env=env,
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []

    def wait_ready(self, timeout: float = 90) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if line.startswith("Ready in"):
                return
        pytest.fail("wnwa up did not become ready:\n" + "".join(self.output))

    def wait_for(self, text: str, timeout: float = 60) -> None:
        """Read the output until a line contains ``text``."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if text in line:
                return
        pytest.fail(f"wnwa up never said {text!r}:\n" + "".join(self.output))

    def child_serving(self, service: str) -> int:
        """The pid of the `wnwa serve SERVICE` process this stack started."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and command[-3:-1] == [b"serve", service.encode()]:
                return int(entry.name)
        pytest.fail(f"no {service} process under wnwa up")

    def graphql(self, query: str) -> dict[str, object]:
        port = self.env["WNWA_MEMBERSHIP_PORT"]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer: dict[str, object] = json.load(response)
            return answer

    def interrupt(self) -> int:
        assert self.process.stdout is not None
        self.process.send_signal(signal.SIGINT)
        # read through the same buffered stream as wait_ready (communicate() would skip
        # whatever that stream already buffered)
        self.output.append(self.process.stdout.read())
        self.process.stdout.close()
        return self.process.wait(timeout=60)


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    return command_environment(tmp_path / "data")


FIGURES = "{ membershipFigures { memberDepartments } }"


def test_up_runs_the_stack_on_embedded_postgres_and_keeps_data(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    first = RunningStack(stack_env)
    try:
        first.wait_ready()
        assert first.graphql(FIGURES) == {
            "data": {"membershipFigures": {"memberDepartments": ACTIVE_DEMO_DEPARTMENTS}}
        }
    finally:
        code = first.interrupt()
    log = "".join(first.output)
    assert code == 0, log
    assert "demo data added" in log
    assert f"http://127.0.0.1:{stack_env['WNWA_MEMBERSHIP_PORT']}/graphql" in log
    assert "wnwa: stopped." in log
    assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()  # database stopped

    second = RunningStack(stack_env)
    try:
        second.wait_ready()
        assert second.graphql(FIGURES) == {
            "data": {"membershipFigures": {"memberDepartments": ACTIVE_DEMO_DEPARTMENTS}}
        }
    finally:
        assert second.interrupt() == 0
    again = "".join(second.output)
    assert "membership     database present, 0 migration(s) applied" in again
    assert "demo data added" not in again


async def test_external_postgres_is_used_when_its_url_is_given(
    postgres_url: str, tmp_path: Path
) -> None:
    env = command_environment(tmp_path / "data", WNWA_POSTGRES_URL=postgres_url)
    await drop(postgres_url, "wnwa_membership")
    try:
        migrated = wnwa("migrate", env=env)
        assert migrated.returncode == 0, migrated.stderr
        assert "membership     database created" in migrated.stdout
        seeded = wnwa("seed", "--demo", env=env)
        assert "demo data added" in seeded.stdout
        reseeded = wnwa("seed", "--demo", env=env)
        assert "demo data added" not in reseeded.stdout

        connection = await asyncpg.connect(postgres_url.replace("/postgres?", "/wnwa_membership?"))
        try:
            count = await connection.fetchval("SELECT count(*) FROM departments")
        finally:
            await connection.close()
        assert count == len(DEMO_DEPARTMENTS)
        assert not (tmp_path / "data").exists()  # no embedded server was started
    finally:
        await drop(postgres_url, "wnwa_membership")


def test_serve_refuses_an_unknown_service(tmp_path: Path) -> None:
    result = wnwa("serve", "payroll", env=command_environment(tmp_path))
    assert result.returncode != 0
    assert "no service called 'payroll'" in result.stderr


def test_compose_check_passes_on_the_committed_files(tmp_path: Path) -> None:
    result = wnwa("compose", "--check", env=command_environment(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the child processes in /proc")
def test_up_restarts_a_service_that_exits_and_stops_cleanly_when_postgres_dies(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    stack = RunningStack(stack_env)
    try:
        stack.wait_ready()
        os.kill(stack.child_serving("membership"), signal.SIGKILL)
        stack.wait_for("membership is running again")
        log = "".join(stack.output)
        assert "membership exited with code -9; restarting it in 1 s" in log
        assert stack.graphql(FIGURES) == {
            "data": {"membershipFigures": {"memberDepartments": ACTIVE_DEMO_DEPARTMENTS}}
        }

        # PostgreSQL itself is not restarted: the whole stack stops, saying why
        postmaster = tmp_path / "data" / "pgdata" / "postmaster.pid"
        os.kill(int(postmaster.read_text().split()[0]), signal.SIGINT)  # fast shutdown
        assert stack.process.wait(timeout=60) == 1
    finally:
        if stack.process.poll() is None:
            stack.interrupt()
    if not stack.process.stdout.closed:  # type: ignore[union-attr]
        stack.output.append(stack.process.stdout.read())  # type: ignore[union-attr]
        stack.process.stdout.close()  # type: ignore[union-attr]
    log = "".join(stack.output)
    assert "PostgreSQL stopped answering, so every service is being stopped" in log
    assert log.rstrip().endswith("wnwa: stopped.")
