"""Saving provider configuration: from the providers file at start, or from an admin."""

from __future__ import annotations

import asyncpg

from servicekit.graphql import InputErrors

from . import store
from .oidc import RelyingParty, SignInProblem
from .providers import ProviderConfig, ProvidersFileError, load_file
from .sealing import SecretBox
from .settings import IdentitySettings


def secret_binding(config_or_id: object) -> str:
    organisation = getattr(config_or_id, "organisation_id", config_or_id)
    return f"client-secret:{organisation}"


async def save(
    pool: asyncpg.Pool, secrets: SecretBox, config: ProviderConfig, *, sealed_secret: bytes | None
) -> None:
    """Store ``config``; a None secret keeps ``sealed_secret`` (the stored one)."""
    if config.client_secret is not None:
        sealed_secret = secrets.seal(config.client_secret.encode(), bound_to=secret_binding(config))
    assert sealed_secret is not None
    async with pool.acquire() as connection:
        await store.save_provider(
            db=connection,
            organisation_id=config.organisation_id,
            display_name=config.display_name,
            issuer=config.issuer,
            client_id=config.client_id,
            client_secret_sealed=sealed_secret,
            client_auth_method=config.client_auth_method,
            scopes=config.scopes,
            claim_rules=config.claim_rules,
            email_domains=config.email_domains,
            enabled=config.enabled,
            source=config.source,
        )


async def check_against_provider(
    relying_party: RelyingParty, config: ProviderConfig, errors: InputErrors, *, prefix: str
) -> None:
    """Fetch discovery: exact issuer, code flow, S256, a usable client authentication."""
    try:
        metadata = await relying_party.discover(config.issuer, fresh=True)
    except SignInProblem as problem:
        errors.add(f"{prefix}issuer", str(problem))
        return
    if config.client_auth_method not in metadata.auth_methods:
        errors.add(
            f"{prefix}clientAuthMethod",
            f"The provider accepts only {', '.join(metadata.auth_methods)}.",
        )


async def domains_taken(pool: asyncpg.Pool, config: ProviderConfig) -> list[str]:
    owners = await store.domain_owners(db=pool, domains=config.email_domains)
    return sorted(d for d, owner in owners.items() if owner != config.organisation_id)


async def apply_providers_file(
    settings: IdentitySettings, pool: asyncpg.Pool, secrets: SecretBox
) -> int:
    """Replace the file-declared providers with the file's; refuses to start on an error.

    The file is checked for shape at start; each provider's discovery document is checked
    at sign-in (a provider that is down must not stop identity from starting).
    """
    if settings.providers_file is None:
        return 0
    configs = load_file(
        settings.providers_file,
        network_id=settings.network_id,
        allow_http_loopback=settings.service.deployment != "production",
    )
    declared = {config.organisation_id for config in configs}
    for row in await store.list_providers(db=pool):
        if row.source == "file" and row.organisation_id not in declared:
            await store.delete_provider(db=pool, organisation_id=row.organisation_id)
        elif row.source == "admin" and row.organisation_id in declared:
            raise ProvidersFileError(
                f"{settings.providers_file}: organisation {row.organisation_id} is managed by "
                "network admins; remove it there first or from the file"
            )
    for config in configs:
        taken = await domains_taken(pool, config)
        if taken:
            raise ProvidersFileError(
                f"{settings.providers_file}: email domain(s) {', '.join(taken)} belong to another"
                " organisation"
            )
        await save(pool, secrets, config, sealed_secret=None)
    return len(configs)
