"""`networkFigures`: the network's size for anyone, gathered over HTTP with a service token.

membership owns the field because the network *is* its member departments; it counts them
itself and asks directory (`directoryFigures`) and professionals (`professionalFigures`)
for theirs with a 5-minute service token from identity (`POST /auth/service-token`, HTTP
Basic with membership's own service credentials). Every figure is a whole-network count:
no cell small enough to point at anyone.

The field is public, so no caller ever waits on a peer behind another caller: the last
figures are served while a single background refresh gathers new ones (at most once a
minute, or every few seconds after a peer failed, so a hung peer is not hammered). Each
peer call has its own timeout, and all of them go through the service's one HTTP session.
Only the very first caller after a start waits, and only for a bounded time; a peer that
never answered leaves its figures null.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import strawberry
from strawberry.types import Info

from servicekit.graphql import context_of
from servicekit.peers import PeerClient, PeerError

from . import store
from .schema import context

logger = logging.getLogger("wnwa.membership.network")

CACHE_SECONDS = 60.0
RETRY_SECONDS = 10.0
PEER_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Peers:
    token_url: str
    client_name: str
    client_secret: str
    directory_url: str
    professionals_url: str


@strawberry.type(description="How big the network is. Null when a service did not answer.")
class NetworkFigures:
    member_departments: int
    counties: int
    states: int
    active_peer_supporters: int | None
    vetted_professionals: int | None
    resources: int | None


class NetworkFiguresSource:
    """Gathers and caches the figures; one per running service."""

    def __init__(
        self,
        peers: Peers,
        *,
        cache_seconds: float = CACHE_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
        peer_timeout: float = PEER_TIMEOUT_SECONDS,
    ) -> None:
        self.peers = peers
        self.cache_seconds = cache_seconds
        self.retry_seconds = retry_seconds
        self.peer_timeout = peer_timeout
        self._session: aiohttp.ClientSession | None = None
        self._clients: tuple[PeerClient, PeerClient] | None = None
        self._figures: NetworkFigures | None = None
        self._directory: dict[str, Any] = {}
        self._professionals: dict[str, Any] = {}
        self._next_refresh = 0.0
        self._refreshing: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def running(self, http: aiohttp.ClientSession) -> AsyncIterator[NetworkFiguresSource]:
        """Gathers over the service's HTTP session while it runs; stops a refresh under way."""
        self._session = http
        self._clients = (
            PeerClient(http, self.peers.directory_url, peer="directory", timeout=self.peer_timeout),
            PeerClient(
                http, self.peers.professionals_url, peer="professionals", timeout=self.peer_timeout
            ),
        )
        try:
            yield self
        finally:
            self._session = None
            self._clients = None
            if self._refreshing is not None:
                self._refreshing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._refreshing

    async def figures(self, pool: asyncpg.Pool) -> NetworkFigures:
        """The last figures gathered, starting a refresh in the background when they are due."""
        if self._refreshing is None and time.monotonic() >= self._next_refresh:
            self._refreshing = asyncio.create_task(self._refresh(pool))
        if self._figures is not None:
            return self._figures
        # nothing gathered yet since the start: wait for the first refresh, bounded
        if self._refreshing is not None:
            await asyncio.wait({self._refreshing}, timeout=2 * self.peer_timeout + 1)
        if self._figures is not None:
            return self._figures
        return await own_figures(pool)

    async def _refresh(self, pool: asyncpg.Pool) -> None:
        complete = False
        try:
            departments, counties, states = await store.membership_figures(db=pool)
            directory, professionals = await self._remote()
            self._directory = directory or self._directory
            self._professionals = professionals or self._professionals
            complete = bool(directory and professionals)
            self._figures = NetworkFigures(
                member_departments=departments,
                counties=counties,
                states=states,
                active_peer_supporters=self._directory.get("activePeerSupporters"),
                vetted_professionals=self._professionals.get("vettedProfessionals"),
                resources=self._directory.get("resources"),
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as failure:
            logger.warning("network figures not refreshed (%s)", type(failure).__name__)
        finally:
            wait = self.cache_seconds if complete else self.retry_seconds
            self._next_refresh = time.monotonic() + wait
            self._refreshing = None

    async def _remote(self) -> tuple[dict[str, Any], dict[str, Any]]:
        session, clients = self._session, self._clients
        if session is None or clients is None:
            return {}, {}
        try:
            token = await self._token(session)
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError):
            logger.warning("no service token for the network figures")
            return {}, {}
        directory, professionals = await asyncio.gather(
            self._ask(
                clients[0],
                token,
                "directoryFigures",
                "{ directoryFigures { activePeerSupporters resources } }",
            ),
            self._ask(
                clients[1],
                token,
                "professionalFigures",
                "{ professionalFigures { vettedProfessionals } }",
            ),
        )
        return directory, professionals

    async def _token(self, session: aiohttp.ClientSession) -> str:
        credentials = f"{self.peers.client_name}:{self.peers.client_secret}".encode()
        basic = f"Basic {base64.b64encode(credentials).decode('ascii')}"
        async with (
            asyncio.timeout(self.peer_timeout),
            session.post(
                self.peers.token_url,
                data={"grant_type": "client_credentials"},
                headers={"Authorization": basic},
            ) as response,
        ):
            response.raise_for_status()
            answer = await response.json()
        return str(answer["access_token"])

    @staticmethod
    async def _ask(client: PeerClient, token: str, field: str, query: str) -> dict[str, Any]:
        try:
            data = await client.query(query, token=token)
        except PeerError:
            logger.warning("%s did not answer for the network figures", client.peer)
            return {}
        found = data.get(field)
        return found if isinstance(found, dict) else {}


async def own_figures(pool: asyncpg.Pool) -> NetworkFigures:
    """Membership's own counts, with the other services' figures unknown."""
    departments, counties, states = await store.membership_figures(db=pool)
    return NetworkFigures(
        member_departments=departments,
        counties=counties,
        states=states,
        active_peer_supporters=None,
        vetted_professionals=None,
        resources=None,
    )


@strawberry.type
class NetworkQueries:
    @strawberry.field(
        description="Member departments, counties, states, active peer supporters, vetted "
        "professionals and resources across the network. No sign-in needed."
    )
    async def network_figures(self, info: Info[Any, Any]) -> NetworkFigures | None:
        return await context(info).resources.figures.figures(context_of(info).pool)
