"""The listing officers see: a vetted professional and its parts.

Each type here is also the row the store reads (through `servicekit.rows.RowReader`), so a
listing's field is declared once: a new one touches the migration, this file and the page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from servicekit.graphql import parse_id, require_principal
from servicekit.vocabulary import Gender

from .context import context
from .vocabulary import CARRIERS, LicenseType, Modality, PlanType, Specialty


@strawberry.type(description="An insurance carrier from the network's list.")
class InsuranceCarrier:
    code: str
    name: str


@strawberry.type(description="A carrier and the plan types accepted with it.")
class Insurance:
    carrier: InsuranceCarrier
    plan_types: list[PlanType]


def insurance_of(entries: Sequence[dict[str, Any]]) -> list[Insurance]:
    """The insurance an application lists, as stored (`[{carrier, plan_types}]`)."""
    return [
        Insurance(
            carrier=InsuranceCarrier(code=entry["carrier"], name=CARRIERS[entry["carrier"]]),
            plan_types=[PlanType(plan) for plan in entry["plan_types"]],
        )
        for entry in entries
    ]


def insurance_from_json(text: str) -> list[Insurance]:
    return insurance_of(json.loads(text))


@strawberry.type(description="A practice address (placed by its ZIP code).")
class PracticeLocation:
    professional_id: strawberry.Private[UUID]
    street: str
    city: str
    state: str
    zip_code: str
    county: str


@strawberry.type(description="The availability commitment the program requires.")
class AvailabilityCommitment:
    answers_calls_any_hour: bool
    schedules_within_24_hours: bool


async def _locations(root: Professional, info: Info[Any, Any]) -> list[PracticeLocation]:
    return await context(info).loaders.locations.load(root.key)


@strawberry.federation.type(
    keys=["id"],
    description="A vetted professional, as listed for signed-in officers. Viewing or calling "
    "one is recorded nowhere.",
)
class Professional:
    id: strawberry.ID
    key: strawberry.Private[UUID]
    full_name: str
    credentials: str = strawberry.field(description="e.g. PhD, LCSW.")
    license_types: list[LicenseType]
    service_states: list[str] = strawberry.field(
        description="States where licensed or served by telehealth."
    )
    practice_name: str | None
    locations: list[PracticeLocation] = strawberry.field(resolver=_locations)
    telehealth: bool
    telehealth_states: list[str]
    languages: list[str] = strawberry.field(
        description="ISO 639 codes, e.g. `en`, `es` (names: `professionalLanguages`)."
    )
    specialties: list[Specialty]
    modalities: list[Modality] = strawberry.field(description="Whom they see in a session.")
    gender: Gender | None = strawberry.field(description="Only when they chose to state it.")
    accepting_new_clients: bool
    insurance: list[Insurance]
    self_pay: bool
    availability: AvailabilityCommitment  # from the two columns below, as the row is read
    law_enforcement_experience_years: int = strawberry.field(
        description="Years of experience treating law-enforcement officers."
    )
    law_enforcement_experience: str | None
    phone: str = strawberry.field(description="The practice's phone, E.164.")
    website: str | None
    distance_miles: float | None = strawberry.field(
        default=None, description="Miles from the ZIP code searched from (nearest office)."
    )
    answers_any_hour: strawberry.Private[bool]
    schedules_within_24h: strawberry.Private[bool]
    # the distance search's sort key (a chord, in metres), for cursors
    search_key: strawberry.Private[float | None] = None

    @classmethod
    async def resolve_reference(
        cls, info: Info[Any, Any], id: strawberry.ID
    ) -> Professional | None:
        require_principal(info)
        professional_id = parse_id(id)
        if professional_id is None:
            return None
        return await context(info).loaders.listed.load(professional_id)
