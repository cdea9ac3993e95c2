"""The conversations' HTTP routes, reached through the gateway's ``/conversations/*``.

Every route names the supporter first (``/conversations/{supporter_id}/...``): the gateway
sends all of one supporter's traffic to one process, where their conversations live. A
stream is server-sent events. Every answer is JSON (``{"error": ...}`` with a 4xx when a
person asked something that cannot be done) and ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from servicekit.app import Running
from servicekit.ephemeral import MarksUnavailable
from servicekit.peers import PeerError
from servicekit.tokens import InvalidToken, Principal, TokenVerifier, bearer_token

from . import store
from .push import allowed_endpoint
from .relay import Conversation, Refused, Sealed, Side, Stream
from .resources import ConversationsResources

logger = logging.getLogger("wnwa.conversations")

_MAX_BODY = 64 * 1024
_KEEP_ALIVE_SECONDS = 15.0
_CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{24}")
_IV = re.compile(r"[A-Za-z0-9_-]{16}")  # 12 bytes
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_OFFICERS = ("officer", "civilian", "peer_supporter", "coordinator")


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, _HEADERS, media_type="application/json")


def _refusal(message: str, status: int = 400) -> Response:
    return _answer({"error": message}, status)


def _decode(value: object, *, length: int | None = None, most: int | None = None) -> bytes:
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value):
        raise Refused("Expected base64url text.")
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise Refused("Expected base64url text.") from None
    if (length is not None and len(data) != length) or (most is not None and len(data) > most):
        raise Refused("A key or message has the wrong length.")
    return data


def public_key(value: object) -> bytes:
    """An uncompressed P-256 point, checked to be on the curve."""
    raw = _decode(value, length=65)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise Refused("That is not a P-256 public key.") from None
    return raw


@dataclass(frozen=True, slots=True)
class _Caller:
    principal: Principal
    token: str
    resources: ConversationsResources
    service: Running[ConversationsResources]


Handler = Callable[[Request, _Caller], Awaitable[Response]]


def _route(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Verify the caller's token, then run ``handler``; turn a refusal into its answer."""

    async def endpoint(request: Request) -> Response:
        token = bearer_token(request.headers)
        if token is None:
            return _refusal("Sign in to use conversations.", 401)
        verifier: TokenVerifier = request.state.verifier
        try:
            principal = await verifier.verify(token)
        except InvalidToken as invalid:
            return _refusal(f"Sign in again: {invalid}.", 401)
        if principal.has_role("service"):
            return _refusal("Service tokens are not accepted here.", 403)
        service: Running[ConversationsResources] = request.state.service
        try:
            return await handler(request, _Caller(principal, token, service.resources, service))
        except Refused as refused:
            return _refusal(str(refused), refused.status)
        except MarksUnavailable:
            return _refusal("Conversations are unavailable right now; try again shortly.", 503)

    return endpoint


