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


class ConfigurationConflict(Exception):
    """Another organisation holds what a configuration asks for; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


ISSUER_TAKEN = (
    "Another organization already signs in with this issuer. One provider signs in one "
    "department here; a provider shared by several departments (a county's or a state's "
    "tenant) is set up by a network admin as a shared issuer, with a rule per department."
)
DOMAINS_TAKEN = "An email domain already selects another organization."


def issuer_taken_message(owner: store.ProviderRow) -> str:
    """Why an issuer cannot be given to another organisation, held by ``owner``."""
    if owner.shared:
        return (
            f"This issuer is the shared issuer {owner.display_name!r}; a network "
            "admin adds a department to it with the rule that says who belongs there."
        )
    return ISSUER_TAKEN


async def issuer_taken(pool: asyncpg.Pool, config: ProviderConfig) -> str | None:
    """Why ``config``'s issuer is not its to use (another organisation or shared issuer
    signs in with it), or None."""
    owner = await store.get_provider_by_issuer(db=pool, issuer=config.issuer)
    if owner is None or owner.organisation_id == config.organisation_id:
        return None
    return issuer_taken_message(owner)


# unique constraints whose violation means another organisation holds the value
_CONFLICTS = {
    "identity_providers_issuer": ("issuer", ISSUER_TAKEN),
    "provider_email_domains_pkey": ("emailDomains", DOMAINS_TAKEN),
}


async def save(
    pool: asyncpg.Pool, secrets: SecretBox, config: ProviderConfig, *, sealed_secret: bytes | None
) -> None:
    """Store ``config``; a None secret keeps ``sealed_secret`` (the stored one).

    Raises :class:`ConfigurationConflict` when another organisation took the issuer or an
    email domain after the checks (two saves at once): the database's constraints decide.
    """
    if config.client_secret is not None:
        sealed_secret = secrets.seal(config.client_secret.encode(), bound_to=secret_binding(config))
    assert sealed_secret is not None
    try:
        await _save(pool, config, sealed_secret)
    except asyncpg.UniqueViolationError as violation:
        conflict = _CONFLICTS.get(violation.constraint_name or "")
        if conflict is None:
            raise
        raise ConfigurationConflict(*conflict) from None


async def _save(pool: asyncpg.Pool, config: ProviderConfig, sealed_secret: bytes) -> None:
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
            shared=config.shared,
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
        route = await store.get_provider(db=pool, organisation_id=config.organisation_id)
        if route is not None and route.shared:
            raise ProvidersFileError(
                f"{settings.providers_file}: organisation {config.organisation_id} signs in "
                f"through the shared issuer {route.issuer}; remove it there first or from the file"
            )
        try:
            await save(pool, secrets, config, sealed_secret=None)
        except ConfigurationConflict as conflict:
            raise ProvidersFileError(
                f"{settings.providers_file}: {config.issuer} or an email domain of organisation "
                f"{config.organisation_id}: {conflict.message}"
            ) from None
    return len(configs)
