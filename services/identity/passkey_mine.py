"""One's own passkeys, once signed in: see the one this session was opened with, add
another (same pseudonym and roles), or remove it and sign out."""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import cookies, passkey_store, passkeys, store
from .cookies import Ceremony, Session
from .passkey_ceremony import answer, display_name, finish, refuse, with_ceremony
from .passkeys import PasskeyProblem
from .runtime import Identity
from .web import NO_STORE, clear_session, identity_of


def _signed_in(identity: Identity, request: Request) -> Session:
    session = cookies.open_session(identity.cookies, request.cookies.get(cookies.SESSION_COOKIE))
    if session is None:
        raise PasskeyProblem("Sign in first.")
    return session


async def mine(request: Request) -> Response:
    """The passkey this session was opened with, and whether another may be added."""
    identity = identity_of(request)
    try:
        session = _signed_in(identity, request)
    except PasskeyProblem as problem:
        return refuse(str(problem), 401)
    current = None
    if session.passkey:
        passkey = await passkey_store.get_passkey(
            db=identity.pool, credential_id=passkeys.decode(session.passkey)
        )
        if passkey is not None:
            current = {
                "id": session.passkey[:12],
                "label": passkey.label,
                "roles": list(passkey.roles),
                "validUntil": passkey.valid_until.isoformat() if passkey.valid_until else None,
            }
    period = await _period(identity, session)
    return JSONResponse(
        {
            "signedInWith": "passkey" if session.passkey else "department",
            "current": current,
            "canAdd": period is not None,
            "periodDays": period or None,
        },
        headers=NO_STORE,
    )


async def _period(identity: Identity, session: Session) -> int | None:
    """Days a new passkey lasts: 0 for no end (a code-enrolled holder), None: none can be added."""
    if session.passkey:
        passkey = await passkey_store.get_passkey(
            db=identity.pool, credential_id=passkeys.decode(session.passkey)
        )
        if passkey is None:
            return None
        if passkey.valid_until is None:
            return 0
        return max(0, (passkey.valid_until - identity.clock.today()).days)
    provider = await store.get_provider(
        db=identity.pool, organisation_id=uuid.UUID(session.department)
    )
    return provider.passkey_days if provider is not None and provider.enabled else None


async def add_options(request: Request) -> Response:
    """Creation options for another passkey of the signed-in person (same pseudonym, roles)."""
    identity = identity_of(request)
    try:
        session = _signed_in(identity, request)
        period = await _period(identity, session)
        if period is None:
            raise PasskeyProblem("Passkeys cannot be added for this sign-in.")
    except PasskeyProblem as problem:
        return refuse(str(problem), 401)
    label = None
    if session.passkey:
        current = await passkey_store.get_passkey(
            db=identity.pool, credential_id=passkeys.decode(session.passkey)
        )
        label = current.label if current else None
    handle = passkeys.seal_handle(
        identity.handles, subject=session.subject, organisation_id=session.department
    )
    challenge = secrets.token_bytes(32)
    ceremony = Ceremony(
        purpose="add",
        challenge=passkeys.encode(challenge),
        expires_at=time.time() + passkeys.CEREMONY_SECONDS,
        organisation_id=session.department,
        user_handle=passkeys.encode(handle),
        roles=session.roles,
        label=label,
        valid_until=(
            (identity.clock.today() + dt.timedelta(days=period)).isoformat() if period else None
        ),
    )
    options = passkeys.registration_options(
        identity.relying_party_config,
        challenge=challenge,
        user_handle=handle,
        display_name=display_name(identity, uuid.UUID(session.department), label),
        exclude=[passkeys.decode(session.passkey)] if session.passkey else None,
    )
    return with_ceremony(identity, JSONResponse({"publicKey": options}, headers=NO_STORE), ceremony)


async def add(request: Request) -> Response:
    identity = identity_of(request)
    try:
        session = _signed_in(identity, request)
        ceremony, credential = await answer(identity, request, "add")
        if ceremony.organisation_id != session.department:
            raise PasskeyProblem("This request belongs to another sign-in. Please start again.")
        made = passkeys.verify_new_credential(
            identity.relying_party_config, credential, challenge=passkeys.decode(ceremony.challenge)
        )
        if await passkey_store.get_passkey(db=identity.pool, credential_id=made.credential_id):
            raise PasskeyProblem("This passkey is added already.")
        valid_until = dt.date.fromisoformat(ceremony.valid_until) if ceremony.valid_until else None
        await passkey_store.add_passkey(
            db=identity.pool,
            passkey=passkey_store.PasskeyRow(
                credential_id=made.credential_id,
                public_key=made.public_key,
                organisation_id=uuid.UUID(ceremony.organisation_id),
                roles=tuple(ceremony.roles or ()),
                label=ceremony.label,
                valid_until=valid_until,
                handle_digest=passkeys.handle_digest(passkeys.decode(ceremony.user_handle)),
            ),
        )
    except PasskeyProblem as problem:
        return finish(identity, refuse(str(problem)))
    return finish(
        identity,
        JSONResponse(
            {"added": True, "validUntil": valid_until.isoformat() if valid_until else None},
            headers=NO_STORE,
        ),
    )


async def remove_mine(request: Request) -> Response:
    """Delete the passkey this session was opened with, and sign out."""
    identity = identity_of(request)
    try:
        session = _signed_in(identity, request)
        if not session.passkey:
            raise PasskeyProblem("You signed in with your department's sign-in, not a passkey.")
    except PasskeyProblem as problem:
        return refuse(str(problem), 400)
    removed = await passkey_store.delete_passkeys(
        db=identity.pool,
        organisation_id=uuid.UUID(session.department),
        credential_id=passkeys.decode(session.passkey),
    )
    response = JSONResponse({"removed": removed == 1}, headers=NO_STORE)
    clear_session(identity, response)
    return response
