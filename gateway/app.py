"""The gateway's HTTP edge: `/graphql`, health, GraphiQL, the portal; the proxied routes
(`/auth/*`, `/documents/{id}`) are in :mod:`gateway.proxies`. Reading a request is in
:mod:`gateway.graphql_http`, answering its operation in :mod:`gateway.operations`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from graphql import DocumentNode
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import conversations, playground, proxies
from gateway import supergraph as supergraph_module
from gateway.graphql_http import (
    CSRF_HEADER,
    OperationRequest,
    graphql_answer,
    graphql_error,
    invalid_bearer_token,
    read_operation,
    refused_text,
)
from gateway.operations import OperationPipeline
from gateway.portal import portal_routes
from gateway.portal.documents import portal_documents
from gateway.portal.routes import not_found, visit_counter
from gateway.settings import GatewaySettings, load
from gateway.subgraphs import SubgraphClient
from servicekit import graphiql, telemetry
from servicekit.app import keys_when_served, serve_once_warm, settle_heap, warm
from servicekit.graphql_lane import GraphQLLane, LanedStarlette
from servicekit.graphql_media import answer_media_type
from servicekit.http_connections import HttpConnections
from servicekit.limits import BodySizeLimit
from servicekit.tokens import (
    InvalidToken,
    JwksCache,
    TokenVerifier,
    bearer_token,
    http_jwks_fetcher,
)


class Gateway:
    """Everything one running gateway holds: the supergraph, the HTTP pool, the key cache."""

    def __init__(
        self,
        settings: GatewaySettings,
        supergraph: supergraph_module.Supergraph,
        client: SubgraphClient,
        verifier: TokenVerifier,
        session: aiohttp.ClientSession,
    ) -> None:
        self.settings = settings
        self.verifier = verifier
        self.session = session
        self.operations = OperationPipeline(settings, supergraph, client)
        # the portal's pages answer their own operations through the same pipeline
        self.run = self.operations.run

    async def handle(self, request: Request) -> Response:
        """A POST to `/graphql`: read the operation, tell who asks, answer it."""
        media_type = answer_media_type(request.headers.get("accept"))
        operation = await read_operation(
            request, max_body_bytes=self.settings.limits.max_body_bytes, media_type=media_type
        )
        if not isinstance(operation, OperationRequest):
            return operation
        refused = refused_text(operation, self._valid_document)
        if refused:
            return graphql_answer({"errors": refused}, media_type)
        bearer = bearer_token(request.headers)
        token = bearer or request.cookies.get(self.settings.session_cookie)
        principal, problem = None, None
        if token:
            try:
                principal = await self.verifier.verify(token)
            except InvalidToken as invalid:
                problem = str(invalid)
            if problem is not None and bearer is not None:
                # a client that sends a bearer token wants it used: say it is not valid
                return invalid_bearer_token(problem, media_type)
        if principal is not None and principal.has_role("service"):
            # services call each other directly, never through the public edge
            return graphql_error(
                "Service tokens are not accepted here: sign in as a person.",
                "FORBIDDEN",
                403,
                media_type,
            )
        # an expired session cookie still lets a person use the public operations
        result = await self.operations.run(
            operation.query,
            operation.variables,
            operation.operation_name,
            token if principal else None,
            problem,
        )
        return graphql_answer(result, media_type, self.settings.limits.max_answer_bytes)

    def _valid_document(self, query: str) -> DocumentNode | None:
        """The parsed document of ``query`` when it is valid (kept for the pipeline)."""
        checked = self.operations.check(query)
        return None if checked.errors else checked.document


def create_app(settings: GatewaySettings | None = None) -> Starlette:
    """The gateway's ASGI app; the supergraph comes from ``settings.supergraph_file``."""
    settings = settings or load()
    # spans and metrics need an exporter (telemetry.configure); without one (the default)
    # the server and client hooks would record nothing at a cost on every request
    tracing = telemetry.enabled()
    supergraph = supergraph_module.load(Path(settings.supergraph_file).read_text(encoding="utf-8"))
    holder: dict[str, Gateway] = {}
    # conversations' own client: each open stream holds a connection for as long as a page
    # is open, so in the shared pool (200) a few hundred pages would starve every subgraph
    relay_sessions: dict[str, aiohttp.ClientSession] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=200, limit_per_host=100, keepalive_timeout=30)
        trace_configs = [telemetry.client_trace_config("identity")] if tracing else []
        # no cookie jar: `/auth/*` carries each person's own cookies, and a jar would keep
        # every Set-Cookie identity answers (tokens, sessions) and send them with the next
        # person's request
        async with (
            aiohttp.ClientSession(
                connector=connector,
                trace_configs=trace_configs,
                cookie_jar=aiohttp.DummyCookieJar(),
            ) as session,
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=30),
                cookie_jar=aiohttp.DummyCookieJar(),
            ) as relay_session,
        ):
            relay_sessions["conversations"] = relay_session
            # traced calls go through the session, whose hooks open their spans
            connections = None if tracing else HttpConnections(seconds=settings.subgraph_timeout)
            client = SubgraphClient(
                session,
                settings.subgraph_urls,
                settings.subgraph_timeout,
                deduplicate=settings.deduplicate_reads,
                connections=connections,
            )
            verifier = TokenVerifier(
                JwksCache(http_jwks_fetcher(session, settings.jwks_url)),
                issuer=settings.token_issuer,
                audience=settings.token_audience,
            )
            gateway = holder["gateway"] = app.state.gateway = Gateway(
                settings, supergraph, client, verifier, session
            )
            counter = app.state.visits = visit_counter(gateway)
            hand_over = asyncio.create_task(counter.hand_over_on_schedule())
            ready.clear()
            warming = asyncio.create_task(warm(warm_up(gateway), ready))
            await serve_once_warm(warming, settings.workers)
            settle_heap()
            try:
                yield
            finally:
                for task in (hand_over, warming):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                if connections is not None:
                    connections.close()
        telemetry.flush()

    ready = asyncio.Event()  # set once warm: /readyz says 503 until then

    async def warm_up(gateway: Gateway) -> None:
        """Before the gateway says it is ready: the issuer's keys, and the portal's own
        documents checked and planned, so a restarted pod's first users wait for neither."""
        await keys_when_served(gateway.verifier)
        documents, _ = await asyncio.to_thread(portal_documents)
        gateway.operations.prepare(documents.values())

    async def graphql_endpoint(request: Request) -> Response:
        if request.method == "GET":
            if settings.graphiql and "text/html" in request.headers.get("accept", ""):
                return graphiql.graphiql_page(
                    title="WeNeverWalkAlone API",
                    endpoint="/graphql",
                    operations=playground.operations(),
                    variables=playground.variables(),
                )
            return graphql_error("Send GraphQL operations with POST.", "METHOD_NOT_ALLOWED", 405)
        return await holder["gateway"].handle(request)

    async def auth(request: Request) -> Response:
        return await proxies.to_identity(holder["gateway"].session, settings, request)

    async def document(request: Request) -> Response:
        return await proxies.document_download(holder["gateway"].session, settings, request)

    async def renewable(request: Request) -> Response:
        """Whether this browser holds a session to renew (its cookie is sent to /auth only):
        the visitor page asks this before posting /auth/refresh, so a visitor's browser is
        never answered 401. The cookie is not opened or checked here; identity does that."""
        present = bool(request.cookies.get(settings.renewal_cookie))
        return JSONResponse({"renewable": present}, headers={"Cache-Control": "no-store"})

    async def conversation(request: Request) -> Response:
        return await conversations.to_conversations(
            relay_sessions["conversations"], settings, request
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if not ready.is_set():
            return JSONResponse({"status": "warming up"}, status_code=503)
        return JSONResponse({"status": "ready"})

    routes = [
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        Route("/auth/renewable", renewable, methods=["GET"]),
        Route("/auth/{rest:path}", auth, methods=["GET", "POST"]),
        Route("/documents/{document_id}", document, methods=["GET"]),
        Route("/conversations/{rest:path}", conversation, methods=["GET", "POST", "PUT"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        graphiql.static_files(),
        *portal_routes(settings),
    ]
    middleware = [Middleware(BodySizeLimit, max_bytes=settings.limits.max_upload_bytes)]
    if tracing:
        # the public edge: a client's traceparent is never continued
        middleware.insert(0, Middleware(telemetry.TelemetryMiddleware, continue_remote=False))
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_credentials=True,
                allow_methods=["POST"],
                allow_headers=["content-type", "authorization", CSRF_HEADER],
            )
        )
    # the lane skips the middleware: not when a request must pass telemetry's or CORS's
    lane = (
        None
        if tracing or settings.cors_origins
        else GraphQLLane(graphql_endpoint, max_bytes=settings.limits.max_upload_bytes)
    )
    return LanedStarlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={404: not_found},
        lane=lane,
        headers=settings.public_url.response_headers(),
    )
