"""Running an app with uvicorn, the same way for every service, the gateway and the dev IdP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

KEEP_ALIVE_SECONDS = 75


class _OneWriteResponse:
    """A response's transport that sends its status line and headers with the first part
    of its body, in one write.

    uvicorn writes the headers as soon as the app starts its response and the body right
    after, two writes: the caller (the gateway, mostly) is woken twice for one answer and
    each write is a system call. Everything else goes straight to the real transport; an
    interim (1xx) response, a HEAD response (no body follows) and a block that carries a
    body already are never held, and whatever is held goes out before a close.
    """

    def __init__(self, transport: asyncio.Transport, method: str) -> None:
        self._transport = transport
        self._hold = method != "HEAD"
        self._held = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held:
            data, self._held = self._held + bytes(data), b""
        elif (
            self._hold
            and isinstance(data, bytes)
            and data.startswith(b"HTTP/1.1 ")
            and not data.startswith(b"HTTP/1.1 1")
            and data.endswith(b"\r\n\r\n")
        ):
            self._hold, self._held = False, data
            return
        self._transport.write(data)

    def close(self) -> None:
        if self._held:
            self._transport.write(self._held)
            self._held = b""
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Protocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, answering each request in one write (see above)."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        # the cycle's task has not run yet (started or queued just now)
        if cycle is not None and not cycle.response_started:
            cycle.transport = _OneWriteResponse(  # type: ignore[assignment]
                self.transport, str(cycle.scope.get("method", ""))
            )


def serve(app: str | Callable[..., Any], *, host: str, port: int, workers: int = 1) -> None:
    """Run ``app`` until stopped: an ASGI app, or the ``"module:function"`` that builds it in
    each of ``workers`` processes. Access logs off (they would name addresses), no server
    header, proxy headers ignored, five seconds for requests in flight at shutdown; each
    response's headers and body leave in one write.

    An idle connection is kept for :data:`KEEP_ALIVE_SECONDS`, longer than the gateway keeps
    its own (30 s): the caller closes first, so it never sends on a connection the server
    is closing, and the gateway's pool is not reopened after every lull (uvicorn's default
    of 5 s had it connecting again all the time)."""
    import uvicorn  # imported late: only a serving process needs it

    uvicorn.run(
        app,
        factory=isinstance(app, str),
        workers=max(1, workers),
        host=host,
        port=port,
        http=_Protocol,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_config=None,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
