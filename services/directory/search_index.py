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

The profiles are kept in columns, one place (a slot) per profile: small codes for what
repeats (department, state, county, zone, schedule, the set of areas or of languages), the
rest of the profile packed in one bytes object, and a bitset (a Python int) per area,
language, state, gender and grid cell. A search costs what its answer costs, not what the
network holds: it walks the day's rotation while matches come quickly, and otherwise reads
only the profiles of its smallest source (the bitsets' intersection, the grid cells near a
ZIP code among them, or a county).
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import datetime as dt
import hashlib
import heapq
import itertools
import math
import pickle
import re
from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg
import numpy as np
import numpy.typing as npt

from servicekit import geo
from servicekit.app import settle_heap
from servicekit.geo import EARTH_RADIUS_MILES

from . import availability, store
from .availability import Span
from .store import SupporterRow

# a batch of changes this large is arranged at once rather than one by one
_RESORT_FROM = 64
# the walk along the day's rotation gives way to reading the smallest source after this
# many steps per profile of that source (a step costs a fraction of a profile read)
WALK_PER_CANDIDATE = 4
WALK_AT_LEAST = 256
_BATCH = 2000  # profiles read at a time when reading them all
# profiles of the smallest source tried to estimate the share of matches on call now
_SAMPLE = 64
# a cell is taken as within the miles when its corners are, by this share of the haversine's
# inside (rounding is a few parts in 10**16); so is a profile outside a cell within them
_MARGIN = 1e-9


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


_V = TypeVar("_V", bound=Hashable)


class _Codes(Generic[_V]):
    """Values that repeat (a state, a zone, a set of areas), each kept once and named by a
    small number."""

    def __init__(self) -> None:
        self.values: list[_V] = []
        self._codes: dict[_V, int] = {}

    def code(self, value: _V) -> int:
        found = self._codes.get(value)
        if found is None:
            found = self._codes[value] = len(self.values)
            self.values.append(value)
        return found

    def known(self, value: _V) -> int | None:
        return self._codes.get(value)


@dataclass(frozen=True, slots=True)
class _Schedule:
    """A weekly schedule, kept once for every profile that published the same."""

    spans: tuple[Span, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]


# the profile's fields kept in columns; the others are packed, one bytes object a profile
_IN_COLUMNS = frozenset(
    {
        "id",
        "owner_subject",
        "department_id",
        "areas",
        "languages",
        "gender",
        "state",
        "county",
        "latitude",
        "longitude",
        "time_zone",
        "spans",
        "available_until",
        "unavailable_until",
        "active",
    }
)
_PACKED = tuple(f.name for f in dataclasses.fields(SupporterRow) if f.name not in _IN_COLUMNS)
_packed_of = attrgetter(*_PACKED)
_NONZERO = re.compile(rb"[^\x00]")
_BITS_OF = [tuple(bit for bit in range(8) if value >> bit & 1) for value in range(256)]
_by_key: Callable[[tuple[tuple[bool, int, bytes], int]], tuple[bool, int, bytes]]
_by_key = lambda item: item[0]  # noqa: E731


class _Members:
    """The slots of a bitset, read afresh each time they are walked."""

    def __init__(self, bits: int) -> None:
        self._bits = bits

    def __iter__(self) -> Iterator[int]:
        return _members(self._bits)


Slots = npt.NDArray[np.int64]


def _slot_array(bits: int) -> Slots:
    """The slots of a bitset, lowest first, as an array: its set bytes found in C, then
    their bits."""
    flags = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), np.uint8)
    at = np.flatnonzero(flags)
    rows, bits_in_byte = np.nonzero(np.unpackbits(flags[at][:, None], axis=1, bitorder="little"))
    slots: Slots = at[rows] * 8 + bits_in_byte
    return slots


def _gathered(column: array[int] | array[float], slots: Slots) -> npt.NDArray[Any]:
    """The column's values at ``slots``, copied out. The column is read in place, through a
    view that lives only for this expression: a column exporting its buffer could not grow."""
    return np.frombuffer(column, dtype=column.typecode)[slots]


def _members(bits: int) -> Iterator[int]:
    """The slots of a bitset, lowest first: a scan in C, then its set bytes in Python."""
    flags = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for found in _NONZERO.finditer(flags):
        at = found.start()
        base = at * 8
        for bit in _BITS_OF[flags[at]]:
            yield base + bit


class _Moments:
    """When each zone's clocks show so many minutes more than at ``now``, worked out once
    per zone and minutes (shift changes make many profiles share them)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self._known: dict[tuple[str, int], tuple[dt.datetime, bool]] = {}

    def reading(self, time_zone: str, minutes: int) -> tuple[dt.datetime, bool]:
        """The moment, and whether the clocks skip that reading (a change to summer time)."""
        key = (time_zone, minutes)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = availability.wall_clock_after(self.now, time_zone, minutes)
        return known

    def after(self, time_zone: str, minutes: int) -> dt.datetime:
        return self.reading(time_zone, minutes)[0]


@dataclass(slots=True)
class _Query:
    """A search's filters, as the columns hold them."""

    bits: int | None  # the intersection of the filters' bitsets; None: no such filter
    flags: bytes  # ``bits`` as bytes, one test per slot
    county: int | None  # the county's code (lower case)
    exclude: int  # the department left out (-1: none)
    near: tuple[float, float, float, tuple[float, float, float, float]] | None
    inside: bytes  # near a ZIP code: a flag per slot of the cells within the miles whole
    inside_bits: int  # the same, as a bitset
    source: Iterable[int] | None  # the smallest source's slots; None: every profile
    in_bits: bool  # the source's slots are all in ``bits``
    size: int  # how many it holds


