"""`PeerClient`: a GraphQL call to another service over real HTTP, and its one error."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from servicekit.clock import FixedClock
from servicekit.peers import PeerClient, PeerError
from tests.support.servers import serving

SECRET_VARIABLE = "officer-4711@example.test"


class Peer:
    """A peer service that answers each path its own way, and remembers what it was sent."""

    def __init__(self) -> None:
        self.received: list[tuple[str | None, dict[str, Any]]] = []

    async def answer(self, request: Request) -> Response:
        body = await request.json()
        self.received.append((request.headers.get("authorization"), body))
        how = request.path_params["how"]
        if how == "hang":
            await asyncio.sleep(2)
        if how == "errors":
            return JSONResponse({"data": None, "errors": [{"message": "Sign in to see this."}]})
        if how == "failing":
            return JSONResponse({"errors": [{"message": "down"}]}, status_code=503)
        if how == "text":
            return PlainTextResponse("Bad gateway")
        if how == "list":
            return JSONResponse([1, 2])
        return JSONResponse({"data": {"echo": body.get("variables")}})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{how}/graphql", self.answer, methods=["POST"])])


@pytest.fixture
async def peer() -> AsyncIterator[tuple[str, Peer, aiohttp.ClientSession]]:
    served = Peer()
    async with serving(served.app()) as base, aiohttp.ClientSession() as http:
        yield base, served, http


async def test_a_peer_call_sends_the_token_and_variables_and_returns_data(
    peer: tuple[str, Peer, aiohttp.ClientSession],
) -> None:
    base, served, http = peer
    client = PeerClient(http, f"{base}/ok/graphql", peer="membership")
    data = await client.query("query Q($id: ID!) { x(id: $id) }", {"id": "7"}, token="t0k")
    assert data == {"echo": {"id": "7"}}
    assert served.received == [
        ("Bearer t0k", {"query": "query Q($id: ID!) { x(id: $id) }", "variables": {"id": "7"}})
    ]


@pytest.mark.parametrize(
    ("how", "reached"),
    [
        ("errors", True),
        ("failing", True),
        ("list", True),
        ("text", False),
        pytest.param("hang", False, marks=pytest.mark.slow),  # waits out the timeout
    ],
)
async def test_every_failure_is_one_peer_error_that_names_no_variable(
    peer: tuple[str, Peer, aiohttp.ClientSession],
    how: str,
    reached: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    base, _, http = peer
    client = PeerClient(http, f"{base}/{how}/graphql", peer="directory", timeout=0.5)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PeerError) as raised:
        await client.query("query { x }", {"email": SECRET_VARIABLE}, token="t0k")
    assert raised.value.peer == "directory"
    assert raised.value.reached is reached
    assert SECRET_VARIABLE not in str(raised.value)
    assert SECRET_VARIABLE not in caplog.text


async def test_a_closed_port_is_an_unreached_peer() -> None:
    async with serving(Peer().app()) as base:
        pass  # the server has stopped: nothing listens there any more
    async with aiohttp.ClientSession() as http:
        with pytest.raises(PeerError) as raised:
            await PeerClient(http, f"{base}/ok/graphql", peer="professionals").query(
                "{ x }", token="t"
            )
    assert raised.value.reached is False


def test_a_fixed_clock_says_what_it_is_told_in_utc() -> None:
    chicago = dt.timezone(dt.timedelta(hours=-6))
    clock = FixedClock(dt.datetime(2028, 2, 28, 20, 30, tzinfo=chicago))
    assert clock.now() == dt.datetime(2028, 2, 29, 2, 30, tzinfo=dt.UTC)
    assert clock.today() == dt.date(2028, 2, 29)  # the UTC date, not Chicago's
    clock.at += dt.timedelta(days=1)
    assert clock.today() == dt.date(2028, 3, 1)
    with pytest.raises(ValueError, match="aware"):
        FixedClock(dt.datetime(2028, 2, 29))
