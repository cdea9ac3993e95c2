"""Telemetry without timelines: production exports metrics only, released per closed hour;
opt-in traces start only at an operation that reads what the network publishes, start on a
coarse clock and carry only operation names the platform itself uses."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased

from servicekit import telemetry_policy

pytestmark = pytest.mark.slow  # runs Python processes

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = """
import datetime as dt, sys
from servicekit import telemetry
from servicekit.clock import FixedClock

clock = FixedClock(dt.datetime(2031, 3, 4, 10, 0, 30, tzinfo=dt.UTC))
telemetry.configure("directory", {"WNWA_ENV": "production",
                                  "WNWA_TELEMETRY_EXPORTER": "file:" + sys.argv[1]}, clock=clock)
for _ in range(10):
    with telemetry.graphql_operation("FindSupporters", frozenset({"searchPeerSupporters"})):
        pass
clock.at += dt.timedelta(hours=2)  # the process's second hour has closed
telemetry.flush()
from opentelemetry import metrics
(reader,) = metrics.get_meter_provider()._metric_readers
print(reader._export_interval_millis)
"""


def test_production_defaults_export_aggregate_metrics_and_no_span(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PRODUCTION, str(tmp_path)],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    # metrics leave the process on a five-minute timer, not per request
    assert float(done.stdout.strip()) == 300_000
    spans = [line for path in tmp_path.glob("*.spans.jsonl") for line in path.read_text().split()]
    metrics = [
        json.loads(line)
        for path in tmp_path.glob("*.metrics.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert spans == []
    assert "wnwa.graphql.operations" in json.dumps(metrics)
    assert "FindSupporters" not in json.dumps(metrics)  # counted by outcome alone


OPTED_IN = """
import asyncio, sys
import httpx
from opentelemetry import trace
from servicekit import telemetry

telemetry.configure("gateway", {"WNWA_TELEMETRY_EXPORTER": "file:" + sys.argv[1],
                                "WNWA_TELEMETRY_TRACES": "1"})
READS = {
    "/graphql?news": frozenset({"news"}),
    "/graphql?search": frozenset({"searchPeerSupporters"}),
    "/graphql?report": frozenset({"submitSupportReport"}),
    "/graphql?news-and-search": frozenset({"news", "searchPeerSupporters"}),
}

async def app(scope, receive, send):
    fields = READS.get(scope["path"] + "?" + scope["query_string"].decode(), frozenset())
    with telemetry.graphql_operation("dana_whitlock_searched_therapist", fields):
        with trace.get_tracer("wnwa").start_as_current_span("POST"):  # a call it makes
            pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})

