"""The Starlette app every service runs: GraphQL, health endpoints, GraphiQL, lifespan.

``create_service_app`` is the composition root of a service: it opens the PostgreSQL pool,
the HTTP session and the JWKS cache in the lifespan, verifies the bearer token of each
request into the GraphQL context, and mounts ``/graphql``, ``/healthz`` and ``/readyz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypedDict

import aiohttp
import asyncpg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from servicekit import graphiql, telemetry
from servicekit.database import create_pool
from servicekit.endpoint import GraphQLEndpoint
from servicekit.graphql import RequestContext
from servicekit.limits import BodySizeLimit
from servicekit.settings import ServiceSettings
from servicekit.tokens import (
    InvalidToken,
    JwksCache,
    JwksFetcher,
    TokenVerifier,
    bearer_token,
    http_jwks_fetcher,
)

logger = logging.getLogger("wnwa.service")


class ServiceState(TypedDict):
    """Long-lived resources of a running service, created in its lifespan."""

    pool: asyncpg.Pool
    verifier: TokenVerifier


class ContextBuilder:
    """Builds each request's :class:`RequestContext`: its pool, its verified principal (or
    why the token was refused) and the service's DataLoaders."""

    def __init__(self, make_loaders: Callable[[asyncpg.Pool], Any] | None) -> None:
        self.make_loaders = make_loaders

    async def __call__(self, request: Request) -> RequestContext:
        verifier: TokenVerifier = request.state.verifier
        principal, problem = None, None
        token = bearer_token(request.headers)
        if token is not None:
            try:
                principal = await verifier.verify(token)
            except InvalidToken as invalid:
                problem = str(invalid)
        pool: asyncpg.Pool = request.state.pool
        loaders = self.make_loaders(pool) if self.make_loaders else None
        return RequestContext(
            pool=pool, principal=principal, token_problem=problem, loaders=loaders
        )


def settle_heap() -> None:
    """Keep the garbage collector from stalling requests.

    What exists once the service has started (modules, the schema, the ZIP table) lives as
    long as the process: collect once, then freeze it so later collections never walk it
    again. Then collect the youngest generation less often: a request allocates thousands
    of short-lived objects, and the default threshold (700) ran a collection every few
    requests and a full one, over the whole heap, every few hundred.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


async def _keep_house(
    work: Callable[[asyncpg.Pool], Awaitable[None]], pool: asyncpg.Pool, every: float
) -> None:
    while True:
        try:
            await work(pool)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as failure:
            logger.warning("housekeeping failed (%s); retrying later", type(failure).__name__)
        await asyncio.sleep(every)


def create_service_app(
    settings: ServiceSettings,
    schema: Any,
    *,
    title: str,
    make_loaders: Callable[[asyncpg.Pool], Any] | None = None,
    multipart_uploads: bool = False,
    max_body_bytes: int = 1_000_000,
    max_upload_bytes: int | None = None,
    jwks_fetcher: Callable[[aiohttp.ClientSession], JwksFetcher] | None = None,
    housekeeping: Callable[[asyncpg.Pool], Awaitable[None]] | None = None,
    housekeeping_every: float = 3600.0,
) -> Starlette:
    """Build the ASGI app of one service from its settings and schema.

    ``multipart_uploads`` accepts the GraphQL multipart request specification (file
    uploads); ``max_body_bytes`` caps every request body, and ``max_upload_bytes``, when
    given, caps multipart ones instead (a JSON body never gets the upload allowance).
    ``housekeeping`` runs at start and then every ``housekeeping_every`` seconds (e.g. to
    delete what must not outlive its purpose); a failure is logged and retried next time.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[ServiceState]:
        pool = await create_pool(settings.database_url.value)
        trace_configs = [telemetry.client_trace_config(settings.name)]
        async with aiohttp.ClientSession(trace_configs=trace_configs) as session:
            fetch = (
                jwks_fetcher(session)
                if jwks_fetcher is not None
                else http_jwks_fetcher(session, settings.jwks_url)
            )
            verifier = TokenVerifier(
                JwksCache(fetch), issuer=settings.token_issuer, audience=settings.token_audience
            )
            keeper = (
                asyncio.create_task(_keep_house(housekeeping, pool, housekeeping_every))
                if housekeeping is not None
                else None
            )
            settle_heap()
            try:
                yield {"pool": pool, "verifier": verifier}
            finally:
                if keeper is not None:
                    keeper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await keeper
                await pool.close()
                telemetry.flush()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        pool: asyncpg.Pool = request.state.pool
        try:
            async with asyncio.timeout(2):
                await pool.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    graphql_endpoint = GraphQLEndpoint(
        schema,
        title=title,
        graphiql_enabled=settings.graphiql,
        get_context=ContextBuilder(make_loaders),
        multipart_uploads=multipart_uploads,
    )
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql_endpoint.handle, methods=["GET", "POST"]),
        graphiql.static_files(),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(telemetry.TelemetryMiddleware),
            Middleware(
                BodySizeLimit,
                max_bytes=max_body_bytes,
                max_multipart_bytes=max_upload_bytes if multipart_uploads else None,
            ),
        ],
    )
