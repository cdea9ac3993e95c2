"""Anonymous visit figures: the portal counts page views and app installs per day.

The count is taken with nothing from the request — no address, cookie, user agent,
referrer or page — so there is nothing to keep about a visitor. Only today's two numbers
live in memory; a finished day's totals are handed to membership (with the gateway's
service token) and forgotten. If the gateway stops, the unfinished day's count is lost.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import Awaitable, Callable

import aiohttp

from servicekit.clock import SYSTEM_CLOCK, Clock

RECORD = """mutation RecordVisits($day: Date!, $views: Int!, $installs: Int!) {
  recordVisitTotals(day: $day, pageViews: $views, installs: $installs) { field message } }"""
# finished days are handed over on a fixed grid: a minute after midnight (UTC), then every five
# minutes while membership has not taken them. Never at a visit: the first page view of a new
# day would otherwise date that visitor, to the millisecond, in membership's WAL
HAND_OVER_AFTER_MIDNIGHT = dt.timedelta(minutes=1)
RETRY = dt.timedelta(minutes=5)

Send = Callable[[dt.date, int, int], Awaitable[bool]]


def next_hand_over(now: dt.datetime) -> dt.datetime:
    """The first time on the hand-over grid after ``now``."""
    first = dt.datetime.combine(now.date(), dt.time(), dt.UTC) + HAND_OVER_AFTER_MIDNIGHT
    if now < first:
        return first
    steps = (now - first) // RETRY + 1
    return first + steps * RETRY


class VisitCounter:
    """Page views and installs per day (UTC); hands finished days over through ``send``
    on a fixed schedule (:meth:`hand_over_on_schedule`)."""

    def __init__(self, send: Send | None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._send = send
        self._clock = clock
        self._totals: dict[dt.date, list[int]] = {}

    def page_view(self) -> None:
        """One page was served."""
        self._totals.setdefault(self._clock.today(), [0, 0])[0] += 1

    def install(self) -> None:
        """The app was installed once."""
        self._totals.setdefault(self._clock.today(), [0, 0])[1] += 1

    def totals(self) -> dict[dt.date, tuple[int, int]]:
        """What is held now: per day, page views and installs."""
        return {day: (views, installs) for day, (views, installs) in self._totals.items()}

    async def flush(self) -> None:
        """Hand over every finished day; a day that was not taken is tried again later."""
        if self._send is None:
            return
        today = self._clock.today()
        for day in sorted(d for d in self._totals if d < today):
            views, installs = self._totals[day]
            if await self._send(day, views, installs):
                del self._totals[day]

    async def hand_over_on_schedule(
        self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        """Run for the gateway's life: at each point of the grid, hand over finished days."""
        while True:
            now = self._clock.now()
            await sleep((next_hand_over(now) - now).total_seconds())
            await self.flush()


def membership_sender(
    session: aiohttp.ClientSession,
    identity_url: str,
    secret: str,
    run: Callable[[str, dict[str, object], str, str], Awaitable[dict[str, object]]],
) -> Send:
    """Sends one day's totals: a service token from identity, then the mutation."""
    basic = base64.b64encode(f"gateway:{secret}".encode()).decode()

    async def send(day: dt.date, views: int, installs: int) -> bool:
        try:
            async with session.post(
                f"{identity_url}/auth/service-token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
                timeout=aiohttp.ClientTimeout(total=5),
            ) as response:
                if response.status != 200:
                    return False
                token = str((await response.json())["access_token"])
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError):
            return False
        answer = await run(
            RECORD,
            {"day": day.isoformat(), "views": views, "installs": installs},
            "RecordVisits",
            token,
        )
        data = answer.get("data")
        return (
            not answer.get("errors")
            and isinstance(data, dict)
            and data.get("recordVisitTotals") == []
        )

    return send
