"""The rules of the service: who may see and do what, what makes an application or an
assessment valid, consensus, licence expiry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from strawberry.types import Info

from servicekit import geo, validation
from servicekit.graphql import InputErrors, require_principal, require_role
from servicekit.tokens import Principal
from servicekit.vocabulary import language_code

from .inputs import AssessmentInput, ProfessionalApplicationInput
from .vocabulary import CARRIERS, ProfessionalAssociation, carrier_code

_CLIENT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
_WEBSITE = re.compile(r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d{1,5})?(/\S*)?$")
_LICENSE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,39}$")
MAX_LICENSES = 20
MAX_LOCATIONS = 10
MAX_LANGUAGES = 20

# -- who may see and do what ---------------------------------------------------------------

VETTER = "vetter"  # sees applications and their documents, and vets them
SERVICE = "service"  # a peer service: reads the network's figures


def signed_in(info: Info[Any, Any]) -> Principal:
    """The listing is for any signed-in user; applying needs no sign-in."""
    return require_principal(info)


def vetter(info: Info[Any, Any]) -> Principal:
    """Applications, their documents and every vetting step are for vetters only."""
    return require_role(info, VETTER)


def peer_service(info: Info[Any, Any]) -> Principal:
    """The network's figures are for peer services."""
    return require_role(info, SERVICE)


def may_download(principal: Principal) -> bool:
    """Applicants' documents are for vetters only."""
    return principal.has_role(VETTER)


# -- applications ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LicenseIn:
    license_type: str
    number: str
    state: str
    expires_on: dt.date


@dataclass(frozen=True, slots=True)
class LocationIn:
    street: str
    city: str
    state: str
    zip_code: str
    county: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class InsuranceIn:
    carrier: str
    plan_types: list[str]


@dataclass(frozen=True, slots=True)
class DocumentIn:
    """A document as the application's fingerprint counts it."""

    kind: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class ApplicationIn:
    """A valid, normalised application (documents apart)."""

    client_key: str
    full_name: str
    credentials: str
    licenses: list[LicenseIn]
    practice_name: str | None
    locations: list[LocationIn]
    telehealth: bool
    telehealth_states: list[str]
    phone: str
    email: str
    website: str | None
    languages: list[str]  # ISO 639 codes
    specialties: list[str]
    modalities: list[str]
    gender: str | None
    accepting_new_clients: bool
    le_experience_years: int
    le_experience: str | None
    professional_association: str
    professional_association_other: str | None
    disciplinary_action: bool
    disciplinary_explanation: str | None
    insurance: list[InsuranceIn]
    self_pay: bool
    answers_any_hour: bool
    schedules_within_24h: bool
    documents: list[DocumentIn] = field(default_factory=list)

    @property
    def service_states(self) -> list[str]:
        return sorted({license.state for license in self.licenses} | set(self.telehealth_states))

    @property
    def insurance_keys(self) -> list[str]:
        keys: set[str] = set()
        for entry in self.insurance:
            keys.add(entry.carrier)
            for plan in entry.plan_types:
                keys.add(f"{entry.carrier}:{plan}")
                keys.add(f"*:{plan}")
        return sorted(keys)

    @property
    def licenses_valid_until(self) -> dt.date:
        return min(license.expires_on for license in self.licenses)

    def fingerprint(self) -> str:
        """A digest of everything submitted, documents included: tells a resubmission of the
        same application from a different one sent with a reused key."""
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def check_application(
    source: ProfessionalApplicationInput,
    errors: InputErrors,
    *,
    today: dt.date,
    min_years_with_officers: int,
) -> ApplicationIn | None:
    """The normalised application, or None after adding a field error for every mistake.
    ``min_years_with_officers`` is the network's minimum experience treating officers."""
    client_key = (source.client_key or "").strip()
    if not _CLIENT_KEY.match(client_key):
        errors.add("input.clientKey", "Send the form's key: 8 to 100 letters, digits, - or _.")
    full_name = validation.line(source.full_name, "input.fullName", errors, max_length=200)
    credentials = validation.line(source.credentials, "input.credentials", errors, max_length=200)
    licenses = _licenses(source, errors, today)
    practice_name = validation.line(
        source.practice_name, "input.practiceName", errors, max_length=200, required=False
    )
    locations = _locations(source, errors)
    telehealth_states = _telehealth_states(source, errors)
    phone = _required(source.phone, "input.phone", errors, validation.phone)
    email = _required(source.email, "input.email", errors, validation.email)
    website = _website(source.website, errors)
    languages = _languages(source.languages, errors)
    if not source.specialties:
        errors.add("input.specialties", "Choose at least one specialty.")
    if not source.modalities:
        errors.add(
            "input.modalities", "Choose whom you see: individuals, couples, families or groups."
        )
    years = _years_with_officers(
        source.law_enforcement_experience_years, min_years_with_officers, errors
    )
    le_experience = validation.text(
        source.law_enforcement_experience,
        "input.lawEnforcementExperience",
        errors,
        max_length=4000,
        required=bool(years),
    )
    association, association_other = _association(source, errors)
    explanation = _disciplinary_history(source, errors)
    insurance = _insurance(source, errors)
    if not (source.answers_calls_any_hour or source.schedules_within_24_hours):
        errors.add(
            "input.answersCallsAnyHour",
            "The program needs at least one commitment: picking up officers' calls at any hour, "
            "or scheduling an officer within 24 hours.",
        )
    if errors:
        return None
    assert full_name
    assert credentials
    assert phone
    assert email
    assert years is not None
    assert association is not None
    assert source.disciplinary_action is not None
    return ApplicationIn(
        client_key=client_key,
        full_name=full_name,
        credentials=credentials,
        licenses=licenses,
        practice_name=practice_name,
        locations=locations,
        telehealth=source.telehealth,
        telehealth_states=telehealth_states,
        phone=phone,
        email=email,
        website=website,
        languages=languages,
        specialties=sorted({specialty.value for specialty in source.specialties}),
        modalities=sorted({modality.value for modality in source.modalities}),
        gender=source.gender.value if source.gender else None,
        accepting_new_clients=source.accepting_new_clients,
        le_experience_years=years,
        le_experience=le_experience,
        professional_association=association,
        professional_association_other=association_other,
        disciplinary_action=source.disciplinary_action,
        disciplinary_explanation=explanation,
        insurance=insurance,
        self_pay=source.self_pay,
        answers_any_hour=source.answers_calls_any_hour,
        schedules_within_24h=source.schedules_within_24_hours,
    )


