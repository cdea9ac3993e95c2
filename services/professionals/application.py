"""The vetters' view of an application: the whole record, its licences, documents,
assignments, assessments and decisions.

The parts are also the rows the store reads (through `servicekit.rows.RowReader`), so each
of their fields is declared once. The application itself is the record the vetting steps
work on (`ApplicationRow`), seen through `Application`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from servicekit.graphql import context_of

from . import rules
from .listing import (
    AvailabilityCommitment,
    Insurance,
    PracticeLocation,
    Professional,
    insurance_of,
    listing_loaders,
)
from .vocabulary import (
    AssessmentKind,
    DocumentKind,
    LicenseType,
    Specialty,
    VettingStatus,
    Vote,
)


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    """An application as stored: what the vetting steps read and decide on."""

    id: UUID
    reference: str
    client_key: str
    fingerprint: str
    status: str
    full_name: str
    credentials: str
    license_types: list[str]
    practice_name: str | None
    phone: str
    email: str
    website: str | None
    telehealth: bool
    telehealth_states: list[str]
    service_states: list[str]
    languages: list[str]
    specialties: list[str]
    le_experience_years: int
    le_experience: str | None
    insurance: list[dict[str, Any]]
    insurance_keys: list[str]
    self_pay: bool
    answers_any_hour: bool
    schedules_within_24h: bool
    licenses_valid_until: dt.date
    assessment_kind: str
    assessment_at: dt.datetime | None
    reconsider_after: dt.date | None
    vetting_round: int
    submitted_at: dt.datetime
    status_changed_at: dt.datetime


class ApplicationLoaders(Protocol):
    """The per-request loaders and settings the application's fields use."""

    today: dt.date
    notice_days: int
    licenses: DataLoader[UUID, list[License]]
    documents: DataLoader[UUID, list[Document]]
    assignments: DataLoader[UUID, list[VetterAssignment]]
    assessments: DataLoader[UUID, list[Assessment]]
    decisions: DataLoader[UUID, list[VettingDecision]]


def application_loaders(info: Info[Any, Any]) -> ApplicationLoaders:
    found: ApplicationLoaders = context_of(info).loaders
    return found


def _expired(root: License, info: Info[Any, Any]) -> bool:
    return root.expires_on < application_loaders(info).today


def _due(root: License, info: Info[Any, Any]) -> bool:
    known = application_loaders(info)
    return rules.expiring_soon(root.expires_on, known.today, known.notice_days)


@strawberry.type(description="A licence, with its expiry as the vetters track it.")
class License:
    id: strawberry.ID
    professional_id: strawberry.Private[UUID]
    license_type: LicenseType
    number: str
    state: str
    expires_on: dt.date
    expired: bool = strawberry.field(resolver=_expired)
    due_for_re_vetting: bool = strawberry.field(
        resolver=_due,
        description="Expires within the notice period: verify the renewal with the board.",
    )
    renewed_by: str | None
    renewed_at: dt.datetime | None


@strawberry.type(description="An uploaded document; download it from `downloadPath` (vetters).")
class Document:
    id: strawberry.ID
    professional_id: strawberry.Private[UUID]
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
    professional_id: strawberry.Private[UUID]
    vetter: str = strawberry.field(description="The vetter's pseudonymous subject.")
    assigned_by: str
    assigned_at: dt.datetime


@strawberry.type(description="One vetter's checklist and vote in one vetting round.")
class Assessment:
    professional_id: strawberry.Private[UUID]
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
    professional_id: strawberry.Private[UUID]
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
    row: strawberry.Private[ApplicationRow]

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
    async def listing(self, info: Info[Any, Any]) -> Professional | None:
        return await listing_loaders(info).listed.load(self.row.id)

    @strawberry.field
    def full_name(self) -> str:
        return self.row.full_name

    @strawberry.field
    def credentials(self) -> str:
        return self.row.credentials

    @strawberry.field
    async def licenses(self, info: Info[Any, Any]) -> list[License]:
        return await application_loaders(info).licenses.load(self.row.id)

    @strawberry.field(description="A licence expires within the notice period.")
    async def due_for_re_vetting(self, info: Info[Any, Any]) -> bool:
        known = application_loaders(info)
        rows = await known.licenses.load(self.row.id)
        return any(
            rules.expiring_soon(row.expires_on, known.today, known.notice_days) for row in rows
        )

    @strawberry.field
    def practice_name(self) -> str | None:
        return self.row.practice_name

    @strawberry.field
    async def locations(self, info: Info[Any, Any]) -> list[PracticeLocation]:
        return await listing_loaders(info).locations.load(self.row.id)

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
        return insurance_of(self.row.insurance)

    @strawberry.field
    def self_pay(self) -> bool:
        return self.row.self_pay

    @strawberry.field
    def availability(self) -> AvailabilityCommitment:
        return AvailabilityCommitment(
            answers_calls_any_hour=self.row.answers_any_hour,
            schedules_within_24_hours=self.row.schedules_within_24h,
        )

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
        return await application_loaders(info).documents.load(self.row.id)

    @strawberry.field
    async def assignments(self, info: Info[Any, Any]) -> list[VetterAssignment]:
        return await application_loaders(info).assignments.load(self.row.id)

    @strawberry.field(description="Assessments of every round, oldest first.")
    async def assessments(self, info: Info[Any, Any]) -> list[Assessment]:
        return await application_loaders(info).assessments.load(self.row.id)

    @strawberry.field(description="Every decision, oldest first.")
    async def decisions(self, info: Info[Any, Any]) -> list[VettingDecision]:
        return await application_loaders(info).decisions.load(self.row.id)
