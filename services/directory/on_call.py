"""Whom an officer can call, at any hour: never "nobody".

Those on call now who match the officer's filters; when none is, the filters are left out
one at a time, in a fixed order (distance, county, state, areas of support, gender,
language), until someone on call now is found, and the answer names what was left out.
When nobody anywhere is on call, those who come on call soonest: the officer's filters are
kept unless leaving some out finds someone more than an hour sooner. The time is written
in the officer's own time zone, which the question carries and nothing keeps. The
officer's own department is never added unasked: the network's promise is a peer from
another department, and the crisis lines are on the same screen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import zoneinfo
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from servicekit.graphql import FieldError, InputErrors, context_of, require_role

from . import availability
from .rules import SEARCH_ROLES
from .schema import (
    MAX_NEXT_ON_CALL,
    PeerSupporter,
    PeerSupporterFilter,
    context,
    search_filters,
)
from .search_index import NextOnCallRow, SearchFilters

# a filter kept for soonest unless leaving it out finds someone more than this sooner
SOONER_BY = dt.timedelta(hours=1)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@strawberry.enum(description="One of the officer's filters, left out to find someone.")
class RelaxedFilter(Enum):
    NEAR = "near"
    COUNTY = "county"
    STATE = "state"
    AREAS_OF_SUPPORT = "areas"
    GENDER = "gender"
    LANGUAGE = "language"


@strawberry.type(description="A supporter the officer can call: now, or from a time.")
class OnCallMatch:
    supporter: PeerSupporter
    distance_miles: float | None = strawberry.field(
        description="Miles from the ZIP code searched near, while that filter is kept."
    )
    on_call_from: str | None = strawberry.field(
        description="When they come on call, in the asker's time zone and words "
        '("6:00 a.m.", "6:00 a.m. tomorrow", "9:30 a.m. on Saturday"); null: on call now.'
    )
    minutes_until_on_call: int | None = strawberry.field(
        description="Minutes from now until then (rounded up); null: on call now."
    )


@strawberry.type(description="Whom to call: those on call now, else those on call soonest.")
class OnCallNowOrSoonest:
    on_call_now: bool = strawberry.field(
        description="True: the matches are on call now. False: nobody is, and the matches "
        "are those on call soonest (empty only when no supporter has published hours)."
    )
    relaxed: list[RelaxedFilter] = strawberry.field(
        description="The filters left out to find the matches, in the order left out; "
        "empty when they match every filter."
    )
    matches: list[OnCallMatch]
    errors: list[FieldError] = strawberry.field(
        description="Problems with the question; no matches while there are any."
    )


# the order filters are left out in: the least a caller needs first (a phone call
# reaches anywhere), the language last
_LADDER = (
    (RelaxedFilter.NEAR, "near"),
    (RelaxedFilter.COUNTY, "county"),
    (RelaxedFilter.STATE, "state"),
    (RelaxedFilter.AREAS_OF_SUPPORT, "areas"),
    (RelaxedFilter.GENDER, "gender"),
    (RelaxedFilter.LANGUAGE, "language"),
)


def relaxations(filters: SearchFilters) -> list[tuple[list[RelaxedFilter], SearchFilters]]:
    """The filters as given, then with one more left out at each step (those given only)."""
    steps: list[tuple[list[RelaxedFilter], SearchFilters]] = [([], filters)]
    for name, field in _LADDER:
        if getattr(filters, field) is None:
            continue
        relaxed, current = steps[-1]
        left_out: dict[str, Any] = {field: None}
        steps.append(([*relaxed, name], dataclasses.replace(current, **left_out)))
    return steps


def spoken_time(moment: dt.datetime, *, now: dt.datetime, time_zone: str) -> str:
    """``moment`` as the clocks of ``time_zone`` show it, said from ``now``: "6:00 a.m.",
    "noon", "midnight tonight", "6:00 a.m. tomorrow", "9:30 a.m. on Saturday", or with
    the date beyond the coming week."""
    zone = zoneinfo.ZoneInfo(time_zone)
    local = moment.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days
    if (local.hour, local.minute) == (0, 0) and days == 1:
        return "midnight tonight"
    if (local.hour, local.minute) == (12, 0):
        clock = "noon"
    else:
        hour = local.hour % 12 or 12
        clock = f"{hour}:{local.minute:02d} {'a.m.' if local.hour < 12 else 'p.m.'}"
    if days <= 0:
        return clock
    if days == 1:
        return f"{clock} tomorrow"
    weekday = _DAYS[local.weekday()]
    if days < 7:
        return f"{clock} on {weekday}"
    return f"{clock} on {weekday}, {_MONTHS[local.month - 1]} {local.day}"


def _rounded(miles: float | None) -> float | None:
    return round(miles, 1) if miles is not None else None


@strawberry.type
class OnCallQueries:
    @strawberry.field(
        description="Whom to call now: supporters on call now matching the filter; when "
        "none is, the filters left out one at a time (distance, county, state, areas of "
        "support, gender, language) until someone is, named in `relaxed`; when nobody "
        "anywhere is on call, those on call soonest (the filters kept unless leaving them "
        "out finds someone more than an hour sooner). The officer's own department only "
        "when the filter includes it. Nothing about the question is stored or logged, the "
        "time zone included."
    )
    async def on_call_now_or_soonest(
        self,
        info: Info[Any, Any],
        time_zone: Annotated[
            str,
            strawberry.argument(
                description="The asker's IANA time zone (the browser's), in which "
                "`onCallFrom` is written."
            ),
        ],
        filter: PeerSupporterFilter | None = None,
        first: Annotated[int, strawberry.argument(description="How many, 1 to 20.")] = 3,
    ) -> OnCallNowOrSoonest | None:
        principal = require_role(info, *SEARCH_ROLES)
        errors = InputErrors()
        if not 1 <= first <= MAX_NEXT_ON_CALL:
            errors.add("first", f"Ask for 1 to {MAX_NEXT_ON_CALL} supporters.")
        filters = search_filters(filter or PeerSupporterFilter(), principal, errors)
        if not availability.is_time_zone(time_zone):
            errors.add("timeZone", "Send an IANA time zone, such as America/Chicago.")
        if errors:
            return OnCallNowOrSoonest(
                on_call_now=False, relaxed=[], matches=[], errors=errors.items
            )
        now = context(info).loaders.now
        index = context(info).resources.search_index
        await index.refresh(context_of(info).pool)
        minutes = availability.zone_minutes(now)
        steps = relaxations(filters)
        day = now.astimezone(dt.UTC).date().toordinal()
        for relaxed, step in steps:
            rows = index.search(
                dataclasses.replace(step, available_now=True),
                now=now,
                minutes=minutes,
                day=day,
                after=None,
                limit=first,
            )
            if rows:
                matches = [
                    OnCallMatch(
                        supporter=PeerSupporter.from_row(row.supporter, now, available_now=True),
                        distance_miles=_rounded(row.distance_miles),
                        on_call_from=None,
                        minutes_until_on_call=None,
                    )
                    for row in rows
                ]
                return OnCallNowOrSoonest(
                    on_call_now=True, relaxed=relaxed, matches=matches, errors=[]
                )
        # nobody on call now: the widest step holds the soonest anyone comes on call
        widest = index.next_on_call(steps[-1][1], now=now, minutes=minutes, limit=first)
        if not widest:
            return OnCallNowOrSoonest(on_call_now=False, relaxed=[], matches=[], errors=[])
        latest = widest[0].next_on_call + SOONER_BY
        for relaxed, step in steps[:-1]:
            soonest = index.next_on_call(step, now=now, minutes=minutes, limit=first)
            if soonest and soonest[0].next_on_call <= latest:
                return _soonest(relaxed, soonest, now=now, time_zone=time_zone)
        return _soonest(steps[-1][0], widest, now=now, time_zone=time_zone)


def _soonest(
    relaxed: list[RelaxedFilter], rows: list[NextOnCallRow], *, now: dt.datetime, time_zone: str
) -> OnCallNowOrSoonest:
    matches = [
        OnCallMatch(
            supporter=PeerSupporter.from_row(row.supporter, now, available_now=False),
            distance_miles=_rounded(row.distance_miles),
            on_call_from=spoken_time(row.next_on_call, now=now, time_zone=time_zone),
            minutes_until_on_call=math.ceil((row.next_on_call - now).total_seconds() / 60),
        )
        for row in rows
    ]
    return OnCallNowOrSoonest(on_call_now=False, relaxed=relaxed, matches=matches, errors=[])
