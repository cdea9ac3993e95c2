"""SQL of the identity service: identity providers, their proposals and signing keys.
Passkeys and enrolment codes are in passkeys/store.py."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from servicekit.database import Executor
from servicekit.rows import RowReader


@dataclass(frozen=True, slots=True)
class ClaimRule:
    """Upstream claim ``claim`` holding ``value`` (any value when None) grants ``role``."""

    claim: str
    value: str | None
    role: str

    def as_json(self) -> dict[str, Any]:
        return {"claim": self.claim, "value": self.value, "role": self.role}


@dataclass(frozen=True, slots=True)
class ProviderRow:
    organisation_id: UUID
    display_name: str
    issuer: str
    client_id: str
    client_secret_sealed: bytes
    client_auth_method: str
    scopes: tuple[str, ...]
    claim_rules: tuple[ClaimRule, ...]
    email_domains: tuple[str, ...]
    enabled: bool
    source: str
    updated_at: dt.datetime
    passkey_days: int
    # a shared issuer: signs in several departments, its claims say whose (organisation_id
    # is then the shared issuer's own id, not a department's)
    shared: bool = False


@dataclass(frozen=True, slots=True)
class SharedDepartment:
    """A department that signs in through a shared issuer: whoever's claim ``claim`` holds
    ``value`` belongs to it."""

    department_id: UUID
    shared_issuer_id: UUID
    display_name: str
    claim: str
    value: str


@dataclass(frozen=True, slots=True)
class SigningKeyRow:
    kid: str
    public_jwk: dict[str, Any]
    private_key_sealed: bytes
    created_at: dt.datetime
    activated_at: dt.datetime | None
    retired_at: dt.datetime | None


def _claim_rules(value: str) -> tuple[ClaimRule, ...]:
    return tuple(ClaimRule(**rule) for rule in json.loads(value))


_provider = RowReader(
    ProviderRow,
    alias="p",
    convert={
        "client_secret_sealed": bytes,
        "scopes": tuple,
        "claim_rules": _claim_rules,
        "email_domains": tuple,
    },
)
# a provider's email domains are rows of their own, gathered into one column
_PROVIDER_COLUMNS = _provider.columns.replace(
    "p.email_domains",
    "coalesce((SELECT array_agg(d.domain ORDER BY d.domain) FROM provider_email_domains d"
    " WHERE d.organisation_id = p.organisation_id), '{}') AS email_domains",
)
# identity providers ---------------------------------------------------------------------


async def get_provider(*, db: Executor, organisation_id: UUID) -> ProviderRow | None:
    """The provider an organisation signs in with: its own, or the shared issuer it belongs
    to (the shared issuer's row), or the shared issuer this id names."""
    row = await db.fetchrow(
        f"""
        SELECT {_PROVIDER_COLUMNS} FROM identity_providers p
        WHERE p.organisation_id = $1 OR p.organisation_id = (
            SELECT s.shared_issuer_id FROM shared_issuer_departments s WHERE s.department_id = $1)
        ORDER BY p.organisation_id = $1 DESC
        LIMIT 1
        """,  # noqa: S608 - a constant
        organisation_id,
    )
    return _provider(row) if row else None


async def get_provider_by_issuer(*, db: Executor, issuer: str) -> ProviderRow | None:
    """The organisation's provider or the shared issuer that signs in with ``issuer``."""
    row = await db.fetchrow(
        f"SELECT {_PROVIDER_COLUMNS} FROM identity_providers p WHERE p.issuer = $1",  # noqa: S608 - a constant
        issuer,
    )
    return _provider(row) if row else None


async def get_provider_by_email_domain(*, db: Executor, domain: str) -> ProviderRow | None:
    row = await db.fetchrow(
        f"""
        SELECT {_PROVIDER_COLUMNS} FROM identity_providers p
        JOIN provider_email_domains d ON d.organisation_id = p.organisation_id
        WHERE d.domain = $1
        """,  # noqa: S608 - a constant
        domain,
    )
    return _provider(row) if row else None


async def list_providers(*, db: Executor, shared: bool = False) -> list[ProviderRow]:
    """Organisations' own providers, or (``shared``) the shared issuers."""
    rows = await db.fetch(
        f"SELECT {_PROVIDER_COLUMNS} FROM identity_providers p WHERE p.shared = $1"  # noqa: S608 - a constant
        " ORDER BY p.display_name",
        shared,
    )
    return [_provider(row) for row in rows]


async def list_sign_in_choices(*, db: Executor, network_id: UUID) -> list[tuple[UUID, str]]:
    """Departments whose sign-in (their own or a shared issuer's) is switched on: id and
    display name, by name."""
    rows = await db.fetch(
        """
        SELECT organisation_id, display_name FROM identity_providers
        WHERE enabled AND NOT shared AND organisation_id <> $1
        UNION ALL
        SELECT s.department_id, s.display_name FROM shared_issuer_departments s
        JOIN identity_providers p ON p.organisation_id = s.shared_issuer_id
        WHERE p.enabled
        ORDER BY display_name, organisation_id
        """,
        network_id,
    )
    return [(row["organisation_id"], row["display_name"]) for row in rows]


async def domain_owners(*, db: Executor, domains: list[str]) -> dict[str, UUID]:
    """Which organisation already holds each of ``domains``."""
    rows = await db.fetch(
        "SELECT domain, organisation_id FROM provider_email_domains WHERE domain = ANY($1)",
        domains,
    )
    return {row["domain"]: row["organisation_id"] for row in rows}


async def save_provider(
    *,
    db: asyncpg.Connection | Any,
    organisation_id: UUID,
    display_name: str,
    issuer: str,
    client_id: str,
    client_secret_sealed: bytes,
    client_auth_method: str,
    scopes: list[str],
    claim_rules: list[ClaimRule],
    email_domains: list[str],
    enabled: bool,
    source: str,
    shared: bool = False,
) -> None:
    """Create or replace one organisation's provider (or a shared issuer) and its email
    domains, in a transaction; raises asyncpg's UniqueViolationError when another holds the
    issuer or a domain."""
    async with db.transaction():
        await db.execute(
            """
            INSERT INTO identity_providers (organisation_id, display_name, issuer, client_id,
                client_secret_sealed, client_auth_method, scopes, claim_rules, enabled, source,
                shared)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)
            ON CONFLICT (organisation_id) DO UPDATE SET
                display_name = excluded.display_name, issuer = excluded.issuer,
                client_id = excluded.client_id,
                client_secret_sealed = excluded.client_secret_sealed,
                client_auth_method = excluded.client_auth_method, scopes = excluded.scopes,
                claim_rules = excluded.claim_rules, enabled = excluded.enabled,
                source = excluded.source, updated_at = now()
            """,
            organisation_id,
            display_name,
            issuer,
            client_id,
            client_secret_sealed,
            client_auth_method,
            scopes,
            json.dumps([rule.as_json() for rule in claim_rules]),
            enabled,
            source,
            shared,
        )
        await db.execute(
            "DELETE FROM provider_email_domains WHERE organisation_id = $1", organisation_id
        )
        await db.executemany(
            "INSERT INTO provider_email_domains (domain, organisation_id) VALUES ($1, $2)",
            [(domain, organisation_id) for domain in email_domains],
        )


async def set_provider_enabled(*, db: Executor, organisation_id: UUID, enabled: bool) -> bool:
    status = await db.execute(
        "UPDATE identity_providers SET enabled = $2, updated_at = now() WHERE organisation_id = $1",
        organisation_id,
        enabled,
    )
    return bool(status == "UPDATE 1")


async def delete_provider(*, db: Executor, organisation_id: UUID) -> bool:
    status = await db.execute(
        "DELETE FROM identity_providers WHERE organisation_id = $1", organisation_id
    )
    return bool(status == "DELETE 1")


# departments of shared issuers -------------------------------------------------------------


_shared_department = RowReader(SharedDepartment)


async def list_shared_departments(
    *, db: Executor, shared_issuer_id: UUID | None = None
) -> list[SharedDepartment]:
    """The departments of one shared issuer (or of all), by name."""
    rows = await db.fetch(
        f"""
        SELECT {_shared_department.columns} FROM shared_issuer_departments
        WHERE $1::uuid IS NULL OR shared_issuer_id = $1
        ORDER BY display_name, department_id
        """,  # noqa: S608 - constants
        shared_issuer_id,
    )
    return [_shared_department(row) for row in rows]


async def save_shared_department(*, db: Executor, department: SharedDepartment) -> None:
    """Add a department to a shared issuer, or change its rule or issuer; raises asyncpg's
    UniqueViolationError when another department of the issuer has the same rule."""
    await db.execute(
        """
        INSERT INTO shared_issuer_departments
            (department_id, shared_issuer_id, display_name, claim, value)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (department_id) DO UPDATE SET
            shared_issuer_id = excluded.shared_issuer_id, display_name = excluded.display_name,
            claim = excluded.claim, value = excluded.value
        """,
        department.department_id,
        department.shared_issuer_id,
        department.display_name,
        department.claim,
        department.value,
    )


async def delete_shared_department(*, db: Executor, department_id: UUID) -> bool:
    status = await db.execute(
        "DELETE FROM shared_issuer_departments WHERE department_id = $1", department_id
    )
    return bool(status == "DELETE 1")


# signing keys -----------------------------------------------------------------------------


_signing_key = RowReader(
    SigningKeyRow, convert={"public_jwk": json.loads, "private_key_sealed": bytes}
)


async def list_signing_keys(*, db: Executor, published_after: dt.datetime) -> list[SigningKeyRow]:
    """The next, the active and the keys retired after ``published_after``, newest first."""
    rows = await db.fetch(
        f"""
        SELECT {_signing_key.columns} FROM signing_keys
        WHERE retired_at IS NULL OR retired_at > $1
        ORDER BY created_at DESC
        """,  # noqa: S608 - constants
        published_after,
    )
    return [_signing_key(row) for row in rows]


async def create_signing_key(
    *, db: Executor, kid: str, public_jwk: dict[str, Any], private_key_sealed: bytes
) -> None:
    """Add the next key: published now, signing from the next rotation."""
    await db.execute(
        "INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_sealed)"
        " VALUES ($1, 'ES256', $2::jsonb, $3) ON CONFLICT DO NOTHING",
        kid,
        json.dumps(public_jwk),
        private_key_sealed,
    )


async def promote_next_signing_key(*, db: asyncpg.Connection | Any) -> str | None:
    """Retire the active key and activate the next one; returns its kid (None: no next)."""
    async with db.transaction():
        await db.execute(
            "UPDATE signing_keys SET retired_at = now()"
            " WHERE activated_at IS NOT NULL AND retired_at IS NULL"
            " AND EXISTS (SELECT 1 FROM signing_keys WHERE activated_at IS NULL)"
        )
        kid: str | None = await db.fetchval(
            "UPDATE signing_keys SET activated_at = now() WHERE activated_at IS NULL RETURNING kid"
        )
        return kid


async def delete_expired_signing_keys(*, db: Executor, retired_before: dt.datetime) -> int:
    """Forget keys no unexpired token can carry any more."""
    status = await db.execute(
        "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1", retired_before
    )
    return int(status.split()[-1])


# proposed providers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProposedSettings:
    """A proposed provider's settings, its client secret apart (kept sealed beside them)."""

    display_name: str
    issuer: str
    client_id: str
    client_auth_method: str
    scopes: tuple[str, ...]
    claim_rules: tuple[ClaimRule, ...]
    email_domains: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "display_name": self.display_name,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_auth_method": self.client_auth_method,
            "scopes": list(self.scopes),
            "claim_rules": [rule.as_json() for rule in self.claim_rules],
            "email_domains": list(self.email_domains),
        }

    @classmethod
    def from_json(cls, settings: dict[str, Any]) -> ProposedSettings:
        return cls(
            display_name=settings["display_name"],
            issuer=settings["issuer"],
            client_id=settings["client_id"],
            client_auth_method=settings["client_auth_method"],
            scopes=tuple(settings["scopes"]),
            claim_rules=tuple(ClaimRule(**rule) for rule in settings["claim_rules"]),
            email_domains=tuple(settings["email_domains"]),
        )


