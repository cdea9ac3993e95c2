"""On-call coverage: for each hour of the week, how many peer supporters' published weekly
schedules put them on call network-wide, within a region, and of one department — and which
hours have nobody.

Built from the schedules alone (what each supporter published in their profile): no officer's
data, no switch of the moment, and nothing about who asked is kept. Coordinators see their
own department's view; network admins any department's, or none.

A supporter counts for an hour when their schedule covers all of it. The hours are those of
the current week in the time zone asked for, each matched to every supporter's own local
time, so "Sunday 02:00 in Chicago" is 03:00 for a supporter in New York.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from servicekit import geo, validation
from servicekit.graphql import (
    FieldError,
    Forbidden,
    InputErrors,
    context_of,
    parse_id,
    require_role,
)

from . import availability, rules
from .availability import MINUTES_PER_WEEK, WEEKDAYS, Span, Weekday
from .schema import NearZipCode, context
from .store import SupporterRow

HOURS_PER_WEEK = 7 * 24
DEFAULT_TIME_ZONE = "America/Chicago"  # the network's home; the portal sends the device's


# -- the counting, without GraphQL -----------------------------------------------------------


def hour_starts(time_zone: str, now: dt.datetime) -> list[dt.datetime]:
    """The start (UTC) of each hour of the week holding ``now`` in ``time_zone``: Monday
    00:00 first, 168 of them, each named by its local day and hour."""
    zone = zoneinfo.ZoneInfo(time_zone)
    local = now.astimezone(zone)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return [
        dt.datetime.combine(
            monday + dt.timedelta(days=hour // 24), dt.time(hour % 24), tzinfo=zone
        ).astimezone(dt.UTC)
        for hour in range(HOURS_PER_WEEK)
    ]


def whole_hour_starts(spans: Sequence[Span]) -> list[Span]:
    """The local minutes of the week at which a whole hour on call begins, as half-open
    ranges: a span [s, e) of an hour or more gives [s, e - 59). A span running to Sunday
    24:00 and one from Monday 00:00 are one shift across the week's end."""
    cyclic = sorted(spans)
    if len(cyclic) > 1 and cyclic[0][0] == 0 and cyclic[-1][1] == MINUTES_PER_WEEK:
        first, last = cyclic[0], cyclic[-1]
        cyclic = [*cyclic[1:-1], (last[0], MINUTES_PER_WEEK + first[1])]
    if cyclic == [(0, MINUTES_PER_WEEK)]:
        return [(0, MINUTES_PER_WEEK)]
    ranges: list[Span] = []
    for start, end in cyclic:
        if end - start < 60:
            continue
        stop = end - 59
        if stop <= MINUTES_PER_WEEK:
            ranges.append((start, stop))
        else:  # across the week's end
            ranges.extend([(start, MINUTES_PER_WEEK), (0, stop - MINUTES_PER_WEEK)])
    return ranges


class _Tally:
    """Per time zone, how many supporters are on call for the whole hour starting at each
    local minute of the week (a difference array, summed once)."""

    def __init__(self) -> None:
        self._steps: dict[str, list[int]] = {}

    def add(self, time_zone: str, ranges: Sequence[Span]) -> None:
        """One supporter, by the ranges of minutes at which a whole hour on call begins."""
        steps = self._steps.get(time_zone)
        if steps is None:
            steps = self._steps[time_zone] = [0] * (MINUTES_PER_WEEK + 1)
        for start, stop in ranges:
            steps[start] += 1
            steps[stop] -= 1

    def per_hour(self, starts: Sequence[dt.datetime]) -> list[int]:
        counts = [0] * len(starts)
        for time_zone, steps in self._steps.items():
            on_call = list(itertools.accumulate(steps))
            for index, start in enumerate(starts):
                counts[index] += on_call[availability.minute_of_week(start, time_zone)]
        return counts


@dataclass(frozen=True, slots=True)
class Region:
    """Within reach: a state, or some miles of a ZIP code's centroid."""

    state: str | None = None
    near: tuple[float, float, float] | None = None  # latitude, longitude, miles

    def holds(self, row: SupporterRow) -> bool:
        if self.state is not None:
            return row.state == self.state
        assert self.near is not None
        latitude, longitude, miles = self.near
        return geo.distance_miles(latitude, longitude, row.latitude, row.longitude) <= miles


@dataclass(frozen=True, slots=True)
class Coverage:
    starts: list[dt.datetime]
    network: list[int]
    region: list[int] | None
    department: list[int] | None


def count_coverage(
    profiles: Iterable[SupporterRow],
    starts: Sequence[dt.datetime],
    *,
    region: Region | None,
    department: UUID | None,
) -> Coverage:
    """How many of ``profiles`` are scheduled on call for each hour beginning at ``starts``:
    all of them, those within ``region``, those of ``department``."""
    network, within, own = _Tally(), _Tally(), _Tally()
    known: dict[tuple[Span, ...], list[Span]] = {}  # shifts repeat: each worked out once
    for row in profiles:
        if not row.spans or not availability.is_time_zone(row.time_zone):
            continue
        spans = tuple(row.spans)
        ranges = known.get(spans)
        if ranges is None:
            ranges = known[spans] = whole_hour_starts(spans)
        network.add(row.time_zone, ranges)
        if region is not None and region.holds(row):
            within.add(row.time_zone, ranges)
        if department is not None and row.department_id == department:
            own.add(row.time_zone, ranges)
    return Coverage(
        starts=list(starts),
        network=network.per_hour(starts),
        region=within.per_hour(starts) if region is not None else None,
        department=own.per_hour(starts) if department is not None else None,
    )


