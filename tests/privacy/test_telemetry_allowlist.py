"""The telemetry allowlist: whatever instrumentation records, only allowed keys leave."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from servicekit import telemetry, telemetry_policy
from servicekit.settings import ConfigurationError

SECRET_VALUES = (
    "dana.whitlock@harlow-park.pd.example",
    "203.0.113.7",
    "Mozilla/5.0 (X11; Linux x86_64)",
    "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
    "q2Vx9mJ0bQ4uX1rT8wYk3pL6sN7dF5gH2jA0cE9vB1z",
    "SELECT * FROM peer_supporters WHERE owner_subject = 'q2Vx9'",
)


def leaky_span(provider: TracerProvider) -> None:
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("POST /graphql") as span:
        span.set_attributes(
            {
                "http.request.method": "POST",
                "http.route": "/graphql",
                "client.address": "203.0.113.7",
                "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64)",
                "url.full": "http://127.0.0.1:8000/graphql?email=dana.whitlock@harlow-park.pd.example",
                "http.request.header.authorization": f"Bearer {SECRET_VALUES[3]}",
                "enduser.id": "q2Vx9mJ0bQ4uX1rT8wYk3pL6sN7dF5gH2jA0cE9vB1z",
                "db.statement": "SELECT * FROM peer_supporters WHERE owner_subject = 'q2Vx9'",
                "graphql.document": "{ a }",
                # an allowed key carrying an identifier anyway: redacted
                "graphql.operation.name": "dana.whitlock@harlow-park.pd.example",
            }
        )
        span.add_event("log", {"message": "signed in dana.whitlock@harlow-park.pd.example"})
        span.record_exception(ValueError("no profile for 203.0.113.7"))
        span.set_status(
            Status(StatusCode.ERROR, "owner q2Vx9mJ0bQ4uX1rT8wYk3pL6sN7dF5gH2jA0cE9vB1z")
        )


def test_only_allowlisted_keys_and_no_identifier_leave_the_process() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry_policy.AllowlistSpanExporter(memory)))
    leaky_span(provider)
    [span] = memory.get_finished_spans()
    assert set(span.attributes or {}) == {
        "http.request.method",
        "http.route",
        "graphql.operation.name",
    }
    assert [event.name for event in span.events] == ["exception"]
    assert dict(span.events[0].attributes or {}) == {"exception.type": "ValueError"}
    assert span.status.status_code is StatusCode.ERROR
    assert not span.status.description
    exported = span.to_json()
    for value in SECRET_VALUES:
        assert value not in exported
    # a name the client chose is never exported as written
    assert (span.attributes or {})["graphql.operation.name"] == telemetry_policy.UNLISTED_OPERATION


def test_without_the_allowlist_the_same_span_would_leak() -> None:
    # the control: proves the test above exercises real leaks, not an empty span
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    leaky_span(provider)
    exported = memory.get_finished_spans()[0].to_json()
    assert all(value in exported for value in SECRET_VALUES[:5])


def test_json_lines_file_exporter_writes_one_scrubbed_span_per_line() -> None:
    out = io.StringIO()
    provider = TracerProvider()
    exporter = telemetry_policy.AllowlistSpanExporter(telemetry_policy.JsonLinesSpanExporter(out))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    leaky_span(provider)
    leaky_span(provider)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    span = json.loads(lines[0])
    assert span["name"] == "POST /graphql"
    assert "client.address" not in span["attributes"]


def test_a_query_span_names_the_operation_kind_only() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry_policy.AllowlistSpanExporter(memory)))
    record = SimpleNamespace(
        query="\n  -- who owns it\n  select * from peer_supporters where owner_subject = $1",
        args=("q2Vx9mJ0bQ4uX1rT8wYk3pL6sN7dF5gH2jA0cE9vB1z",),
        elapsed=0.002,
        exception=None,
    )
    telemetry.record_query(record, tracer_provider=provider)
    [span] = memory.get_finished_spans()
    assert span.name == "SELECT"
    assert dict(span.attributes or {}) == {"db.system": "postgresql", "db.operation.name": "SELECT"}
    assert "q2Vx9" not in span.to_json()
    assert "peer_supporters" not in span.to_json()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "off"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "otlp"),
        ({"WNWA_TELEMETRY_EXPORTER": "console"}, "console"),
        ({"WNWA_TELEMETRY_EXPORTER": "file:/tmp/spans"}, "file:/tmp/spans"),
    ],
)
def test_the_exporter_is_chosen_by_environment(environ: dict[str, str], expected: str) -> None:
    assert telemetry.exporter_choice(environ) == expected


def test_an_unknown_exporter_is_refused_with_the_variable_named() -> None:
    with pytest.raises(ConfigurationError, match="WNWA_TELEMETRY_EXPORTER"):
        telemetry.exporter_choice({"WNWA_TELEMETRY_EXPORTER": "jaeger"})
