"""Identity's rules: which organisation a person may manage, which roles an organisation's
sign-in and codes may grant, and what makes a batch of codes or a revocation valid."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from servicekit.graphql import Forbidden, InputErrors
from servicekit.tokens import Principal

from .passkeys import credentials

DEPARTMENT_ROLES = frozenset({"officer", "civilian", "peer_supporter", "coordinator"})
NETWORK_ROLES = frozenset({"vetter", "network_admin"})
MAX_CODES = 200
MAX_LABEL = 80


def roles_granted_by(organisation: uuid.UUID | None, network_id: uuid.UUID) -> frozenset[str]:
    """The roles an organisation's provider and codes may grant: staff roles for the network
    itself, department roles for a department."""
    return NETWORK_ROLES if organisation == network_id else DEPARTMENT_ROLES


def organisation_id(value: str, network_id: uuid.UUID) -> uuid.UUID | None:
    """A department's id, or the network's for `network`; None when it is neither."""
    if value.strip().lower() == "network":
        return network_id
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def managed_organisation(
    principal: Principal, department_id: str | None, network_id: uuid.UUID
) -> uuid.UUID:
    """The organisation asked about (by default the person's own), when the person may manage
    its codes and passkeys: coordinators their own department, network admins any."""
    own = principal.department_id
    if department_id is None or not str(department_id).strip():
        if principal.has_role("network_admin") and own == str(network_id):
            raise Forbidden("Name the department (or `network`).")
        return uuid.UUID(own)
    organisation = organisation_id(str(department_id), network_id)
    if organisation is None:
        raise Forbidden("No department with this id is yours to manage.")
    if principal.has_role("network_admin") or str(organisation) == own:
        return organisation
    raise Forbidden("Coordinators manage their own department only.")


def own_department(principal: Principal) -> uuid.UUID:
    """The department a coordinator proposes a provider for: their own, and only that."""
    try:
        return uuid.UUID(principal.department_id)
    except ValueError:
        raise Forbidden("Coordinators propose their own department's sign-in.") from None


@dataclass(frozen=True, slots=True)
class CodeBatchIn:
    """A valid batch of enrolment codes: one per label (None: no label), for ``roles``."""

    roles: tuple[str, ...]
    labels: tuple[str | None, ...]
    valid_days: int


def check_code_roles(roles: Sequence[str], *, for_network: bool, errors: InputErrors) -> list[str]:
    """The roles a code would carry, sorted; a field error unless the organisation may grant
    them and (for a department) they say officer or civilian, not both."""
    values = sorted(set(roles))
    allowed = NETWORK_ROLES if for_network else DEPARTMENT_ROLES
    if not values:
        errors.add("input.roles", "Choose at least one role.")
    elif not set(values) <= allowed:
        errors.add(
            "input.roles", f"Only these roles can be given here: {', '.join(sorted(allowed))}."
        )
    elif not for_network:
        if not {"officer", "civilian"} & set(values):
            errors.add("input.roles", "Each code must say officer or civilian.")
        elif {"officer", "civilian"} <= set(values):
            errors.add("input.roles", "A code is for an officer or a civilian, not both.")
    return values


def check_code_batch(
    *,
    labels: Sequence[str],
    count: int,
    valid_days: int,
    roles: Sequence[str],
    for_network: bool,
    errors: InputErrors,
) -> CodeBatchIn | None:
    """A valid batch of codes, or None after adding a field error for every mistake."""
    trimmed = [label.strip() for label in labels]
    if any(not label or len(label) > MAX_LABEL for label in trimmed):
        errors.add("input.labels", f"Each label is 1 to {MAX_LABEL} characters.")
    # compared as revoking compares them: "Badge 1" and "badge  1" are one label
    elif len({credentials.normalise_label(label) for label in trimmed}) != len(trimmed):
        errors.add("input.labels", "Each label may appear once.")
    if trimmed and count:
        errors.add("input.count", "Give labels or a count, not both.")
    amount = len(trimmed) or count
    if not 1 <= amount <= MAX_CODES:
        errors.add("input.count", f"Issue 1 to {MAX_CODES} codes at a time.")
    if not 1 <= valid_days <= 90:
        errors.add("input.validDays", "A code can be valid for 1 to 90 days.")
    checked_roles = check_code_roles(roles, for_network=for_network, errors=errors)
    if errors:
        return None
    return CodeBatchIn(
        roles=tuple(checked_roles),
        labels=tuple(trimmed) if trimmed else (None,) * amount,
        valid_days=valid_days,
    )


def check_label(label: str, *, field: str, errors: InputErrors) -> None:
    """A label typed to revoke or withdraw by: a field error unless it could be one."""
    if not label.strip() or len(label.strip()) > MAX_LABEL:
        errors.add(field, f"A label is 1 to {MAX_LABEL} characters.")


@dataclass(frozen=True, slots=True)
class RevocationIn:
    """Which passkeys to revoke: exactly one of a label, a role or one passkey, or (all three
    None) every passkey of the organisation."""

    label: str | None
    role: str | None
    credential_id: bytes | None


def check_revocation(
    *,
    label: str | None,
    role: str | None,
    passkey_id: str | None,
    everything: bool,
    errors: InputErrors,
) -> RevocationIn | None:
    """A valid choice of passkeys to revoke, or None after adding the field errors."""
    chosen = [label is not None, role is not None, passkey_id is not None, everything]
    if sum(chosen) != 1:
        errors.add("input", "Choose one: a label, a role, one passkey, or everything.")
    if label is not None:
        check_label(label, field="input.label", errors=errors)
    credential = None
    if passkey_id is not None:
        try:
            credential = credentials.decode(passkey_id)
        except ValueError:
            errors.add("input.passkeyId", "This is not a passkey's id.")
    if errors:
        return None
    return RevocationIn(
        label=label.strip() if label is not None else None, role=role, credential_id=credential
    )
