"""The officers' search of the listing, and the listing's queries."""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from servicekit import geo, validation
from servicekit.graphql import FieldError, InputErrors, context_of
from servicekit.paging import PageInfo, decode_cursor, page_of, page_size
from servicekit.vocabulary import Gender, Language, language_code, languages

from . import listing_store, rules
from .context import context
from .listing import InsuranceCarrier, Professional
from .vocabulary import CARRIERS, Modality, PlanType, Specialty, carrier_code


@strawberry.type
class ProfessionalConnection:
    nodes: list[Professional]
    page_info: PageInfo
    errors: list[FieldError] = strawberry.field(
        default_factory=list,
        description="Problems with the search; no professionals are returned while there are any.",
    )


@strawberry.input(description="What to look for; every filter is optional.")
class ProfessionalSearch:
    state: str | None = strawberry.field(
        default=None, description="Licensed there or serving it by telehealth."
    )
    near_zip_code: str | None = strawberry.field(
        default=None, description="Nearest first from this US ZIP code."
    )
    within_miles: float = strawberry.field(default=50.0, description="With nearZipCode; 1-500.")
    insurance_carrier: str | None = strawberry.field(
        default=None, description="A code or name from `insuranceCarriers`."
    )
    plan_type: PlanType | None = None
    self_pay: bool = False
    specialty: Specialty | None = None
    language: str | None = strawberry.field(
        default=None,
        description="An ISO 639 code (`es`) or a name (`Spanish`) from `professionalLanguages`.",
    )
    gender: Gender | None = None
    modality: Modality | None = None
    accepting_new_clients: bool = False
    telehealth: bool = False
    answers_calls_any_hour: bool = False
    schedules_within_24_hours: bool = False


def search_filters(search: ProfessionalSearch, errors: InputErrors) -> listing_store.SearchFilters:
    """The store's filters; each problem is added to ``errors`` with its path (`search.…`),
    the way directory reports a bad filter."""
    state = None
    if search.state:
        state = search.state.strip().upper()
        if state not in validation.US_STATES:
            errors.add("search.state", f"'{search.state[:10]}' is not a US state code.")
    key = None
    if search.insurance_carrier:
        code = carrier_code(search.insurance_carrier)
        if code is None:
            errors.add(
                "search.insuranceCarrier",
                f"'{search.insurance_carrier[:40]}' is not a carrier we list.",
            )
        else:
            key = f"{code}:{search.plan_type.value}" if search.plan_type else code
    elif search.plan_type:
        key = f"*:{search.plan_type.value}"
    language = None
    if search.language:
        language = language_code(search.language)
        if language is None:
            errors.add(
                "search.language",
                f"'{search.language.strip()[:40]}' is not in the network's list of languages; "
                "use a code such as es or a name such as Spanish (see professionalLanguages).",
            )
    latitude = longitude = within = None
    if search.near_zip_code:
        place = geo.zip_place(search.near_zip_code)
        if place is None:
            known_shape = re.fullmatch(r"\d{5}", search.near_zip_code.strip())
            errors.add(
                "search.nearZipCode",
                "We don't know this ZIP code. Check it, or try a nearby one."
                if known_shape
                else f"'{search.near_zip_code[:10]}' is not a US ZIP code.",
            )
        if not 1 <= search.within_miles <= 500:
            errors.add("search.withinMiles", "Choose a distance between 1 and 500 miles.")
        elif place is not None:
            latitude, longitude, within = place.latitude, place.longitude, search.within_miles
    return listing_store.SearchFilters(
        state=state,
        insurance_key=key,
        self_pay=search.self_pay,
        specialty=search.specialty.value if search.specialty else None,
        language=language,
        telehealth=search.telehealth,
        answers_any_hour=search.answers_calls_any_hour,
        schedules_within_24h=search.schedules_within_24_hours,
        gender=search.gender.value if search.gender else None,
        modality=search.modality.value if search.modality else None,
        accepting_new_clients=search.accepting_new_clients,
        latitude=latitude,
        longitude=longitude,
        within_miles=within,
    )


First = Annotated[int, strawberry.argument(description="Page size, 1 to 100.")]


@strawberry.type
class ListingQueries:
    @strawberry.field(description="The insurance carriers an application may list. Public.")
    def insurance_carriers(self) -> list[InsuranceCarrier] | None:
        return [InsuranceCarrier(code=code, name=name) for code, name in CARRIERS.items()]

    @strawberry.field(
        description="The languages a professional may list and officers may search for, by "
        "ISO 639 code: the network's one list, the same as `supportLanguages`. Public."
    )
    def professional_languages(self) -> list[Language] | None:
        return languages()

    @strawberry.field(
        description="Vetted professionals anywhere in the country, for signed-in users. "
        "Nearest first with `nearZipCode`, else by name. Nothing about a search is recorded."
    )
    async def professionals(
        self,
        info: Info[Any, Any],
        search: ProfessionalSearch | None = None,
        first: First = 20,
        after: str | None = None,
    ) -> ProfessionalConnection | None:
        rules.signed_in(info)
        limit = page_size(first)
        errors = InputErrors()
        filters = search_filters(search or ProfessionalSearch(), errors)
        if errors:
            return ProfessionalConnection(
                nodes=[],
                page_info=PageInfo(end_cursor=None, has_next_page=False),
                errors=errors.items,
            )
        by_distance = filters.within_miles is not None
        cursor = decode_cursor(after, float if by_distance else str, UUID)
        rows = await listing_store.search(
            db=context_of(info).pool,
            filters=filters,
            today=context(info).loaders.today,
            after=(cursor[0], cursor[1]) if cursor else None,
            limit=limit + 1,
        )
        page, page_info = page_of(
            rows, limit, lambda row: (row.search_key if by_distance else row.full_name, row.key)
        )
        return ProfessionalConnection(nodes=list(page), page_info=page_info)

    @strawberry.field(description="One listed professional; null when not listed.")
    async def professional(self, info: Info[Any, Any], id: strawberry.ID) -> Professional | None:
        return await Professional.resolve_reference(info, id)
