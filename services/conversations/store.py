"""SQL of the conversations service: supporters' messaging devices, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from servicekit.database import Executor
from servicekit.rows import RowReader


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """Where a device is pushed (RFC 8030) and the keys its pushes are sealed to (RFC 8291)."""

    endpoint: str
    p256dh: bytes
    auth: bytes


@dataclass(frozen=True, slots=True)
class DeviceRow:
    supporter_id: UUID
    owner_subject: str
    public_key: bytes
    push_endpoint: str | None
    push_p256dh: bytes | None
    push_auth: bytes | None
    push_off_call: bool

    @property
    def push(self) -> PushSubscription | None:
        if self.push_endpoint is None or self.push_p256dh is None or self.push_auth is None:
            return None
        return PushSubscription(self.push_endpoint, self.push_p256dh, self.push_auth)


_device = RowReader(DeviceRow)


async def get(*, db: Executor, supporter_id: UUID) -> DeviceRow | None:
    record = await db.fetchrow(
        f"SELECT {_device.columns} FROM messaging_devices WHERE supporter_id = $1",  # noqa: S608
        supporter_id,
    )
    return None if record is None else _device(record)


async def get_many(*, db: Executor, supporter_ids: list[UUID]) -> list[DeviceRow]:
    records = await db.fetch(
        f"SELECT {_device.columns} FROM messaging_devices"  # noqa: S608
        " WHERE supporter_id = ANY($1::uuid[]) ORDER BY supporter_id",
        supporter_ids,
    )
    return [_device(record) for record in records]


async def publish_key(
    *, pool: asyncpg.Pool, supporter_id: UUID, owner_subject: str, public_key: bytes
) -> bool:
    """Record the supporter's device key; True when it replaced another key (a new device:
    the old device's push subscription goes with it)."""
    async with pool.acquire() as db, db.transaction():
        await db.execute(
            "DELETE FROM messaging_devices WHERE owner_subject = $1 AND supporter_id <> $2",
            owner_subject,
            supporter_id,
        )
        old = await db.fetchval(
            "SELECT public_key FROM messaging_devices WHERE supporter_id = $1", supporter_id
        )
        await db.execute(
            """
            INSERT INTO messaging_devices (supporter_id, owner_subject, public_key)
            VALUES ($1, $2, $3)
            ON CONFLICT (supporter_id) DO UPDATE SET
                owner_subject = EXCLUDED.owner_subject,
                public_key = EXCLUDED.public_key,
                push_endpoint = CASE WHEN messaging_devices.public_key = EXCLUDED.public_key
                    THEN messaging_devices.push_endpoint END,
                push_p256dh = CASE WHEN messaging_devices.public_key = EXCLUDED.public_key
                    THEN messaging_devices.push_p256dh END,
                push_auth = CASE WHEN messaging_devices.public_key = EXCLUDED.public_key
                    THEN messaging_devices.push_auth END
            """,
            supporter_id,
            owner_subject,
            public_key,
        )
    return old is not None and bytes(old) != public_key


async def set_push(
    *,
    db: Executor,
    supporter_id: UUID,
    owner_subject: str,
    subscription: PushSubscription | None,
    off_call: bool,
) -> bool:
    """Set (or with None, remove) the device's push subscription; False without a device."""
    status = await db.execute(
        """
        UPDATE messaging_devices
        SET push_endpoint = $3, push_p256dh = $4, push_auth = $5, push_off_call = $6
        WHERE supporter_id = $1 AND owner_subject = $2
        """,
        supporter_id,
        owner_subject,
        subscription.endpoint if subscription else None,
        subscription.p256dh if subscription else None,
        subscription.auth if subscription else None,
        off_call and subscription is not None,
    )
    return bool(status == "UPDATE 1")


async def forget_push(*, db: Executor, supporter_id: UUID, endpoint: str) -> None:
    """The push service said the subscription is gone (404/410): stop pushing to it."""
    await db.execute(
        "UPDATE messaging_devices SET push_endpoint = NULL, push_p256dh = NULL,"
        " push_auth = NULL, push_off_call = false"
        " WHERE supporter_id = $1 AND push_endpoint = $2",
        supporter_id,
        endpoint,
    )
