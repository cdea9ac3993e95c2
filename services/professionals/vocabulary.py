"""The controlled vocabularies of the service: licence types, plans, carriers, specialties,
modalities, professional associations, document kinds, and the vetting's statuses,
assessment kinds and votes. (Languages and genders are the network's, in
`servicekit.vocabulary`.)

These are GraphQL enums (a fixed, small set), except insurance carriers: a list kept here and
offered by the `insuranceCarriers` query: it grows without a schema change, and an unknown
carrier gets a field error that names it.
"""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="The kind of license a professional holds.")
class LicenseType(Enum):
    PSYCHOLOGIST = "psychologist"
    PSYCHIATRIST = "psychiatrist"
    PSYCHIATRIC_NURSE_PRACTITIONER = "psychiatric_nurse_practitioner"
    LCSW = "lcsw"
    LPC = strawberry.enum_value("lpc", description="LPC or LCPC, by state.")
    LMHC = "lmhc"
    LMFT = "lmft"
    ADDICTION_COUNSELOR = strawberry.enum_value("addiction_counselor", description="e.g. LCADC.")


@strawberry.enum(description="A kind of insurance plan.")
class PlanType(Enum):
    PPO = "PPO"
    HMO = "HMO"
    EPO = "EPO"
    POS = "POS"
    HDHP = "HDHP"
    INDEMNITY = "INDEMNITY"


@strawberry.enum(description="What a professional treats.")
class Specialty(Enum):
    TRAUMA_AND_PTSD = "trauma_and_ptsd"
    CRITICAL_INCIDENT_STRESS = "critical_incident_stress"
    DEPRESSION = "depression"
    ANXIETY = "anxiety"
    SUBSTANCE_USE = "substance_use"
    COUPLES_AND_FAMILY = "couples_and_family"
    GRIEF_AND_LOSS = "grief_and_loss"
    SUICIDE_PREVENTION = "suicide_prevention"
    SLEEP = "sleep"
    ANGER = "anger"
    MORAL_INJURY = "moral_injury"
    CHRONIC_PAIN = "chronic_pain"
    FIRST_RESPONDER_FAMILIES = "first_responder_families"


@strawberry.enum(description="Whom a professional sees together in a session.")
class Modality(Enum):
    INDIVIDUAL = "individual"
    COUPLES = "couples"
    FAMILY = "family"
    GROUP = "group"


@strawberry.enum(
    description="The professional association whose code of ethics binds a professional's "
    "practice (membership is not required: many state boards adopt these codes)."
)
class ProfessionalAssociation(Enum):
    APA = strawberry.enum_value("apa", description="American Psychological Association.")
    APA_PSYCHIATRIC = strawberry.enum_value(
        "apa_psychiatric", description="American Psychiatric Association."
    )
    ACA = strawberry.enum_value("aca", description="American Counseling Association.")
    NASW = strawberry.enum_value("nasw", description="National Association of Social Workers.")
    AAMFT = strawberry.enum_value(
        "aamft", description="American Association for Marriage and Family Therapy."
    )
    AMHCA = strawberry.enum_value(
        "amhca", description="American Mental Health Counselors Association."
    )
    NBCC = strawberry.enum_value("nbcc", description="National Board for Certified Counselors.")
    CSWA = strawberry.enum_value("cswa", description="Clinical Social Work Association.")
    NAADAC = strawberry.enum_value(
        "naadac", description="NAADAC, the Association for Addiction Professionals."
    )
    ANA = strawberry.enum_value(
        "ana", description="American Nurses Association (psychiatric nurse practitioners)."
    )
    AMA = strawberry.enum_value("ama", description="American Medical Association.")
    OTHER = strawberry.enum_value("other", description="Another association, named.")


# each association's name, and the code of ethics vetters check an applicant against
ASSOCIATIONS: dict[ProfessionalAssociation, tuple[str, str]] = {
    ProfessionalAssociation.APA: (
        "American Psychological Association (APA)",
        "Ethical Principles of Psychologists and Code of Conduct",
    ),
    ProfessionalAssociation.APA_PSYCHIATRIC: (
        "American Psychiatric Association (APA)",
        "The Principles of Medical Ethics With Annotations Especially Applicable to Psychiatry",
    ),
    ProfessionalAssociation.ACA: ("American Counseling Association (ACA)", "ACA Code of Ethics"),
    ProfessionalAssociation.NASW: (
        "National Association of Social Workers (NASW)",
        "NASW Code of Ethics",
    ),
    ProfessionalAssociation.AAMFT: (
        "American Association for Marriage and Family Therapy (AAMFT)",
        "AAMFT Code of Ethics",
    ),
    ProfessionalAssociation.AMHCA: (
        "American Mental Health Counselors Association (AMHCA)",
        "AMHCA Code of Ethics",
    ),
    ProfessionalAssociation.NBCC: (
        "National Board for Certified Counselors (NBCC)",
        "NBCC Code of Ethics",
    ),
    ProfessionalAssociation.CSWA: (
        "Clinical Social Work Association (CSWA)",
        "CSWA Code of Ethics",
    ),
    ProfessionalAssociation.NAADAC: (
        "NAADAC, the Association for Addiction Professionals",
        "NAADAC Code of Ethics",
    ),
    ProfessionalAssociation.ANA: (
        "American Nurses Association (ANA)",
        "Code of Ethics for Nurses with Interpretive Statements",
    ),
    ProfessionalAssociation.AMA: (
        "American Medical Association (AMA)",
        "AMA Code of Medical Ethics",
    ),
}


@strawberry.enum(description="What an uploaded document is.")
class DocumentKind(Enum):
    LICENSE_COPY = "license_copy"
    CV = "cv"
    LIABILITY_INSURANCE = "liability_insurance"
    OTHER = "other"


REQUIRED_DOCUMENTS = (DocumentKind.LICENSE_COPY, DocumentKind.CV, DocumentKind.LIABILITY_INSURANCE)

CARRIERS: dict[str, str] = {
    "aetna": "Aetna",
    "ambetter": "Ambetter",
    "anthem": "Anthem",
    "bcbs": "Blue Cross Blue Shield",
    "carelon": "Carelon Behavioral Health",
    "cigna": "Cigna",
    "emblem": "EmblemHealth",
    "first_health": "First Health",
    "harvard_pilgrim": "Harvard Pilgrim",
    "health_net": "Health Net",
    "highmark": "Highmark",
    "humana": "Humana",
    "kaiser": "Kaiser Permanente",
    "magellan": "Magellan Health",
    "medicaid": "Medicaid",
    "medicare": "Medicare",
    "meritain": "Meritain Health",
    "molina": "Molina Healthcare",
    "multiplan": "MultiPlan",
    "optum": "Optum Behavioral Health",
    "oscar": "Oscar Health",
    "premera": "Premera Blue Cross",
    "regence": "Regence",
    "tricare": "TRICARE",
    "uhc": "UnitedHealthcare",
    "umr": "UMR",
}


def carrier_code(value: str) -> str | None:
    """The code of a carrier given by code or by name (any case); None when unknown."""
    wanted = value.strip().lower()
    if wanted in CARRIERS:
        return wanted
    for code, name in CARRIERS.items():
        if name.lower() == wanted:
            return code
    return None


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
