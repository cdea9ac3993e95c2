"""Passkey endpoints under /auth: enrol from a code, sign in, add and remove one's own.

JSON in and out, for the portal's pages (same origin, through the gateway). A ceremony's
challenge travels in a sealed, HttpOnly cookie and is spent once; a passkey sign-in reads
the credential and writes nothing. Refusals say why in words for the person and leave
nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from servicekit.ratelimit import RateLimited

from . import cookies, passkey_store, passkeys, store
from .admission import Standing
from .cookies import Ceremony, Renewal, Session
from .oidc import SignInProblem
from .passkeys import PasskeyProblem
from .rules import DEPARTMENT_ROLES, NETWORK_ROLES
from .runtime import Identity
from .sealing import pairwise_subject
from .web import NO_STORE, clear_session, identity_of, start_session

# a passkey enrolled from a code has no department IdP behind it: its pseudonym is derived
# from a random value under this name instead of an upstream issuer
PASSKEY_ISSUER = "urn:wnwa:passkey"
RENEWAL_SECONDS = 600


def _refuse(message: str, status_code: int = 400, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status_code, headers=NO_STORE)


async def _json(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise PasskeyProblem("Send the request as JSON.")
    try:
        body = await request.json()
    except ValueError:
        raise PasskeyProblem("The request is not valid JSON.") from None
    if not isinstance(body, dict):
        raise PasskeyProblem("The request must be a JSON object.")
    return body


def _with_ceremony(identity: Identity, response: Response, ceremony: Ceremony) -> Response:
    cookies.set_cookie(
        response,
        cookies.CEREMONY_COOKIE,
        cookies.seal_ceremony(identity.cookies, ceremony),
        max_age=passkeys.CEREMONY_SECONDS,
        secure=identity.settings.secure_cookies,
        path="/auth",
    )
    return response


def _ceremony(identity: Identity, request: Request, purpose: str) -> Ceremony:
    """The ceremony this answer belongs to; each challenge is answered once."""
    ceremony = cookies.open_ceremony(identity.cookies, request.cookies.get(cookies.CEREMONY_COOKIE))
    if ceremony is None or ceremony.purpose != purpose:
        raise PasskeyProblem("This passkey request has expired. Please start again.")
    if not identity.spent_states.spend(f"passkey:{ceremony.challenge}"):
        raise PasskeyProblem("This passkey request was already answered. Please start again.")
    return ceremony


def _options(options: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"publicKey": options}, headers=NO_STORE)


async def _session_passkey(identity: Identity, credential: str) -> passkey_store.PasskeyRow | None:
    return await passkey_store.get_passkey(
        db=identity.pool, credential_id=passkeys.decode(credential)
    )


async def _answer(
    identity: Identity, request: Request, purpose: str
) -> tuple[Ceremony, dict[str, Any]]:
    """The ceremony an answer belongs to (spent now) and the browser's credential in it."""
    body = await _json(request)
    ceremony = _ceremony(identity, request, purpose)
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise PasskeyProblem("The browser's answer holds no passkey.")
    return ceremony, credential


def _finish(identity: Identity, response: Response) -> Response:
    cookies.clear_cookie(
        response, cookies.CEREMONY_COOKIE, secure=identity.settings.secure_cookies, path="/auth"
    )
    return response


async def admitted_roles(
    identity: Identity, organisation_id: uuid.UUID, roles: list[str] | tuple[str, ...]
) -> list[str]:
    """A passkey's roles if its organisation still admits them, as at an SSO sign-in."""
    if organisation_id == identity.settings.network_id:
        granted = set(roles) & NETWORK_ROLES
        if not granted:
            raise PasskeyProblem("This passkey holds none of the network's staff roles.")
        return sorted(granted)
    try:
        standing = await identity.membership.standing(str(organisation_id))
    except SignInProblem as problem:
        raise PasskeyProblem(f"{problem} Please try again in a moment.") from None
    if standing is None or standing.removed:
        # a department that left the network loses every credential it had
        await passkey_store.forget_organisation_credentials(
            db=identity.pool, organisation_id=organisation_id
        )
        raise PasskeyProblem("Your department is no longer a member of the network.")
    return _department_roles(standing, roles)


def _department_roles(standing: Standing, roles: list[str] | tuple[str, ...]) -> list[str]:
    if not standing.active:
        raise PasskeyProblem("Your department is not an active member of the network right now.")
    granted = set(roles) & DEPARTMENT_ROLES
    if "officer" in granted:
        granted.discard("civilian")
    elif "civilian" in granted and not standing.civilians_enrolled:
        raise PasskeyProblem("Your department has not enabled access for civilian staff.")
    elif "civilian" not in granted:
        raise PasskeyProblem("This passkey does not say you are a sworn officer or civilian staff.")
    return sorted(granted)


