"""When a peer supporter is available: a weekly schedule in their own time zone, plus a
manual switch ("available now" until a time, or "unavailable until" a time).

A schedule is stored as minute-of-week ranges in the supporter's local time (Monday 00:00
is minute 0), so "9 to 5 on Mondays" stays 9 to 5 across daylight-saving changes. The
current minute of week of each time zone is computed here, once per minute, and handed to
the search (search_index.py), which compares it with each supporter's ranges.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
import zoneinfo
from collections.abc import Sequence
from enum import Enum
from functools import lru_cache

import strawberry

from servicekit.graphql import InputErrors

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MAX_SLOTS = 42
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")

Span = tuple[int, int]  # [start, end) in minutes of the local week
_HOUR = dt.timedelta(hours=1)
_MINUTE = dt.timedelta(minutes=1)


def to_the_hour(moment: dt.datetime) -> dt.datetime:
    """``moment`` rounded up to the next full hour (UTC), unless it is on one already.

    A switch's end is stored this way, so the database never holds the minute a supporter
    clicked ("available now" ends four hours after the click): only the hour it ends.
    """
    utc = moment.astimezone(dt.UTC)
    floor = utc.replace(minute=0, second=0, microsecond=0)
    return floor if floor == utc else floor + _HOUR


@strawberry.enum(description="A day of the week, in the supporter's own time zone.")
class Weekday(Enum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


WEEKDAYS = list(Weekday)


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """Every IANA time zone this machine's tz database knows."""
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    return name in time_zones()


