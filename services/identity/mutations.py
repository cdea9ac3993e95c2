"""Network admins manage identity providers and rotate identity's signing key.

A new or changed provider is checked before it is saved: every field, that no other
organisation signs in with its issuer or email domains, then its discovery document (exact
issuer, the code flow, PKCE S256, the client authentication chosen).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any, Protocol

import strawberry
from strawberry.types import Info

from servicekit.graphql import FieldError, InputErrors, require_role

from . import configuration, rules, store
from .admission import Standing
from .oidc import SignInProblem
from .passkeys import store as passkey_store
from .providers import ProviderConfig, RawProvider, validate
from .schema import ClientAuthMethod, IdentityProvider, Role, context


@strawberry.input(description="A claim rule: the claim, an optional value, the role it grants.")
class ClaimRuleInput:
    claim: str
    value: str | None = None
    role: Role


@strawberry.input(description="An organization's provider; leave clientSecret out to keep it.")
class IdentityProviderInput:
    organisation_id: strawberry.ID = strawberry.field(
        description="The department's id, or `network` for the network's own staff."
    )
    display_name: str
    issuer: str
    client_id: str
    client_secret: str | None = None
    client_auth_method: ClientAuthMethod = ClientAuthMethod.CLIENT_SECRET_BASIC
    scopes: list[str] = strawberry.field(default_factory=lambda: ["openid"])
    claim_rules: list[ClaimRuleInput]
    email_domains: list[str] = strawberry.field(default_factory=list)
    enabled: bool = True


@strawberry.type
class IdentityProviderPayload:
    provider: IdentityProvider | None
    errors: list[FieldError]


@strawberry.type
class DeletionPayload:
    deleted: bool
    errors: list[FieldError]


@strawberry.type(description="The key that signs from now on, and every key still published.")
class SigningKeyRotation:
    active_kid: str
    published_kids: list[str]


def _organisation(value: str, info: Info[Any, Any], errors: InputErrors) -> uuid.UUID | None:
    organisation = rules.organisation_id(value, context(info).resources.settings.network_id)
    if organisation is None:
        errors.add("organisationId", "Give the department's id, or `network`.")
    return organisation


async def _editable(
    info: Info[Any, Any], organisation: uuid.UUID, errors: InputErrors, field: str
) -> store.ProviderRow | None:
    """The organisation's own provider when admins may change it (a field error otherwise)."""
    row = await store.get_provider(db=context(info).resources.pool, organisation_id=organisation)
    if row is not None and row.shared:
        errors.add(field, shared_route_message(row))
        return None
    if row is not None and row.source == "file":
        errors.add(field, "This provider is declared in the providers file; change it there.")
    return row


def shared_route_message(row: store.ProviderRow) -> str:
    return (
        f"This department signs in through the shared issuer {row.display_name!r}; "
        "a network admin removes it from there first."
    )


async def department_standing(
    info: Info[Any, Any], organisation: uuid.UUID, errors: InputErrors, *, field: str
) -> Standing | None:
    """Membership's word on a department; a field error when it cannot say or knows none."""
    try:
        standing = await context(info).resources.membership.standing(str(organisation))
    except SignInProblem as problem:
        errors.add(field, f"{problem} Try again in a moment.")
        return None
    if standing is None:
        errors.add(field, "The network knows no department with this id.")
    return standing


async def checked_provider(
    info: Info[Any, Any],
    raw: RawProvider,
    errors: InputErrors,
    *,
    secret_required: bool,
    shared: bool = False,
) -> ProviderConfig | None:
    """Every check a provider (or, ``shared``, a shared issuer) passes before it is saved or
    proposed: its fields, its department, that no other organisation holds its issuer or
    email domains, then its discovery document."""
    identity = context(info).resources
    config = validate(
        raw,
        errors,
        prefix="input.",
        network_id=identity.settings.network_id,
        allow_http_loopback=identity.settings.service.deployment != "production",
        secret_required=secret_required,
    )
    if config is not None and shared:
        config = replace(config, shared=True)
    elif config is not None and config.organisation_id != identity.settings.network_id:
        await department_standing(
            info, config.organisation_id, errors, field="input.organisationId"
        )
        route = await store.get_provider(db=identity.pool, organisation_id=config.organisation_id)
        if route is not None and route.shared:
            errors.add("input.organisationId", shared_route_message(route))
    if config is not None:
        taken = await configuration.domains_taken(identity.pool, config)
        if taken:
            errors.add(
                "input.emailDomains",
                f"{', '.join(taken)} already select(s) another organization.",
            )
        issuer_taken = await configuration.issuer_taken(identity.pool, config)
        if issuer_taken:
            errors.add("input.issuer", issuer_taken)
    if config is not None and not errors:
        await configuration.check_against_provider(
            identity.relying_party, config, errors, prefix="input."
        )
    return config


