"""One's own passkeys, once signed in: see the one this session was opened with, add
another (same pseudonym and roles), or remove it and sign out."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..cookies import Ceremony, Session
from ..runtime import NO_STORE, Identity, identity_of
from ..sessions import SessionEnded, clear_session, live_session, sso_provider
from . import credentials
from . import store as passkey_store
from .ceremony import (
    admitted_roles,
    answer,
    display_name,
    finish,
    refusal,
    refuse,
    with_ceremony,
)
from .credentials import PasskeyProblem
from .validity import Until, Validity, for_period


async def _signed_in(identity: Identity, request: Request) -> Session:
    # a signed-out copy of the cookie neither sees nor changes the owner's passkeys
    session = await live_session(identity, request)
    if session is None:
        raise PasskeyProblem("Sign in first.")
    return session


async def mine(request: Request) -> Response:
    """The passkey this session was opened with, and whether another may be added."""
    identity = identity_of(request)
    try:
        session = await _signed_in(identity, request)
    except PasskeyProblem as problem:
        return refuse(str(problem), 401)
    current = None
    if session.passkey:
        passkey = await passkey_store.get_passkey(
            db=identity.pool, credential_id=credentials.decode(session.passkey)
        )
        if passkey is not None:
            current = {
                "id": session.passkey[:12],
                "roles": list(passkey.roles),
                "validUntil": _last_day(passkey.valid_until),
            }
    try:
        validity: Validity | None = (await _new_passkey(identity, session)).valid_until
    except PasskeyProblem:
        validity = None
    return JSONResponse(
        {
            "signedInWith": "passkey" if session.passkey else "department",
            "current": current,
            "canAdd": validity is not None,
            "periodDays": (
                validity.days_left(identity.clock.today()) if isinstance(validity, Until) else None
            ),
        },
        headers=NO_STORE,
    )


_SIGN_IN_AGAIN = (
    "Your department's sign-in changed since you signed in. Sign in again to add a passkey."
)


@dataclass(frozen=True, slots=True)
class _NewPasskey:
    """What a passkey added now, for this session, would carry."""

    valid_until: Validity
    roles: list[str]
    label_digest: bytes | None  # its parent's: revoking the parent's label revokes it too


async def _new_passkey(identity: Identity, session: Session) -> _NewPasskey:
    """What a passkey added now would carry; raises PasskeyProblem when none may be added.

    After a department sign-in: the department's period from the day of that sign-in (the
    session may run past midnight; the IdP spoke on its first day), through the provider
    that signed the person in only. From a passkey: its own end at the latest (a passkey
    never vouches for one that outlives it), and nothing on or after its last day, so that
    a period cannot be stretched one passkey at a time. Either way the department must
    still admit the roles, as at a sign-in.
    """
    today = identity.clock.today()
    label_digest = None
    if session.passkey:
        parent = await passkey_store.get_passkey(
            db=identity.pool, credential_id=credentials.decode(session.passkey)
        )
        if parent is None:
            raise PasskeyProblem("The passkey you signed in with was removed.", status=401)
        if parent.valid_until.lapsed(today):
            raise PasskeyProblem(
                "The period of the passkey you signed in with has ended. Sign in again.",
                status=401,
            )
        if isinstance(parent.valid_until, Until) and parent.valid_until.days_left(today) < 1:
            raise PasskeyProblem(
                "Today is the last day of the passkey you signed in with: it cannot add "
                "another. Sign in with your department's sign-in to add one.",
                status=403,
            )
        valid_until: Validity = parent.valid_until
        label_digest = parent.label_digest
    else:
        try:
            provider = await sso_provider(identity, session)
            verified_on = dt.date.fromisoformat(session.verified_on)
        except SessionEnded as ended:
            if str(ended) == "provider_disabled":
                raise PasskeyProblem(
                    "Passkeys cannot be added for this sign-in.", status=403
                ) from None
            raise PasskeyProblem(_SIGN_IN_AGAIN, status=401) from None
        except ValueError:  # a session sealed before sessions kept the day
            raise PasskeyProblem(_SIGN_IN_AGAIN, status=401) from None
        valid_until = for_period(verified_on, provider.passkey_days)
    try:
        roles = await admitted_roles(identity, uuid.UUID(session.department), session.roles)
    except PasskeyProblem as problem:
        raise PasskeyProblem(str(problem), status=problem.status or 403) from None
    return _NewPasskey(valid_until, roles, label_digest)


async def add_options(request: Request) -> Response:
    """Creation options for another passkey of the signed-in person (same pseudonym, roles)."""
    identity = identity_of(request)
    try:
        session = await _signed_in(identity, request)
        await _new_passkey(identity, session)  # refused now when none may be added
    except PasskeyProblem as problem:
        return refusal(problem, 401)
    handle = credentials.seal_handle(
        identity.handles, subject=session.subject, organisation_id=session.department
    )
    challenge = secrets.token_bytes(32)
    ceremony = Ceremony(
        purpose="add",
        challenge=credentials.encode(challenge),
        expires_at=identity.clock.timestamp() + credentials.CEREMONY_SECONDS,
        organisation_id=session.department,
        user_handle=credentials.encode(handle),
    )
    options = credentials.registration_options(
        identity.relying_party_config,
        challenge=challenge,
        user_handle=handle,
        display_name=display_name(identity, uuid.UUID(session.department), None),
        exclude=[credentials.decode(session.passkey)] if session.passkey else None,
    )
    return with_ceremony(identity, JSONResponse({"publicKey": options}, headers=NO_STORE), ceremony)


async def add(request: Request) -> Response:
    """Verify the new passkey and add it; what it carries is decided now, not at the options."""
    identity = identity_of(request)
    try:
        session = await _signed_in(identity, request)
        ceremony, credential = await answer(identity, request, "add")
        if ceremony.organisation_id != session.department:
            raise PasskeyProblem("This request belongs to another sign-in. Please start again.")
        made = credentials.verify_new_credential(
            identity.relying_party_config,
            credential,
            challenge=credentials.decode(ceremony.challenge),
        )
        # the day may have turned, the parent been revoked or the department suspended
        new = await _new_passkey(identity, session)
        added = await passkey_store.add_passkey(
            db=identity.pool,
            passkey=passkey_store.PasskeyRow(
                credential_id=made.credential_id,
                public_key=made.public_key,
                organisation_id=uuid.UUID(session.department),
                roles=tuple(new.roles),
                label_digest=new.label_digest,
                valid_until=new.valid_until,
                handle_digest=credentials.handle_digest(credentials.decode(ceremony.user_handle)),
            ),
        )
        if not added:
            raise PasskeyProblem("This passkey is added already.")
    except PasskeyProblem as problem:
        return finish(identity, refusal(problem, 400))
    return finish(
        identity,
        JSONResponse({"added": True, "validUntil": _last_day(new.valid_until)}, headers=NO_STORE),
    )


def _last_day(validity: Validity) -> str | None:
    """A validity as the JSON the portal reads: its last day, or null for no end."""
    return validity.last_day.isoformat() if isinstance(validity, Until) else None


async def remove_mine(request: Request) -> Response:
    """Delete the passkey this session was opened with, and sign out."""
    identity = identity_of(request)
    try:
        session = await _signed_in(identity, request)
        if not session.passkey:
            raise PasskeyProblem("You signed in with your department's sign-in, not a passkey.")
    except PasskeyProblem as problem:
        return refuse(str(problem), 400)
    removed = await passkey_store.delete_passkeys(
        db=identity.pool,
        organisation_id=uuid.UUID(session.department),
        credential_id=credentials.decode(session.passkey),
    )
    response = JSONResponse({"removed": removed == 1}, headers=NO_STORE)
    clear_session(identity, response)
    return response