async def _body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Refused("Send JSON (Content-Type: application/json).", 415)
    raw = b""
    async for piece in request.stream():
        raw += piece
        if len(raw) > _MAX_BODY:
            raise Refused("That message is too large.", 413)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Refused("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise Refused("The body must be a JSON object.")
    return body


def _supporter_id(request: Request) -> UUID:
    try:
        return UUID(request.path_params["supporter_id"])
    except ValueError:
        raise Refused("There is no such supporter.", 404) from None


def _sealed(value: object, caller: _Caller) -> Sealed:
    if not isinstance(value, dict):
        raise Refused("A message is {seq, iv, ciphertext}.")
    seq = value.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 1_000_000:
        raise Refused("A message's seq is a whole number.")
    iv = value.get("iv")
    if not isinstance(iv, str) or not _IV.fullmatch(iv):
        raise Refused("A message's iv is 12 bytes, base64url.")
    most = caller.resources.limits.ciphertext_bytes
    ciphertext = value.get("ciphertext")
    if not isinstance(ciphertext, str) or len(ciphertext) > (most * 4) // 3 + 4:
        raise Refused(
            f"A message holds at most {caller.resources.limits.message_characters:,} characters.",
            413,
        )
    if len(_decode(ciphertext, most=most)) < 17:
        raise Refused("A message's ciphertext is too short to be sealed.")
    return Sealed(seq, iv, ciphertext)


async def _own_device(request: Request, caller: _Caller) -> tuple[UUID, store.DeviceRow | None]:
    """The supporter named in the path, when it is the caller's own profile."""
    supporter_id = _supporter_id(request)
    device = await store.get(db=caller.service.pool, supporter_id=supporter_id)
    if device is not None and device.owner_subject == caller.principal.subject:
        return supporter_id, device
    # not on record yet (or recorded for someone else): directory says whose profile it is
    try:
        mine = await caller.resources.directory.my_profile(caller.token)
    except PeerError as failure:
        if failure.reached:  # directory refused the caller: no profile of theirs
            raise Refused("This is not your supporter profile.", 403) from None
        raise Refused("The directory is unavailable right now; try again shortly.", 503) from None
    if mine is None or mine != supporter_id:
        raise Refused("This is not your supporter profile.", 403)
    mine_on_record = device is not None and device.owner_subject == caller.principal.subject
    return supporter_id, device if mine_on_record else None


def _find(request: Request, caller: _Caller) -> tuple[Conversation, Side]:
    """The conversation in the path and the caller's side of it; 404 for anyone else."""
    supporter_id = _supporter_id(request)
    conversation_id = request.path_params["conversation_id"]
    conversation = (
        caller.resources.relay.find(supporter_id, conversation_id)
        if _CONVERSATION_ID.fullmatch(conversation_id)
        else None
    )
    digest = caller.resources.person(caller.principal.subject)
    # the same answer whether it never existed, ended, or is someone else's
    if conversation is None:
        raise Refused("This conversation has ended or is not yours.", 404)
    if conversation.officer == digest:
        return conversation, "officer"
    if conversation.supporter == digest:
        return conversation, "supporter"
    raise Refused("This conversation has ended or is not yours.", 404)


# the supporter's device ----------------------------------------------------------------


async def device(request: Request, caller: _Caller) -> Response:
    if request.method == "PUT":
        supporter_id, _ = await _own_device(request, caller)
        key = public_key((await _body(request)).get("publicKey"))
        replaced = await store.publish_key(
            pool=caller.service.pool,
            supporter_id=supporter_id,
            owner_subject=caller.principal.subject,
            public_key=key,
        )
        if replaced:
            caller.resources.relay.key_changed(supporter_id)
        return _answer({"replaced": replaced})
    supporter_id, row = await _own_device(request, caller)
    return _answer(
        {
            "publicKey": _b64url(row.public_key) if row else None,
            "push": row is not None and row.push is not None,
            "pushOffCall": row is not None and row.push_off_call,
            "applicationServerKey": caller.resources.pusher.application_server_key,
        }
    )


async def device_push(request: Request, caller: _Caller) -> Response:
    supporter_id, row = await _own_device(request, caller)
    if row is None:
        raise Refused("Turn on messages on this device first.", 409)
    body = await _body(request)
    subscription = body.get("subscription")
    off_call = body.get("offCall") is True
    push = None
    if subscription is not None:
        if not isinstance(subscription, dict) or not isinstance(subscription.get("keys"), dict):
            raise Refused("A subscription is {endpoint, keys: {p256dh, auth}}.")
        endpoint = subscription.get("endpoint")
        if not isinstance(endpoint, str) or not allowed_endpoint(
            endpoint, caller.resources.push_hosts
        ):
            raise Refused("That push service is not one this network sends to.")
        keys = subscription["keys"]
        push = store.PushSubscription(
            endpoint, public_key(keys.get("p256dh")), _decode(keys.get("auth"), length=16)
        )
    await store.set_push(
        db=caller.service.pool,
        supporter_id=supporter_id,
        owner_subject=caller.principal.subject,
        subscription=push,
        off_call=off_call,
    )
    return _answer({"push": push is not None, "pushOffCall": off_call and push is not None})


# opening, carrying, ending ----------------------------------------------------------------


async def open_conversation(request: Request, caller: _Caller) -> Response:
    resources = caller.resources
    if not caller.principal.has_role(*_OFFICERS):
        raise Refused("Only officers and staff of member departments open conversations.", 403)
    supporter_id = _supporter_id(request)
    body = await _body(request)
    officer_key = public_key(body.get("officerKey"))
    first = _sealed(body.get("message"), caller)
    row = await store.get(db=caller.service.pool, supporter_id=supporter_id)
    if row is None:
        raise Refused("This supporter does not take messages yet.", 404)
    supporter_key = _b64url(row.public_key)
    if body.get("supporterKey") != supporter_key:
        raise Refused("This supporter's key changed; reload the page and write again.", 409)
    if row.owner_subject == caller.principal.subject:
        raise Refused("You cannot open a conversation with yourself.")
    digest = caller.resources.person(caller.principal.subject)
    now = caller.service.clock.now()
    if await resources.paused(digest):
        raise Refused("You cannot open new conversations for now.", 429)
    try:
        on_call = await resources.directory.on_call(supporter_id, caller.token)
    except PeerError as failure:
        if failure.reached:
            raise Refused("This supporter does not take messages yet.", 404) from None
        raise Refused("The directory is unavailable right now; try again shortly.", 503) from None
    if on_call is None:
        raise Refused("This supporter does not take messages yet.", 404)
    if not await resources.claim_open(digest, now):
        raise Refused(
            f"You opened {resources.limits.opens_per_hour} conversations this hour;"
            " try again next hour.",
            429,
        )
    conversation = resources.relay.open(
        supporter_id=supporter_id,
        supporter_key=supporter_key,
        supporter=resources.person(row.owner_subject),
        officer=digest,
        officer_key=_b64url(officer_key),
        first=first,
    )
    resources.notify(conversation, row, on_call=on_call)
    return _answer({"conversation": conversation.id}, 201)


async def send_message(request: Request, caller: _Caller) -> Response:
    conversation, side = _find(request, caller)
    message = _sealed(await _body(request), caller)
    caller.resources.relay.send(conversation, side, message)
    if side == "officer":
        await caller.resources.notify_later(conversation, caller.token)
    return _answer({"delivered": True}, 202)


async def end_conversation(request: Request, caller: _Caller) -> Response:
    conversation, side = _find(request, caller)
    caller.resources.relay.end(conversation, side)
    return _answer({"ended": True})


async def block_conversation(request: Request, caller: _Caller) -> Response:
    conversation, side = _find(request, caller)
    if side != "supporter":
        raise Refused("Only the supporter blocks a conversation.", 403)
    caller.resources.relay.block(conversation)
    return _answer({"blocked": True})


async def report_conversation(request: Request, caller: _Caller) -> Response:
    """Block, and count one report against the officer for a week, in memory: enough
    reports pause their new conversations. Nobody else is told: not their department."""
    conversation, side = _find(request, caller)
    if side != "supporter":
        raise Refused("Only the supporter reports a conversation.", 403)
    officer = conversation.officer
    caller.resources.relay.block(conversation)
    await caller.resources.strike(officer, caller.service.clock.now())
    return _answer({"reported": True})


# streams ---------------------------------------------------------------------------------


async def inbox(request: Request, caller: _Caller) -> Response:
    supporter_id, row = await _own_device(request, caller)
    if row is None:
        raise Refused("Turn on messages on this device first.", 409)
    stream = caller.resources.relay.watch_supporter(supporter_id)
    return _events(stream, caller)


async def officer_stream(request: Request, caller: _Caller) -> Response:
    conversation, side = _find(request, caller)
    if side != "officer":
        raise Refused("The supporter reads every conversation from their inbox.", 403)
    return _events(caller.resources.relay.watch_officer(conversation), caller)


def _events(stream: Stream, caller: _Caller) -> Response:
    relay = caller.resources.relay

    async def events() -> AsyncIterator[bytes]:
        try:
            yield b": open\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(stream.queue.get(), _KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if event is None:
                    return
                yield b"data: " + orjson.dumps(event) + b"\n\n"
        finally:
            relay.unwatch(stream)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={**_HEADERS, "X-Accel-Buffering": "no"},
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_SUPPORTER = "/conversations/{supporter_id}"
_CONVERSATION = _SUPPORTER + "/{conversation_id}"

ROUTES = [
    Route(_SUPPORTER + "/device", _route(device), methods=["GET", "PUT"]),
    Route(_SUPPORTER + "/device/push", _route(device_push), methods=["PUT"]),
    Route(_SUPPORTER + "/inbox", _route(inbox), methods=["GET"]),
    Route(_SUPPORTER + "/open", _route(open_conversation), methods=["POST"]),
    Route(_CONVERSATION + "/messages", _route(send_message), methods=["POST"]),
    Route(_CONVERSATION + "/stream", _route(officer_stream), methods=["GET"]),
    Route(_CONVERSATION + "/end", _route(end_conversation), methods=["POST"]),
    Route(_CONVERSATION + "/block", _route(block_conversation), methods=["POST"]),
    Route(_CONVERSATION + "/report", _route(report_conversation), methods=["POST"]),
]
