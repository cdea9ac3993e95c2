"""Telemetry dates no single action: the attacker reads everything the gateway exports.

The gateway runs as in production, with opted-in traces on (every trace sampled, the worst
case) and a clock that moves an hour between exports, in front of the real subgraphs. Each
hour ten people read the news; in one run nothing else happens, in another a supporter files
their monthly report, or an officer searches for a peer supporter, in the fourth hour. Every
metric point, span and log line the two runs export must be the same, while the operator's
figures (requests and GraphQL operations an hour) are still there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from servicekit.clock import SYSTEM_CLOCK
from tests.gateway.conftest import SUBGRAPHS, Federation, _subgraph
from tests.support.database import TemplateDatabases
from tests.support.tokens import TokenIssuer

pytestmark = pytest.mark.slow  # runs the gateway in processes of its own

ROOT = Path(__file__).resolve().parents[2]
HOURS = 5
ACTION_HOUR = 3
NEWS = "query News { news(first: 50) { id slug title } }"
REPORT = """mutation Report($month: String!, $count: Int!) {
  submitSupportReport(month: $month, officersSupported: $count) { accepted errors { message } } }"""
SEARCH = """query FindSupporters($filter: PeerSupporterFilter, $after: String) {
  searchPeerSupporters(filter: $filter, first: 20, after: $after) {
    matches { supporter { id displayName telLink } } errors { message } } }"""

GATEWAY = """
import asyncio, datetime as dt, json, logging, sys
from servicekit import telemetry
from servicekit.clock import FixedClock
from servicekit.logging import configure_logging

plan = json.loads(sys.argv[1])
start = dt.datetime(2031, 3, 4, 10, 0, 30, tzinfo=dt.UTC)
clock = FixedClock(start)
configure_logging("INFO")
logging.getLogger("httpx").setLevel(logging.WARNING)  # the test's own client, not the gateway
telemetry.configure(
    "gateway",
    {"WNWA_TELEMETRY_EXPORTER": "file:" + plan["out"], "WNWA_TELEMETRY_TRACES": "1"},
    clock=clock,
)
from gateway.app import create_app
from gateway.settings import load
from tests.support.graphql import running

async def main():
    async with running(create_app(load(plan["environ"]))) as http:
        for hour in range(plan["hours"]):
            clock.at = start + dt.timedelta(hours=hour)
            for _ in range(10):
                answer = await http.post("/graphql", json=plan["background"])
                assert "errors" not in answer.json(), answer.text
            if hour == plan["action_hour"] and plan["action"]:
                answer = await http.post(
                    "/graphql",
                    json=plan["action"]["body"],
                    headers={"Authorization": "Bearer " + plan["action"]["token"]},
                )
                print(json.dumps(answer.json()))
            telemetry.flush()  # what a collector receives this hour

