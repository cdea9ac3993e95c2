"""The HTTP side of `/graphql`: reading one operation from a request, and the answers the
gateway writes itself (errors as HTTP, with the headers every answer carries)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

CSRF_HEADER = "x-wnwa-request"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def graphql_error(message: str, code: str, status: int = 200) -> JSONResponse:
    """A GraphQL-shaped error answer a client can act on."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=SECURITY_HEADERS,
    )


def invalid_bearer_token(problem: str) -> JSONResponse:
    """The answer to a bearer token that is not valid: the client asked for it to be used."""
    return JSONResponse(
        {
            "errors": [
                {"message": f"Sign in again: {problem}.", "extensions": {"code": "UNAUTHENTICATED"}}
            ]
        },
        status_code=401,
        headers={**SECURITY_HEADERS, "WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def graphql_answer(result: dict[str, Any]) -> Response:
    """An operation's GraphQL response map as the HTTP answer."""
    return _Answer(orjson.dumps(result))


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


async def read_operation(request: Request, *, max_body_bytes: int) -> OperationRequest | Response:
    """The operation a POST to `/graphql` carries, or the HTTP answer saying what is wrong."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await request.body()
        if len(body) > max_body_bytes:
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
    return OperationRequest(payload["query"], variables, operation_name)


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