class _Availability:
    """Who is available at ``now``: the switch while it lasts ("unavailable until" first),
    then the schedule (as ``availability.is_available``), worked out once per schedule and
    zone."""

    def __init__(self, profiles: _Profiles, now: dt.datetime, minutes: Mapping[str, int]) -> None:
        self._profiles = profiles
        self._now = now
        self._minutes = [minutes.get(zone) for zone in profiles.zones.values]
        self._known: dict[int, bool] = {}

    def __call__(self, slot: int) -> bool:
        profiles = self._profiles
        switch = profiles.switch.get(slot)
        if switch is not None:
            available_until, unavailable_until = switch
            if unavailable_until is not None and self._now < unavailable_until:
                return False
            if available_until is not None and self._now < available_until:
                return True
        zone = profiles.zone[slot]
        schedule = profiles.schedule[slot]
        key = schedule << 16 | zone
        known = self._known.get(key)
        if known is None:
            minute = self._minutes[zone]
            if minute is None:
                known = False
            else:
                shape = profiles.schedule_of[schedule]
                position = bisect.bisect_right(shape.starts, minute) - 1
                known = position >= 0 and minute < shape.ends[position]
            self._known[key] = known
        return known


class _Profiles:
    """The active profiles, in columns by slot, and what finds them."""

    def __init__(self) -> None:
        self.slot_of: dict[bytes, int] = {}  # by the id's 16 bytes
        self._free: list[int] = []
        # the columns, by slot (a free slot's key is empty)
        self.key: list[bytes] = []
        self.change = array("q")  # the number of the last change applied
        self.rotation = array("q")  # in the day's rotation
        self.department = array("I")
        self.areas = array("I")
        self.languages = array("I")
        self.gender = array("H")
        self.state = array("H")
        self.county = array("I")
        self.zone = array("H")
        self.schedule = array("I")
        self.latitude = array("d")
        self.longitude = array("d")
        self.packed: list[bytes] = []
        self.switch: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
        # what the codes stand for
        self.departments = _Codes[UUID]()
        self.area_sets = _Codes[tuple[str, ...]]()
        self.language_sets = _Codes[tuple[str, ...]]()
        self.genders = _Codes[str | None]()
        self.states = _Codes[str]()
        self.counties = _Codes[str]()
        self.county_key: list[int] = []  # a county's code → its lower-case name's
        self.county_keys = _Codes[str]()
        self.zones = _Codes[str]()
        self.schedules = _Codes[tuple[Span, ...]]()
        self.schedule_of: list[_Schedule] = []
        # how they are found: a bitset per area, language, state and gender ...
        self.bits: dict[tuple[str, str | None], int] = {}
        # ... a county's slots, a bitset per grid cell of one degree by one ...
        self.in_county: dict[int, array[int]] = {}
        self.cells: dict[tuple[int, int], int] = {}
        # ... the day's rotation, and per zone every slot's start (local minute of the week)
        # and its profile, by start then rotation: who is on call next
        self.order = array("I")
        self.starts: dict[int, tuple[array[int], array[int]]] = {}
        # who switched themselves off, by the end of it: on call again no sooner than that
        self.off: list[tuple[dt.datetime, int, bytes, int]] = []
        self.day = 0

    def __len__(self) -> int:
        return len(self.slot_of)

    # -- keeping ----------------------------------------------------------------------------

    def apply(self, rows: Iterable[tuple[SupporterRow, int]], *, arranged: bool) -> None:
        """Apply changed profiles (each with the number of its change); ``arranged``: keep
        the orders and bitsets up to date one by one (else ``arrange`` follows)."""
        for row, change in rows:
            slot = self.slot_of.get(row.id.bytes)
            if slot is not None:
                if change <= self.change[slot]:
                    continue
                self._remove(slot, arranged=arranged)
            if row.active:
                self._add(row, change, arranged=arranged)

    def _codes(self, slot: int) -> Iterator[tuple[str, str | None]]:
        """The bitsets ``slot`` belongs to."""
        for area in self.area_sets.values[self.areas[slot]]:
            yield ("area", area)
        for language in self.language_sets.values[self.languages[slot]]:
            yield ("language", language)
        yield ("state", self.states.values[self.state[slot]])
        yield ("gender", self.genders.values[self.gender[slot]])

    def _cell(self, slot: int) -> tuple[int, int]:
        return math.floor(self.latitude[slot]), math.floor(self.longitude[slot])

    def _add(self, row: SupporterRow, change: int, *, arranged: bool) -> None:
        key = row.id.bytes
        columns: tuple[tuple[array[int], int] | tuple[array[float], float], ...] = (
            (self.change, change),
            (self.rotation, rotation(row.id, self.day)),
            (self.department, self.departments.code(row.department_id)),
            (self.areas, self.area_sets.code(tuple(row.areas))),
            (self.languages, self.language_sets.code(tuple(row.languages))),
            (self.gender, self.genders.code(row.gender)),
            (self.state, self.states.code(row.state)),
            (self.county, self._county_code(row.county)),
            (self.zone, self.zones.code(row.time_zone)),
            (self.schedule, self._schedule_code(row.spans)),
            (self.latitude, row.latitude),
            (self.longitude, row.longitude),
        )
        # what no search compares, packed: our own bytes, read back in this process only
        packed = pickle.dumps(_packed_of(row), protocol=pickle.HIGHEST_PROTOCOL)
        if self._free:
            slot = self._free.pop()
            self.key[slot], self.packed[slot] = key, packed
            for column, value in columns:
                column[slot] = value  # type: ignore[assignment]  # each column with its kind
        else:
            slot = len(self.key)
            self.key.append(key)
            self.packed.append(packed)
            for column, value in columns:
                column.append(value)  # type: ignore[arg-type]  # each column with its kind
        self.slot_of[key] = slot
        if row.available_until is not None or row.unavailable_until is not None:
            self.switch[slot] = (row.available_until, row.unavailable_until)
            if row.unavailable_until is not None and arranged:
                bisect.insort(self.off, (row.unavailable_until, *self.order_of(slot), slot))
        self.in_county.setdefault(self.county_key[self.county[slot]], array("I")).append(slot)
        if arranged:
            cell = self._cell(slot)
            self.cells[cell] = self.cells.get(cell, 0) | 1 << slot
            for code in self._codes(slot):
                self.bits[code] = self.bits.get(code, 0) | 1 << slot
            at = bisect.bisect_left(self.order, self.order_of(slot), key=self.order_of)
            self.order.insert(at, slot)
            starts, slots = self.starts.setdefault(self.zone[slot], (array("H"), array("I")))
            for start in self.schedule_of[self.schedule[slot]].starts:
                at = bisect.bisect_left(
                    range(len(slots)),
                    (start, *self.order_of(slot)),
                    key=lambda i: (starts[i], *self.order_of(slots[i])),
                )
                starts.insert(at, start)
                slots.insert(at, slot)

    def _remove(self, slot: int, *, arranged: bool) -> None:
        del self.slot_of[self.key[slot]]
        self.in_county[self.county_key[self.county[slot]]].remove(slot)
        _, unavailable_until = self.switch.pop(slot, (None, None))
        if unavailable_until is not None and arranged:
            self.off.remove((unavailable_until, *self.order_of(slot), slot))
        if arranged:
            for code in self._codes(slot):
                self.bits[code] &= ~(1 << slot)
            cell = self._cell(slot)
            self.cells[cell] &= ~(1 << slot)
            if not self.cells[cell]:
                del self.cells[cell]
            order = self.order_of(slot)
            at = bisect.bisect_left(self.order, order, key=self.order_of)
            del self.order[at]
            starts, slots = self.starts[self.zone[slot]]
            for start in self.schedule_of[self.schedule[slot]].starts:
                at = bisect.bisect_left(
                    range(len(slots)),
                    (start, *order),
                    key=lambda i: (starts[i], *self.order_of(slots[i])),
                )
                del starts[at], slots[at]
        self.key[slot] = b""
        self.packed[slot] = b""
        self._free.append(slot)

    def _county_code(self, county: str) -> int:
        code = self.counties.code(county)
        if code == len(self.county_key):
            self.county_key.append(self.county_keys.code(county.lower()))
        return code

    def _schedule_code(self, spans: list[Span]) -> int:
        shape = tuple(spans)
        code = self.schedules.code(shape)
        if code == len(self.schedule_of):
            self.schedule_of.append(
                _Schedule(shape, tuple(s for s, _ in shape), tuple(e for _, e in shape))
            )
        return code

    def order_of(self, slot: int) -> tuple[int, bytes]:
        return self.rotation[slot], self.key[slot]

    def arrange(self, day: int) -> None:
        """The day's rotation, the orders and the bitsets, made afresh (at start, for a
        large batch of changes, and once a day)."""
        held = [slot for slot in self.slot_of.values()]
        if day != self.day:
            self.day = day
            for slot in held:
                self.rotation[slot] = rotation(UUID(bytes=self.key[slot]), day)
        held.sort(key=self.order_of)
        self.order = array("I", held)
        builder: dict[tuple[str, str | None], bytearray] = {}
        size = (len(self.key) + 7) // 8
        in_cells: dict[tuple[int, int], array[int]] = {}
        starts: dict[int, list[tuple[int, int, bytes, int]]] = {}
        for slot in held:
            for code in self._codes(slot):
                flags = builder.get(code)
                if flags is None:
                    flags = builder[code] = bytearray(size)
                flags[slot >> 3] |= 1 << (slot & 7)
            in_cells.setdefault(self._cell(slot), array("I")).append(slot)
            order = self.order_of(slot)
            zone = starts.setdefault(self.zone[slot], [])
            zone.extend(
                (start, *order, slot) for start in self.schedule_of[self.schedule[slot]].starts
            )
        self.bits = {code: int.from_bytes(flags, "little") for code, flags in builder.items()}
        # a cell's flags one at a time, as long as its last slot: a thousand cells of all
        # the slots at once would double the peak
        self.cells = {}
        for cell, in_cell in in_cells.items():
            flags = bytearray((max(in_cell) >> 3) + 1)
            for slot in in_cell:
                flags[slot >> 3] |= 1 << (slot & 7)
            self.cells[cell] = int.from_bytes(flags, "little")
        del in_cells
        self.off = sorted(
            (until, *self.order_of(slot), slot)
            for slot, (_, until) in self.switch.items()
            if until is not None
        )
        self.starts = {}
        for zone_code, slots in starts.items():
            slots.sort()
            self.starts[zone_code] = (
                array("H", [start for start, _, _, _ in slots]),
                array("I", [slot for _, _, _, slot in slots]),
            )

    # -- reading ----------------------------------------------------------------------------

    def row(self, slot: int) -> SupporterRow:
        """The profile in ``slot``, as stored (without its owner's pseudonym)."""
        available_until, unavailable_until = self.switch.get(slot, (None, None))
        return SupporterRow(
            **dict(zip(_PACKED, pickle.loads(self.packed[slot]), strict=True)),  # noqa: S301 — our own bytes
            id=UUID(bytes=self.key[slot]),
            owner_subject="",
            department_id=self.departments.values[self.department[slot]],
            areas=list(self.area_sets.values[self.areas[slot]]),
            languages=list(self.language_sets.values[self.languages[slot]]),
            gender=self.genders.values[self.gender[slot]],
            state=self.states.values[self.state[slot]],
            county=self.counties.values[self.county[slot]],
            latitude=self.latitude[slot],
            longitude=self.longitude[slot],
            time_zone=self.zones.values[self.zone[slot]],
            spans=list(self.schedule_of[self.schedule[slot]].spans),
            available_until=available_until,
            unavailable_until=unavailable_until,
            active=True,
        )

    def query(self, filters: SearchFilters) -> _Query | None:
        """The filters as the columns hold them; None when nobody can match."""
        wanted: list[tuple[str, str | None]] = [("area", area) for area in filters.areas or ()]
        if filters.language is not None:
            wanted.append(("language", filters.language))
        if filters.state is not None:
            wanted.append(("state", filters.state))
        if filters.gender is not None:
            wanted.append(("gender", filters.gender))
        bitsets = [self.bits.get(code, 0) for code in wanted]
        inside = 0  # the profiles of the cells within the miles whole
        if filters.near is not None:
            # near a ZIP code: the union of the cells under the bounding box, one more bitset
            latitude, longitude, miles, (min_lat, max_lat, min_lon, max_lon) = filters.near
            nearby = 0
            lat_cells = range(math.floor(min_lat), math.floor(max_lat) + 1)
            lon_cells = range(math.floor(min_lon), math.floor(max_lon) + 1)
            # which corners of the cells are within the miles, by the haversine's inside (the
            # terms of each row and column worked out once) and a margin for rounding
            phi = math.radians(latitude)
            cos_phi = math.cos(phi)
            edge = math.sin(miles / (2 * EARTH_RADIUS_MILES)) ** 2 * (1 - _MARGIN)
            lat_terms = [
                (
                    math.sin((math.radians(lat) - phi) / 2) ** 2,
                    cos_phi * math.cos(math.radians(lat)),
                )
                for lat in range(lat_cells.start, lat_cells.stop + 1)
            ]
            lon_terms = [
                math.sin(math.radians(lon - longitude) / 2) ** 2
                for lon in range(lon_cells.start, lon_cells.stop + 1)
            ]
            corners = [
                [half_lat + cosines * half_lon < edge for half_lon in lon_terms]
                for half_lat, cosines in lat_terms
            ]
            for row, lat_cell in enumerate(lat_cells):
                for column, lon_cell in enumerate(lon_cells):
                    cell = self.cells.get((lat_cell, lon_cell), 0)
                    nearby |= cell
                    # a cell whose four corners are within the miles is within them whole
                    if (
                        cell
                        and corners[row][column]
                        and corners[row][column + 1]
                        and corners[row + 1][column]
                        and corners[row + 1][column + 1]
                    ):
                        inside |= cell
            bitsets.append(nearby)
        bits: int | None = None
        for bitset in sorted(bitsets, key=int.bit_count):  # the smallest first
            bits = bitset if bits is None else bits & bitset
            if not bits:
                return None
        sources: list[tuple[int, Iterable[int] | None]] = [(len(self), None)]
        if bits is not None:
            sources.append((bits.bit_count(), _Members(bits)))
        county: int | None = None
        if filters.county is not None:
            found = self.county_keys.known(filters.county.lower())
            if found is None:
                return None
            county = found
            in_county = self.in_county.get(county, array("I"))
            sources.append((len(in_county), in_county))
        size, source = min(sources, key=_by_size)
        exclude = filters.exclude_department
        known = self.departments.known(exclude) if exclude is not None else None
        return _Query(
            bits=bits,
            flags=bits.to_bytes((bits.bit_length() + 7) // 8, "little") if bits else b"",
            county=county,
            exclude=-1 if known is None else known,
            near=filters.near,
            inside=inside.to_bytes((inside.bit_length() + 7) // 8, "little"),
            inside_bits=inside,
            source=source,
            in_bits=bits is not None and source is sources[1][1],
            size=size,
        )

    def keeps(self, query: _Query, slot: int) -> bool:
        """Whether the profile in ``slot`` meets the query's filters but the distance."""
        if query.bits is not None:
            at = slot >> 3
            if at >= len(query.flags) or not query.flags[at] >> (slot & 7) & 1:
                return False
        if query.exclude >= 0 and self.department[slot] == query.exclude:
            return False
        return query.county is None or self.county_key[self.county[slot]] == query.county

    def candidates(self, query: _Query) -> Iterator[int]:
        """The slots of the query's smallest source (every profile without one)."""
        if query.source is None:
            return iter(self.order)
        return iter(query.source)


def _by_moment(item: tuple[dt.datetime, int, bytes, int]) -> dt.datetime:
    return item[0]


def _by_size(source: tuple[int, Iterable[int] | None]) -> int:
    return source[0]


class _Distance:
    """Whether a profile is within the miles of the ZIP code searched near (a profile in a
    cell within them whole is not measured; one outside the bounding box neither), and its
    miles (the haversine, as ``geo.distance_miles``) for the rows of a page."""

    def __init__(
        self,
        profiles: _Profiles,
        near: tuple[float, float, float, tuple[float, float, float, float]],
        inside: bytes,
    ) -> None:
        (
            latitude,
            longitude,
            self._miles,
            (self._min_lat, self._max_lat, self._min_lon, self._max_lon),
        ) = near
        self._inside = inside
        self._profiles = profiles
        self._phi, self._lam = math.radians(latitude), math.radians(longitude)
        self._cos_phi = math.cos(self._phi)
        # the haversine's inside at the miles, less and more by far more than rounding: below
        # the first a profile is within them, above the second it is not
        edge = math.sin(self._miles / (2 * EARTH_RADIUS_MILES)) ** 2
        self._haversines = edge * (1 - _MARGIN), edge * (1 + _MARGIN)

    def within(self, slot: int) -> bool:
        at = slot >> 3
        if at < len(self._inside) and self._inside[at] >> (slot & 7) & 1:
            return True
        latitude = self._profiles.latitude[slot]
        longitude = self._profiles.longitude[slot]
        if (
            latitude < self._min_lat
            or latitude > self._max_lat
            or longitude < self._min_lon
            or longitude > self._max_lon
        ):
            return False
        return self.miles(slot) <= self._miles

    def kept(self, slots: Slots) -> Slots:
        """The slots within the miles, as ``within`` decides, all at once: the haversine's
        inside worked out as arrays, and the miles only for the few too near the edge to
        tell by it."""
        latitude = _gathered(self._profiles.latitude, slots)
        longitude = _gathered(self._profiles.longitude, slots)
        flags = np.unpackbits(np.frombuffer(self._inside, np.uint8), bitorder="little")
        in_cells = np.zeros(len(slots), dtype=bool)
        flagged = slots < len(flags)
        in_cells[flagged] = flags[slots[flagged]].astype(bool)
        in_box = (
            (latitude >= self._min_lat)
            & (latitude <= self._max_lat)
            & (longitude >= self._min_lon)
            & (longitude <= self._max_lon)
        )
        phi = np.radians(latitude)
        half_lat = np.sin((phi - self._phi) / 2)
        half_lon = np.sin((np.radians(longitude) - self._lam) / 2)
        haversine = half_lat * half_lat + self._cos_phi * np.cos(phi) * half_lon * half_lon
        surely_in, surely_out = self._haversines
        keep = in_cells | (in_box & (haversine < surely_in))
        for at in np.flatnonzero(~keep & in_box & (haversine <= surely_out)).tolist():
            keep[at] = self.miles(int(slots[at])) <= self._miles
        kept: Slots = slots[keep]
        return kept

    def miles(self, slot: int) -> float:
        phi = math.radians(self._profiles.latitude[slot])
        half_lat = math.sin((phi - self._phi) / 2)
        half_lon = math.sin((math.radians(self._profiles.longitude[slot]) - self._lam) / 2)
        haversine = half_lat * half_lat + self._cos_phi * math.cos(phi) * half_lon * half_lon
        return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, haversine)))


