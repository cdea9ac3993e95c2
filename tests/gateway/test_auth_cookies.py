"""The gateway forwards `/auth/*` with each person's own cookies and keeps none of them: an
HTTP client's cookie jar would store every `Set-Cookie` identity answers (tokens, sealed
sessions) and send one person's to identity with everyone else's requests. Nor does it keep
a sign-in's query (authorization code, state) in a URL parser's cache."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
from collections.abc import AsyncIterator, MutableMapping
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web

from gateway.app import create_app
from gateway.settings import load
from tests.support.graphql import running


@contextlib.asynccontextmanager
async def cookie_setting_identity() -> AsyncIterator[tuple[int, list[str]]]:
    """A stand-in for identity: ``/auth/refresh`` sets the caller a session cookie named in
    its query; every request's Cookie header is recorded."""
    seen: list[str] = []

    async def refresh(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie", ""))
        response = web.json_response({"renewed": True})
        # as identity sets it on a plain-http development origin: not Secure
        response.set_cookie("wnwa_session", request.query["who"], httponly=True, path="/auth")
        return response

    app = web.Application()
    app.router.add_post("/auth/refresh", refresh)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield port, seen
    finally:
        await runner.cleanup()


async def test_one_persons_cookies_never_travel_with_anothers_request() -> None:
    async with cookie_setting_identity() as (port, seen):
        # a host name, as compose and Kubernetes name identity (a client's cookie jar
        # ignores cookies of an IP address, so 127.0.0.1 would hide the fault)
        settings = load(
            {"WNWA_ENV": "test", "WNWA_GATEWAY_IDENTITY_ORIGIN": f"http://localhost:{port}"}
        )
        app = create_app(settings)
        async with running(app) as http:
            alice = await http.post(
                "/auth/refresh?who=alice-session",
                json={},
                headers={"Cookie": "wnwa_session=alice-old"},
            )
            assert "wnwa_session=alice-session" in alice.headers["set-cookie"]
            http.cookies.clear()  # the next people are other browsers
            await http.post("/auth/refresh?who=x", json={})  # someone without a session
            http.cookies.clear()
            await http.post(
                "/auth/refresh?who=y", json={}, headers={"Cookie": "wnwa_session=bob-own"}
            )
            assert seen == ["wnwa_session=alice-old", "", "wnwa_session=bob-own"]
            assert len(app.state.gateway.session.cookie_jar) == 0  # nothing kept either


@contextlib.asynccontextmanager
async def plain_identity() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A stand-in for identity that parses nothing: it records each request line and answers
    200 (no URL parser, so no URL cache of its own in this process)."""
    lines: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines.append(head.split(b"\r\n", 1)[0])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], lines
    finally:
        server.close()


async def _callback(port: int, query: str) -> int:
    """GET /auth/callback?<query> through the gateway, called as the server would call it
    (a test HTTP client parses the URL itself, into the same caches)."""
    settings = load(
        {"WNWA_ENV": "test", "WNWA_GATEWAY_IDENTITY_ORIGIN": f"http://localhost:{port}"}
    )
    app = create_app(settings)
    statuses: list[int] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async with app.router.lifespan_context(app) as state:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "path": "/auth/callback",
            "raw_path": b"/auth/callback",
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1:8000")],
            "state": dict(state or {}),
        }
        await app(scope, receive, send)
    return statuses[0]


async def test_a_sign_ins_code_reaches_identity_and_no_url_cache_keeps_it() -> None:
    marker = secrets.token_hex(12)
    code = f"{marker}%2F{marker}"  # as the IdP sent it, encoded
    async with plain_identity() as (port, lines):
        assert await _callback(port, f"code={code}&state=s%20t&iss=https%3A%2F%2Fidp") == 200
    [line] = lines
    target = unquote_plus(line.split(b" ")[1].decode())
    assert target == f"/auth/callback?code={marker}/{marker}&state=s t&iss=https://idp"
    gc.collect()
    # the URL parsers' caches (urllib's urlsplit, yarl's) would keep it as text
    kept = [
        value
        for holder in gc.get_objects()
        for value in gc.get_referents(holder)
        if isinstance(value, str) and f"{marker}%2F" in value and value is not code
    ]
    assert kept == []
