"""US ZIP code centroids (offline, from the maintained ``zipcodes`` package) and distances.

No network call is ever made: the package ships its data. Used by the searches that offer
"within N miles of a ZIP code".
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from functools import lru_cache

import zipcodes

EARTH_RADIUS_MILES = 3958.8
_ZIP = re.compile(r"^\d{5}$")


@dataclass(frozen=True, slots=True)
class ZipPlace:
    zip_code: str
    latitude: float
    longitude: float
    state: str
    county: str
    timezone: str | None


Place = tuple[str, float, float, str, str, str | None]


def _read_places() -> list[Place]:
    """Every ZIP code's centroid, state, county and zone, read from the package."""
    # by two-digit prefix, not ``list_all()``: that keeps the package's 42,000 full entries
    # (some 140 MB) for the life of the process; these are made, read and let go a few at a time
    places: list[Place] = []
    for prefix in range(100):
        for entry in zipcodes.similar_to(f"{prefix:02d}"):
            try:
                latitude, longitude = float(entry["lat"]), float(entry["long"])
            except (KeyError, TypeError, ValueError):
                continue
            county = str(entry.get("county") or "").removesuffix(" County").removesuffix(" Parish")
            places.append(
                (
                    entry["zip_code"],
                    latitude,
                    longitude,
                    entry["state"],
                    county,
                    entry.get("timezone") or None,
                )
            )
    return places


@lru_cache(maxsize=1)
def _places() -> dict[str, ZipPlace]:
    return {
        zip_code: ZipPlace(
            zip_code=zip_code,
            latitude=latitude,
            longitude=longitude,
            state=sys.intern(state),
            county=sys.intern(county),
            timezone=sys.intern(timezone) if timezone else None,
        )
        for zip_code, latitude, longitude, state, county, timezone in _read_places()
    }


def load() -> None:
    """Read the ZIP table now (at start-up) rather than on the first search."""
    _places()


def zip_place(value: str) -> ZipPlace | None:
    """The centroid of a five-digit US ZIP code, or None when it is unknown."""
    zip_code = value.strip()
    if not _ZIP.match(zip_code):
        return None
    return _places().get(zip_code)


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