# enrolling from a one-time code ------------------------------------------------------------


async def enroll_options(request: Request) -> Response:
    """Check a typed code (without spending it) and ask the browser to make a passkey."""
    identity = identity_of(request)
    try:
        body = await _json(request)
        try:
            identity.code_guesses.take()
        except RateLimited:
            return _refuse(
                "Too many codes were tried just now. Wait a minute, then try again.", 429
            )
        typed = body.get("code")
        if not isinstance(typed, str) or passkeys.normalise_code(typed) is None:
            raise PasskeyProblem(
                "An enrolment code has 20 letters and digits, like 7K3M-Q9TD-2H8F-XW4P-RC6N."
            )
        code = await passkey_store.get_enrollment_code(
            db=identity.pool,
            code_digest=passkeys.code_digest(identity.code_key, typed),
            today=identity.clock.today(),
        )
        if code is None:
            raise PasskeyProblem(
                "That code does not work: it may be mistyped, expired or already used. "
                "Ask your coordinator for a new one."
            )
        roles = await admitted_roles(identity, code.organisation_id, code.roles)
    except PasskeyProblem as problem:
        return _refuse(str(problem))
    organisation = str(code.organisation_id)
    subject = pairwise_subject(
        identity.pseudonym_key,
        department_id=organisation,
        issuer=PASSKEY_ISSUER,
        subject=secrets.token_urlsafe(32),
    )
    handle = passkeys.seal_handle(identity.handles, subject=subject, organisation_id=organisation)
    challenge = secrets.token_bytes(32)
    ceremony = Ceremony(
        purpose="enroll",
        challenge=passkeys.encode(challenge),
        expires_at=time.time() + passkeys.CEREMONY_SECONDS,
        organisation_id=organisation,
        user_handle=passkeys.encode(handle),
        roles=roles,
        label=code.label,
        code_id=str(code.id),
    )
    options = passkeys.registration_options(
        identity.relying_party_config,
        challenge=challenge,
        user_handle=handle,
        display_name=_display_name(identity, code.organisation_id, code.label),
    )
    return _with_ceremony(
        identity, JSONResponse({"publicKey": options}, headers=NO_STORE), ceremony
    )


def _display_name(identity: Identity, organisation_id: uuid.UUID, label: str | None) -> str:
    # shown by the device beside the passkey: the network's name and the coordinator's label
    who = "network staff" if organisation_id == identity.settings.network_id else "member"
    return f"WeNeverWalkAlone {who}" + (f" ({label})" if label else "")


async def enroll(request: Request) -> Response:
    """Verify the new passkey, spend the code and add the passkey at once, and sign in."""
    identity = identity_of(request)
    try:
        ceremony, credential = await _answer(identity, request, "enroll")
        made = passkeys.verify_new_credential(
            identity.relying_party_config, credential, challenge=passkeys.decode(ceremony.challenge)
        )
        handle = passkeys.decode(ceremony.user_handle)
        organisation = uuid.UUID(ceremony.organisation_id)
        passkey = passkey_store.PasskeyRow(
            credential_id=made.credential_id,
            public_key=made.public_key,
            organisation_id=organisation,
            roles=tuple(ceremony.roles or ()),
            label=ceremony.label,
            valid_until=None,
            handle_digest=passkeys.handle_digest(handle),
        )
        if await passkey_store.get_passkey(db=identity.pool, credential_id=made.credential_id):
            raise PasskeyProblem("This passkey is enrolled already.")
        async with identity.pool.acquire() as connection:
            enrolled = await passkey_store.enroll_passkey(
                db=connection, code_id=uuid.UUID(ceremony.code_id), passkey=passkey
            )
        if not enrolled:
            raise PasskeyProblem("That code was used already. Ask your coordinator for a new one.")
    except PasskeyProblem as problem:
        return _finish(identity, _refuse(str(problem)))
    subject = passkeys.open_handle(identity.handles, handle, organisation_id=str(organisation))
    session = _session(identity, subject, organisation, list(passkey.roles), made.credential_id)
    response = JSONResponse({"signedIn": True}, headers=NO_STORE)
    start_session(identity, response, session)
    return _finish(identity, response)


def _session(
    identity: Identity, subject: str, organisation: uuid.UUID, roles: list[str], credential: bytes
) -> Session:
    return Session(
        subject=subject,
        department=str(organisation),
        roles=roles,
        expires_at=time.time() + identity.settings.session_hours * 3600,
        passkey=passkeys.encode(credential),
    )


# signing in --------------------------------------------------------------------------------


async def sign_in_options(request: Request) -> Response:
    """A challenge for any of the network's passkeys (discoverable: no user name asked)."""
    identity = identity_of(request)
    challenge = secrets.token_bytes(32)
    ceremony = Ceremony(
        purpose="sign-in",
        challenge=passkeys.encode(challenge),
        expires_at=time.time() + passkeys.CEREMONY_SECONDS,
        organisation_id=_chosen_department(request),
    )
    options = passkeys.authentication_options(identity.relying_party_config, challenge=challenge)
    return _with_ceremony(
        identity, JSONResponse({"publicKey": options}, headers=NO_STORE), ceremony
    )


