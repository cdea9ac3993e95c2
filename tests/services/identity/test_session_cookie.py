"""The sealed session cookie: a random id that sign-out can end, and of the provider's claims
only what the claim rules matched, from which each renewal derives the roles again."""

from __future__ import annotations

import json
import time

from services.identity import cookies
from services.identity.cookies import Session, claims_kept, roles_from_kept
from services.identity.sealing import SecretBox
from services.identity.store import ClaimRule

BOX = SecretBox(b"c" * 32)
RULES = (
    ClaimRule("groups", "sworn", "officer"),
    ClaimRule("groups", "peer-support", "peer_supporter"),
    ClaimRule("groups", "wellness-coordinator", "coordinator"),
    ClaimRule("employee_type", None, "civilian"),
)
CLAIMS = {
    "sub": "upstream-subject-1",
    "email": "priya.castellanos@harlow-park.pd.example",
    "name": "Lt. Priya Castellanos",
    "groups": ["sworn", "wellness-coordinator", "book-club", "union-local-7"],
    "department_code": "HP-22",
}


def _session(**changes: object) -> Session:
    values: dict[str, object] = {
        "subject": "pseudonym",
        "department": "d",
        "roles": ["officer"],
        "expires_at": time.time() + 3600,
    }
    return Session(**{**values, **changes})  # type: ignore[arg-type]


def test_each_session_carries_its_own_random_id_sealed_with_it() -> None:
    first, second = _session(), _session()
    assert first.session_id != second.session_id
    assert len(first.session_id) >= 43  # 256 random bits
    opened = cookies.open_session(BOX, cookies.seal_session(BOX, first), now=time.time())
    assert opened == first


def test_a_session_without_an_id_is_no_session() -> None:
    # a cookie sealed before sessions had ids could never be signed out: it opens as none
    sealed = BOX.seal_text(
        json.dumps(
            {"subject": "p", "department": "d", "roles": [], "expires_at": time.time() + 60}
        ),
        bound_to=cookies.SESSION_COOKIE,
    )
    assert cookies.open_session(BOX, sealed, now=time.time()) is None


def test_the_session_keeps_only_the_claim_values_a_rule_matched() -> None:
    kept = claims_kept(CLAIMS, RULES)
    assert kept == {"groups": ["sworn", "wellness-coordinator"]}
    sealed = cookies.seal_session(BOX, _session(claims=kept))
    text = BOX.open_text(sealed, bound_to=cookies.SESSION_COOKIE)
    for dropped in ("upstream-subject-1", "priya", "Priya", "book-club", "union", "HP-22"):
        assert dropped not in text
    # a rule without a value keeps the claim's name only, never its value
    assert claims_kept({"employee_type": "dispatcher"}, RULES) == {"employee_type": []}


def test_roles_are_derived_again_from_what_was_kept_under_the_rules_of_now() -> None:
    kept = claims_kept(CLAIMS, RULES)
    assert roles_from_kept(kept, RULES) == {"officer", "coordinator"}
    # the rule that made someone coordinator is removed: the role goes
    without = tuple(rule for rule in RULES if rule.role != "coordinator")
    assert roles_from_kept(kept, without) == {"officer"}
    # a rule moved to a value the session never kept grants nothing (never more than a
    # fresh sign-in would give)
    moved = (*without, ClaimRule("groups", "book-club", "coordinator"))
    assert roles_from_kept(kept, moved) == {"officer"}
    # a new rule on a kept value applies at once, as a fresh sign-in would
    assert "peer_supporter" in roles_from_kept(
        kept, (*RULES, ClaimRule("groups", "sworn", "peer_supporter"))
    )
    assert roles_from_kept({}, RULES) == set()


def test_a_session_whose_kept_claims_are_malformed_is_no_session() -> None:
    for claims in ({"groups": "sworn"}, {"groups": [1]}, ["groups"]):
        payload = {
            "subject": "p",
            "department": "d",
            "roles": [],
            "expires_at": time.time() + 60,
            "session_id": "x" * 43,
            "claims": claims,
        }
        sealed = BOX.seal_text(json.dumps(payload), bound_to=cookies.SESSION_COOKIE)
        assert cookies.open_session(BOX, sealed, now=time.time()) is None