class SupporterIndex:
    """The active profiles of this process, arranged for the search, and how far it has
    followed the database's changes."""

    def __init__(self) -> None:
        self._held = _Profiles()
        self._generation = 0  # the database's starts at 1: the first look reads everything
        self._counted = 0
        self._lock = asyncio.Lock()
        self._asked = 0  # searches that asked for an up-to-date copy
        self._served = 0  # of those, the ones a finished query has answered

    def __len__(self) -> int:
        return len(self._held)

    def profiles(self) -> Iterator[SupporterRow]:
        """Every active profile held (as of the last refresh), made one at a time."""
        held = self._held
        for slot in list(held.slot_of.values()):
            yield held.row(slot)

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
            if changes.generation == self._generation:
                self.apply(changes.rows)
                self._counted = changes.counted
            else:
                await self._read_all(pool)
            self._served = covers

    async def _read_all(self, pool: asyncpg.Pool) -> None:
        """Every active profile, from scratch (at start, and after a deletion), in batches:
        the process never holds them all as rows at once."""
        day = self._held.day
        self._held = _Profiles()  # the old copy goes first: one copy at a time
        self._generation = 0  # until the whole has been read
        self._held.day = day
        generation = counted = 0
        async for batch in store.every_active_supporter(db=pool, batch=_BATCH):
            self._held.apply(batch.rows, arranged=False)
            generation, counted = batch.generation, batch.counted
        self._held.arrange(day)
        self._generation, self._counted = generation, counted
        settle_heap()  # the collector need not walk the profiles again

    def apply(self, rows: list[tuple[SupporterRow, int]]) -> None:
        """Apply changed profiles, each with the number of its change (a later number
        wins; an inactive profile leaves the index)."""
        if len(rows) >= _RESORT_FROM:
            self._held.apply(rows, arranged=False)
            self._held.arrange(self._held.day)
        else:
            self._held.apply(rows, arranged=True)

    async def warm_up(self, pool: asyncpg.Pool, now: dt.datetime) -> None:
        """Read every profile and arrange them in the rotation of ``now``'s day, so that the
        first search arranges nothing (at 50,000 profiles that took 0.65 s of it)."""
        await self.refresh(pool)
        self.arrange_for(now)

    @property
    def arranged_day(self) -> int:
        """The day (``date.toordinal()``, UTC) whose rotation the profiles are in."""
        return self._held.day

    def arrange_for(self, now: dt.datetime) -> None:
        """The rotation of ``now``'s day, if it is a new one (housekeeping calls this every
        tick, so a new day's first search seldom has to)."""
        self._today(now)

    def _today(self, now: dt.datetime) -> None:
        """The rotation of a new day (once a day, at its first search)."""
        today = now.astimezone(dt.UTC).date().toordinal()
        if today != self._held.day:
            self._held.arrange(today)

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
        self._today(now)
        held = self._held
        query = held.query(filters)
        if query is None:
            return []
        available = _Availability(held, now, minutes)
        distance = None if query.near is None else _Distance(held, query.near, query.inside)
        after_key = (after[0], after[1], after[2].bytes) if after is not None else None
        found: list[tuple[tuple[bool, int, bytes], int]] | None = None
        budget = max(WALK_AT_LEAST, WALK_PER_CANDIDATE * query.size)
        # the sample's estimate is at least limit * profiles / size (every one a hit): when
        # that is over the budget, the sample cannot choose the walk and is not tried
        if day == held.day and (
            budget >= len(held)
            or (
                limit * len(held) <= budget * query.size
                and self._walk_length(query, available, distance, limit) <= budget
            )
        ):
            found = self._walk(query, filters, available, distance, after_key, limit, budget)
        if found is None:
            found = self._read(query, filters, available, distance, day, after_key, limit)
        return [
            SearchRow(
                held.row(slot),
                not key[0],
                key[1],
                None if distance is None else distance.miles(slot),
            )
            for key, slot in found
        ]

    def _walk_length(
        self, query: _Query, is_available: _Availability, distance: _Distance | None, limit: int
    ) -> float:
        """The steps a walk along the rotation would take to find ``limit`` matches on call
        now, from the share of them among the first profiles of the smallest source."""
        held = self._held
        sample = list(itertools.islice(held.candidates(query), _SAMPLE))
        hits = sum(
            1
            for slot in sample
            if held.keeps(query, slot)
            and (distance is None or distance.within(slot))
            and is_available(slot)
        )
        if not hits:
            return math.inf
        return limit * len(sample) * len(held) / (hits * query.size)

    def _walk(
        self,
        query: _Query,
        filters: SearchFilters,
        is_available: _Availability,
        distance: _Distance | None,
        after: tuple[bool, int, bytes] | None,
        limit: int,
        budget: int,
    ) -> list[tuple[tuple[bool, int, bytes], int]] | None:
        """The page, walking the day's rotation: available matches after ``after`` until
        the page is full, then (not ``available_now``) the first others after it. None when
        the walk takes more than ``budget`` steps: reading the smallest source is cheaper."""
        held = self._held
        order, rotations, keys = held.order, held.rotation, held.key
        keeps = held.keeps

        def position(key: tuple[int, bytes]) -> int:  # the first slot after ``key``
            return bisect.bisect_right(order, key, key=held.order_of)

        # where each part begins: available ones after the cursor, the others after it
        if after is None:
            first_available, first_other = 0, 0
        elif not after[0]:
            first_available, first_other = position(after[1:]), 0
        else:
            first_available, first_other = len(order), position(after[1:])
        if filters.available_now:
            first_other = len(order)
        found: list[tuple[tuple[bool, int, bytes], int]] = []
        steps = 0
        # the available ones first; then, if they do not fill the page, the others
        for available, first in ((True, first_available), (False, first_other)):
            for at in range(first, len(order)):
                steps += 1
                if steps > budget:
                    return None
                slot = order[at]
                if not keeps(query, slot):
                    continue
                if distance is not None and not distance.within(slot):
                    continue
                if is_available(slot) == available:
                    found.append(((not available, rotations[slot], keys[slot]), slot))
                    if len(found) == limit:
                        return found
        return found

    def _read(
        self,
        query: _Query,
        filters: SearchFilters,
        is_available: _Availability,
        distance: _Distance | None,
        day: int,
        after: tuple[bool, int, bytes] | None,
        limit: int,
    ) -> list[tuple[tuple[bool, int, bytes], int]]:
        """The page, reading every profile of the query's smallest source: its matches'
        sort keys, the smallest kept. The source is put in the rotation's order first; the
        distance and who is on call are worked out only for the profiles the page walks
        past (most of a large source is never measured)."""
        held = self._held
        rotations, keys = held.rotation, held.key
        exclude = query.exclude
        slots: Slots
        if query.in_bits and query.county is None:
            # the source is the bitsets' members: only the department and the distance are
            # left to test
            assert query.bits is not None
            slots = _slot_array(query.bits)
            if exclude >= 0:
                slots = slots[_gathered(held.department, slots) != exclude]
        else:
            keeps = held.keeps
            slots = np.fromiter(
                (slot for slot in held.candidates(query) if keeps(query, slot)), np.int64
            )
        if distance is not None:
            slots = distance.kept(slots)
        # the matches in the rotation's order, then who is on call only until the page of
        # those on call is full (most matches need not be worked out)
        if day == held.day:
            ranks = _gathered(rotations, slots)
            in_order = np.argsort(ranks, kind="stable")
            slots, ranks = slots[in_order], ranks[in_order]
            kept: list[int] = slots.tolist()
            if len(ranks) > 1 and bool((ranks[1:] == ranks[:-1]).any()):
                kept.sort(key=held.order_of)  # a tie in the rotation: the id decides
            places: list[int] = [rotations[slot] for slot in kept]
        else:
            ordered = sorted(
                (rotation(UUID(bytes=keys[slot]), day), keys[slot], slot) for slot in slots.tolist()
            )
            places = [place for place, _, _ in ordered]
            kept = [slot for _, _, slot in ordered]
        on_call: list[tuple[tuple[bool, int, bytes], int]] = []
        others: list[tuple[tuple[bool, int, bytes], int]] = []
        only_available = filters.available_now
        for slot, place in zip(kept, places, strict=True):
            if is_available(slot):
                key = (False, place, keys[slot])
                if after is None or key > after:
                    on_call.append((key, slot))
                    if len(on_call) == limit:
                        return on_call
            elif not only_available and len(others) < limit:
                key = (True, place, keys[slot])
                if after is None or key > after:
                    others.append((key, slot))
        return (on_call + others)[:limit]

    # -- who is on call next ------------------------------------------------------------

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
        self._today(now)
        held = self._held
        query = held.query(filters)
        if query is None:
            return []
        moments = _Moments(now)
        on_call = _OnCall(held, now, minutes, moments)
        found: list[tuple[dt.datetime, int, bytes, int, float | None]]
        if filters.near is not None or filters.state is not None or query.size * 10 < len(held):
            found = []
            for slot, distance in self._matching(query):
                moment = on_call(slot)
                if moment is not None:
                    found.append((moment, held.rotation[slot], held.key[slot], slot, distance))
        else:
            found = self._walk_to_next_on_call(query, on_call, minutes, moments, limit)
        found.sort(key=lambda item: item[:3])
        return [
            NextOnCallRow(held.row(slot), moment, distance)
            for moment, _, _, slot, distance in found[:limit]
        ]

    def _walk_to_next_on_call(
        self,
        query: _Query,
        on_call: _OnCall,
        minutes: Mapping[str, int],
        moments: _Moments,
        limit: int,
    ) -> list[tuple[dt.datetime, int, bytes, int, float | None]]:
        """The matches whose next slot starts soonest, walked in that order (then the day's
        rotation) across every zone, until no later one could be among the first ``limit``:
        the network is not read whole. A profile's first slot in the walk, or the end of
        the switch keeping it off, bounds when it is on call: it is on call at that end if
        its schedule is on then, else at a slot's start."""
        held = self._held
        seen: set[int] = set()
        found: list[tuple[dt.datetime, int, bytes, int, float | None]] = []
        first: list[tuple[dt.datetime, int, bytes]] = []  # the soonest ``limit``, sorted
        for bound, slot in self._by_next_start(on_call.now, minutes, moments):
            order = held.rotation[slot], held.key[slot]
            if len(first) == limit and (bound, *order) > first[-1]:
                break
            if slot in seen:
                continue
            seen.add(slot)
            if not held.keeps(query, slot):
                continue
            moment = on_call(slot)
            if moment is None:
                continue
            found.append((moment, *order, slot, None))
            key = (moment, *order)
            if len(first) < limit or key < first[-1]:
                bisect.insort(first, key)
                del first[limit:]
        return found

    def _by_next_start(
        self, now: dt.datetime, minutes: Mapping[str, int], moments: _Moments
    ) -> Iterator[tuple[dt.datetime, int]]:
        """Every slot of every profile, soonest start first from each zone's minute now, then
        by the day's rotation, and the end of each switch that keeps a profile off call now:
        (when it starts or ends, the profile's slot)."""
        held = self._held
        week = availability.MINUTES_PER_WEEK
        rotations, keys, off = held.rotation, held.key, held.off
        # (when, rotation, key, zone (-1: the switches), position, first position, minute)
        heads: list[tuple[dt.datetime, int, bytes, int, int, int, int]] = []
        for zone, (starts, slots) in held.starts.items():
            name = held.zones.values[zone]
            minute = minutes.get(name)
            if minute is None or not starts:
                continue
            position = bisect.bisect_left(starts, minute)
            slot = slots[position % len(slots)]
            at = moments.after(name, (starts[position % len(starts)] - minute) % week)
            heads.append((at, rotations[slot], keys[slot], zone, position, position, minute))
        ending = bisect.bisect_right(off, now, key=_by_moment)
        if ending < len(off):
            until, order, key, _ = off[ending]
            heads.append((until, order, key, -1, ending, ending, 0))
        heapq.heapify(heads)
        while heads:
            _, _, _, zone, position, first, minute = heads[0]
            if zone < 0:
                yield off[position][0], off[position][3]
                position += 1
                if position < len(off):
                    until, order, key, _ = off[position]
                    heapq.heapreplace(heads, (until, order, key, -1, position, first, 0))
                else:
                    heapq.heappop(heads)
                continue
            starts, slots = held.starts[zone]
            yield heads[0][0], slots[position % len(slots)]
            position += 1
            if position - first < len(starts):
                slot = slots[position % len(slots)]
                name = held.zones.values[zone]
                at = moments.after(name, (starts[position % len(starts)] - minute) % week)
                heapq.heapreplace(
                    heads, (at, rotations[slot], keys[slot], zone, position, first, minute)
                )
            else:
                heapq.heappop(heads)

    def _matching(self, query: _Query) -> Iterator[tuple[int, float | None]]:
        """Every profile that meets the filters but ``available_now``, with its distance
        from the ZIP code searched near (None without one)."""
        held = self._held
        if query.near is None:
            for slot in held.candidates(query):
                if held.keeps(query, slot):
                    yield slot, None
            return
        latitude, longitude, miles, _ = query.near
        for slot in held.candidates(query):  # within the cells under the bounding box
            if not held.keeps(query, slot):
                continue
            distance = geo.distance_miles(
                latitude, longitude, held.latitude[slot], held.longitude[slot]
            )
            if distance <= miles:
                yield slot, distance


