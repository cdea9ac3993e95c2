"""A supporter's installed app is told by standard Web Push: a local push service receives
the push (RFC 8030), checks its VAPID signature (RFC 8292) and decrypts it (RFC 8291, with
the http_ece library) to the one notice every push carries."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import http_ece
import pytest
from aiohttp import web
from py_vapid import Vapid02

from servicekit.logging import HourlyRelease, configure_logging
from services.conversations.push import NOTICE
from tests.services.conversations.conftest import Stack, Supporter, make_officer, make_supporter
from tests.support.sealing import KeyPair, b64url
from tests.support.servers import free_port

PORT = free_port()
FAILED = "a push was not accepted"


@dataclass
class PushService:
    """A push service on loopback: what it received, as a browser's would."""

    url: str
    received: asyncio.Queue[tuple[dict[str, str], bytes]] = field(default_factory=asyncio.Queue)


@contextlib.asynccontextmanager
async def push_service() -> AsyncIterator[PushService]:
    service = PushService(f"http://127.0.0.1:{PORT}")

    async def accept(request: web.Request) -> web.Response:
        await service.received.put((dict(request.headers), await request.read()))
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/push/{device}", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", PORT).start()
    try:
        yield service
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def refusing_push_service() -> AsyncIterator[PushService]:
    """A push service that is having a bad day: every push is answered 500."""
    service = PushService(f"http://127.0.0.1:{PORT}")

    async def refuse(request: web.Request) -> web.Response:
        await service.received.put((dict(request.headers), await request.read()))
        return web.Response(status=500)

    app = web.Application()
    app.router.add_post("/push/{device}", refuse)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", PORT).start()
    try:
        yield service
    finally:
        await runner.cleanup()


@dataclass
class ProcessLogging:
    """The process's logging as `wnwa serve` configures it, and what it wrote."""

    handler: HourlyRelease
    stderr: io.StringIO


@pytest.fixture
def production_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProcessLogging]:
    """Logging configured as in production, writing to a standard error of its own; the test
    process's own logging is put back afterwards."""
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    handler = configure_logging("INFO")
    try:
        yield ProcessLogging(handler, stderr)
    finally:
        handler.close()
        root.handlers[:], level = saved
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False


@pytest.fixture
def conversations_env() -> dict[str, str]:
    return {"PUSH_HOSTS": "127.0.0.1"}


async def subscribe(
    supporter: Supporter, url: str, *, off_call: bool = False
) -> tuple[KeyPair, bytes]:
    device, auth = KeyPair(), b"sixteen-byte-key"
    answer = await supporter.call(
        "PUT",
        f"/conversations/{supporter.supporter_id}/device/push",
        {
            "subscription": {
                "endpoint": f"{url}/push/device-1",
                "keys": {"p256dh": device.public, "auth": b64url(auth)},
            },
            "offCall": off_call,
        },
    )
    assert answer.status_code == 200, answer.text
    return device, auth


async def test_a_closed_app_is_pushed_an_empty_notice(stack: Stack) -> None:
    async with push_service() as service:
        supporter = await make_supporter(stack)
        device, auth = await subscribe(supporter, service.url)
        officer = make_officer(stack)
        opened = await officer.open(supporter.supporter_id, supporter.device.public, "secret")
        assert opened.status_code == 201
        headers, body = await asyncio.wait_for(service.received.get(), 10)
    assert headers["Content-Encoding"] == "aes128gcm"
    assert Vapid02.verify(headers["Authorization"])
    notice = http_ece.decrypt(
        body, private_key=device.private, auth_secret=auth, version="aes128gcm"
    )
    assert notice.decode() == NOTICE == '{"waiting":true}'
    # nothing of the conversation travels: not the officer, the supporter, or the words
    for secret in (officer.subject, supporter.supporter_id, officer.conversation, "secret"):
        assert secret.encode() not in body
        assert secret not in str(headers)


async def test_an_off_call_supporter_is_pushed_only_when_they_chose_to_be(stack: Stack) -> None:
    async with push_service() as service:
        quiet = await make_supporter(stack, schedule=[])
        await subscribe(quiet, service.url)
        keen = await make_supporter(stack, schedule=[])
        await subscribe(keen, service.url, off_call=True)
        for supporter in (quiet, keen):
            officer = make_officer(stack)
            assert (
                await officer.open(supporter.supporter_id, supporter.device.public)
            ).status_code == 201
        await asyncio.wait_for(service.received.get(), 10)
        await asyncio.sleep(0.5)
        assert service.received.empty()


async def test_a_push_service_elsewhere_is_refused(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    for endpoint in ("http://10.0.0.1/push", "https://attacker.example/push", "ftp://127.0.0.1/x"):
        answer = await supporter.call(
            "PUT",
            f"/conversations/{supporter.supporter_id}/device/push",
            {
                "subscription": {
                    "endpoint": endpoint,
                    "keys": {"p256dh": KeyPair().public, "auth": b64url(b"0" * 16)},
                }
            },
        )
        assert answer.status_code == 400, endpoint


async def test_a_failed_push_dates_no_message(
    stack: Stack, production_logging: ProcessLogging
) -> None:
    """A push that fails is logged, but a line written when it failed would date the
    officer's message that caused it: it waits for the hour, and is written in tens."""
    handler, stderr = production_logging.handler, production_logging.stderr
    async with refusing_push_service() as service:
        supporter = await make_supporter(stack)
        await subscribe(supporter, service.url)
        officer = make_officer(stack)
        opened = await officer.open(supporter.supporter_id, supporter.device.public, "secret")
        assert opened.status_code == 201
        await asyncio.wait_for(service.received.get(), 10)
        async with asyncio.timeout(10):
            # the push's task logs its failure: written at once, or held for the hour
            while FAILED not in stderr.getvalue() and not handler.held():  # noqa: ASYNC110 - a log line has no event
                await asyncio.sleep(0.05)
    assert FAILED not in stderr.getvalue()
    handler.write_hour()  # one failure: below ten, still nothing
    assert FAILED not in stderr.getvalue()
    assert handler.held() == 1