asyncio.run(main())
"""


@pytest.fixture(scope="module")
async def federation(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> AsyncIterator[Federation]:
    async with contextlib.AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        database_urls: dict[str, str] = {}
        for name in SUBGRAPHS:
            urls[name], database_urls[name] = await stack.enter_async_context(
                _subgraph(name, databases, issuer)
            )
        yield Federation(urls=urls, database_urls=database_urls, issuer=issuer)


def supporters_report(issuer: TokenIssuer) -> tuple[dict[str, Any], str]:
    month = SYSTEM_CLOCK.today().strftime("%Y-%m")
    body = {"query": REPORT, "operationName": "Report", "variables": {"month": month, "count": 3}}
    return body, issuer.token("peer_supporter", department=uuid.uuid4(), subject=uuid.uuid4().hex)


def officers_search(issuer: TokenIssuer) -> tuple[dict[str, Any], str]:
    body = {"query": SEARCH, "operationName": "FindSupporters", "variables": {"filter": {}}}
    return body, issuer.token("officer", department=uuid.uuid4())


ACTIONS: dict[str, Callable[[TokenIssuer], tuple[dict[str, Any], str]]] = {
    "a supporter's monthly report": supporters_report,
    "an officer's search": officers_search,
}


async def exported(
    federation: Federation, folder: Path, action: dict[str, Any] | None
) -> dict[str, Any]:
    """Run the gateway for ``HOURS`` hours; what it exported, hour by hour, and logged (the
    subgraphs answer from this process's event loop, which must keep running meanwhile)."""
    plan = {
        "out": str(folder),
        "environ": federation.gateway_environment(),
        "hours": HOURS,
        "action_hour": ACTION_HOUR,
        "background": {"query": NEWS, "operationName": "News"},
        "action": action,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        GATEWAY,
        json.dumps(plan),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 0, stderr
    answers = [json.loads(line) for line in stdout.splitlines()]
    batches, spans = lines_of(folder, "metrics"), lines_of(folder, "spans")
    # a log line's own time is the moment it was written: kept apart from what it says
    logs = [re.sub(r"^\S+ \S+ ", "", line) for line in stderr.splitlines()]
    return {"answers": answers, "batches": batches, "spans": spans, "logs": logs}


def lines_of(folder: Path, kind: str) -> list[dict[str, Any]]:
    """Every JSON line the process's file exporter wrote of ``kind``, in order."""
    return [
        json.loads(line)
        for path in sorted(folder.glob(f"*.{kind}.jsonl"))
        for line in path.read_text().splitlines()
    ]


def points(batch: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [
        (metric["name"], metric["data"], point)
        for resource in batch["resource_metrics"]
        for scope in resource["scope_metrics"]
        for metric in scope["metrics"]
        for point in metric["data"]["data_points"]
    ]


def figures(batch: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """What one export's counts say, without when it was sent: each series and its value.
    Durations differ from one run to the next whatever happens, so histograms are not
    compared here: what they may say is checked on its own."""
    return sorted(
        (name, json.dumps(point["attributes"], sort_keys=True), point["value"])
        for name, _, point in points(batch)
        if "value" in point
    )


def total(batch: dict[str, Any], metric: str) -> int:
    return sum(int(point["value"]) for name, _, point in points(batch) if name == metric)


def span_shapes(spans: list[dict[str, Any]]) -> list[str]:
    return sorted(
        json.dumps([span["name"], span["kind"], span["attributes"]], sort_keys=True)
        for span in spans
    )


@pytest.fixture(scope="module")
async def quiet(federation: Federation, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return await exported(federation, tmp_path_factory.mktemp("quiet"), None)


@pytest.mark.parametrize("action", sorted(ACTIONS))
async def test_one_sensitive_action_changes_nothing_exported(
    federation: Federation,
    quiet: dict[str, Any],
    action: str,
    tmp_path: Path,
) -> None:
    body, token = ACTIONS[action](federation.issuer)
    acted = await exported(federation, tmp_path, {"body": body, "token": token})
    [answer] = acted["answers"]
    assert "errors" not in answer, answer  # the action really happened
    assert all(not payload.get("errors") for payload in answer["data"].values()), answer

    # the attacker's comparison: every export, hour by hour, and every span and log line
    assert len(acted["batches"]) == len(quiet["batches"])
    for hour, (with_action, without) in enumerate(
        zip(acted["batches"], quiet["batches"], strict=True)
    ):
        assert figures(with_action) == figures(without), f"export {hour} dates {action}"
    assert span_shapes(acted["spans"]) == span_shapes(quiet["spans"])
    assert acted["logs"] == quiet["logs"]

    # the operator still sees the service: ten requests and operations an hour, released once
    # each hour has closed (a process's first figures wait for its second hour)
    for run in (quiet, acted):
        hourly = [total(batch, "wnwa.server.requests") for batch in run["batches"][:HOURS]]
        assert hourly == [0, 0, 30, 40, 50]
        operations = [total(batch, "wnwa.graphql.operations") for batch in run["batches"]]
        assert operations[HOURS - 1] == 50
        assert run["spans"], "opted-in traces of public reads are still exported"


def test_released_durations_say_nothing_finer_than_tens(quiet: dict[str, Any]) -> None:
    histograms = [
        (batch, point)
        for batch in quiet["batches"]
        for name, _, point in points(batch)
        if name == "wnwa.server.duration"
    ]
    assert histograms
    for batch, point in histograms:
        counts, bounds = point["bucket_counts"], point["explicit_bounds"]
        assert all(count % 10 == 0 for count in counts), point
        assert point["count"] == sum(counts) <= total(batch, "wnwa.server.requests")
        assert not point.get("exemplars")
        # sum, min and max come from the buckets, never from a request's own duration
        edges = [0.0, *bounds, bounds[-1]]
        middles = [(edges[i] + edges[i + 1]) / 2 for i in range(len(counts))]
        assert point["sum"] == pytest.approx(
            sum(c * m for c, m in zip(counts, middles, strict=True))
        )
        held = [i for i, count in enumerate(counts) if count]
        assert point["min"] == edges[held[0]]
        assert point["max"] == edges[held[-1] + 1]
