"""The redaction filter keeps code locations readable and still removes identifiers."""

from __future__ import annotations

import pytest

from servicekit.logging import redact


@pytest.mark.parametrize(
    "location",
    [
        "resolve@schema.py:227",
        "assign_vetter@vetting.py:88 <- resolve@schema.py:227 <- _execute@graphql.py:12",
        "<lambda>@app.py:31",
        "test_case@test_file_2.py:5",
    ],
)
def test_code_locations_are_not_taken_for_email_addresses(location: str) -> None:
    line = f"unexpected KeyError in operation Search at {location}"
    assert redact(line) == line


@pytest.mark.parametrize(
    "identifier",
    [
        "officer.one@agency.example",
        "someone@ministry.gov.py",
        "dispatch@harlow-park.pd.example:",
        "a.b+tag@mail.example.com:8080",
        "resolve@schema.example.org",
    ],
)
def test_email_addresses_next_to_code_locations_are_still_redacted(identifier: str) -> None:
    redacted = redact(f"failed for {identifier} at resolve@schema.py:227")
    assert identifier.rstrip(":") not in redacted
    assert redacted.endswith("at resolve@schema.py:227")
