"""Self-service federation: a coordinator proposes their department's own OpenID provider,
checked exactly as an admin's would be; a network admin approves it before it takes effect.
"""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from servicekit.graphql import FieldError, Forbidden, InputErrors, require_role

from . import configuration, rules, store
from .mutations import (
    IdentityProviderInput,
    IdentityProviderPayload,
    bound_open_ended_passkeys,
    checked_provider,
    provider_payload,
    raw_provider,
)
from .providers import ProviderConfig, RawProvider
from .schema import ClaimRule, ClientAuthMethod, Department, context
from .sealing import Unsealable


@strawberry.type(description="A department's proposed provider, waiting for a network admin.")
class IdentityProviderProposal:
    organisation_id: strawberry.ID
    department: Department
    display_name: str
    issuer: str
    client_id: str
    client_auth_method: ClientAuthMethod
    scopes: list[str]
    claim_rules: list[ClaimRule]
    email_domains: list[str]

    @classmethod
    def from_row(cls, row: store.ProposalRow) -> IdentityProviderProposal:
        settings = row.settings
        return cls(
            organisation_id=strawberry.ID(str(row.organisation_id)),
            department=Department(id=strawberry.ID(str(row.organisation_id))),
            display_name=settings.display_name,
            issuer=settings.issuer,
            client_id=settings.client_id,
            client_auth_method=ClientAuthMethod(settings.client_auth_method),
            scopes=list(settings.scopes),
            claim_rules=[ClaimRule.from_rule(rule) for rule in settings.claim_rules],
            email_domains=list(settings.email_domains),
        )


@strawberry.type
class ProposalPayload:
    proposal: IdentityProviderProposal | None
    errors: list[FieldError]


PASSKEY_SESSION_PROPOSES_NOTHING = (
    "A new sign-in for your department is proposed after signing in with its present "
    "sign-in, not with a passkey that stands in for it. Sign out, then sign in with your "
    "department's sign-in to propose one."
)


def _binding(organisation: uuid.UUID) -> str:
    return f"proposed-client-secret:{organisation}"


def _settings(config: ProviderConfig) -> store.ProposedSettings:
    return store.ProposedSettings(
        display_name=config.display_name,
        issuer=config.issuer,
        client_id=config.client_id,
        client_auth_method=config.client_auth_method,
        scopes=tuple(config.scopes),
        claim_rules=tuple(config.claim_rules),
        email_domains=tuple(config.email_domains),
    )


def _own_department(info: Info[Any, Any]) -> uuid.UUID:
    return rules.own_department(require_role(info, "coordinator"))


@strawberry.type
class FederationQuery:
    @strawberry.field(description="Providers departments proposed: network admins only.")
    async def identity_provider_proposals(
        self, info: Info[Any, Any]
    ) -> list[IdentityProviderProposal] | None:
        require_role(info, "network_admin")
        rows = await store.list_proposals(db=context(info).resources.pool)
        return [IdentityProviderProposal.from_row(row) for row in rows]

    @strawberry.field(description="Your department's proposal waiting for approval, if any.")
    async def my_identity_provider_proposal(
        self, info: Info[Any, Any]
    ) -> IdentityProviderProposal | None:
        organisation = _own_department(info)
        rows = await store.list_proposals(
            db=context(info).resources.pool, organisation_id=organisation
        )
        return IdentityProviderProposal.from_row(rows[0]) if rows else None

    @strawberry.field(
        description="True when your department's sign-in is set by the network's operators "
        "(their providers file): a proposal cannot change it; ask them."
    )
    async def my_sign_in_set_by_operators(self, info: Info[Any, Any]) -> bool:
        organisation = _own_department(info)
        existing = await store.get_provider(
            db=context(info).resources.pool, organisation_id=organisation
        )
        return existing is not None and existing.source == "file"


