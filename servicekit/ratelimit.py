"""Rate limits for the anonymous forms that record nothing about who sent them.

A public form (a joining inquiry, a demo request, a professional's application) is limited
by one token bucket per form and per running service, in memory: ``burst`` submissions at
once, then ``per_hour`` more each hour, refilled continuously. Nothing about the sender (no
address, no cookie, no fingerprint) is looked at or kept, so the limit cannot become a
record of who wrote in; the price is that a flood from one sender also slows everybody
else's submissions for a while, which the refusal's message says in plain words.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from servicekit.graphql import PublicError


class RateLimited(PublicError):
    code = "RATE_LIMITED"


class FormRateLimit:
    """A token bucket for one form: ``burst`` at once, refilled at ``per_hour``."""

    def __init__(
        self,
        *,
        form: str,
        burst: int,
        per_hour: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or per_hour <= 0:
            raise ValueError("a form's rate limit needs a burst of at least 1 and a refill")
        self.form = form
        self.burst = burst
        self.per_second = per_hour / 3600
        self.clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
        self._at = now

    def seconds_until_next(self) -> float:
        """How long until one more submission would be accepted (0 when one would be now)."""
        self._refill()
        return max(0.0, (1 - self._tokens) / self.per_second)

    def take(self) -> None:
        """Count one submission, or raise :class:`RateLimited` saying when to try again."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return
        minutes = max(1, math.ceil(self.seconds_until_next() / 60))
        raise RateLimited(
            f"Many {self.form} have been sent in the last little while, so we are pausing new "
            f"ones to keep the service working. Nothing was saved: please send yours again in "
            f"about {minutes} minute{'s' if minutes != 1 else ''}."
        )