def runs(hours: Iterable[bool]) -> list[tuple[int, int]]:
    """The (first hour, number of hours) of each run of True hours, in week order."""
    found: list[tuple[int, int]] = []
    for flag, group in itertools.groupby(enumerate(hours), key=lambda item: item[1]):
        if flag:
            members = list(group)
            found.append((members[0][0], len(members)))
    return found


# -- GraphQL ----------------------------------------------------------------------------------


@strawberry.type(description="One hour of the week, in the time zone asked for.")
class CoverageHour:
    day: Weekday
    hour: int = strawberry.field(description="0 to 23, local.")
    starts_at: dt.datetime
    network: int = strawberry.field(description="Supporters scheduled on call network-wide.")
    region: int | None = strawberry.field(
        description="Of those, within the region asked for (null without one)."
    )
    department: int | None = strawberry.field(
        description="Of those, the department's own (null without a department)."
    )


@strawberry.type(description="Consecutive hours of the week.")
class HourRange:
    day: Weekday
    start: str = strawberry.field(description="Local `HH:MM` it begins.")
    end_day: Weekday
    end: str = strawberry.field(description="Local `HH:MM` it ends (`24:00`: midnight).")
    hours: int


@strawberry.type(
    description="Who is scheduled on call for each hour of this week, from published "
    "schedules only."
)
class OnCallCoverage:
    time_zone: str
    week_of: dt.date | None = strawberry.field(description="The Monday the week starts on.")
    hours: list[CoverageHour]
    network_gaps: list[HourRange] = strawberry.field(
        description="Hours with nobody scheduled on call anywhere in the network."
    )
    region_gaps: list[HourRange] = strawberry.field(
        description="Hours with nobody scheduled within the region (empty without one)."
    )
    department_fills: list[HourRange] = strawberry.field(
        description="Hours that only the department's own supporters cover, in the region "
        "(or the network without one): without them, nobody would be on call."
    )
    errors: list[FieldError]


def _ranges(found: list[tuple[int, int]]) -> list[HourRange]:
    ranges = []
    for first, count in found:
        last = first + count  # the hour after the run
        end_day, end_hour = divmod(last, 24)
        if end_hour == 0 and end_day > 0:  # ends at midnight: "24:00" of the day before
            end_day, end_hour = end_day - 1, 24
        ranges.append(
            HourRange(
                day=WEEKDAYS[first // 24],
                start=f"{first % 24:02d}:00",
                end_day=WEEKDAYS[end_day],
                end=f"{end_hour:02d}:00",
                hours=count,
            )
        )
    return ranges


def _refused(time_zone: str, errors: InputErrors) -> OnCallCoverage:
    return OnCallCoverage(
        time_zone=time_zone,
        week_of=None,
        hours=[],
        network_gaps=[],
        region_gaps=[],
        department_fills=[],
        errors=errors.items,
    )


@strawberry.type
class CoverageQueries:
    @strawberry.field(
        description="For each hour of this week, how many peer supporters are scheduled on "
        "call network-wide, within a region (a state, or miles of a ZIP code) and of a "
        "department, and which hours have nobody. From published schedules only. "
        "Coordinators: their own department (the default); network admins: any, or none."
    )
    async def on_call_coverage(
        self,
        info: Info[Any, Any],
        time_zone: Annotated[
            str, strawberry.argument(description="IANA zone the hours are named in.")
        ] = DEFAULT_TIME_ZONE,
        department_id: strawberry.ID | None = None,
        state: str | None = None,
        near: NearZipCode | None = None,
    ) -> OnCallCoverage | None:
        principal = require_role(info, "coordinator", "network_admin")
        department = parse_id(department_id) if department_id is not None else None
        if department_id is not None and department is None:
            raise Forbidden("There is no department with this id that you may see.")
        if not principal.has_role("network_admin"):
            own = parse_id(principal.department_id)
            if own is None:
                raise Forbidden("Your sign-in names no department.")
            if department is not None and department != own:
                raise Forbidden("Coordinators see their own department's coverage only.")
            department = own
        errors = InputErrors()
        if not availability.is_time_zone(time_zone):
            errors.add("timeZone", "Use an IANA time zone such as America/Chicago.")
        if state is not None and near is not None:
            errors.add("near", "Choose a state or a distance from a ZIP code, not both.")
        region: Region | None = None
        if state is not None:
            code = validation.state_code(state, "state", errors)
            region = Region(state=code) if code else None
        elif near is not None:
            found = rules.search_near(near.zip_code, near.within_miles, errors, field="near")
            region = Region(near=found[:3]) if found else None
        if errors:
            return _refused(time_zone, errors)
        now = context(info).loaders.now
        supporters = context(info).resources.search_index
        await supporters.refresh(context_of(info).pool)
        starts = hour_starts(time_zone, now)
        counted = count_coverage(
            supporters.profiles(), starts, region=region, department=department
        )
        reach = counted.region if counted.region is not None else counted.network
        fills = (
            runs(
                mine > 0 and total == mine
                for mine, total in zip(counted.department, reach, strict=True)
            )
            if counted.department is not None
            else []
        )
        return OnCallCoverage(
            time_zone=time_zone,
            week_of=starts[0].astimezone(zoneinfo.ZoneInfo(time_zone)).date(),
            hours=[
                CoverageHour(
                    day=WEEKDAYS[index // 24],
                    hour=index % 24,
                    starts_at=start,
                    network=counted.network[index],
                    region=counted.region[index] if counted.region is not None else None,
                    department=counted.department[index]
                    if counted.department is not None
                    else None,
                )
                for index, start in enumerate(starts)
            ],
            network_gaps=_ranges(runs(count == 0 for count in counted.network)),
            region_gaps=_ranges(runs(count == 0 for count in counted.region))
            if counted.region is not None
            else [],
            department_fills=_ranges(fills),
            errors=[],
        )