def parse_clock(value: str, *, allow_midnight_end: bool) -> int | None:
    """Minutes after midnight of ``HH:MM`` (24-hour clock); ``24:00`` only as an end."""
    match = _CLOCK.match(value.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59:
        return None
    if hours == 24 and minutes == 0 and allow_midnight_end:
        return MINUTES_PER_DAY
    if hours > 23:
        return None
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def check_schedule(
    slots: Sequence[tuple[Weekday, str, str]], field: str, errors: InputErrors
) -> list[Span] | None:
    """The slots as sorted week spans; field errors for impossible or overlapping slots.

    A slot runs from ``start`` to ``end`` on one day; one that ends before it starts is a
    night shift and runs past midnight into the next day (Sunday's into Monday's, the week
    wrapping round), so ``22:00`` to ``06:00`` is what it says.
    """
    if len(slots) > MAX_SLOTS:
        errors.add(field, f"Enter at most {MAX_SLOTS} time slots.")
        return None
    spans: list[tuple[Span, int]] = []
    ok = True
    for index, (day, start_text, end_text) in enumerate(slots):
        where = f"{field}.{index}"
        start = parse_clock(start_text, allow_midnight_end=False)
        end = parse_clock(end_text, allow_midnight_end=True)
        if start is None:
            errors.add(f"{where}.start", "Enter a time such as 09:00 (24-hour clock).")
            ok = False
        if end is None:
            errors.add(f"{where}.end", "Enter a time such as 17:30, or 24:00 for midnight.")
            ok = False
        if start is None or end is None:
            continue
        if end == start:
            errors.add(f"{where}.end", "A slot must end at another time than it starts.")
            ok = False
            continue
        first = WEEKDAYS.index(day) * MINUTES_PER_DAY + start
        # a night shift ends the next day; Sunday's ends on Monday, at the week's beginning
        last = first - start + (end if end > start else MINUTES_PER_DAY + end)
        spans.append(((first, min(last, MINUTES_PER_WEEK)), index))
        if last > MINUTES_PER_WEEK:
            spans.append(((0, last - MINUTES_PER_WEEK), index))
    spans.sort()
    for (previous, _), (current, index) in itertools.pairwise(spans):
        if current[0] < previous[1]:
            errors.add(f"{field}.{index}", "This slot overlaps another one.")
            ok = False
    return [span for span, _ in spans] if ok else None


def day_slots(spans: Sequence[Span]) -> list[tuple[Weekday, int, int]]:
    """Week spans split at midnight into (day, start, end) slots, in week order.

    The database merges touching ranges (Monday 22:00-24:00 and Tuesday 00:00-06:00 become
    one), so a stored span may cross midnight.
    """
    slots: list[tuple[Weekday, int, int]] = []
    for start, end in sorted(spans):
        position = start
        while position < end:
            day = position // MINUTES_PER_DAY
            day_end = min(end, (day + 1) * MINUTES_PER_DAY)
            base = day * MINUTES_PER_DAY
            slots.append((WEEKDAYS[day % 7], position - base, day_end - base))
            position = day_end
    return slots


def minute_of_week(moment: dt.datetime, time_zone: str) -> int:
    """The minute of the local week (Monday 00:00 = 0) at ``moment`` in ``time_zone``."""
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    return local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute


def is_available(
    *,
    spans: Sequence[Span],
    time_zone: str,
    available_until: dt.datetime | None,
    unavailable_until: dt.datetime | None,
    now: dt.datetime,
) -> bool:
    """The switch wins while it lasts ("unavailable until" first); then the schedule.

    The search computes the same thing for each profile it holds (``search_index``).
    """
    if unavailable_until is not None and now < unavailable_until:
        return False
    if available_until is not None and now < available_until:
        return True
    if not is_time_zone(time_zone):
        return False
    minute = minute_of_week(now, time_zone)
    return any(start <= minute < end for start, end in spans)


def next_on_call(
    *,
    spans: Sequence[Span],
    time_zone: str,
    available_until: dt.datetime | None,
    unavailable_until: dt.datetime | None,
    now: dt.datetime,
) -> dt.datetime | None:
    """When the supporter is next on call after ``now``: the end of their "unavailable
    until" switch if their schedule is on then, else the next start of a scheduled slot.

    None while they are on call now, and when no schedule puts them on call again. A slot
    that starts in the hour a change to summer time skips begins when the clocks jump (a
    slot from 02:30 is on call from 03:00 that night); one wholly inside it does not
    happen that night.
    """
    if is_available(
        spans=spans,
        time_zone=time_zone,
        available_until=available_until,
        unavailable_until=unavailable_until,
        now=now,
    ):
        return None
    if not spans or not is_time_zone(time_zone):
        return None
    start = unavailable_until if unavailable_until is not None and unavailable_until > now else now
    minute = minute_of_week(start, time_zone)
    if any(first <= minute < end for first, end in spans):
        return start.astimezone(dt.UTC)  # the switch ends inside a slot
    zone = zoneinfo.ZoneInfo(time_zone)
    local = start.astimezone(zone)
    monday = dt.datetime.combine(local.date() - dt.timedelta(days=local.weekday()), dt.time())
    soonest: dt.datetime | None = None
    for week in (0, 1, 2):
        for first, _ in spans:
            wall = monday + dt.timedelta(days=7 * week, minutes=first)
            moment, skipped = first_showing(wall, zone)
            if moment <= start or (soonest is not None and moment >= soonest):
                continue
            if skipped and not any(
                begin <= minute_of_week(moment, time_zone) < end for begin, end in spans
            ):
                continue  # the slot lies wholly in the hour the clocks skip
            soonest = moment
        if soonest is not None:
            return soonest
    return soonest


def first_showing(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, bool]:
    """The first moment (UTC) the clocks of ``zone`` show ``wall`` (naive) or later, and
    whether they skip ``wall`` itself: then it is the moment they jump (summer time)."""
    moment = wall.replace(tzinfo=zone).astimezone(dt.UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == wall:
        return moment, False
    # in the gap: fold 1 reads ``wall`` with the offset after the change, an earlier moment
    # whose clocks still show less; the jump lies between, found to the minute
    earlier = wall.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    low, high = 0, (moment - earlier) // _MINUTE
    while high - low > 1:
        middle = (low + high) // 2
        if (earlier + middle * _MINUTE).astimezone(zone).replace(tzinfo=None) < wall:
            low = middle
        else:
            high = middle
    return earlier + high * _MINUTE, True


def wall_clock_after(now: dt.datetime, time_zone: str, minutes: int) -> tuple[dt.datetime, bool]:
    """The moment (UTC) the clocks of ``time_zone`` first show ``minutes`` more than at
    ``now`` (to the minute), or later: where a slot ``minutes`` ahead on the weekly clock
    begins, across a change of clocks as well; and whether the clocks skip that reading
    (then the moment is their jump, and the slot may lie wholly in the hour skipped)."""
    zone = zoneinfo.ZoneInfo(time_zone)
    wall = now.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
    return first_showing(wall + dt.timedelta(minutes=minutes), zone)


def minutes_to_next_start(starts: Sequence[int], ends: Sequence[int], minute: int) -> int | None:
    """Minutes from ``minute`` of the local week to the schedule's next slot (0 inside
    one), counted on the weekly clock; None without slots. ``starts`` and ``ends`` are the
    spans' bounds, sorted and apart (a multirange)."""
    if not starts:
        return None
    position = bisect.bisect_right(starts, minute) - 1
    if position >= 0 and minute < ends[position]:
        return 0
    following = position + 1
    if following < len(starts):
        return starts[following] - minute
    return starts[0] + MINUTES_PER_WEEK - minute


def zone_minutes(now: dt.datetime) -> dict[str, int]:
    """Every known time zone's current minute of the week, made once a minute for the
    search (read only: it is shared)."""
    whole_minute = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    return _zone_minutes(whole_minute)


@lru_cache(maxsize=4)
def _zone_minutes(whole_minute: dt.datetime) -> dict[str, int]:
    return {zone: minute_of_week(whole_minute, zone) for zone in sorted(time_zones())}
