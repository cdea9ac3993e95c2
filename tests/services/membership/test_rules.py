"""The membership rules on their own, without a server: a department, a contact, a term, a
fee table, and who reads a membership record."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest

from servicekit.graphql import InputErrors
from servicekit.tokens import Principal
from services.membership import rules
from services.membership.store import DepartmentRow, FeeTierRow, TermRow

TODAY = dt.date(2026, 3, 2)
HARLOW = DepartmentRow(
    id=uuid.UUID("6f1c1f4e-2f55-4b8f-9a57-2c1c3e1d0a11"),
    name="Harlow Park Police Department",
    ori="IL0160000",
    county="Cook",
    state="IL",
    sworn_officers=48,
    civilians_enrolled=True,
    status="active",
    joined_on=dt.date(2024, 5, 1),
)


def messages(errors: InputErrors) -> dict[str, str]:
    return {item.field: item.message for item in errors.items}


def test_a_new_department_is_trimmed_upper_cased_and_a_prospect_by_default() -> None:
    errors = InputErrors()
    department = rules.check_department(
        rules.DepartmentFields(
            name="  Marlow Township PD ",
            ori=" il0990000 ",
            county=" DuPage ",
            state="il",
            sworn_officers=12,
        ),
        errors,
        today=TODAY,
    )
    assert messages(errors) == {}
    assert department == rules.DepartmentIn(
        name="Marlow Township PD",
        ori="IL0990000",
        county="DuPage",
        state="IL",
        sworn_officers=12,
        civilians_enrolled=False,
        status="prospect",
        joined_on=None,
    )


def test_an_active_department_without_a_join_date_joins_today() -> None:
    errors = InputErrors()
    fields = rules.DepartmentFields(
        name="A", ori="IL0990000", county="C", state="IL", sworn_officers=1, status="active"
    )
    department = rules.check_department(fields, errors, today=TODAY)
    assert department is not None
    assert department.joined_on == TODAY


def test_every_missing_or_wrong_field_is_named_and_nothing_comes_back() -> None:
    errors = InputErrors()
    fields = rules.DepartmentFields(
        name=" ", ori="IL016", county="x" * 101, sworn_officers=0, joined_on=dt.date(2028, 1, 1)
    )
    assert rules.check_department(fields, errors, today=TODAY) is None
    assert messages(errors) == {
        "input.name": "This is required.",
        "input.county": "Keep this under 100 characters (it has 101).",
        "input.state": "This is required.",
        "input.ori": "An ORI has 9 characters: the state's two letters, then 7 letters or digits "
        "(for example IL0160000).",
        "input.swornOfficers": "Enter the number of sworn officers, from 1 to 100000.",
        "input.joinedOn": "The join date is more than a year away; check the year.",
    }
    assert rules.checked_ori(fields, errors) is None


@pytest.mark.parametrize(
    ("ori", "state", "message"),
    [
        ("", "IL", "This is required."),
        ("ZZ0160000", "IL", "An ORI starts with a state code; ZZ is not one."),
        ("WI0160000", "IL", "This ORI belongs to WI, but the department is in IL."),
        ("IL016000!", "IL", "An ORI has 9 characters"),
    ],
)
def test_an_ori_names_a_real_state_and_the_departments_own(
    ori: str, state: str, message: str
) -> None:
    errors = InputErrors()
    fields = rules.DepartmentFields(name="A", ori=ori, county="C", state=state, sworn_officers=1)
    assert rules.check_department(fields, errors, today=TODAY) is None
    assert [item.field for item in errors.items] == ["input.ori"]
    assert errors.items[0].message.startswith(message)


def test_changes_are_laid_over_the_department_as_it_is() -> None:
    errors = InputErrors()
    changes = rules.DepartmentFields(sworn_officers=52, civilians_enrolled=False).over(HARLOW)
    department = rules.check_department(changes, errors, today=TODAY)
    assert messages(errors) == {}
    assert department == rules.DepartmentIn(
        name=HARLOW.name,
        ori=HARLOW.ori,
        county=HARLOW.county,
        state=HARLOW.state,
        sworn_officers=52,
        civilians_enrolled=False,
        status="active",
        joined_on=HARLOW.joined_on,
    )
    # the ORI a change keeps is the one whose owner is looked up
    assert rules.checked_ori(changes, errors) == "IL0160000"
    assert rules.DepartmentFields().over(None) == rules.DepartmentFields()


@dataclass
class Form:
    """A join inquiry's or demo request's fields as a person typed them."""

    agency: str = "Marlow Township PD"
    contact_name: str = "R. Okafor"
    contact_role: str = "Wellness coordinator"
    email: str = "r@marlow.example"
    phone: str | None = None
    message: str = "We would like to join."
    preferred_times: str = "Tuesday mornings"


def test_an_inquiry_is_trimmed_and_keeps_a_us_phone_in_international_form() -> None:
    errors = InputErrors()
    form = Form(
        agency=" Marlow Township PD ",
        contact_name="Chief R. Okafor",
        contact_role="Chief",
        email=" chief@marlow.example ",
        phone="(312) 555-0142",
    )
    inquiry = rules.check_inquiry(form, errors)
    assert messages(errors) == {}
    assert inquiry == rules.InquiryIn(
        contact=rules.ContactIn(
            agency="Marlow Township PD",
            contact_name="Chief R. Okafor",
            contact_role="Chief",
            email="chief@marlow.example",
            phone="+13125550142",
        ),
        message="We would like to join.",
    )


def test_a_wrong_inquiry_names_each_field() -> None:
    errors = InputErrors()
    form = Form(
        agency="",
        contact_name="x" * 121,
        email="chief at marlow",
        phone="555",
        message="\x07",
    )
    assert rules.check_inquiry(form, errors) is None
    assert messages(errors) == {
        "input.agency": "This is required.",
        "input.contactName": "Keep this under 120 characters (it has 121).",
        "input.email": "Enter an email address such as name@agency.gov.",
        "input.phone": "Enter a phone number such as +1 312 555 0142.",
        "input.message": "This contains control characters; please retype it.",
    }


def test_a_demo_request_without_a_phone_and_one_without_times() -> None:
    errors = InputErrors()
    demo = rules.check_demo_request(Form(phone="  "), errors, demo_format="virtual")
    assert messages(errors) == {}
    assert demo == rules.DemoRequestIn(
        contact=rules.ContactIn(
            agency="Marlow Township PD",
            contact_name="R. Okafor",
            contact_role="Wellness coordinator",
            email="r@marlow.example",
            phone=None,
        ),
        demo_format="virtual",
        preferred_times="Tuesday mornings",
    )
    errors = InputErrors()
    assert rules.check_demo_request(Form(preferred_times=""), errors, demo_format="x") is None
    assert messages(errors) == {"input.preferredTimes": "This is required."}


def term(kind: str, starts_on: dt.date, years: int | None = None) -> TermRow:
    years = years or (3 if kind == "first" else 1)
    return TermRow(
        id=uuid.uuid4(),
        department_id=HARLOW.id,
        consortium_id=None,
        kind=kind,
        years=years,
        starts_on=starts_on,
        ends_on=rules.term_end(years, starts_on),
        annual_fee_cents=100,
        shorter_term_reason=None if years == 3 or kind == "renewal" else "Budget cycle",
    )


def test_a_first_term_lasts_three_years_a_renewal_one_and_a_leap_day_ends_on_the_28th() -> None:
    assert rules.term_end(3, dt.date(2026, 3, 2)) == dt.date(2029, 3, 2)
    assert rules.term_end(1, dt.date(2026, 3, 2)) == dt.date(2027, 3, 2)
    assert rules.term_end(1, dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


def test_the_current_term_and_when_renewal_is_due() -> None:
    first = term("first", dt.date(2023, 4, 1))  # ends 2026-04-01
    assert rules.current_term([first], TODAY) == first
    assert rules.current_term([first], dt.date(2026, 4, 1)) is None  # the end day is not in it
    assert rules.renewal_due([first], TODAY, notice_days=60)
    assert not rules.renewal_due([first], TODAY, notice_days=20)
    assert not rules.renewal_due([], TODAY, notice_days=60)


def test_the_next_term_is_a_first_one_or_a_renewal_from_the_last_ones_end() -> None:
    errors = InputErrors()
    assert rules.next_term(None, None, errors, today=TODAY) == rules.PlannedTerm(
        "first", TODAY, 3, None
    )
    first = term("first", dt.date(2023, 4, 1))
    assert rules.next_term(first, None, errors, today=TODAY) == rules.PlannedTerm(
        "renewal", dt.date(2026, 4, 1), 1, None
    )
    assert messages(errors) == {}
    assert rules.next_term(first, dt.date(2026, 3, 31), errors, today=TODAY) is None
    assert messages(errors) == {
        "startsOn": "The current term runs until 2026-04-01; a renewal starts on or after that day."
    }


def test_a_shorter_first_term_needs_a_reason_and_a_renewal_takes_none() -> None:
    errors = InputErrors()
    planned = rules.next_term(
        None, None, errors, today=TODAY, first_term_years=2, shorter_term_reason=" Pilot year "
    )
    assert planned == rules.PlannedTerm("first", TODAY, 2, "Pilot year")
    for years, reason, field, words in [
        (1, None, "shorterTermReason", "Say why this first term is shorter than 3 years."),
        (2, "  ", "shorterTermReason", "Say why this first term is shorter than 3 years."),
        (4, None, "firstTermYears", "A first term lasts 1, 2 or 3 years."),
        (0, "x", "firstTermYears", "A first term lasts 1, 2 or 3 years."),
        (3, "why", "shorterTermReason", "Only a first term shorter than 3 years takes a reason."),
    ]:
        errors = InputErrors()
        assert (
            rules.next_term(
                None, None, errors, today=TODAY, first_term_years=years, shorter_term_reason=reason
            )
            is None
        )
        assert messages(errors) == {field: words}
    errors = InputErrors()
    first = term("first", dt.date(2024, 4, 1), years=2)
    assert rules.next_term(first, None, errors, today=TODAY, first_term_years=2) is None
    assert "a renewal lasts one year" in messages(errors)["firstTermYears"]


def check_tiers(*tiers: tuple[int, int | None, int]) -> dict[str, str]:
    errors = InputErrors()
    rules.check_fee_tiers([FeeTierRow(*tier) for tier in tiers], errors)
    return messages(errors)


def test_fee_tiers_cover_every_size_once() -> None:
    assert check_tiers((1, 49, 100_000), (50, None, 250_000)) == {}
    assert check_tiers() == {"tiers": "Give at least one tier."}
    assert check_tiers((2, None, 100)) == {
        "tiers.0.minSwornOfficers": "This tier should start at 1 so tiers leave no gap or overlap."
    }
    assert check_tiers((1, 49, -1), (51, None, 5)) == {
        "tiers.0.annualFeeCents": "A fee cannot be negative.",
        "tiers.1.minSwornOfficers": "This tier should start at 50 so tiers leave no gap or "
        "overlap.",
    }
    assert check_tiers((1, None, 1), (2, None, 1)) == {
        "tiers.0.maxSwornOfficers": "Only the last tier may be open-ended."
    }
    assert check_tiers((1, 49, 1)) == {
        "tiers.0.maxSwornOfficers": "Leave the last tier's maximum empty so every department "
        "size has a fee."
    }
    assert check_tiers((1, 0, 1), (1, None, 1)) == {
        "tiers.0.maxSwornOfficers": "The maximum is below the minimum."
    }


def principal(*roles: str, department: uuid.UUID = HARLOW.id) -> Principal:
    return Principal(subject="p", department_id=str(department), roles=frozenset(roles))


def test_network_admins_and_the_departments_own_coordinators_read_its_record() -> None:
    elsewhere = uuid.uuid4()
    assert rules.may_read_record(principal("network_admin", department=elsewhere), HARLOW.id)
    assert rules.may_read_record(principal("service", department=elsewhere), HARLOW.id)
    assert rules.may_read_record(principal("coordinator"), HARLOW.id)
    assert not rules.may_read_record(principal("coordinator", department=elsewhere), HARLOW.id)
    assert not rules.may_read_record(principal("officer", "peer_supporter"), HARLOW.id)
