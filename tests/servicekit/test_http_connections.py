"""Keep-alive connections (the gateway's to its subgraphs), against a server that misbehaves."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
from collections.abc import AsyncIterator

import pytest

from servicekit.http_connections import HttpConnections, Origin
from tests.support.servers import free_port


def test_only_plain_http_urls_have_an_origin() -> None:
    assert Origin.of("http://directory:8002/graphql") == Origin(
        "directory", 8002, "/graphql", "directory:8002"
    )
    assert Origin.of("http://127.0.0.1/graphql?x=1") == Origin(
        "127.0.0.1", 80, "/graphql?x=1", "127.0.0.1"
    )
    assert Origin.of("http://[::1]:8003/graphql") == Origin("::1", 8003, "/graphql", "[::1]:8003")
    assert Origin.of("https://directory.example/graphql") is None


class Server:
    """Answers each request as ``mode`` says; counts connections and keeps the requests."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.connections = 0
        self.closed = 0  # connections the caller (or the server) closed
        self.requests: list[bytes] = []
        self.answer = b'{"data": {}}\n'

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                self.requests.append(head + await reader.readexactly(length))
                if self.mode == "silent":
                    await asyncio.sleep(10)
                if self.mode == "hang up":
                    break
                if self.mode == "chunked":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b'5\r\n{"dat\r\n9\r\na": null}\r\n0\r\n\r\n'
                    )
                else:
                    close = self.mode == "close"
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n" % len(self.answer)
                        + (b"Connection: close\r\n" if close else b"")
                        + b"\r\n"
                        + self.answer
                    )
                    if close:
                        await writer.drain()
                        break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed += 1
            writer.close()


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[tuple[Server, Origin]]:
    server = Server()
    port = free_port()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", port)
    try:
        yield server, Origin("127.0.0.1", port, "/graphql")
    finally:
        listening.close()


HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer a.b.c"}


async def test_calls_share_one_kept_alive_connection_and_send_what_they_say() -> None:
    connections = HttpConnections(seconds=5)
    async with serving() as (server, origin):
        answers = [await connections.post(origin, HEADERS, b'{"query": "{ a }"}') for _ in range(3)]
        assert answers == [(200, b'{"data": {}}\n')] * 3
        assert server.connections == 1
        first = server.requests[0]
        assert first.startswith(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"\r\nAuthorization: Bearer a.b.c\r\n" in first
        assert first.endswith(b'\r\n\r\n{"query": "{ a }"}')
        server.mode = "close"  # the server says it closes: the next call connects again
        await connections.post(origin, HEADERS, b"{}")
        server.mode = "ok"
        await connections.post(origin, HEADERS, b"{}")
        assert server.connections == 2
    connections.close()


async def test_a_connection_idle_too_long_is_not_reused() -> None:
    connections = HttpConnections(seconds=5, idle_seconds=0)
    async with serving() as (server, origin):
        for _ in range(2):
            await connections.post(origin, HEADERS, b"{}")
        assert server.connections == 2
    connections.close()


async def test_an_idle_connection_is_closed_by_a_timer_and_keeps_no_answer() -> None:
    connections = HttpConnections(seconds=5, idle_seconds=0.2)
    async with serving() as (server, origin):
        marker = secrets.token_hex(16).encode()
        server.answer = b'{"data": {"found": "%s"}}' % marker
        _, body = await connections.post(origin, HEADERS, b"{}")
        assert marker in body
        del body
        gc.collect()
        # the kept-alive connection holds nothing of the answer it carried
        kept = [
            value
            for holder in gc.get_objects()
            for value in gc.get_referents(holder)
            if isinstance(value, bytes | bytearray)
            and marker in value
            and value is not marker
            and value is not server.answer
        ]
        assert kept == []
        assert (server.connections, server.closed) == (1, 0)
        # nothing else happens: the idle connection is closed all the same, by a timer
        for _ in range(50):
            if server.closed:
                break
            await asyncio.sleep(0.05)
        assert server.closed == 1
        await connections.post(origin, HEADERS, b"{}")  # a new one, then
        assert server.connections == 2
    connections.close()


async def test_a_chunked_answer_is_read_whole() -> None:
    connections = HttpConnections(seconds=5)
    async with serving() as (server, origin):
        server.mode = "chunked"
        assert await connections.post(origin, HEADERS, b"{}") == (200, b'{"data": null}')
    connections.close()


async def test_silence_times_out_and_a_hang_up_or_a_closed_port_is_an_error() -> None:
    connections = HttpConnections(seconds=0.3)
    async with serving() as (server, origin):
        server.mode = "silent"
        with pytest.raises(TimeoutError):
            await connections.post(origin, HEADERS, b"{}")
        server.mode = "hang up"
        with pytest.raises(ConnectionError):
            await connections.post(origin, HEADERS, b"{}")
        server.mode = "ok"  # neither left a broken connection behind
        assert await connections.post(origin, HEADERS, b"{}") == (200, b'{"data": {}}\n')
    with pytest.raises(ConnectionRefusedError):
        await connections.post(Origin("127.0.0.1", free_port(), "/graphql"), HEADERS, b"{}")
    connections.close()


async def test_a_header_with_a_line_break_is_never_sent() -> None:
    connections = HttpConnections(seconds=5)
    async with serving() as (server, origin):
        with pytest.raises(ValueError, match="line break"):
            await connections.post(origin, {"Authorization": "Bearer x\r\nX-Evil: 1"}, b"{}")
        assert server.requests == []
    connections.close()
