"""The professionals subgraph: the officers' listing, the vetters' view, the queries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from servicekit import geo, validation
from servicekit.clock import Clock
from servicekit.graphql import (
    FieldError,
    InputErrors,
    PublicError,
    RequestContext,
    context_of,
    parse_id,
    require_principal,
    require_role,
)
from servicekit.paging import PageInfo, decode_cursor, page_of, page_size
from servicekit.ratelimit import FormRateLimit

from . import rules, store
from .catalog import CARRIERS, DocumentKind, LicenseType, PlanType, Specialty, carrier_code
from .settings import ProfessionalsSettings

VETTER = "vetter"

# -- per-request loaders ------------------------------------------------------------------


class ProfessionalsLoaders:
    """DataLoaders of one request, and the date the service goes by."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: ProfessionalsSettings,
        applications: FormRateLimit,
        clock: Clock,
    ) -> None:
        self.pool = pool
        self.settings = settings
        # the public application form's rate limit, shared by every request of the service
        self.applications = applications
        self.today = clock.today()
        self.notice_days = settings.expiry_notice_days
        self.professionals = DataLoader[UUID, store.ProfessionalRow | None](self._professionals)
        self.licenses = DataLoader[UUID, list[store.LicenseRow]](self._grouped(store.list_licenses))
        self.locations = DataLoader[UUID, list[store.LocationRow]](
            self._grouped(store.list_locations)
        )
        self.documents = DataLoader[UUID, list[store.DocumentRow]](
            self._grouped(store.list_documents)
        )
        self.assignments = DataLoader[UUID, list[store.AssignmentRow]](
            self._grouped(store.list_assignments)
        )
        self.assessments = DataLoader[UUID, list[store.AssessmentRow]](
            self._grouped(store.list_assessments)
        )
        self.decisions = DataLoader[UUID, list[store.DecisionRow]](
            self._grouped(store.list_decisions)
        )

    async def _professionals(self, ids: list[UUID]) -> list[store.ProfessionalRow | None]:
        found = await store.get_professionals(db=self.pool, ids=ids)
        return [found.get(one) for one in ids]

    def _grouped(self, fetch: Any) -> Any:
        async def load(ids: list[UUID]) -> list[list[Any]]:
            rows: Sequence[Any] = await fetch(db=self.pool, professional_ids=ids)
            groups: dict[UUID, list[Any]] = {one: [] for one in ids}
            for row in rows:
                groups[row.professional_id].append(row)
            return [groups[one] for one in ids]

        return load


def loaders(info: Info[RequestContext[ProfessionalsLoaders], Any]) -> ProfessionalsLoaders:
    return info.context.loaders


# -- shared types ---------------------------------------------------------------------------


@strawberry.type(description="An insurance carrier from the network's list.")
class InsuranceCarrier:
    code: str
    name: str


@strawberry.type(description="A carrier and the plan types accepted with it.")
class Insurance:
    carrier: InsuranceCarrier
    plan_types: list[PlanType]


def _insurance(row: store.ProfessionalRow) -> list[Insurance]:
    return [
        Insurance(
            carrier=InsuranceCarrier(code=entry["carrier"], name=CARRIERS[entry["carrier"]]),
            plan_types=[PlanType(plan) for plan in entry["plan_types"]],
        )
        for entry in row.insurance
    ]


@strawberry.type(description="A practice address (placed by its ZIP code).")
class PracticeLocation:
    street: str
    city: str
    state: str
    zip_code: str
    county: str

    @classmethod
    def from_row(cls, row: store.LocationRow) -> PracticeLocation:
        return cls(
            street=row.street,
            city=row.city,
            state=row.state,
            zip_code=row.zip_code,
            county=row.county,
        )


@strawberry.type(description="The availability commitment the program requires.")
class AvailabilityCommitment:
    answers_calls_any_hour: bool
    schedules_within_24_hours: bool


def _commitment(row: store.ProfessionalRow) -> AvailabilityCommitment:
    return AvailabilityCommitment(
        answers_calls_any_hour=row.answers_any_hour,
        schedules_within_24_hours=row.schedules_within_24h,
    )


# -- the listing officers see ------------------------------------------------------------------


