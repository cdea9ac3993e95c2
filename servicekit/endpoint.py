"""A subgraph's ``/graphql`` endpoint: the GraphQL-over-HTTP edge of every service.

It reads one operation from a JSON body (or, where a service takes uploads, from a
GraphQL multipart request), refuses anything malformed with a 400 and a GraphQL error
body — a body that is not an object, invalid UTF-8, JSON nested absurdly deep, multipart
parts of the wrong shape or unreadable — and variables holding control characters
(:mod:`servicekit.control_characters`; literals are checked with the document), builds the
request's context and runs the operation on the service's schema. The answer is written in
the media type the client prefers, with the status that type calls for
(:mod:`servicekit.graphql_media`); a request error has no ``data`` entry. Nothing here logs
what a request contained.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from servicekit import graphiql
from servicekit.control_characters import json_may_hold_control_characters, variable_errors
from servicekit.graphql_media import JSON, answer_media_type, answer_status

MULTIPART = "multipart/form-data"
_OPERATION_TYPES = (OperationType.QUERY, OperationType.MUTATION)


def graphql_error(message: str, code: str, status: int = 400, media_type: str = JSON) -> Response:
    """A GraphQL error body (``errors[0].extensions.code``) with an HTTP status."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=status, media_type=media_type)


def graphql_response(answer: dict[str, Any], media_type: str) -> Response:
    """A GraphQL response map as the answer, with the status its media type calls for."""
    return Response(
        orjson.dumps(answer), status_code=answer_status(answer, media_type), media_type=media_type
    )


def response_map(result: Any) -> dict[str, Any]:
    """An execution result as the GraphQL response map. A request error — the operation
    never ran: no data, and no error at a field's path — has no ``data`` entry at all."""
    answer: dict[str, Any] = dict(process_result(result))
    errors = answer.get("errors")
    if answer.get("data") is None and errors and not any(e.get("path") for e in errors):
        del answer["data"]
    return answer


class BadRequest(Exception):
    """The request is not a GraphQL operation this endpoint can read; says why."""


class GraphQLEndpoint:
    """``GET`` shows GraphiQL (when enabled); ``POST`` runs one operation."""

    def __init__(
        self,
        schema: Any,
        *,
        title: str,
        graphiql_enabled: bool,
        get_context: Callable[[Request], Awaitable[Any]],
        multipart_uploads: bool,
    ) -> None:
        self.schema = schema
        self.title = title
        self.graphiql_enabled = graphiql_enabled
        self.get_context = get_context
        self.multipart_uploads = multipart_uploads

    async def handle(self, request: Request) -> Response:
        try:
            return await self._answer(request)
        finally:
            await request.close()  # the uploads' temporary files, if any

    async def _answer(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        if request.method == "GET":
            if self.graphiql_enabled and "text/html" in (accept or ""):
                return graphiql.graphiql_page(title=self.title, endpoint=request.url.path)
            return graphql_error("Send GraphQL operations with POST.", "METHOD_NOT_ALLOWED", 405)
        media_type = answer_media_type(accept)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if content_type == JSON:
                body = await request.body()
                payload = _json(body, "The request body")
                suspect = json_may_hold_control_characters(body)
            elif content_type == MULTIPART and self.multipart_uploads:
                payload = await _multipart(request)
                suspect = True
            else:
                accepted = JSON + (f" or {MULTIPART}" if self.multipart_uploads else "")
                return graphql_error(
                    f"Send GraphQL operations as {accepted}.",
                    "UNSUPPORTED_MEDIA_TYPE",
                    415,
                    media_type,
                )
            query, variables, operation_name = _operation(payload)
        except BadRequest as problem:
            return graphql_error(str(problem), "BAD_REQUEST", media_type=media_type)
        refused = variable_errors(variables) if suspect else []
        if refused:
            return graphql_response({"errors": [e.formatted for e in refused]}, media_type)
        context = await self.get_context(request)
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=_OPERATION_TYPES,
            )
        except MissingQueryError:
            return graphql_error(
                "The request needs a `query` string.", "BAD_REQUEST", media_type=media_type
            )
        except CannotGetOperationTypeError:
            return graphql_error(
                "Name the document's operation to run in `operationName` (one it defines).",
                "BAD_REQUEST",
                media_type=media_type,
            )
        except InvalidOperationTypeError:
            return graphql_error(
                "Only queries and mutations are served here.", "BAD_REQUEST", media_type=media_type
            )
        return graphql_response(response_map(result), media_type)


def _json(raw: bytes | str, what: str) -> Any:
    # orjson refuses invalid UTF-8 and nesting deeper than 1024 levels (no RecursionError)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest(f"{what} is not valid JSON (UTF-8, nested at most 1024 deep).") from None


def _operation(payload: Any) -> tuple[str, dict[str, Any] | None, str | None]:
    if isinstance(payload, list):
        raise BadRequest("Send one operation per request.")
    if not isinstance(payload, dict):
        raise BadRequest("The request must be a JSON object with a `query` string.")
    query, variables = payload.get("query"), payload.get("variables")
    operation_name = payload.get("operationName")
    if not isinstance(query, str):
        raise BadRequest("The request needs a `query` string.")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest("`variables` must be an object.")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("`operationName` must be a string.")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise BadRequest("`extensions` must be an object.")
    return query, variables, operation_name


async def _multipart(request: Request) -> Any:
    """The GraphQL multipart request: ``operations``, ``map`` and the files it names."""
    try:
        form = await request.form(max_files=20, max_fields=50)
    except (HTTPException, MultiPartException, ValueError, KeyError):
        # Starlette reports a malformed body (no boundary, too many parts, a part without a
        # name) as an HTTPException whose answer would be plain text
        raise BadRequest(
            "The multipart body could not be read (at most 20 files and 50 fields)."
        ) from None
    operations, files_map = form.get("operations"), form.get("map")
    if not isinstance(operations, str) or not isinstance(files_map, str):
        raise BadRequest("A multipart request needs `operations` and `map` fields.")
    operation = _json(operations, "`operations`")
    mapping = _json(files_map, "`map`")
    if not isinstance(operation, dict):
        raise BadRequest("`operations` must be one operation (a JSON object).")
    if not isinstance(mapping, dict) or not all(
        isinstance(paths, list) and all(isinstance(path, str) for path in paths)
        for paths in mapping.values()
    ):
        raise BadRequest("`map` must be an object of lists of paths.")
    files: Mapping[str, Any] = {
        key: value for key, value in form.multi_items() if isinstance(value, UploadFile)
    }
    try:
        return replace_placeholders_with_files(operation, mapping, files)
    except (KeyError, IndexError, ValueError, TypeError, RecursionError):
        raise BadRequest("`map` names a file or a path the request does not have.") from None
