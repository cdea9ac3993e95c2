"""What a process's metrics may say, and when: figures per closed hour, in tens.

A counter that moves from N to N+1 between two exports dates one request: a sign-in, a
report, a message. So no figure leaves a process as it is recorded. Whatever instrument
recorded it, every metric passes :class:`ReleasingMetricExporter`, which

- keeps only the attributes in :data:`METRIC_ATTRIBUTES` (series that then look alike are
  added up, so a series is the whole process's, never one route's or one operation's);
- takes new figures only once an hour has closed (the first export after each full hour on
  the clock; a process's first figures wait for the second), and between those sends the
  last ones again, on the exporter's own timer whatever the traffic: when figures change
  says nothing of when requests came;
- cuts every count down to a multiple of :data:`RELEASE_STEP`: a cumulative count of 47
  leaves as 40. One request moves no released figure unless it is the one that brings its
  series to the next ten, and then the figure says "ten more, some time before this hour
  closed";
- releases histograms (durations) as floored bucket counts only: count, sum, min and max
  are worked out from those buckets, never from the requests; no exemplar;
- releases nothing else: a gauge or an up-down counter (a value at an instant) and delta or
  exponential data are dropped.

What a process counted since the last release and never released is dropped when it stops.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.util.types import AttributeValue

from servicekit.clock import Clock
from servicekit.telemetry_policy import (
    ALLOWED_RESOURCE_ATTRIBUTES,
    allowed_attributes,
    coarse_start,
)

# a window of figures: the figures leave once an hour, the hour's after it closed
RELEASE_SECONDS = 3600
# every count leaves as a multiple of this
RELEASE_STEP = 10
# the only attribute a released series keeps: whether requests went well, never where
METRIC_ATTRIBUTES = frozenset({"wnwa.outcome"})

_Series = tuple[tuple[str, AttributeValue], ...]


def _series(attributes: Any) -> _Series:
    return tuple(sorted(allowed_attributes(attributes, METRIC_ATTRIBUTES).items()))


def _floor(value: float) -> int:
    return int(value // RELEASE_STEP) * RELEASE_STEP


def _released_sum(data: Sum, start_ns: int) -> Sum | None:
    if not data.is_monotonic or data.aggregation_temporality != AggregationTemporality.CUMULATIVE:
        return None
    totals: dict[_Series, float] = {}
    for point in data.data_points:
        series = _series(point.attributes)
        totals[series] = totals.get(series, 0) + point.value
    points = [
        NumberDataPoint(
            attributes=dict(series), start_time_unix_nano=start_ns, time_unix_nano=0, value=value
        )
        for series, total in sorted(totals.items())
        if (value := _floor(total))
    ]
    if not points:
        return None
    return Sum(
        data_points=points,
        aggregation_temporality=AggregationTemporality.CUMULATIVE,
        is_monotonic=True,
    )


def _bucket_edges(bounds: Sequence[float], index: int) -> tuple[float, float]:
    """Lower and upper edge of bucket ``index`` (durations: nothing below zero; the last
    bucket, which has no upper edge, is given its lower one)."""
    lower = 0.0 if index == 0 else bounds[index - 1]
    upper = bounds[index] if index < len(bounds) else lower
    return lower, upper


def histogram_point(
    attributes: dict[str, AttributeValue],
    bounds: Sequence[float],
    counts: Sequence[int],
    start_ns: int,
) -> HistogramDataPoint:
    """A histogram point from released bucket counts alone: its sum takes each bucket's
    middle, its min and max the outer edges of the buckets that hold something."""
    held = [index for index, count in enumerate(counts) if count]
    total = 0.0
    for index, count in enumerate(counts):
        lower, upper = _bucket_edges(bounds, index)
        total += count * (lower + upper) / 2
    return HistogramDataPoint(
        attributes=attributes,
        start_time_unix_nano=start_ns,
        time_unix_nano=0,
        count=sum(counts),
        sum=total,
        bucket_counts=list(counts),
        explicit_bounds=list(bounds),
        min=_bucket_edges(bounds, held[0])[0],
        max=_bucket_edges(bounds, held[-1])[1],
    )


def _released_histogram(data: Histogram, start_ns: int) -> Histogram | None:
    if data.aggregation_temporality != AggregationTemporality.CUMULATIVE:
        return None
    merged: dict[tuple[_Series, tuple[float, ...]], list[int]] = {}
    for point in data.data_points:
        key = (_series(point.attributes), tuple(point.explicit_bounds))
        counts = merged.setdefault(key, [0] * len(point.bucket_counts))
        for index, count in enumerate(point.bucket_counts):
            counts[index] += count
    points = [
        histogram_point(dict(series), bounds, floored, start_ns)
        for (series, bounds), counts in sorted(merged.items())
        if any(floored := [_floor(count) for count in counts])
    ]
    if not points:
        return None
    return Histogram(data_points=points, aggregation_temporality=AggregationTemporality.CUMULATIVE)


def _released_metric(metric: Metric, start_ns: int) -> Metric | None:
    data: Sum | Histogram | None = None
    if isinstance(metric.data, Sum):
        data = _released_sum(metric.data, start_ns)
    elif isinstance(metric.data, Histogram):
        data = _released_histogram(metric.data, start_ns)
    if data is None:
        return None
    return Metric(name=metric.name, description=metric.description, unit=metric.unit, data=data)


def _scopes(scopes: Iterable[ScopeMetrics], start_ns: int) -> list[ScopeMetrics]:
    released = []
    for scope in scopes:
        metrics = [m for m in (_released_metric(m, start_ns) for m in scope.metrics) if m]
        if metrics:
            released.append(dataclasses.replace(scope, metrics=metrics))
    return released


def release(metrics_data: MetricsData, series_start_ns: int) -> MetricsData:
    """The figures ``metrics_data`` (cumulative, as collected) may show, as described above.

    Every series starts at ``series_start_ns`` (the process's metrics start, on a coarse
    boundary), not when its first point was recorded: a series born at the process's first
    search would date that search. The resource keeps the allowlisted attributes only.
    """
    return MetricsData(
        resource_metrics=[
            ResourceMetrics(
                resource=_resource(resource_metrics.resource),
                scope_metrics=_scopes(resource_metrics.scope_metrics, series_start_ns),
                schema_url=resource_metrics.schema_url,
            )
            for resource_metrics in metrics_data.resource_metrics
        ]
    )


def _resource(resource: Resource) -> Resource:
    return Resource(allowed_attributes(resource.attributes, ALLOWED_RESOURCE_ATTRIBUTES))


def _restamped(released: MetricsData, now_ns: int) -> MetricsData:
    """``released`` sent again: the same figures, as of this export."""

    def points(data: Any) -> Any:
        stamped = [dataclasses.replace(p, time_unix_nano=now_ns) for p in data.data_points]
        return dataclasses.replace(data, data_points=stamped)

    return MetricsData(
        resource_metrics=[
            dataclasses.replace(
                resource_metrics,
                scope_metrics=[
                    dataclasses.replace(
                        scope,
                        metrics=[
                            dataclasses.replace(metric, data=points(metric.data))
                            for metric in scope.metrics
                        ],
                    )
                    for scope in resource_metrics.scope_metrics
                ],
            )
            for resource_metrics in released.resource_metrics
        ]
    )


def _next_hour(timestamp: float) -> float:
    return (math.floor(timestamp / RELEASE_SECONDS) + 1) * RELEASE_SECONDS


class ReleasingMetricExporter(MetricExporter):
    """Wraps the real exporter: each export hands it the figures of the last closed hour.

    Until a process's first release, each export carries its resource alone (the process is
    there, with nothing to say yet).
    """

    def __init__(self, inner: MetricExporter, clock: Clock) -> None:
        # cumulative series, the SDK's default: a released figure is "since the process's
        # metrics started", and flooring it carries what was cut into the next hour
        super().__init__()
        self.inner = inner
        self.clock = clock
        started = clock.timestamp()
        self.series_start_ns = coarse_start(int(started * 1e9))
        # a process's first window is a full hour at least, whenever it started
        self.next_release = _next_hour(started) + RELEASE_SECONDS
        self.released: MetricsData | None = None

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        now = self.clock.timestamp()
        if now >= self.next_release:
            self.released = release(metrics_data, self.series_start_ns)
            self.next_release = _next_hour(now)
        if self.released is None:
            figures = MetricsData(
                resource_metrics=[
                    ResourceMetrics(resource=_resource(r.resource), scope_metrics=[], schema_url="")
                    for r in metrics_data.resource_metrics
                ]
            )
        else:
            figures = _restamped(self.released, int(now * 1e9))
        return self.inner.export(figures, timeout_millis=timeout_millis)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self.inner.shutdown(timeout_millis=timeout_millis)