@strawberry.federation.type(
    keys=["id"],
    description="A vetted professional, as listed for signed-in officers. Viewing or calling "
    "one is recorded nowhere.",
)
class Professional:
    id: strawberry.ID
    row: strawberry.Private[store.ProfessionalRow | None] = None

    @classmethod
    def from_row(cls, row: store.ProfessionalRow) -> Professional:
        return cls(id=strawberry.ID(str(row.id)), row=row)

    @classmethod
    async def resolve_reference(
        cls, info: Info[Any, Any], id: strawberry.ID
    ) -> Professional | None:
        require_principal(info)
        professional_id = parse_id(id)
        if professional_id is None:
            return None
        listed = await store.get_listed(
            db=context_of(info).pool, ids=[professional_id], today=loaders(info).today
        )
        row = listed.get(professional_id)
        return cls.from_row(row) if row else None

    def _row(self) -> store.ProfessionalRow:
        assert self.row is not None
        return self.row

    @strawberry.field
    def full_name(self) -> str:
        return self._row().full_name

    @strawberry.field(description="e.g. PhD, LCSW.")
    def credentials(self) -> str:
        return self._row().credentials

    @strawberry.field
    def license_types(self) -> list[LicenseType]:
        return [LicenseType(value) for value in self._row().license_types]

    @strawberry.field(description="States where licensed or served by telehealth.")
    def service_states(self) -> list[str]:
        return self._row().service_states

    @strawberry.field
    def practice_name(self) -> str | None:
        return self._row().practice_name

    @strawberry.field
    async def locations(self, info: Info[Any, Any]) -> list[PracticeLocation]:
        rows = await loaders(info).locations.load(self._row().id)
        return [PracticeLocation.from_row(row) for row in rows]

    @strawberry.field
    def telehealth(self) -> bool:
        return self._row().telehealth

    @strawberry.field
    def telehealth_states(self) -> list[str]:
        return self._row().telehealth_states

    @strawberry.field
    def languages(self) -> list[str]:
        return self._row().languages

    @strawberry.field
    def specialties(self) -> list[Specialty]:
        return [Specialty(value) for value in self._row().specialties]

    @strawberry.field
    def insurance(self) -> list[Insurance]:
        return _insurance(self._row())

    @strawberry.field
    def self_pay(self) -> bool:
        return self._row().self_pay

    @strawberry.field
    def availability(self) -> AvailabilityCommitment:
        return _commitment(self._row())

    @strawberry.field
    def law_enforcement_experience_years(self) -> int:
        return self._row().le_experience_years

    @strawberry.field
    def law_enforcement_experience(self) -> str | None:
        return self._row().le_experience

    @strawberry.field(description="The practice's phone, E.164.")
    def phone(self) -> str:
        return self._row().phone

    @strawberry.field
    def website(self) -> str | None:
        return self._row().website

    @strawberry.field(description="Miles from the ZIP code searched from (nearest office).")
    def distance_miles(self) -> float | None:
        miles = self._row().distance_miles
        return round(miles, 1) if miles is not None else None


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
    language: str | None = None
    telehealth: bool = False
    answers_calls_any_hour: bool = False
    schedules_within_24_hours: bool = False


def search_filters(search: ProfessionalSearch, errors: InputErrors) -> store.SearchFilters:
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
        language = rules.normalise_language(search.language)
        if language is None:
            errors.add("search.language", "Enter a language name such as Spanish.")
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
    return store.SearchFilters(
        state=state,
        insurance_key=key,
        self_pay=search.self_pay,
        specialty=search.specialty.value if search.specialty else None,
        language=language,
        telehealth=search.telehealth,
        answers_any_hour=search.answers_calls_any_hour,
        schedules_within_24h=search.schedules_within_24_hours,
        latitude=latitude,
        longitude=longitude,
        within_miles=within,
    )


# -- the vetters' view ---------------------------------------------------------------------


