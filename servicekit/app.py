"""The Starlette app every service runs: GraphQL, health endpoints, GraphiQL, lifespan.

``create_service_app`` is the composition root of a service. Its lifespan opens, for as
long as the service runs, what every service shares — the PostgreSQL pool, the one HTTP
session its calls to other services go through (traced), the JWKS cache, the clock — and
then the service's own long-lived resources (``resources``: an async context the service
passes, e.g. identity's key ring and relying party). All of it is a :class:`Running`,
on the app's state as ``service``; each request's :class:`RequestContext` carries the
verified principal, the service's DataLoaders, its resources and the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import Any, Generic, TypedDict, TypeVar

import aiohttp
import asyncpg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from servicekit import graphiql, telemetry
from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.database import create_pool
from servicekit.endpoint import GraphQLEndpoint
from servicekit.graphql import RequestContext, ServiceSchema
from servicekit.graphql_lane import GraphQLLane, LanedStarlette
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

# what talking to the database can raise when it is away (asyncpg's InternalClientError
# included: it trips over its own state when a connection is lost under it)
DATABASE_FAILURES = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)

ResourcesT = TypeVar("ResourcesT")


@dataclass(frozen=True, slots=True)
class Running(Generic[ResourcesT]):
    """What a running service holds for its lifetime, opened in its lifespan."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    http: aiohttp.ClientSession  # every call to another service goes through this one
    clock: Clock
    resources: ResourcesT  # the service's own (None when it has none)


class ServiceState(TypedDict):
    """The lifespan's state, on every request as ``request.state``."""

    pool: asyncpg.Pool
    verifier: TokenVerifier
    service: Running[Any]
    warm: asyncio.Event  # set once the warm-up has run: until then /readyz says 503


WARM_CONNECTIONS = 4  # opened before ready: a burst finds them instead of opening its own
POOL_CLOSE_SECONDS = 10.0  # how long a stopping process waits for connections in use
WARM_BEFORE_SERVING_SECONDS = 120.0  # a worker of several accepts after this, warm or not


async def open_connections(pool: asyncpg.Pool, count: int) -> None:
    """Open ``count`` of the pool's connections at once and hand them back: the first
    requests' burst then finds them open (each one opened costs a login on both sides)."""
    held: list[asyncpg.pool.PoolConnectionProxy[Any]] = []
    try:
        for _ in range(count):
            held.append(await pool.acquire())
    finally:
        # also when an open fails or the warm-up is cancelled (the service stopping while
        # it warms): a connection never handed back holds the pool's close for ever
        for connection in held:
            await pool.release(connection)


async def close_pool(pool: asyncpg.Pool, seconds: float = POOL_CLOSE_SECONDS) -> None:
    """Close the pool, waiting at most ``seconds`` for connections still in use: past that
    they are cut (asyncpg terminates the pool when its close is cancelled), so a stopping
    process never waits on a stuck query or a connection somebody failed to hand back."""
    try:
        async with asyncio.timeout(seconds):
            await pool.close()
    except TimeoutError:
        logger.warning("the database pool did not close in %s s; its connections were cut", seconds)


async def keys_when_served(verifier: TokenVerifier, tries: int = 40) -> None:
    """The issuer's keys, asked for until identity serves them (it may be starting beside
    this service) for about ten seconds; then the first token asks again."""
    for attempt in range(tries):
        try:
            await verifier.load_keys()
            return
        except (InvalidToken, aiohttp.ClientError, OSError, TimeoutError):
            if attempt == tries - 1:
                raise
            await asyncio.sleep(0.25)


async def serve_once_warm(warming: asyncio.Task[None], workers: int) -> None:
    """With several workers on one socket, wait (at most ``WARM_BEFORE_SERVING_SECONDS``)
    for this worker's warm-up before it starts to accept connections.

    A lone process takes traffic only once its ``/readyz`` says so, and stays alive for its
    probes while it warms. Workers sharing a socket cannot: the load balancer sees one
    address, and a worker still cold would take its share of connections as soon as it
    accepts (measured: the first seconds' p99 of a two-worker directory over 400 ms)."""
    if workers > 1:
        await asyncio.wait({warming}, timeout=WARM_BEFORE_SERVING_SECONDS)


