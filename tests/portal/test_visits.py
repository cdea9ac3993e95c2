"""Visit figures without tracking: the portal counts pages and installs per day and keeps
nothing else — not the address, cookie, user agent, referrer or page of any visit."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx

from gateway.app import create_app
from gateway.portal.visits import VisitCounter, next_hand_over
from gateway.settings import load
from servicekit.clock import FixedClock

DISTINCTIVE = {
    "User-Agent": "Distinctive-Agent/7.7 (ua-marker)",
    "X-Forwarded-For": "203.0.113.77",
    "Referer": "https://referrer.example/ref-marker",
    "Cookie": "wnwa_access=cookie-marker",
}
MARKERS = ("ua-marker", "203.0.113.77", "ref-marker", "cookie-marker", "/about", "/crisis")


def everything_in(value: Any, seen: set[int] | None = None) -> list[str]:
    """Every string reachable from ``value`` (attributes, containers), for a leak check."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [
            s for k, v in value.items() for s in everything_in(k, seen) + everything_in(v, seen)
        ]
    if isinstance(value, list | tuple | set):
        return [s for item in value for s in everything_in(item, seen)]
    if hasattr(value, "__dict__") and not callable(value):
        return everything_in(vars(value), seen)
    return []


async def test_the_portal_counts_pages_and_installs_and_keeps_nothing_else() -> None:
    app = create_app(load({"WNWA_ENV": "test"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        for path in ("/about", "/crisis", "/crisis", "/"):
            assert (await client.get(path, headers=DISTINCTIVE)).status_code == 200
        assert (await client.post("/portal/installed", headers=DISTINCTIVE)).status_code == 204
        assert (await client.get("/portal/static/portal.css")).status_code == 200  # not a page
    counter: VisitCounter = app.state.visits
    assert counter.totals() == {dt.datetime.now(dt.UTC).date(): (4, 1)}
    assert set(vars(counter)) == {"_send", "_clock", "_totals"}
    held = " ".join(everything_in(counter))
    for marker in MARKERS:
        assert marker not in held


class Night:
    """A clock the counter's schedule moves: each sleep it asks for passes at once."""

    def __init__(self, at: dt.datetime) -> None:
        self.clock = FixedClock(at)
        self.slept: list[dt.datetime] = []

    async def sleep(self, seconds: float) -> None:
        self.clock.at += dt.timedelta(seconds=seconds)
        self.slept.append(self.clock.at)
        await asyncio.sleep(0)


async def test_a_finished_day_is_handed_over_on_schedule_then_forgotten() -> None:
    night = Night(dt.datetime(2026, 10, 30, 23, 58, 30, tzinfo=dt.UTC))
    handed: list[tuple[dt.date, int, int, dt.datetime]] = []
    accept = [False]
    sent = asyncio.Event()

    async def send(day: dt.date, views: int, installs: int) -> bool:
        handed.append((day, views, installs, night.clock.now()))
        sent.set()
        return accept[0]

    async def a_hand_over() -> None:
        await sent.wait()
        sent.clear()

    counter = VisitCounter(send, night.clock)
    counter.page_view()
    counter.page_view()
    counter.install()
    await counter.flush()
    assert handed == []  # today is not finished
    night.clock.at = dt.datetime(2026, 10, 31, 0, 0, 12, 345_000, tzinfo=dt.UTC)
    counter.page_view()  # the next day's first visitor
    await asyncio.sleep(0)
    assert handed == []  # hands nothing over: its time would date that visitor
    night.clock.at = dt.datetime(2026, 10, 30, 23, 59, 0, tzinfo=dt.UTC)
    schedule = asyncio.create_task(counter.hand_over_on_schedule(night.sleep))
    await a_hand_over()
    await a_hand_over()
    # a minute after midnight, then five minutes later (membership refused the first)
    assert [(day, views, at.time()) for day, views, _, at in handed] == [
        (dt.date(2026, 10, 30), 2, dt.time(0, 1)),
        (dt.date(2026, 10, 30), 2, dt.time(0, 6)),
    ]
    accept[0] = True
    await a_hand_over()
    await asyncio.sleep(0)  # the accepted day is dropped once the send returns
    schedule.cancel()
    assert counter.totals() == {dt.date(2026, 10, 31): (1, 0)}
    assert handed[-1][3].time() == dt.time(0, 11)


def test_the_hand_over_grid_starts_a_minute_after_midnight() -> None:
    at = dt.datetime(2026, 10, 31, 0, 0, 59, tzinfo=dt.UTC)
    assert next_hand_over(at) == dt.datetime(2026, 10, 31, 0, 1, tzinfo=dt.UTC)
    at = dt.datetime(2026, 10, 31, 0, 1, tzinfo=dt.UTC)
    assert next_hand_over(at) == dt.datetime(2026, 10, 31, 0, 6, tzinfo=dt.UTC)
    at = dt.datetime(2026, 10, 31, 23, 58, tzinfo=dt.UTC)
    assert next_hand_over(at) == dt.datetime(2026, 11, 1, 0, 1, tzinfo=dt.UTC)
