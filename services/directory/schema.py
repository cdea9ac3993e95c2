"""The directory subgraph: the `PeerSupporter` entity and its search."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info
from strawberry.types.base import get_object_definition

from servicekit import validation
from servicekit.clock import Clock
from servicekit.graphql import (
    FieldError,
    Forbidden,
    InputErrors,
    RequestContext,
    context_of,
    parse_id,
    require_principal,
    require_role,
)
from servicekit.paging import PageInfo, decode_cursor, page_of, page_size
from servicekit.tokens import Principal
from servicekit.vocabulary import Gender, Language, languages

from . import availability, rules, store
from .availability import Weekday
from .report_months import ReportMonths
from .rules import SEARCH_ROLES, may_manage, may_see
from .search_index import SearchFilters, SupporterIndex
from .survey_quarters import SurveyQuarters
from .vocabulary import AreaOfSupport

# -- per-request loaders ------------------------------------------------------------------


class DirectoryLoaders:
    """One request's DataLoaders and its "now", read once so every field agrees."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock) -> None:
        self.now = clock.now()
        self.supporters = DataLoader[UUID, store.SupporterRow | None](
            lambda ids: self._supporters(pool, ids)
        )

    @staticmethod
    async def _supporters(pool: asyncpg.Pool, ids: list[UUID]) -> list[store.SupporterRow | None]:
        found = await store.get_supporters(db=pool, ids=ids)
        return [found.get(supporter_id) for supporter_id in ids]


@dataclass(frozen=True, slots=True)
class DirectoryResources:
    """What a directory process holds for as long as it runs, shared by every request."""

    months: ReportMonths  # this process's part in keeping report months
    survey: SurveyQuarters  # and supporter survey quarters
    search_index: SupporterIndex  # the profiles searches run over, in memory


# a directory request: its loaders, and the process's resources
DirectoryContext = RequestContext[DirectoryLoaders, DirectoryResources]


def context(info: Info[Any, Any]) -> DirectoryContext:
    """The request's context: who asks, its loaders, and the process's resources."""
    typed: DirectoryContext = info.context
    return typed


# -- types --------------------------------------------------------------------------------


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A police department (owned by membership).",
)
class Department:
    id: strawberry.ID


@strawberry.type(description="A time on one day of the week when the supporter takes calls.")
class ScheduleSlot:
    day: Weekday
    start: str = strawberry.field(description="Local time, `HH:MM` on a 24-hour clock.")
    end: str = strawberry.field(description="Local time, `HH:MM`; `24:00` is midnight.")


def _weekly_schedule(root: PeerSupporter) -> list[ScheduleSlot]:
    return [
        ScheduleSlot(
            day=day,
            start=availability.format_clock(start),
            end=availability.format_clock(end),
        )
        for day, start, end in availability.day_slots(root.row.spans)
    ]


