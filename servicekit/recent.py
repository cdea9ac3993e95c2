"""A cache of recently used operation documents that forgets them by time.

A client may write a search value into a document's text instead of a variable (a ZIP code,
a name), so documents kept by their text are treated as activity: each is dropped once it
has not been used for ``idle_seconds``, by a timer, whether or not another request comes —
and at most ``size`` are kept, weighing at most ``max_weight`` together (the least recently
used leave first). A document's weight is its length unless its keeper says otherwise: what
is kept for it (its syntax tree, its plans) grows with its text, not with its count.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

Value = TypeVar("Value")


class RecentDocuments(Generic[Value]):
    def __init__(
        self, *, size: int, idle_seconds: float = 600.0, max_weight: int | None = None
    ) -> None:
        self.size = size
        self.idle_seconds = idle_seconds
        self.max_weight = max_weight
        # each text's value, when it was last used, and its weight
        self._entries: OrderedDict[str, tuple[Value, float, int]] = OrderedDict()
        self._weight = 0
        self._sweep: asyncio.TimerHandle | None = None

    @property
    def weight(self) -> int:
        """What the documents kept weigh together."""
        return self._weight

    def get(self, text: str) -> Value | None:
        entry = self._entries.get(text)
        if entry is None:
            return None
        now = time.monotonic()
        if now - entry[1] >= self.idle_seconds:
            self._forget(text)
            return None
        self._entries[text] = (entry[0], now, entry[2])
        self._entries.move_to_end(text)
        return entry[0]

    def put(self, text: str, value: Value, weight: int | None = None) -> None:
        """Keep ``value`` for ``text``, weighing ``weight`` (its length when not given); one
        heavier than everything allowed is not kept."""
        weight = len(text) if weight is None else weight
        if self.max_weight is not None and weight > self.max_weight:
            return
        if text in self._entries:
            self._forget(text)
        self._entries[text] = (value, time.monotonic(), weight)
        self._weight += weight
        while len(self._entries) > self.size or (
            self.max_weight is not None and self._weight > self.max_weight
        ):
            self._forget(next(iter(self._entries)))
        self._schedule()

    def _forget(self, text: str) -> None:
        self._weight -= self._entries.pop(text)[2]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, text: object) -> bool:
        return text in self._entries

    def __iter__(self) -> Iterator[str]:
        """The texts kept, least recently used first."""
        return iter(list(self._entries))

    def _schedule(self) -> None:
        if self._sweep is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # used outside a running loop: entries expire on access
            return
        self._sweep = loop.call_later(self.idle_seconds, self._forget_idle)

    def _forget_idle(self) -> None:
        self._sweep = None
        now = time.monotonic()
        # the least recently used come first: stop at the first one still in use
        while self._entries:
            text, (_, used, _) = next(iter(self._entries.items()))
            if now - used < self.idle_seconds:
                break
            self._forget(text)
        if self._entries:
            oldest = next(iter(self._entries.values()))[1]
            loop = asyncio.get_running_loop()
            self._sweep = loop.call_later(
                max(0.0, oldest + self.idle_seconds - now), self._forget_idle
            )