@dataclass(frozen=True, slots=True)
class ProposalRow:
    organisation_id: UUID
    settings: ProposedSettings
    client_secret_sealed: bytes


def _proposed_settings(value: str) -> ProposedSettings:
    return ProposedSettings.from_json(json.loads(value))


_proposal = RowReader(
    ProposalRow, convert={"settings": _proposed_settings, "client_secret_sealed": bytes}
)


async def save_proposal(
    *,
    db: Executor,
    organisation_id: UUID,
    settings: ProposedSettings,
    client_secret_sealed: bytes,
) -> None:
    """Create or replace a department's proposed provider."""
    await db.execute(
        """
        INSERT INTO provider_proposals (organisation_id, settings, client_secret_sealed)
        VALUES ($1, $2::jsonb, $3)
        ON CONFLICT (organisation_id) DO UPDATE SET
            settings = excluded.settings, client_secret_sealed = excluded.client_secret_sealed
        """,
        organisation_id,
        json.dumps(settings.as_json()),
        client_secret_sealed,
    )


async def list_proposals(*, db: Executor, organisation_id: UUID | None = None) -> list[ProposalRow]:
    rows = await db.fetch(
        f"SELECT {_proposal.columns} FROM provider_proposals"  # noqa: S608 - constants
        " WHERE $1::uuid IS NULL OR organisation_id = $1 ORDER BY settings->>'display_name'",
        organisation_id,
    )
    return [_proposal(row) for row in rows]


async def delete_proposal(*, db: Executor, organisation_id: UUID) -> bool:
    status = await db.execute(
        "DELETE FROM provider_proposals WHERE organisation_id = $1", organisation_id
    )
    return bool(status == "DELETE 1")
