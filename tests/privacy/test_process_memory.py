"""Memory that forgets, measured in running processes: an officer uses the stack through the
gateway three times (sign-in, searches, a renewal, a refused token), with a distinctive user
agent, forwarded address, operation name and search values (in variables and written into
documents); the last browser leaves its connection open, as browsers do. Once every
time-bounded cache has expired and every idle connection has been closed, the gateway's and
directory's memory is read from outside (``/proc/<pid>/mem``, as root can) and, through a
probe only this test loads, every object still reachable in them is searched — for those
markers and for the tokens, session cookies, authorization codes, sign-in states and
pseudonyms that appeared.

What is asserted: nothing *reachable* in either process holds a marker. What raw memory still
holds (freed blocks, which CPython does not wipe) is printed, not asserted: docs/PRIVACY.md
("Memory that forgets") gives the figures and what they mean.

The probe is ``tests/privacy/memory_probe/sitecustomize.py``, put first on the stack's
``PYTHONPATH``; the package never ships it (the image copies no test), so no deployed process
has it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import string
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.privacy.leaks import jwt_subject
from tests.support.stack import PROJECT, Stack, running_stack, sign_in

pytestmark = pytest.mark.slow  # waits for every cache to forget, on real timers

PROBE = Path(__file__).parent / "memory_probe"
TOKEN_MINUTES = 1
DOCUMENT_IDLE_SECONDS = 20
# the longest time-bounded holder: an idle keep-alive connection, closed by the server
# after 75 s (servicekit/serving.py), with the last request's headers; then some slack
FORGOTTEN_AFTER_SECONDS = 75 + 20
SEARCH = """
query {name}($state: String!, $county: String!) {{
  searchPeerSupporters(filter: {{state: $state, county: $county}}, first: 5) {{
    matches {{ supporter {{ id displayName }} }}
    errors {{ field message }}
  }}
}}
"""
INLINE_SEARCH = """
query {{
  searchPeerSupporters(filter: {{state: "IL", county: "{county}"}}, first: 5) {{
    matches {{ supporter {{ id }} }}
  }}
}}
"""


def _letters(count: int) -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(count))


def _markers() -> dict[str, str]:
    hexes = [secrets.token_hex(2) for _ in range(3)]
    return {
        "user agent": f"MemoryMarkerAgent/{_letters(12)}",
        "forwarded address": f"2001:db8:{hexes[0]}:{hexes[1]}::{hexes[2]}",
        "operation name": f"MarkerOperation{_letters(12)}",
        "search value in variables": f"markervar{_letters(12)}",
        "search value in a document": f"markerdoc{_letters(12)}",
        "bad bearer token": f"markerbadtoken{_letters(12)}",
        # a demo supporter's pseudonym (their profile's owner): the search needs none
        "a supporter's pseudonym": "demo-supporter-001",
    }


def _use_the_stack(
    stack: Stack, markers: dict[str, str], lingering: httpx.Client
) -> dict[str, str]:
    """An officer signs in, searches and renews through the gateway, three times with a new
    browser; the tokens, cookies, codes and pseudonym that appeared, as further markers (a
    distinctive slice of each). The last browser is ``lingering``: its connection stays
    open afterwards, as a browser's does, until the server closes it."""
    seen: dict[str, str] = {}
    headers = {
        "User-Agent": markers["user agent"],
        "X-Forwarded-For": markers["forwarded address"],
    }

    def remember(client: httpx.Client) -> None:
        for cookie in client.cookies.jar:
            if cookie.value and cookie.name in ("wnwa_access", "wnwa_session"):
                # the signature (JWT) or the sealed tail (session): what no other value
                # holds; without the quotes a cookie's value may travel in
                seen[f"{cookie.name} #{len(seen)}"] = cookie.value.strip('"')[-40:]
        seen["searcher's pseudonym"] = jwt_subject(client.cookies["wnwa_access"])

    def callback(request: httpx.Request) -> None:
        if request.url.path == "/auth/callback":  # the IdP's answer, through the gateway
            seen[f"authorization code #{len(seen)}"] = request.url.params["code"]
            seen[f"sign-in state #{len(seen)}"] = request.url.params["state"]

    for client in (stack.browser(), stack.browser(), lingering):
        with contextlib.nullcontext() if client is lingering else client:
            client.headers.update(headers)
            client.event_hooks["request"].append(callback)
            landing = sign_in(client, "dana.whitlock@harlow-park.pd.example")
            assert landing.status_code == 200, landing.text
            remember(client)
            for _ in range(5):
                answer = client.post(
                    "/graphql",
                    json={
                        "query": SEARCH.format(name=markers["operation name"]),
                        "variables": {
                            "state": "IL",
                            "county": markers["search value in variables"],
                        },
                        "operationName": markers["operation name"],
                    },
                )
                assert answer.status_code == 200, answer.text
                assert "errors" not in answer.json(), answer.text
                inline = client.post(
                    "/graphql",
                    json={
                        "query": INLINE_SEARCH.format(county=markers["search value in a document"])
                    },
                )
                assert "errors" not in inline.json(), inline.text
            # a session renewed through the gateway: new token, the session cookie sent on
            assert client.post("/auth/refresh", json={}).status_code == 200
            remember(client)
            refused = client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Authorization": f"Bearer {markers['bad bearer token']}"},
            )
            assert refused.status_code == 401
            assert client.get("/").status_code == 200
    return seen


