"""A restarted gateway takes no traffic while cold: it says it is ready once it holds the
issuer's keys and has checked and planned every document the portal sends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.portal.documents import portal_documents
from gateway.settings import load
from tests.gateway.conftest import Federation
from tests.support.graphql import served_as_is
from tests.support.servers import free_port, until_ready

pytestmark = pytest.mark.slow  # real subgraph servers


@contextlib.asynccontextmanager
async def keys_held_back(target: str, release: asyncio.Event) -> AsyncIterator[str]:
    """The issuer's key set, answered only once ``release`` is set (identity starting)."""

    async def keys(request: web.Request) -> web.Response:
        await release.wait()
        async with httpx.AsyncClient() as http:
            answer = await http.get(target)
        return web.Response(body=answer.content, content_type="application/json")

    app = web.Application()
    app.router.add_get("/jwks.json", keys)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/jwks.json"
    finally:
        await runner.cleanup()


async def test_the_gateway_is_ready_once_warm(federation: Federation) -> None:
    release = asyncio.Event()
    async with keys_held_back(federation.issuer.jwks_url, release) as jwks:
        app = create_app(load(federation.gateway_environment(WNWA_JWKS_URL=jwks)))
        async with served_as_is(app) as http:
            cold = await http.get("/readyz")
            alive = await http.get("/healthz")
            release.set()
            await until_ready(http)
            warm = await http.get("/readyz")
            held = app.state.gateway.operations.documents
            documents, _ = portal_documents()
            unplanned = [
                where
                for where, text in documents.items()
                if (checked := held.get(text)) is None or not checked.plans
            ]
    assert (cold.status_code, cold.json()) == (503, {"status": "warming up"})
    assert alive.status_code == 200
    assert (warm.status_code, warm.json()) == (200, {"status": "ready"})
    assert len(documents) >= 70
    assert unplanned == []
