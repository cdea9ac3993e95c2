"""Demo data: invented professionals from coast to coast, with their insurance.

Every name is invented; practice phones are in the 555-01xx range reserved for fiction and
websites use the reserved ``.example`` domain. Most are approved (by two demo vetters), a
few wait at each vetting step so vetters have something to work on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import asyncpg

from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.graphql import InputErrors
from servicekit.vocabulary import Gender

from . import application_store, rules, settings, vetting_store
from .applying import new_reference
from .inputs import (
    InsuranceInput,
    LicenseInput,
    PracticeLocationInput,
    ProfessionalApplicationInput,
)
from .vocabulary import LicenseType, Modality, PlanType, ProfessionalAssociation, Specialty

# city, state, ZIP code, street
_PLACES = (
    ("Chicago", "IL", "60606", "221 W Lake St"),
    ("Chicago", "IL", "60614", "2450 N Clark St"),
    ("Oak Park", "IL", "60302", "1010 Lake St"),
    ("Naperville", "IL", "60540", "55 S Main St"),
    ("Joliet", "IL", "60435", "300 Jefferson St"),
    ("Peoria", "IL", "61602", "401 Main St"),
    ("Bloomington", "IL", "61701", "120 N Center St"),
    ("Quincy", "IL", "62301", "510 Maine St"),
    ("Belleville", "IL", "62220", "20 Public Sq"),
    ("Seattle", "WA", "98101", "1420 5th Ave"),
    ("Portland", "OR", "97205", "800 SW Morrison St"),
    ("San Francisco", "CA", "94103", "90 Mission St"),
    ("Los Angeles", "CA", "90012", "350 S Grand Ave"),
    ("San Diego", "CA", "92101", "600 B St"),
    ("Phoenix", "AZ", "85004", "2 N Central Ave"),
    ("Denver", "CO", "80202", "1600 Stout St"),
    ("Dallas", "TX", "75201", "2200 Ross Ave"),
    ("Houston", "TX", "77002", "800 Capitol St"),
    ("Minneapolis", "MN", "55402", "80 S 8th St"),
    ("St. Louis", "MO", "63101", "515 Olive St"),
    ("Nashville", "TN", "37203", "150 3rd Ave S"),
    ("Atlanta", "GA", "30303", "55 Park Pl"),
    ("Miami", "FL", "33131", "1200 Brickell Ave"),
    ("Charlotte", "NC", "28202", "301 S Tryon St"),
    ("Washington", "DC", "20005", "1425 K St NW"),
    ("Philadelphia", "PA", "19103", "1800 JFK Blvd"),
    ("New York", "NY", "10001", "350 7th Ave"),
    ("Boston", "MA", "02108", "1 Beacon St"),
)
# first names, each with the gender its professional chose to state (None: not stated)
_FIRST = (
    ("Marisol", Gender.WOMAN),
    ("Theo", Gender.MAN),
    ("Anneliese", Gender.WOMAN),
    ("Kwame", Gender.MAN),
    ("Priya", Gender.WOMAN),
    ("Corbin", Gender.MAN),
    ("Ximena", None),
    ("Dmitri", Gender.MAN),
    ("Halle", Gender.NON_BINARY),
    ("Jonah", Gender.MAN),
    ("Ines", Gender.WOMAN),
    ("Rafferty", None),
    ("Sunniva", Gender.WOMAN),
    ("Omar", Gender.MAN),
)
_LAST = (
    "Quenneville",
    "Ashdown",
    "Okonkwo-Reyes",
    "Thistlewood",
    "Varga",
    "Delacroix-Hale",
    "Strand",
    "Penhallow",
    "Ibarra",
    "Wexley",
    "Castellan",
    "Morrow",
)
# licence, credentials, and the association whose code of ethics binds that profession
_TYPES = (
    (LicenseType.PSYCHOLOGIST, "PhD, Licensed Clinical Psychologist", ProfessionalAssociation.APA),
    (LicenseType.LCSW, "MSW, LCSW", ProfessionalAssociation.NASW),
    (LicenseType.LPC, "MA, LCPC", ProfessionalAssociation.ACA),
    (LicenseType.LMFT, "MS, LMFT", ProfessionalAssociation.AAMFT),
    (LicenseType.PSYCHIATRIST, "MD, Psychiatrist", ProfessionalAssociation.APA_PSYCHIATRIC),
    (LicenseType.PSYCHIATRIC_NURSE_PRACTITIONER, "MSN, PMHNP-BC", ProfessionalAssociation.ANA),
)
_INSURANCE = (
    (("bcbs", (PlanType.PPO, PlanType.HMO)), ("aetna", (PlanType.PPO,))),
    (("uhc", (PlanType.PPO, PlanType.POS)), ("cigna", (PlanType.PPO, PlanType.EPO))),
    (("bcbs", (PlanType.PPO,)), ("tricare", (PlanType.HMO,))),
    (("humana", (PlanType.HMO,)), ("medicare", (PlanType.PPO,))),
    (("kaiser", (PlanType.HMO,)),),
    (("optum", (PlanType.PPO, PlanType.HMO)), ("magellan", (PlanType.PPO,))),
)
_SPECIALTIES = (
    (Specialty.TRAUMA_AND_PTSD, Specialty.CRITICAL_INCIDENT_STRESS),
    (Specialty.SUBSTANCE_USE, Specialty.DEPRESSION),
    (Specialty.COUPLES_AND_FAMILY, Specialty.FIRST_RESPONDER_FAMILIES),
    (Specialty.GRIEF_AND_LOSS, Specialty.SUICIDE_PREVENTION, Specialty.MORAL_INJURY),
    (Specialty.ANXIETY, Specialty.SLEEP),
)
_LANGUAGES = (["en"], ["en", "es"], ["en", "pl"], ["en", "ase"])
_MODALITIES = (
    (Modality.INDIVIDUAL,),
    (Modality.INDIVIDUAL, Modality.COUPLES),
    (Modality.INDIVIDUAL, Modality.FAMILY),
    (Modality.INDIVIDUAL, Modality.GROUP),
    (Modality.COUPLES, Modality.FAMILY),
)
# one demo professional disclosed a board's action, for vetters to see how it reads
_DISCLOSED = 5
_VETTERS = ("demo-vetter-1", "demo-vetter-2")
# the last few applications wait at each step of vetting
_WAITING = ("submitted", "under_review", "assessment_scheduled", "deliberation")


def demo_application(index: int, today: dt.date) -> ProfessionalApplicationInput:
    """The ``index``-th invented applicant."""
    city, state, zip_code, street = _PLACES[index % len(_PLACES)]
    license_type, credentials, association = _TYPES[index % len(_TYPES)]
    (first, gender), last = _FIRST[index % len(_FIRST)], _LAST[(index * 5) % len(_LAST)]
    neighbours = sorted({state, "IL" if state != "IL" else "WI"})
    return ProfessionalApplicationInput(
        client_key=f"demo-{index:04d}",
        full_name=f"{first} {last}",
        credentials=credentials,
        licenses=[
            LicenseInput(
                license_type=license_type,
                number=f"{state}-{40_000 + index * 37}",
                state=state,
                # one demo licence expires soon, to show the re-vetting flag
                expires_on=today + dt.timedelta(days=30 if index == 3 else 400 + 17 * index),
            )
        ],
        practice_name=f"{last} {('Counseling', 'Psychology', 'Wellness', 'Resilience')[index % 4]}",
        locations=[PracticeLocationInput(street=street, city=city, state=state, zip_code=zip_code)],
        telehealth=index % 3 != 2,
        telehealth_states=neighbours if index % 3 != 2 else [],
        phone=f"+1 312 555 01{index % 100:02d}",
        email=f"intake{index}@{last.lower().replace('-', '')}-practice.example",
        website=f"https://{last.lower().replace('-', '')}-practice.example",
        languages=_LANGUAGES[index % len(_LANGUAGES)],
        specialties=list(_SPECIALTIES[index % len(_SPECIALTIES)]),
        modalities=list(_MODALITIES[index % len(_MODALITIES)]),
        gender=gender,
        accepting_new_clients=index % 5 != 4,
        law_enforcement_experience_years=3 + index % 17,
        law_enforcement_experience="Clinician for a regional critical-incident team; "
        "ride-alongs with patrol to understand shift work.",
        professional_association=association,
        disciplinary_action=index == _DISCLOSED,
        disciplinary_explanation="A 2019 reprimand by the state board for a late continuing-"
        "education filing; the hours were completed and the matter closed in 2020."
        if index == _DISCLOSED
        else None,
        insurance=[
            InsuranceInput(carrier=carrier, plan_types=list(plans))
            for carrier, plans in _INSURANCE[index % len(_INSURANCE)]
        ],
        self_pay=index % 2 == 0,
        answers_calls_any_hour=index % 3 != 1,
        schedules_within_24_hours=index % 3 != 0,
    )


async def seed(connection: asyncpg.Connection, *, clock: Clock = SYSTEM_CLOCK) -> bool:
    """Insert the demo professionals into an empty database; False when not empty."""
    if await connection.fetchval("SELECT count(*) FROM professionals"):
        return False
    today = clock.today()
    home_metro = settings.parse_counties(settings.DEFAULT_HOME_METRO)
    total = len(_PLACES) + len(_WAITING)
    async with connection.transaction():
        for index in range(total):
            errors = InputErrors()
            application_in = rules.check_application(
                demo_application(index, today),
                errors,
                today=today,
                min_years_with_officers=settings.DEFAULT_MIN_YEARS_WITH_OFFICERS,
            )
            assert application_in is not None, errors.items
            professional_id = await application_store.create_application(
                connection=connection,
                application_in=application_in,
                reference=new_reference(),
                assessment_kind=rules.assessment_kind(application_in.locations, home_metro),
            )
            assert professional_id is not None
            await _demo_document(connection, professional_id, application_in.full_name)
            waiting = index - len(_PLACES)
            target = _WAITING[waiting] if waiting >= 0 else "approved"
            await _vet(connection, professional_id, target, clock)
    return True


async def _vet(
    connection: asyncpg.Connection, professional_id: uuid.UUID, target: str, clock: Clock
) -> None:
    steps = ["under_review", "assessment_scheduled", "deliberation", "approved"]
    if target == "submitted":
        return
    for vetter in _VETTERS:
        await vetting_store.assign(
            connection=connection,
            professional_id=professional_id,
            vetter=vetter,
            assigned_by=_VETTERS[0],
        )
    for step in steps[: steps.index(target) + 1]:
        if step == "deliberation":
            for vetter in _VETTERS:
                await vetting_store.record_assessment(
                    connection=connection,
                    professional_id=professional_id,
                    round=1,
                    vetter=vetter,
                    assessment_in=rules.AssessmentIn(
                        license_verified=True,
                        insurance_verified=True,
                        callback_hours=2,
                        responsive_to_urgent_requests=True,
                        confidentiality_practices=True,
                        hipaa_video_platform=True,
                        law_enforcement_experience=True,
                        code_of_ethics=True,
                        notes="Demo assessment.",
                        vote="approve",
                    ),
                )
        if step == "approved":
            await vetting_store.record_decision(
                connection=connection,
                professional_id=professional_id,
                round=1,
                outcome="approved",
                approvals=2,
                votes=2,
                reason=None,
                reconsider_after=None,
                decided_by=_VETTERS[1],
            )
        await vetting_store.set_status(
            connection=connection,
            professional_id=professional_id,
            status=step,
            changed_by=_VETTERS[0],
            assessment_at=clock.now() + dt.timedelta(days=7)
            if step == "assessment_scheduled"
            else None,
        )


async def _demo_document(
    connection: asyncpg.Connection, professional_id: uuid.UUID, name: str
) -> None:
    content = demo_pdf(f"Curriculum vitae - {name}")
    document_id = await application_store.add_document(
        connection=connection,
        professional_id=professional_id,
        position=0,
        kind="cv",
        filename="cv.pdf",
        content_type="application/pdf",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    await application_store.add_document_chunk(
        connection=connection, document_id=document_id, seq=0, data=content
    )


def demo_pdf(text: str) -> bytes:
    """A minimal one-page PDF showing ``text`` (ASCII)."""
    safe = text.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 720 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return body
