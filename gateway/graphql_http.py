"""The HTTP side of `/graphql`: reading one operation from a request, refusing text with
control characters in it, and the answers the gateway writes itself (errors as HTTP, with
the headers every answer carries), in the media type the client prefers with the status
that type calls for (:mod:`servicekit.graphql_media`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import DocumentNode
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from servicekit.control_characters import (
    json_may_hold_control_characters,
    literal_errors,
    may_hold_control_characters,
    variable_errors,
)
from servicekit.graphql_media import JSON, answer_status

CSRF_HEADER = "x-wnwa-request"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def graphql_error(
    message: str, code: str, status: int = 200, media_type: str = JSON
) -> JSONResponse:
    """A GraphQL-shaped error answer a client can act on."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=SECURITY_HEADERS,
        media_type=media_type,
    )


def invalid_bearer_token(problem: str, media_type: str = JSON) -> JSONResponse:
    """The answer to a bearer token that is not valid: the client asked for it to be used."""
    return JSONResponse(
        {
            "errors": [
                {"message": f"Sign in again: {problem}.", "extensions": {"code": "UNAUTHENTICATED"}}
            ]
        },
        status_code=401,
        headers={**SECURITY_HEADERS, "WWW-Authenticate": 'Bearer error="invalid_token"'},
        media_type=media_type,
    )


def graphql_answer(
    result: dict[str, Any], media_type: str = JSON, max_bytes: int | None = None
) -> Response:
    """An operation's GraphQL response map as the HTTP answer, with the status its media
    type calls for; an answer over ``max_bytes`` is replaced by an error saying so."""
    body = orjson.dumps(result)
    if max_bytes is not None and len(body) > max_bytes:
        result = answer_too_large(max_bytes)
        body = orjson.dumps(result)
    status = answer_status(result, media_type)
    if status == 200 and media_type == JSON:
        return _Answer(body)  # nearly every answer: headers made once
    headers = dict(SECURITY_HEADERS)
    if status == 401:  # a 401 names the scheme that would do (RFC 9110)
        headers["WWW-Authenticate"] = "Bearer"
    return Response(body, status_code=status, headers=headers, media_type=media_type)


def answer_too_large(max_bytes: int) -> dict[str, Any]:
    """What is sent instead of an answer over ``max_bytes``: the operation ran (``data`` is
    null), its answer is not sent."""
    megabytes = max_bytes / 1_000_000
    return {
        "data": None,
        "errors": [
            {
                "message": (
                    f"The answer is larger than {megabytes:g} MB: ask for fewer fields "
                    "or a smaller page."
                ),
                "extensions": {"code": "ANSWER_TOO_LARGE"},
            }
        ],
    }


# every answer's headers but its length, encoded once
_ANSWER_HEADERS = [
    header
    for header in Response(b"", media_type="application/json", headers=SECURITY_HEADERS).raw_headers
    if header[0] != b"content-length"
]


class _Answer(Response):
    """A 200 JSON answer with the headers every answer carries."""

    media_type = "application/json"

    def __init__(self, body: bytes) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        self.raw_headers = [*_ANSWER_HEADERS, (b"content-length", str(len(body)).encode())]


@dataclass(frozen=True, slots=True)
class OperationRequest:
    """One operation as a client sent it: the document's text, variables and chosen name."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None
    # False when no string of it can hold a control character (most JSON bodies)
    may_hold_control_characters: bool = True


async def read_operation(
    request: Request, *, max_body_bytes: int, media_type: str = JSON
) -> OperationRequest | Response:
    """The operation a POST to `/graphql` carries, or the HTTP answer saying what is wrong."""

    def bad_request(message: str, code: str = "BAD_REQUEST", status: int = 400) -> Response:
        return graphql_error(message, code, status, media_type)

    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await request.body()
        if len(body) > max_body_bytes:
            return bad_request("The request is too large.", "PAYLOAD_TOO_LARGE", 413)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return bad_request("The request body is not valid JSON.")
        suspect = json_may_hold_control_characters(body)
    elif content_type == "multipart/form-data":
        # a form post can come from any site: require a header only scripts can set
        if not request.headers.get(CSRF_HEADER):
            return bad_request(
                f"Multipart requests need the {CSRF_HEADER} header.", "CSRF_PREVENTION"
            )
        payload_or_problem = await _multipart_payload(request)
        if isinstance(payload_or_problem, str):
            return bad_request(payload_or_problem)
        payload = payload_or_problem
        suspect = True
    else:
        return bad_request(
            "Send GraphQL operations as application/json (or multipart/form-data for uploads).",
            "UNSUPPORTED_MEDIA_TYPE",
            415,
        )

    if isinstance(payload, list):
        return bad_request("Send one operation per request.")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return bad_request("The request needs a `query` string.")
    variables = payload.get("variables")
    if variables is None:
        variables = {}
    elif not isinstance(variables, dict):  # 0, false, "" and [] are not {} either
        return bad_request("`variables` must be an object (or null).")
    operation_name = payload.get("operationName")
    if not (operation_name is None or isinstance(operation_name, str)):
        return bad_request("`operationName` must be a string (or null).")
    extensions = payload.get("extensions")
    if not (extensions is None or isinstance(extensions, dict)):
        return bad_request("`extensions` must be an object (or null).")
    return OperationRequest(payload["query"], variables, operation_name, suspect)


def refused_text(
    operation: OperationRequest, document_of: Callable[[str], DocumentNode | None]
) -> list[dict[str, Any]]:
    """Request errors for the operation's text holding control characters, in its variables
    or in its document's literals (``document_of``: the parsed, valid document of a query,
    or None when it has none, whose errors the pipeline reports)."""
    if not operation.may_hold_control_characters:
        return []
    errors = variable_errors(operation.variables)
    if not errors and may_hold_control_characters(operation.query):
        document = document_of(operation.query)
        if document is not None:
            errors = literal_errors(document)
    return [dict(error.formatted) for error in errors]


async def _multipart_payload(request: Request) -> dict[str, Any] | str:
    """The operation of a GraphQL multipart request, uploads placed into its variables; or
    what is wrong with the request."""
    lacking = "The multipart request lacks valid `operations` and `map` parts."
    try:
        form = await request.form(max_files=20, max_fields=50)
    except (HTTPException, MultiPartException):
        # Starlette reports a malformed body (no boundary, too many parts, a part without a
        # name) as an HTTPException whose answer would be plain text
        return "The multipart body could not be read (at most 20 files and 50 fields)."
    try:
        # orjson refuses nesting deeper than 1,024 levels (json would raise RecursionError)
        operations = orjson.loads(str(form.get("operations")))
        mapping = orjson.loads(str(form.get("map") or "{}"))
    except (ValueError, TypeError, KeyError):
        return lacking
    if not isinstance(operations, dict) or not isinstance(mapping, dict):
        return lacking
    for key, paths in mapping.items():
        upload = form.get(key)
        if not isinstance(upload, UploadFile) or not isinstance(paths, list):
            return f"File {key!r} named in `map` is missing."
        for path in paths:
            if not isinstance(path, str) or not _place(operations, path.split("."), upload):
                return f"`map` path {path!r} does not point into the variables."
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
