"""The cookies identity sets: the in-flight sign-in, the access token, the session.

The in-flight sign-in and the session are sealed (AES-GCM) with the cookie key, so the
server keeps no table of either. The session cookie lets identity renew the access token
without asking the provider again; it holds the pseudonym, organisation, roles and its own
end, nothing from the provider.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from starlette.responses import Response

from .sealing import SecretBox, Unsealable

SIGN_IN_COOKIE = "wnwa_signin"
CEREMONY_COOKIE = "wnwa_passkey"  # a passkey ceremony in flight (5 minutes)
RENEWAL_COOKIE = "wnwa_passkey_renewal"  # a lapsed passkey waiting for a department sign-in
ACCESS_COOKIE = "wnwa_access"
SESSION_COOKIE = "wnwa_session"
SIGN_IN_SECONDS = 600


@dataclass(frozen=True, slots=True)
class SignInState:
    """What the callback must find again: bound to one provider (mix-up defence)."""

    state: str
    nonce: str
    code_verifier: str
    organisation_id: str
    issuer: str
    expires_at: float
    # the portal page the person asked for before signing in (a local path), or ""
    next_path: str = ""


@dataclass(frozen=True, slots=True)
class Session:
    subject: str
    department: str
    roles: list[str]
    expires_at: float
    # the passkey this session was opened with (base64url credential id); None: SSO
    passkey: str | None = None


@dataclass(frozen=True, slots=True)
class Ceremony:
    """A passkey ceremony in flight: what the answer must match, and what it will create.

    ``purpose`` is ``sign-in``, ``enrol`` (from a one-time code) or ``add`` (a further
    passkey for someone signed in). Handles and ids are base64url.
    """

    purpose: str
    challenge: str
    expires_at: float
    organisation_id: str = ""
    user_handle: str = ""
    roles: list[str] | None = None
    label: str | None = None
    valid_until: str | None = None  # ISO date
    code_id: str = ""


@dataclass(frozen=True, slots=True)
class Renewal:
    """A lapsed passkey, proven by its holder, that the next department sign-in renews."""

    credential_id: str
    subject: str
    organisation_id: str
    expires_at: float


def _open(box: SecretBox, value: str | None, purpose: str) -> dict[str, Any] | None:
    if not value or len(value) > 4096:
        return None
    try:
        data = json.loads(box.open_text(value, bound_to=purpose))
    except (Unsealable, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("expires_at"), int | float):
        return None
    if data["expires_at"] < time.time():
        return None
    return data


def seal_sign_in(box: SecretBox, state: SignInState) -> str:
    return box.seal_text(json.dumps(asdict(state)), bound_to=SIGN_IN_COOKIE)


def open_sign_in(box: SecretBox, value: str | None) -> SignInState | None:
    data = _open(box, value, SIGN_IN_COOKIE)
    try:
        return SignInState(**data) if data else None
    except TypeError:
        return None


def seal_session(box: SecretBox, session: Session) -> str:
    return box.seal_text(json.dumps(asdict(session)), bound_to=SESSION_COOKIE)


def open_session(box: SecretBox, value: str | None) -> Session | None:
    data = _open(box, value, SESSION_COOKIE)
    try:
        return Session(**data) if data else None
    except TypeError:
        return None


def set_cookie(
    response: Response, name: str, value: str, *, max_age: int, secure: bool, path: str = "/"
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, secure=secure, httponly=True, samesite="lax"
    )


def clear_cookie(response: Response, name: str, *, secure: bool, path: str = "/") -> None:
    response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="lax")


def seal_ceremony(box: SecretBox, ceremony: Ceremony) -> str:
    return box.seal_text(json.dumps(asdict(ceremony)), bound_to=CEREMONY_COOKIE)


def open_ceremony(box: SecretBox, value: str | None) -> Ceremony | None:
    data = _open(box, value, CEREMONY_COOKIE)
    try:
        return Ceremony(**data) if data else None
    except TypeError:
        return None


def seal_renewal(box: SecretBox, renewal: Renewal) -> str:
    return box.seal_text(json.dumps(asdict(renewal)), bound_to=RENEWAL_COOKIE)


def open_renewal(box: SecretBox, value: str | None) -> Renewal | None:
    data = _open(box, value, RENEWAL_COOKIE)
    try:
        return Renewal(**data) if data else None
    except TypeError:
        return None
