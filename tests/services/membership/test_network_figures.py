"""`networkFigures` is public: a hung peer must not queue its callers or be hammered, and
the last good figures stand in while new ones are gathered."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from servicekit.clock import FixedClock
from services.membership import settings as membership_settings
from services.membership.app import MIGRATIONS, create_app
from services.membership.network import NetworkFiguresSource, Peers
from tests.conftest import ServiceUnderTest
from tests.services.membership.conftest import membership_environment
from tests.support.database import TemplateDatabases
from tests.support.graphql import GraphQLClient, running
from tests.support.tokens import TokenIssuer

pytestmark = pytest.mark.slow  # waits out hung peers on real timers

FIGURES = "{ networkFigures { memberDepartments activePeerSupporters vettedProfessionals } }"


class PeerServices:
    """identity's token endpoint, directory and professionals, each able to hang."""

    def __init__(self) -> None:
        self.hanging: set[str] = set()
        self.asked: dict[str, int] = {"directory": 0, "professionals": 0}
        self.client_ports: dict[str, set[int]] = {"directory": set(), "professionals": set()}
        self.released = asyncio.Event()

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": "service-token", "token_type": "Bearer"})

    async def figures(self, request: web.Request) -> web.Response:
        peer = request.match_info["peer"]
        self.asked[peer] += 1
        peername = request.transport.get_extra_info("peername") if request.transport else None
        if peername:
            self.client_ports[peer].add(peername[1])
        if peer in self.hanging:
            await self.released.wait()
        data = (
            {"directoryFigures": {"activePeerSupporters": 12, "resources": 30}}
            if peer == "directory"
            else {"professionalFigures": {"vettedProfessionals": 7}}
        )
        return web.json_response({"data": data})


@contextlib.asynccontextmanager
async def peer_services() -> AsyncIterator[tuple[str, PeerServices]]:
    peers = PeerServices()
    app = web.Application()
    app.router.add_post("/auth/service-token", peers.token)
    app.router.add_post("/{peer}/graphql", peers.figures)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", peers
    finally:
        peers.released.set()
        await runner.cleanup()


@pytest.fixture
async def peers() -> AsyncIterator[tuple[str, PeerServices]]:
    async with peer_services() as running_peers:
        yield running_peers


async def membership_with(
    databases: TemplateDatabases, issuer: TokenIssuer, source: NetworkFiguresSource
) -> contextlib.AbstractAsyncContextManager[Any]:
    database_url = await databases.fresh("membership", MIGRATIONS)
    settings = membership_settings.load(membership_environment(database_url, issuer))
    return running(create_app(settings, clock=FixedClock(_now()), figures=source))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def source_for(base: str, **timing: float) -> NetworkFiguresSource:
    return NetworkFiguresSource(
        Peers(
            token_url=f"{base}/auth/service-token",
            client_name="membership",
            client_secret="secret",
            directory_url=f"{base}/directory/graphql",
            professionals_url=f"{base}/professionals/graphql",
        ),
        **timing,
    )


async def test_a_hung_peer_is_asked_once_and_no_caller_waits_behind_it(
    databases: TemplateDatabases, issuer: TokenIssuer, peers: tuple[str, PeerServices]
) -> None:
    base, services = peers
    services.hanging.add("directory")
    source = source_for(base, cache_seconds=60, retry_seconds=60, peer_timeout=0.5)
    async with await membership_with(databases, issuer, source) as http:
        membership = ServiceUnderTest(GraphQLClient(http), "", http)
        first = await membership.graphql(FIGURES)
        assert first["data"]["networkFigures"] == {
            "memberDepartments": 0,
            "activePeerSupporters": None,  # directory did not answer
            "vettedProfessionals": 7,
        }
        many = await asyncio.gather(*(membership.graphql(FIGURES) for _ in range(20)))
    assert all(answer == first for answer in many)
    # the failure is remembered for a while: one call, not one per caller
    assert services.asked == {"directory": 1, "professionals": 1}


async def test_the_last_good_figures_stand_while_a_peer_hangs(
    databases: TemplateDatabases, issuer: TokenIssuer, peers: tuple[str, PeerServices]
) -> None:
    base, services = peers
    # every call starts a refresh, so each one would meet the hung peer
    source = source_for(base, cache_seconds=0, retry_seconds=0, peer_timeout=0.5)
    async with await membership_with(databases, issuer, source) as http:
        membership = ServiceUnderTest(GraphQLClient(http), "", http)
        good = await membership.graphql(FIGURES)
        assert good["data"]["networkFigures"]["activePeerSupporters"] == 12
        services.hanging.add("directory")
        for _ in range(3):
            answer = await membership.graphql(FIGURES)
            assert answer == good
            await asyncio.sleep(0.05)


async def test_one_http_session_serves_every_refresh(
    databases: TemplateDatabases, issuer: TokenIssuer, peers: tuple[str, PeerServices]
) -> None:
    base, services = peers
    source = source_for(base, cache_seconds=0, retry_seconds=0, peer_timeout=2)
    async with await membership_with(databases, issuer, source) as http:
        membership = ServiceUnderTest(GraphQLClient(http), "", http)
        for _ in range(6):
            await membership.graphql(FIGURES)
            await asyncio.sleep(0.2)  # the background refresh completes
    assert services.asked["professionals"] >= 5
    # connections are kept and reused, as only a shared session does
    ports = services.client_ports["directory"] | services.client_ports["professionals"]
    assert len(ports) <= 3
