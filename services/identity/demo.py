"""Demo data for identity: enrolment codes for a department that has no identity provider.

The demo departments' identity providers come from the development providers file
(`devidp/providers.toml`), applied at every start; signing keys are made at first start.
Kestrel Point PD has no provider: its officers enrol passkeys from the one-time codes
below (fictional, development only, each works once, valid a year from seeding).
"""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.demo import DEMO_DEPARTMENTS

from . import settings as identity_settings
from .passkeys import credentials
from .passkeys import store as passkey_store

DEMO_NO_IDP_DEPARTMENT = next(d for d in DEMO_DEPARTMENTS if d.name.startswith("Kestrel Point"))

# (code, roles, label): printed in the README's demo table
DEMO_ENROLLMENT_CODES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("DEM0-KPPD-0FFC-R000-0001", ("officer",), "Badge 101"),
    ("DEM0-KPPD-0FFC-R000-0002", ("officer",), "Badge 102"),
    ("DEM0-KPPD-0FFC-R000-0003", ("officer",), "Badge 103"),
    ("DEM0-KPPD-PEER-SPRT-0001", ("officer", "peer_supporter"), "Badge 110"),
    ("DEM0-KPPD-C0RD-NATR-0001", ("coordinator", "officer"), "Badge 120"),
    ("DEM0-KPPD-C1V1-1ANS-0001", ("civilian",), "Dispatch 7"),
)


async def seed(connection: asyncpg.Connection, *, clock: Clock = SYSTEM_CLOCK) -> bool:
    """Add the demo enrolment codes to an identity database that holds no passkey or code."""
    if await connection.fetchval(
        "SELECT (SELECT count(*) FROM enrollment_codes) + (SELECT count(*) FROM passkeys)"
    ):
        return False
    secrets_key = identity_settings.load().secrets_key.value
    key, label_key = credentials.code_key(secrets_key), credentials.label_key(secrets_key)
    expires_on = clock.today() + dt.timedelta(days=365)
    async with connection.transaction():
        for code, roles, label in DEMO_ENROLLMENT_CODES:
            await passkey_store.add_enrollment_codes(
                db=connection,
                codes=[
                    (
                        uuid.uuid4(),
                        credentials.code_digest(key, code),
                        credentials.label_digest(label_key, DEMO_NO_IDP_DEPARTMENT.id, label),
                    )
                ],
                organisation_id=DEMO_NO_IDP_DEPARTMENT.id,
                roles=list(roles),
                expires_on=expires_on,
            )
    return True
