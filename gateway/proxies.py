"""Routes the gateway forwards to one service, so the portal is one origin.

- ``/auth/*`` to identity: cookies travel (sign-in needs them), never the client's address or
  user agent; redirects and ``Set-Cookie`` come back as identity wrote them.
- ``/documents/{id}`` to professionals: a vetter's download, streamed, with the caller's token
  (bearer header or session cookie) and nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.responses import graphql_error
from gateway.settings import GatewaySettings
from servicekit.tokens import bearer_token

_AUTH_REQUEST_HEADERS = ("cookie", "content-type", "accept", "accept-language")
_AUTH_RESPONSE_HEADERS = ("location", "content-type", "cache-control", "content-security-policy")
_DOCUMENT_HEADERS = (
    "content-type",
    "content-length",
    "content-disposition",
    "x-content-type-options",
)


async def to_identity(
    session: aiohttp.ClientSession, settings: GatewaySettings, request: Request
) -> Response:
    """``/auth/*`` forwarded to identity."""
    url = f"{settings.identity_url}{request.url.path}"
    if request.url.query:
        url = f"{url}?{request.url.query}"
    headers = {k: v for k, v in request.headers.items() if k.lower() in _AUTH_REQUEST_HEADERS}
    try:
        async with session.request(
            request.method,
            url,
            headers=headers,
            data=await request.body(),
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=15),
        ) as answer:
            response = Response(await answer.read(), status_code=answer.status)
            for name in _AUTH_RESPONSE_HEADERS:
                if name in answer.headers:
                    response.headers[name] = answer.headers[name]
            for cookie in answer.headers.getall("set-cookie", []):
                response.headers.append("set-cookie", cookie)
            return response
    except (aiohttp.ClientError, TimeoutError):
        return Response(
            "Sign-in is unavailable right now. Please try again shortly.",
            status_code=503,
            media_type="text/plain",
        )


async def document_download(
    session: aiohttp.ClientSession, settings: GatewaySettings, request: Request
) -> Response:
    """``/documents/{id}`` streamed from professionals."""
    token = bearer_token(request.headers) or request.cookies.get(settings.session_cookie)
    base = settings.subgraph_urls["professionals"].removesuffix("/graphql")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = await session.get(
            f"{base}/documents/{request.path_params['document_id']}",
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
