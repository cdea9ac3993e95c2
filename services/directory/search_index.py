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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from uuid import UUID

import asyncpg

from servicekit import geo
from servicekit.app import settle_heap
from servicekit.geo import EARTH_RADIUS_MILES

from . import availability, store
from .store import SupporterRow

# a batch of changes this large is sorted in at once rather than one by one
_RESORT_FROM = 64
_SAMPLE = 256  # profiles of the day's rotation tried to judge how narrow a filter is


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
class NextOnCallRow:
    """A supporter off call now, and when they are next on call."""

    supporter: SupporterRow
    next_on_call: dt.datetime
    distance_miles: float | None


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

    def next_on_call(
        self, now: dt.datetime, minutes: Mapping[str, int], moments: _Moments
    ) -> dt.datetime | None:
        """When the profile is next on call (as ``availability.next_on_call``); None while
        on call now, or when no schedule puts it on call again."""
        if self.available(now, minutes):
            return None
        until = self.unavailable_until
        if until is not None and now < until:  # switched off: rare, worked out in full
            return availability.next_on_call(
                spans=self.row.spans,
                time_zone=self.time_zone,
                available_until=self.available_until,
                unavailable_until=until,
                now=now,
            )
        minute = minutes.get(self.time_zone)
        if minute is None:
            return None
        ahead = availability.minutes_to_next_start(self.starts, self.ends, minute)
        return None if ahead is None else moments.after(self.time_zone, ahead)


