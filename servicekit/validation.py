"""Validation of values several services accept: states, phones, emails, text sizes.

Each check returns the normalised value or ``None`` after adding a field error written
for the person who typed the value. One-line fields (names, agencies, titles: anything that
may reach an email header or a one-line display) go through :func:`line`, which refuses
every line break, tab and control character; text that may span lines through :func:`text`.
"""

from __future__ import annotations

import re
import unicodedata
from email.errors import MessageError
from email.headerregistry import Address

from servicekit.graphql import InputErrors

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "DC",
        "PR",
        "GU",
        "VI",
        "AS",
        "MP",
    ]
)

# RFC 5322 dot-atom: no leading, trailing or doubled dot; labels of letters, digits, hyphens
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATOM}(\.{_ATOM})*")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


def state_code(value: str, field: str, errors: InputErrors) -> str | None:
    """A two-letter USPS code (states, DC and territories), upper-cased."""
    code = value.strip().upper()
    if code not in US_STATES:
        errors.add(
            field, f"'{value.strip()[:10]}' is not a US state code; use two letters such as IL."
        )
        return None
    return code


def text(
    value: str | None, field: str, errors: InputErrors, *, max_length: int, required: bool = True
) -> str | None:
    """Trimmed text of at most ``max_length`` characters; empty is an error when required."""
    trimmed = (value or "").strip()
    if not trimmed:
        if required:
            errors.add(field, "This is required.")
        return None
    if len(trimmed) > max_length:
        errors.add(field, f"Keep this under {max_length} characters (it has {len(trimmed)}).")
        return None
    if any(ord(char) < 32 and char not in "\n\t" for char in trimmed):
        errors.add(field, "This contains control characters; please retype it.")
        return None
    return trimmed


ONE_LINE = "Keep this on one line, without tabs or control characters."
# control characters (C0, DEL, C1 with NEL) and the Unicode line and paragraph separators
_NOT_ON_ONE_LINE = frozenset(("Cc", "Zl", "Zp"))


def line(
    value: str | None, field: str, errors: InputErrors, *, max_length: int, required: bool = True
) -> str | None:
    """Trimmed one-line text of at most ``max_length`` characters: no line break, tab or
    other control character (a header built from it could not be split in two)."""
    trimmed = (value or "").strip()
    if any(unicodedata.category(char) in _NOT_ON_ONE_LINE for char in trimmed):
        errors.add(field, ONE_LINE)
        return None
    return text(trimmed, field, errors, max_length=max_length, required=required)


def email(value: str, field: str, errors: InputErrors) -> str | None:
    """An address mail can be sent to as it is: what the email library builds a ``To``
    header from, within SMTP's lengths (RFC 5321: 64 before the @, 63 a domain label, 254
    in all), in ASCII (a relay need not take anything else). Anything less would be stored,
    then refused by the relay or the library at every attempt."""
    trimmed = value.strip()
    if not trimmed.isascii():
        errors.add(
            field,
            "Enter the address in plain letters (a to z), digits and . _ - +; mail to addresses"
            " with other letters cannot be sent from here.",
        )
        return None
    local, _, domain = trimmed.rpartition("@")
    labels = domain.split(".")
    if (
        len(trimmed) > 254
        or not _LOCAL_PART.fullmatch(local)
        or len(local) > 64
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
        or not _mail_library_takes(trimmed)
    ):
        errors.add(field, "Enter an email address such as name@agency.gov.")
        return None
    return trimmed


def _mail_library_takes(address: str) -> bool:
    try:
        return Address(addr_spec=address).addr_spec == address
    except (ValueError, MessageError):  # the module's own function is named email
        return False


def phone(value: str, field: str, errors: InputErrors) -> str | None:
    """A phone number in E.164 form; ten-digit US numbers get +1 added."""
    compact = _PHONE_PUNCTUATION.sub("", value.strip())
    if re.fullmatch(r"\d{10}", compact):
        compact = "+1" + compact
    elif re.fullmatch(r"1\d{10}", compact):
        compact = "+" + compact
    if not _E164.match(compact) or (compact.startswith("+1") and len(compact) != 12):
        errors.add(field, "Enter a phone number such as +1 312 555 0142.")
        return None
    return compact
