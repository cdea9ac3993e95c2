"""The directory's rules: what makes a peer supporter profile, a search or a resource valid,
and who may see and manage a profile.

Each check adds plain-language field errors and returns a typed, normalised input (None
when it added an error); a mutation writes only that.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import UUID

from servicekit import geo, validation
from servicekit.graphql import InputErrors
from servicekit.tokens import Principal
from servicekit.vocabulary import LANGUAGES

from . import availability
from .availability import Span

if TYPE_CHECKING:
    from .store import SupporterRow

MAX_CERTIFICATIONS = 20
MAX_LANGUAGES = 10
MAX_SEARCH_MILES = 500
MAX_AVAILABLE_NOW = dt.timedelta(hours=24)
DEFAULT_AVAILABLE_NOW = dt.timedelta(hours=4)
MAX_UNAVAILABLE = dt.timedelta(days=180)
_SHORT_CODE = re.compile(r"^\d{3,6}$")

# Who may look people up: everyone a member department admits (identity issues `civilian`
# only where the department enabled civilians) and the network's admins.
SEARCH_ROLES = ("officer", "civilian", "peer_supporter", "coordinator", "network_admin")


def may_see(principal: Principal, row: SupporterRow) -> bool:
    """Active profiles are for every searcher; deactivated ones only for their owner, their
    department's coordinators and network admins."""
    if may_manage(principal, row.department_id) or principal.subject == row.owner_subject:
        return True
    return row.active and principal.has_role(*SEARCH_ROLES, "service")


def may_manage(principal: Principal, department_id: UUID) -> bool:
    if principal.has_role("network_admin"):
        return True
    return principal.has_role("coordinator") and principal.department_id == str(department_id)


def _entered(
    check: Callable[[Any, str, InputErrors], Any] | None = None, *, label: str | None = None
) -> dict[str, Any]:
    """The metadata of a field its supporter enters: ``check(value, label, errors)``
    normalises it.

    ``label`` is the field's name in the GraphQL input (``input.`` and the field's name in
    camel case unless given). An optional field (default None) is cleared by an explicit
    null; any other field given as null keeps its current value.
    """
    return {"check": check or _as_given, "label": label}


def _as_given(value: Any, label: str, errors: InputErrors) -> Any:
    return value


def _required_line(max_length: int) -> Callable[[Any, str, InputErrors], Any]:
    return lambda value, label, errors: validation.line(value, label, errors, max_length=max_length)


def _phone(value: str | None, label: str, errors: InputErrors) -> str | None:
    if value is None:
        errors.add(label, "This is required.")
        return None
    return validation.phone(value, label, errors)


def _years(value: int | None, label: str, errors: InputErrors) -> int | None:
    if value is not None and not 0 <= value <= 60:
        errors.add(label, "Enter whole years of service, from 0 to 60.")
    return value


def _bio(value: str | None, label: str, errors: InputErrors) -> str:
    return validation.text(value, label, errors, max_length=1000, required=False) or ""


def _languages(values: list[str] | None, label: str, errors: InputErrors) -> list[str] | None:
    if not values:
        errors.add(label, "Name at least one language you can talk in, e.g. en.")
        return None
    codes: list[str] = []
    for index, value in enumerate(values):
        code = value.strip().lower()
        if code not in LANGUAGES:
            errors.add(
                f"{label}.{index}",
                f"'{value.strip()[:12]}' is not a language code we know; use codes such as "
                "en, es or pl (see supportLanguages).",
            )
        elif code not in codes:
            codes.append(code)
    if len(codes) > MAX_LANGUAGES:
        errors.add(label, f"Name at most {MAX_LANGUAGES} languages.")
    return codes if not _has_errors_under(errors, label) else None


def _has_errors_under(errors: InputErrors, prefix: str) -> bool:
    return any(item.field.startswith(prefix) for item in errors.items)


def _areas(values: list[str] | None, label: str, errors: InputErrors) -> list[str] | None:
    if not values:
        errors.add(label, "Choose at least one area of support.")
        return None
    return sorted(set(values))


def _certifications(values: list[str], label: str, errors: InputErrors) -> list[str]:
    if len(values) > MAX_CERTIFICATIONS:
        errors.add(label, f"List at most {MAX_CERTIFICATIONS} entries.")
        return []
    checked: list[str] = []
    for index, value in enumerate(values):
        text = validation.line(value, f"{label}.{index}", errors, max_length=120)
        if text is not None:
            checked.append(text)
    return checked


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileIn:
    """A valid, normalised peer-supporter profile: each field is declared here once.

    The store writes every field into the column of the same name, the row type extends
    this one, and the GraphQL type copies the fields it shares by name. Fields entered by
    the supporter carry their check; the place follows from the ZIP code and the spans from
    the weekly schedule.
    """

    display_name: str = field(metadata=_entered(_required_line(80)))
    phone: str = field(metadata=_entered(_phone))
    accepts_texts: bool = field(default=False, metadata=_entered())
    languages: list[str] = field(metadata=_entered(_languages))
    areas: list[str] = field(metadata=_entered(_areas, label="input.areasOfSupport"))
    years_of_service: int | None = field(default=None, metadata=_entered(_years))
    certifications: list[str] = field(default_factory=list, metadata=_entered(_certifications))
    bio: str = field(default="", metadata=_entered(_bio))
    gender: str | None = field(default=None, metadata=_entered())
    # where they work, from the ZIP code (and the time zone of their schedule)
    zip_code: str
    state: str
    county: str
    latitude: float
    longitude: float
    time_zone: str
    spans: list[Span] = field(default_factory=list)


def _label(item: Field[Any]) -> str:
    label: str | None = item.metadata["label"]
    if label is not None:
        return label
    head, *rest = item.name.split("_")
    return "input." + head + "".join(word.capitalize() for word in rest)