class _Moments:
    """When each zone's clocks show so many minutes more than at ``now``, worked out once
    per zone and minutes (shift changes make many profiles share them)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self._known: dict[tuple[str, int], dt.datetime] = {}

    def after(self, time_zone: str, minutes: int) -> dt.datetime:
        key = (time_zone, minutes)
        moment = self._known.get(key)
        if moment is None:
            moment = self._known[key] = availability.wall_clock_after(self.now, time_zone, minutes)
        return moment


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
        # per time zone, every slot's start (local minute of the week) and its profile, sorted:
        # who is on call next, walked from each zone's minute now
        self._starts: dict[str, list[tuple[int, int, UUID]]] = {}
        self._day = 0
        self._generation = 0  # the database's starts at 1: the first look reads everything
        self._counted = 0
        self._lock = asyncio.Lock()
        self._asked = 0  # searches that asked for an up-to-date copy
        self._served = 0  # of those, the ones a finished query has answered

    def __len__(self) -> int:
        return len(self._entries)

    def profiles(self) -> list[SupporterRow]:
        """Every active profile held (as of the last refresh)."""
        return [entry.row for entry in self._entries.values()]

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
            self._starts.clear()
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
            starts = self._starts.setdefault(entry.time_zone, [])
            for start in entry.starts:
                bisect.insort(starts, (start, *entry.order))

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
            starts = self._starts[entry.time_zone]
            for start in entry.starts:
                slot = (start, *entry.order)
                position = bisect.bisect_left(starts, slot)
                if position < len(starts) and starts[position] == slot:
                    del starts[position]

    def _sort(self) -> None:
        self._order = sorted(self._entries.values(), key=_by_order)
        self._by_state = {}
        self._starts = {}
        for entry in self._order:
            self._by_state.setdefault(entry.state, []).append(entry)
            starts = self._starts.setdefault(entry.time_zone, [])
            starts.extend((start, *entry.order) for start in entry.starts)
        for starts in self._starts.values():
            starts.sort()

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

    def next_on_call(
        self,
        filters: SearchFilters,
        *,
        now: dt.datetime,
        minutes: Mapping[str, int],
        limit: int,
    ) -> list[NextOnCallRow]:
        """Up to ``limit`` profiles matching ``filters`` (``available_now`` aside) that are off
        call now, the soonest back on call first (then the day's rotation).

        In a state, near a ZIP code or for a narrow filter, every match is worked out; for the
        whole network (or a broad filter) the slots are walked soonest first, and the walk
        stops as soon as no later slot could come before the ``limit``-th found.
        """
        today = now.astimezone(dt.UTC).date().toordinal()
        if today != self._day:
            self._rekey(today)
        moments = _Moments(now)
        found: list[tuple[dt.datetime, tuple[int, UUID], NextOnCallRow]] = []
        if filters.near is not None or filters.state is not None or self._narrow(filters):
            for entry, distance in self._matching(filters):
                moment = entry.next_on_call(now, minutes, moments)
                if moment is not None:
                    found.append((moment, entry.order, NextOnCallRow(entry.row, moment, distance)))
        else:
            found = self._walk_to_next_on_call(filters, now, minutes, moments, limit)
        found.sort(key=lambda item: (item[0], item[1]))
        return [row for _, _, row in found[:limit]]

    def _narrow(self, filters: SearchFilters) -> bool:
        """Whether few profiles meet the filters (under a tenth of a sample of the day's
        rotation): then reading each is cheaper than walking everyone's slots for them."""
        rest = _matcher(filters)
        if rest is None:
            return False
        sample = self._order[:_SAMPLE]
        return sum(1 for entry in sample if rest(entry)) * 10 < len(sample)

    def _walk_to_next_on_call(
        self,
        filters: SearchFilters,
        now: dt.datetime,
        minutes: Mapping[str, int],
        moments: _Moments,
        limit: int,
    ) -> list[tuple[dt.datetime, tuple[int, UUID], NextOnCallRow]]:
        """The matches whose next slot starts soonest, walked in that order (then the day's
        rotation) across every zone, until no later one could be among the first ``limit``:
        the network is not read whole. A profile's first slot in the walk bounds when it is
        on call (its switch may only make it later)."""
        exclude = _department(filters)
        rest = _matcher(filters)
        seen: set[UUID] = set()
        found: list[tuple[dt.datetime, tuple[int, UUID], NextOnCallRow]] = []
        first: list[tuple[dt.datetime, tuple[int, UUID]]] = []  # the soonest ``limit``, sorted
        for bound, order, entry in self._by_next_start(minutes, moments):
            if len(first) == limit and (bound, order) > first[-1]:
                break
            if entry.id in seen:
                continue
            seen.add(entry.id)
            if entry.department == exclude or (rest is not None and not rest(entry)):
                continue
            moment = entry.next_on_call(now, minutes, moments)
            if moment is None:
                continue
            found.append((moment, entry.order, NextOnCallRow(entry.row, moment, None)))
            key = (moment, entry.order)
            if len(first) < limit or key < first[-1]:
                bisect.insort(first, key)
                del first[limit:]
        return found

    def _by_next_start(
        self, minutes: Mapping[str, int], moments: _Moments
    ) -> Iterator[tuple[dt.datetime, tuple[int, UUID], _Entry]]:
        """Every slot of every profile, soonest start first from each zone's minute now, then
        by the day's rotation: (when it starts, rotation and id, the profile)."""
        week = availability.MINUTES_PER_WEEK
        heads: list[tuple[dt.datetime, int, UUID, str, int, int, int]] = []
        for zone, starts in self._starts.items():
            minute = minutes.get(zone)
            if minute is None or not starts:
                continue
            position = bisect.bisect_left(starts, (minute,))
            start, rotation, supporter = starts[position % len(starts)]
            at = moments.after(zone, (start - minute) % week)
            heads.append((at, rotation, supporter, zone, position, position, minute))
        heapq.heapify(heads)
        while heads:
            at, rotation, supporter, zone, position, first, minute = heads[0]
            yield at, (rotation, supporter), self._entries[supporter]
            starts = self._starts[zone]
            position += 1
            if position - first < len(starts):
                start, rotation, supporter = starts[position % len(starts)]
                at = moments.after(zone, (start - minute) % week)
                heapq.heapreplace(heads, (at, rotation, supporter, zone, position, first, minute))
            else:
                heapq.heappop(heads)

    def _matching(self, filters: SearchFilters) -> Iterator[tuple[_Entry, float | None]]:
        """Every profile that meets the filters but ``available_now``, with its distance
        from the ZIP code searched near (None without one)."""
        exclude = _department(filters)
        if filters.near is None:
            rest = _matcher(filters)
            listing = (
                self._order if filters.state is None else self._by_state.get(filters.state, [])
            )
            for entry in listing:
                if entry.department != exclude and (rest is None or rest(entry)):
                    yield entry, None
            return
        latitude, longitude, miles, (min_lat, max_lat, min_lon, max_lon) = filters.near
        area = filters.areas[0] if filters.areas else None
        rest = _matcher(filters, checked=area)
        for lat_cell in range(math.floor(min_lat), math.floor(max_lat) + 1):
            for lon_cell in range(math.floor(min_lon), math.floor(max_lon) + 1):
                for entry in self._cells.get((area, lat_cell, lon_cell), {}).values():
                    if entry.department == exclude or (rest is not None and not rest(entry)):
                        continue
                    distance = geo.distance_miles(
                        latitude, longitude, entry.latitude, entry.longitude
                    )
                    if distance <= miles:
                        yield entry, distance


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