def _required(
    value: str | None,
    path: str,
    errors: InputErrors,
    check: object,
) -> str | None:
    if value is None or not value.strip():
        errors.add(path, "This is required.")
        return None
    result: str | None = check(value, path, errors)  # type: ignore[operator]
    return result


def _licenses(
    source: ProfessionalApplicationInput, errors: InputErrors, today: dt.date
) -> list[LicenseIn]:
    if not source.licenses:
        errors.add("input.licenses", "Add at least one license.")
        return []
    if len(source.licenses) > MAX_LICENSES:
        errors.add("input.licenses", f"List at most {MAX_LICENSES} licenses.")
        return []
    result: list[LicenseIn] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(source.licenses):
        path = f"input.licenses.{index}"
        ok = True
        if item.license_type is None:
            errors.add(f"{path}.licenseType", "Choose the license type.")
            ok = False
        number = (item.number or "").strip().upper()
        if not number:
            errors.add(f"{path}.number", "This is required.")
            ok = False
        elif not _LICENSE_NUMBER.match(number):
            errors.add(f"{path}.number", "Enter the license number as the board prints it.")
            ok = False
        state = _state(item.state, f"{path}.state", errors)
        if item.expires_on is None:
            errors.add(f"{path}.expiresOn", "This is required.")
            ok = False
        elif item.expires_on < today:
            errors.add(
                f"{path}.expiresOn",
                f"This license expired on {item.expires_on.isoformat()}; apply once it is renewed.",
            )
            ok = False
        if state and number and (state, number) in seen:
            errors.add(f"{path}.number", "This license is listed twice.")
            ok = False
        if ok and state and item.license_type is not None and item.expires_on is not None:
            seen.add((state, number))
            result.append(LicenseIn(item.license_type.value, number, state, item.expires_on))
    return result


def _locations(source: ProfessionalApplicationInput, errors: InputErrors) -> list[LocationIn]:
    if not source.locations:
        errors.add("input.locations", "Add the practice's address.")
        return []
    if len(source.locations) > MAX_LOCATIONS:
        errors.add("input.locations", f"List at most {MAX_LOCATIONS} addresses.")
        return []
    result: list[LocationIn] = []
    for index, item in enumerate(source.locations):
        path = f"input.locations.{index}"
        street = validation.line(item.street, f"{path}.street", errors, max_length=200)
        city = validation.line(item.city, f"{path}.city", errors, max_length=100)
        state = _state(item.state, f"{path}.state", errors)
        zip_text = (item.zip_code or "").strip()
        place = geo.zip_place(zip_text) if zip_text else None
        if not zip_text:
            errors.add(f"{path}.zipCode", "This is required.")
        elif place is None:
            errors.add(f"{path}.zipCode", f"'{zip_text[:10]}' is not a known US ZIP code.")
        elif state and place.state != state:
            errors.add(f"{path}.zipCode", f"ZIP code {zip_text} is in {place.state}, not {state}.")
            place = None
        if street and city and state and place:
            result.append(
                LocationIn(
                    street, city, state, zip_text, place.county, place.latitude, place.longitude
                )
            )
    return result


