"""The fictional departments every service's demo data refers to.

All names are invented; no real person or department is implied to be a member. Ids are
derived from the ORI, so each service's demo data can point at the same departments
without reading another service's database. ORIs use a ``Z`` in the sixth place, a
pattern kept clear of real agency identifiers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

_NAMESPACE = uuid.UUID("6f1d9a52-3c1e-4f55-9a67-2f0b8c1e7d40")


@dataclass(frozen=True, slots=True)
class DemoDepartment:
    ori: str
    name: str
    county: str
    state: str
    sworn_officers: int
    civilians_enrolled: bool
    status: str = "active"

    @property
    def id(self) -> uuid.UUID:
        return demo_department_id(self.ori)


def demo_department_id(ori: str) -> uuid.UUID:
    """The stable id of the demo department with this ORI."""
    return uuid.uuid5(_NAMESPACE, ori)


def _ori(state: str, county_number: int, serial: int) -> str:
    return f"{state}{county_number:03d}Z{serial:03d}"


DEMO_DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment(_ori("IL", 1, 1), "Marrow Bluff Police Department", "Adams", "IL", 38, True),
    DemoDepartment(
        _ori("IL", 1, 2), "Lindell Crossing Police Department", "Adams", "IL", 12, False
    ),
    DemoDepartment(_ori("IL", 16, 1), "Harlow Park Police Department", "Cook", "IL", 46, True),
    DemoDepartment(
        _ori("IL", 16, 2), "Westmere Village Police Department", "Cook", "IL", 29, False
    ),
    DemoDepartment(_ori("IL", 16, 3), "Calder Heights Police Department", "Cook", "IL", 41, True),
    DemoDepartment(_ori("IL", 22, 1), "Fenwood Police Department", "DuPage", "IL", 35, True),
    DemoDepartment(_ori("IL", 22, 2), "Ashgrove Police Department", "DuPage", "IL", 24, False),
    DemoDepartment(_ori("IL", 32, 1), "Morrow Falls Police Department", "Grundy", "IL", 14, False),
    DemoDepartment(_ori("IL", 45, 1), "Tamsin Ridge Police Department", "Kane", "IL", 33, True),
    DemoDepartment(_ori("IL", 45, 2), "Oxbow Prairie Police Department", "Kane", "IL", 19, False),
    DemoDepartment(_ori("IL", 47, 1), "Kestrel Point Police Department", "Kendall", "IL", 22, True),
    DemoDepartment(_ori("IL", 50, 1), "Greyfield Police Department", "LaSalle", "IL", 17, False),
    DemoDepartment(_ori("IL", 49, 1), "Shorecliff Police Department", "Lake", "IL", 44, True),
    DemoDepartment(_ori("IL", 49, 2), "Brindle Lake Police Department", "Lake", "IL", 27, False),
    DemoDepartment(_ori("IL", 56, 1), "Pellham Woods Police Department", "McHenry", "IL", 31, True),
    DemoDepartment(
        _ori("IL", 57, 1), "Corliss Junction Police Department", "McLean", "IL", 26, False
    ),
    DemoDepartment(_ori("IL", 71, 1), "Ravensford Police Department", "Ogle", "IL", 11, False),
    DemoDepartment(_ori("IL", 72, 1), "Larkmoor Police Department", "Peoria", "IL", 39, True),
    DemoDepartment(_ori("IL", 82, 1), "Quillan Police Department", "St. Clair", "IL", 30, True),
    DemoDepartment(_ori("IL", 99, 1), "Elderbrook Police Department", "Will", "IL", 42, True),
    DemoDepartment(_ori("IL", 99, 2), "Stonemill Police Department", "Will", "IL", 21, False),
    DemoDepartment(_ori("WI", 30, 1), "Norrland Bay Police Department", "Kenosha", "WI", 28, False),
    DemoDepartment(_ori("IN", 45, 1), "Dunmore Flats Police Department", "Lake", "IN", 23, True),
    DemoDepartment(
        _ori("MO", 95, 1), "Cobble Creek Police Department", "St. Louis", "MO", 36, False
    ),
    DemoDepartment(
        _ori("IL", 16, 4), "Wrenfield Police Department", "Cook", "IL", 18, False, "prospect"
    ),
)
