"""The directory's rules: what makes a peer supporter profile, a search or a resource valid.

Each check adds plain-language field errors and returns normalised values; a mutation
writes only when no error was added.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from servicekit import geo, validation
from servicekit.graphql import InputErrors

from . import availability
from .availability import Weekday
from .store import ResourceRow, SupporterRow
from .vocabulary import LANGUAGES

MAX_CERTIFICATIONS = 20
MAX_LANGUAGES = 10
MAX_SEARCH_MILES = 500
MAX_AVAILABLE_NOW = dt.timedelta(hours=24)
DEFAULT_AVAILABLE_NOW = dt.timedelta(hours=4)
MAX_UNAVAILABLE = dt.timedelta(days=180)
_SHORT_CODE = re.compile(r"^\d{3,6}$")


@dataclass(frozen=True, slots=True)
class ProfileFields:
    """A profile as its supporter entered it; None means "not given" (keep the current)."""

    display_name: str | None = None
    phone: str | None = None
    accepts_texts: bool | None = None
    languages: list[str] | None = None
    areas: list[str] | None = None
    years_of_service: int | None = None
    certifications: list[str] | None = None
    bio: str | None = None
    gender: str | None = None
    zip_code: str | None = None
    time_zone: str | None = None
    weekly_schedule: list[tuple[Weekday, str, str]] | None = None
    # nullable fields the supporter may clear: their names when explicitly set to null
    cleared: frozenset[str] = field(default_factory=frozenset)


def check_profile(
    fields: ProfileFields, errors: InputErrors, *, current: SupporterRow | None = None
) -> dict[str, Any]:
    """The complete, normalised profile (``current`` filled in where nothing was given)."""
    profile: dict[str, Any] = {}
    profile["display_name"] = validation.text(
        _pick(fields.display_name, current and current.display_name),
        "input.displayName",
        errors,
        max_length=80,
    )
    phone = _pick(fields.phone, current and current.phone)
    if phone is None:
        errors.add("input.phone", "This is required.")
    profile["phone"] = validation.phone(phone, "input.phone", errors) if phone else None
    profile["accepts_texts"] = _pick(
        fields.accepts_texts, current.accepts_texts if current else False
    )
    profile["languages"] = _languages(
        _pick(fields.languages, current and current.languages), errors
    )
    profile["areas"] = _areas(_pick(fields.areas, current and current.areas), errors)

    years = _pick(fields.years_of_service, current and current.years_of_service)
    if "years_of_service" in fields.cleared:
        years = None
    if years is not None and not 0 <= years <= 60:
        errors.add("input.yearsOfService", "Enter whole years of service, from 0 to 60.")
    profile["years_of_service"] = years

    profile["certifications"] = _certifications(
        _pick(fields.certifications, current.certifications if current else []), errors
    )
    bio = validation.text(
        _pick(fields.bio, current.bio if current else ""),
        "input.bio",
        errors,
        max_length=1000,
        required=False,
    )
    profile["bio"] = bio or ""
    gender = _pick(fields.gender, current and current.gender)
    profile["gender"] = None if "gender" in fields.cleared else gender

    _place(fields, current, profile, errors)
    schedule = fields.weekly_schedule
    if schedule is None:
        profile["spans"] = current.spans if current else []
    else:
        profile["spans"] = availability.check_schedule(schedule, "input.weeklySchedule", errors)
    return profile


def _pick(given: Any, fallback: Any) -> Any:
    return given if given is not None else fallback


def _languages(values: list[str] | None, errors: InputErrors) -> list[str] | None:
    if not values:
        errors.add("input.languages", "Name at least one language you can talk in, e.g. en.")
        return None
    codes: list[str] = []
    for index, value in enumerate(values):
        code = value.strip().lower()
        if code not in LANGUAGES:
            errors.add(
                f"input.languages.{index}",
                f"'{value.strip()[:12]}' is not a language code we know; use codes such as "
                "en, es or pl (see supportLanguages).",
            )
        elif code not in codes:
            codes.append(code)
    if len(codes) > MAX_LANGUAGES:
        errors.add("input.languages", f"Name at most {MAX_LANGUAGES} languages.")
    return codes if not _has_errors_under(errors, "input.languages") else None


def _has_errors_under(errors: InputErrors, prefix: str) -> bool:
    return any(item.field.startswith(prefix) for item in errors.items)


def _areas(values: list[str] | None, errors: InputErrors) -> list[str] | None:
    if not values:
        errors.add("input.areasOfSupport", "Choose at least one area of support.")
        return None
    return sorted(set(values))


def _certifications(values: list[str], errors: InputErrors) -> list[str]:
    if len(values) > MAX_CERTIFICATIONS:
        errors.add("input.certifications", f"List at most {MAX_CERTIFICATIONS} entries.")
        return []
    checked: list[str] = []
    for index, value in enumerate(values):
        text = validation.text(value, f"input.certifications.{index}", errors, max_length=120)
        if text is not None:
            checked.append(text)
    return checked


def _place(
    fields: ProfileFields,
    current: SupporterRow | None,
    profile: dict[str, Any],
    errors: InputErrors,
) -> None:
    """ZIP code → state, county and centroid; time zone given or taken from the ZIP."""
    zip_code = _pick(fields.zip_code, current and current.zip_code)
    place = None
    if zip_code is None:
        errors.add("input.zipCode", "This is required: the ZIP code where you work.")
    else:
        place = geo.zip_place(zip_code)
        if place is None:
            errors.add("input.zipCode", _zip_problem(zip_code))
    if place is not None:
        profile.update(
            zip_code=place.zip_code,
            state=place.state,
            county=place.county,
            latitude=place.latitude,
            longitude=place.longitude,
        )
    time_zone = fields.time_zone.strip() if fields.time_zone is not None else None
    if time_zone is None:
        moved = fields.zip_code is not None and current is not None
        if current is not None and not moved:
            time_zone = current.time_zone
        elif place is not None:
            time_zone = place.timezone
    if time_zone is None and place is not None:
        errors.add("input.timeZone", "Name your time zone, e.g. America/Chicago.")
    elif time_zone is not None and not availability.is_time_zone(time_zone):
        errors.add("input.timeZone", "Use a time zone name such as America/Chicago.")
        time_zone = None
    profile["time_zone"] = time_zone


# availability switch ------------------------------------------------------------------------


def available_until(
    until: dt.datetime | None, now: dt.datetime, errors: InputErrors
) -> dt.datetime | None:
    """When an "available now" switch ends: given (within a day) or four hours from now."""
    if until is None:
        return now + DEFAULT_AVAILABLE_NOW
    if until.tzinfo is None:
        errors.add("input.until", "Give the time with its offset, e.g. 2025-05-01T18:00-05:00.")
    elif until <= now:
        errors.add("input.until", "This time has passed already.")
    elif until > now + MAX_AVAILABLE_NOW:
        errors.add("input.until", "Switch yourself on for at most 24 hours at a time.")
    else:
        return until
    return None


def unavailable_until(
    until: dt.datetime | None, now: dt.datetime, errors: InputErrors
) -> dt.datetime | None:
    """When an "unavailable" switch ends: required, in the future, within 180 days."""
    if until is None:
        errors.add("input.until", "Say until when you are unavailable.")
    elif until.tzinfo is None:
        errors.add("input.until", "Give the time with its offset, e.g. 2025-05-01T18:00-05:00.")
    elif until <= now:
        errors.add("input.until", "This time has passed already.")
    elif until > now + MAX_UNAVAILABLE:
        errors.add("input.until", "Choose a date within the next 180 days.")
    else:
        return until
    return None


# search -------------------------------------------------------------------------------------


def search_language(value: str, errors: InputErrors) -> str | None:
    code = value.strip().lower()
    if code not in LANGUAGES:
        errors.add("filter.language", "Use a language code such as en, es or pl.")
        return None
    return code


def _zip_problem(zip_code: str) -> str:
    """Why a ZIP code places nothing: not five digits, or five digits we do not know."""
    if re.fullmatch(r"\d{5}", zip_code.strip()):
        return "We don't know this ZIP code. Check it, or try a nearby one."
    return "Enter a five-digit US ZIP code such as 60601."


def search_near(
    zip_code: str, miles: int, errors: InputErrors
) -> tuple[float, float, float, tuple[float, float, float, float]] | None:
    place = geo.zip_place(zip_code)
    if place is None:
        errors.add("filter.near.zipCode", _zip_problem(zip_code))
    if not 1 <= miles <= MAX_SEARCH_MILES:
        errors.add("filter.near.withinMiles", f"Choose from 1 to {MAX_SEARCH_MILES} miles.")
    if place is None or errors.has("filter.near.withinMiles"):
        return None
    box = geo.bounding_box(place.latitude, place.longitude, miles)
    return place.latitude, place.longitude, float(miles), box


def search_county(value: str, errors: InputErrors) -> str | None:
    county = validation.text(value, "filter.county", errors, max_length=100)
    if county is None:
        return None
    return county.removesuffix(" County").removesuffix(" county").strip()


# resources ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResourceFields:
    title: str | None = None
    description: str | None = None
    url: str | None = None
    phone: str | None = None
    text_number: str | None = None
    category: str | None = None
    audience: str | None = None
    position: int | None = None
    then_dial: str | None = None
    text_keyword: str | None = None
    cleared: frozenset[str] = field(default_factory=frozenset)


def check_resource(
    fields: ResourceFields, errors: InputErrors, *, current: ResourceRow | None = None
) -> dict[str, Any]:
    resource: dict[str, Any] = {}
    resource["title"] = validation.text(
        _pick(fields.title, current and current.title), "input.title", errors, max_length=120
    )
    resource["description"] = validation.text(
        _pick(fields.description, current and current.description),
        "input.description",
        errors,
        max_length=1000,
    )
    url = None if "url" in fields.cleared else _pick(fields.url, current and current.url)
    resource["url"] = _https_url(url, errors) if url else None
    for name, label in (("phone", "input.phone"), ("text_number", "input.textNumber")):
        kept = getattr(current, name) if current else None
        value = None if name in fields.cleared else _pick(getattr(fields, name), kept)
        resource[name] = _dialable(value, label, errors) if value else None
    for name, label, pattern, hint in (
        ("then_dial", "input.thenDial", _THEN_DIAL, "Up to 8 digits (or * and #) to press."),
        ("text_keyword", "input.textKeyword", _KEYWORD, "One word of letters and digits."),
    ):
        kept = getattr(current, name) if current else None
        value = None if name in fields.cleared else _pick(getattr(fields, name), kept)
        value = value.strip() if value else None
        if value and not pattern.fullmatch(value):
            errors.add(label, hint)
        resource[name] = value or None
    if resource["then_dial"] and not resource["phone"] and not errors.has("input.phone"):
        errors.add("input.thenDial", "Digits to press need a number to call.")
    if resource["text_keyword"] and not resource["text_number"]:
        errors.add("input.textKeyword", "A word to text needs a number to text.")
    contact_fields = ("input.url", "input.phone", "input.textNumber")
    if not (url or resource["phone"] or resource["text_number"]) and not any(
        errors.has(name) for name in contact_fields
    ):
        errors.add("input.url", "Give a link, a phone number or a number to text.")
    resource["category"] = _pick(fields.category, current and current.category)
    resource["audience"] = _pick(fields.audience, current.audience if current else "everyone")
    if resource["category"] is None:
        errors.add("input.category", "This is required.")
    position = _pick(fields.position, current.position if current else 100)
    if not 0 <= position <= 10_000:
        errors.add("input.position", "Use a position from 0 (first) to 10000.")
    resource["position"] = position
    return resource


_THEN_DIAL = re.compile(r"[0-9*#]{1,8}")
_KEYWORD = re.compile(r"[A-Za-z0-9]{1,20}")


def _https_url(value: str, errors: InputErrors) -> str | None:
    url = value.strip()
    parts = urlsplit(url)
    if len(url) > 500 or parts.scheme != "https" or not parts.netloc or " " in url:
        errors.add("input.url", "Enter a full https:// address of at most 500 characters.")
        return None
    return url


def _dialable(value: str, field_name: str, errors: InputErrors) -> str | None:
    """A short code such as 988 or 741741, or a full phone number (E.164)."""
    compact = value.strip()
    if _SHORT_CODE.match(compact):
        return compact
    return validation.phone(compact, field_name, errors)
