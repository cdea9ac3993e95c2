"""Demo data for conversations: none. A supporter's device publishes its own key."""

from __future__ import annotations

import asyncpg


async def seed(connection: asyncpg.Connection) -> bool:
    """Nothing to seed (a device's key is made on the device); always False."""
    return False
