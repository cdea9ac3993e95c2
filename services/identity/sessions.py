"""A platform session's life: opened, renewed with the roles of now, signed out.

A session is the sealed ``wnwa_session`` cookie and the access tokens it renews; nothing of
it is stored. Signing out marks its random id on every identity process until the
session's own end (an ephemeral mark, servicekit.ephemeral), never a row. SSO sign-in
(``web``) and passkey sign-in (``passkeys``) both open sessions here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from servicekit.ephemeral import MarksUnavailable

from . import cookies, pages, store
from .admission import admit, department_from_claims
from .cookies import Session
from .oidc import SignInProblem
from .passkeys import credentials
from .passkeys import store as passkey_store
from .passkeys.validity import Until
from .runtime import NO_STORE, Identity, identity_of

# what the marks of this kind name: a random value, never a person
SIGNED_OUT_MARK = "identity signed-out session"


def mark_until(identity: Identity, expires_at: float) -> dt.datetime:
    """The end of a mark for a cookie that ends at ``expires_at`` (on the service's clock,
    which the marks keep too)."""
    return dt.datetime.fromtimestamp(max(expires_at, identity.clock.timestamp()), dt.UTC)


async def is_signed_out(identity: Identity, session: Session) -> bool:
    """Whether this session was signed out, on any process; raises MarksUnavailable."""
    return await identity.marks.held_anywhere(SIGNED_OUT_MARK, session.session_id.encode())


async def live_session(identity: Identity, request: Request) -> Session | None:
    """The request's session unless it expired or was signed out (on any process); raises
    MarksUnavailable when that cannot be known."""
    session = cookies.open_session(
        identity.cookies,
        request.cookies.get(cookies.SESSION_COOKIE),
        now=identity.clock.timestamp(),
    )
    if session is None or await is_signed_out(identity, session):
        return None
    return session


def start_session(identity: Identity, response: Response, session: Session) -> None:
    """Set the access token and the sealed session on ``response``."""
    issued = identity.tokens.access_token(
        subject=session.subject,
        department=session.department,
        roles=session.roles,
        passkey_limited=session.passkey_limited,
    )
    secure = identity.settings.secure_cookies
    cookies.set_cookie(
        response, cookies.ACCESS_COOKIE, issued.token, max_age=issued.expires_in, secure=secure
    )
    cookies.set_cookie(
        response,
        cookies.SESSION_COOKIE,
        cookies.seal_session(identity.cookies, session),
        max_age=max(1, int(session.expires_at - identity.clock.timestamp())),
        secure=secure,
        path="/auth",
    )


class SessionEnded(Exception):
    """Why a session renews no more (the refresh answer's error code)."""


async def refresh(request: Request) -> Response:
    """A new access token from the session cookie, with the roles of now: the department is
    asked again and the roles derived again (claim rules or the passkey, as they are now)."""
    identity = identity_of(request)
    session = cookies.open_session(
        identity.cookies,
        request.cookies.get(cookies.SESSION_COOKIE),
        now=identity.clock.timestamp(),
    )
    try:
        if session is None:
            raise SessionEnded("session_expired")
        if await is_signed_out(identity, session):
            raise SessionEnded("signed_out")
        renewed = await _renewed(identity, session)
    except SessionEnded as ended:
        response = JSONResponse({"error": str(ended)}, status_code=401, headers=NO_STORE)
        clear_session(identity, response)
        return response
    except (MarksUnavailable, SignInProblem):
        # the marks or membership cannot answer: neither renewed nor ended
        return JSONResponse({"error": "temporarily_unavailable"}, 503, headers=NO_STORE)
    response = JSONResponse({"expires_in": identity.tokens.lifetime_seconds}, headers=NO_STORE)
    start_session(identity, response, renewed)
    return response


async def sso_provider(identity: Identity, session: Session) -> store.ProviderRow:
    """The provider an SSO session still renews through; raises SessionEnded.

    Only the provider that admitted the session, by its issuer: a department that moved to
    another IdP or shared issuer renews none of the previous one's sessions. Through a
    shared issuer, the department rule the session kept must still name its department.
    """
    provider = await store.get_provider(
        db=identity.pool, organisation_id=uuid.UUID(session.department)
    )
    if provider is None or not provider.enabled:
        raise SessionEnded("provider_disabled")
    if provider.issuer != session.issuer:
        raise SessionEnded("provider_changed")
    if provider.shared:
        departments = await store.list_shared_departments(
            db=identity.pool, shared_issuer_id=provider.organisation_id
        )
        try:
            department = department_from_claims(session.claims, departments)
        except SignInProblem:
            raise SessionEnded("department_changed") from None
        if str(department) != session.department:
            raise SessionEnded("department_changed")
    return provider


async def _renewed(identity: Identity, session: Session) -> Session:
    """The session with the roles it holds now, admitted as at a sign-in; raises
    SessionEnded. Its end stays where it was: a renewal never lengthens a session."""
    limited = False
    if session.passkey:
        # a passkey session lasts while its passkey does, with the passkey's roles
        passkey = await passkey_store.get_passkey(
            db=identity.pool, credential_id=credentials.decode(session.passkey)
        )
        if passkey is None or passkey.valid_until.lapsed(identity.clock.today()):
            raise SessionEnded("passkey_revoked")
        claimed = set(passkey.roles)
        limited = isinstance(passkey.valid_until, Until)
    else:
        # an organisation whose sign-in was switched off, removed or given to another
        # provider renews no one; the others get what their claim rules, as they are now,
        # give to the claims kept
        provider = await sso_provider(identity, session)
        claimed = cookies.roles_from_kept(session.claims, provider.claim_rules)
    is_network = session.department == str(identity.settings.network_id)
    standing = None
    if not is_network:
        standing = await identity.membership.standing(session.department)
        if standing is None or standing.removed:
            await passkey_store.forget_organisation_credentials(
                db=identity.pool, organisation_id=uuid.UUID(session.department)
            )
            raise SessionEnded("department_inactive")
        if not standing.active:
            raise SessionEnded("department_inactive")
        if "officer" not in claimed and "civilian" in claimed and not standing.civilians_enrolled:
            raise SessionEnded("civilian_access_withdrawn")
    try:
        roles = admit(claimed, is_network=is_network, standing=standing)
    except SignInProblem:
        raise SessionEnded("roles_withdrawn") from None
    return dataclasses.replace(session, roles=roles, passkey_limited=limited)


def clear_session(identity: Identity, response: Response) -> None:
    secure = identity.settings.secure_cookies
    cookies.clear_cookie(response, cookies.ACCESS_COOKIE, secure=secure)
    cookies.clear_cookie(response, cookies.SESSION_COOKIE, secure=secure, path="/auth")


async def logout(request: Request) -> Response:
    """Clear the session; continue to the provider's end-session endpoint when it has one."""
    identity = identity_of(request)
    session = cookies.open_session(
        identity.cookies,
        request.cookies.get(cookies.SESSION_COOKIE),
        now=identity.clock.timestamp(),
    )
    location = f"{identity.settings.public_url}/auth/signed-out"
    if session is not None:
        # every copy of the cookie ends with this one, on every process, until its own end
        try:
            await identity.marks.claim(
                SIGNED_OUT_MARK,
                session.session_id.encode(),
                mark_until(identity, session.expires_at),
            )
        except MarksUnavailable:
            return pages.page(
                "Signing out is briefly unavailable",
                '<p class="form-errors" role="alert">We could not end your session everywhere '
                "just now, so you are still signed in. Please try again in a moment.</p>"
                '<p><a class="button" href="/auth/logout">Sign out</a></p>',
                status_code=503,
            )
        provider = await store.get_provider(
            db=identity.pool, organisation_id=uuid.UUID(session.department)
        )
        if provider is not None:
            try:
                metadata = await identity.relying_party.discover(provider.issuer)
            except SignInProblem:
                metadata = None
            if metadata is not None and metadata.end_session_endpoint:
                location = _with_query(
                    metadata.end_session_endpoint,
                    {"client_id": provider.client_id, "post_logout_redirect_uri": location},
                )
    response = RedirectResponse(location, status_code=303, headers=NO_STORE)
    clear_session(identity, response)
    return response


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


ROUTES = [
    Route("/auth/refresh", refresh, methods=["POST"]),
    Route("/auth/logout", logout, methods=["GET", "POST"]),
]
