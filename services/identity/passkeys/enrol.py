"""Enrolling a passkey from a coordinator's one-time code: /auth/enroll/options checks the
typed code (without spending it), /auth/enroll verifies the new passkey, spends the code and
adds the passkey at once, and signs in."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from servicekit.pseudonyms import pairwise_subject

from .. import store
from ..cookies import Ceremony
from ..runtime import NO_STORE, Identity, identity_of
from ..sessions import start_session
from . import code_tries, credentials
from . import store as passkey_store
from .ceremony import (
    admitted_roles,
    answer,
    display_name,
    finish,
    json_body,
    new_session,
    refusal,
    with_ceremony,
)
from .credentials import PasskeyProblem
from .validity import NO_END, Validity, for_period

# a passkey enrolled from a code has no department IdP behind it: its pseudonym is derived
# from a random value under this name instead of an upstream issuer
PASSKEY_ISSUER = "urn:wnwa:passkey"


async def enroll_options(request: Request) -> Response:
    """Check a typed code (without spending it) and ask the browser to make a passkey."""
    identity = identity_of(request)
    try:
        body = await json_body(request)
        typed = body.get("code")
        if not isinstance(typed, str) or credentials.normalise_code(typed) is None:
            raise PasskeyProblem(
                "An enrollment code has 20 letters and digits, like 7K3M-Q9TD-2H8F-XW4P-RC6N."
            )
        # a well-formed code's try pays its proof of work (a malformed one spent nothing)
        refused = await code_tries.refusal(identity, body)
        if refused is not None:
            return refused
        code = await passkey_store.get_enrollment_code(
            db=identity.pool,
            code_digest=credentials.code_digest(identity.code_key, typed),
            today=identity.clock.today(),
        )
        if code is None:
            raise PasskeyProblem(
                "That code does not work: it may be mistyped, expired or already used. "
                "Ask your coordinator for a new one."
            )
        roles = await admitted_roles(identity, code.organisation_id, code.roles)
    except PasskeyProblem as problem:
        return refusal(problem, 400)
    organisation = str(code.organisation_id)
    subject = pairwise_subject(
        identity.pseudonym_key,
        department_id=organisation,
        issuer=PASSKEY_ISSUER,
        subject=secrets.token_urlsafe(32),
    )
    handle = credentials.seal_handle(
        identity.handles, subject=subject, organisation_id=organisation
    )
    challenge = secrets.token_bytes(32)
    ceremony = Ceremony(
        purpose="enroll",
        challenge=credentials.encode(challenge),
        expires_at=identity.clock.timestamp() + credentials.CEREMONY_SECONDS,
        organisation_id=organisation,
        user_handle=credentials.encode(handle),
        roles=roles,
        code_id=str(code.id),
    )
    options = credentials.registration_options(
        identity.relying_party_config,
        challenge=challenge,
        user_handle=handle,
        # the code's label is kept only as a digest: the device shows no label
        display_name=display_name(identity, code.organisation_id, None),
    )
    return with_ceremony(identity, JSONResponse({"publicKey": options}, headers=NO_STORE), ceremony)


async def enroll(request: Request) -> Response:
    """Verify the new passkey, spend the code and add the passkey at once, and sign in."""
    identity = identity_of(request)
    try:
        ceremony, credential = await answer(identity, request, "enroll")
        made = credentials.verify_new_credential(
            identity.relying_party_config,
            credential,
            challenge=credentials.decode(ceremony.challenge),
        )
        handle = credentials.decode(ceremony.user_handle)
        organisation = uuid.UUID(ceremony.organisation_id)
        today = identity.clock.today()
        # the department may have been suspended while the device made the passkey
        roles = await admitted_roles(identity, organisation, ceremony.roles or [])
        passkey = passkey_store.PasskeyRow(
            credential_id=made.credential_id,
            public_key=made.public_key,
            organisation_id=organisation,
            roles=tuple(roles),
            label_digest=None,  # the code's, taken as it is spent (enroll_passkey)
            valid_until=await code_passkey_validity(identity, organisation, today),
            handle_digest=credentials.handle_digest(handle),
        )
        async with identity.pool.acquire() as connection:
            outcome = await passkey_store.enroll_passkey(
                db=connection, code_id=uuid.UUID(ceremony.code_id), today=today, passkey=passkey
            )
        if outcome is passkey_store.Enrolment.CODE_UNUSABLE:
            raise PasskeyProblem(
                "That code is expired or already used. Ask your coordinator for a new one."
            )
        if outcome is passkey_store.Enrolment.ALREADY_ENROLLED:
            raise PasskeyProblem("This passkey is already enrolled.")
    except PasskeyProblem as problem:
        return finish(identity, refusal(problem, 400))
    subject = credentials.open_handle(identity.handles, handle, organisation_id=str(organisation))
    session = new_session(
        identity,
        subject,
        organisation,
        list(passkey.roles),
        made.credential_id,
        passkey.valid_until,
    )
    response = JSONResponse({"signedIn": True}, headers=NO_STORE)
    start_session(identity, response, session)
    return finish(identity, response)


async def code_passkey_validity(
    identity: Identity, organisation: uuid.UUID, today: dt.date
) -> Validity:
    """How long a passkey enrolled from a code works.

    Where the organisation has an IdP (switched on or not), the IdP's period, as for a
    passkey added after a department sign-in: a coordinator's code must not give access the
    IdP would never see again. Without one, until revoked: there is nothing to renew it by.
    """
    provider = await store.get_provider(db=identity.pool, organisation_id=organisation)
    return NO_END if provider is None else for_period(today, provider.passkey_days)