def _telehealth_states(source: ProfessionalApplicationInput, errors: InputErrors) -> list[str]:
    if not source.telehealth:
        if source.telehealth_states:
            errors.add("input.telehealthStates", "Tick telehealth to list the states it serves.")
        return []
    if not source.telehealth_states:
        errors.add("input.telehealthStates", "List the states you can serve by telehealth.")
        return []
    states: set[str] = set()
    for index, value in enumerate(source.telehealth_states):
        state = _state(value, f"input.telehealthStates.{index}", errors)
        if state:
            states.add(state)
    return sorted(states)


def _state(value: str | None, path: str, errors: InputErrors) -> str | None:
    if value is None or not value.strip():
        errors.add(path, "This is required.")
        return None
    return validation.state_code(value, path, errors)


def _website(value: str | None, errors: InputErrors) -> str | None:
    trimmed = (value or "").strip()
    if not trimmed:
        return None
    if "://" not in trimmed:
        trimmed = "https://" + trimmed
    if len(trimmed) > 300 or not _WEBSITE.match(trimmed):
        errors.add("input.website", "Enter a web address such as https://example.org.")
        return None
    return trimmed


def _languages(values: Sequence[str], errors: InputErrors) -> list[str]:
    """The languages' codes, in the order given; each unknown one is a field error."""
    if not values:
        errors.add("input.languages", "List at least one language you treat in.")
        return []
    if len(values) > MAX_LANGUAGES:
        errors.add("input.languages", f"List at most {MAX_LANGUAGES} languages.")
        return []
    codes: list[str] = []
    for index, value in enumerate(values):
        code = language_code(value)
        if code is None:
            errors.add(
                f"input.languages.{index}",
                f"'{value.strip()[:40]}' is not in the network's list of languages; choose "
                "from professionalLanguages (a code such as es, or a name such as Spanish).",
            )
        elif code not in codes:
            codes.append(code)
    return codes


def _years_with_officers(value: int | None, minimum: int, errors: InputErrors) -> int | None:
    """The years of experience treating officers, at least the network's minimum."""
    path = "input.lawEnforcementExperienceYears"
    if value is None:
        errors.add(path, "This is required: the years you have treated law-enforcement officers.")
    elif not 0 <= value <= 70:
        errors.add(path, "Enter a number of years from 0 to 70.")
    elif value < minimum:
        errors.add(
            path,
            f"The network lists professionals with at least {minimum} "
            f"year{'' if minimum == 1 else 's'} of experience treating law-enforcement "
            "officers; apply again once you have it.",
        )
    else:
        return value
    return None


def _association(
    source: ProfessionalApplicationInput, errors: InputErrors
) -> tuple[str | None, str | None]:
    """The association whose code of ethics applies, and its name when it is another."""
    chosen = source.professional_association
    other = validation.text(
        source.professional_association_other,
        "input.professionalAssociationOther",
        errors,
        max_length=200,
        required=False,
    )
    if chosen is None:
        errors.add(
            "input.professionalAssociation",
            "Choose the association whose code of ethics binds your practice (or Other).",
        )
    elif chosen is ProfessionalAssociation.OTHER and other is None:
        if not errors.has("input.professionalAssociationOther"):
            errors.add("input.professionalAssociationOther", "Name the association.")
    elif chosen is not ProfessionalAssociation.OTHER and other is not None:
        errors.add(
            "input.professionalAssociationOther",
            "Name an association only when you choose Other.",
        )
    # str(): mypy reads members made with strawberry.enum_value as holding that definition
    return (str(chosen.value) if chosen else None), (
        other if chosen is ProfessionalAssociation.OTHER else None
    )


def _disciplinary_history(source: ProfessionalApplicationInput, errors: InputErrors) -> str | None:
    """The explanation of a disclosed disciplinary action (None when none was taken)."""
    explanation = validation.text(
        source.disciplinary_explanation,
        "input.disciplinaryExplanation",
        errors,
        max_length=4000,
        required=False,
    )
    if source.disciplinary_action is None:
        errors.add(
            "input.disciplinaryAction",
            "Answer yes or no: has a licensing board or professional association ever taken "
            "disciplinary action against you?",
        )
    elif source.disciplinary_action and explanation is None:
        if not errors.has("input.disciplinaryExplanation"):
            errors.add(
                "input.disciplinaryExplanation",
                "Say what happened and how it was resolved; the vetters read it.",
            )
    elif not source.disciplinary_action and explanation is not None:
        errors.add(
            "input.disciplinaryExplanation",
            "You answered no disciplinary action: leave the explanation empty, or answer yes.",
        )
    return explanation if source.disciplinary_action else None