def _chosen_department(request: Request) -> str:
    value = request.query_params.get("department", "")
    try:
        return str(uuid.UUID(value)) if value else ""
    except ValueError:
        return ""


async def sign_in(request: Request) -> Response:
    """Verify an assertion against the stored public key; admit as at an SSO sign-in."""
    identity = identity_of(request)
    try:
        ceremony, credential = await _answer(identity, request, "sign-in")
        assertion = passkeys.parse_assertion(credential)
        passkey = await passkey_store.get_passkey(
            db=identity.pool, credential_id=assertion.credential_id
        )
        if passkey is None:
            raise PasskeyProblem(
                "This passkey is not known here: it was removed or revoked. "
                "Ask your coordinator for a new enrolment code."
            )
        organisation = str(passkey.organisation_id)
        if ceremony.organisation_id and ceremony.organisation_id != organisation:
            raise PasskeyProblem("This passkey belongs to another department.")
        if not hmac.compare_digest(
            passkeys.handle_digest(assertion.user_handle), passkey.handle_digest
        ):
            raise PasskeyProblem("This passkey's answer does not match the passkey.")
        passkeys.verify_assertion(
            identity.relying_party_config,
            assertion,
            challenge=passkeys.decode(ceremony.challenge),
            public_key=passkey.public_key,
        )
        subject = passkeys.open_handle(
            identity.handles, assertion.user_handle, organisation_id=organisation
        )
        if passkey.valid_until is not None and passkey.valid_until < identity.clock.today():
            return _finish(identity, _lapsed(identity, passkey, subject))
        roles = await admitted_roles(identity, passkey.organisation_id, passkey.roles)
    except PasskeyProblem as problem:
        return _finish(identity, _refuse(str(problem), 401))
    session = _session(identity, subject, passkey.organisation_id, roles, passkey.credential_id)
    response = JSONResponse({"signedIn": True}, headers=NO_STORE)
    start_session(identity, response, session)
    return _finish(identity, response)


def _lapsed(identity: Identity, passkey: passkey_store.PasskeyRow, subject: str) -> Response:
    """The passkey's period ended: one department sign-in renews it."""
    organisation = str(passkey.organisation_id)
    renewal = Renewal(
        credential_id=passkeys.encode(passkey.credential_id),
        subject=subject,
        organisation_id=organisation,
        expires_at=time.time() + RENEWAL_SECONDS,
    )
    response = _refuse(
        "This passkey's period has ended. Sign in once with your department's sign-in to "
        "renew it for another period.",
        401,
        renew=f"/auth/login?department={organisation}",
    )
    cookies.set_cookie(
        response,
        cookies.RENEWAL_COOKIE,
        cookies.seal_renewal(identity.cookies, renewal),
        max_age=RENEWAL_SECONDS,
        secure=identity.settings.secure_cookies,
        path="/auth",
    )
    return response


# one's own passkeys ------------------------------------------------------------------------


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
        return _refuse(str(problem), 401)
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
        return _refuse(str(problem), 401)
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
        display_name=_display_name(identity, uuid.UUID(session.department), label),
        exclude=[passkeys.decode(session.passkey)] if session.passkey else None,
    )
    return _with_ceremony(
        identity, JSONResponse({"publicKey": options}, headers=NO_STORE), ceremony
    )


async def add(request: Request) -> Response:
    identity = identity_of(request)
    try:
        session = _signed_in(identity, request)
        ceremony, credential = await _answer(identity, request, "add")
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
        return _finish(identity, _refuse(str(problem)))
    return _finish(
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
        return _refuse(str(problem), 400)
    removed = await passkey_store.delete_passkeys(
        db=identity.pool,
        organisation_id=uuid.UUID(session.department),
        credential_id=passkeys.decode(session.passkey),
    )
    response = JSONResponse({"removed": removed == 1}, headers=NO_STORE)
    clear_session(identity, response)
    return response


ROUTES = [
    Route("/auth/enroll/options", enroll_options, methods=["POST"]),
    Route("/auth/enroll", enroll, methods=["POST"]),
    Route("/auth/passkey/options", sign_in_options, methods=["POST"]),
    Route("/auth/passkey", sign_in, methods=["POST"]),
    Route("/auth/passkeys/mine", mine, methods=["GET"]),
    Route("/auth/passkeys/mine/remove", remove_mine, methods=["POST"]),
    Route("/auth/passkeys/add/options", add_options, methods=["POST"]),
    Route("/auth/passkeys/add", add, methods=["POST"]),
]
