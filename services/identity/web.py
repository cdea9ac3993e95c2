"""identity's browser and machine endpoints: SSO sign-in and its callback, the departments
one can sign in with, service tokens and the keys that verify tokens.

Every failure ends on an error page and issues nothing. Nothing here logs or stores who
signed in: no upstream subject, email, name, address or time is kept. What must hold across
every identity process (a sign-in state answered once, a signed-out session ended) is an
ephemeral mark (servicekit.ephemeral): a lock in the database server's memory, never a row.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import re
import secrets
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from servicekit.ephemeral import MarksUnavailable
from servicekit.pseudonyms import pairwise_subject

from . import cookies, pages, store
from .admission import admit, roles_from_claims, shared_department
from .cookies import Session, SignInState
from .oidc import SignInProblem
from .passkeys import credentials
from .passkeys import store as passkey_store
from .passkeys.validity import for_period
from .runtime import NO_STORE, Identity, identity_of
from .sealing import Unsealable
from .sessions import mark_until, start_session

# what the marks of this kind name: a random value, never a person
SIGN_IN_MARK = "identity sign-in state"
ALREADY_COMPLETED = "This sign-in was already completed. Please start again."
BRIEFLY_UNAVAILABLE = "Sign-in is briefly unavailable. Please try again in a moment."


async def briefly_unavailable(request: Request, exc: Exception) -> Response:
    """Fail closed when the marks cannot be consulted: nothing is signed in or renewed."""
    if request.url.path in ("/auth/login", "/auth/callback", "/auth/logout"):
        return pages.sign_in_failed(BRIEFLY_UNAVAILABLE, status_code=503)
    return JSONResponse({"error": BRIEFLY_UNAVAILABLE}, 503, headers=NO_STORE)


def _random() -> str:
    return secrets.token_urlsafe(32)


async def _form_or_query(request: Request) -> dict[str, str]:
    values = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        values.update({key: value for key, value in form.items() if isinstance(value, str)})
    return values


async def login(request: Request) -> Response:
    """Find the organisation's provider and send the browser there (code flow + PKCE)."""
    identity = identity_of(request)
    values = await _form_or_query(request)
    department, email = values.get("department", "").strip(), values.get("email", "").strip()
    if not department and not email:
        return pages.sign_in_form()
    if department:
        organisation = (
            identity.settings.network_id if department.lower() == "network" else _uuid(department)
        )
        provider = (
            await store.get_provider(db=identity.pool, organisation_id=organisation)
            if organisation
            else None
        )
        if provider is None:
            return pages.sign_in_failed("That department does not sign in here.", status_code=404)
    else:
        # the email selects the provider by its domain; it is not kept, logged or sent on
        domain = email.rpartition("@")[2].lower() if "@" in email else ""
        provider = (
            await store.get_provider_by_email_domain(db=identity.pool, domain=domain)
            if domain and len(domain) <= 253
            else None
        )
        del email
        if provider is None:
            return pages.sign_in_form(
                "We do not know that email domain. Check it, or ask your department's "
                "coordinator whether your department has joined."
            )
    if not provider.enabled:
        return pages.sign_in_failed("Sign-in for this organization is switched off.")
    try:
        metadata = await identity.relying_party.discover(provider.issuer)
    except SignInProblem as problem:
        return pages.sign_in_failed(
            f"Your department's sign-in is not available right now. {problem}", status_code=502
        )
    verifier = _random()
    flight = SignInState(
        state=_random(),
        nonce=_random(),
        code_verifier=verifier,
        organisation_id=str(provider.organisation_id),
        issuer=provider.issuer,
        expires_at=identity.clock.timestamp() + cookies.SIGN_IN_SECONDS,
        next_path=local_path(values.get("next", "")),
    )
    location = identity.relying_party.authorization_url(
        metadata,
        client_id=provider.client_id,
        redirect_uri=identity.settings.redirect_uri,
        scopes=provider.scopes,
        state=flight.state,
        nonce=flight.nonce,
        code_verifier=verifier,
    )
    response = RedirectResponse(location, status_code=303, headers=NO_STORE)
    cookies.set_cookie(
        response,
        cookies.SIGN_IN_COOKIE,
        cookies.seal_sign_in(identity.cookies, flight),
        max_age=cookies.SIGN_IN_SECONDS,
        secure=identity.settings.secure_cookies,
        path="/auth",
    )
    return response


_LOCAL_PATH = re.compile(r"/[A-Za-z0-9/_\-]{0,200}")