@strawberry.type
class FederationMutation:
    @strawberry.mutation(
        description="Propose your department's own provider: checked now, in effect once a "
        "network admin approves it."
    )
    async def propose_identity_provider(
        self, info: Info[Any, Any], input: IdentityProviderInput
    ) -> ProposalPayload:
        organisation = _own_department(info)
        identity = context(info).resources
        errors = InputErrors()
        if str(input.organisation_id) != str(organisation):
            raise Forbidden("Coordinators propose their own department's sign-in.")
        if require_role(info, "coordinator").passkey_limited:
            # whoever stands in for the IdP with a passkey must not choose the next IdP
            errors.add("input", PASSKEY_SESSION_PROPOSES_NOTHING)
            return ProposalPayload(proposal=None, errors=errors.items)
        existing = await store.get_provider(db=identity.pool, organisation_id=organisation)
        if existing is not None and existing.source == "file":
            errors.add(
                "input.organisationId",
                "Your department's sign-in is set by the network's operators; ask them.",
            )
        config = await checked_provider(
            info,
            raw_provider(input, organisation=str(input.organisation_id)),
            errors,
            secret_required=True,
        )
        if config is None or errors or config.client_secret is None:
            return ProposalPayload(proposal=None, errors=errors.items)
        await store.save_proposal(
            db=identity.pool,
            organisation_id=organisation,
            settings=_settings(config),
            client_secret_sealed=identity.secrets.seal(
                config.client_secret.encode(), bound_to=_binding(organisation)
            ),
        )
        rows = await store.list_proposals(db=identity.pool, organisation_id=organisation)
        return ProposalPayload(proposal=IdentityProviderProposal.from_row(rows[0]), errors=[])

    @strawberry.mutation(description="Approve a department's proposed provider: it takes effect.")
    async def approve_identity_provider_proposal(
        self, info: Info[Any, Any], organisation_id: strawberry.ID
    ) -> IdentityProviderPayload:
        require_role(info, "network_admin")
        identity = context(info).resources
        errors = InputErrors()
        rows = await _proposal(info, organisation_id)
        if not rows:
            errors.add("organisationId", "There is no proposal for this department.")
            return IdentityProviderPayload(provider=None, errors=errors.items)
        row = rows[0]
        try:
            secret = identity.secrets.open(
                row.client_secret_sealed, bound_to=_binding(row.organisation_id)
            ).decode()
        except Unsealable:
            errors.add("organisationId", "The proposal cannot be read; ask for it again.")
            return IdentityProviderPayload(provider=None, errors=errors.items)
        settings = row.settings
        raw = RawProvider(
            organisation=str(row.organisation_id),
            display_name=settings.display_name,
            issuer=settings.issuer,
            client_id=settings.client_id,
            client_secret=secret,
            client_auth_method=settings.client_auth_method,
            scopes=list(settings.scopes),
            claim_rules=[rule.as_json() for rule in settings.claim_rules],
            email_domains=list(settings.email_domains),
        )
        # checked again: the provider or the domains may have changed since it was proposed
        config = await checked_provider(info, raw, errors, secret_required=True)
        if config is None or errors:
            return IdentityProviderPayload(provider=None, errors=errors.items)
        try:
            await configuration.save(identity.pool, identity.secrets, config, sealed_secret=None)
        except configuration.ConfigurationConflict as conflict:
            errors.add(f"input.{conflict.field}", conflict.message)
            return IdentityProviderPayload(provider=None, errors=errors.items)
        await store.delete_proposal(db=identity.pool, organisation_id=row.organisation_id)
        await bound_open_ended_passkeys(info, row.organisation_id)
        return await provider_payload(info, row.organisation_id)

    @strawberry.mutation(description="Turn down a department's proposed provider.")
    async def reject_identity_provider_proposal(
        self, info: Info[Any, Any], organisation_id: strawberry.ID
    ) -> bool:
        require_role(info, "network_admin")
        rows = await _proposal(info, organisation_id)
        if not rows:
            return False
        return await store.delete_proposal(
            db=context(info).resources.pool, organisation_id=rows[0].organisation_id
        )


async def _proposal(info: Info[Any, Any], organisation_id: str) -> list[store.ProposalRow]:
    try:
        organisation = uuid.UUID(str(organisation_id))
    except ValueError:
        return []
    return await store.list_proposals(db=context(info).resources.pool, organisation_id=organisation)
