"""What the passkey endpoints under /auth share: JSON in and out, the ceremony cookie, the
roles an organisation still admits, and the session a passkey opens.

A ceremony's challenge travels in a sealed, HttpOnly cookie and is spent once on every
identity process (an ephemeral mark until the ceremony's end; when the marks cannot be
consulted the answer is refused with a 503). Refusals say why in words for the person.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import cookies
from ..admission import Standing
from ..cookies import Ceremony, Session
from ..oidc import SignInProblem
from ..rules import DEPARTMENT_ROLES, NETWORK_ROLES
from ..runtime import NO_STORE, Identity
from ..sessions import live_session, mark_until
from . import credentials
from . import store as passkey_store
from .credentials import PasskeyProblem
from .validity import Until, Validity


def refuse(message: str, status_code: int = 400, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status_code, headers=NO_STORE)


def refusal(problem: PasskeyProblem, usual_status: int) -> JSONResponse:
    """A problem as the endpoint's usual refusal, unless the problem names its own status."""
    return refuse(str(problem), problem.status or usual_status)


async def json_body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise PasskeyProblem("Send the request as JSON.", status=415)
    try:
        body = await request.json()
    except ValueError:
        raise credentials.malformed("The request is not valid JSON.") from None
    if not isinstance(body, dict):
        raise credentials.malformed("The request must be a JSON object.")
    return body


def with_ceremony(identity: Identity, response: Response, ceremony: Ceremony) -> Response:
    cookies.set_cookie(
        response,
        cookies.CEREMONY_COOKIE,
        cookies.seal_ceremony(identity.cookies, ceremony),
        max_age=credentials.CEREMONY_SECONDS,
        secure=identity.settings.secure_cookies,
        path="/auth",
    )
    return response


CEREMONY_MARK = "identity passkey ceremony"
# answered ceremonies each process holds as marks: anyone can answer one (two requests, no
# sign-in), so past this the earliest is let go rather than the server's lock table filled
# for every form and sign-in; a ceremony let go could be answered again only by whoever holds
# both its sealed cookie and a valid answer to it
CEREMONY_MARKS = 1_000


async def spend_ceremony(identity: Identity, request: Request, purpose: str) -> Ceremony:
    """The ceremony this answer belongs to; each challenge is answered once, on any process
    (raises MarksUnavailable when that cannot be known)."""
    ceremony = cookies.open_ceremony(
        identity.cookies,
        request.cookies.get(cookies.CEREMONY_COOKIE),
        now=identity.clock.timestamp(),
    )
    if ceremony is None or ceremony.purpose != purpose:
        raise PasskeyProblem("This passkey request has expired. Please start again.")
    until = mark_until(identity, ceremony.expires_at)
    if not await identity.marks.claim(
        CEREMONY_MARK, ceremony.challenge.encode(), until, budget=CEREMONY_MARKS
    ):
        raise PasskeyProblem("This passkey request was already answered. Please start again.")
    return ceremony


async def answer(
    identity: Identity, request: Request, purpose: str
) -> tuple[Ceremony, dict[str, Any]]:
    """The ceremony an answer belongs to (spent now) and the browser's credential in it."""
    body = await json_body(request)
    ceremony = await spend_ceremony(identity, request, purpose)
    if purpose == "add" and await live_session(identity, request) is None:
        # a passkey is added only to a live session: a signed-out copy adds nothing
        raise PasskeyProblem("Sign in first.")
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise credentials.malformed("The browser's answer holds no passkey.")
    return ceremony, credential


def finish(identity: Identity, response: Response) -> Response:
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


def display_name(identity: Identity, organisation_id: uuid.UUID, label: str | None) -> str:
    # shown by the device beside the passkey: the network's name and the coordinator's label
    who = "network staff" if organisation_id == identity.settings.network_id else "member"
    return f"WeNeverWalkAlone {who}" + (f" ({label})" if label else "")


def new_session(
    identity: Identity,
    subject: str,
    organisation: uuid.UUID,
    roles: list[str],
    credential: bytes,
    validity: Validity,
) -> Session:
    """The session a passkey opens: it ends with the passkey's last day at the latest."""
    expires_at = identity.clock.timestamp() + identity.settings.session_hours * 3600
    if isinstance(validity, Until):
        expires_at = min(expires_at, validity.ends_at())
    return Session(
        subject=subject,
        department=str(organisation),
        roles=roles,
        expires_at=expires_at,
        passkey=credentials.encode(credential),
        passkey_limited=isinstance(validity, Until),
    )