async def warm(work: Awaitable[None], done: asyncio.Event) -> None:
    """Run a process's warm-up, then say it is ready. A failure is logged by its class
    only and ends the warm-up: requests then do the same work when they first need it.
    What the warm-up made (an index, plans) lives as long as the process: the heap is settled
    again, so the first requests do not pay for collecting it."""
    try:
        await work
        settle_heap()
    except Exception as failure:
        logger.warning("warm-up failed (%s); serving cold", type(failure).__name__)
    finally:
        done.set()


class ContextBuilder:
    """Builds each request's :class:`RequestContext`: its pool, its verified principal (or
    why the token was refused), the service's DataLoaders, resources and clock."""

    def __init__(self, make_loaders: Callable[[Running[Any]], Any] | None) -> None:
        self.make_loaders = make_loaders

    async def __call__(self, request: Request) -> RequestContext[Any, Any]:
        verifier: TokenVerifier = request.state.verifier
        principal, problem = None, None
        token = bearer_token(request.headers)
        if token is not None:
            try:
                principal = await verifier.verify(token)
            except InvalidToken as invalid:
                problem = str(invalid)
        service: Running[Any] = request.state.service
        loaders = self.make_loaders(service) if self.make_loaders else None
        return RequestContext(
            pool=service.pool,
            principal=principal,
            token_problem=problem,
            loaders=loaders,
            resources=service.resources,
            clock=service.clock,
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


async def keep_house(
    work: Callable[[asyncpg.Pool], Awaitable[None]], pool: asyncpg.Pool, every: float
) -> None:
    """Run ``work`` now and then every ``every`` seconds, for as long as the service runs.

    No failure ends it: a housekeeping that stopped would stop mail and clean-ups until the
    next restart. Only the failure's class is logged (its text may quote a value)."""
    while True:
        try:
            await work(pool)
        except Exception as failure:
            logger.warning("housekeeping failed (%s); retrying later", type(failure).__name__)
        await asyncio.sleep(every)


def create_service_app(
    settings: ServiceSettings,
    schema: Any,
    *,
    title: str,
    clock: Clock = SYSTEM_CLOCK,
    resources: Callable[[Running[None]], AbstractAsyncContextManager[Any]] | None = None,
    make_loaders: Callable[[Running[Any]], Any] | None = None,
    routes: Sequence[BaseRoute] = (),
    pages: Sequence[BaseRoute] = (),
    max_page_bytes: int = 100_000,
    multipart_uploads: bool = False,
    max_body_bytes: int = 1_000_000,
    max_upload_bytes: int | None = None,
    jwks_fetcher: Callable[[Running[Any]], JwksFetcher] | None = None,
    housekeeping: Callable[[asyncpg.Pool], Awaitable[None]] | None = None,
    housekeeping_every: float = 3600.0,
    warm_up: Callable[[Running[Any]], Awaitable[None]] | None = None,
) -> Starlette:
    """Build the ASGI app of one service from its settings and schema.

    ``clock`` tells the service the time (tests pass a fixed one). ``resources`` opens the
    service's own long-lived resources once the pool and the HTTP session are open, and
    closes them before those; its value is ``Running.resources``, and each request's
    context's ``resources``. ``make_loaders`` builds each request's DataLoaders.

    ``routes`` are served beside ``/graphql`` (traced the same way); ``pages`` before all
    of them, outside the telemetry middleware, with every body capped at ``max_page_bytes``
    (identity's sign-in pages and key endpoints).

    ``multipart_uploads`` accepts the GraphQL multipart request specification (file
    uploads); ``max_body_bytes`` caps every request body, and ``max_upload_bytes``, when
    given, caps multipart ones instead (a JSON body never gets the upload allowance).
    ``jwks_fetcher`` replaces fetching the issuer's keys over HTTP (identity reads its own
    key ring). ``housekeeping`` runs at start and then every ``housekeeping_every`` seconds
    (e.g. to delete what must not outlive its purpose); a failure is logged and retried.
    ``warm_up`` does at start what the first requests would otherwise wait for (directory
    reads every profile into its search index), after the issuer's keys are fetched (every
    service's first token would wait for them); ``/readyz`` answers 503 until it is done,
    so a restarted pod gets no traffic while cold. ``/healthz`` (liveness) does not wait.
    """

    # spans and metrics need an exporter (telemetry.configure); without one (the default)
    # the server and client hooks would record nothing at a cost on every request
    tracing = telemetry.enabled()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[ServiceState]:
        pool = await create_pool(settings.database_url.value)
        trace_configs = [telemetry.client_trace_config(settings.name)] if tracing else []
        try:
            async with (
                # calls between services carry no cookies: nothing to keep of their answers
                aiohttp.ClientSession(
                    trace_configs=trace_configs, cookie_jar=aiohttp.DummyCookieJar()
                ) as http,
                contextlib.AsyncExitStack() as stack,
            ):
                basics: Running[None] = Running(settings, pool, http, clock, None)
                own = await stack.enter_async_context(resources(basics)) if resources else None
                service = replace(basics, resources=own)
                fetch = (
                    jwks_fetcher(service)
                    if jwks_fetcher is not None
                    else http_jwks_fetcher(http, settings.jwks_url)
                )
                verifier = TokenVerifier(
                    JwksCache(fetch),
                    issuer=settings.token_issuer,
                    audience=settings.token_audience,
                )
                keeper = (
                    asyncio.create_task(keep_house(housekeeping, pool, housekeeping_every))
                    if housekeeping is not None
                    else None
                )
                done = asyncio.Event()

                async def warm_up_all(service: Running[Any]) -> None:
                    await keys_when_served(verifier)
                    await open_connections(pool, WARM_CONNECTIONS)
                    if warm_up is not None:
                        await warm_up(service)

                warming = asyncio.create_task(warm(warm_up_all(service), done))
                await serve_once_warm(warming, settings.workers)
                settle_heap()
                try:
                    yield {"pool": pool, "verifier": verifier, "service": service, "warm": done}
                finally:
                    warming.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await warming
                    if keeper is not None:
                        keeper.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await keeper
        finally:
            await close_pool(pool)
            telemetry.flush()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        done: asyncio.Event = request.state.warm
        if not done.is_set():
            return JSONResponse({"status": "warming up"}, status_code=503)
        pool: asyncpg.Pool = request.state.pool
        try:
            async with asyncio.timeout(2):
                await pool.fetchval("SELECT 1")
        except DATABASE_FAILURES:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    if isinstance(schema, ServiceSchema):
        schema.valid_documents.forget_after(settings.document_idle_seconds)
        schema.introspection = settings.introspection
    graphql_endpoint = GraphQLEndpoint(
        schema,
        title=title,
        graphiql_enabled=settings.graphiql,
        get_context=ContextBuilder(make_loaders),
        multipart_uploads=multipart_uploads,
    )
    traced_routes = [
        *routes,
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql_endpoint.handle, methods=["GET", "POST"]),
        graphiql.static_files(),
    ]
    middleware = [
        Middleware(
            BodySizeLimit,
            max_bytes=max_body_bytes,
            max_multipart_bytes=max_upload_bytes if multipart_uploads else None,
        ),
    ]
    if tracing:
        middleware.insert(0, Middleware(telemetry.TelemetryMiddleware))
    # every request through the telemetry middleware when there is one; with pages, a
    # GraphQL body is under both caps, as it was under both middlewares
    cap = min(max_body_bytes, max_page_bytes) if pages else max_body_bytes
    lane = None if tracing else GraphQLLane(graphql_endpoint.handle, max_bytes=cap)
    if not pages:
        return LanedStarlette(
            routes=traced_routes,
            lifespan=lifespan,
            middleware=middleware,
            lane=lane,
            headers=settings.public_url.response_headers(),
        )
    traced = Starlette(routes=traced_routes, middleware=middleware)
    return LanedStarlette(
        routes=[*pages, Mount("/", app=traced)],
        lifespan=lifespan,
        middleware=[Middleware(BodySizeLimit, max_bytes=max_page_bytes)],
        lane=lane,
        headers=settings.public_url.response_headers(),
    )