def local_path(value: str) -> str:
    """A page of this origin to return to after signing in, or "" for anything else.

    Only plain paths (letters, digits, ``/``, ``-``, ``_``): never another origin
    (``//evil.example``), a scheme, a query or anything a browser would decode.
    """
    if _LOCAL_PATH.fullmatch(value) and not value.startswith("//") and "/auth" not in value:
        return value
    return ""


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def callback(request: Request) -> Response:
    """Validate the provider's answer, admit, and start the platform session."""
    identity = identity_of(request)
    try:
        response = await _finish_sign_in(identity, request)
    except SignInProblem as problem:
        response = pages.sign_in_failed(str(problem))
    except MarksUnavailable:
        response = pages.sign_in_failed(BRIEFLY_UNAVAILABLE, status_code=503)
    cookies.clear_cookie(
        response, cookies.SIGN_IN_COOKIE, secure=identity.settings.secure_cookies, path="/auth"
    )
    return response


async def _finish_sign_in(identity: Identity, request: Request) -> Response:
    params = request.query_params
    flight = cookies.open_sign_in(
        identity.cookies,
        request.cookies.get(cookies.SIGN_IN_COOKIE),
        now=identity.clock.timestamp(),
    )
    if flight is None:
        raise SignInProblem(
            "This sign-in has expired or was started in another browser. Please start again."
        )
    state = params.get("state", "")
    if not hmac.compare_digest(state.encode(), flight.state.encode()):
        raise SignInProblem("The answer does not belong to the sign-in you started.")
    # answered once across every process: refused here without asking the provider, and
    # claimed below once the ID token is verified (so only a real sign-in takes a mark)
    if await identity.marks.held_anywhere(SIGN_IN_MARK, flight.state.encode()):
        raise SignInProblem(ALREADY_COMPLETED)
    # RFC 9207: an `iss` that is not the provider we sent the browser to is a mix-up
    returned_issuer = params.get("iss")
    if returned_issuer is not None and returned_issuer != flight.issuer:
        raise SignInProblem("The answer came from a different identity provider.")
    if "error" in params:
        raise SignInProblem("Your department's sign-in did not complete (it was canceled).")
    code = params.get("code", "")
    if not code or len(code) > 2048:
        raise SignInProblem("The provider's answer holds no authorization code.")
    organisation = uuid.UUID(flight.organisation_id)
    provider = await store.get_provider(db=identity.pool, organisation_id=organisation)
    if provider is None or not provider.enabled or provider.issuer != flight.issuer:
        raise SignInProblem("Your department's sign-in changed meanwhile. Please start again.")
    metadata = await identity.relying_party.discover(provider.issuer)
    if returned_issuer is None and metadata.issuer_parameter:
        raise SignInProblem("The provider's answer lacks the issuer it promised to send.")
    try:
        secret = identity.secrets.open(
            provider.client_secret_sealed, bound_to=f"client-secret:{provider.organisation_id}"
        ).decode()
    except Unsealable:
        raise SignInProblem("This department's sign-in is misconfigured.") from None
    answer = await identity.relying_party.redeem_code(
        metadata,
        client_id=provider.client_id,
        client_secret=secret,
        auth_method=provider.client_auth_method,
        code=code,
        code_verifier=flight.code_verifier,
        redirect_uri=identity.settings.redirect_uri,
    )
    claims = await identity.relying_party.verify_id_token(
        answer.id_token,
        metadata,
        client_id=provider.client_id,
        nonce=flight.nonce,
        access_token=answer.access_token,
    )
    department = None
    if provider.shared:
        # a shared issuer: its claims, never the person, say which department
        departments = await store.list_shared_departments(
            db=identity.pool, shared_issuer_id=provider.organisation_id
        )
        department = shared_department(claims, departments)
        organisation = department.department_id
    subject = pairwise_subject(
        identity.pseudonym_key,
        department_id=str(organisation),
        issuer=provider.issuer,
        subject=str(claims["sub"]),
    )
    claimed = roles_from_claims(claims, provider.claim_rules)
    kept = cookies.claims_kept(claims, provider.claim_rules, department)
    # the upstream subject, email and name go now, before anything else is awaited
    del claims, answer
    until = mark_until(identity, flight.expires_at)
    if not await identity.marks.claim(SIGN_IN_MARK, flight.state.encode(), until):
        raise SignInProblem(ALREADY_COMPLETED)
    is_network = organisation == identity.settings.network_id
    standing = None if is_network else await identity.membership.standing(str(organisation))
    roles = admit(claimed, is_network=is_network, standing=standing)
    session = Session(
        subject=subject,
        department=str(organisation),
        roles=roles,
        expires_at=identity.clock.timestamp() + identity.settings.session_hours * 3600,
        claims=kept,
        # renewals go through this provider only; passkeys count their period from today
        issuer=provider.issuer,
        verified_on=identity.clock.today().isoformat(),
    )
    after = flight.next_path or identity.settings.after_sign_in
    response = RedirectResponse(after, status_code=303, headers=NO_STORE)
    start_session(identity, response, session)
    await renew_after_sign_in(identity, request, response, session, provider.passkey_days)
    return response