async def bound_open_ended_passkeys(info: Info[Any, Any], organisation: uuid.UUID) -> None:
    """An organisation that has an IdP from now on: its passkeys without an end (enrolled
    from codes while it had none) get the IdP's period from today, at once rather than at
    the next hourly housekeeping."""
    identity = context(info).resources
    await passkey_store.end_open_ended_passkeys(
        db=identity.pool, today=identity.clock.today(), organisation_id=organisation
    )


async def provider_payload(
    info: Info[Any, Any], organisation: uuid.UUID
) -> IdentityProviderPayload:
    """The payload of a mutation that saved an organization's provider: the provider as stored."""
    identity = context(info).resources
    row = await store.get_provider(db=identity.pool, organisation_id=organisation)
    assert row is not None
    return IdentityProviderPayload(
        provider=IdentityProvider.from_row(row, identity.settings.network_id), errors=[]
    )


class ProviderFields(Protocol):
    """What an identity provider's input gives, its own or a shared issuer's."""

    display_name: str
    issuer: str
    client_id: str
    client_secret: str | None
    client_auth_method: ClientAuthMethod
    scopes: list[str]
    claim_rules: list[ClaimRuleInput]
    email_domains: list[str]
    enabled: bool


def raw_provider(input: ProviderFields, *, organisation: str) -> RawProvider:
    """The provider ``input`` describes, for ``organisation``, as the checks read it."""
    return RawProvider(
        organisation=organisation,
        display_name=input.display_name,
        issuer=input.issuer,
        client_id=input.client_id,
        client_secret=input.client_secret,
        client_auth_method=input.client_auth_method.value,
        scopes=input.scopes,
        claim_rules=[
            {"claim": rule.claim, "value": rule.value, "role": rule.role.value}
            for rule in input.claim_rules
        ],
        email_domains=input.email_domains,
        enabled=input.enabled,
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create or replace an organization's identity provider.")
    async def save_identity_provider(
        self, info: Info[Any, Any], input: IdentityProviderInput
    ) -> IdentityProviderPayload:
        require_role(info, "network_admin")
        identity = context(info).resources
        errors = InputErrors()
        raw = raw_provider(input, organisation=str(input.organisation_id))
        organisation = _organisation(raw.organisation, info, errors)
        existing = (
            await _editable(info, organisation, errors, "input.organisationId")
            if organisation
            else None
        )
        config = await checked_provider(info, raw, errors, secret_required=existing is None)
        if config is None or errors:
            return IdentityProviderPayload(provider=None, errors=errors.items)
        try:
            await configuration.save(
                identity.pool,
                identity.secrets,
                config,
                sealed_secret=existing.client_secret_sealed if existing else None,
            )
        except configuration.ConfigurationConflict as conflict:
            errors.add(f"input.{conflict.field}", conflict.message)
            return IdentityProviderPayload(provider=None, errors=errors.items)
        await bound_open_ended_passkeys(info, config.organisation_id)
        return await provider_payload(info, config.organisation_id)

    @strawberry.mutation(description="Switch sign-in through an organization's provider on or off.")
    async def set_identity_provider_enabled(
        self, info: Info[Any, Any], organisation_id: strawberry.ID, enabled: bool
    ) -> IdentityProviderPayload:
        require_role(info, "network_admin")
        identity = context(info).resources
        errors = InputErrors()
        organisation = _organisation(str(organisation_id), info, errors)
        row = (
            await _editable(info, organisation, errors, "organisationId") if organisation else None
        )
        if organisation and row is None and not errors:
            errors.add("organisationId", "This organization has no identity provider.")
        if errors or organisation is None:
            return IdentityProviderPayload(provider=None, errors=errors.items)
        await store.set_provider_enabled(
            db=identity.pool, organisation_id=organisation, enabled=enabled
        )
        return await provider_payload(info, organisation)

    @strawberry.mutation(description="Remove an organization's identity provider.")
    async def delete_identity_provider(
        self, info: Info[Any, Any], organisation_id: strawberry.ID
    ) -> DeletionPayload:
        require_role(info, "network_admin")
        identity = context(info).resources
        errors = InputErrors()
        organisation = _organisation(str(organisation_id), info, errors)
        if organisation:
            await _editable(info, organisation, errors, "organisationId")
        if errors or organisation is None:
            return DeletionPayload(deleted=False, errors=errors.items)
        deleted = await store.delete_provider(db=identity.pool, organisation_id=organisation)
        return DeletionPayload(deleted=deleted, errors=[])

    @strawberry.mutation(
        description="Sign with a new key from now on; earlier keys stay published until "
        "their tokens have expired, so nobody is signed out."
    )
    async def rotate_signing_key(self, info: Info[Any, Any]) -> SigningKeyRotation:
        require_role(info, "network_admin")
        identity = context(info).resources
        kid = await identity.keys.rotate(identity.pool)
        return SigningKeyRotation(
            active_kid=kid, published_kids=[key["kid"] for key in identity.keys.jwks()["keys"]]
        )
