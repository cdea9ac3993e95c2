"""The membership rules: what makes a department, a term or a fee table valid."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from servicekit import validation
from servicekit.graphql import InputErrors

from .store import DepartmentRow, FeeTierRow, TermRow

_ORI = re.compile(r"^[A-Z]{2}[0-9A-Z]{7}$")
STATUSES = ("prospect", "active", "suspended", "lapsed")
FIRST_TERM_YEARS = 3


@dataclass(frozen=True, slots=True)
class DepartmentFields:
    """A department's editable fields as a network admin entered them (None = not given)."""

    name: str | None = None
    ori: str | None = None
    county: str | None = None
    state: str | None = None
    sworn_officers: int | None = None
    civilians_enrolled: bool | None = None
    status: str | None = None
    joined_on: dt.date | None = None


def check_department(
    fields: DepartmentFields,
    errors: InputErrors,
    *,
    today: dt.date,
    current: DepartmentRow | None = None,
) -> dict[str, object]:
    """The complete, normalised department (``current`` filled in where not given)."""
    merged = {
        "name": fields.name if fields.name is not None else (current.name if current else None),
        "ori": fields.ori if fields.ori is not None else (current.ori if current else None),
        "county": fields.county
        if fields.county is not None
        else (current.county if current else None),
        "state": fields.state if fields.state is not None else (current.state if current else None),
    }
    name = validation.text(merged["name"], "input.name", errors, max_length=200)
    county = validation.text(merged["county"], "input.county", errors, max_length=100)
    state = None
    if merged["state"] is None:
        errors.add("input.state", "This is required.")
    else:
        state = validation.state_code(merged["state"], "input.state", errors)
    ori = _check_ori(merged["ori"], state, errors)

    sworn = (
        fields.sworn_officers
        if fields.sworn_officers is not None
        else (current.sworn_officers if current else None)
    )
    if sworn is None:
        errors.add("input.swornOfficers", "This is required.")
    elif not 1 <= sworn <= 100_000:
        errors.add("input.swornOfficers", "Enter the number of sworn officers, from 1 to 100000.")

    status = fields.status or (current.status if current else "prospect")
    joined_on = (
        fields.joined_on
        if fields.joined_on is not None
        else (current.joined_on if current else None)
    )
    if joined_on is not None and joined_on > today + dt.timedelta(days=366):
        errors.add("input.joinedOn", "The join date is more than a year away; check the year.")
    if status == "active" and joined_on is None:
        joined_on = today

    civilians = fields.civilians_enrolled
    if civilians is None:
        civilians = current.civilians_enrolled if current else False
    return {
        "name": name,
        "ori": ori,
        "county": county,
        "state": state,
        "sworn_officers": sworn,
        "civilians_enrolled": civilians,
        "status": status,
        "joined_on": joined_on,
    }


def _check_ori(value: str | None, state: str | None, errors: InputErrors) -> str | None:
    if value is None or not value.strip():
        errors.add("input.ori", "This is required.")
        return None
    ori = value.strip().upper()
    if not _ORI.match(ori):
        errors.add(
            "input.ori",
            "An ORI has 9 characters: the state's two letters, then 7 letters or digits "
            "(for example IL0160000).",
        )
        return None
    if ori[:2] not in validation.US_STATES:
        errors.add("input.ori", f"An ORI starts with a state code; {ori[:2]} is not one.")
        return None
    if state is not None and ori[:2] != state:
        errors.add("input.ori", f"This ORI belongs to {ori[:2]}, but the department is in {state}.")
        return None
    return ori


def term_end(kind: str, starts_on: dt.date) -> dt.date:
    """The day a term ends: three years after a first term starts, one after a renewal."""
    years = FIRST_TERM_YEARS if kind == "first" else 1
    try:
        return starts_on.replace(year=starts_on.year + years)
    except ValueError:  # 29 February
        return starts_on.replace(year=starts_on.year + years, day=28)


def current_term(terms: Sequence[TermRow], today: dt.date) -> TermRow | None:
    """The term covering ``today`` (a term runs from its start up to, not including, its end)."""
    for term in terms:
        if term.starts_on <= today < term.ends_on:
            return term
    return None


def renewal_due(terms: Sequence[TermRow], today: dt.date, notice_days: int) -> bool:
    """True within ``notice_days`` of the last term's end, or once it ended."""
    if not terms:
        return False
    last = max(terms, key=lambda term: term.starts_on)
    return today >= last.ends_on - dt.timedelta(days=notice_days)


def next_term(
    latest: TermRow | None, starts_on: dt.date | None, errors: InputErrors, *, today: dt.date
) -> tuple[str, dt.date] | None:
    """The kind and start of the term to record after ``latest``."""
    if latest is None:
        return "first", starts_on or today
    start = starts_on or latest.ends_on
    if start < latest.ends_on:
        errors.add(
            "startsOn",
            f"The current term runs until {latest.ends_on.isoformat()}; a renewal starts on "
            "or after that day.",
        )
        return None
    return "renewal", start


def check_fee_tiers(tiers: Sequence[FeeTierRow], errors: InputErrors) -> None:
    """Tiers must start at 1 officer, follow each other without gap or overlap, and the last
    must be open-ended, so every department size has exactly one fee."""
    if not tiers:
        errors.add("tiers", "Give at least one tier.")
        return
    expected_min = 1
    for index, tier in enumerate(tiers):
        field = f"tiers.{index}"
        if tier.annual_fee_cents < 0:
            errors.add(f"{field}.annualFeeCents", "A fee cannot be negative.")
        if tier.min_sworn != expected_min:
            errors.add(
                f"{field}.minSwornOfficers",
                f"This tier should start at {expected_min} so tiers leave no gap or overlap.",
            )
        last = index == len(tiers) - 1
        if tier.max_sworn is None:
            if not last:
                errors.add(f"{field}.maxSwornOfficers", "Only the last tier may be open-ended.")
                return
        else:
            if tier.max_sworn < tier.min_sworn:
                errors.add(f"{field}.maxSwornOfficers", "The maximum is below the minimum.")
                return
            if last:
                errors.add(
                    f"{field}.maxSwornOfficers",
                    "Leave the last tier's maximum empty so every department size has a fee.",
                )
            expected_min = tier.max_sworn + 1


def check_contact(
    *,
    agency: str,
    contact_name: str,
    contact_role: str,
    email: str,
    phone: str | None,
    errors: InputErrors,
) -> dict[str, str | None]:
    """The fields inquiries and demo requests share."""
    return {
        "agency": validation.text(agency, "input.agency", errors, max_length=200),
        "contact_name": validation.text(contact_name, "input.contactName", errors, max_length=120),
        "contact_role": validation.text(contact_role, "input.contactRole", errors, max_length=120),
        "email": validation.email(email, "input.email", errors),
        "phone": validation.phone(phone, "input.phone", errors)
        if phone and phone.strip()
        else None,
    }
