"""Every GraphQL document the portal sends validates against the supergraph's API schema,
within the gateway's limits (the documents: gateway/portal/documents.py). No servers: this
runs in the fast tier."""

from __future__ import annotations

from collections import Counter

import pytest
from graphql import parse, specified_rules, validate

from gateway.portal.documents import PORTAL, portal_documents, script_documents
from gateway.settings import SUPERGRAPH_FILE
from gateway.settings import load as load_settings
from gateway.supergraph import load
from servicekit.limits import DocumentCosts, document_too_long

SCHEMA = load(SUPERGRAPH_FILE.read_text(encoding="utf-8")).schema
DOCUMENTS, PROBLEMS = portal_documents()


def test_the_portal_documents_are_all_found_and_written_whole() -> None:
    assert PROBLEMS == [], "Write these documents whole"
    # about ninety today: finding few means the reader lost track of how scripts write them
    assert len(DOCUMENTS) >= 70, sorted(DOCUMENTS)
    per_script = Counter(where.split(":")[0] for where in DOCUMENTS)
    for script in ("admin.js", "profile.js", "supporters.js", "vetting.js", "join.js"):
        assert per_script[script] >= 3, per_script


@pytest.mark.parametrize("where", sorted(DOCUMENTS))
def test_each_document_validates_against_the_supergraph(where: str) -> None:
    errors = validate(SCHEMA, parse(DOCUMENTS[where]), specified_rules)
    assert errors == [], f"{where}: {[error.message for error in errors]}"


@pytest.mark.parametrize("where", sorted(DOCUMENTS))
def test_each_document_is_within_the_gateways_limits(where: str) -> None:
    limits = load_settings({"WNWA_ENV": "test"}).limits
    text = DOCUMENTS[where]
    assert document_too_long(text, limits.max_document_chars) is None
    errors = DocumentCosts(parse(text, max_tokens=limits.max_tokens), limits).errors()
    assert errors == [], f"{where}: {[error.message for error in errors]}"


def test_a_field_the_schema_lacks_is_refused() -> None:
    # the check can fail: the profile's fields with one renamed
    source = (PORTAL / "static" / "profile.js").read_text(encoding="utf-8")
    documents, _ = script_documents(source.replace("yearsOfService", "yearsServed"))
    refused = [text for _, text in documents if validate(SCHEMA, parse(text), specified_rules)]
    assert refused
