"""What telemetry may carry out of a process, and nothing more: the allowlists of attribute
keys and GraphQL operation names, the operations a trace may show, span start times cut to a
ten-minute window, the scrub every span passes before export, the sampler that starts a trace
only where this policy allows one, and the exporters that write only what passed. What metric
figures may say, and when, is :mod:`servicekit.telemetry_release`; :mod:`servicekit.telemetry`
wires both into a running process."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import IO, Any

from opentelemetry.context import Context
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import (
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import (
    Decision,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, Status
from opentelemetry.util.types import AttributeValue

from servicekit.logging import redact

# What operators need and nothing that could single out a person. Everything else is
# dropped: client address, user agent, URL with query, headers, cookies, tokens, SQL text,
# GraphQL variables, `sub`, `dept`.
ALLOWED_ATTRIBUTES = frozenset(
    {
        "service.name",
        "http.request.method",
        "http.route",
        "http.response.status_code",
        "graphql.operation.type",
        "graphql.operation.name",
        "db.system",
        "db.operation.name",
        "error.type",
        "wnwa.subgraph",
        "wnwa.outcome",
    }
)
ALLOWED_RESOURCE_ATTRIBUTES = frozenset(
    {"service.name", "service.namespace", "telemetry.sdk.language", "telemetry.sdk.name"}
)
# The GraphQL operation names the platform's own pages and GraphiQL's examples
# (gateway/playground.py) send. A client may name an operation anything (a name like
# `dana_whitlock_searched_therapist` is possible): any other name is exported as
# UNLISTED_OPERATION, never verbatim. tests/privacy/test_telemetry_policy.py checks that
# every name the portal sends is here, tests/gateway/test_playground.py the examples'.
OPERATION_NAMES = frozenset(
    {
        "Act",
        "Add",
        "AnswerSurvey",
        "AddConsortium",
        "AddLine",
        "AddResource",
        "AllNews",
        "AllResources",
        "Apply",
        "ApproveProposal",
        "BookDemo",
        "CancelDemo",
        "Carriers",
        "Challenge",
        "Civilians",
        "Consortia",
        "ConsortiumTerm",
        "Contact",
        "Contacts",
        "Coverage",
        "CoverageDepartments",
        "DemoBooking",
        "DemoSlots",
        "Department",
        "DepartmentNames",
        "Departments",
        "EditNews",
        "Enable",
        "EnrollmentCodes",
        "Fees",
        "Figures",
        "FindProfessionals",
        "FindSupporters",
        "Handled",
        "IssueCodes",
        "Languages",
        "Listing",
        "Me",
        "Mine",
        "MoveDemo",
        "MyDepartment",
        "MyMessagingProfile",
        "MyProposal",
        "NetworkLists",
        "News",
        "NextOnCall",
        "OnCallNowOrSoonest",
        "One",
        "OpenDemoSlots",
        "OwnLines",
        "Post",
        "ProfessionalsByInsurance",
        "ProposeProvider",
        "ProviderProposals",
        "Providers",
        "PublishDemoSlot",
        "PublishNews",
        "Queue",
        "RecordVisits",
        "RejectProposal",
        "Report",
        "Requirements",
        "Resources",
        "Retire",
        "RetireLine",
        "RevokePasskeys",
        "Save",
        "SetPasskeyPeriod",
        "Standing",
        "Status",
        "SupportersNearby",
        "SupporterKeys",
        "Survey",
        "SurveyResults",
        "Switch",
        "Term",
        "Toggle",
        "VettingQueue",
        "Withdraw",
        "WithdrawCodes",
        "WithdrawDemoSlot",
    }
)
UNLISTED_OPERATION = "(unlisted)"
# exported spans start on a multiple of this (their duration is kept): a trace says that
# something took so long within a ten-minute window, not the second it happened
START_GRANULARITY_SECONDS = 600
# The only operations a trace may show (when traces are opted in): queries whose every root
# field reads what the network publishes to every visitor — its news, fees and figures —
# which say nothing of who reads them. Anything else a person does is never traced: signing
# in, passkeys, conversations, reports and surveys, forms and their challenges, searches,
# profiles, one's own data, coordinators' and staff's work. A trace starts nowhere else (the
# sampler samples only spans marked TRACEABLE), so a new route or operation is untraced until
# it is listed here.
TRACED_ROOT_FIELDS = frozenset(
    {
        "__typename",
        "news",
        "newsPost",
        "feeTiers",
        "annualFeeQuoteCents",
        "membershipFigures",
        "networkFigures",
    }
)
# set, when a span starts, on the one span that may begin a trace; seen by the sampler only
TRACEABLE = "wnwa.traceable"
# an exception event keeps its type; its message and stack trace may quote data
_ALLOWED_EVENT_ATTRIBUTES = {"exception": frozenset({"exception.type"})}
_MAX_TEXT = 120


def _clean(value: Any) -> AttributeValue:
    if isinstance(value, str):
        return redact(value)[:_MAX_TEXT]
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, Sequence):
        return tuple(redact(str(item))[:_MAX_TEXT] for item in value)
    return redact(str(value))[:_MAX_TEXT]


def allowed_attributes(
    attributes: Mapping[str, Any] | None,
    allowed: frozenset[str] = ALLOWED_ATTRIBUTES,
) -> dict[str, AttributeValue]:
    """Only the allowlisted keys of ``attributes``, every string value redacted."""
    return {key: _clean(value) for key, value in (attributes or {}).items() if key in allowed}


def operation_label(name: str | None) -> str:
    """The name exported for a GraphQL operation: an allowlisted name or a fixed label."""
    if name is None:
        return "(anonymous)"
    return name if name in OPERATION_NAMES else UNLISTED_OPERATION


def traceable(root_fields: frozenset[str]) -> bool:
    """True when an operation selecting ``root_fields`` may be traced (all are listed)."""
    return bool(root_fields) and root_fields <= TRACED_ROOT_FIELDS


def coarse_start(start_ns: int) -> int:
    """``start_ns`` cut down to a multiple of :data:`START_GRANULARITY_SECONDS`."""
    step = START_GRANULARITY_SECONDS * 1_000_000_000
    return start_ns - start_ns % step


def scrub(span: ReadableSpan) -> ReadableSpan:
    """A copy of ``span`` holding only what may leave the process; its start coarsened."""
    start = span.start_time or 0
    shift = start - coarse_start(start)
    events = [
        Event(
            event.name,
            allowed_attributes(event.attributes, _ALLOWED_EVENT_ATTRIBUTES[event.name]),
            event.timestamp - shift,
        )
        for event in span.events
        if event.name in _ALLOWED_EVENT_ATTRIBUTES
    ]
    attributes = allowed_attributes(span.attributes)
    if "graphql.operation.name" in attributes:
        attributes["graphql.operation.name"] = operation_label(
            str(attributes["graphql.operation.name"])
        )
    return ReadableSpan(
        name=redact(span.name)[:_MAX_TEXT],
        context=span.context,
        parent=span.parent,
        resource=Resource(
            allowed_attributes(span.resource.attributes, ALLOWED_RESOURCE_ATTRIBUTES)
        ),
        attributes=attributes,
        events=events,
        links=(),
        kind=span.kind,
        status=Status(span.status.status_code),  # the description may quote an exception
        start_time=start - shift if span.start_time is not None else None,
        end_time=span.end_time - shift if span.end_time is not None else None,
        instrumentation_scope=span.instrumentation_scope,
    )


class AllowlistSpanExporter(SpanExporter):
    """Wraps the real exporter: spans pass :func:`scrub` before they are handed on."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([scrub(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class JsonLinesSpanExporter(SpanExporter):
    """Writes each span as one JSON line to a file of this process."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            self.out.write(json.dumps(json.loads(span.to_json()), separators=(",", ":")) + "\n")
        self.out.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.out.flush()


class JsonLinesMetricExporter(MetricExporter):
    """Writes each metrics batch as one JSON line (what the release let out)."""

    def __init__(self, out: IO[str]) -> None:
        super().__init__()
        self.out = out

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        self.out.write(json.dumps(json.loads(metrics_data.to_json()), separators=(",", ":")))
        self.out.write("\n")
        self.out.flush()
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        self.out.flush()
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self.out.flush()


class TraceableSampler(Sampler):
    """Samples, at ``ratio``, only a root span started with :data:`TRACEABLE` set: every other
    root span — any request, any route, a call outside a request — starts no trace."""

    def __init__(self, ratio: float) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if (attributes or {}).get(TRACEABLE) is not True:
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"TraceableSampler({self._ratio.get_description()})"
