"""The checks of values several services accept, each with the message its person reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from servicekit import validation
from servicekit.graphql import InputErrors


def checked(
    check: Callable[..., str | None], value: str | None, **options: object
) -> tuple[str | None, list[str]]:
    errors = InputErrors()
    result = check(value, "input.x", errors, **options)
    assert all(item.field == "input.x" for item in errors.items)
    return result, [item.message for item in errors.items]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("il", "IL"), (" dc ", "DC"), ("PR", "PR"), ("gu", "GU")],
)
def test_state_codes_include_dc_and_territories_and_are_upper_cased(
    value: str, expected: str
) -> None:
    assert checked(validation.state_code, value) == (expected, [])


def test_an_unknown_state_is_quoted_back_shortened() -> None:
    assert checked(validation.state_code, " Illinois and more ") == (
        None,
        ["'Illinois a' is not a US state code; use two letters such as IL."],
    )


def test_text_is_trimmed_and_bounded() -> None:
    assert checked(validation.text, "  Cook \n", max_length=10) == ("Cook", [])
    assert checked(validation.text, "line one\n\tline two", max_length=40) == (
        "line one\n\tline two",
        [],
    )
    assert checked(validation.text, "x" * 11, max_length=10) == (
        None,
        ["Keep this under 10 characters (it has 11)."],
    )
    assert checked(validation.text, "bell\x07", max_length=10) == (
        None,
        ["This contains control characters; please retype it."],
    )


def test_empty_text_is_an_error_only_when_required() -> None:
    assert checked(validation.text, "   ", max_length=10) == (None, ["This is required."])
    assert checked(validation.text, None, max_length=10) == (None, ["This is required."])
    assert checked(validation.text, " ", max_length=10, required=False) == (None, [])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" chief@marlow-township.example ", "chief@marlow-township.example"),
        ("a.b+c@sub.agency.gov", "a.b+c@sub.agency.gov"),
        ("chief@localhost", None),
        ("two@@agency.gov", None),
        ("no-at.agency.gov", None),
        ("x" * 250 + "@a.gov", None),
        # what the mail library or a relay would refuse at every attempt
        ("sam..ortiz@marlow.example", None),
        (".sam@marlow.example", None),
        ("sam.@marlow.example", None),
        ("s" * 65 + "@marlow.example", None),
        ("sam@" + "m" * 64 + ".example", None),
        ("sam@-marlow.example", None),
        ("sam@marlow.example.", None),
        ("sam@marlow.123", None),
        ("o'brien+demo@marlow.example", "o'brien+demo@marlow.example"),
    ],
)
def test_an_email_has_one_at_and_a_dotted_domain(value: str, expected: str | None) -> None:
    result, problems = checked(validation.email, value)
    assert result == expected
    assert problems == ([] if expected else ["Enter an email address such as name@agency.gov."])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("(312) 555-0142", "+13125550142"),
        ("312.555.0142", "+13125550142"),
        ("1 312 555 0142", "+13125550142"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 312 555 014", None),  # a +1 number has ten digits after the 1
        ("555-0142", None),
        ("call me", None),
    ],
)
def test_phones_come_back_in_e164(value: str, expected: str | None) -> None:
    result, problems = checked(validation.phone, value)
    assert result == expected
    assert problems == ([] if expected else ["Enter a phone number such as +1 312 555 0142."])


@pytest.mark.parametrize(
    "value",
    [
        "Marlow PD\nBcc: everyone@evil.example",
        "Marlow PD\r\nX-Injected: yes",
        "Marlow\tPD",
        "Marlow\x00PD",
        "Marlow\x7fPD",
        "Marlow\x85PD",
        "Marlow\u2028PD",
        "Marlow\u2029PD",
    ],
)
def test_one_line_text_refuses_every_line_break_and_control_character(value: str) -> None:
    assert checked(validation.line, value, max_length=100) == (
        None,
        ["Keep this on one line, without tabs or control characters."],
    )


def test_one_line_text_is_trimmed_bounded_and_keeps_any_script() -> None:
    assert checked(validation.line, "  Comisaría de Peñalolén \n", max_length=40) == (
        "Comisaría de Peñalolén",
        [],
    )
    assert checked(validation.line, "Сергей Ли 李", max_length=40) == ("Сергей Ли 李", [])
    assert checked(validation.line, "   ", max_length=10) == (None, ["This is required."])
    assert checked(validation.line, None, max_length=10, required=False) == (None, [])
    assert checked(validation.line, "x" * 11, max_length=10)[1] == [
        "Keep this under 10 characters (it has 11)."
    ]


def test_an_email_in_other_letters_is_refused_with_a_way_out() -> None:
    for value in ("josé@marlow.example", "sam@bücher.example"):
        result, problems = checked(validation.email, value)
        assert result is None
        assert problems == [
            "Enter the address in plain letters (a to z), digits and . _ - +; mail to"
            " addresses with other letters cannot be sent from here."
        ]
