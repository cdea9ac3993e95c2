"""A supporter's week, worked out without a database: schedules, the switch, time zones."""

from __future__ import annotations

import datetime as dt

from servicekit.graphql import InputErrors
from services.directory.availability import (
    Weekday,
    check_schedule,
    day_slots,
    is_available,
    minutes_to_next_start,
    next_on_call,
    to_the_hour,
)

MONDAY_NINE_TO_FIVE = [(540, 1020)]  # Monday 09:00-17:00, minutes of the local week
CHICAGO = "America/Chicago"


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def test_a_night_shift_is_two_slots_and_reads_back_split_at_midnight() -> None:
    errors = InputErrors()
    spans = check_schedule(
        [(Weekday.TUESDAY, "00:00", "06:00"), (Weekday.MONDAY, "22:00", "24:00")],
        "input.schedule",
        errors,
    )
    assert not errors
    assert spans == [(1320, 1440), (1440, 1800)]
    # the database merges the two touching spans into one that crosses midnight
    assert day_slots([(1320, 1800)]) == [(Weekday.MONDAY, 1320, 1440), (Weekday.TUESDAY, 0, 360)]


def test_impossible_slots_are_named_by_their_place_in_the_input() -> None:
    errors = InputErrors()
    spans = check_schedule(
        [
            (Weekday.MONDAY, "09:00", "17:00"),
            (Weekday.MONDAY, "16:00", "18:00"),
            (Weekday.FRIDAY, "24:00", "08:00"),
            (Weekday.SUNDAY, "10:00", "10:00"),
        ],
        "s",
        errors,
    )
    assert spans is None
    assert [item.field for item in errors.items] == ["s.2.start", "s.3.end", "s.1"]


def test_nine_to_five_stays_nine_to_five_across_the_change_to_summer_time() -> None:
    def available(now: dt.datetime) -> bool:
        return is_available(
            spans=MONDAY_NINE_TO_FIVE,
            time_zone=CHICAGO,
            available_until=None,
            unavailable_until=None,
            now=now,
        )

    assert available(utc(2026, 3, 2, 15, 0))  # Monday 09:00 CST
    assert not available(utc(2026, 3, 2, 14, 30))  # 08:30 CST
    assert available(utc(2026, 3, 9, 14, 0))  # Monday 09:00 CDT, after the change
    assert not available(utc(2026, 3, 9, 22, 0))  # 17:00 CDT: the slot has ended


def test_the_switch_wins_while_it_lasts_unavailable_first() -> None:
    sunday_noon = utc(2026, 3, 8, 18, 0)  # outside the schedule
    later = sunday_noon + dt.timedelta(hours=2)

    def available(until: dt.datetime | None, unavailable_until: dt.datetime | None) -> bool:
        return is_available(
            spans=MONDAY_NINE_TO_FIVE,
            time_zone=CHICAGO,
            available_until=until,
            unavailable_until=unavailable_until,
            now=sunday_noon,
        )

    assert available(later, None)
    assert not available(later, later)
    assert not available(sunday_noon, None)  # a switch that has just ended


def test_a_switch_ends_on_a_whole_hour() -> None:
    assert to_the_hour(utc(2026, 3, 2, 14, 1)) == utc(2026, 3, 2, 15, 0)
    assert to_the_hour(utc(2026, 3, 2, 15, 0)) == utc(2026, 3, 2, 15, 0)


def test_next_on_call_is_the_next_slot_in_the_supporters_own_zone() -> None:
    def following(now: dt.datetime, **switch: dt.datetime) -> dt.datetime | None:
        return next_on_call(
            spans=MONDAY_NINE_TO_FIVE,
            time_zone=CHICAGO,
            available_until=switch.get("available_until"),
            unavailable_until=switch.get("unavailable_until"),
            now=now,
        )

    sunday_night = utc(2026, 3, 2, 4, 20)  # Sunday 22:20 CST
    assert following(sunday_night) == utc(2026, 3, 2, 15, 0)  # Monday 09:00 CST
    assert following(utc(2026, 3, 2, 16, 0)) is None  # on call now
    assert following(utc(2026, 3, 2, 23, 30)) == utc(2026, 3, 9, 14, 0)  # 09:00 CDT next week
    # switched on outside the hours: on call now; switched off inside them: back at its end
    assert following(sunday_night, available_until=utc(2026, 3, 2, 6, 0)) is None
    back = utc(2026, 3, 2, 18, 0)  # Monday 12:00 CST, inside the slot
    assert following(utc(2026, 3, 2, 16, 0), unavailable_until=back) == back
    past_the_slot = utc(2026, 3, 3, 1, 0)  # Monday 19:00 CST
    assert following(utc(2026, 3, 2, 16, 0), unavailable_until=past_the_slot) == utc(
        2026, 3, 9, 14, 0
    )
    assert (
        next_on_call(
            spans=[],
            time_zone=CHICAGO,
            available_until=None,
            unavailable_until=None,
            now=sunday_night,
        )
        is None
    )


