"""Tracing and metrics that carry no one and date nothing.

Every process (each service, the gateway) calls :func:`configure` once at start. What it
records: :class:`TelemetryMiddleware` counts and times every HTTP request of the process
(by outcome alone: never the route, method or status) and opens a server span that continues
a caller's W3C ``traceparent`` inside the cluster, never a client's at the public edge;
:func:`graphql_operation` counts the gateway's GraphQL operations (by outcome alone) and is the
one place a trace may start, for an operation
:func:`servicekit.telemetry_policy.traceable` allows; :func:`record_query` (asyncpg queries,
by operation kind only) and :func:`client_trace_config` (aiohttp calls, which also inject
``traceparent``) add spans to a trace already started.

Nothing leaves as recorded. Metrics pass
:class:`servicekit.telemetry_release.ReleasingMetricExporter`: figures of closed hours, in
tens, on a fixed timer. Spans pass :class:`AllowlistSpanExporter` / :func:`allowed_attributes`
(only the keys in :data:`ALLOWED_ATTRIBUTES`, no event but an exception's type, no link or
status description, every string redacted, start times cut to
:data:`START_GRANULARITY_SECONDS`).

``WNWA_TELEMETRY_EXPORTER``: ``off`` (default; or ``otlp`` when ``OTEL_EXPORTER_OTLP_ENDPOINT``
is set), ``console``, ``otlp`` (OTLP/HTTP, endpoint from the standard ``OTEL_*`` variables) or
``file:<directory>`` (JSON lines, one file per process: what the privacy audit reads).

What is exported by default is those metrics only. Traces are an opt-in for debugging
(``WNWA_TELEMETRY_TRACES=<ratio>``, e.g. ``0.01``): sampled by trace, only operations that
read what the network publishes to everyone, exported in batches on a fixed schedule
(:data:`SPAN_EXPORT_SECONDS`), GraphQL operation names only from
:data:`servicekit.telemetry_policy.OPERATION_NAMES`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ParentBased,
)
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.settings import ConfigurationError, Environment
from servicekit.telemetry_policy import (
    TRACEABLE,
    AllowlistSpanExporter,
    JsonLinesMetricExporter,
    JsonLinesSpanExporter,
    TraceableSampler,
    operation_label,
    traceable,
)
from servicekit.telemetry_release import ReleasingMetricExporter

SCOPE = "wnwa"
# metrics leave each process this often, whatever the requests do (what they say changes once
# an hour: servicekit.telemetry_release)
METRIC_INTERVAL_SECONDS = 300
# request durations, in seconds: few buckets, each released in tens
DURATION_BOUNDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
# sampled spans leave in one batch a minute (or when 4,096 are waiting), whatever the requests
# do: when a batch arrives says nothing of when the request that made it came
SPAN_EXPORT_SECONDS = 60
SPAN_QUEUE = 4096
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SQL_OPERATION = re.compile(r"\s*(?:--[^\n]*\n\s*)*([A-Za-z]+)")
_SQL_KINDS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "BEGIN", "COMMIT", "ROLLBACK", "SET"}
)
_PROPAGATOR = TraceContextTextMapPropagator()


def exporter_choice(environ: Mapping[str, str] | None = None) -> str:
    """``off``, ``console``, ``otlp`` or ``file:<directory>``, from the environment."""
    env = Environment("WNWA_TELEMETRY", environ)
    environ = os.environ if environ is None else environ
    default = "otlp" if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") else "off"
    choice = env.text("EXPORTER", default).strip()
    if choice in ("off", "console", "otlp") or (choice.startswith("file:") and len(choice) > 5):
        return choice
    raise ConfigurationError(
        f"WNWA_TELEMETRY_EXPORTER must be off, console, otlp or file:<directory>, not {choice!r}"
    )


def trace_ratio(environ: Mapping[str, str] | None = None) -> float:
    """The share of traces exported: 0 (the default, no traces) up to 1."""
    text = Environment("WNWA_TELEMETRY", environ).text("TRACES", "off").strip().lower()
    if text in ("off", "0", ""):
        return 0.0
    try:
        ratio = float(text)
    except ValueError:
        ratio = math.nan
    if not 0.0 < ratio <= 1.0:
        raise ConfigurationError(
            f"WNWA_TELEMETRY_TRACES must be off or a share of traces above 0 and at most 1,"
            f" e.g. 0.01; not {text!r}"
        )
    return ratio


_enabled = False


def enabled() -> bool:
    """True once :func:`configure` installed an exporter in this process."""
    return _enabled


def configure(
    service: str, environ: Mapping[str, str] | None = None, *, clock: Clock = SYSTEM_CLOCK
) -> str:
    """Install this process's tracer and meter providers; returns the exporter chosen.

    ``clock`` says when an hour has closed, so when metric figures are released (a test
    moves a fixed one)."""
    global _enabled
    choice = exporter_choice(environ)
    ratio = trace_ratio(environ)
    if choice == "off":
        return choice
    _enabled = True
    resource = Resource.create({"service.name": f"wnwa-{service}", "service.namespace": "wnwa"})
    span_exporter: SpanExporter
    metric_exporter: MetricExporter
    if choice == "console":
        span_exporter, metric_exporter = ConsoleSpanExporter(), ConsoleMetricExporter()
    elif choice == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter, metric_exporter = OTLPSpanExporter(), OTLPMetricExporter()
    else:
        folder = Path(choice.removeprefix("file:"))
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / f"{service}-{os.getpid()}"
        span_exporter = JsonLinesSpanExporter(
            Path(f"{stem}.spans.jsonl").open("a", encoding="utf-8")  # noqa: SIM115 - process-long
        )
        metric_exporter = JsonLinesMetricExporter(
            Path(f"{stem}.metrics.jsonl").open("a", encoding="utf-8")  # noqa: SIM115
        )
    if ratio > 0:
        # a child follows its parent's decision; a root is sampled only where the policy
        # allows a trace to start (graphql_operation), so every other request's calls to
        # other services tell them "not sampled"
        sampler = ParentBased(root=TraceableSampler(ratio))
        tracer_provider = TracerProvider(resource=resource, sampler=sampler)
        processor = BatchSpanProcessor(
            AllowlistSpanExporter(span_exporter),
            max_queue_size=SPAN_QUEUE,
            max_export_batch_size=SPAN_QUEUE,
            schedule_delay_millis=SPAN_EXPORT_SECONDS * 1000,
        )
        tracer_provider.add_span_processor(processor)
        trace.set_tracer_provider(tracer_provider)
    else:
        span_exporter.shutdown()
    readers: list[MetricReader] = [
        PeriodicExportingMetricReader(
            ReleasingMetricExporter(metric_exporter, clock),
            export_interval_millis=METRIC_INTERVAL_SECONDS * 1000,
        )
    ]
    # no exemplars: they would tie a metric point to one request's trace and exact time
    metrics.set_meter_provider(
        MeterProvider(
            resource=resource, metric_readers=readers, exemplar_filter=AlwaysOffExemplarFilter()
        )
    )
    return choice


def flush() -> None:
    """Export what is pending; called as a process's app shuts down.

    uvicorn re-raises the stop signal after a graceful shutdown, so ``atexit`` hooks (where
    the SDK would flush) never run: the apps' lifespans call this instead.
    """
    tracer_provider = trace.get_tracer_provider()
    if isinstance(tracer_provider, TracerProvider):
        tracer_provider.force_flush(timeout_millis=5_000)
    meter_provider = metrics.get_meter_provider()
    if isinstance(meter_provider, MeterProvider):
        meter_provider.force_flush(timeout_millis=5_000)


class _Instruments:
    """Metric instruments, made on first use so they bind to the configured provider."""

    def __init__(self) -> None:
        meter = metrics.get_meter(SCOPE)
        self.requests = meter.create_counter(
            "wnwa.server.requests", description="Server requests of the process, by outcome."
        )
        self.duration = meter.create_histogram(
            "wnwa.server.duration",
            unit="s",
            description="Server request duration, all requests of the process.",
            explicit_bucket_boundaries_advisory=DURATION_BOUNDS,
        )
        self.operations = meter.create_counter(
            "wnwa.graphql.operations", description="GraphQL operations, by outcome."
        )


_instruments: _Instruments | None = None


def _metrics() -> _Instruments:
    global _instruments
    if _instruments is None:
        _instruments = _Instruments()
    return _instruments


def _route_template(scope: Mapping[str, Any]) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        # a mounted app's routes are relative to its mount
        return f"{scope.get('root_path', '')}{path}" or "/"
    return "(unmatched)"


class TelemetryMiddleware:
    """Counts and times every HTTP request in the process's own series (by outcome alone),
    and opens a server span: method, route template, status — nothing else. The span is
    recorded only inside a trace a caller started (:func:`graphql_operation`).

    Inside the cluster a request continues its caller's W3C ``traceparent`` (the gateway's
    call to a subgraph joins the gateway's trace). At the public edge
    (``continue_remote=False``, the gateway) a client's ``traceparent`` is never followed:
    a client sending one constant trace id must not be able to stitch its own session — sign
    in, searches, sign out — into one trace.
    """

    def __init__(self, app: Any, *, continue_remote: bool = True) -> None:
        self.app = app
        self.continue_remote = continue_remote

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        parent = Context()
        if self.continue_remote:
            carrier = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in scope.get("headers", [])
                if name in (b"traceparent", b"tracestate")
            }
            parent = _PROPAGATOR.extract(carrier)
        method = scope.get("method", "GET")
        method = method if method in _METHODS else "_OTHER"
        status = SimpleNamespace(code=500)

        async def send_with_status(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.code = int(message["status"])
            await send(message)

        tracer = trace.get_tracer(SCOPE)
        started = time.monotonic()
        # never TRACEABLE: a request is traced only as part of a trace its caller started
        with tracer.start_as_current_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                await self.app(scope, receive, send_with_status)
            except BaseException as error:
                span.set_attribute("error.type", type(error).__name__)
                span.set_status(Status(StatusCode.ERROR))
                raise
            finally:
                route = _route_template(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status.code)
                if status.code >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                # the whole process's series: no route, method or status, which would make a
                # series of one rare kind of request
                labels = _request_outcome(status.code)
                _metrics().requests.add(1, labels)
                _metrics().duration.record(time.monotonic() - started, labels)


_OK: Mapping[str, AttributeValue] = {"wnwa.outcome": "ok"}
_CLIENT_ERROR: Mapping[str, AttributeValue] = {"wnwa.outcome": "client_error"}
_SERVER_ERROR: Mapping[str, AttributeValue] = {"wnwa.outcome": "server_error"}
_FAILED: Mapping[str, AttributeValue] = {"wnwa.outcome": "error"}


def _request_outcome(status: int) -> Mapping[str, AttributeValue]:
    if status >= 500:
        return _SERVER_ERROR
    return _CLIENT_ERROR if status >= 400 else _OK


@dataclass
class OperationOutcome:
    """Set ``failed`` when the operation's answer carries errors."""

    failed: bool = False


