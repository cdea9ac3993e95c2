"""The membership rules: what makes a department, a term, a fee table, a contact or a news
post valid, and who may read a department's membership record."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from servicekit import validation
from servicekit.graphql import InputErrors
from servicekit.tokens import Principal

if TYPE_CHECKING:
    from .store import DepartmentRow, FeeTierRow, TermRow

_ORI = re.compile(r"^[A-Z]{2}[0-9A-Z]{7}$")
FIRST_TERM_YEARS = 3


@dataclass(frozen=True, slots=True)
class DepartmentIn:
    """A valid, normalised department: what is stored (the row adds its id)."""

    name: str
    ori: str
    county: str
    state: str
    sworn_officers: int
    civilians_enrolled: bool
    status: str
    joined_on: dt.date | None


@dataclass(frozen=True, slots=True)
class ContactIn:
    """Who is asking, as join inquiries and demo requests both record it."""

    agency: str
    contact_name: str
    contact_role: str
    email: str
    phone: str | None


@dataclass(frozen=True, slots=True)
class InquiryIn:
    """A valid request to join the network."""

    contact: ContactIn
    message: str


@dataclass(frozen=True, slots=True)
class DemoRequestIn:
    """A valid request for a demonstration."""

    contact: ContactIn
    demo_format: str
    preferred_times: str


@dataclass(frozen=True, slots=True)
class NewsPostIn:
    """A valid news post: what is written (the store adds its slug, id and withdrawal)."""

    title: str
    body: str
    published_on: dt.date


def may_read_record(principal: Principal, department_id: UUID) -> bool:
    """Network admins (and services) read every membership record; coordinators their own."""
    if principal.has_role("network_admin", "service"):
        return True
    return principal.has_role("coordinator") and principal.department_id == str(department_id)


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

    def over(self, current: DepartmentRow | None) -> DepartmentFields:
        """These fields, with ``current``'s value wherever one is not given."""
        if current is None:
            return self
        return DepartmentFields(
            **{
                name: getattr(current, name) if value is None else value
                for name, value in asdict(self).items()
            }
        )


def check_department(
    given: DepartmentFields, errors: InputErrors, *, today: dt.date
) -> DepartmentIn | None:
    """The complete, normalised department, or None after adding a field error for every
    mistake. For a change, pass the changes laid over the department as it is."""
    name = validation.line(given.name, "input.name", errors, max_length=200)
    county = validation.line(given.county, "input.county", errors, max_length=100)
    state = None
    if given.state is None:
        errors.add("input.state", "This is required.")
    else:
        state = validation.state_code(given.state, "input.state", errors)
    ori = _check_ori(given.ori, state, errors)

    sworn = given.sworn_officers
    if sworn is None:
        errors.add("input.swornOfficers", "This is required.")
    elif not 1 <= sworn <= 100_000:
        errors.add("input.swornOfficers", "Enter the number of sworn officers, from 1 to 100000.")

    status = given.status or "prospect"
    joined_on = given.joined_on
    if joined_on is not None and joined_on > today + dt.timedelta(days=366):
        errors.add("input.joinedOn", "The join date is more than a year away; check the year.")
    if status == "active" and joined_on is None:
        joined_on = today
    if errors or name is None or ori is None or county is None or state is None or sworn is None:
        return None
    return DepartmentIn(
        name=name,
        ori=ori,
        county=county,
        state=state,
        sworn_officers=sworn,
        civilians_enrolled=bool(given.civilians_enrolled),
        status=status,
        joined_on=joined_on,
    )


def checked_ori(given: DepartmentFields, errors: InputErrors) -> str | None:
    """The ORI as :func:`check_department` keeps it, when it passed that check: whether
    another department holds it is then told alongside any other mistake."""
    if given.ori is None or errors.has("input.ori"):
        return None
    return given.ori.strip().upper()


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


def term_end(years: int, starts_on: dt.date) -> dt.date:
    """The day a term of ``years`` ends (29 February moves to the 28th, as in PostgreSQL)."""
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


@dataclass(frozen=True, slots=True)
class PlannedTerm:
    """The next term, as it will be recorded."""

    kind: str
    starts_on: dt.date
    years: int
    shorter_term_reason: str | None


