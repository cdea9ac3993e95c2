"""Shared issuers: one provider (a county's or a state's tenant) that signs in officers of
several departments. A network admin sets it up once, then gives each department a rule
(a claim and its value); a sign-in through it puts the person in the one department whose
rule their ID token satisfies. The person never chooses: none or several matching is a
refusal. Network admins only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import strawberry
from strawberry.types import Info

from servicekit.graphql import FieldError, InputErrors, require_role

from . import configuration, store
from .mutations import (
    ClaimRuleInput,
    DeletionPayload,
    bound_open_ended_passkeys,
    checked_provider,
    department_standing,
    raw_provider,
)
from .providers import validate_department_rule
from .schema import ClaimRule, ClientAuthMethod, Department, context


@strawberry.type(description="A department of a shared issuer and the rule that says who is in it.")
class SharedIssuerDepartment:
    department: Department
    display_name: str = strawberry.field(description="Its name in the sign-in page's list.")
    claim: str
    value: str


@strawberry.type(
    description="One provider that signs in officers of several departments; each "
    "department's rule (a claim and its value) decides, never the person. Its secret is "
    "never shown."
)
class SharedIssuer:
    id: strawberry.ID
    display_name: str
    issuer: str
    client_id: str
    client_auth_method: ClientAuthMethod
    scopes: list[str]
    claim_rules: list[ClaimRule] = strawberry.field(
        description="The roles its claims grant, in whichever department a person is put."
    )
    email_domains: list[str]
    enabled: bool
    updated_at: dt.datetime
    departments: list[SharedIssuerDepartment]

    @classmethod
    def from_rows(
        cls, row: store.ProviderRow, departments: list[store.SharedDepartment]
    ) -> SharedIssuer:
        return cls(
            id=strawberry.ID(str(row.organisation_id)),
            display_name=row.display_name,
            issuer=row.issuer,
            client_id=row.client_id,
            client_auth_method=ClientAuthMethod(row.client_auth_method),
            scopes=list(row.scopes),
            claim_rules=[ClaimRule.from_rule(rule) for rule in row.claim_rules],
            email_domains=list(row.email_domains),
            enabled=row.enabled,
            updated_at=row.updated_at,
            departments=[
                SharedIssuerDepartment(
                    department=Department(id=strawberry.ID(str(d.department_id))),
                    display_name=d.display_name,
                    claim=d.claim,
                    value=d.value,
                )
                for d in departments
                if d.shared_issuer_id == row.organisation_id
            ],
        )


@strawberry.input(description="A shared issuer; leave id out to add one, clientSecret to keep it.")
class SharedIssuerInput:
    id: strawberry.ID | None = None
    display_name: str
    issuer: str
    client_id: str
    client_secret: str | None = None
    client_auth_method: ClientAuthMethod = ClientAuthMethod.CLIENT_SECRET_BASIC
    scopes: list[str] = strawberry.field(default_factory=lambda: ["openid"])
    claim_rules: list[ClaimRuleInput]
    email_domains: list[str] = strawberry.field(default_factory=list)
    enabled: bool = True


@strawberry.input(
    description="Put a department behind a shared issuer: whoever's `claim` holds `value` "
    "signs in as one of its people."
)
class SharedIssuerDepartmentInput:
    shared_issuer_id: strawberry.ID
    department_id: strawberry.ID
    display_name: str
    claim: str
    value: str


@strawberry.type
class SharedIssuerPayload:
    shared_issuer: SharedIssuer | None
    errors: list[FieldError]


async def _shared(info: Info[Any, Any], value: str | None) -> store.ProviderRow | None:
    try:
        organisation = uuid.UUID(str(value))
    except ValueError:
        return None
    row = await store.get_provider(db=context(info).resources.pool, organisation_id=organisation)
    return row if row is not None and row.shared and row.organisation_id == organisation else None


async def _payload(info: Info[Any, Any], shared_issuer_id: uuid.UUID) -> SharedIssuerPayload:
    pool = context(info).resources.pool
    row = await store.get_provider(db=pool, organisation_id=shared_issuer_id)
    assert row is not None
    departments = await store.list_shared_departments(db=pool, shared_issuer_id=shared_issuer_id)
    return SharedIssuerPayload(shared_issuer=SharedIssuer.from_rows(row, departments), errors=[])


def _failed(errors: InputErrors) -> SharedIssuerPayload:
    return SharedIssuerPayload(shared_issuer=None, errors=errors.items)


@strawberry.type
class SharedIssuerQuery:
    @strawberry.field(description="Every shared issuer and its departments: network admins only.")
    async def shared_issuers(self, info: Info[Any, Any]) -> list[SharedIssuer] | None:
        require_role(info, "network_admin")
        pool = context(info).resources.pool
        rows = await store.list_providers(db=pool, shared=True)
        departments = await store.list_shared_departments(db=pool)
        return [SharedIssuer.from_rows(row, departments) for row in rows]


@strawberry.type
class SharedIssuerMutation:
    @strawberry.mutation(
        description="Add or change a shared issuer, checked as a department's provider is."
    )
    async def save_shared_issuer(
        self, info: Info[Any, Any], input: SharedIssuerInput
    ) -> SharedIssuerPayload:
        require_role(info, "network_admin")
        identity = context(info).resources
        errors = InputErrors()
        existing = None
        if input.id is not None:
            existing = await _shared(info, str(input.id))
            if existing is None:
                errors.unknown("input.id", "shared issuer")
                return _failed(errors)
        shared_id = existing.organisation_id if existing else uuid.uuid4()
        raw = raw_provider(input, organisation=str(shared_id))
        config = await checked_provider(
            info, raw, errors, secret_required=existing is None, shared=True
        )
        if config is None or errors:
            return _failed(errors)
        try:
            await configuration.save(
                identity.pool,
                identity.secrets,
                config,
                sealed_secret=existing.client_secret_sealed if existing else None,
            )
        except configuration.ConfigurationConflict as conflict:
            errors.add(f"input.{conflict.field}", conflict.message)
            return _failed(errors)
        return await _payload(info, shared_id)

    @strawberry.mutation(description="Remove a shared issuer: its departments no longer sign in.")
    async def delete_shared_issuer(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> DeletionPayload:
        require_role(info, "network_admin")
        row = await _shared(info, str(id))
        if row is None:
            errors = InputErrors()
            errors.unknown("id", "shared issuer")
            return DeletionPayload(deleted=False, errors=errors.items)
        deleted = await store.delete_provider(
            db=context(info).resources.pool, organisation_id=row.organisation_id
        )
        return DeletionPayload(deleted=deleted, errors=[])

    @strawberry.mutation(
        description="Put a department behind a shared issuer with its rule, or change the rule."
    )
    async def set_shared_issuer_department(
        self, info: Info[Any, Any], input: SharedIssuerDepartmentInput
    ) -> SharedIssuerPayload:
        require_role(info, "network_admin")
        identity = context(info).resources
        errors = InputErrors()
        shared = await _shared(info, str(input.shared_issuer_id))
        if shared is None:
            errors.unknown("input.sharedIssuerId", "shared issuer")
        rule = validate_department_rule(
            display_name=input.display_name, claim=input.claim, value=input.value, errors=errors
        )
        department = await _department(info, str(input.department_id), errors)
        if shared is None or rule is None or department is None or errors:
            return _failed(errors)
        others = [
            other
            for other in await store.list_shared_departments(
                db=identity.pool, shared_issuer_id=shared.organisation_id
            )
            if other.department_id != department
        ]
        # one claim tells all of an issuer's departments apart (admission.shared_department)
        claims = {other.claim for other in others} - {rule.claim}
        if claims:
            errors.add("input.claim", _one_claim(sorted(claims)[0]))
            return _failed(errors)
        if any(other.value == rule.value for other in others):
            errors.add("input.value", _RULE_TAKEN)
            return _failed(errors)
        try:
            await store.save_shared_department(
                db=identity.pool,
                department=store.SharedDepartment(
                    department_id=department,
                    shared_issuer_id=shared.organisation_id,
                    display_name=rule.display_name,
                    claim=rule.claim,
                    value=rule.value,
                ),
            )
        except asyncpg.UniqueViolationError:
            errors.add("input.value", _RULE_TAKEN)  # set for another department meanwhile
            return _failed(errors)
        await bound_open_ended_passkeys(info, department)
        return await _payload(info, shared.organisation_id)

    @strawberry.mutation(
        description="Take a department from its shared issuer: it no longer signs in there."
    )
    async def remove_shared_issuer_department(
        self, info: Info[Any, Any], department_id: strawberry.ID
    ) -> DeletionPayload:
        require_role(info, "network_admin")
        try:
            department = uuid.UUID(str(department_id))
        except ValueError:
            return DeletionPayload(deleted=False, errors=[])
        deleted = await store.delete_shared_department(
            db=context(info).resources.pool, department_id=department
        )
        return DeletionPayload(deleted=deleted, errors=[])


_RULE_TAKEN = (
    "Another department of this shared issuer has this same rule: each rule must name one "
    "department."
)


def _one_claim(claim: str) -> str:
    return (
        f"This shared issuer tells its departments apart by `{claim}`: every department's "
        "rule names a value of that one claim, so that nobody who can set some other claim "
        "decides who belongs where."
    )


async def _department(info: Info[Any, Any], value: str, errors: InputErrors) -> uuid.UUID | None:
    """A member department that may sign in through a shared issuer (not one with a
    provider of its own, not the network)."""
    identity = context(info).resources
    try:
        department = uuid.UUID(value.strip())
    except ValueError:
        errors.unknown("input.departmentId", "department")
        return None
    if department == identity.settings.network_id:
        errors.add("input.departmentId", "The network's staff sign in with its own provider.")
        return None
    if await department_standing(info, department, errors, field="input.departmentId") is None:
        return None
    route = await store.get_provider(db=identity.pool, organisation_id=department)
    if route is not None and not route.shared:
        errors.add(
            "input.departmentId",
            "This department signs in with a provider of its own; remove that first.",
        )
        return None
    return department
