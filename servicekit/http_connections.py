"""Keep-alive HTTP/1.1 POSTs to plain-HTTP servers inside the network, for hot calls.

Almost every request the gateway serves makes one or two subgraph calls. aiohttp's client
spends about a tenth of a millisecond of CPU on each (its request and response objects,
header multidicts, cookie jar, tracing hooks) — a fifth of the gateway's own work. Here a
call is its request written as bytes on an idle keep-alive connection to the server (or
a new one, up to ``limit`` per origin), its answer read with httptools, the parser
uvicorn uses. Plain ``http://`` only: calls inside the cluster's network. The gateway keeps
aiohttp for ``https://`` subgraphs, uploads and traced calls; `bench/mix.py` sends its load
with it, so the load generator leaves the machine it measures to the stack.

Each call has ``seconds`` (for the gateway, its subgraph timeout) from its start to its answer. A
connection idle for ``idle_seconds`` (30, less than the servers' 75 s keep-alive) is
closed by a timer, so a call never races a server closing it, and neither end keeps a
quiet connection (and what the server's side holds of its last request: the caller's token)
for longer. A kept connection holds nothing of the answer it carried. A call that does not
finish within its timeout closes its connection (an answer may still be on its way).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a server listens: host, port and the path to POST to."""

    host: str
    port: int
    path: str
    authority: str = ""  # the Host header: as the URL wrote it (an IPv6 address bracketed)

    @classmethod
    def of(cls, url: str) -> Origin | None:
        """The origin of an ``http://`` URL; None for anything else."""
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            return None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.hostname, parts.port or 80, path, parts.netloc)


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.answer: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.reusable = True
        self.idle_since = 0.0
        self.closing: asyncio.TimerHandle | None = None  # while idle: its close

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.reusable = False
            self._fail(ConnectionError("the answer is not HTTP"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        self._fail(ConnectionError("the connection closed before the answer"))

    def on_body(self, body: bytes) -> None:  # httptools
        self.body.append(body)

    def on_message_complete(self) -> None:  # httptools
        self.reusable = self.reusable and self.parser.should_keep_alive()
        if self.answer is not None and not self.answer.done():
            self.answer.set_result((self.parser.get_status_code(), b"".join(self.body)))

    def _fail(self, error: Exception) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(error)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.body = []
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        try:
            return await self.answer
        finally:
            # the answer is the caller's alone: a kept connection holds none of it
            self.body, self.answer = [], None

    def close(self) -> None:
        self.reusable = False
        if self.closing is not None:
            self.closing.cancel()
            self.closing = None
        if self.transport is not None:
            self.transport.close()


class HttpConnections:
    """Keep-alive connections to the origins posted to, at most ``limit`` to each."""

    def __init__(self, *, seconds: float, limit: int = 100, idle_seconds: float = 30.0) -> None:
        self._seconds = seconds
        self._limit = limit
        self._idle_seconds = idle_seconds
        self._idle: dict[Origin, list[_Connection]] = {}
        self._slots: dict[Origin, asyncio.Semaphore] = {}

    async def post(self, origin: Origin, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        """POST ``body`` to ``origin``: the answer's status and body. Raises TimeoutError
        after ``seconds``, OSError (ConnectionError) when there is no answer, ValueError
        for a header value that cannot be sent."""
        request = _request(origin, headers, body)
        slots = self._slots.get(origin)
        if slots is None:
            slots = self._slots[origin] = asyncio.Semaphore(self._limit)
        async with asyncio.timeout(self._seconds), slots:
            connection = self._idle_connection(origin)
            if connection is None:
                loop = asyncio.get_running_loop()
                _, connection = await loop.create_connection(_Connection, origin.host, origin.port)
            try:
                answer = await connection.exchange(request)
            except BaseException:  # a timeout, a closed connection, a cancelled request
                connection.close()
                raise
        if connection.reusable:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(connection)
            connection.closing = asyncio.get_running_loop().call_later(
                self._idle_seconds, self._expire, origin, connection
            )
        else:
            connection.close()
        return answer

    def _expire(self, origin: Origin, connection: _Connection) -> None:
        """An idle connection's time is up: closed, whether or not another call comes."""
        connection.closing = None
        idle = self._idle.get(origin)
        if idle is not None and connection in idle:
            idle.remove(connection)
        connection.close()

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.reusable and now - connection.idle_since < self._idle_seconds:
                if connection.closing is not None:
                    connection.closing.cancel()
                    connection.closing = None
                return connection
            connection.close()
        return None

    def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                with contextlib.suppress(Exception):
                    connection.close()
        self._idle.clear()


def _request(origin: Origin, headers: dict[str, str], body: bytes) -> bytes:
    host = origin.authority or f"{origin.host}:{origin.port}"
    lines = [f"POST {origin.path} HTTP/1.1", f"Host: {host}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value:  # never from a verified token; refused all the same
            raise ValueError(f"the {name} header holds a line break")
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
