"""Who may sign in, with which roles: claim rules, and the department's standing.

Sworn officers of an active department are always admitted; civilians only where the
department enabled civilian access; nobody from an inactive or unknown department.
Network staff sign in through the network's own organisation and hold only staff roles.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from servicekit.peers import PeerClient, PeerError

from .oidc import SignInProblem
from .rules import DEPARTMENT_ROLES, NETWORK_ROLES
from .store import ClaimRule, SharedDepartment

STANDING_QUERY = """
query Standing($id: ID!) {
  department(id: $id) { isMember record { status civiliansEnrolled } }
}
"""


@dataclass(frozen=True, slots=True)
class Standing:
    active: bool
    civilians_enrolled: bool
    removed: bool = False  # the department left the network (its membership lapsed)


class MembershipClient:
    """Asks membership about one department, with a short-lived service token."""

    def __init__(self, client: PeerClient, service_token: Callable[[], str]) -> None:
        self._client = client
        self._service_token = service_token

    async def active_members(self, department_ids: list[str]) -> set[str]:
        """Which of ``department_ids`` are active members (one batched call)."""
        if not department_ids:
            return set()
        answer = await self._ask(
            MEMBERS_QUERY,
            {"representations": [{"__typename": "Department", "id": d} for d in department_ids]},
        )
        entities = answer.get("_entities") or []
        return {
            str(entity["id"])
            for entity in entities
            if isinstance(entity, dict) and entity.get("isMember")
        }

    async def _ask(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The answer's data; a sign-in problem saying what went wrong when there is none."""
        try:
            return await self._client.query(query, variables, token=self._service_token())
        except PeerError as failure:
            if not failure.reached:
                raise SignInProblem("The membership service could not be reached.") from None
            raise SignInProblem(
                "The membership service could not confirm your department."
            ) from None

    async def standing(self, department_id: str) -> Standing | None:
        """The department's standing, or None when membership does not know it."""
        answer = await self._ask(STANDING_QUERY, {"id": department_id})
        department = answer.get("department")
        if department is None:
            return None
        record = department.get("record") or {}
        return Standing(
            active=bool(department.get("isMember")) and record.get("status") == "ACTIVE",
            civilians_enrolled=bool(record.get("civiliansEnrolled")),
            removed=record.get("status") == "LAPSED",
        )


MEMBERS_QUERY = """
query Members($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Department { id isMember } }
}
"""


def _holds(claims: Mapping[str, Any], rule: ClaimRule) -> bool:
    value = claims.get(rule.claim)
    if rule.value is None:
        return value not in (None, False, "", [], {})
    if isinstance(value, list):
        return rule.value in [str(item) for item in value]
    if isinstance(value, bool):
        return rule.value == str(value).lower()
    return value is not None and str(value) == rule.value


def roles_from_claims(claims: Mapping[str, Any], rules: Iterable[ClaimRule]) -> set[str]:
    """Every role whose rule the upstream claims satisfy."""
    return {rule.role for rule in rules if _holds(claims, rule)}


def department_from_claims(
    claims: Mapping[str, Any], departments: Iterable[SharedDepartment]
) -> uuid.UUID:
    """The one department of a shared issuer whose rule the claims satisfy."""
    return shared_department(claims, departments).department_id


def shared_department(
    claims: Mapping[str, Any], departments: Iterable[SharedDepartment]
) -> SharedDepartment:
    """The one department of a shared issuer whose rule the claims satisfy, and that rule;
    the person never chooses it, so none or several matching is a refusal.

    Every department of one issuer is told apart by the same claim: were each told apart
    by a claim of its own, whoever sets any one of them (a group every department's
    administrators fill, say) would put people in its department by leaving the others out.
    A configuration with several claims (saved before this rule) admits nobody.
    """
    departments = list(departments)
    if len({department.claim for department in departments}) > 1:
        raise SignInProblem(
            "This sign-in is shared by several departments that it tells apart by more than "
            "one claim, so it cannot say reliably which is yours. A network admin must give "
            "each of its departments a rule on the same claim."
        )
    matching = {
        department.department_id: department
        for department in departments
        if _holds(claims, ClaimRule(department.claim, department.value, ""))
    }
    if not matching:
        raise SignInProblem(
            "Your sign-in does not say which department you belong to. Your department's "
            "coordinator can ask whoever runs your sign-in to record your department."
        )
    if len(matching) > 1:
        raise SignInProblem(
            "Your sign-in names more than one department, so we cannot tell which is yours. "
            "Your department's coordinator can ask whoever runs your sign-in to correct it."
        )
    return next(iter(matching.values()))


def admit(roles: set[str], *, is_network: bool, standing: Standing | None) -> list[str]:
    """The roles of an admitted person; raises with the reason when not admitted."""
    if is_network:
        granted = roles & NETWORK_ROLES
        if not granted:
            raise SignInProblem("Your account is not one of the network's staff roles.")
        return sorted(granted)
    if standing is None:
        raise SignInProblem("Your department is not known to the network.")
    if not standing.active:
        raise SignInProblem("Your department is not an active member of the network.")
    granted = roles & DEPARTMENT_ROLES
    if "officer" in granted:
        granted.discard("civilian")
    elif "civilian" in granted:
        if not standing.civilians_enrolled:
            raise SignInProblem("Your department has not enabled access for civilian staff.")
    else:
        raise SignInProblem(
            "Your department's sign-in did not say you are a sworn officer or civilian staff."
        )
    return sorted(granted)
