"""The identity subgraph: `me`, and the network admins' view of identity providers."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

from servicekit.graphql import RequestContext, require_principal, require_role

from . import store
from .runtime import Identity

# an identity request: no DataLoaders; the running service's resources
IdentityContext = RequestContext[None, Identity]


def context(info: Info[Any, Any]) -> IdentityContext:
    """The request's context: who asks, the clock, and the service's resources."""
    typed: IdentityContext = info.context
    return typed


@strawberry.federation.type(
    directives=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A police department (owned by the membership service).",
)
class Department:
    id: strawberry.ID


@strawberry.enum(description="What a person may do on the platform.")
class Role(Enum):
    OFFICER = "officer"
    CIVILIAN = "civilian"
    PEER_SUPPORTER = "peer_supporter"
    COORDINATOR = "coordinator"
    VETTER = "vetter"
    NETWORK_ADMIN = "network_admin"
    SERVICE = "service"


@strawberry.type(description="The signed-in person, as the platform knows them: nothing more.")
class Me:
    pseudonymous_id: strawberry.ID = strawberry.field(
        description="A pseudonym that names this person on this platform only."
    )
    roles: list[Role]
    department: Department | None = strawberry.field(
        description="Their department; null for the network's own staff."
    )


@strawberry.enum
class ClientAuthMethod(Enum):
    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 - a method's name
    CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105 - a method's name


@strawberry.type(description="An upstream claim (or one of its values) that grants a role.")
class ClaimRule:
    claim: str
    value: str | None = strawberry.field(description="Null: any non-empty value of the claim.")
    role: Role

    @classmethod
    def from_rule(cls, rule: store.ClaimRule) -> ClaimRule:
        return cls(claim=rule.claim, value=rule.value, role=Role(rule.role))


@strawberry.type(
    description="An organization's identity provider. Its client secret is never shown."
)
class IdentityProvider:
    organisation_id: strawberry.ID
    department: Department | None = strawberry.field(
        description="The department; null for the network's own staff organization."
    )
    display_name: str
    issuer: str
    client_id: str
    client_auth_method: ClientAuthMethod
    scopes: list[str]
    claim_rules: list[ClaimRule]
    email_domains: list[str]
    enabled: bool
    declared_in_file: bool = strawberry.field(
        description="Declared in the providers file: change it there, not here."
    )
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, row: store.ProviderRow, network_id: uuid.UUID) -> IdentityProvider:
        is_network = row.organisation_id == network_id
        return cls(
            organisation_id=strawberry.ID(str(row.organisation_id)),
            department=None
            if is_network
            else Department(id=strawberry.ID(str(row.organisation_id))),
            display_name=row.display_name,
            issuer=row.issuer,
            client_id=row.client_id,
            client_auth_method=ClientAuthMethod(row.client_auth_method),
            scopes=list(row.scopes),
            claim_rules=[ClaimRule.from_rule(rule) for rule in row.claim_rules],
            email_domains=list(row.email_domains),
            enabled=row.enabled,
            declared_in_file=row.source == "file",
            updated_at=row.updated_at,
        )


@strawberry.type
class Query:
    @strawberry.field(description="Who is signed in: pseudonymous id, roles and department.")
    def me(self, info: Info[Any, Any]) -> Me | None:
        principal = require_principal(info)
        network = str(context(info).resources.settings.network_id)
        department = principal.department_id
        return Me(
            pseudonymous_id=strawberry.ID(principal.subject),
            roles=[Role(role) for role in sorted(principal.roles)],
            department=(
                Department(id=strawberry.ID(department))
                if department and department != network
                else None
            ),
        )

    @strawberry.field(description="Every organization's identity provider: network admins only.")
    async def identity_providers(self, info: Info[Any, Any]) -> list[IdentityProvider] | None:
        require_role(info, "network_admin")
        identity = context(info).resources
        rows = await store.list_providers(db=identity.pool)
        return [IdentityProvider.from_row(row, identity.settings.network_id) for row in rows]
