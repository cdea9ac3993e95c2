"""From a department IdP's claims to roles, and who is admitted with which: no server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.identity.admission import Standing, admit, department_from_claims, roles_from_claims
from services.identity.oidc import SignInProblem
from services.identity.store import ClaimRule, SharedDepartment

RULES = [
    ClaimRule(claim="employee_type", value="sworn", role="officer"),
    ClaimRule(claim="employee_type", value="civilian", role="civilian"),
    ClaimRule(claim="groups", value="peer-support", role="peer_supporter"),
    ClaimRule(claim="is_coordinator", value="true", role="coordinator"),
    ClaimRule(claim="wnwa_staff", value=None, role="network_admin"),
]
MEMBER = Standing(active=True, civilians_enrolled=False)


@pytest.mark.parametrize(
    ("claims", "roles"),
    [
        ({"employee_type": "sworn"}, {"officer"}),
        (
            {"employee_type": "sworn", "groups": ["patrol", "peer-support"]},
            {"officer", "peer_supporter"},
        ),
        ({"groups": "peer-support"}, {"peer_supporter"}),  # a single value, not a list
        ({"groups": ["peer-support-lead"]}, set()),  # whole values only
        ({"is_coordinator": True}, {"coordinator"}),
        ({"is_coordinator": False}, set()),
        ({"employee_type": 7}, set()),
        ({"wnwa_staff": "yes"}, {"network_admin"}),
        ({"wnwa_staff": ""}, set()),  # any value but an empty one
        ({"wnwa_staff": []}, set()),
        ({"wnwa_staff": False}, set()),
        ({}, set()),
    ],
)
def test_each_rule_grants_its_role_when_the_claim_holds_its_value(
    claims: dict[str, Any], roles: set[str]
) -> None:
    assert roles_from_claims(claims, RULES) == roles


def test_an_officer_is_admitted_with_the_department_roles_only_and_never_as_a_civilian() -> None:
    roles = {"officer", "civilian", "peer_supporter", "network_admin"}
    assert admit(roles, is_network=False, standing=MEMBER) == ["officer", "peer_supporter"]


def test_civilians_are_admitted_only_where_the_department_enrolled_them() -> None:
    enrolled = Standing(active=True, civilians_enrolled=True)
    assert admit({"civilian", "coordinator"}, is_network=False, standing=enrolled) == [
        "civilian",
        "coordinator",
    ]
    with pytest.raises(SignInProblem, match="not enabled access for civilian staff"):
        admit({"civilian"}, is_network=False, standing=MEMBER)


def test_the_networks_staff_get_staff_roles_only() -> None:
    assert admit({"vetter", "officer"}, is_network=True, standing=None) == ["vetter"]
    with pytest.raises(SignInProblem, match="not one of the network's staff roles"):
        admit({"officer"}, is_network=True, standing=None)


@pytest.mark.parametrize(
    ("roles", "standing", "reason"),
    [
        ({"officer"}, None, "not known to the network"),
        ({"officer"}, Standing(active=False, civilians_enrolled=True), "not an active member"),
        ({"peer_supporter"}, MEMBER, "did not say you are a sworn officer or civilian staff"),
    ],
)
def test_a_refusal_says_why(roles: set[str], standing: Standing | None, reason: str) -> None:
    with pytest.raises(SignInProblem, match=reason):
        admit(roles, is_network=False, standing=standing)


def test_a_shared_issuers_claims_name_exactly_one_department() -> None:
    shared = uuid.uuid4()
    harlow, calder = uuid.uuid4(), uuid.uuid4()
    departments = [
        SharedDepartment(harlow, shared, "Harlow Park", "extension_department", "harlow-park"),
        SharedDepartment(calder, shared, "Calder Heights", "extension_department", "calder"),
    ]
    assert department_from_claims({"extension_department": "harlow-park"}, departments) == harlow
    assert department_from_claims({"extension_department": ["records", "calder"]}, departments) == (
        calder
    )
    for claims, reason in (
        ({}, "does not say which department"),
        ({"extension_department": "harlow-park-east"}, "does not say which department"),
        ({"extension_department": ["harlow-park", "calder"]}, "more than one department"),
    ):
        with pytest.raises(SignInProblem, match=reason):
            department_from_claims(claims, departments)
    # departments told apart by claims of their own: whoever sets one of them decides, so
    # such a configuration admits nobody
    mixed = [departments[0], SharedDepartment(calder, shared, "Calder Heights", "office", "calder")]
    for claims in ({"office": "calder"}, {"extension_department": "harlow-park"}):
        with pytest.raises(SignInProblem, match="more than one claim"):
            department_from_claims(claims, mixed)
