"""The peer-supporter search, in memory.

Each directory process keeps the active profiles in memory, arranged for the search, and
answers every search from them. Before a search it brings its copy up to date with one
small query — the profiles changed since the last change it has seen (migration 0008) — so
a search sees every change committed before it began, whichever process or replica wrote
it. Searches waiting at the same time share that query.

The order: available now first, then a rotation that is a keyed hash of the profile id and
the UTC day — fair, new every day, the same in every process, and dependent on nothing
anyone did. Nothing about a search is kept, and nobody's pseudonym: the profiles are kept
without their owner's (``owner_subject``), which no search needs.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import datetime as dt
import hashlib
import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from uuid import UUID

import asyncpg

from servicekit.app import settle_heap
from servicekit.geo import EARTH_RADIUS_MILES

from . import store
from .store import SupporterRow

# a batch of changes this large is sorted in at once rather than one by one
_RESORT_FROM = 64


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """A search's filters, already validated; None means "any"."""

    exclude_department: UUID | None = None
    areas: list[str] | None = None
    language: str | None = None
    state: str | None = None
    county: str | None = None
    gender: str | None = None
    # (latitude, longitude, miles, (min_lat, max_lat, min_lon, max_lon))
    near: tuple[float, float, float, tuple[float, float, float, float]] | None = None
    available_now: bool = False


@dataclass(frozen=True, slots=True)
class SearchRow:
    supporter: SupporterRow
    available_now: bool
    rotation: int
    distance_miles: float | None


# the sort key of a result: (not available now, rotation, id)
SortKey = tuple[bool, int, UUID]


def rotation(supporter_id: UUID, day: int) -> int:
    """The profile's place in the rotation of ``day`` (``date.toordinal()``)."""
    digest = hashlib.blake2b(supporter_id.bytes, digest_size=8, key=day.to_bytes(4, "big")).digest()
    return int.from_bytes(digest, "big", signed=True)


class _Entry:
    """One active profile, with what the search compares ready to hand."""

    __slots__ = (
        "areas",
        "available_until",
        "cos_latitude",
        "county",
        "department",
        "ends",
        "gender",
        "id",
        "lam",
        "languages",
        "latitude",
        "longitude",
        "order",
        "phi",
        "row",
        "starts",
        "state",
        "time_zone",
        "unavailable_until",
    )

    def __init__(self, row: SupporterRow, day: int) -> None:
        # what the supporter published, not who they are: a memory image of the process
        # holds no supporter's pseudonym
        self.row = dataclasses.replace(row, owner_subject="")
        self.id = row.id
        self.department = row.department_id.int  # ints compare in C, UUIDs in Python
        self.areas = frozenset(row.areas)
        self.languages = frozenset(row.languages)
        self.state = row.state
        self.county = row.county.lower()
        self.gender = row.gender
        self.latitude = row.latitude
        self.longitude = row.longitude
        self.phi = math.radians(row.latitude)
        self.lam = math.radians(row.longitude)
        self.cos_latitude = math.cos(self.phi)
        self.available_until = row.available_until
        self.unavailable_until = row.unavailable_until
        self.time_zone = row.time_zone
        # the weekly spans come sorted and apart (a multirange)
        self.starts = [start for start, _ in row.spans]
        self.ends = [end for _, end in row.spans]
        self.order = (rotation(row.id, day), row.id)

    def available(self, now: dt.datetime, minutes: Mapping[str, int]) -> bool:
        """The switch wins while it lasts ("unavailable until" first); then the schedule
        (as ``availability.is_available``, with each zone's minute of the week at hand)."""
        if self.unavailable_until is not None and now < self.unavailable_until:
            return False
        if self.available_until is not None and now < self.available_until:
            return True
        minute = minutes.get(self.time_zone)
        if minute is None:
            return False
        position = bisect.bisect_right(self.starts, minute) - 1
        return position >= 0 and minute < self.ends[position]


_by_order = attrgetter("order")
_Match = Callable[["_Entry"], bool]
_by_key = itemgetter(0)