@strawberry.federation.type(
    keys=["id"], description="A trained peer supporter, as they chose to describe themselves."
)
class PeerSupporter:
    # Plain attributes, filled once per row: the executor reads them without calling a
    # resolver (a search page selects a dozen fields of twenty supporters). Fields that
    # depend on the request's moment stay resolvers.
    id: strawberry.ID
    row: strawberry.Private[store.SupporterRow]
    display_name: str = strawberry.field(description="How they want to be called.")
    department: Department
    phone: str = strawberry.field(description="Phone number in E.164 form, e.g. +13125550142.")
    accepts_texts: bool
    tel_link: str = strawberry.field(description="A `tel:` link to call them.")
    sms_link: str | None = strawberry.field(
        description="An `sms:` link, when they take text messages."
    )
    languages: list[str] = strawberry.field(description="ISO 639 codes, e.g. `en`, `es`.")
    areas_of_support: list[AreaOfSupport]
    years_of_service: int | None
    certifications: list[str] = strawberry.field(
        description="Peer-support training and certifications."
    )
    bio: str
    gender: Gender | None = strawberry.field(
        description="Only when the supporter chose to state it."
    )
    zip_code: str = strawberry.field(description="The ZIP code where they work.")
    state: str = strawberry.field(description="USPS state code of the ZIP code, e.g. IL.")
    county: str
    time_zone: str = strawberry.field(
        description="IANA time zone of the schedule, e.g. America/Chicago."
    )

    @classmethod
    def from_row(
        cls, row: store.SupporterRow, now: dt.datetime, *, available_now: bool | None = None
    ) -> PeerSupporter:
        """The profile as shown at ``now``; ``available_now`` when already computed."""
        # fields named as the profile's are copied as they are; the rest are made here
        if available_now is None:
            available_now = availability.is_available(
                spans=row.spans,
                time_zone=row.time_zone,
                available_until=row.available_until,
                unavailable_until=row.unavailable_until,
                now=now,
            )
        return cls(
            **{name: getattr(row, name) for name in _COPIED},
            id=strawberry.ID(str(row.id)),
            row=row,
            department=Department(id=strawberry.ID(str(row.department_id))),
            tel_link=f"tel:{row.phone}",
            sms_link=f"sms:{row.phone}" if row.accepts_texts else None,
            areas_of_support=[AreaOfSupport(area) for area in row.areas],
            gender=Gender(row.gender) if row.gender else None,
            available_now=available_now,
            available_until=_ahead(row.available_until, now),
            unavailable_until=_ahead(row.unavailable_until, now),
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info[Any, Any], id: strawberry.ID
    ) -> PeerSupporter | None:
        principal = require_principal(info)
        supporter_id = parse_id(id)
        row = await context(info).loaders.supporters.load(supporter_id) if supporter_id else None
        if row is None or not may_see(principal, row):
            return None
        return cls.from_row(row, context(info).loaders.now)

    weekly_schedule: list[ScheduleSlot] = strawberry.field(
        resolver=_weekly_schedule,
        description="When they usually take calls, in their own time zone.",
    )
    # at the request's moment, made once per row (a search's query has computed the first)
    available_now: bool = strawberry.field(
        description="From their switch, else their schedule, at this moment."
    )
    available_until: dt.datetime | None = strawberry.field(
        description="Set while they switched themselves on outside their hours."
    )
    unavailable_until: dt.datetime | None = strawberry.field(
        description="Set while they switched themselves off."
    )

    @strawberry.field(
        description="When they are next on call, from their switch and weekly schedule; "
        "null while on call now, or when no schedule puts them on call again."
    )
    def next_on_call(self, info: Info[Any, Any]) -> dt.datetime | None:
        if self.available_now:
            return None
        return availability.next_on_call(
            spans=self.row.spans,
            time_zone=self.row.time_zone,
            available_until=self.row.available_until,
            unavailable_until=self.row.unavailable_until,
            now=context(info).loaders.now,
        )

    @strawberry.field(description="False once a coordinator deactivated the profile.")
    def active(self) -> bool:  # a resolver only to keep the field's place in the schema
        return self.row.active


