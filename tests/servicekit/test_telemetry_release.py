"""Metric figures leave per closed hour, in tens, one series per process: whatever an
instrument records, one request moves no exported figure unless it completes a ten, and
figures change only when an hour has closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource

from servicekit.clock import FixedClock
from servicekit.telemetry_release import RELEASE_STEP, ReleasingMetricExporter

START = dt.datetime(2031, 3, 4, 10, 20, 30, tzinfo=dt.UTC)
ROUTES = ("/graphql", "/auth/{rest:path}", "/conversations/{rest:path}")


class Captured(MetricExporter):
    """What the real exporter would have been handed, export by export."""

    def __init__(self) -> None:
        super().__init__()
        self.exports: list[MetricsData] = []

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        self.exports.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        pass


class Process:
    """A process's meter behind the releasing exporter, on a clock the test moves."""

    def __init__(self) -> None:
        self.clock = FixedClock(START)
        self.captured = Captured()
        reader = PeriodicExportingMetricReader(
            ReleasingMetricExporter(self.captured, self.clock),
            export_interval_millis=3_600_000,  # the test exports, when it says
        )
        self.provider = MeterProvider(
            resource=Resource({"service.name": "wnwa-directory", "host.name": "node-7"}),
            metric_readers=[reader],
            exemplar_filter=AlwaysOffExemplarFilter(),
        )
        meter = self.provider.get_meter("wnwa")
        self.requests = meter.create_counter("wnwa.server.requests")
        self.duration = meter.create_histogram(
            "wnwa.server.duration", unit="s", explicit_bucket_boundaries_advisory=(0.01, 0.1, 1)
        )
        self.in_flight = meter.create_up_down_counter("wnwa.in_flight")
        self.last_seen = meter.create_gauge("wnwa.last_seen")

    def request(self, route: str, seconds: float = 0.004, outcome: str = "ok") -> None:
        # what a careless instrument would record: the route and an operation's name
        labels = {"wnwa.outcome": outcome, "http.route": route, "graphql.operation.name": "Report"}
        self.requests.add(1, labels)
        self.duration.record(seconds, labels)
        self.in_flight.add(1)
        self.last_seen.set(self.clock.timestamp())

    def export(self, *, hours: float = 0) -> list[tuple[str, dict[str, Any], Any]]:
        """Move the clock, export once; every point exported, without its time."""
        self.clock.at += dt.timedelta(hours=hours)
        self.provider.force_flush()
        return figures(self.captured.exports[-1])

    def close(self) -> None:
        self.provider.shutdown()


def figures(data: MetricsData) -> list[tuple[str, dict[str, Any], Any]]:
    found = []
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value: Any = getattr(point, "value", None)
                    if isinstance(point, HistogramDataPoint):
                        value = (point.count, list(point.bucket_counts), point.sum)
                    found.append((metric.name, dict(point.attributes or {}), value))
    return sorted(found, key=repr)


def requests_total(found: Sequence[tuple[str, dict[str, Any], Any]]) -> int:
    return sum(value for name, _, value in found if name == "wnwa.server.requests")


def test_one_request_moves_no_released_figure_below_a_ten() -> None:
    quiet, acted = Process(), Process()
    try:
        for process in (quiet, acted):
            for number in range(23):
                process.request(ROUTES[number % 2])
        acted.request("/conversations/{rest:path}", seconds=3.2)  # one message, a slow one
        for process in (quiet, acted):
            process.export(hours=2)
        assert quiet.export() == acted.export()
        assert requests_total(quiet.export()) == 20
    finally:
        quiet.close()
        acted.close()


def test_figures_change_only_once_an_hour_has_closed_and_the_first_wait_an_hour() -> None:
    process = Process()
    try:
        for _ in range(12):
            process.request("/graphql")
        # started at 10:20: not at 11:00 (a window of forty minutes), at 12:00
        assert process.export() == []
        assert process.export(hours=0.7) == []
        assert requests_total(process.export(hours=1)) == 10
        for _ in range(30):
            process.request("/graphql")
        # the new requests wait for their hour; the figures are sent again meanwhile
        assert requests_total(process.export(hours=0.1)) == 10
        assert requests_total(process.export(hours=0.5)) == 10
        assert requests_total(process.export(hours=0.5)) == 40  # 42, in tens
        # every export, released or not, still says which process it is, and nothing more
        for data in process.captured.exports:
            [resource] = data.resource_metrics
            assert dict(resource.resource.attributes) == {"service.name": "wnwa-directory"}
    finally:
        process.close()


def test_a_series_is_the_whole_process_and_nothing_instantaneous_leaves() -> None:
    process = Process()
    try:
        for number in range(30):
            process.request(ROUTES[number % 3])
        process.request("/graphql", outcome="server_error")
        found = process.export(hours=2)
        names = {name for name, _, _ in found}
        # an up-down counter and a gauge say what was so at one instant: never released
        assert names == {"wnwa.server.requests", "wnwa.server.duration"}
        # every route and operation name folded into the process's series; the one failed
        # request is below a ten, so its series does not even appear
        assert [attributes for _, attributes, _ in found] == [{"wnwa.outcome": "ok"}] * 2
    finally:
        process.close()


def test_released_durations_are_buckets_in_tens_and_nothing_finer() -> None:
    process = Process()
    try:
        for _ in range(14):
            process.request("/graphql", seconds=0.004)
        for _ in range(10):
            process.request("/graphql", seconds=0.3)
        process.request("/auth/{rest:path}", seconds=7.9)  # one slow sign-in
        process.export(hours=2)
        [resource] = process.captured.exports[-1].resource_metrics
        [scope] = resource.scope_metrics
        [histogram] = [m for m in scope.metrics if m.name == "wnwa.server.duration"]
        [point] = histogram.data.data_points
        assert isinstance(point, HistogramDataPoint)
        assert list(point.bucket_counts) == [10, 0, 10, 0]
        assert point.count == 20
        assert point.sum == 10 * 0.005 + 10 * 0.55  # each bucket's middle
        assert (point.min, point.max) == (0.0, 1.0)  # the edges of the buckets that hold any
        assert not point.exemplars
        assert all(count % RELEASE_STEP == 0 for count in point.bucket_counts)
    finally:
        process.close()
