"""The gateway's HTTP edge: `/graphql`, health, GraphiQL, the portal; the proxied routes
(`/auth/*`, `/documents/{id}`) are in :mod:`gateway.proxies`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import proxies
from gateway import supergraph as supergraph_module
from gateway.execution import OperationExecution, resolve_field
from gateway.planning import SelectionPlanner, single_subgraph
from gateway.portal import portal_routes
from gateway.public import PUBLIC_ROOT_FIELDS
from gateway.responses import SECURITY_HEADERS, graphql_error
from gateway.settings import GatewaySettings, load
from gateway.subgraphs import SubgraphClient, SubgraphResponse, SubgraphUnavailable
from servicekit import graphiql, telemetry
from servicekit.limits import BodySizeLimit, operation_errors
from servicekit.recent import RecentDocuments
from servicekit.tokens import (
    InvalidToken,
    JwksCache,
    TokenVerifier,
    bearer_token,
    http_jwks_fetcher,
)

CSRF_HEADER = "x-wnwa-request"
_CACHED_DOCUMENT_CHARS = 16_384


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
        self.supergraph = supergraph
        self.client = client
        self.verifier = verifier
        self.session = session
        rules = list(specified_rules)
        if not settings.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)
        # parsed and validated documents by their text: clients repeat the same operations
        # with each, the plans that depend on it alone (see OperationExecution)
        # kept by their text while in use (a client may write search values into it): at most
        # 1,000, each forgotten after ten minutes unused
        self._documents: RecentDocuments[tuple[DocumentNode | None, list[Any], dict[Any, Any]]]
        self._documents = RecentDocuments(size=1000)

    def _check(self, query: str) -> tuple[DocumentNode | None, list[Any], dict[Any, Any]]:
        try:
            document = parse(query, max_tokens=20_000)
        except GraphQLError as syntax:
            return None, [_coded(syntax, "GRAPHQL_PARSE_FAILED")], {}
        errors = validate(self.supergraph.schema, document, self.rules, max_errors=20)
        return document, [_coded(error, "GRAPHQL_VALIDATION_FAILED") for error in errors], {}

    async def handle(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            body = await request.body()
            if len(body) > self.settings.limits.max_body_bytes:
                return graphql_error("The request is too large.", "PAYLOAD_TOO_LARGE", 413)
            try:
                payload = orjson.loads(body)
            except orjson.JSONDecodeError:
                return graphql_error("The request body is not valid JSON.", "BAD_REQUEST", 400)
        elif content_type == "multipart/form-data":
            # a form post can come from any site: require a header only scripts can set
            if not request.headers.get(CSRF_HEADER):
                return graphql_error(
                    f"Multipart requests need the {CSRF_HEADER} header.", "CSRF_PREVENTION", 400
                )
            payload_or_error = await _multipart_payload(request)
            if isinstance(payload_or_error, Response):
                return payload_or_error
            payload = payload_or_error
        else:
            return graphql_error(
                "Send GraphQL operations as application/json (or multipart/form-data for uploads).",
                "UNSUPPORTED_MEDIA_TYPE",
                415,
            )

        if isinstance(payload, list):
            return graphql_error("Send one operation per request.", "BAD_REQUEST", 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return graphql_error("The request needs a `query` string.", "BAD_REQUEST", 400)
        variables = payload.get("variables") or {}
        operation_name = payload.get("operationName")
        if not isinstance(variables, dict) or not (
            operation_name is None or isinstance(operation_name, str)
        ):
            return graphql_error(
                "`variables` must be an object and `operationName` a string.", "BAD_REQUEST", 400
            )

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
                return JSONResponse(
                    {
                        "errors": [
                            {
                                "message": f"Sign in again: {problem}.",
                                "extensions": {"code": "UNAUTHENTICATED"},
                            }
                        ]
                    },
                    status_code=401,
                    headers={
                        **SECURITY_HEADERS,
                        "WWW-Authenticate": 'Bearer error="invalid_token"',
                    },
                )
        if principal is not None and principal.has_role("service"):
            # services call each other directly, never through the public edge
            return graphql_error(
                "Service tokens are not accepted here: sign in as a person.", "FORBIDDEN", 403
            )
        # an expired session cookie still lets a person use the public operations
        result = await self.run(
            payload["query"], variables, operation_name, token if principal else None, problem
        )
        return Response(
            orjson.dumps(result), media_type="application/json", headers=SECURITY_HEADERS
        )

    async def run(
        self,
        query: str,
        variables: Mapping[str, Any],
        operation_name: str | None,
        token: str | None,
        token_problem: str | None = None,
    ) -> dict[str, Any]:
        """Validate and execute one operation; the answer as the GraphQL response map."""
        schema = self.supergraph.schema
        checked = self._documents.get(query)
        if checked is None:
            checked = self._check(query)
            # only documents that are valid and of a usual size are kept: a flood of large or
            # invalid ones must not fill the gateway's memory
            if not checked[1] and len(query) <= _CACHED_DOCUMENT_CHARS:
                self._documents.put(query, checked)
        document, problems, plans = checked
        if problems:
            return {"errors": problems}
        assert document is not None
        operation = _operation(document, operation_name)
        if isinstance(operation, GraphQLError):
            return {"errors": [operation.formatted]}
        if operation.operation == OperationType.SUBSCRIPTION:
            return {"errors": [GraphQLError("Subscriptions are not offered.").formatted]}
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # what an operation costs depends on its document alone: counted once per document
        limit_errors = plans.get(("limits", operation_name))
        if limit_errors is None:
            limit_errors = operation_errors(operation, fragments, self.settings.limits)
            plans[("limits", operation_name)] = limit_errors
        if limit_errors:
            return {"errors": [error.formatted for error in limit_errors]}
        if token is None:
            private = sorted(_root_fields(operation.selection_set, fragments) - PUBLIC_ROOT_FIELDS)
            if private:
                reason = f" (your session is not valid: {token_problem})" if token_problem else ""
                error = GraphQLError(
                    f"Sign in to use {', '.join(private)}{reason}.",
                    extensions={"code": "UNAUTHENTICATED"},
                )
                return {"errors": [error.formatted]}
        # variables are checked once, here, for both ways of answering: a request error
        # leaves `data` out and reads the same whichever way the operation would have run
        coerced = get_variable_values(
            schema, operation.variable_definitions or (), dict(variables), max_errors=20
        )
        if isinstance(coerced, list):
            return {"errors": [_coded(error, "BAD_USER_INPUT") for error in coerced]}
        authorization = f"Bearer {token}" if token else None
        answered: dict[str, SubgraphResponse | SubgraphUnavailable] = {}
        if self.settings.single_subgraph_passthrough:
            single = plans.get(("single", operation_name))
            if single is None:
                single = plans[("single", operation_name)] = (
                    single_subgraph(self.supergraph, operation, fragments) or ""
                )
            if single:
                text = plans.get(("text", operation_name))
                if text is None:
                    text = plans[("text", operation_name)] = _only(query, document, operation)
                outcome = await self._pass_through(
                    single, operation, text, variables, operation_name, authorization
                )
                if isinstance(outcome, dict):
                    return outcome
                # no data: the planned path places what went wrong per field, from this
                # very answer (a lost mutation answer must never cause a second write)
                answered[single] = outcome
        execution = OperationExecution(
            supergraph=self.supergraph,
            client=self.client,
            operation=operation,
            planner=SelectionPlanner(self.supergraph, fragments),
            variables=variables,
            authorization=authorization,
            plans=plans.setdefault(operation_name, {}),
            answered=answered,
        )
        result = execute(
            schema,
            document,
            context_value=execution,
            variable_values=dict(variables),
            operation_name=operation_name,
            field_resolver=resolve_field,
        )
        if not isinstance(result, ExecutionResult):
            result = await result
        formatted: dict[str, Any] = dict(result.formatted)
        extra = [error.formatted for error in execution.extra_errors]
        if extra:
            formatted["errors"] = [*formatted.get("errors", []), *extra]
        name = operation.name.value if operation.name else None
        telemetry.annotate_operation(
            operation.operation.value, name, failed=bool(formatted.get("errors"))
        )
        return formatted

    async def _pass_through(
        self,
        subgraph: str,
        operation: OperationDefinitionNode,
        query: str,
        variables: Mapping[str, Any],
        operation_name: str | None,
        authorization: str | None,
    ) -> dict[str, Any] | SubgraphResponse | SubgraphUnavailable:
        """The subgraph's own answer to an operation it resolves entirely; when it gave no
        data, what it gave instead, so the planned path can report per field what went
        wrong."""
        try:
            if operation.operation == OperationType.QUERY:
                response = await self.client.fetch_query(
                    subgraph,
                    query,
                    variables,
                    authorization=authorization,
                    operation_name=operation_name,
                )
            else:
                response = await self.client.fetch(
                    subgraph,
                    query,
                    variables,
                    authorization=authorization,
                    operation_name=operation_name,
                )
        except SubgraphUnavailable as unavailable:
            return unavailable
        if response.data is None:
            return response
        answer: dict[str, Any] = {}
        if response.errors:
            answer["errors"] = [_public_error(error) for error in response.errors]
        answer["data"] = response.data
        return answer


def _coded(error: GraphQLError, code: str) -> dict[str, Any]:
    """A request error as the client sees it, with a machine-readable code."""
    formatted: dict[str, Any] = dict(error.formatted)
    formatted["extensions"] = {**(error.extensions or {}), "code": code}
    return formatted


def _only(query: str, document: DocumentNode, operation: OperationDefinitionNode) -> str:
    """``query`` holding only ``operation`` and the fragments it uses: every other
    definition is blanked out (newlines kept), so the subgraph never sees fields it lacks
    and the locations in its errors still point into the client's own text."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    kept: set[int] = {id(operation)}
    pending: list[Any] = [operation]
    while pending:
        node = pending.pop()
        for spread in _spreads(node.selection_set):
            fragment = fragments.get(spread)
            if fragment is not None and id(fragment) not in kept:
                kept.add(id(fragment))
                pending.append(fragment)
    if len(kept) == len(document.definitions):
        return query
    text = list(query)
    for definition in document.definitions:
        if id(definition) in kept or definition.loc is None:
            continue
        for index in range(definition.loc.start, definition.loc.end):
            if text[index] not in "\r\n":
                text[index] = " "
    return "".join(text)