def next_term(
    latest: TermRow | None,
    starts_on: dt.date | None,
    errors: InputErrors,
    *,
    today: dt.date,
    first_term_years: int | None = None,
    shorter_term_reason: str | None = None,
) -> PlannedTerm | None:
    """The term to record after ``latest``: a first term (three years, or one or two with a
    reason), else a one-year renewal from the previous term's end or later."""
    if latest is None:
        years = FIRST_TERM_YEARS if first_term_years is None else first_term_years
        reason = None
        if not 1 <= years <= FIRST_TERM_YEARS:
            errors.add("firstTermYears", "A first term lasts 1, 2 or 3 years.")
        elif years < FIRST_TERM_YEARS:
            reason = validation.text(
                shorter_term_reason, "shorterTermReason", errors, max_length=1000, required=False
            )
            if reason is None and not errors.has("shorterTermReason"):
                errors.add(
                    "shorterTermReason",
                    f"Say why this first term is shorter than {FIRST_TERM_YEARS} years.",
                )
        elif shorter_term_reason is not None and shorter_term_reason.strip():
            errors.add(
                "shorterTermReason",
                f"Only a first term shorter than {FIRST_TERM_YEARS} years takes a reason.",
            )
        if errors:
            return None
        return PlannedTerm("first", starts_on or today, years, reason)
    if first_term_years is not None:
        errors.add(
            "firstTermYears",
            f"The first term was recorded on {latest.starts_on.isoformat()} or before; "
            "a renewal lasts one year.",
        )
    if shorter_term_reason is not None and shorter_term_reason.strip():
        errors.add("shorterTermReason", "A renewal takes no reason: it lasts one year.")
    start = starts_on or latest.ends_on
    if start < latest.ends_on:
        errors.add(
            "startsOn",
            f"The current term runs until {latest.ends_on.isoformat()}; a renewal starts on "
            "or after that day.",
        )
    if errors:
        return None
    return PlannedTerm("renewal", start, 1, None)


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


class ContactSource(Protocol):
    """Who is asking, as typed: a join inquiry's or a demo request's form."""

    agency: str
    contact_name: str
    contact_role: str
    email: str
    phone: str | None


class InquirySource(ContactSource, Protocol):
    message: str


class DemoRequestSource(ContactSource, Protocol):
    preferred_times: str


def check_contact(source: ContactSource, errors: InputErrors) -> ContactIn | None:
    """Who is asking, normalised, or None after adding a field error for every mistake."""
    agency = validation.line(source.agency, "input.agency", errors, max_length=200)
    name = validation.line(source.contact_name, "input.contactName", errors, max_length=120)
    role = validation.line(source.contact_role, "input.contactRole", errors, max_length=120)
    email = validation.email(source.email, "input.email", errors)
    phone = source.phone
    phone = validation.phone(phone, "input.phone", errors) if phone and phone.strip() else None
    if agency is None or name is None or role is None or email is None:
        return None
    return ContactIn(agency=agency, contact_name=name, contact_role=role, email=email, phone=phone)


def check_inquiry(source: InquirySource, errors: InputErrors) -> InquiryIn | None:
    """A valid join inquiry, or None after adding a field error for every mistake."""
    contact = check_contact(source, errors)
    message = validation.text(source.message, "input.message", errors, max_length=4000)
    if errors or contact is None or message is None:
        return None
    return InquiryIn(contact=contact, message=message)


def check_demo_request(
    source: DemoRequestSource, errors: InputErrors, *, demo_format: str
) -> DemoRequestIn | None:
    """A valid demo request, or None after adding a field error for every mistake."""
    contact = check_contact(source, errors)
    times = validation.text(source.preferred_times, "input.preferredTimes", errors, max_length=1000)
    if errors or contact is None or times is None:
        return None
    return DemoRequestIn(contact=contact, demo_format=demo_format, preferred_times=times)


class NewsSource(Protocol):
    """A news post as typed."""

    title: str
    body: str
    published_on: dt.date | None


def check_news_post(
    source: NewsSource, errors: InputErrors, *, today: dt.date
) -> NewsPostIn | None:
    """A valid news post (published today unless dated), or None after adding a field error
    for every mistake."""
    title = validation.line(source.title, "input.title", errors, max_length=160)
    body = validation.text(source.body, "input.body", errors, max_length=20_000)
    published_on = source.published_on or today
    if published_on < dt.date(2000, 1, 1) or published_on > today + dt.timedelta(days=366):
        errors.add("input.publishedOn", "Choose a date from today to a year ahead, or a past date.")
    if errors or title is None or body is None:
        return None
    return NewsPostIn(title=title, body=body, published_on=published_on)