async def main():
    transport = httpx.ASGITransport(
        app=telemetry.TelemetryMiddleware(app, continue_remote=False)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        for path in ("/auth/callback?code=x&state=y", "/auth/passkey", "/enroll", "/sign-in",
                     "/conversations/x/messages", "/graphql?search", "/graphql?report",
                     "/graphql?news-and-search", "/graphql?news"):
            await client.post(path, json={})

asyncio.run(main())
telemetry.flush()
"""


def test_opted_in_traces_skip_sign_ins_and_start_on_a_coarse_clock(
    tmp_path: Path,
) -> None:
    subprocess.run([sys.executable, "-c", OPTED_IN, str(tmp_path)], check=True, cwd=ROOT)
    spans = [
        json.loads(line)
        for path in tmp_path.glob("*.spans.jsonl")
        for line in path.read_text().splitlines()
    ]
    # only the news read: its operation span and the call it made; nothing of a sign-in,
    # a passkey, an enrolment, a conversation, a search or a report, nor of any request
    assert sorted(span["name"] for span in spans) == ["POST", "query (unlisted)"]
    assert len({span["context"]["trace_id"] for span in spans}) == 1
    # metrics carry no exemplar (a sampled request's trace id and exact time)
    metrics = "".join(path.read_text() for path in tmp_path.glob("*.metrics.jsonl"))
    assert '"exemplars":[{' not in metrics.replace(" ", "")
    for span in spans:
        assert telemetry_policy.TRACEABLE not in span["attributes"]
        start = dt.datetime.fromisoformat(span["start_time"].replace("Z", "+00:00"))
        assert start.minute % 10 == 0
        assert (start.second, start.microsecond) == (0, 0)


def traced(ratio: float) -> tuple[TracerProvider, InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(root=telemetry_policy.TraceableSampler(ratio)))
    provider.add_span_processor(SimpleSpanProcessor(telemetry_policy.AllowlistSpanExporter(memory)))
    return provider, memory


TRACEABLE = {telemetry_policy.TRACEABLE: True}


def test_a_sign_in_is_never_traced_nor_what_it_calls() -> None:
    provider, memory = traced(1.0)
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("POST /auth/{rest:path}"),  # any request, any route
        tracer.start_as_current_span("POST"),  # identity asking membership
    ):
        pass
    assert memory.get_finished_spans() == ()
    with (
        tracer.start_as_current_span("query News", attributes=TRACEABLE),
        tracer.start_as_current_span("SELECT"),
    ):
        pass
    exported = memory.get_finished_spans()
    assert [span.name for span in exported] == ["SELECT", "query News"]
    assert all(telemetry_policy.TRACEABLE not in (span.attributes or {}) for span in exported)


def test_only_reads_of_what_the_network_publishes_are_traceable() -> None:
    assert telemetry_policy.traceable(frozenset({"news"}))
    assert telemetry_policy.traceable(frozenset({"networkFigures", "feeTiers"}))
    for fields in (
        frozenset(),
        frozenset({"searchPeerSupporters"}),
        frozenset({"professionals"}),
        frozenset({"submitSupportReport"}),
        frozenset({"me"}),
        frozenset({"news", "searchPeerSupporters"}),
    ):
        assert not telemetry_policy.traceable(fields), fields


def test_traces_are_sampled_when_opted_in() -> None:
    provider, memory = traced(0.25)
    tracer = provider.get_tracer("test")
    for _ in range(400):
        with tracer.start_as_current_span("query News", attributes=TRACEABLE):
            pass
    assert 40 < len(memory.get_finished_spans()) < 160


def test_exported_spans_start_on_a_coarse_clock_and_keep_their_duration() -> None:
    provider, memory = traced(1.0)
    tracer = provider.get_tracer("test")
    start = 1_790_000_123_456_789_000
    span = tracer.start_span("query News", start_time=start, attributes=TRACEABLE)
    span.end(end_time=start + 42_000_000)
    [exported] = memory.get_finished_spans()
    assert exported.start_time is not None
    assert exported.end_time is not None
    assert exported.start_time % (telemetry_policy.START_GRANULARITY_SECONDS * 10**9) == 0
    assert 0 <= start - exported.start_time < telemetry_policy.START_GRANULARITY_SECONDS * 10**9
    assert exported.end_time - exported.start_time == 42_000_000


def test_client_chosen_operation_names_never_leave_as_written() -> None:
    assert telemetry_policy.operation_label("dana_whitlock_searched_therapist") == "(unlisted)"
    assert telemetry_policy.operation_label("FindSupporters") == "FindSupporters"
    assert telemetry_policy.operation_label(None) == "(anonymous)"


def test_every_operation_the_portal_sends_has_an_allowlisted_name() -> None:
    named = re.compile(r"\b(?:query|mutation)\s+([A-Z][A-Za-z0-9_]*)")
    sent = {
        name
        for path in (ROOT / "gateway" / "portal").rglob("*")
        if path.suffix in (".html", ".js", ".py")
        for name in named.findall(path.read_text(encoding="utf-8"))
    }
    assert sent, "the portal's operations were not found"
    assert sent <= telemetry_policy.OPERATION_NAMES, sent - telemetry_policy.OPERATION_NAMES


SERIES = """
import asyncio, datetime as dt, sys
import httpx
from servicekit import telemetry
from servicekit.clock import FixedClock

clock = FixedClock(dt.datetime(2031, 3, 4, 10, 7, 30, tzinfo=dt.UTC))
telemetry.configure("directory", {"WNWA_TELEMETRY_EXPORTER": "file:" + sys.argv[1]}, clock=clock)

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})

