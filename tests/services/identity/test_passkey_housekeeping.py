"""identity's housekeeping forgets what no longer opens anything — enrolment codes past their
last day, passkeys lapsed for longer than a renewal may come — and gives passkeys without an
end in departments with an IdP that IdP's period; by the service's clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import uuid

import asyncpg

from servicekit.clock import FixedClock
from services.identity.passkeys import store as passkey_store
from tests.support.database import TemplateDatabases
from tests.support.graphql import running
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.registry import service_named

# years from the real date: only the service's own clock can make these rows expire
TODAY = dt.date(2031, 5, 10)
RENEWABLE = dt.timedelta(days=passkey_store.RENEWABLE_DAYS)


def tag(name: str) -> bytes:
    """A 32-byte stand-in for a label's digest, to tell the rows apart."""
    return hashlib.sha256(name.encode()).digest()


async def test_expired_codes_and_long_lapsed_passkeys_are_forgotten_by_the_clock(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    identity = service_named("identity")
    database_url = await databases.fresh("identity", identity.migrations)
    department = uuid.uuid4()
    codes = {
        "expired yesterday": TODAY - dt.timedelta(days=1),
        "last day today": TODAY,
        "next week": TODAY + dt.timedelta(days=7),
    }
    passkeys: dict[str, dt.date | None] = {
        "lapsed too long ago": TODAY - RENEWABLE - dt.timedelta(days=1),
        "still renewable": TODAY - RENEWABLE,
        "lapsed yesterday": TODAY - dt.timedelta(days=1),
        "valid today": TODAY,
        "until revoked": None,
    }
    with_idp = uuid.uuid4()  # a department whose IdP came after its coordinator's codes
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO identity_providers (organisation_id, display_name, issuer, client_id,"
            " client_secret_sealed, client_auth_method, scopes, source, passkey_days)"
            " VALUES ($1, 'Test PD', 'https://idp.example', 'wnwa', '\\x00',"
            " 'client_secret_basic', '{openid}', 'admin', 21)",
            with_idp,
        )
        await connection.execute(
            "INSERT INTO passkeys (credential_id, public_key, organisation_id, roles,"
            " valid_until, handle_digest) VALUES ($1, $2, $3, '{officer}', NULL, $4)",
            os.urandom(32),
            b"\xa5",
            with_idp,
            os.urandom(32),
        )
        for label, expires_on in codes.items():
            await connection.execute(
                "INSERT INTO enrollment_codes (id, code_digest, organisation_id, roles,"
                " label_digest, expires_on) VALUES ($1, $2, $3, '{officer}', $4, $5)",
                uuid.uuid4(),
                os.urandom(32),
                department,
                tag(label),
                expires_on,
            )
        for label, valid_until in passkeys.items():
            await connection.execute(
                "INSERT INTO passkeys (credential_id, public_key, organisation_id, roles,"
                " label_digest, valid_until, handle_digest)"
                " VALUES ($1, $2, $3, '{officer}', $4, $5, $6)",
                os.urandom(32),
                b"\xa5",
                department,
                tag(label),
                valid_until,
                os.urandom(32),
            )
        settings = identity.module("settings").load(
            {
                "WNWA_ENV": "test",
                "WNWA_IDENTITY_DATABASE_URL": database_url,
                "WNWA_JWKS_URL": issuer.jwks_url,
                "WNWA_TOKEN_ISSUER": ISSUER,
            }
        )
        clock = FixedClock(dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC))
        app = identity.module("app").create_app(settings, clock=clock)
        async with running(app):
            for _ in range(200):  # housekeeping runs as the service starts; this is its last step
                if await connection.fetchval(
                    "SELECT valid_until FROM passkeys WHERE organisation_id = $1", with_idp
                ):
                    break
                await asyncio.sleep(0.05)
            code_labels = await connection.fetch("SELECT label_digest FROM enrollment_codes")
            passkey_labels = await connection.fetch(
                "SELECT label_digest FROM passkeys WHERE organisation_id = $1", department
            )
            bounded = await connection.fetchval(
                "SELECT valid_until FROM passkeys WHERE organisation_id = $1", with_idp
            )
    finally:
        await connection.close()
    assert {row["label_digest"] for row in code_labels} == {
        tag("last day today"),
        tag("next week"),
    }
    assert {row["label_digest"] for row in passkey_labels} == {
        tag("lapsed yesterday"),
        tag("still renewable"),
        tag("until revoked"),
        tag("valid today"),
    }
    # the department without an IdP keeps its passkey without an end; this one gets its period
    assert bounded == TODAY + dt.timedelta(days=21)
