"""Signing in with a passkey: /auth/passkey/options asks for any of the network's passkeys
(discoverable: no user name asked), /auth/passkey verifies the assertion against the stored
public key and admits as at an SSO sign-in. It writes nothing about the sign-in; only when
membership no longer knows the department, or says it left, are that department's passkeys
and codes deleted (ceremony.admitted_roles)."""

from __future__ import annotations

import hmac
import secrets
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import cookies
from ..cookies import Ceremony, Renewal
from ..runtime import NO_STORE, Identity, identity_of
from ..sessions import start_session
from . import credentials
from . import store as passkey_store
from .ceremony import (
    admitted_roles,
    answer,
    finish,
    new_session,
    refusal,
    refuse,
    with_ceremony,
)
from .credentials import PasskeyProblem

RENEWAL_SECONDS = 600


async def sign_in_options(request: Request) -> Response:
    """A challenge for any of the network's passkeys (discoverable: no user name asked)."""
    identity = identity_of(request)
    challenge = secrets.token_bytes(32)
    ceremony = Ceremony(
        purpose="sign-in",
        challenge=credentials.encode(challenge),
        expires_at=identity.clock.timestamp() + credentials.CEREMONY_SECONDS,
        organisation_id=_chosen_department(request),
    )
    options = credentials.authentication_options(identity.relying_party_config, challenge=challenge)
    return with_ceremony(identity, JSONResponse({"publicKey": options}, headers=NO_STORE), ceremony)


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
        ceremony, credential = await answer(identity, request, "sign-in")
        assertion = credentials.parse_assertion(credential)
        passkey = await passkey_store.get_passkey(
            db=identity.pool, credential_id=assertion.credential_id
        )
        if passkey is None:
            raise PasskeyProblem(
                "This passkey is not known here: it was removed or revoked. "
                "Ask your coordinator for a new enrollment code."
            )
        organisation = str(passkey.organisation_id)
        if ceremony.organisation_id and ceremony.organisation_id != organisation:
            raise PasskeyProblem("This passkey belongs to another department.")
        if not hmac.compare_digest(
            credentials.handle_digest(assertion.user_handle), passkey.handle_digest
        ):
            raise PasskeyProblem("This passkey's answer does not match the passkey.")
        credentials.verify_assertion(
            identity.relying_party_config,
            assertion,
            challenge=credentials.decode(ceremony.challenge),
            public_key=passkey.public_key,
        )
        subject = credentials.open_handle(
            identity.handles, assertion.user_handle, organisation_id=organisation
        )
        if passkey.valid_until.lapsed(identity.clock.today()):
            return finish(identity, _lapsed(identity, passkey, subject))
        roles = await admitted_roles(identity, passkey.organisation_id, passkey.roles)
    except PasskeyProblem as problem:
        return finish(identity, refusal(problem, 401))
    session = new_session(
        identity,
        subject,
        passkey.organisation_id,
        roles,
        passkey.credential_id,
        passkey.valid_until,
    )
    response = JSONResponse({"signedIn": True}, headers=NO_STORE)
    start_session(identity, response, session)
    return finish(identity, response)


def _lapsed(identity: Identity, passkey: passkey_store.PasskeyRow, subject: str) -> Response:
    """The passkey's period ended: one department sign-in renews it."""
    organisation = str(passkey.organisation_id)
    renewal = Renewal(
        credential_id=credentials.encode(passkey.credential_id),
        subject=subject,
        organisation_id=organisation,
        expires_at=identity.clock.timestamp() + RENEWAL_SECONDS,
    )
    response = refuse(
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
