"""Routes the gateway forwards to one service, so the portal is one origin.

- ``/auth/*`` to identity: cookies travel (sign-in needs them), never the client's address or
  user agent; redirects, ``Set-Cookie`` and identity's caching and security headers come back
  as identity wrote them.
- ``/documents/{id}`` to professionals: a vetter's download, streamed, with the caller's token
  (bearer header or session cookie) and nothing else.

Only plain paths are forwarded: a dot segment (``..``, ``%2e%2e``), an encoded character
(``%2f``) or an empty segment is refused, since the service behind would resolve it to a
route of its own (identity's GraphQL, say) that the public origin must not reach.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import aiohttp
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from yarl import URL

from gateway.graphql_http import SECURITY_HEADERS, graphql_error
from gateway.settings import GatewaySettings
from servicekit.tokens import bearer_token

# origin and sec-fetch-site: identity refuses a sign-in form another website posted
_AUTH_REQUEST_HEADERS = (
    "cookie",
    "content-type",
    "accept",
    "accept-language",
    "origin",
    "sec-fetch-site",
)
_AUTH_RESPONSE_HEADERS = (
    "location",
    "content-type",
    "content-language",
    "cache-control",
    "pragma",
    "expires",
    "vary",
    "retry-after",
    "www-authenticate",
    "content-security-policy",
    "referrer-policy",
    "x-content-type-options",
    "x-frame-options",
    "permissions-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
    "cross-origin-embedder-policy",
    "strict-transport-security",
)
# `/auth/` and then plain segments: letters, digits, `-`, `_`, `~` and inner dots
_AUTH_PATH = re.compile(r"/auth(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+")
_DOCUMENT_HEADERS = (
    "content-type",
    "content-length",
    "content-disposition",
    "x-content-type-options",
)


async def to_identity(
    session: aiohttp.ClientSession, settings: GatewaySettings, request: Request
) -> Response:
    """``/auth/*`` forwarded to identity, plain paths only.

    The query string (a sign-in's authorization code and state, a department's id) is never
    part of a text that a URL parser's cache keeps: the scope's path is read, not
    ``request.url`` (``urllib.parse.urlsplit`` keeps the last 128 URLs it split), and the
    query travels as parameters, which the HTTP client adds to identity's URL without a
    cache (yarl keeps the URLs it parses from text, queries included). Identity reads the
    same values (spaces may travel as ``+`` rather than ``%20``).
    """
    raw_path = request.scope.get("raw_path") or str(request.scope["path"]).encode()
    path = raw_path.decode("latin-1")
    if not _AUTH_PATH.fullmatch(path) or path != request.scope["path"]:
        return graphql_error("There is no such page.", "NOT_FOUND", 404)
    query = parse_qsl(
        request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
    )
    url = URL(settings.identity_url).with_path(path, encoded=True)
    headers = {k: v for k, v in request.headers.items() if k.lower() in _AUTH_REQUEST_HEADERS}
    try:
        async with session.request(
            request.method,
            url,
            params=query,
            headers=headers,
            data=await request.body(),
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=15),
        ) as answer:
            response = Response(await answer.read(), status_code=answer.status)
            for name in _AUTH_RESPONSE_HEADERS:
                if name in answer.headers:
                    response.headers[name] = answer.headers[name]
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            for cookie in answer.headers.getall("set-cookie", []):
                response.headers.append("set-cookie", cookie)
            return response
    except (aiohttp.ClientError, TimeoutError):
        return Response(
            "Sign-in is unavailable right now. Please try again shortly.",
            status_code=503,
            media_type="text/plain",
            headers=SECURITY_HEADERS,
        )


async def document_download(
    session: aiohttp.ClientSession, settings: GatewaySettings, request: Request
) -> Response:
    """``/documents/{id}`` streamed from professionals; ``id`` is a document's UUID."""
    try:
        document_id = uuid.UUID(request.path_params["document_id"])
    except ValueError:
        return graphql_error("There is no such document.", "NOT_FOUND", 404)
    token = bearer_token(request.headers) or request.cookies.get(settings.session_cookie)
    base = settings.subgraph_urls["professionals"].removesuffix("/graphql")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = await session.get(
            f"{base}/documents/{document_id}",
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=60),
        )
    except (aiohttp.ClientError, TimeoutError):
        return graphql_error(
            "The professionals service is unavailable. Please try again shortly.",
            "SUBGRAPH_UNAVAILABLE",
            503,
        )

    async def body() -> AsyncIterator[bytes]:
        try:
            async for piece in answer.content.iter_chunked(256 * 1024):
                yield piece
        finally:
            answer.release()

    return StreamingResponse(
        body(),
        status_code=answer.status,
        headers={
            **{k: answer.headers[k] for k in _DOCUMENT_HEADERS if k in answer.headers},
            "Cache-Control": "no-store",
        },
    )
