"""Demo data for professionals (filled in below)."""

from __future__ import annotations

import asyncpg


async def seed(connection: asyncpg.Connection) -> bool:
    return False