def _current(given: Mapping[str, Any], name: str, current: object | None, item: Field[Any]) -> Any:
    """What a field is: given, cleared by an explicit null, else current, else its default."""
    value = given.get(name)
    if value is not None:
        return value
    if name in given and item.default is None:
        return None
    if current is not None:
        return getattr(current, name)
    if item.default is not MISSING:
        return item.default
    if item.default_factory is not MISSING:
        return item.default_factory()
    return None


_PROFILE_FIELDS = fields(ProfileIn)


def check_profile(
    given: Mapping[str, Any], errors: InputErrors, *, current: ProfileIn | None = None
) -> ProfileIn | None:
    """The complete, normalised profile; None when any field error was added.

    ``given`` holds what the supporter entered, by field name (``weekly_schedule`` as
    (day, start, end) slots); a name left out keeps ``current``'s value.
    """
    profile: dict[str, Any] = {}
    for item in _PROFILE_FIELDS:
        if "check" in item.metadata:
            value = _current(given, item.name, current, item)
            profile[item.name] = item.metadata["check"](value, _label(item), errors)
    _place(given, current, profile, errors)
    schedule = given.get("weekly_schedule")
    if schedule is None:
        profile["spans"] = current.spans if current else []
    else:
        profile["spans"] = availability.check_schedule(schedule, "input.weeklySchedule", errors)
    return None if errors else ProfileIn(**profile)


def _place(
    given: Mapping[str, Any],
    current: ProfileIn | None,
    profile: dict[str, Any],
    errors: InputErrors,
) -> None:
    """ZIP code → state, county and centroid; time zone given or taken from the ZIP."""
    entered_zip: str | None = given.get("zip_code")
    zip_code = entered_zip if entered_zip is not None else (current.zip_code if current else None)
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
    entered_zone: str | None = given.get("time_zone")
    time_zone = entered_zone.strip() if entered_zone is not None else None
    if time_zone is None:
        moved = entered_zip is not None and current is not None
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
    zip_code: str, miles: int, errors: InputErrors, *, field: str = "filter.near"
) -> tuple[float, float, float, tuple[float, float, float, float]] | None:
    """Within ``miles`` of the ZIP code's centroid: (latitude, longitude, miles, bounding box);
    None with errors on ``field``'s ``zipCode`` or ``withinMiles``."""
    place = geo.zip_place(zip_code)
    if place is None:
        errors.add(f"{field}.zipCode", _zip_problem(zip_code))
    if not 1 <= miles <= MAX_SEARCH_MILES:
        errors.add(f"{field}.withinMiles", f"Choose from 1 to {MAX_SEARCH_MILES} miles.")
    if place is None or errors.has(f"{field}.withinMiles"):
        return None
    box = geo.bounding_box(place.latitude, place.longitude, miles)
    return place.latitude, place.longitude, float(miles), box


def search_county(value: str, errors: InputErrors) -> str | None:
    county = validation.line(value, "filter.county", errors, max_length=100)
    if county is None:
        return None
    return county.removesuffix(" County").removesuffix(" county").strip()


# resources ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceIn:
    """A valid, normalised well-being resource; the row type extends it."""

    title: str
    description: str
    url: str | None = None
    phone: str | None = None
    text_number: str | None = None
    category: str
    audience: str = "everyone"
    position: int = 100
    then_dial: str | None = None  # digits pressed once the call connects
    text_keyword: str | None = None  # the word a text starts with


_RESOURCE_FIELDS = {item.name: item for item in fields(ResourceIn)}


def check_resource(
    given: Mapping[str, Any], errors: InputErrors, *, current: ResourceIn | None = None
) -> ResourceIn | None:
    """The complete, normalised resource; None when any field error was added.

    ``given`` holds the fields entered, by name; a name left out keeps ``current``'s value,
    and an explicit null clears an optional one.
    """

    def value(name: str) -> Any:
        return _current(given, name, current, _RESOURCE_FIELDS[name])

    resource: dict[str, Any] = {}
    resource["title"] = validation.line(value("title"), "input.title", errors, max_length=120)
    resource["description"] = validation.text(
        value("description"), "input.description", errors, max_length=1000
    )
    url = value("url")
    resource["url"] = _https_url(url, errors) if url else None
    for name, label in (("phone", "input.phone"), ("text_number", "input.textNumber")):
        number = value(name)
        resource[name] = _dialable(number, label, errors) if number else None
    for name, label, pattern, hint in (
        ("then_dial", "input.thenDial", _THEN_DIAL, "Up to 8 digits (or * and #) to press."),
        ("text_keyword", "input.textKeyword", _KEYWORD, "One word of letters and digits."),
    ):
        text = value(name)
        text = text.strip() if text else None
        if text and not pattern.fullmatch(text):
            errors.add(label, hint)
        resource[name] = text or None
    if resource["then_dial"] and not resource["phone"] and not errors.has("input.phone"):
        errors.add("input.thenDial", "Digits to press need a number to call.")
    if resource["text_keyword"] and not resource["text_number"]:
        errors.add("input.textKeyword", "A word to text needs a number to text.")
    contact_fields = ("input.url", "input.phone", "input.textNumber")
    if not (url or resource["phone"] or resource["text_number"]) and not any(
        errors.has(name) for name in contact_fields
    ):
        errors.add("input.url", "Give a link, a phone number or a number to text.")
    resource["category"] = value("category")
    resource["audience"] = value("audience")
    if resource["category"] is None:
        errors.add("input.category", "This is required.")
    position = value("position")
    if not 0 <= position <= 10_000:
        errors.add("input.position", "Use a position from 0 (first) to 10000.")
    resource["position"] = position
    return None if errors else ResourceIn(**resource)


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
