"""The hot path of every server: a JSON ``POST /graphql`` goes straight to its handler.

Nearly every request a service (and the gateway) serves is one. Through Starlette it would
pass the server-error middleware, the body-size middleware's wrappers, the exception
middleware, the router's matching of every route and the endpoint wrapper — about a tenth
of a small subgraph request's CPU, and as much again in the gateway. The lane does what
those do for this one request: the same body cap (413 before a byte is read when the
declared length is over it, as soon as the body grows over it otherwise), the same
handler and ``Request`` (its ``state`` is the lifespan's), and, when the handler fails, a
plain 500 without details while the error goes on to the server's log. Everything else
(GET, multipart uploads, other paths, lifespan) goes to the full application unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.limits import BodyTooLarge, capped, declared_too_large, reject_too_large
from servicekit.logging import SERVING

Handler = Callable[[Request], Awaitable[Response]]


class GraphQLLane:
    """JSON ``POST``s to ``path`` served by ``handler`` directly, with ``max_bytes`` a body."""

    def __init__(self, handler: Handler, *, max_bytes: int, path: str = "/graphql") -> None:
        self.handler = handler
        self.max_bytes = max_bytes
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send, other: ASGIApp) -> None:
        """Serve the request, or hand it to ``other`` when it is not one for the lane."""
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await other(scope, receive, send)
            return
        json, declared = False, None
        for name, value in scope["headers"]:
            if name == b"content-type":
                json = value.split(b";", 1)[0].strip().lower() == b"application/json"
            elif name == b"content-length":
                declared = value
        if not json:  # a multipart upload, or a type the endpoint refuses in its own words
            await other(scope, receive, send)
            return
        if declared_too_large(declared, self.max_bytes):
            await reject_too_large(send, self.max_bytes)
            return
        try:
            response = await self.handler(Request(scope, capped(receive, self.max_bytes)))
        except BodyTooLarge:
            await reject_too_large(send, self.max_bytes)
            return
        except Exception:
            # as Starlette's server-error middleware: nothing of the error in the answer
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        await response(scope, receive, send)


class LanedStarlette(Starlette):
    """A Starlette application whose ``lane`` (when given) takes its GraphQL requests first.

    ``headers`` are added to every HTTP answer that does not carry its own (HSTS), the
    lane's included: a middleware would miss what the lane serves.
    """

    def __init__(
        self,
        *args: Any,
        lane: GraphQLLane | None = None,
        headers: Sequence[tuple[bytes, bytes]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lane = lane
        self.headers = tuple(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if self.headers:
            send = _with_headers(send, self.headers)
        # what a request logs is held for the hour (servicekit.logging.HourlyRelease)
        serving = SERVING.set(True)
        try:
            if self.lane is None:
                await super().__call__(scope, receive, send)
                return
            scope["app"] = self
            await self.lane(scope, receive, send, super().__call__)
        finally:
            SERVING.reset(serving)


def _with_headers(send: Send, headers: tuple[tuple[bytes, bytes], ...]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            own = list(message.get("headers", ()))
            # header names are lower-case in ASGI; an answer's own value wins (identity's
            # HSTS, relayed under /auth/*, is not doubled)
            given = {name for name, _ in own}
            own.extend(header for header in headers if header[0] not in given)
            message = {**message, "headers": own}
        await send(message)

    return sending
