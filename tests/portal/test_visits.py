"""Visit figures without tracking: the portal counts pages and installs per day and keeps
nothing else — not the address, cookie, user agent, referrer or page of any visit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from gateway.app import create_app
from gateway.portal.visits import VisitCounter
from gateway.settings import load

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
    assert counter.totals() == {dt.date.today(): (4, 1)}
    assert set(vars(counter)) == {"_send", "_today", "_totals", "_flushing", "_last_attempt"}
    held = " ".join(everything_in(counter))
    for marker in MARKERS:
        assert marker not in held


async def test_a_finished_day_is_handed_over_then_forgotten_and_kept_when_refused() -> None:
    today = [dt.date(2026, 10, 30)]
    handed: list[tuple[dt.date, int, int]] = []
    accept = [False]

    async def send(day: dt.date, views: int, installs: int) -> bool:
        handed.append((day, views, installs))
        return accept[0]

    counter = VisitCounter(send, today=lambda: today[0])
    counter.page_view()
    counter.page_view()
    counter.install()
    await counter.flush()
    assert handed == []  # today is not finished
    today[0] = dt.date(2026, 10, 31)
    counter.page_view()
    await counter.flush()  # refused (membership down): the day stays to be tried again
    assert handed[-1] == (dt.date(2026, 10, 30), 2, 1)
    assert dt.date(2026, 10, 30) in counter.totals()
    accept[0] = True
    await counter.flush()
    assert counter.totals() == {dt.date(2026, 10, 31): (1, 0)}
