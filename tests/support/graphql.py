"""Running a service's app in-process, with its lifespan, and querying it over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette


class GraphQLClient:
    """Posts GraphQL operations to one app; returns the decoded JSON answer."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@contextlib.asynccontextmanager
async def served_as_is(
    app: Starlette, *, once_ready: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan entered, behind an httpx client: at once, or ``once_ready``
    (its warm-up done, as a load balancer would send it traffic)."""
    async with app.router.lifespan_context(app) as state:
        warm = (state or {}).get("warm")
        if once_ready and warm is not None:
            await asyncio.wait_for(warm.wait(), timeout=60)
        transport = _StatefulTransport(app, dict(state or {}))
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as http:
            yield http


def running(app: Starlette) -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
    """The app behind an httpx client once it says it is ready."""
    return served_as_is(app, once_ready=True)


class _StatefulTransport(httpx.ASGITransport):
    """httpx's ASGI transport, handing the lifespan state to requests as a server would."""

    def __init__(self, app: Starlette, state: dict[str, Any]) -> None:
        super().__init__(app=app)
        self._state = state

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self.app

        async def with_state(scope: Any, receive: Any, send: Any) -> None:
            scope["state"] = dict(self._state)
            await app(scope, receive, send)

        self.app = with_state
        try:
            return await super().handle_async_request(request)
        finally:
            self.app = app
