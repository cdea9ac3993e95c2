"""The time, as every service asks for it: one :class:`Clock`, in UTC.

A service never reads the system's date or time itself: it is handed a clock (on its
running state and each request's context), so a test builds the service with a
:class:`FixedClock` instead of setting a date in production settings. This module is the
one place that reads the system's time; ruff's banned-api rule (pyproject.toml) refuses
``time.time()``, ``datetime.now()`` and the like everywhere else. Durations are another
matter: ``time.monotonic()`` and ``time.perf_counter()`` measure how long something took
(a cache's age, a timeout) and never say what time it is, so they are read directly.
"""

from __future__ import annotations

import datetime as dt
import time


class Clock:
    """The real time: ``now()`` an aware UTC datetime, ``today()`` the UTC date,
    ``timestamp()`` seconds since the epoch (what tokens and cookies carry)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().date()

    def timestamp(self) -> float:
        # the system's clock read directly: a token is checked on every request
        return time.time()


class FixedClock(Clock):
    """A clock that says what it is told: ``at``, which may be moved (tests, benchmarks)."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a fixed clock needs an aware datetime")
        self.at = at

    def now(self) -> dt.datetime:
        return self.at.astimezone(dt.UTC)

    def timestamp(self) -> float:
        return self.at.timestamp()


SYSTEM_CLOCK = Clock()