def _insurance(source: ProfessionalApplicationInput, errors: InputErrors) -> list[InsuranceIn]:
    result: dict[str, set[str]] = {}
    for index, item in enumerate(source.insurance[: len(CARRIERS)]):
        path = f"input.insurance.{index}"
        code = carrier_code(item.carrier or "")
        if not (item.carrier or "").strip():
            errors.add(f"{path}.carrier", "This is required.")
        elif code is None:
            errors.add(
                f"{path}.carrier",
                f"'{(item.carrier or '').strip()[:40]}' is not a carrier we list; "
                "see insuranceCarriers for the list.",
            )
        if not item.plan_types:
            errors.add(f"{path}.planTypes", "Choose at least one plan type, such as PPO.")
        if code and item.plan_types:
            result.setdefault(code, set()).update(plan.value for plan in item.plan_types)
    if not source.insurance and not source.self_pay:
        errors.add("input.insurance", "List the insurance you accept, or offer self-pay.")
    return [InsuranceIn(code, sorted(plans)) for code, plans in sorted(result.items())]


# -- vetting ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssessmentIn:
    """A valid assessment against the checklist, and its vote."""

    license_verified: bool
    insurance_verified: bool
    callback_hours: int
    responsive_to_urgent_requests: bool
    confidentiality_practices: bool
    hipaa_video_platform: bool
    law_enforcement_experience: bool
    code_of_ethics: bool
    notes: str | None
    vote: str


def check_assessment(source: AssessmentInput, errors: InputErrors) -> AssessmentIn | None:
    """The assessment, or None after adding a field error for every mistake."""
    if not 0 <= source.callback_hours <= 168:
        errors.add("input.callbackHours", "Enter hours from 0 to 168.")
    if source.vote.value == "approve" and not source.code_of_ethics:
        errors.add(
            "input.codeOfEthics",
            "An approval needs the code-of-ethics check: the applicant's disciplinary history "
            "against their association's code. Check it, or vote to defer.",
        )
    notes = validation.text(source.notes, "input.notes", errors, max_length=4000, required=False)
    if errors:
        return None
    return AssessmentIn(
        license_verified=source.license_verified,
        insurance_verified=source.insurance_verified,
        callback_hours=source.callback_hours,
        responsive_to_urgent_requests=source.responsive_to_urgent_requests,
        confidentiality_practices=source.confidentiality_practices,
        hipaa_video_platform=source.hipaa_video_platform,
        law_enforcement_experience=source.law_enforcement_experience,
        code_of_ethics=source.code_of_ethics,
        notes=notes,
        vote=source.vote.value,
    )


MIN_VOTES = 2


@dataclass(frozen=True, slots=True)
class CastVote:
    """A vote of the current round, and whether its vetter checked the code of ethics."""

    vote: str
    code_of_ethics: bool


def consensus(votes: Sequence[CastVote]) -> str:
    """At least two votes, all to approve after the code-of-ethics check → approved;
    anything else → deferred."""
    if len(votes) >= MIN_VOTES and all(
        vote.vote == "approve" and vote.code_of_ethics for vote in votes
    ):
        return "approved"
    return "deferred"


def unchecked_approvals(votes: Sequence[CastVote]) -> int:
    """How many approvals were recorded without the code-of-ethics check (before the
    checklist had it), when those alone keep unanimous votes from approving: the vetters
    re-record them rather than see the application deferred for it."""
    if len(votes) < MIN_VOTES or any(vote.vote != "approve" for vote in votes):
        return 0
    return sum(1 for vote in votes if not vote.code_of_ethics)


def assessment_kind(locations: Sequence[LocationIn], home_metro: frozenset[tuple[str, str]]) -> str:
    """An office visit when a practice address is in the home metro counties, else video."""
    for location in locations:
        if (location.state, location.county.lower()) in home_metro:
            return "office_visit"
    return "video_call"


def expiring_soon(expires_on: dt.date, today: dt.date, notice_days: int) -> bool:
    """Due for re-vetting: still valid, but expiring within the notice period."""
    return today <= expires_on <= today + dt.timedelta(days=notice_days)
