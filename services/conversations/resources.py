"""What a conversations process holds while it runs: the relay, the marks its limits are
counted with, the directory it asks, and the pusher."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from servicekit.app import Running
from servicekit.clock import Clock
from servicekit.digests import keyed_digest
from servicekit.ephemeral import EphemeralMarks
from servicekit.peers import PeerClient

from . import store
from .push import Pusher, PushRefused
from .relay import Conversation, Relay
from .settings import ConversationsSettings, Limits

logger = logging.getLogger("wnwa.conversations")
_PERSON = b"wnwa conversations person"

_MY_PROFILE = "query ConversationsMyProfile { myPeerSupporterProfile { id active } }"
_SUPPORTER = (
    "query ConversationsSupporter($id: ID!) { peerSupporter(id: $id) { availableNow active } }"
)
# at most one notice per conversation this often: a flood of messages is one push
_PUSH_EVERY = dt.timedelta(seconds=60)
_SWEEP_SECONDS = 15.0


class Directory:
    """Asks directory, with the caller's own token, what it would tell the caller."""

    def __init__(self, client: PeerClient) -> None:
        self.client = client

    async def my_profile(self, token: str) -> UUID | None:
        """The caller's own active supporter profile, if they have one."""
        data = await self.client.query(_MY_PROFILE, token=token)
        profile = data.get("myPeerSupporterProfile")
        if not isinstance(profile, dict) or profile.get("active") is not True:
            return None
        return UUID(str(profile["id"]))

    async def on_call(self, supporter_id: UUID, token: str) -> bool | None:
        """Whether the supporter is on call now; None when the caller cannot see them."""
        data = await self.client.query(_SUPPORTER, {"id": str(supporter_id)}, token=token)
        supporter = data.get("peerSupporter")
        if not isinstance(supporter, dict) or supporter.get("active") is not True:
            return None
        return supporter.get("availableNow") is True


@dataclass(slots=True)
class ConversationsResources:
    relay: Relay
    marks: EphemeralMarks
    directory: Directory
    pusher: Pusher
    pool: asyncpg.Pool
    clock: Clock
    limits: Limits
    push_hosts: tuple[str, ...]
    # keys the digest a person is known by: derived from the service's own secret, so the
    # database, which sees the marks' lock keys in ``pg_locks``, cannot compute them from a
    # pseudonym it knows (to see who opened conversations this hour, or was reported)
    person_key: bytes
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def person(self, subject: str) -> bytes:
        """How the relay and the limits know a person without their pseudonym (memory and
        the lock table only, never logged)."""
        return keyed_digest(self.person_key, subject.encode())

    # limits, counted in memory across every process (advisory locks) ----------------------

    async def claim_open(self, officer: bytes, now: dt.datetime) -> bool:
        """One of the officer's conversations for this hour; False when all are taken."""
        hour = now.replace(minute=0, second=0, microsecond=0)
        marks = [
            officer + hour.isoformat().encode() + bytes([slot])
            for slot in range(self.limits.opens_per_hour)
        ]
        until = hour + dt.timedelta(hours=1)
        return await self.marks.claim_one_of("conversations-opened", marks, until) is not None

    async def strike(self, officer: bytes, now: dt.datetime) -> None:
        """One report against the officer, held for ``pause_seconds``."""
        until = now + dt.timedelta(seconds=self.limits.pause_seconds)
        await self.marks.claim_one_of("conversations-reported", self._strikes(officer), until)

    async def paused(self, officer: bytes) -> bool:
        """Whether enough reports stand against the officer to refuse new conversations."""
        held = await self.marks.count_held("conversations-reported", self._strikes(officer))
        return held >= self.limits.reports_before_pause

    def _strikes(self, officer: bytes) -> list[bytes]:
        return [officer + bytes([slot]) for slot in range(self.limits.reports_before_pause)]

    # telling the supporter -------------------------------------------------------------

    def notify(self, conversation: Conversation, device: store.DeviceRow, *, on_call: bool) -> None:
        """Push the notice when no page of the supporter is open to take the event."""
        subscription = device.push
        if subscription is None or self.relay.is_watched(conversation.supporter_id):
            return
        if not (on_call or device.push_off_call):
            return
        now = self.clock.now()
        if conversation.pushed_at is not None and conversation.pushed_at + _PUSH_EVERY > now:
            return
        conversation.pushed_at = now
        task = asyncio.create_task(self._push(conversation.supporter_id, subscription))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def notify_later(self, conversation: Conversation, token: str) -> None:
        """After an officer's message: the same rule, asking directory whether the
        supporter is on call only when a push could follow."""
        if self.relay.is_watched(conversation.supporter_id):
            return
        now = self.clock.now()
        if conversation.pushed_at is not None and conversation.pushed_at + _PUSH_EVERY > now:
            return
        device = await store.get(db=self.pool, supporter_id=conversation.supporter_id)
        if device is None or device.push is None:
            return
        on_call = device.push_off_call
        if not on_call:
            with contextlib.suppress(Exception):
                on_call = bool(await self.directory.on_call(conversation.supporter_id, token))
        self.notify(conversation, device, on_call=on_call)

    async def _push(self, supporter_id: UUID, subscription: store.PushSubscription) -> None:
        try:
            await self.pusher.notify(subscription)
        except PushRefused:
            await store.forget_push(
                db=self.pool, supporter_id=supporter_id, endpoint=subscription.endpoint
            )
        except Exception as failure:  # a push is best effort; the class alone is logged
            logger.warning("a push failed (%s)", type(failure).__name__)

    async def settle(self) -> None:
        """Wait for the pushes under way (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def sweep_regularly(self) -> None:
        while True:
            await asyncio.sleep(_SWEEP_SECONDS)
            self.relay.sweep()


def opener(settings: ConversationsSettings):  # type: ignore[no-untyped-def]
    """The service's ``resources=``: everything above, for as long as the service runs."""

    @contextlib.asynccontextmanager
    async def resources(running: Running[None]) -> AsyncIterator[ConversationsResources]:
        async with EphemeralMarks(settings.service.database_url.value, running.clock) as marks:
            held = ConversationsResources(
                relay=Relay(settings.limits, running.clock),
                marks=marks,
                directory=Directory(
                    PeerClient(running.http, settings.directory_url, peer="directory")
                ),
                pusher=Pusher(
                    running.http, settings.vapid_private_key.value, settings.vapid_subject
                ),
                pool=running.pool,
                clock=running.clock,
                limits=settings.limits,
                push_hosts=settings.push_hosts,
                person_key=keyed_digest(settings.vapid_private_key.value.encode(), _PERSON),
            )
            sweeper = asyncio.create_task(held.sweep_regularly())
            try:
                yield held
            finally:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
                await held.settle()

    return resources
