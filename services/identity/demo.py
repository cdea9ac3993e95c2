"""Demo data for identity: none to insert.

The demo departments' identity providers come from the development providers file
(`devidp/providers.toml`), applied at every start; signing keys are made at first start.
"""

from __future__ import annotations

import asyncpg


async def seed(connection: asyncpg.Connection) -> bool:
    """Nothing to seed; returns False."""
    return False
