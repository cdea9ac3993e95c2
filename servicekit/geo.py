"""US ZIP code centroids (offline, from the maintained ``zipcodes`` package) and distances.

No network call is ever made: the package ships its data. Used by the searches that offer
"within N miles of a ZIP code".

The package's compiled core holds its whole database (some 40 MB) once it is first asked
anything, and a Python object per ZIP code would add another 20 MB to every process that
searches. So the table is read by a short-lived child process (``python -m servicekit.geo``)
that writes it as packed columns; the service keeps only those columns (about 1.5 MB for
42,000 ZIP codes: numbers in arrays, the few thousand distinct names once each) and makes a
:class:`ZipPlace` when one is asked for.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import struct
import subprocess
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

EARTH_RADIUS_MILES = 3958.8
_ZIP = re.compile(r"^\d{5}$")
_HEADER = struct.Struct("<II")  # names' JSON length, rows


@dataclass(frozen=True, slots=True)
class ZipPlace:
    zip_code: str
    latitude: float
    longitude: float
    state: str
    county: str
    timezone: str | None
    standard: bool = True  # a street-address ZIP code, not a PO box, single firm or military


@dataclass(frozen=True, slots=True)
class _Table:
    """Every ZIP code as columns, sorted by code."""

    codes: array[int]
    latitudes: array[float]
    longitudes: array[float]
    states: array[int]  # index into ``names``
    counties: array[int]
    timezones: array[int]  # 0: no zone known
    standard: array[int]
    names: tuple[str, ...]

    def place(self, row: int) -> ZipPlace:
        zone = self.timezones[row]
        return ZipPlace(
            zip_code=f"{self.codes[row]:05d}",
            latitude=self.latitudes[row],
            longitude=self.longitudes[row],
            state=self.names[self.states[row]],
            county=self.names[self.counties[row]],
            timezone=self.names[zone] if zone else None,
            standard=bool(self.standard[row]),
        )

    def row_of(self, code: int) -> int | None:
        row = bisect.bisect_left(self.codes, code)
        return row if row < len(self.codes) and self.codes[row] == code else None


def _write_table() -> None:
    """Read the package's table and write it, packed, to standard output (the child's job)."""
    import zipcodes  # only the child process loads the package's database

    names: dict[str, int] = {"": 0}
    rows: list[tuple[int, float, float, int, int, int, int]] = []

    def name(value: str) -> int:
        return names.setdefault(value, len(names))

    # by two-digit prefix, not ``list_all()``: that makes all 42,000 full entries at once
    entries = (entry for prefix in range(100) for entry in zipcodes.similar_to(f"{prefix:02d}"))
    for entry in entries:
        try:
            latitude, longitude = float(entry["lat"]), float(entry["long"])
            code = int(entry["zip_code"])
        except (KeyError, TypeError, ValueError):
            continue
        county = str(entry.get("county") or "").removesuffix(" County").removesuffix(" Parish")
        rows.append(
            (
                code,
                latitude,
                longitude,
                name(str(entry["state"])),
                name(county),
                name(str(entry.get("timezone") or "")),
                1 if entry.get("zip_code_type") == "STANDARD" else 0,
            )
        )
    rows.sort()
    columns = list(zip(*rows, strict=True))
    header = json.dumps(list(names)).encode()
    out = sys.stdout.buffer
    out.write(_HEADER.pack(len(header), len(rows)))
    out.write(header)
    for typecode, column in zip("IddHHHB", columns, strict=True):
        out.write(array(typecode, column).tobytes())
    out.flush()


def _read_table() -> _Table:
    child = subprocess.run(
        [sys.executable, "-m", "servicekit.geo"], check=False, capture_output=True, timeout=120
    )
    if child.returncode != 0:
        problem = child.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"the ZIP code table could not be read: {''.join(problem)}")
    packed = child.stdout
    names_length, count = _HEADER.unpack_from(packed)
    offset = _HEADER.size
    names = tuple(sys.intern(name) for name in json.loads(packed[offset : offset + names_length]))
    offset += names_length

    columns: list[Any] = []  # the typecodes below make each an array of int or float
    for typecode in "IddHHHB":
        values = array(typecode)
        size = values.itemsize * count
        values.frombytes(packed[offset : offset + size])
        offset += size
        columns.append(values)
    codes, latitudes, longitudes, states, counties, timezones, standard = columns
    return _Table(codes, latitudes, longitudes, states, counties, timezones, standard, names)


@lru_cache(maxsize=1)
def _table() -> _Table:
    return _read_table()


def load() -> None:
    """Read the ZIP table now (at start-up) rather than on the first search."""
    _table()


def zip_place(value: str) -> ZipPlace | None:
    """The centroid of a five-digit US ZIP code, or None when it is unknown."""
    zip_code = value.strip()
    if not _ZIP.match(zip_code):
        return None
    table = _table()
    row = table.row_of(int(zip_code))
    return None if row is None else table.place(row)


def places() -> Iterator[ZipPlace]:
    """Every ZIP code's place, in code order."""
    table = _table()
    return (table.place(row) for row in range(len(table.codes)))


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in miles."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, a)))


def bounding_box(
    latitude: float, longitude: float, miles: float
) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing every point within ``miles``;
    lets an index narrow a search before the exact distance is computed."""
    d_lat = math.degrees(miles / EARTH_RADIUS_MILES)
    cos_lat = max(math.cos(math.radians(latitude)), 1e-6)
    d_lon = min(180.0, math.degrees(miles / (EARTH_RADIUS_MILES * cos_lat)))
    return latitude - d_lat, latitude + d_lat, longitude - d_lon, longitude + d_lon


if __name__ == "__main__":
    _write_table()
