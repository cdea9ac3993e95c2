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
import time
from collections.abc import Awaitable, Callable

import aiohttp

RECORD = """mutation RecordVisits($day: Date!, $views: Int!, $installs: Int!) {
  recordVisitTotals(day: $day, pageViews: $views, installs: $installs) { field message } }"""
RETRY_SECONDS = 300.0

Send = Callable[[dt.date, int, int], Awaitable[bool]]


class VisitCounter:
    """Page views and installs per day; flushes finished days through ``send``."""

    def __init__(self, send: Send | None, today: Callable[[], dt.date] = dt.date.today) -> None:
        self._send = send
        self._today = today
        self._totals: dict[dt.date, list[int]] = {}
        self._flushing: asyncio.Task[None] | None = None
        self._last_attempt = float("-inf")

    def page_view(self) -> None:
        """One page was served."""
        self._add(0)

    def install(self) -> None:
        """The app was installed once."""
        self._add(1)

    def totals(self) -> dict[dt.date, tuple[int, int]]:
        """What is held now: per day, page views and installs."""
        return {day: (views, installs) for day, (views, installs) in self._totals.items()}

    def _add(self, index: int) -> None:
        today = self._today()
        self._totals.setdefault(today, [0, 0])[index] += 1
        finished = any(day < today for day in self._totals)
        due = time.monotonic() - self._last_attempt >= RETRY_SECONDS
        if finished and self._send and due and (self._flushing is None or self._flushing.done()):
            self._last_attempt = time.monotonic()
            self._flushing = asyncio.get_running_loop().create_task(self.flush())

    async def flush(self) -> None:
        """Hand over every finished day; a day that was not taken is tried again later."""
        if self._send is None:
            return
        today = self._today()
        for day in sorted(d for d in self._totals if d < today):
            views, installs = self._totals[day]
            if await self._send(day, views, installs):
                del self._totals[day]


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
