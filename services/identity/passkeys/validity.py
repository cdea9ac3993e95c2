"""How long a passkey works: until a last day, or (enrolled from a code in a department
without an IdP) until it is revoked.

"No end" is a value of its own, never a number or a date a computation could arrive at:
a period of 0 days, or a missing date, is not a way to say it. The database's NULL in
``passkeys.valid_until`` is read and written only here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, TypeAlias


@dataclass(frozen=True, slots=True)
class Until:
    """Works up to and including ``last_day`` (UTC)."""

    last_day: dt.date

    def lapsed(self, today: dt.date) -> bool:
        return today > self.last_day

    def days_left(self, today: dt.date) -> int:
        return (self.last_day - today).days

    def ends_at(self) -> float:
        """The moment it stops working: the end of its last day (UTC), as a timestamp."""
        after = self.last_day + dt.timedelta(days=1)
        return dt.datetime.combine(after, dt.time(), dt.UTC).timestamp()


@dataclass(frozen=True, slots=True)
class NoEnd:
    """Works until revoked: only a code-enrolled passkey of a department without an IdP."""

    def lapsed(self, today: dt.date) -> bool:
        return False


NO_END: Final = NoEnd()
Validity: TypeAlias = Until | NoEnd


def for_period(today: dt.date, days: int) -> Until:
    """A department's period from ``today`` on: the day its IdP (or a coordinator's code)
    last vouched for the person, never the day the passkey is made or used; a period is at
    least a day."""
    if days < 1:
        raise ValueError("a passkey period is at least one day")
    return Until(today + dt.timedelta(days=days))


def from_column(value: dt.date | None) -> Validity:
    """The validity stored in ``passkeys.valid_until`` (NULL: until revoked)."""
    return NO_END if value is None else Until(value)


def to_column(validity: Validity) -> dt.date | None:
    """What ``passkeys.valid_until`` holds for a validity (the last day, or NULL)."""
    return validity.last_day if isinstance(validity, Until) else None
