"""The forms' token bucket: a burst at once, then a steady refill over time."""

from __future__ import annotations

import pytest

from servicekit.ratelimit import FormRateLimit, RateLimited


class Ticking:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_a_steady_refill() -> None:
    clock = Ticking()
    limit = FormRateLimit(form="applications", burst=2, per_hour=6, clock=clock)
    limit.take()
    limit.take()
    with pytest.raises(RateLimited, match="in about 10 minutes") as refused:
        limit.take()
    assert refused.value.extensions == {"code": "RATE_LIMITED"}
    clock.now += 9 * 60
    with pytest.raises(RateLimited, match="in about 1 minute\\."):
        limit.take()
    clock.now += 60
    limit.take()  # one refilled after ten minutes
    clock.now += 10 * 3600
    limit.take()
    limit.take()  # never more than the burst, however long it was quiet
    with pytest.raises(RateLimited):
        limit.take()


def test_a_limit_needs_a_burst_and_a_refill() -> None:
    with pytest.raises(ValueError, match="burst"):
        FormRateLimit(form="x", burst=0, per_hour=1)
    with pytest.raises(ValueError, match="refill"):
        FormRateLimit(form="x", burst=1, per_hour=0)