def _ahead(moment: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    return moment if moment is not None and moment > now else None


# the profile's fields that PeerSupporter shows as they are stored (not gender: an enum)
_COPIED = tuple(
    item.python_name
    for item in get_object_definition(PeerSupporter, strict=True).fields
    if item.base_resolver is None
    and item.python_name in {field.name for field in dataclasses.fields(rules.ProfileIn)}
    and item.python_name != "gender"
)


@strawberry.type(description="One search result.")
class PeerSupporterMatch:
    supporter: PeerSupporter
    distance_miles: float | None = strawberry.field(
        description="Miles from the ZIP code searched near (centroid to centroid)."
    )


@strawberry.type
class PeerSupporterSearchResults:
    matches: list[PeerSupporterMatch]
    page_info: PageInfo
    errors: list[FieldError] = strawberry.field(
        description="Problems with the filter; no matches are returned while there are any."
    )


@strawberry.type
class PeerSupporterConnection:
    nodes: list[PeerSupporter]
    page_info: PageInfo


@strawberry.input(description="Within some miles of a US ZIP code.")
class NearZipCode:
    zip_code: str
    within_miles: int = 50


@strawberry.input(description="What to look for; every filter given must match.")
class PeerSupporterFilter:
    areas_of_support: list[AreaOfSupport] | None = strawberry.field(
        default=None, description="Supporters who cover every one of these areas."
    )
    language: str | None = strawberry.field(default=None, description="An ISO 639 code.")
    state: str | None = None
    county: str | None = strawberry.field(default=None, description="Needs `state` too.")
    near: NearZipCode | None = None
    available_now: bool = False
    gender: Gender | None = None
    include_own_department: bool = strawberry.field(
        default=False,
        description="Your own department's supporters are left out unless this is true.",
    )


# -- queries ------------------------------------------------------------------------------

First = Annotated[int, strawberry.argument(description="Page size, 1 to 100.")]
MAX_NEXT_ON_CALL = 20
_ONE_PAGE = PageInfo(end_cursor=None, has_next_page=False)


def _strict_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def search_filters(
    search: PeerSupporterFilter, principal: Principal, errors: InputErrors
) -> SearchFilters:
    state = validation.state_code(search.state, "filter.state", errors) if search.state else None
    county = rules.search_county(search.county, errors) if search.county is not None else None
    if search.county is not None and search.state is None:
        errors.add("filter.county", "Choose the state as well: county names repeat.")
    near = (
        rules.search_near(search.near.zip_code, search.near.within_miles, errors)
        if search.near
        else None
    )
    own = parse_id(principal.department_id)
    return SearchFilters(
        exclude_department=None if search.include_own_department else own,
        areas=sorted({area.value for area in search.areas_of_support})
        if search.areas_of_support
        else None,
        language=rules.search_language(search.language, errors) if search.language else None,
        state=state,
        county=county,
        gender=search.gender.value if search.gender else None,
        near=near,
        available_now=search.available_now,
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Find a peer supporter: available now first, then a rotation that "
        "changes daily. Nothing about the search is stored or logged."
    )
    async def search_peer_supporters(
        self,
        info: Info[Any, Any],
        filter: PeerSupporterFilter | None = None,
        first: First = 20,
        after: str | None = None,
    ) -> PeerSupporterSearchResults | None:
        principal = require_role(info, *SEARCH_ROLES)
        limit = page_size(first)
        cursor = decode_cursor(after, int, _strict_bool, int, UUID)
        errors = InputErrors()
        filters = search_filters(filter or PeerSupporterFilter(), principal, errors)
        if errors:
            return PeerSupporterSearchResults(
                matches=[],
                page_info=PageInfo(end_cursor=None, has_next_page=False),
                errors=errors.items,
            )
        now = context(info).loaders.now
        # the rotation's day travels in the cursor, so paging across midnight stays whole
        day = cursor[0] if cursor else now.astimezone(dt.UTC).date().toordinal()
        index = context(info).resources.search_index
        await index.refresh(context_of(info).pool)
        rows = index.search(
            filters,
            now=now,
            minutes=availability.zone_minutes(now),
            day=day,
            after=(cursor[1], cursor[2], cursor[3]) if cursor else None,
            limit=limit + 1,
        )
        page, page_info = page_of(
            rows, limit, lambda row: (day, not row.available_now, row.rotation, row.supporter.id)
        )
        return PeerSupporterSearchResults(
            matches=[
                PeerSupporterMatch(
                    supporter=PeerSupporter.from_row(
                        row.supporter, now, available_now=row.available_now
                    ),
                    distance_miles=round(row.distance_miles, 1)
                    if row.distance_miles is not None
                    else None,
                )
                for row in page
            ],
            page_info=page_info,
            errors=[],
        )

    @strawberry.field(
        description="Who is on call next: supporters matching the filter (its `availableNow` "
        "aside) who are off call now, the soonest back first, each with `nextOnCall`. For "
        "when nobody is on call now; nothing about the question is stored or logged."
    )
    async def next_on_call_peer_supporters(
        self,
        info: Info[Any, Any],
        filter: PeerSupporterFilter | None = None,
        first: Annotated[int, strawberry.argument(description="How many, 1 to 20.")] = 3,
    ) -> PeerSupporterSearchResults | None:
        principal = require_role(info, *SEARCH_ROLES)
        errors = InputErrors()
        if not 1 <= first <= MAX_NEXT_ON_CALL:
            errors.add("first", f"Ask for 1 to {MAX_NEXT_ON_CALL} supporters.")
        filters = search_filters(filter or PeerSupporterFilter(), principal, errors)
        if errors:
            return PeerSupporterSearchResults(matches=[], page_info=_ONE_PAGE, errors=errors.items)
        now = context(info).loaders.now
        index = context(info).resources.search_index
        await index.refresh(context_of(info).pool)
        rows = index.next_on_call(
            filters, now=now, minutes=availability.zone_minutes(now), limit=first
        )
        return PeerSupporterSearchResults(
            matches=[
                PeerSupporterMatch(
                    supporter=PeerSupporter.from_row(row.supporter, now, available_now=False),
                    distance_miles=round(row.distance_miles, 1)
                    if row.distance_miles is not None
                    else None,
                )
                for row in rows
            ],
            page_info=_ONE_PAGE,
            errors=[],
        )

    @strawberry.field(description="One peer supporter's profile; null when not visible.")
    async def peer_supporter(self, info: Info[Any, Any], id: strawberry.ID) -> PeerSupporter | None:
        require_role(info, *SEARCH_ROLES)
        return await PeerSupporter.resolve_reference(info, id)

    @strawberry.field(description="Your own peer-supporter profile, if you made one.")
    async def my_peer_supporter_profile(self, info: Info[Any, Any]) -> PeerSupporter | None:
        principal = require_role(info, "peer_supporter")
        row = await store.get_by_owner(db=context_of(info).pool, owner_subject=principal.subject)
        return PeerSupporter.from_row(row, context(info).loaders.now) if row else None

    @strawberry.field(
        description="A department's supporters, deactivated ones included: its own "
        "coordinators, or network admins (who may leave out the department to list all)."
    )
    async def department_peer_supporters(
        self,
        info: Info[Any, Any],
        department_id: strawberry.ID | None = None,
        first: First = 50,
        after: str | None = None,
    ) -> PeerSupporterConnection | None:
        principal = require_role(info, "coordinator", "network_admin")
        limit = page_size(first)
        department = parse_id(department_id) if department_id is not None else None
        if department_id is not None and department is None:
            raise Forbidden("There is no department with this id that you may manage.")
        if department is None and not principal.has_role("network_admin"):
            department = parse_id(principal.department_id)
            if department is None:
                raise Forbidden("Your sign-in names no department.")
        if department is not None and not may_manage(principal, department):
            raise Forbidden("Coordinators manage their own department's supporters only.")
        rows = await store.list_department_supporters(
            db=context_of(info).pool,
            department_id=department,
            after=decode_cursor(after, str, UUID),
            limit=limit + 1,
        )
        page, page_info = page_of(rows, limit, lambda row: (row.display_name, row.id))
        return PeerSupporterConnection(
            nodes=[PeerSupporter.from_row(row, context(info).loaders.now) for row in page],
            page_info=page_info,
        )

    @strawberry.field(
        description="The languages a supporter may list, by code: the network's one list, "
        "the same as `professionalLanguages`."
    )
    def support_languages(self) -> list[Language] | None:
        return languages()
