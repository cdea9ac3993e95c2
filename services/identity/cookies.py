"""The cookies identity sets: the in-flight sign-in, the access token, the session.

The in-flight sign-in and the session are sealed (AES-GCM) with the cookie key, so the
server keeps no table of either. The session cookie lets identity renew the access token
without asking the provider again; it holds the pseudonym, organisation, roles, its own end,
a random id (what sign-out marks as ended), and of the provider's claims only the values the
organisation's claim rules matched at sign-in (from which each renewal derives the roles
again under the rules of the moment).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.responses import Response

from .admission import roles_from_claims
from .sealing import SecretBox, Unsealable
from .store import ClaimRule, SharedDepartment

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


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Session:
    subject: str
    department: str
    roles: list[str]
    expires_at: float
    # the passkey this session was opened with (base64url credential id); None: SSO
    passkey: str | None = None
    # random, in this cookie only: signing out marks it ended on every process until
    # expires_at; every copy of the cookie carries it, other sessions of the person do not
    session_id: str = field(default_factory=new_session_id)
    # SSO: per claim a rule matched at sign-in, the values rules matched (see claims_kept);
    # through a shared issuer, also the value of the rule that named the department
    claims: dict[str, list[str]] = field(default_factory=dict)
    # SSO: the issuer that verified the person (a renewal goes through that provider only)
    # and the day (UTC) it did, from which a passkey added in this session counts its period
    issuer: str = ""
    verified_on: str = ""
    # a passkey session whose passkey has a last day: the session ends with that day, and
    # its tokens say so (it vouches for nothing that would outlive the passkey)
    passkey_limited: bool = False


def claims_kept(
    claims: Mapping[str, Any],
    rules: Iterable[ClaimRule],
    department: SharedDepartment | None = None,
) -> dict[str, list[str]]:
    """What the session keeps of the provider's claims: for each rule that holds, its claim's
    name and the rule's value (a rule without a value keeps the name only); through a shared
    issuer, also the value of the ``department`` rule that put the person there.

    Never the subject, email or name (unless a rule names them), never a value no rule
    matched: the rest of a group list says more about a person than their roles do.
    """
    kept: dict[str, list[str]] = {}
    if department is not None:
        kept[department.claim] = [department.value]
    for rule in rules:
        if roles_from_claims(claims, [rule]):
            values = kept.setdefault(rule.claim, [])
            if rule.value is not None and rule.value not in values:
                values.append(rule.value)
    return kept


def roles_from_kept(kept: Mapping[str, list[str]], rules: Iterable[ClaimRule]) -> set[str]:
    """The roles today's ``rules`` give to what the session kept: a rule removed or moved to
    a value the session never kept gives nothing, so never more than a fresh sign-in would."""
    return {
        rule.role
        for rule in rules
        if rule.claim in kept and (rule.value is None or rule.value in kept[rule.claim])
    }


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


def _open(box: SecretBox, value: str | None, purpose: str, now: float) -> dict[str, Any] | None:
    if not value or len(value) > 4096:
        return None
    try:
        data = json.loads(box.open_text(value, bound_to=purpose))
    except (Unsealable, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("expires_at"), int | float):
        return None
    if data["expires_at"] < now:
        return None
    return data


def seal_sign_in(box: SecretBox, state: SignInState) -> str:
    return box.seal_text(json.dumps(asdict(state)), bound_to=SIGN_IN_COOKIE)


def open_sign_in(box: SecretBox, value: str | None, *, now: float) -> SignInState | None:
    data = _open(box, value, SIGN_IN_COOKIE, now)
    try:
        return SignInState(**data) if data else None
    except TypeError:
        return None


def seal_session(box: SecretBox, session: Session) -> str:
    return box.seal_text(json.dumps(asdict(session)), bound_to=SESSION_COOKIE)


def open_session(box: SecretBox, value: str | None, *, now: float) -> Session | None:
    """The session, or None; a session without an id (which sign-out could not end) is none."""
    data = _open(box, value, SESSION_COOKIE, now)
    if not data or not isinstance(data.get("session_id"), str) or len(data["session_id"]) < 43:
        return None
    claims = data.get("claims", {})
    if not isinstance(claims, dict) or not all(
        isinstance(values, list) and all(isinstance(value, str) for value in values)
        for values in claims.values()
    ):
        return None
    try:
        return Session(**data)
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


def open_ceremony(box: SecretBox, value: str | None, *, now: float) -> Ceremony | None:
    data = _open(box, value, CEREMONY_COOKIE, now)
    try:
        return Ceremony(**data) if data else None
    except TypeError:
        return None


def seal_renewal(box: SecretBox, renewal: Renewal) -> str:
    return box.seal_text(json.dumps(asdict(renewal)), bound_to=RENEWAL_COOKIE)


def open_renewal(box: SecretBox, value: str | None, *, now: float) -> Renewal | None:
    data = _open(box, value, RENEWAL_COOKIE, now)
    try:
        return Renewal(**data) if data else None
    except TypeError:
        return None