async def main():
    transport = httpx.ASGITransport(app=telemetry.TelemetryMiddleware(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://directory.test") as client:
        clock.at += dt.timedelta(minutes=1, microseconds=123)  # the first search, a moment later
        for _ in range(10):
            await client.post("/graphql", json={})
            with telemetry.graphql_operation("FindSupporters", frozenset()):
                pass

asyncio.run(main())
clock.at += dt.timedelta(hours=2)
telemetry.flush()
"""


def test_metric_series_start_on_a_coarse_clock_and_name_no_instance(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", SERIES, str(tmp_path)], check=True, cwd=ROOT)
    batches = [
        json.loads(line)
        for path in tmp_path.glob("*.metrics.jsonl")
        for line in path.read_text().splitlines()
    ]
    points = [
        point
        for batch in batches
        for resource in batch["resource_metrics"]
        for scope in resource["scope_metrics"]
        for metric in scope["metrics"]
        for point in metric["data"]["data_points"]
    ]
    assert len(points) >= 2  # requests and the operations (durations: where ten fell together)
    step = telemetry_policy.START_GRANULARITY_SECONDS * 1_000_000_000
    # a series born at the first search would date that search to the microsecond
    assert all(point["start_time_unix_nano"] % step == 0 for point in points)
    for batch in batches:
        for resource in batch["resource_metrics"]:
            attributes = set(resource["resource"]["attributes"])
            assert attributes <= telemetry_policy.ALLOWED_RESOURCE_ATTRIBUTES
            assert "service.instance.id" not in attributes


EDGE = """
import asyncio, json, sys
from pathlib import Path
from opentelemetry import trace
from servicekit import telemetry

folder = sys.argv[1]
telemetry.configure("gateway", {"WNWA_TELEMETRY_EXPORTER": "file:" + folder,
                                "WNWA_TELEMETRY_TRACES": "1"})
from gateway.app import create_app
from gateway.settings import load
from tests.support.graphql import running

NOWHERE = "http://127.0.0.1:9"
environ = {"WNWA_ENV": "test", "WNWA_JWKS_URL": NOWHERE + "/jwks"}
for name in ("membership", "directory", "professionals", "identity"):
    environ[f"WNWA_GATEWAY_{name.upper()}_URL"] = NOWHERE + "/graphql"
CLIENTS_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"

async def main():
    async with running(create_app(load(environ))) as http:
        for _ in range(2):
            await http.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"traceparent": f"00-{CLIENTS_TRACE}-00f067aa0ba902b7-01"},
            )
        # still running: its lifespan's end flushes
        written = "".join(p.read_text() for p in Path(folder).glob("*.spans.jsonl"))
        print(json.dumps({"before_flush": written}))

asyncio.run(main())
telemetry.flush()
"""


def test_the_public_edge_never_continues_a_clients_trace_nor_exports_at_once(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", EDGE, str(tmp_path)],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    # nothing left the process right after the requests: spans leave on a fixed schedule
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"before_flush": ""}
    spans = [
        json.loads(line)
        for path in tmp_path.glob("*.spans.jsonl")
        for line in path.read_text().splitlines()
    ]
    servers = [span for span in spans if span["kind"] == "SpanKind.SERVER"]
    assert len(servers) == 2
    trace_ids = {span["context"]["trace_id"] for span in servers}
    # each request its own trace, none of them the client's
    assert len(trace_ids) == 2
    assert "0x4bf92f3577b34da6a3ce929d0e0e4736" not in trace_ids
    assert all(span["parent_id"] is None for span in servers)


OUTSIDE = """
import asyncio, sys
import aiohttp
from servicekit import telemetry
from tests.support.servers import serving

telemetry.configure("identity", {"WNWA_TELEMETRY_EXPORTER": "file:" + sys.argv[1],
                                 "WNWA_TELEMETRY_TRACES": "1"})

async def membership(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})

async def main():
    async with serving(telemetry.TelemetryMiddleware(membership)) as base:
        trace_configs = [telemetry.client_trace_config("membership")]
        async with aiohttp.ClientSession(trace_configs=trace_configs) as session:
            # what a sign-in page (never traced) asks another service
            async with session.post(base + "/graphql", json={}) as answer:
                await answer.read()

asyncio.run(main())
telemetry.flush()
"""


def test_a_call_made_outside_a_traced_request_is_traced_nowhere(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", OUTSIDE, str(tmp_path)], check=True, cwd=ROOT)
    spans = [
        json.loads(line)
        for path in tmp_path.glob("*.spans.jsonl")
        for line in path.read_text().splitlines()
    ]
    # neither the caller's client span nor the called service's server span
    assert spans == []
