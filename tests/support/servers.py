"""Real HTTP servers on loopback for tests that cross service boundaries."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _QuietServer(uvicorn.Server):
    """A server that leaves the test runner's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(app: ASGIApp, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        # a stop waits this long for requests still open, then cuts them
        timeout_graceful_shutdown=10,
    )


@contextlib.contextmanager
def serving_in_thread(
    app: ASGIApp, port: int | None = None
) -> Iterator[tuple[str, uvicorn.Server]]:
    """:func:`serving` for a test that is not async (a browser's): the server runs in a
    thread of its own; yields its base URL and the server (setting ``should_exit`` stops
    it early)."""
    port = port or free_port()
    server = _QuietServer(_config(app, port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(20)


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, port: int | None = None) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on loopback (``port``, or a free one); yields its base URL."""
    port = port or free_port()
    server = _QuietServer(_config(app, port))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped while starting")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def until_ready(http: httpx.AsyncClient, seconds: float = 30) -> None:
    """Wait until a service's ``/readyz`` says ready (its warm-up done), as a load balancer
    waits before it sends traffic."""
    deadline = time.monotonic() + seconds
    while (await http.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "the service did not become ready"
        await asyncio.sleep(0.05)