def test_minutes_to_the_next_slot_wrap_round_the_week() -> None:
    starts, ends = [540, 2000], [1020, 2100]
    assert minutes_to_next_start(starts, ends, 600) == 0
    assert minutes_to_next_start(starts, ends, 100) == 440
    assert minutes_to_next_start(starts, ends, 1020) == 980
    assert minutes_to_next_start(starts, ends, 10_000) == 540 + 10_080 - 10_000
    assert minutes_to_next_start([], [], 0) is None


SUNDAY = 6 * 1440  # Sunday 00:00, in minutes of the local week


def test_a_slot_that_ends_before_it_starts_runs_past_midnight() -> None:
    errors = InputErrors()
    spans = check_schedule(
        [(Weekday.MONDAY, "22:00", "06:00"), (Weekday.SUNDAY, "22:00", "06:00")], "s", errors
    )
    assert not errors
    # Monday night into Tuesday; Sunday night into the next Monday (the week wraps round)
    assert spans == [(0, 360), (1320, 1800), (SUNDAY + 1320, SUNDAY + 1440)]
    assert day_slots(spans) == [
        (Weekday.MONDAY, 0, 360),
        (Weekday.MONDAY, 1320, 1440),
        (Weekday.TUESDAY, 0, 360),
        (Weekday.SUNDAY, 1320, 1440),
    ]
    # 22:00 to 00:00 is 22:00 to midnight
    errors = InputErrors()
    assert check_schedule([(Weekday.FRIDAY, "22:00", "00:00")], "s", errors) == [
        (4 * 1440 + 1320, 5 * 1440)
    ]
    # a night shift still may not overlap the next morning's slot, nor end as it starts
    errors = InputErrors()
    overlapping = [(Weekday.MONDAY, "22:00", "06:00"), (Weekday.TUESDAY, "05:00", "09:00")]
    assert check_schedule(overlapping, "s", errors) is None
    assert [item.field for item in errors.items] == ["s.1"]
    errors = InputErrors()
    assert check_schedule([(Weekday.MONDAY, "09:00", "09:00")], "s", errors) is None
    assert [item.field for item in errors.items] == ["s.0.end"]


def test_a_night_shift_holds_through_both_changes_of_the_clocks() -> None:
    errors = InputErrors()
    saturday_night = check_schedule([(Weekday.SATURDAY, "22:00", "06:00")], "s", errors)
    assert saturday_night is not None

    def available(now: dt.datetime) -> bool:
        return is_available(
            spans=saturday_night,
            time_zone=CHICAGO,
            available_until=None,
            unavailable_until=None,
            now=now,
        )

    # Sunday 2 November 2025: 02:00 CDT falls back to 01:00 CST (07:00 UTC)
    assert available(utc(2025, 11, 2, 3, 0))  # Saturday 22:00 CDT
    assert available(utc(2025, 11, 2, 6, 30))  # 01:30 CDT
    assert available(utc(2025, 11, 2, 7, 30))  # 01:30 CST, the hour again
    assert available(utc(2025, 11, 2, 11, 59))  # 05:59 CST
    assert not available(utc(2025, 11, 2, 12, 0))  # 06:00 CST: the shift is over
    # Sunday 8 March 2026: 02:00 CST springs forward to 03:00 CDT (08:00 UTC)
    assert available(utc(2026, 3, 8, 7, 59))  # 01:59 CST
    assert available(utc(2026, 3, 8, 8, 0))  # 03:00 CDT
    assert available(utc(2026, 3, 8, 10, 59))  # 05:59 CDT
    assert not available(utc(2026, 3, 8, 11, 0))  # 06:00 CDT
    assert not available(utc(2026, 3, 8, 3, 59))  # Saturday 21:59 CST


def test_a_slot_the_clocks_skip_begins_when_they_jump() -> None:
    # Sunday 8 March 2026 in Chicago: 02:00 CST jumps to 03:00 CDT (08:00 UTC)
    saturday = utc(2026, 3, 7, 18, 0)

    def following(spans: list[tuple[int, int]]) -> dt.datetime | None:
        return next_on_call(
            spans=spans,
            time_zone=CHICAGO,
            available_until=None,
            unavailable_until=None,
            now=saturday,
        )

    # 02:30 to 05:00: on call from the jump (03:00 CDT), not half an hour after it
    half_past_two = [(SUNDAY + 150, SUNDAY + 300)]
    jump = utc(2026, 3, 8, 8, 0)
    assert following(half_past_two) == jump
    assert is_available(
        spans=half_past_two,
        time_zone=CHICAGO,
        available_until=None,
        unavailable_until=None,
        now=jump,
    )
    # 02:00 to 03:00 does not happen that night: next Sunday's, 02:00 CDT
    assert following([(SUNDAY + 120, SUNDAY + 180)]) == utc(2026, 3, 15, 7, 0)
    # the hour that repeats in autumn: the first 01:30 (CDT)
    assert next_on_call(
        spans=[(SUNDAY + 90, SUNDAY + 100)],
        time_zone=CHICAGO,
        available_until=None,
        unavailable_until=None,
        now=utc(2025, 11, 1, 18, 0),
    ) == utc(2025, 11, 2, 6, 30)