def _spreads(selection_set: SelectionSetNode | None) -> set[str]:
    names: set[str] = set()
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FragmentSpreadNode):
            names.add(selection.name.value)
        elif isinstance(selection, FieldNode | InlineFragmentNode):
            names |= _spreads(selection.selection_set)
    return names


def _public_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """A subgraph's error as the gateway passes it on: message, place and code only."""
    public: dict[str, Any] = {"message": str(error.get("message", "Error"))}
    for key in ("locations", "path"):
        if isinstance(error.get(key), list):
            public[key] = error[key]
    extensions = error.get("extensions")
    if isinstance(extensions, dict) and isinstance(extensions.get("code"), str):
        public["extensions"] = {"code": extensions["code"]}
    return public


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | GraphQLError:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        if len(operations) != 1:
            return GraphQLError(
                "The document holds several operations: name one with operationName."
            )
        return operations[0]
    for operation in operations:
        if operation.name and operation.name.value == name:
            return operation
    return GraphQLError(f"There is no operation named {name!r} in the document.")


def _root_fields(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> set[str]:
    names: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _root_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            names |= _root_fields(fragments[selection.name.value].selection_set, fragments)
    return names


async def _multipart_payload(request: Request) -> dict[str, Any] | Response:
    """The operation of a GraphQL multipart request, uploads placed into its variables."""
    try:
        form = await request.form(max_files=20, max_fields=50)
        operations = json.loads(str(form.get("operations")))
        mapping = json.loads(str(form.get("map") or "{}"))
    except (ValueError, TypeError, KeyError):
        return graphql_error(
            "The multipart request lacks valid `operations` and `map` parts.", "BAD_REQUEST", 400
        )
    if not isinstance(operations, dict) or not isinstance(mapping, dict):
        return graphql_error(
            "The multipart request lacks valid `operations` and `map` parts.", "BAD_REQUEST", 400
        )
    for key, paths in mapping.items():
        upload = form.get(key)
        if not isinstance(upload, UploadFile) or not isinstance(paths, list):
            return graphql_error(f"File {key!r} named in `map` is missing.", "BAD_REQUEST", 400)
        for path in paths:
            if not isinstance(path, str) or not _place(operations, path.split("."), upload):
                return graphql_error(
                    f"`map` path {path!r} does not point into the variables.", "BAD_REQUEST", 400
                )
    return operations


def _place(container: Any, path: list[str], value: Any) -> bool:
    for index, segment in enumerate(path):
        last = index == len(path) - 1
        if isinstance(container, dict) and segment in container:
            if last:
                container[segment] = value
                return True
            container = container[segment]
        elif isinstance(container, list) and segment.isdigit() and int(segment) < len(container):
            if last:
                container[int(segment)] = value
                return True
            container = container[int(segment)]
        else:
            return False
    return False


def create_app(settings: GatewaySettings | None = None) -> Starlette:
    """The gateway's ASGI app; the supergraph comes from ``settings.supergraph_file``."""
    settings = settings or load()
    supergraph = supergraph_module.load(Path(settings.supergraph_file).read_text(encoding="utf-8"))
    holder: dict[str, Gateway] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=200, limit_per_host=100, keepalive_timeout=30)
        trace_configs = [telemetry.client_trace_config("identity")]
        async with aiohttp.ClientSession(
            connector=connector, trace_configs=trace_configs
        ) as session:
            client = SubgraphClient(
                session,
                settings.subgraph_urls,
                settings.subgraph_timeout,
                deduplicate=settings.deduplicate_reads,
            )
            verifier = TokenVerifier(
                JwksCache(http_jwks_fetcher(session, settings.jwks_url)),
                issuer=settings.token_issuer,
                audience=settings.token_audience,
            )
            holder["gateway"] = app.state.gateway = Gateway(
                settings, supergraph, client, verifier, session
            )
            yield
        telemetry.flush()

    async def graphql_endpoint(request: Request) -> Response:
        if request.method == "GET":
            if settings.graphiql and "text/html" in request.headers.get("accept", ""):
                return graphiql.graphiql_page(title="WeNeverWalkAlone API", endpoint="/graphql")
            return graphql_error("Send GraphQL operations with POST.", "METHOD_NOT_ALLOWED", 405)
        return await holder["gateway"].handle(request)

    async def auth(request: Request) -> Response:
        return await proxies.to_identity(holder["gateway"].session, settings, request)

    async def document(request: Request) -> Response:
        return await proxies.document_download(holder["gateway"].session, settings, request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        Route("/auth/{rest:path}", auth, methods=["GET", "POST"]),
        Route("/documents/{document_id}", document, methods=["GET"]),
        Route("/healthz", healthz),
        Route("/readyz", healthz),
        graphiql.static_files(),
        *portal_routes(settings),
    ]
    middleware = [
        Middleware(telemetry.TelemetryMiddleware),
        Middleware(BodySizeLimit, max_bytes=settings.limits.max_upload_bytes),
    ]
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
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
