"""A coordinator's label ("Badge 101") names a person, so identity never writes it: codes and
passkeys keep a keyed digest of it, which is all revoking by label needs. Not a row, not the
WAL, not the coordinator's list holds the label itself."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from servicekit.migrations import apply_migrations
from services.identity.passkeys import credentials as passkeys
from tests.privacy.leaks import table_texts
from tests.services.identity.conftest import Stack
from tests.services.identity.test_passkey_periods import add_passkey
from tests.services.identity.test_passkeys import (
    KESTREL,
    REVOKE,
    admin_codes,
    authenticator,
    enroll,
    passkey_sign_in,
)
from tests.services.identity.test_providers import graphql, token_of
from tests.support.database import TemplateDatabases, recreate
from tests.support.graphql import running
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.registry import service_named

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

WITHDRAW = """
mutation Withdraw($d: ID, $label: String) {
  withdrawEnrollmentCodes(departmentId: $d, label: $label) { revoked errors { field message } }
}
"""


async def _wal_bytes(database_url: str) -> bytes | None:
    """Every WAL segment the database server keeps, or None when they are not on this machine."""
    connection = await asyncpg.connect(database_url)
    try:
        folder = Path(await connection.fetchval("SHOW data_directory")) / "pg_wal"
    finally:
        await connection.close()
    if not folder.is_dir():
        return None
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())


async def test_no_label_is_written_in_the_clear_yet_revoking_by_label_works(stack: Stack) -> None:
    marker = f"Badge {uuid.uuid4().hex[:10]}"
    unused = f"Badge {uuid.uuid4().hex[:10]}"
    enrolled_code, _ = await admin_codes(stack, marker, unused)
    first, second = authenticator(stack), authenticator(stack)
    async with stack.browser() as browser:
        assert (await enroll(browser, first, enrolled_code)).status_code == 200
        # a passkey added from it keeps what revoking by its label needs
        assert (await add_passkey(browser, second)).status_code == 200

    rows = await table_texts(stack.identity_database, "identity")
    assert not [where for where, text in rows if marker in text or unused in text]
    wal = await _wal_bytes(stack.identity_database)
    if wal is not None:
        assert marker.encode() not in wal
        assert unused.encode() not in wal

    admin = await token_of(stack, "alex.tarrant@staff.wnwa.example")
    listed = await graphql(
        stack,
        "query ($d: ID) { passkeys(departmentId: $d) { id handle roles validUntil }"
        " enrollmentCodes(departmentId: $d) { id handle roles expiresOn } }",
        {"d": str(KESTREL.id)},
        admin,
    )
    assert "errors" not in listed, listed
    handles = {p["handle"] for p in listed["data"]["passkeys"]}
    assert all(len(handle) == 12 for handle in handles)
    assert {p["id"][:12] for p in listed["data"]["passkeys"]} == handles
    no_label = await graphql(stack, "{ passkeys { label } }", {}, admin)
    assert "label" in no_label["errors"][0]["message"]

    # typed again by the coordinator, in another case and spacing: the same label
    revoked = await graphql(
        stack,
        REVOKE,
        {"input": {"departmentId": str(KESTREL.id), "label": f"  {marker.upper()} "}},
        admin,
    )
    assert revoked["data"]["revokePasskeys"] == {"revoked": 2, "errors": []}
    for device in (first, second):
        async with stack.browser() as browser:
            assert (await passkey_sign_in(browser, device)).status_code == 401
    withdrawn = await graphql(stack, WITHDRAW, {"d": str(KESTREL.id), "label": unused}, admin)
    assert withdrawn["data"]["withdrawEnrollmentCodes"] == {"revoked": 1, "errors": []}
    both = await graphql(
        stack,
        "mutation ($d: ID, $id: ID!) {"
        ' withdrawEnrollmentCodes(departmentId: $d, ids: [$id], label: "x")'
        " { revoked errors { field message } } }",
        {"d": str(KESTREL.id), "id": str(uuid.uuid4())},
        admin,
    )
    assert both["data"]["withdrawEnrollmentCodes"]["errors"][0]["field"] == "label"


async def test_labels_of_an_older_installation_become_digests(
    databases: TemplateDatabases, issuer: TokenIssuer, tmp_path: Path
) -> None:
    identity = service_named("identity")
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(identity.migrations.glob("*.sql"))[:6]:  # up to 0006, as deployed
        shutil.copy(path, before)
    database_url = await recreate(databases.server_url, f"test_identity_labels_{uuid.uuid4().hex}")
    department, credential, code = uuid.uuid4(), uuid.uuid4().bytes * 2, uuid.uuid4()
    connection = await asyncpg.connect(database_url)
    try:
        await apply_migrations(connection, before)
        await connection.execute(
            "INSERT INTO passkeys (credential_id, public_key, organisation_id, roles, label,"
            " valid_until, handle_digest) VALUES ($1, '\\xa5', $2, '{officer}', 'Badge 101',"
            " NULL, $3)",
            credential,
            department,
            bytes(32),
        )
        await connection.execute(
            "INSERT INTO enrollment_codes (id, code_digest, organisation_id, roles, label,"
            " expires_on) VALUES ($1, $2, $3, '{officer}', 'Badge 102', '2999-01-01')",
            code,
            bytes(32),
            department,
        )
        await apply_migrations(connection, identity.migrations)
        columns = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_name IN ('passkeys', 'enrollment_codes') AND column_name LIKE 'label%'"
        )
        assert {(row["table_name"], row["column_name"]) for row in columns} == {
            ("passkeys", "label_digest"),
            ("enrollment_codes", "label_digest"),
        }
        settings = identity.module("settings").load(
            {
                "WNWA_ENV": "test",
                "WNWA_IDENTITY_DATABASE_URL": database_url,
                "WNWA_JWKS_URL": issuer.jwks_url,
                "WNWA_TOKEN_ISSUER": ISSUER,
            }
        )
        async with running(identity.module("app").create_app(settings)):
            # the housekeeping at start digests the labels the migration set aside
            for _ in range(200):
                if await connection.fetchval(
                    "SELECT label_digest FROM passkeys WHERE credential_id = $1", credential
                ):
                    break
                await asyncio.sleep(0.05)
        key = passkeys.label_key(settings.secrets_key.value)
        assert await connection.fetchval(
            "SELECT label_digest FROM passkeys WHERE credential_id = $1", credential
        ) == passkeys.label_digest(key, department, "badge 101")
        assert await connection.fetchval(
            "SELECT label_digest FROM enrollment_codes WHERE id = $1", code
        ) == passkeys.label_digest(key, department, "BADGE  102")
        rows = await table_texts(database_url, "identity")
        assert not [where for where, text in rows if "Badge 10" in text]
    finally:
        await connection.close()
