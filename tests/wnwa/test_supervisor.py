"""`wnwa up`'s supervision with small real child processes: restarts with back-off, no
fixed readiness limit while starting progresses, and a clean stop when the database goes."""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.support.servers import free_port
from wnwa.supervisor import Child, StackFailure, Supervisor

pytestmark = pytest.mark.slow  # supervises child processes

# a service: optionally busy for a while (importing, building), then answers /readyz
SERVICE = """
import http.server, sys, time
busy_until = time.monotonic() + float(sys.argv[2])
while time.monotonic() < busy_until:
    pass
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ready).serve_forever()
"""


def child(label: str, script: str, *args: str) -> Child:
    port = free_port()
    return Child(label, [sys.executable, "-c", script, str(port), *args], {}, port, "/readyz", "")


def service(label: str, busy_seconds: float = 0) -> Child:
    return child(label, SERVICE, str(busy_seconds))


class Watching:
    """The supervisor's watch loop in a thread, stopped when the test ends."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.stopping = False
        self.failure: StackFailure | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.supervisor.watch(lambda: self.stopping, poll=0.05)
        except StackFailure as failure:
            self.failure = failure


@pytest.fixture
def output() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def supervisors() -> Iterator[list[Supervisor]]:
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        supervisor.stop(timeout=5)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail("the expected state was not reached")


def test_a_service_that_exits_is_restarted_after_a_back_off_and_it_says_so(
    output: io.StringIO, supervisors: list[Supervisor]
) -> None:
    supervisor = Supervisor([service("membership"), service("gateway")], out=output)
    supervisors.append(supervisor)
    supervisor.start()
    supervisor.wait_until_ready(lambda: False)
    watching = Watching(supervisor)
    watching.thread.start()
    try:
        crashed = supervisor.running[0].process
        untouched = supervisor.running[1].process
        assert crashed is not None
        crashed.kill()
        wait_for(lambda: "membership is running again" in output.getvalue())
        assert "membership exited with code -9; restarting it in 1 s" in output.getvalue()
        assert supervisor.running[0].process is not crashed
        assert supervisor.running[1].process is untouched  # the rest kept running
        assert supervisor.pending() == []

        # a second exit soon after waits longer
        again = supervisor.running[0].process
        assert again is not None
        again.kill()
        wait_for(lambda: "restarting it in 2 s" in output.getvalue())
    finally:
        watching.stopping = True
        watching.thread.join()
    assert watching.failure is None


def test_a_service_that_keeps_exiting_stops_the_stack_with_a_message(
    output: io.StringIO, supervisors: list[Supervisor]
) -> None:
    exits = child("professionals", "import sys; sys.exit(3)")
    supervisor = Supervisor([exits], out=output, first_backoff=0.05, give_up_after=3)
    supervisors.append(supervisor)
    supervisor.start()
    with pytest.raises(StackFailure, match=r"professionals exited 3 times in a row \(last exit"):
        supervisor.wait_until_ready(lambda: False)


def test_starting_has_no_fixed_limit_while_services_are_still_working(
    output: io.StringIO, supervisors: list[Supervisor]
) -> None:
    # busy for three times longer than a limit on idleness: working is progress
    slow = service("directory", busy_seconds=3)
    supervisor = Supervisor([slow], out=output, stall_seconds=1, report_every=0.5)
    supervisors.append(supervisor)
    supervisor.start()
    supervisor.wait_until_ready(lambda: False)
    assert supervisor.pending() == []
    assert "still starting after" in output.getvalue()
    assert "directory" in output.getvalue()


def test_a_service_that_makes_no_progress_is_named(
    output: io.StringIO, supervisors: list[Supervisor]
) -> None:
    idle = child("identity", "import time; time.sleep(60)")
    supervisor = Supervisor([idle, service("gateway")], out=output, stall_seconds=1)
    supervisors.append(supervisor)
    supervisor.start()
    with pytest.raises(StackFailure, match=r"never became ready: identity$"):
        supervisor.wait_until_ready(lambda: False)


def test_the_database_going_away_stops_the_stack_instead_of_restarting(
    output: io.StringIO, supervisors: list[Supervisor]
) -> None:
    database_up = True
    supervisor = Supervisor([service("membership")], out=output, database_alive=lambda: database_up)
    supervisors.append(supervisor)
    supervisor.start()
    supervisor.wait_until_ready(lambda: False)
    watching = Watching(supervisor)
    watching.thread.start()
    database_up = False
    watching.thread.join(timeout=30)
    assert watching.failure is not None
    assert "PostgreSQL stopped answering" in str(watching.failure)
    assert "run `wnwa up` again" in str(watching.failure)