@contextlib.contextmanager
def graphql_operation(name: str | None, root_fields: frozenset[str]) -> Iterator[OperationOutcome]:
    """Count one GraphQL operation (by outcome only) around its execution, and trace it when
    the policy lets an operation selecting ``root_fields`` be traced: then, and only then, a
    trace starts here (sampled at the configured share), and the calls it makes join it.
    Any other operation runs under the request's unsampled span, so nothing it calls traces
    it either."""
    outcome = OperationOutcome()
    try:
        if traceable(root_fields):
            label = operation_label(name)
            with trace.get_tracer(SCOPE).start_as_current_span(
                f"query {label}",
                context=Context(),
                kind=SpanKind.SERVER,
                attributes={
                    TRACEABLE: True,
                    "graphql.operation.type": "query",
                    "graphql.operation.name": label,
                },
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                yield outcome
                if outcome.failed:
                    span.set_attribute("wnwa.outcome", "error")
        else:
            yield outcome
    except BaseException:
        outcome.failed = True
        raise
    finally:
        _metrics().operations.add(1, _FAILED if outcome.failed else _OK)


def _time_ns() -> int:
    """Now, in nanoseconds since the epoch: how OpenTelemetry dates points and spans."""
    return int(SYSTEM_CLOCK.timestamp() * 1e9)


def record_query(record: Any, *, tracer_provider: trace.TracerProvider | None = None) -> None:
    """asyncpg query logger: a finished client span naming only the operation kind.

    Installed on each pooled connection (:func:`servicekit.database.create_pool`); asyncpg
    calls it in the query's own context, so the span joins the request's trace.
    """
    match = _SQL_OPERATION.match(record.query or "")
    kind = match.group(1).upper() if match else ""
    kind = kind if kind in _SQL_KINDS else "OTHER"
    end = _time_ns()
    span = trace.get_tracer(SCOPE, tracer_provider=tracer_provider).start_span(
        kind,
        kind=SpanKind.CLIENT,
        start_time=end - int(record.elapsed * 1e9),
        attributes={"db.system": "postgresql", "db.operation.name": kind},
    )
    if record.exception is not None:
        span.set_attribute("error.type", type(record.exception).__name__)
        span.set_status(Status(StatusCode.ERROR))
    span.end(end_time=end)


def _unsampled() -> NonRecordingSpan:
    """A span context no one samples, for calls made outside any traced request."""
    ids = RandomIdGenerator()
    return NonRecordingSpan(
        SpanContext(
            trace_id=ids.generate_trace_id(),
            span_id=ids.generate_span_id(),
            is_remote=False,
            trace_flags=TraceFlags(TraceFlags.DEFAULT),
        )
    )


def client_trace_config(peer: str) -> aiohttp.TraceConfig:
    """aiohttp hooks: a client span per call and ``traceparent`` sent with it.

    The span names the peer service: ``trace_request_ctx={"peer": name}`` on the call, else
    ``peer``. Never the URL (it may carry a query) or any header.
    """
    config = aiohttp.TraceConfig()

    async def on_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        if not trace.get_current_span().get_span_context().is_valid:
            # a call made outside any traced request (a sign-in page's, whose requests are
            # never traced, or housekeeping's) starts no trace, and tells the service it
            # calls not to start one either
            _PROPAGATOR.inject(params.headers, context=trace.set_span_in_context(_unsampled()))
            return
        method = params.method if params.method in _METHODS else "_OTHER"
        request_context = getattr(context, "trace_request_ctx", None)
        named = request_context.get("peer") if isinstance(request_context, Mapping) else None
        span = trace.get_tracer(SCOPE).start_span(
            method,
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": method, "wnwa.subgraph": str(named or peer)},
        )
        context.span = span
        _PROPAGATOR.inject(params.headers, context=trace.set_span_in_context(span))

    async def on_end(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        span = getattr(context, "span", None)
        if span is not None:
            span.set_attribute("http.response.status_code", params.response.status)
            span.end()

    async def on_error(
        session: aiohttp.ClientSession,
        context: Any,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        span = getattr(context, "span", None)
        if span is not None:
            span.set_attribute("error.type", type(params.exception).__name__)
            span.set_status(Status(StatusCode.ERROR))
            span.end()

    config.on_request_start.append(on_start)
    config.on_request_end.append(on_end)
    config.on_request_exception.append(on_error)
    return config
