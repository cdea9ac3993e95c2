"""The time, as every service asks for it: one :class:`Clock`, in UTC.

A service never reads the system's date or time itself: it is handed a clock (on its
running state and each request's context), so a test builds the service with a
:class:`FixedClock` instead of setting a date in production settings.
"""

from __future__ import annotations

import datetime as dt


class Clock:
    """The real time: ``now()`` an aware UTC datetime, ``today()`` the UTC date."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock(Clock):
    """A clock that says what it is told: ``at``, which may be moved (tests, benchmarks)."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a fixed clock needs an aware datetime")
        self.at = at

    def now(self) -> dt.datetime:
        return self.at.astimezone(dt.UTC)


SYSTEM_CLOCK = Clock()
