"""A lean HTTP/1.1 client for load generation: keep-alive connections, requests as bytes.

The load generator runs on the machine it measures. aiohttp spends about a third of a
millisecond of CPU on each request it sends (its request and response objects, headers,
cookie and tracing hooks): at 500 requests per second, a sixth of a core the services
under test do not get. This client writes a request prepared as bytes on an idle
keep-alive connection (or a new one, up to ``limit``) and reads the answer with
httptools, the parser the servers use themselves. Loopback only; no TLS, no redirects,
no chunked request bodies: what the benchmarks send.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

import httptools


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.answer: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.keep_alive = True
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ConnectionError(f"unreadable answer: {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionError("the server closed the connection"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.keep_alive = self.parser.should_keep_alive()
        if self.answer is not None and not self.answer.done():
            self.answer.set_result((self.parser.get_status_code(), b"".join(self.body)))

    def _fail(self, error: Exception) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(error)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.body = []
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.answer

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Http1Client:
    """POSTs to one ``host:port`` over at most ``limit`` keep-alive connections."""

    def __init__(self, host: str, port: int, *, limit: int = 256) -> None:
        self.host, self.port = host, port
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(limit)
        self._host_header = f"Host: {host}:{port}\r\n".encode()

    def request(self, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        """The bytes of ``POST path`` with ``body`` and ``headers``, to send as often as needed."""
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        return (
            f"POST {path} HTTP/1.1\r\n".encode()
            + self._host_header
            + head.encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send a prepared request; its status and body. Raises ConnectionError."""
        async with self._slots:
            connection = None
            while self._idle and connection is None:
                candidate = self._idle.pop()
                connection = None if candidate.closed else candidate
            if connection is None:
                loop = asyncio.get_running_loop()
                _, connection = await loop.create_connection(_Connection, self.host, self.port)
            try:
                answer = await connection.send(request)
            except BaseException:
                connection.close()
                raise
            if connection.keep_alive and not connection.closed:
                self._idle.append(connection)
            else:
                connection.close()
            return answer

    async def close(self) -> None:
        for connection in self._idle:
            with contextlib.suppress(Exception):
                connection.close()
        self._idle.clear()
