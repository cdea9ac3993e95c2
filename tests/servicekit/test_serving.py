"""The HTTP server every process runs answers each kind of request completely: a body, no
body (HEAD, 204), a streamed body, an interim `100 Continue` and several requests on one
connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from servicekit import serving
from tests.support.servers import free_port

pytestmark = pytest.mark.slow


async def _answer(request: Request) -> Response:
    body = await request.body()
    return Response(b"echo:" + body, media_type="text/plain")


async def _nothing(request: Request) -> Response:
    return Response(status_code=204)


async def _stream(request: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"one,", b"two,", b"three"):
            await asyncio.sleep(0.01)
            yield part

    return StreamingResponse(parts(), media_type="text/plain")


APP = Starlette(
    routes=[
        Route("/answer", _answer, methods=["GET", "POST", "HEAD"]),
        Route("/nothing", _nothing),
        Route("/stream", _stream),
    ]
)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def _served() -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(APP, host="127.0.0.1", port=port, **serving.OPTIONS)
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def _response(reader: asyncio.StreamReader, *, body: bool = True) -> tuple[bytes, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = next(
        (int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
         if line.startswith(b"content-length:")),
        None,
    )  # fmt: skip
    if not body or head.startswith(b"HTTP/1.1 1") or length is None:
        return head, b""
    return head, await asyncio.wait_for(reader.readexactly(length), 5)


async def test_each_kind_of_response_arrives_whole_on_one_kept_connection() -> None:
    async with _served() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"POST /answer HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            head, body = await _response(reader)
            assert head.startswith(b"HTTP/1.1 200")
            assert body == b"echo:abc"

            writer.write(b"HEAD /answer HTTP/1.1\r\nHost: x\r\n\r\n")
            # no body follows: the headers must not wait for one
            head, _ = await _response(reader, body=False)
            assert head.startswith(b"HTTP/1.1 200")

            writer.write(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
            head, _ = await _response(reader)
            assert head.startswith(b"HTTP/1.1 204")

            writer.write(
                b"POST /answer HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                b"Expect: 100-continue\r\n\r\n"
            )
            head, _ = await _response(reader)
            assert head.startswith(b"HTTP/1.1 100")
            writer.write(b"hi")
            head, body = await _response(reader)
            assert head.startswith(b"HTTP/1.1 200")
            assert body == b"echo:hi"

            writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert b"transfer-encoding: chunked" in head.lower()
            rest = await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 5)
            assert b"one," in rest
            assert b"three" in rest
        finally:
            writer.close()