class SupporterIndex:
    """The active profiles of this process, arranged for the search, and how far it has
    followed the database's changes."""

    def __init__(self) -> None:
        self._entries: dict[UUID, _Entry] = {}
        self._changes: dict[UUID, int] = {}  # the last change applied, per profile
        # cells of one degree by one, each profile in its cell once per area and once under None
        self._cells: dict[tuple[str | None, int, int], dict[UUID, _Entry]] = {}
        self._order: list[_Entry] = []  # by the day's rotation
        self._by_state: dict[str, list[_Entry]] = {}
        self._day = 0
        self._generation = 0  # the database's starts at 1: the first look reads everything
        self._counted = 0
        self._lock = asyncio.Lock()
        self._asked = 0  # searches that asked for an up-to-date copy
        self._served = 0  # of those, the ones a finished query has answered

    def __len__(self) -> int:
        return len(self._entries)

    # -- following the database ---------------------------------------------------------

    async def refresh(self, pool: asyncpg.Pool) -> None:
        """Bring the copy up to date with every change committed before this call."""
        self._asked += 1
        ticket = self._asked
        async with self._lock:
            if self._served >= ticket:
                return  # a query sent after this call began has answered it already
            covers = self._asked
            changes = await store.supporter_changes(
                db=pool, generation=self._generation, counted=self._counted
            )
            self._apply(changes)
            self._served = covers

    def _apply(self, changes: store.SupporterChanges) -> None:
        whole = changes.generation != self._generation
        if whole:  # every active profile, from scratch
            self._entries.clear()
            self._changes.clear()
            self._cells.clear()
            self._order.clear()
            self._by_state.clear()
            self._generation = changes.generation
        resort = len(changes.rows) >= _RESORT_FROM
        for row, change in changes.rows:
            if change <= self._changes.get(row.id, -1):
                continue
            self._changes[row.id] = change
            old = self._entries.pop(row.id, None)
            if old is not None:
                self._remove(old, ordered=not resort)
            if row.active:
                entry = _Entry(row, self._day)
                self._entries[row.id] = entry
                self._place(entry, ordered=not resort)
        if resort:
            self._sort()
        self._counted = changes.counted
        if whole:
            settle_heap()  # the collector need not walk the profiles again

    def _cell_keys(self, entry: _Entry) -> list[tuple[str | None, int, int]]:
        lat, lon = math.floor(entry.latitude), math.floor(entry.longitude)
        return [(area, lat, lon) for area in (None, *entry.areas)]

    def _place(self, entry: _Entry, *, ordered: bool) -> None:
        for key in self._cell_keys(entry):
            self._cells.setdefault(key, {})[entry.id] = entry
        if ordered:
            bisect.insort(self._order, entry, key=_by_order)
            bisect.insort(self._by_state.setdefault(entry.state, []), entry, key=_by_order)

    def _remove(self, entry: _Entry, *, ordered: bool) -> None:
        for key in self._cell_keys(entry):
            cell = self._cells[key]
            del cell[entry.id]
            if not cell:
                del self._cells[key]
        if ordered:
            for listing in (self._order, self._by_state[entry.state]):
                position = bisect.bisect_left(listing, entry.order, key=_by_order)
                if position < len(listing) and listing[position] is entry:
                    del listing[position]

    def _sort(self) -> None:
        self._order = sorted(self._entries.values(), key=_by_order)
        self._by_state = {}
        for entry in self._order:
            self._by_state.setdefault(entry.state, []).append(entry)

    def _rekey(self, day: int) -> None:
        """The rotation of a new day (once a day, at its first search)."""
        self._day = day
        for entry in self._entries.values():
            entry.order = (rotation(entry.id, day), entry.id)
        self._sort()

    # -- searching ----------------------------------------------------------------------

    def search(
        self,
        filters: SearchFilters,
        *,
        now: dt.datetime,
        minutes: Mapping[str, int],
        day: int,
        after: SortKey | None,
        limit: int,
    ) -> list[SearchRow]:
        """Up to ``limit`` active profiles matching ``filters``, available now first, then
        in the rotation of ``day``, after the sort key ``after``. ``minutes`` holds each
        time zone's minute of the week at ``now``."""
        today = now.astimezone(dt.UTC).date().toordinal()
        if today != self._day:
            self._rekey(today)
        if day == self._day:
            place: Callable[[_Entry], int] = lambda entry: entry.order[0]  # noqa: E731
        else:  # a cursor from another day: that day's rotation, worked out here
            place = lambda entry: rotation(entry.id, day)  # noqa: E731
        if filters.near is not None:
            return self._near(filters, place, now, minutes, after, limit)
        exclude = _department(filters)
        rest = _matcher(filters)
        listing = self._order if filters.state is None else self._by_state.get(filters.state, [])
        if day != self._day:
            listing = sorted(listing, key=lambda entry: (place(entry), entry.id))
        available: list[SearchRow] = []
        others: list[SearchRow] = []
        for entry in listing:
            if entry.department == exclude or (rest is not None and not rest(entry)):
                continue
            is_available = entry.available(now, minutes)
            if is_available:
                if after is None or (False, place(entry), entry.id) > after:
                    available.append(SearchRow(entry.row, True, place(entry), None))
                    if len(available) == limit:
                        break
            elif (
                not filters.available_now
                and len(others) < limit
                and (after is None or (True, place(entry), entry.id) > after)
            ):
                others.append(SearchRow(entry.row, False, place(entry), None))
        return (available + others)[:limit]

    def _near(
        self,
        filters: SearchFilters,
        place: Callable[[_Entry], int],
        now: dt.datetime,
        minutes: Mapping[str, int],
        after: SortKey | None,
        limit: int,
    ) -> list[SearchRow]:
        """Within the miles of the ZIP code's centroid: the cells under the bounding box,
        then the great-circle distance (haversine), as ``geo.distance_miles``."""
        assert filters.near is not None
        latitude, longitude, miles, (min_lat, max_lat, min_lon, max_lon) = filters.near
        phi, lam = math.radians(latitude), math.radians(longitude)
        cos_phi = math.cos(phi)
        sin, asin, sqrt = math.sin, math.asin, math.sqrt
        diameter = 2 * EARTH_RADIUS_MILES
        # one area's cells hold only its supporters: the first area asked for narrows most
        area = filters.areas[0] if filters.areas else None
        exclude = _department(filters)
        rest = _matcher(filters, checked=area)
        found: list[tuple[SortKey, _Entry, float]] = []
        for lat_cell in range(math.floor(min_lat), math.floor(max_lat) + 1):
            for lon_cell in range(math.floor(min_lon), math.floor(max_lon) + 1):
                cell = self._cells.get((area, lat_cell, lon_cell))
                if cell is None:
                    continue
                for entry in cell.values():
                    if (
                        entry.latitude < min_lat
                        or entry.latitude > max_lat
                        or entry.longitude < min_lon
                        or entry.longitude > max_lon
                        or entry.department == exclude
                        or (rest is not None and not rest(entry))
                    ):
                        continue
                    half_lat = sin((entry.phi - phi) / 2)
                    half_lon = sin((entry.lam - lam) / 2)
                    haversine = half_lat * half_lat + (
                        cos_phi * entry.cos_latitude * half_lon * half_lon
                    )
                    distance = diameter * asin(sqrt(min(1.0, haversine)))
                    if distance > miles:
                        continue
                    is_available = entry.available(now, minutes)
                    if filters.available_now and not is_available:
                        continue
                    key = (not is_available, place(entry), entry.id)
                    if after is None or key > after:
                        found.append((key, entry, distance))
        return [
            SearchRow(entry.row, not key[0], key[1], distance)
            for key, entry, distance in heapq.nsmallest(limit, found, key=_by_key)
        ]


def _department(filters: SearchFilters) -> int:
    """The department left out, as the entries hold it (-1: none is)."""
    return filters.exclude_department.int if filters.exclude_department else -1


def _matcher(filters: SearchFilters, *, checked: str | None = None) -> _Match | None:
    """Whether a profile meets the filters on the profile itself, but its department and
    the area ``checked`` already (the cell it came from); None when there is nothing left to
    check."""
    areas = frozenset(filters.areas or ()) - {checked}
    language, state, gender = filters.language, filters.state, filters.gender
    county = filters.county.lower() if filters.county is not None else None
    if not areas and language is None and state is None and county is None and gender is None:
        return None

    def matches(entry: _Entry) -> bool:
        return (
            areas <= entry.areas
            and (language is None or language in entry.languages)
            and (state is None or entry.state == state)
            and (county is None or entry.county == county)
            and (gender is None or entry.gender == gender)
        )

    return matches