@strawberry.enum(description="Where an application stands.")
class VettingStatus(Enum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    ASSESSMENT_SCHEDULED = "assessment_scheduled"
    DELIBERATION = "deliberation"
    APPROVED = "approved"
    DEFERRED = "deferred"


@strawberry.enum(description="Office visit in the home metro area, video call elsewhere.")
class AssessmentKind(Enum):
    OFFICE_VISIT = "office_visit"
    VIDEO_CALL = "video_call"


@strawberry.enum
class Vote(Enum):
    APPROVE = "approve"
    DEFER = "defer"


@strawberry.type(description="A licence, with its expiry as the vetters track it.")
class License:
    id: strawberry.ID
    license_type: LicenseType
    number: str
    state: str
    expires_on: dt.date
    expired: bool
    due_for_re_vetting: bool = strawberry.field(
        description="Expires within the notice period: verify the renewal with the board."
    )
    renewed_by: str | None
    renewed_at: dt.datetime | None


@strawberry.type(description="An uploaded document; download it from `downloadPath` (vetters).")
class Document:
    id: strawberry.ID
    kind: DocumentKind
    filename: str
    content_type: str = strawberry.field(description="As proven by the file's bytes.")
    size_bytes: int
    sha256: str

    @strawberry.field(description="GET with the vetter's bearer token.")
    def download_path(self) -> str:
        return f"/documents/{self.id}"


@strawberry.type
class VetterAssignment:
    vetter: str = strawberry.field(description="The vetter's pseudonymous subject.")
    assigned_by: str
    assigned_at: dt.datetime


@strawberry.type(description="One vetter's checklist and vote in one vetting round.")
class Assessment:
    round: int
    vetter: str
    license_verified: bool
    insurance_verified: bool
    callback_hours: int = strawberry.field(
        description="Hours to call back a law-enforcement referral."
    )
    responsive_to_urgent_requests: bool
    confidentiality_practices: bool
    hipaa_video_platform: bool
    law_enforcement_experience: bool
    notes: str | None
    vote: Vote
    recorded_at: dt.datetime


@strawberry.type(description="A decision, with who made it and when.")
class VettingDecision:
    round: int
    outcome: VettingStatus
    approvals: int
    votes: int
    reason: str | None
    reconsider_after: dt.date | None
    decided_by: str
    decided_at: dt.datetime


@strawberry.type(description="An application with everything in it: vetters only.")
class Application:
    row: strawberry.Private[store.ProfessionalRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(description="The reference the applicant was given.")
    def reference(self) -> str:
        return self.row.reference

    @strawberry.field
    def status(self) -> VettingStatus:
        return VettingStatus(self.row.status)

    @strawberry.field
    def submitted_at(self) -> dt.datetime:
        return self.row.submitted_at

    @strawberry.field
    def status_changed_at(self) -> dt.datetime:
        return self.row.status_changed_at

    @strawberry.field(description="The listing officers see, when listed.")
    def listing(self, info: Info[Any, Any]) -> Professional | None:
        listed = (
            self.row.status == "approved" and self.row.licenses_valid_until >= loaders(info).today
        )
        return Professional.from_row(self.row) if listed else None

    @strawberry.field
    def full_name(self) -> str:
        return self.row.full_name

    @strawberry.field
    def credentials(self) -> str:
        return self.row.credentials

    @strawberry.field
    async def licenses(self, info: Info[Any, Any]) -> list[License]:
        today, notice = loaders(info).today, loaders(info).notice_days
        return [
            License(
                id=strawberry.ID(str(row.id)),
                license_type=LicenseType(row.license_type),
                number=row.number,
                state=row.state,
                expires_on=row.expires_on,
                expired=row.expires_on < today,
                due_for_re_vetting=rules.expiring_soon(row.expires_on, today, notice),
                renewed_by=row.renewed_by,
                renewed_at=row.renewed_at,
            )
            for row in await loaders(info).licenses.load(self.row.id)
        ]

    @strawberry.field(description="A licence expires within the notice period.")
    async def due_for_re_vetting(self, info: Info[Any, Any]) -> bool:
        today, notice = loaders(info).today, loaders(info).notice_days
        rows = await loaders(info).licenses.load(self.row.id)
        return any(rules.expiring_soon(row.expires_on, today, notice) for row in rows)

    @strawberry.field
    def practice_name(self) -> str | None:
        return self.row.practice_name

    @strawberry.field
    async def locations(self, info: Info[Any, Any]) -> list[PracticeLocation]:
        rows = await loaders(info).locations.load(self.row.id)
        return [PracticeLocation.from_row(row) for row in rows]

    @strawberry.field
    def telehealth(self) -> bool:
        return self.row.telehealth

    @strawberry.field
    def telehealth_states(self) -> list[str]:
        return self.row.telehealth_states

    @strawberry.field
    def phone(self) -> str:
        return self.row.phone

    @strawberry.field(description="The applicant's email: vetters only.")
    def email(self) -> str:
        return self.row.email

    @strawberry.field
    def website(self) -> str | None:
        return self.row.website

    @strawberry.field
    def languages(self) -> list[str]:
        return self.row.languages

    @strawberry.field
    def specialties(self) -> list[Specialty]:
        return [Specialty(value) for value in self.row.specialties]

    @strawberry.field
    def law_enforcement_experience_years(self) -> int:
        return self.row.le_experience_years

    @strawberry.field
    def law_enforcement_experience(self) -> str | None:
        return self.row.le_experience

    @strawberry.field
    def insurance(self) -> list[Insurance]:
        return _insurance(self.row)

    @strawberry.field
    def self_pay(self) -> bool:
        return self.row.self_pay

    @strawberry.field
    def availability(self) -> AvailabilityCommitment:
        return _commitment(self.row)

    @strawberry.field
    def assessment_kind(self) -> AssessmentKind:
        return AssessmentKind(self.row.assessment_kind)

    @strawberry.field
    def assessment_at(self) -> dt.datetime | None:
        return self.row.assessment_at

    @strawberry.field(description="The current vetting round (a reopened deferral starts one).")
    def round(self) -> int:
        return self.row.vetting_round

    @strawberry.field
    def reconsider_after(self) -> dt.date | None:
        return self.row.reconsider_after

    @strawberry.field
    async def documents(self, info: Info[Any, Any]) -> list[Document]:
        return [
            Document(
                id=strawberry.ID(str(row.id)),
                kind=DocumentKind(row.kind),
                filename=row.filename,
                content_type=row.content_type,
                size_bytes=row.size_bytes,
                sha256=row.sha256,
            )
            for row in await loaders(info).documents.load(self.row.id)
        ]

    @strawberry.field
    async def assignments(self, info: Info[Any, Any]) -> list[VetterAssignment]:
        return [
            VetterAssignment(
                vetter=row.vetter, assigned_by=row.assigned_by, assigned_at=row.assigned_at
            )
            for row in await loaders(info).assignments.load(self.row.id)
        ]

    @strawberry.field(description="Assessments of every round, oldest first.")
    async def assessments(self, info: Info[Any, Any]) -> list[Assessment]:
        return [
            Assessment(
                round=row.round,
                vetter=row.vetter,
                license_verified=row.license_verified,
                insurance_verified=row.insurance_verified,
                callback_hours=row.callback_hours,
                responsive_to_urgent_requests=row.responsive_to_urgent_requests,
                confidentiality_practices=row.confidentiality_practices,
                hipaa_video_platform=row.hipaa_video_platform,
                law_enforcement_experience=row.law_enforcement_experience,
                notes=row.notes,
                vote=Vote(row.vote),
                recorded_at=row.recorded_at,
            )
            for row in await loaders(info).assessments.load(self.row.id)
        ]

    @strawberry.field(description="Every decision, oldest first.")
    async def decisions(self, info: Info[Any, Any]) -> list[VettingDecision]:
        return [
            VettingDecision(
                round=row.round,
                outcome=VettingStatus(row.outcome),
                approvals=row.approvals,
                votes=row.votes,
                reason=row.reason,
                reconsider_after=row.reconsider_after,
                decided_by=row.decided_by,
                decided_at=row.decided_at,
            )
            for row in await loaders(info).decisions.load(self.row.id)
        ]


@strawberry.type
class ApplicationConnection:
    nodes: list[Application]
    page_info: PageInfo


# -- queries ------------------------------------------------------------------------------

First = Annotated[int, strawberry.argument(description="Page size, 1 to 100.")]


@strawberry.type
class Query:
    @strawberry.field(description="The insurance carriers an application may list. Public.")
    def insurance_carriers(self) -> list[InsuranceCarrier] | None:
        return [InsuranceCarrier(code=code, name=name) for code, name in CARRIERS.items()]

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
        require_principal(info)
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
        rows = await store.search(
            db=context_of(info).pool,
            filters=filters,
            today=loaders(info).today,
            after=(cursor[0], cursor[1]) if cursor else None,
            limit=limit + 1,
        )
        page, page_info = page_of(
            rows, limit, lambda row: (row.search_key if by_distance else row.full_name, row.id)
        )
        return ProfessionalConnection(
            nodes=[Professional.from_row(row) for row in page], page_info=page_info
        )

    @strawberry.field(description="One listed professional; null when not listed.")
    async def professional(self, info: Info[Any, Any], id: strawberry.ID) -> Professional | None:
        return await Professional.resolve_reference(info, id)

    @strawberry.field(description="Applications, oldest first: vetters only.")
    async def applications(
        self,
        info: Info[Any, Any],
        status: VettingStatus | None = None,
        due_for_re_vetting: Annotated[
            bool,
            strawberry.argument(description="Approved, with a licence expiring soon or expired."),
        ] = False,
        first: First = 50,
        after: str | None = None,
    ) -> ApplicationConnection | None:
        require_role(info, VETTER)
        limit = page_size(first)
        today = loaders(info).today
        rows = await store.list_applications(
            db=context_of(info).pool,
            status=status.value if status else None,
            expiring_by=today + dt.timedelta(days=loaders(info).notice_days)
            if due_for_re_vetting
            else None,
            after=decode_cursor(after, dt.datetime.fromisoformat, UUID),
            limit=limit + 1,
        )
        page, page_info = page_of(rows, limit, lambda row: (row.submitted_at.isoformat(), row.id))
        return ApplicationConnection(
            nodes=[Application(row=row) for row in page], page_info=page_info
        )

    @strawberry.field(description="One application by id or by reference: vetters only.")
    async def application(
        self,
        info: Info[Any, Any],
        id: strawberry.ID | None = None,
        reference: str | None = None,
    ) -> Application | None:
        require_role(info, VETTER)
        if id is not None:
            professional_id = parse_id(id)
            row = (
                await loaders(info).professionals.load(professional_id) if professional_id else None
            )
        elif reference is not None:
            row = await store.get_by_reference(
                db=context_of(info).pool, reference=reference.strip().upper()
            )
        else:
            raise PublicError("Give an `id` or a `reference`.")
        return Application(row=row) if row else None
