"""What an applicant sends. Every field is optional at the GraphQL level so that a missing
one comes back as a field error written for the applicant, like any other mistake."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.file_uploads import Upload

from servicekit.vocabulary import Gender

from .vocabulary import (
    DocumentKind,
    LicenseType,
    Modality,
    PlanType,
    ProfessionalAssociation,
    Specialty,
    Vote,
)


@strawberry.input(description="One licence: its type, number, issuing state and expiry.")
class LicenseInput:
    license_type: LicenseType | None = None
    number: str | None = None
    state: str | None = strawberry.field(default=None, description="USPS code, e.g. IL.")
    expires_on: dt.date | None = None


@strawberry.input(description="A practice address; its ZIP code places it on the map.")
class PracticeLocationInput:
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


@strawberry.input(description="An insurance carrier (see `insuranceCarriers`) and its plans.")
class InsuranceInput:
    carrier: str | None = None
    plan_types: list[PlanType] = strawberry.field(default_factory=list)


@strawberry.input(description="A mental-health professional's application to the network.")
class ProfessionalApplicationInput:
    client_key: str | None = strawberry.field(
        default=None,
        description="A random key the form makes once (8 to 100 letters, digits, - or _); "
        "sending the same application again with it never creates a second one.",
    )
    full_name: str | None = None
    credentials: str | None = strawberry.field(default=None, description="e.g. PhD, LCSW.")
    licenses: list[LicenseInput] = strawberry.field(default_factory=list)
    practice_name: str | None = None
    locations: list[PracticeLocationInput] = strawberry.field(default_factory=list)
    telehealth: bool = False
    telehealth_states: list[str] = strawberry.field(default_factory=list)
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    languages: list[str] = strawberry.field(
        default_factory=list,
        description="Languages you treat in: codes or names from `professionalLanguages`.",
    )
    specialties: list[Specialty] = strawberry.field(default_factory=list)
    modalities: list[Modality] = strawberry.field(
        default_factory=list, description="Whom you see in a session: at least one."
    )
    gender: Gender | None = strawberry.field(
        default=None, description="Only if you wish to state it; officers may search by it."
    )
    accepting_new_clients: bool = strawberry.field(
        default=True, description="Taking new clients now."
    )
    law_enforcement_experience_years: int | None = strawberry.field(
        default=None,
        description="Years of experience treating law-enforcement officers; at least "
        "`applicationRequirements.minimumYearsWithOfficers`.",
    )
    law_enforcement_experience: str | None = strawberry.field(
        default=None, description="What that experience was, in your own words."
    )
    professional_association: ProfessionalAssociation | None = strawberry.field(
        default=None,
        description="The association whose code of ethics binds your practice; vetters check "
        "your application against that code.",
    )
    professional_association_other: str | None = strawberry.field(
        default=None, description="The association's name, with `OTHER`."
    )
    disciplinary_action: bool | None = strawberry.field(
        default=None,
        description="Has a licensing board or professional association ever taken disciplinary "
        "action against you (reprimand, probation, suspension, surrender, revocation)? `false` "
        "attests that none has.",
    )
    disciplinary_explanation: str | None = strawberry.field(
        default=None,
        description="With `disciplinaryAction: true`: what happened and how it was resolved "
        "(vetters only).",
    )
    insurance: list[InsuranceInput] = strawberry.field(default_factory=list)
    self_pay: bool = False
    answers_calls_any_hour: bool = strawberry.field(
        default=False, description="Picks up officers' calls at any hour."
    )
    schedules_within_24_hours: bool = strawberry.field(
        default=False, description="Schedules an officer within 24 hours."
    )


@strawberry.input(description="One document, sent per the GraphQL multipart request spec.")
class DocumentUpload:
    kind: DocumentKind
    file: Upload


@strawberry.input(description="A vetter's assessment against the checklist, and their vote.")
class AssessmentInput:
    license_verified: bool = strawberry.field(description="Verified with the state board.")
    insurance_verified: bool
    callback_hours: int = strawberry.field(
        description="Hours to call back a law-enforcement referral (0-168)."
    )
    responsive_to_urgent_requests: bool
    confidentiality_practices: bool
    hipaa_video_platform: bool = strawberry.field(description="Uses a HIPAA-appropriate platform.")
    law_enforcement_experience: bool
    code_of_ethics: bool = strawberry.field(
        description="Checked against the code of ethics of the applicant's association: the "
        "board's and the association's disciplinary records, and any history the applicant "
        "disclosed. An approval needs it."
    )
    notes: str | None = None
    vote: Vote
