"""A running federation for gateway tests: real subgraph servers on loopback, demo data,
and the gateway app in front of them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.settings import load
from tests.support.database import TemplateDatabases
from tests.support.graphql import running
from tests.support.servers import serving
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.registry import service_named

SUBGRAPHS = ("membership", "directory", "professionals")


@dataclass
class Federation:
    """Subgraph servers with demo data; `urls` maps subgraph name to its /graphql URL."""

    urls: dict[str, str]
    database_urls: dict[str, str]
    issuer: TokenIssuer
    counts: dict[str, int] = field(default_factory=dict)

    def gateway_environment(self, **overrides: str) -> dict[str, str]:
        environ = {
            "WNWA_ENV": "test",
            "WNWA_JWKS_URL": self.issuer.jwks_url,
            "WNWA_TOKEN_ISSUER": ISSUER,
            "WNWA_GATEWAY_SUBGRAPH_TIMEOUT_MS": "1500",
        }
        for name, url in self.urls.items():
            environ[f"WNWA_GATEWAY_{name.upper()}_URL"] = url
        environ.update(overrides)
        return environ


@contextlib.asynccontextmanager
async def _subgraph(
    name: str, databases: TemplateDatabases, issuer: TokenIssuer
) -> AsyncIterator[tuple[str, str]]:
    service = service_named(name)
    database_url = await databases.fresh(name, service.migrations)
    connection = await asyncpg.connect(database_url)
    try:
        await service.seed(connection)
    finally:
        await connection.close()
    prefix = f"WNWA_{name.upper()}"
    settings = service.module("settings").load(
        {
            "WNWA_ENV": "test",
            f"{prefix}_DATABASE_URL": database_url,
            "WNWA_JWKS_URL": issuer.jwks_url,
            "WNWA_TOKEN_ISSUER": ISSUER,
        }
    )
    async with serving(service.module("app").create_app(settings)) as base:
        yield f"{base}/graphql", database_url


@pytest.fixture(scope="module")
async def federation(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> AsyncIterator[Federation]:
    async with contextlib.AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        database_urls: dict[str, str] = {}
        for name in SUBGRAPHS:
            urls[name], database_urls[name] = await stack.enter_async_context(
                _subgraph(name, databases, issuer)
            )
        yield Federation(urls=urls, database_urls=database_urls, issuer=issuer)


class GatewayClient:
    def __init__(self, http: httpx.AsyncClient, app: Any = None) -> None:
        self.http = http
        self.app = app

    async def __call__(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
        if operation_name:
            body["operationName"] = operation_name
        response = await self.http.post("/graphql", json=body, headers=headers)
        answer: dict[str, Any] = response.json()
        return answer


@contextlib.asynccontextmanager
async def gateway_for(federation: Federation, **overrides: str) -> AsyncIterator[GatewayClient]:
    app = create_app(load(federation.gateway_environment(**overrides)))
    async with running(app) as http:
        yield GatewayClient(http, app)


@pytest.fixture
async def gateway(federation: Federation) -> AsyncIterator[GatewayClient]:
    async with gateway_for(federation) as client:
        yield client


class RecordingProxy:
    """Forwards to a subgraph, counting requests; can play dead, slow or confused, or hold
    the answers to overlapping requests and hand them back at one instant ("aligned")."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.requests: list[dict[str, Any]] = []
        self.mode = "forward"
        self.delay = 0.3  # of "delayed" and "aligned" answers, in seconds
        self._release_at: float | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        import asyncio

        body = await request.json()
        self.requests.append({"body": body, "headers": dict(request.headers)})
        if self.mode == "slow":
            await asyncio.sleep(5)
        if self.mode == "delayed":
            await asyncio.sleep(self.delay)
        if self.mode == "garbage":
            return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
        if self.mode == "overloaded":  # what a load balancer says with no backend left
            return web.json_response({"errors": [{"message": "no healthy upstream"}]}, status=503)
        import aiohttp

        async with aiohttp.ClientSession() as session:
            headers = {k: v for k, v in request.headers.items() if k.lower() == "authorization"}
            async with session.post(self.target, json=body, headers=headers) as answer:
                content = await answer.read()
        if self.mode == "aligned":
            loop = asyncio.get_running_loop()
            if self._release_at is None or self._release_at < loop.time():
                self._release_at = loop.time() + self.delay
            await asyncio.sleep(self._release_at - loop.time())
        return web.Response(body=content, content_type="application/json")


@contextlib.asynccontextmanager
async def recording_proxy(target: str) -> AsyncIterator[tuple[str, RecordingProxy]]:
    proxy = RecordingProxy(target)
    app = web.Application()
    app.router.add_post("/graphql", proxy.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/graphql", proxy
    finally:
        await runner.cleanup()