def _service_pid(probe_folder: Path, argv_tail: str) -> int:
    """The process started with ``argv_tail`` by this test's stack (it carries our probe)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if (
            b" ".join(argv).rstrip().endswith(argv_tail.encode())
            and f"WNWA_TEST_MEMORY_PROBE={probe_folder}".encode() in environ
        ):
            return int(entry.name)
    raise AssertionError(f"no process {argv_tail!r} of this stack")


def _readable_regions(pid: int) -> Iterator[tuple[int, int]]:
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        addresses, permissions = fields[0], fields[1]
        name = fields[5] if len(fields) > 5 else ""
        # the process's own writable memory: heap, arenas, stacks, libraries' data
        if permissions.startswith("rw") and name not in ("[vvar]", "[vsyscall]"):
            start, end = (int(part, 16) for part in addresses.split("-"))
            yield start, end


def raw_counts(pid: int, markers: dict[str, str]) -> dict[str, int]:
    """How often each marker occurs anywhere in the process's writable memory."""
    counts = dict.fromkeys(markers, 0)
    encoded = {name: text.encode() for name, text in markers.items()}
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as memory:
        for start, end in _readable_regions(pid):
            try:
                memory.seek(start)
                region = memory.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue  # a mapping that went away or cannot be read
            for name, data in encoded.items():
                counts[name] += region.count(data)
    return counts


def _ask(pid: int, sent: signal.Signals, report: Path) -> str:
    report.unlink(missing_ok=True)
    os.kill(pid, sent)
    deadline = time.monotonic() + 120
    while not report.exists():
        assert time.monotonic() < deadline, f"process {pid}'s probe did not answer"
        time.sleep(0.2)
    time.sleep(0.2)  # written in one call; let it finish
    return report.read_text(encoding="utf-8")


def collect_garbage(pid: int, probe_folder: Path) -> None:
    """Have the process run a full collection (the probe; the service offers no way)."""
    _ask(pid, signal.SIGUSR2, probe_folder / f"{pid}.collected")


def reachable(pid: int, probe_folder: Path) -> dict[str, list[list[str]]]:
    """What the process's own probe finds reachable (after a collection), per marker, each
    with a chain of what holds it."""
    found: dict[str, list[list[str]]] = json.loads(
        _ask(pid, signal.SIGUSR1, probe_folder / f"{pid}.json")
    )
    return found


def test_no_process_keeps_a_request_reachable_after_its_caches_forget(
    tmp_path: Path,
) -> None:
    probe_folder = tmp_path / "probe"
    probe_folder.mkdir()
    markers = _markers()
    # the stack's data in the project's folder: the embedded server runs as its own user
    # when the tests run as root, and pytest's temporary root may be closed to it (README)
    (PROJECT / ".wnwa").mkdir(exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="memory-", dir=PROJECT / ".wnwa"))
    try:
        found, raw, collected = _measure(data_dir, probe_folder, markers)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print("\nmarkers in raw memory (as found / after a full collection), and reachable:")
    for process, counts in raw.items():
        for name in markers:
            print(
                f"  {process:<9} {name:<28} raw {counts[name]:>3} / "
                f"{collected[process][name]:>3}  reachable {len(found[process][name])}"
            )
    leaks = {
        process: {name: holders for name, holders in found[process].items() if holders}
        for process in found
    }
    assert leaks == {"gateway": {}, "directory": {}}, json.dumps(leaks, indent=1)


Counts = dict[str, dict[str, int]]
Found = dict[str, dict[str, list[list[str]]]]


def _measure(
    data_dir: Path, probe_folder: Path, markers: dict[str, str]
) -> tuple[Found, Counts, Counts]:
    """Use the stack, wait until everything time-bounded has forgotten, then read the
    gateway's and directory's memory: raw, raw after a collection, and what is reachable."""
    with running_stack(
        data_dir,
        # a host name, as in compose and Kubernetes: what the gateway's HTTP client does
        # with cookies differs for a name and an address
        identity_host="localhost",
        PYTHONPATH=os.pathsep.join([str(PROBE), str(PROJECT), os.environ.get("PYTHONPATH", "")]),
        WNWA_TEST_MEMORY_PROBE=str(probe_folder),
        WNWA_IDENTITY_ACCESS_TOKEN_MINUTES=str(TOKEN_MINUTES),
        WNWA_DOCUMENT_IDLE_SECONDS=str(DOCUMENT_IDLE_SECONDS),
    ) as stack:
        pids = {
            "gateway": _service_pid(probe_folder, "wnwa serve gateway"),
            "directory": _service_pid(probe_folder, "wnwa serve directory"),
        }
        with stack.browser() as lingering:
            markers |= _use_the_stack(stack, markers, lingering)
            # every token used has expired, every cache has forgotten, every connection
            # closed by whichever end closes it first
            time.sleep(TOKEN_MINUTES * 60 + FORGOTTEN_AFTER_SECONDS)
            raw = {name: raw_counts(pid, markers) for name, pid in pids.items()}
            for pid in pids.values():
                collect_garbage(pid, probe_folder)
            collected = {name: raw_counts(pid, markers) for name, pid in pids.items()}
            # last: the probe reads the markers, so the process holds them from here on
            (probe_folder / "markers.json").write_text(json.dumps(markers), encoding="utf-8")
            found = {name: reachable(pid, probe_folder) for name, pid in pids.items()}
    return found, raw, collected
