"""The conversations one process holds, in memory only.

Every conversation with a supporter lives in the one process the gateway routes that
supporter to (docs/conversations.md, "Several processes"), so a message never has to cross
anything durable: it waits here, sealed, until its reader's stream takes it or ``hold``
passes, and then it is gone. A restart loses what was waiting. Nothing here names an
officer: a conversation knows its officer by a digest of their pseudonym, which only the
officer's own requests reproduce.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from servicekit.clock import Clock

from .settings import Limits

Side = Literal["officer", "supporter"]
_SIDES: tuple[Side, Side] = ("officer", "supporter")
Event = dict[str, Any]
# events a stream may have queued before it is dropped as not reading
_STREAM_BACKLOG = 256


class Refused(Exception):
    """What a person asked cannot be done; the message says why and is safe to show."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Sealed:
    """One message as the relay sees it: a number, an IV and ciphertext it cannot read."""

    seq: int
    iv: str
    ciphertext: str


class Stream:
    """One open stream of events to a reader (a page's SSE connection)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(_STREAM_BACKLOG)

    def offer(self, event: Event | None) -> bool:
        """Hand ``event`` over; False when the reader has fallen too far behind."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    def finish(self) -> None:
        """End the stream after what it holds (None marks the end)."""
        if not self.offer(None):
            self.close()

    def close(self) -> None:
        """End the stream now, dropping what it holds."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


@dataclass(slots=True)
class _Waiting:
    event: Event
    until: dt.datetime


@dataclass(slots=True)
class Conversation:
    id: str
    supporter_id: UUID
    officer: bytes  # a digest of the officer's pseudonym, never the pseudonym
    supporter: bytes  # the same digest of the supporter's
    officer_key: str  # the officer's key for this conversation (raw P-256, base64url)
    supporter_key: str  # the supporter's device key it was opened to
    last_activity: dt.datetime
    next_seq: dict[Side, int] = field(default_factory=lambda: {"officer": 0, "supporter": 0})
    waiting: dict[Side, deque[_Waiting]] = field(
        default_factory=lambda: {"officer": deque(), "supporter": deque()}
    )
    officer_streams: set[Stream] = field(default_factory=set)
    ended: bool = False
    pushed_at: dt.datetime | None = None  # the last notice pushed for it


@dataclass(slots=True)
class _Supporter:
    conversations: set[str] = field(default_factory=set)
    streams: set[Stream] = field(default_factory=set)
    # officers this supporter blocked (digests), until when; memory only
    blocked: dict[bytes, dt.datetime] = field(default_factory=dict)


class Relay:
    """Opens, carries and ends conversations; hands each event to its reader's streams."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        self._conversations: dict[str, Conversation] = {}
        self._supporters: dict[UUID, _Supporter] = {}

    # opening and ending ------------------------------------------------------------------

    def open(
        self,
        *,
        supporter_id: UUID,
        supporter_key: str,
        supporter: bytes,
        officer: bytes,
        officer_key: str,
        first: Sealed,
    ) -> Conversation:
        """A new conversation carrying the officer's first message (sequence 0)."""
        now = self.clock.now()
        inbox = self._supporters.setdefault(supporter_id, _Supporter())
        until = inbox.blocked.get(officer)
        if until is not None and until > now:
            raise Refused("This supporter is not taking messages from you.", 403)
        open_now = sum(1 for c in inbox.conversations if not self._conversations[c].ended)
        if open_now >= self.limits.open_per_supporter:
            raise Refused("This supporter has too many conversations open; try another.", 429)
        if first.seq != 0:
            raise Refused("A conversation starts with message 0.")
        conversation = Conversation(
            id=secrets.token_urlsafe(18),
            supporter_id=supporter_id,
            officer=officer,
            supporter=supporter,
            officer_key=officer_key,
            supporter_key=supporter_key,
            last_activity=now,
        )
        self._conversations[conversation.id] = conversation
        inbox.conversations.add(conversation.id)
        conversation.next_seq["officer"] = 1
        self._deliver(
            conversation,
            "supporter",
            {
                "type": "opened",
                "conversation": conversation.id,
                "officerKey": officer_key,
                "supporterKey": supporter_key,
                **_message_fields(first, "officer"),
            },
        )
        return conversation

    def end(self, conversation: Conversation, by: Side | None, reason: str = "ended") -> None:
        """End ``conversation`` (``by`` a side, or None: the relay, when it fell idle): the
        other side is told, nothing more is carried, and what waited is dropped."""
        if conversation.ended:
            return
        conversation.ended = True
        conversation.last_activity = self.clock.now()
        for waiting in conversation.waiting.values():
            waiting.clear()
        event = {"type": "ended", "conversation": conversation.id, "by": by, "reason": reason}
        for side in _SIDES:
            if side != by:
                self._deliver(conversation, side, event)
        self._settle(conversation)

    def block(self, conversation: Conversation) -> None:
        """The supporter ends ``conversation`` and refuses new ones from its officer."""
        supporter = self._supporters.setdefault(conversation.supporter_id, _Supporter())
        until = self.clock.now() + dt.timedelta(seconds=self.limits.pause_seconds)
        supporter.blocked[conversation.officer] = until
        self.end(conversation, "supporter")

    def key_changed(self, supporter_id: UUID) -> None:
        """The supporter moved to a new device: what was sealed to the old key cannot be
        read there, so the conversations opened to it end."""
        supporter = self._supporters.get(supporter_id)
        if supporter is None:
            return
        for conversation_id in list(supporter.conversations):
            conversation = self._conversations.get(conversation_id)
            if conversation is not None:
                self.end(conversation, None, "device-changed")

    # messages ----------------------------------------------------------------------------

    def send(self, conversation: Conversation, side: Side, message: Sealed) -> None:
        """Carry ``message`` from ``side`` to the other side of ``conversation``."""
        if conversation.ended:
            raise Refused("This conversation has ended.", 410)
        if message.seq != conversation.next_seq[side]:
            raise Refused("This message was already delivered or is out of order.", 409)
        other: Side = "supporter" if side == "officer" else "officer"
        self._drop_expired(conversation, self.clock.now())
        if len(conversation.waiting[other]) >= self.limits.waiting_messages:
            raise Refused("The other side has not read your last messages yet.", 429)
        conversation.next_seq[side] += 1
        conversation.last_activity = self.clock.now()
        event = {
            "type": "message",
            "conversation": conversation.id,
            **_message_fields(message, side),
        }
        self._deliver(conversation, other, event)

    def find(self, supporter_id: UUID, conversation_id: str) -> Conversation | None:
        conversation = self._conversations.get(conversation_id)
        if conversation is None or conversation.supporter_id != supporter_id:
            return None
        return conversation

    # streams -----------------------------------------------------------------------------

    def watch_supporter(self, supporter_id: UUID) -> Stream:
        """A stream of every event for the supporter; what waited is handed over first."""
        stream = Stream()
        supporter = self._supporters.setdefault(supporter_id, _Supporter())
        supporter.streams.add(stream)
        for conversation_id in sorted(supporter.conversations):
            conversation = self._conversations[conversation_id]
            self._hand_over(conversation, "supporter", {stream})
            self._settle(conversation)
        return stream

    def watch_officer(self, conversation: Conversation) -> Stream:
        """A stream of the supporter's side of ``conversation``."""
        stream = Stream()
        conversation.officer_streams.add(stream)
        self._hand_over(conversation, "officer", {stream})
        self._settle(conversation)
        return stream

    def unwatch(self, stream: Stream) -> None:
        for supporter in self._supporters.values():
            supporter.streams.discard(stream)
        for conversation in self._conversations.values():
            conversation.officer_streams.discard(stream)

    def is_watched(self, supporter_id: UUID) -> bool:
        supporter = self._supporters.get(supporter_id)
        return supporter is not None and bool(supporter.streams)

    # housekeeping ------------------------------------------------------------------------

    def sweep(self) -> None:
        """Drop what waited past ``hold``, end idle conversations, lift expired blocks."""
        now = self.clock.now()
        idle = dt.timedelta(seconds=self.limits.idle_seconds)
        for conversation in list(self._conversations.values()):
            self._drop_expired(conversation, now)
            if conversation.last_activity + idle <= now:
                self.end(conversation, None, "idle")
            self._settle(conversation)
        for supporter_id, supporter in list(self._supporters.items()):
            supporter.blocked = {k: until for k, until in supporter.blocked.items() if until > now}
            if not (supporter.conversations or supporter.streams or supporter.blocked):
                del self._supporters[supporter_id]

    def counts(self) -> dict[str, int]:
        """How much the relay holds now (tests, the bench): no identifiers."""
        return {
            "conversations": len(self._conversations),
            "waiting": sum(
                len(queue) for c in self._conversations.values() for queue in c.waiting.values()
            ),
        }

    def conversations(self) -> Iterator[Conversation]:
        return iter(self._conversations.values())

    # inside ------------------------------------------------------------------------------

    def _streams(self, conversation: Conversation, side: Side) -> set[Stream]:
        if side == "officer":
            return conversation.officer_streams
        supporter = self._supporters.get(conversation.supporter_id)
        return supporter.streams if supporter is not None else set()

    def _deliver(self, conversation: Conversation, side: Side, event: Event) -> None:
        streams = self._streams(conversation, side)
        if streams:
            self._offer(streams, event)
            return
        until = self.clock.now() + dt.timedelta(seconds=self.limits.hold_seconds)
        conversation.waiting[side].append(_Waiting(event, until))

    def _hand_over(self, conversation: Conversation, side: Side, streams: set[Stream]) -> None:
        self._drop_expired(conversation, self.clock.now())
        waiting = conversation.waiting[side]
        while waiting:
            self._offer(streams, waiting.popleft().event)

    def _offer(self, streams: set[Stream], event: Event) -> None:
        for stream in list(streams):
            if not stream.offer(event):
                # a reader that does not read is closed; its page reconnects
                stream.close()
                self.unwatch(stream)

    def _drop_expired(self, conversation: Conversation, now: dt.datetime) -> None:
        for waiting in conversation.waiting.values():
            while waiting and waiting[0].until <= now:
                waiting.popleft()

    def _settle(self, conversation: Conversation) -> None:
        """An ended conversation is forgotten once its end reached both sides (or waited
        for them past ``hold``); its officer's streams are then finished."""
        if not conversation.ended or any(conversation.waiting.values()):
            return
        self._conversations.pop(conversation.id, None)
        supporter = self._supporters.get(conversation.supporter_id)
        if supporter is not None:
            supporter.conversations.discard(conversation.id)
        for stream in conversation.officer_streams:
            stream.finish()
        conversation.officer_streams.clear()


def _message_fields(message: Sealed, side: Side) -> Event:
    return {"from": side, "seq": message.seq, "iv": message.iv, "ciphertext": message.ciphertext}
