"""`networkFigures`: the network's size for anyone, gathered over HTTP with a service token.

membership owns the field because the network *is* its member departments; it counts them
itself and asks directory (`directoryFigures`) and professionals (`professionalFigures`)
for theirs with a 5-minute service token from identity (`POST /auth/service-token`, HTTP
Basic with membership's own service credentials). Answers are cached for a minute, so a
busy page costs the other services nothing. Every figure is a whole-network count: no
cell small enough to point at anyone.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import strawberry
from strawberry.types import Info

from servicekit import telemetry
from servicekit.graphql import context_of

from . import store
from .schema import MembershipLoaders

CACHE_SECONDS = 60.0


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

    def __init__(self, peers: Peers) -> None:
        self.peers = peers
        self._cached: tuple[float, NetworkFigures] | None = None
        self._lock = asyncio.Lock()

    async def figures(self, pool: asyncpg.Pool) -> NetworkFigures:
        async with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < CACHE_SECONDS:
                return self._cached[1]
            departments, counties, states = await store.membership_figures(db=pool)
            directory, professionals = await self._remote()
            figures = NetworkFigures(
                member_departments=departments,
                counties=counties,
                states=states,
                active_peer_supporters=directory.get("activePeerSupporters"),
                vetted_professionals=professionals.get("vettedProfessionals"),
                resources=directory.get("resources"),
            )
            if directory and professionals:
                self._cached = (time.monotonic(), figures)
            return figures

    async def _remote(self) -> tuple[dict[str, Any], dict[str, Any]]:
        timeout = aiohttp.ClientTimeout(total=5)
        trace = [telemetry.client_trace_config("identity")]
        async with aiohttp.ClientSession(timeout=timeout, trace_configs=trace) as session:
            try:
                token = await self._token(session)
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError):
                return {}, {}
            directory = await self._ask(
                session,
                token,
                self.peers.directory_url,
                "directory",
                "directoryFigures",
                "{ directoryFigures { activePeerSupporters resources } }",
            )
            professionals = await self._ask(
                session,
                token,
                self.peers.professionals_url,
                "professionals",
                "professionalFigures",
                "{ professionalFigures { vettedProfessionals } }",
            )
        return directory, professionals

    async def _token(self, session: aiohttp.ClientSession) -> str:
        auth = aiohttp.BasicAuth(self.peers.client_name, self.peers.client_secret)
        async with session.post(
            self.peers.token_url, data={"grant_type": "client_credentials"}, auth=auth
        ) as response:
            response.raise_for_status()
            answer = await response.json()
        return str(answer["access_token"])

    @staticmethod
    async def _ask(
        session: aiohttp.ClientSession, token: str, url: str, peer: str, field: str, query: str
    ) -> dict[str, Any]:
        try:
            async with session.post(
                url,
                json={"query": query},
                headers={"Authorization": f"Bearer {token}"},
                trace_request_ctx={"peer": peer},
            ) as response:
                answer = await response.json()
            found = (answer.get("data") or {}).get(field)
            return found if isinstance(found, dict) else {}
        except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError):
            return {}


class NetworkLoaders(MembershipLoaders):
    """Membership's loaders plus the network figures' source."""

    def __init__(
        self, pool: asyncpg.Pool, renewal_notice_days: int, source: NetworkFiguresSource
    ) -> None:
        super().__init__(pool, renewal_notice_days)
        self.network = source


@strawberry.type
class NetworkQueries:
    @strawberry.field(
        description="Member departments, counties, states, active peer supporters, vetted "
        "professionals and resources across the network. No sign-in needed."
    )
    async def network_figures(self, info: Info[Any, Any]) -> NetworkFigures:
        context = context_of(info)
        loaders = context.loaders
        if not isinstance(loaders, NetworkLoaders):
            departments, counties, states = await store.membership_figures(db=context.pool)
            return NetworkFigures(
                member_departments=departments,
                counties=counties,
                states=states,
                active_peer_supporters=None,
                vetted_professionals=None,
                resources=None,
            )
        return await loaders.network.figures(context.pool)
