"""The vetters' view of an application: the whole record, its licences, documents,
assignments, assessments and decisions.

Each type here is also the row the store reads (through `servicekit.rows.RowReader`), so
each of its fields is declared once; the application is also the record the vetting steps
work on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from servicekit.vocabulary import Gender

from . import rules
from .context import context
from .listing import (
    AvailabilityCommitment,
    Insurance,
    PracticeLocation,
    Professional,
)
from .requirements import CodeOfEthics, code_of_ethics
from .vocabulary import (
    AssessmentKind,
    DocumentKind,
    LicenseType,
    Modality,
    Specialty,
    VettingStatus,
    Vote,
)


def _expired(root: License, info: Info[Any, Any]) -> bool:
    return root.expires_on < context(info).loaders.today


def _due(root: License, info: Info[Any, Any]) -> bool:
    request = context(info)
    notice_days = request.resources.settings.expiry_notice_days
    return rules.expiring_soon(root.expires_on, request.loaders.today, notice_days)


@strawberry.type(description="A license, with its expiry as the vetters track it.")
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
    code_of_ethics: bool = strawberry.field(
        description="Checked against the applicant's code of ethics (false on assessments "
        "recorded before the checklist had this item)."
    )
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


async def _listing(root: Application, info: Info[Any, Any]) -> Professional | None:
    return await context(info).loaders.listed.load(root.key)


async def _licenses(root: Application, info: Info[Any, Any]) -> list[License]:
    return await context(info).loaders.licenses.load(root.key)


async def _due_for_re_vetting(root: Application, info: Info[Any, Any]) -> bool:
    request = context(info)
    rows = await request.loaders.licenses.load(root.key)
    today, notice_days = request.loaders.today, request.resources.settings.expiry_notice_days
    return any(rules.expiring_soon(row.expires_on, today, notice_days) for row in rows)


async def _locations(root: Application, info: Info[Any, Any]) -> list[PracticeLocation]:
    return await context(info).loaders.locations.load(root.key)


async def _documents(root: Application, info: Info[Any, Any]) -> list[Document]:
    return await context(info).loaders.documents.load(root.key)


async def _assignments(root: Application, info: Info[Any, Any]) -> list[VetterAssignment]:
    return await context(info).loaders.assignments.load(root.key)


async def _assessments(root: Application, info: Info[Any, Any]) -> list[Assessment]:
    return await context(info).loaders.assessments.load(root.key)


async def _decisions(root: Application, info: Info[Any, Any]) -> list[VettingDecision]:
    return await context(info).loaders.decisions.load(root.key)


def _code_of_ethics(root: Application) -> CodeOfEthics | None:
    if root.professional_association is None:
        return None
    return code_of_ethics(root.professional_association, root.professional_association_other)


@strawberry.type(description="An application with everything in it: vetters only.")
class Application:
    """Also the record the vetting steps read and decide on (`Private` fields are not shown)."""

    id: strawberry.ID
    key: strawberry.Private[UUID]
    reference: str = strawberry.field(description="The reference the applicant was given.")
    status: VettingStatus
    submitted_at: dt.datetime
    status_changed_at: dt.datetime
    listing: Professional | None = strawberry.field(
        resolver=_listing, description="The listing officers see, when listed."
    )
    full_name: str
    credentials: str
    licenses: list[License] = strawberry.field(resolver=_licenses)
    due_for_re_vetting: bool = strawberry.field(
        resolver=_due_for_re_vetting, description="A license expires within the notice period."
    )
    practice_name: str | None
    locations: list[PracticeLocation] = strawberry.field(resolver=_locations)
    telehealth: bool
    telehealth_states: list[str]
    phone: str
    email: str = strawberry.field(description="The applicant's email: vetters only.")
    website: str | None
    languages: list[str] = strawberry.field(description="ISO 639 codes, e.g. `en`, `es`.")
    unlisted_languages: list[str] = strawberry.field(
        description="Languages an application named before the network kept one list, as "
        "written, where they match none of its languages."
    )
    specialties: list[Specialty]
    modalities: list[Modality]
    gender: Gender | None
    accepting_new_clients: bool
    law_enforcement_experience_years: int = strawberry.field(
        description="Years of experience treating law-enforcement officers."
    )
    law_enforcement_experience: str | None
    code_of_ethics: CodeOfEthics | None = strawberry.field(
        resolver=_code_of_ethics,
        description="The code of ethics the applicant practises under: what the vetters check "
        "the application against (null on applications made before the form asked).",
    )
    disciplinary_action: bool | None = strawberry.field(
        description="The applicant's answer: has a board or association ever taken "
        "disciplinary action against them? (null: not asked then)"
    )
    disciplinary_explanation: str | None = strawberry.field(
        description="What happened and how it was resolved, when they answered yes."
    )
    insurance: list[Insurance]
    self_pay: bool
    availability: AvailabilityCommitment  # from the two columns below, as the row is read
    assessment_kind: AssessmentKind
    assessment_at: dt.datetime | None
    round: int = strawberry.field(
        description="The current vetting round (a reopened deferral starts one)."
    )
    reconsider_after: dt.date | None
    documents: list[Document] = strawberry.field(resolver=_documents)
    assignments: list[VetterAssignment] = strawberry.field(resolver=_assignments)
    assessments: list[Assessment] = strawberry.field(
        resolver=_assessments, description="Assessments of every round, oldest first."
    )
    decisions: list[VettingDecision] = strawberry.field(
        resolver=_decisions, description="Every decision, oldest first."
    )
    client_key: strawberry.Private[str]
    fingerprint: strawberry.Private[str]
    professional_association: strawberry.Private[str | None]
    professional_association_other: strawberry.Private[str | None]
    answers_any_hour: strawberry.Private[bool]
    schedules_within_24h: strawberry.Private[bool]
