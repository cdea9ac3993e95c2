"""Identity's rules on their own, without a server: who manages which organisation's codes
and passkeys, which roles a code may carry, and what a batch or a revocation must say."""

from __future__ import annotations

import uuid

import pytest

from servicekit.graphql import Forbidden, InputErrors
from servicekit.tokens import Principal
from services.identity import rules
from services.identity.passkeys import credentials as passkeys
from services.identity.passkeys.credentials import encode

NETWORK = uuid.UUID("00000000-0000-4000-8000-00000000beef")
HARLOW = uuid.UUID("6f1c1f4e-2f55-4b8f-9a57-2c1c3e1d0a11")
FENWOOD = uuid.UUID("0b9f7a1e-7d0c-4c55-8f3e-5a3b2d1c0e22")


def person(*roles: str, department: uuid.UUID = HARLOW) -> Principal:
    return Principal(subject="p", department_id=str(department), roles=frozenset(roles))


def messages(errors: InputErrors) -> dict[str, str]:
    return {item.field: item.message for item in errors.items}


def test_a_coordinator_manages_their_own_department_only() -> None:
    coordinator = person("coordinator")
    assert rules.managed_organisation(coordinator, None, NETWORK) == HARLOW
    assert rules.managed_organisation(coordinator, " ", NETWORK) == HARLOW
    assert rules.managed_organisation(coordinator, f" {HARLOW} ", NETWORK) == HARLOW
    with pytest.raises(Forbidden, match=r"Coordinators manage their own department only\."):
        rules.managed_organisation(coordinator, str(FENWOOD), NETWORK)
    with pytest.raises(Forbidden, match=r"Coordinators manage their own department only\."):
        rules.managed_organisation(coordinator, "network", NETWORK)
    with pytest.raises(Forbidden, match=r"No department with this id is yours to manage\."):
        rules.managed_organisation(coordinator, "harlow", NETWORK)


def test_a_network_admin_names_any_organisation_and_must_name_one() -> None:
    admin = person("network_admin", department=NETWORK)
    assert rules.managed_organisation(admin, str(FENWOOD), NETWORK) == FENWOOD
    assert rules.managed_organisation(admin, "Network", NETWORK) == NETWORK
    with pytest.raises(Forbidden, match="Name the department"):
        rules.managed_organisation(admin, None, NETWORK)


def test_a_coordinator_proposes_for_their_own_department() -> None:
    assert rules.own_department(person("coordinator")) == HARLOW
    with pytest.raises(Forbidden, match="propose their own department's sign-in"):
        rules.own_department(Principal(subject="p", department_id="?", roles=frozenset()))


def test_the_network_grants_staff_roles_and_a_department_its_own() -> None:
    assert rules.roles_granted_by(NETWORK, NETWORK) == {"vetter", "network_admin"}
    assert rules.roles_granted_by(HARLOW, NETWORK) == {
        "officer",
        "civilian",
        "peer_supporter",
        "coordinator",
    }
    assert rules.organisation_id(" NETWORK ", NETWORK) == NETWORK
    assert rules.organisation_id(f" {HARLOW}", NETWORK) == HARLOW
    assert rules.organisation_id("harlow", NETWORK) is None


@pytest.mark.parametrize(
    ("roles", "for_network", "message"),
    [
        ([], False, "Choose at least one role."),
        (["vetter"], False, "Only these roles can be given here: civilian, coordinator, "),
        (["officer"], True, "Only these roles can be given here: network_admin, vetter."),
        (["peer_supporter"], False, "Each code must say officer or civilian."),
        (["officer", "civilian"], False, "A code is for an officer or a civilian, not both."),
    ],
)
def test_a_codes_roles_are_refused_with_the_reason(
    roles: list[str], for_network: bool, message: str
) -> None:
    errors = InputErrors()
    rules.check_code_roles(roles, for_network=for_network, errors=errors)
    assert [item.field for item in errors.items] == ["input.roles"]
    assert errors.items[0].message.startswith(message)


