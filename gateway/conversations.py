"""``/conversations/*``: the conversations service, one process per supporter.

Every path names a supporter first (``/conversations/{supporter_id}/...``). A supporter's
conversations live in the memory of one conversations process, so the gateway sends all of
that supporter's traffic — the officers' and their own — to the same one: the shard
``SHA-256(supporter id) mod N`` of the ``N`` addresses in ``WNWA_GATEWAY_CONVERSATIONS_SHARDS``.
Nothing is written anywhere to route a message (docs/conversations.md, "Several processes").

The caller's token (bearer header or session cookie) travels as a bearer token, with the
body's type and nothing else; a stream's events are passed on as they come. A change
(``POST``/``PUT``) needs the ``X-WNWA-Request`` header, which a cross-site form cannot set.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator

import aiohttp
import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from yarl import URL

from gateway.graphql_http import CSRF_HEADER, SECURITY_HEADERS
from gateway.settings import GatewaySettings
from servicekit.tokens import bearer_token

_PATH = re.compile(
    r"/conversations/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(/[A-Za-z0-9_-]{1,40}){1,2}"
)
_MAX_BODY = 64 * 1024
_ANSWER_HEADERS = ("content-type", "cache-control", "x-content-type-options", "x-accel-buffering")


def shard_of(supporter_id: uuid.UUID, shards: int) -> int:
    """Which of ``shards`` processes holds the supporter's conversations."""
    digest = hashlib.sha256(supporter_id.bytes).digest()
    return int.from_bytes(digest[:8], "big") % shards


def _refusal(message: str, status: int) -> Response:
    return Response(
        orjson.dumps({"error": message}), status, SECURITY_HEADERS, media_type="application/json"
    )


async def to_conversations(
    session: aiohttp.ClientSession, settings: GatewaySettings, request: Request
) -> Response:
    raw_path = (request.scope.get("raw_path") or b"").decode("latin-1")
    path = str(request.scope["path"])
    match = _PATH.fullmatch(path)
    if match is None or raw_path not in ("", path):
        return _refusal("There is no such page.", 404)
    if request.method != "GET" and not request.headers.get(CSRF_HEADER):
        return _refusal(f"Changes need the {CSRF_HEADER} header.", 400)
    token = bearer_token(request.headers) or request.cookies.get(settings.session_cookie)
    if not token:
        return _refusal("Sign in to use conversations.", 401)
    body = b""
    async for piece in request.stream():
        body += piece
        if len(body) > _MAX_BODY:
            return _refusal("That message is too large.", 413)
    shards = settings.conversation_shards
    origin = shards[shard_of(uuid.UUID(match[1]), len(shards))]
    headers = {"Authorization": f"Bearer {token}"}
    if "content-type" in request.headers:
        headers["Content-Type"] = request.headers["content-type"]
    streaming = request.method == "GET" and path.endswith(("/inbox", "/stream"))
    timeout = (
        aiohttp.ClientTimeout(total=None, sock_connect=5)
        if streaming
        else aiohttp.ClientTimeout(total=15)
    )
    try:
        answer = await session.request(
            request.method,
            URL(origin).with_path(path, encoded=True),
            headers=headers,
            data=body or None,
            allow_redirects=False,
            timeout=timeout,
        )
    except (aiohttp.ClientError, TimeoutError):
        return _refusal("Conversations are unavailable right now; try again shortly.", 503)
    kept = {k: answer.headers[k] for k in _ANSWER_HEADERS if k in answer.headers}
    if not streaming or answer.status != 200:
        try:
            content = await answer.read()
        except (aiohttp.ClientError, TimeoutError):
            return _refusal("Conversations are unavailable right now; try again shortly.", 503)
        finally:
            answer.release()
        return Response(content, answer.status, {**SECURITY_HEADERS, **kept})

    async def events() -> AsyncIterator[bytes]:
        try:
            async for piece in answer.content.iter_any():
                yield piece
        except (aiohttp.ClientError, TimeoutError):
            return
        finally:
            answer.close()

    return StreamingResponse(events(), answer.status, {**SECURITY_HEADERS, **kept})