class _OnCall:
    """When the profile in a slot is next on call (as ``availability.next_on_call``); None
    while on call now, or when no schedule puts it on call again."""

    def __init__(
        self,
        profiles: _Profiles,
        now: dt.datetime,
        minutes: Mapping[str, int],
        moments: _Moments,
    ) -> None:
        self._profiles = profiles
        self.now = self._now = now
        self._minutes = minutes
        self._moments = moments
        self._available = _Availability(profiles, now, minutes)

    def __call__(self, slot: int) -> dt.datetime | None:
        if self._available(slot):
            return None
        profiles = self._profiles
        time_zone = profiles.zones.values[profiles.zone[slot]]
        shape = profiles.schedule_of[profiles.schedule[slot]]
        available_until, until = profiles.switch.get(slot, (None, None))
        if until is not None and self._now < until:  # switched off: rare, worked out in full
            return availability.next_on_call(
                spans=shape.spans,
                time_zone=time_zone,
                available_until=available_until,
                unavailable_until=until,
                now=self._now,
            )
        minute = self._minutes.get(time_zone)
        if minute is None:
            return None
        ahead = availability.minutes_to_next_start(shape.starts, shape.ends, minute)
        if ahead is None:
            return None
        moment, skipped = self._moments.reading(time_zone, ahead)
        if skipped:  # the slot starts in the hour summer time skips: rare, worked out in full
            return availability.next_on_call(
                spans=shape.spans,
                time_zone=time_zone,
                available_until=available_until,
                unavailable_until=until,
                now=self._now,
            )
        return moment
