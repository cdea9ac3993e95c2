"""ZIP code centroids from the shipped table, and the distances searches use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import zipcodes

from servicekit.geo import bounding_box, distance_miles, zip_place

PROJECT = Path(__file__).resolve().parents[2]


def test_a_known_zip_has_its_state_county_and_centroid() -> None:
    place = zip_place(" 60601 ")
    assert place is not None
    assert (place.state, place.county) == ("IL", "Cook")
    assert 41.8 < place.latitude < 41.95
    assert -87.7 < place.longitude < -87.55


@pytest.mark.parametrize("value", ["6060", "606011", "ABCDE", "00000", ""])
def test_malformed_or_unknown_zips_have_no_place(value: str) -> None:
    assert zip_place(value) is None


def test_distances_are_great_circle_miles() -> None:
    # Chicago (Loop) to Springfield, IL: about 180 miles as the crow flies
    assert 175 < distance_miles(41.8857, -87.6229, 39.7990, -89.6440) < 190
    assert distance_miles(41.0, -87.0, 41.0, -87.0) == 0


def test_the_bounding_box_holds_every_point_within_the_distance() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(41.8857, -87.6229, 25)
    for lat, lon in ((min_lat, -87.6229), (max_lat, -87.6229), (41.8857, min_lon)):
        assert distance_miles(41.8857, -87.6229, lat, lon) == pytest.approx(25, rel=0.01)
    assert min_lat < 41.8857 < max_lat
    assert min_lon < -87.6229 < max_lon
    # near a pole the box spans every longitude rather than overflowing
    _, _, west, east = bounding_box(89.99, 0, 100)
    assert (west, east) == (-180.0, 180.0)


def test_the_table_holds_every_zip_code_and_the_process_not_the_package() -> None:
    # the package's database (some 40 MB once asked) stays in the short-lived reader
    script = (
        "import sys; from servicekit import geo; geo.load(); "
        "print('zipcodes' in sys.modules, sum(1 for _ in geo.places()))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=PROJECT
    )
    loaded, count = ran.stdout.split()
    assert loaded == "False"
    assert int(count) == sum(
        1 for entry in zipcodes.list_all() if entry.get("lat") and entry.get("long")
    )
    po_box = zip_place("00501")  # Holtsville, NY: a single firm's code
    assert po_box is not None
    assert (po_box.state, po_box.standard) == ("NY", False)