async def renew_after_sign_in(
    identity: Identity, request: Request, response: Response, session: Session, passkey_days: int
) -> None:
    """After a department sign-in: renew the lapsed passkey its holder just proved, for a
    period from this sign-in."""
    renewal = cookies.open_renewal(
        identity.cookies,
        request.cookies.get(cookies.RENEWAL_COOKIE),
        now=identity.clock.timestamp(),
    )
    if renewal is None:
        return
    cookies.clear_cookie(
        response, cookies.RENEWAL_COOKIE, secure=identity.settings.secure_cookies, path="/auth"
    )
    if renewal.subject != session.subject or renewal.organisation_id != session.department:
        return
    await passkey_store.renew_passkey(
        db=identity.pool,
        credential_id=credentials.decode(renewal.credential_id),
        roles=session.roles,
        valid_until=for_period(dt.date.fromisoformat(session.verified_on), passkey_days).last_day,
    )


async def sign_in_choices(request: Request) -> Response:
    """The departments one can sign in with (id and name), for the sign-in page's picker.

    Public by necessity, as any "choose your organisation" page is: it names the active
    member departments whose sign-in is configured here, and nothing about anyone who uses it.
    Prospects and lapsed members are left out; so is everything when membership cannot say.
    """
    identity = identity_of(request)
    choices = await store.list_sign_in_choices(
        db=identity.pool, network_id=identity.settings.network_id
    )
    try:
        members = await identity.membership.active_members([str(c) for c, _ in choices])
    except SignInProblem:
        return JSONResponse({"departments": []}, headers={"Cache-Control": "no-store"})
    departments = [
        {"id": str(organisation), "name": name}
        for organisation, name in choices
        if str(organisation) in members
    ]
    return JSONResponse(
        {"departments": departments},
        headers={"Cache-Control": "public, max-age=300"},
    )


async def signed_out(request: Request) -> Response:
    return pages.signed_out()


async def service_token(request: Request) -> Response:
    """OAuth 2.0 client credentials for services (HTTP Basic); role `service`."""
    identity = identity_of(request)
    form = await request.form()
    if form.get("grant_type", "client_credentials") != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type"}, 400, headers=NO_STORE)
    name, secret = _basic_credentials(request.headers.get("authorization", ""))
    expected = identity.settings.service_credentials.get(name)
    # compare against something even for unknown names, so timing tells nothing
    reference = expected.value if expected else _random()
    if not hmac.compare_digest(secret.encode(), reference.encode()) or expected is None:
        return JSONResponse(
            {"error": "invalid_client"},
            401,
            headers={**NO_STORE, "WWW-Authenticate": 'Basic realm="wnwa"'},
        )
    await identity.keys.refresh(identity.pool)
    issued = identity.tokens.service_token(name)
    return JSONResponse(
        {"access_token": issued.token, "token_type": "Bearer", "expires_in": issued.expires_in},
        headers=NO_STORE,
    )


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return "", ""
    name, _, secret = decoded.partition(":")
    return name, secret


async def jwks(request: Request) -> Response:
    identity = identity_of(request)
    await identity.keys.refresh(identity.pool)
    return JSONResponse(identity.keys.jwks(), headers={"Cache-Control": "public, max-age=60"})


async def issuer_metadata(request: Request) -> Response:
    """RFC 8414-style metadata of the platform token issuer (not a general-purpose OP)."""
    identity = identity_of(request)
    base = identity.settings.public_url
    document: dict[str, Any] = {
        "issuer": identity.tokens.issuer,
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "token_endpoint": f"{base}/auth/service-token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "response_types_supported": [],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "claims_supported": ["iss", "aud", "exp", "iat", "sub", "dept", "roles"],
        "end_session_endpoint": f"{base}/auth/logout",
    }
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})


ROUTES = [
    Route("/auth/login", login, methods=["GET", "POST"]),
    Route("/auth/callback", callback, methods=["GET"]),
    Route("/auth/signed-out", signed_out, methods=["GET"]),
    Route("/auth/departments", sign_in_choices, methods=["GET"]),
    Route("/auth/service-token", service_token, methods=["POST"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/.well-known/openid-configuration", issuer_metadata, methods=["GET"]),
]
