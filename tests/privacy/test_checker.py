"""The audit's checker finds what a careless change would write: proof the audit can fail."""

from __future__ import annotations

from tests.privacy.leaks import Forbidden, find_leaks

PSEUDONYM = "q2Vx9mJ0bQ4uX1rT8wYk3pL6sN7dF5gH2jA0cE9vB1z"


def forbidden() -> Forbidden:
    found = Forbidden()
    found.add("dana.whitlock@harlow-park.pd.example", "email of dana")
    found.add("harlow-park|dana.whitlock", "upstream subject of dana")
    found.add(PSEUDONYM, "pseudonym of dana")
    found.add("203.0.113.77", "client address")
    return found


def test_a_leaking_log_line_a_new_column_and_a_span_attribute_are_caught() -> None:
    sources = [
        ("log line 7", "INFO wnwa.directory: search by Dana.Whitlock@harlow-park.pd.example"),
        ("wnwa_directory.search_history#0", f'{{"viewer": "{PSEUDONYM}"}}'),
        ("gateway.spans.jsonl:3", '{"attributes": {"client.address": "203.0.113.77"}}'),
        ("log line 9", "token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"),
    ]
    leaks = find_leaks(sources, forbidden())
    assert {(leak.where, leak.what) for leak in leaks} == {
        ("log line 7", "email of dana"),
        ("wnwa_directory.search_history#0", "pseudonym of dana"),
        ("gateway.spans.jsonl:3", "client address"),
        ("log line 9", "a JWT"),
    }


def test_clean_text_and_allowed_places_pass() -> None:
    clean = [("log line 1", "INFO wnwa.graphql: unexpected ValueError in operation Search")]
    assert find_leaks(clean, forbidden()) == []
    own_profile = [("wnwa_directory.peer_supporters#0", f'{{"owner_subject": "{PSEUDONYM}"}}')]
    assert find_leaks(own_profile, forbidden().without("pseudonym of dana")) == []