def test_a_batch_by_labels_or_by_count() -> None:
    errors = InputErrors()
    batch = rules.check_code_batch(
        labels=[" Desk 1 ", "Desk 2"],
        count=0,
        valid_days=14,
        roles=["peer_supporter", "officer", "officer"],
        for_network=False,
        errors=errors,
    )
    assert messages(errors) == {}
    assert batch == rules.CodeBatchIn(
        roles=("officer", "peer_supporter"), labels=("Desk 1", "Desk 2"), valid_days=14
    )
    batch = rules.check_code_batch(
        labels=[], count=3, valid_days=1, roles=["vetter"], for_network=True, errors=errors
    )
    assert batch == rules.CodeBatchIn(roles=("vetter",), labels=(None, None, None), valid_days=1)


def test_labels_are_one_label_in_any_case_or_spacing() -> None:
    key = bytes(32)
    department = uuid.UUID(int=7)
    digest = passkeys.label_digest(key, department, "Badge 101")
    assert passkeys.label_digest(key, department, "  BADGE\u00a0 101 ") == digest
    assert passkeys.label_digest(key, department, "Badge 1010") != digest
    assert passkeys.label_digest(key, uuid.UUID(int=8), "Badge 101") != digest  # per department
    errors = InputErrors()
    rules.check_code_batch(
        labels=["Badge 1", "badge  1"],
        count=0,
        valid_days=14,
        roles=["officer"],
        for_network=False,
        errors=errors,
    )
    assert messages(errors) == {"input.labels": "Each label may appear once."}
    errors = InputErrors()
    assert (
        rules.check_revocation(
            label="  ", role=None, passkey_id=None, everything=False, errors=errors
        )
        is None
    )
    assert messages(errors) == {"input.label": "A label is 1 to 80 characters."}


def test_a_wrong_batch_names_every_field() -> None:
    errors = InputErrors()
    batch = rules.check_code_batch(
        labels=["Desk", " desk ".strip().title()],
        count=2,
        valid_days=91,
        roles=[],
        for_network=False,
        errors=errors,
    )
    assert batch is None
    assert messages(errors) == {
        "input.labels": "Each label may appear once.",
        "input.count": "Give labels or a count, not both.",
        "input.validDays": "A code can be valid for 1 to 90 days.",
        "input.roles": "Choose at least one role.",
    }
    errors = InputErrors()
    rules.check_code_batch(
        labels=["x" * 81],
        count=0,
        valid_days=1,
        roles=["officer"],
        for_network=False,
        errors=errors,
    )
    assert messages(errors) == {"input.labels": "Each label is 1 to 80 characters."}
    errors = InputErrors()
    rules.check_code_batch(
        labels=[], count=201, valid_days=1, roles=["officer"], for_network=False, errors=errors
    )
    assert messages(errors) == {"input.count": "Issue 1 to 200 codes at a time."}


def test_a_revocation_chooses_exactly_one_thing() -> None:
    errors = InputErrors()
    assert rules.check_revocation(
        label=" Desk 1 ", role=None, passkey_id=None, everything=False, errors=errors
    ) == rules.RevocationIn(label="Desk 1", role=None, credential_id=None)
    assert rules.check_revocation(
        label=None, role=None, passkey_id=encode(b"\x01\x02"), everything=False, errors=errors
    ) == rules.RevocationIn(label=None, role=None, credential_id=b"\x01\x02")
    assert rules.check_revocation(
        label=None, role=None, passkey_id=None, everything=True, errors=errors
    ) == rules.RevocationIn(label=None, role=None, credential_id=None)
    assert messages(errors) == {}

    assert (
        rules.check_revocation(
            label="Desk", role="officer", passkey_id="abcde", everything=False, errors=errors
        )
        is None
    )
    assert messages(errors) == {
        "input": "Choose one: a label, a role, one passkey, or everything.",
        "input.passkeyId": "This is not a passkey's id.",
    }
