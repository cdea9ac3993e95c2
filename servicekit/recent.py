"""A cache of recently used operation documents that forgets them by time.

A client may write a search value into a document's text instead of a variable (a ZIP code,
a name), so documents kept by their text are treated as activity: each is dropped once it
has not been used for ``idle_seconds``, by a timer, whether or not another request comes —
and at most ``size`` are kept (the least recently used leave first).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

Value = TypeVar("Value")


class RecentDocuments(Generic[Value]):
    def __init__(self, *, size: int, idle_seconds: float = 600.0) -> None:
        self.size = size
        self.idle_seconds = idle_seconds
        self._entries: OrderedDict[str, tuple[Value, float]] = OrderedDict()
        self._sweep: asyncio.TimerHandle | None = None

    def get(self, text: str) -> Value | None:
        entry = self._entries.get(text)
        if entry is None:
            return None
        now = time.monotonic()
        if now - entry[1] >= self.idle_seconds:
            del self._entries[text]
            return None
        self._entries[text] = (entry[0], now)
        self._entries.move_to_end(text)
        return entry[0]

    def put(self, text: str, value: Value) -> None:
        self._entries[text] = (value, time.monotonic())
        self._entries.move_to_end(text)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        self._schedule()

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
            text, (_, used) = next(iter(self._entries.items()))
            if now - used < self.idle_seconds:
                break
            del self._entries[text]
        if self._entries:
            oldest = next(iter(self._entries.values()))[1]
            loop = asyncio.get_running_loop()
            self._sweep = loop.call_later(
                max(0.0, oldest + self.idle_seconds - now), self._forget_idle
            )
