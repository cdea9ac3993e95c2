"""Text a client sends holds no control character but tabs and line breaks, whichever way it
comes: written into the document or sent as a variable, at any depth of an input."""

from __future__ import annotations

import json
import logging
from typing import Any

import orjson
import pytest
from graphql import parse

from servicekit.control_characters import (
    json_may_hold_control_characters,
    literal_errors,
    may_hold_control_characters,
    variable_errors,
)
from tests.conftest import ServiceFactory
from tests.support.tokens import TokenIssuer


@pytest.mark.parametrize("text", ["plain", "two\nlines", "tab\there", "crlf\r\n", "é ✓ 🏃", ""])
def test_text_may_hold_tabs_and_line_breaks(text: str) -> None:
    assert variable_errors({"text": text}) == []


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"])
def test_every_other_c0_control_character_is_refused(character: str) -> None:
    [error] = variable_errors({"text": f"a{character}b"})
    assert error.extensions == {"code": "BAD_USER_INPUT"}
    assert f"U+{ord(character):04X}" in error.message
    assert "`$text`" in error.message


def test_variables_are_named_by_their_path_inside_inputs_and_lists() -> None:
    variables: dict[str, Any] = {
        "input": {"bio": "ok", "certifications": ["CISM", "peer\x00support"]},
        "slug": "a\x00b",
        "count": 3,
        "flag": None,
    }
    messages = sorted(error.message for error in variable_errors(variables))
    assert len(messages) == 2
    assert "`$input.certifications[1]`" in messages[0]
    assert "`$slug`" in messages[1]


def test_a_variable_nested_deeper_than_the_stack_is_still_read() -> None:
    nested: Any = "deep\x00"
    for _ in range(5_000):
        nested = [nested]
    [error] = variable_errors({"v": nested})
    assert "`$v[0][0]" in error.message


def test_literals_are_named_by_argument_and_field() -> None:
    document = parse(
        r"""
        query Q($d: String = "x\u0007") {
          newsPost(slug: "a\u0000b") { title }
          other: thing(input: {bio: "ok", tags: ["fine", "bad\b"]}) @tag(name: "\f") { id }
          ...F
        }
        fragment F on Query { inFragment(text: "ok", more: "\u001f") }
        """
    )
    messages = sorted(error.message for error in literal_errors(document))
    assert len(messages) == 5, messages
    joined = "\n".join(messages)
    assert "argument `slug` of `newsPost`" in joined
    assert "argument `input.tags[1]` of `thing`" in joined
    assert "argument `name` of `@tag`" in joined
    assert "argument `more` of `inFragment`" in joined
    assert "default value of `$d`" in joined
    for error in literal_errors(document):
        assert error.extensions == {"code": "BAD_USER_INPUT"}
        assert error.locations


def test_control_characters_written_raw_into_a_block_string_are_found() -> None:
    query = '{ f(text: """raw\x01""") }'
    assert may_hold_control_characters(query)
    [error] = literal_errors(parse(query))
    assert "U+0001" in error.message


def test_a_document_without_escapes_or_control_characters_needs_no_walk() -> None:
    assert not may_hold_control_characters('{ newsPost(slug: "plain\ttab") { title } }\n')
    assert may_hold_control_characters(r'{ newsPost(slug: "a\u0000b") { title } }')


# -- at the edge of every subgraph ------------------------------------------------------------

SUBGRAPH_CASES = [
    # service, role (None: anonymous), query, variables, what the message names
    ("membership", None, r'{ newsPost(slug: "a\u0000b") { title } }', {}, "`slug` of `newsPost`"),
    (
        "membership",
        None,
        "query($s: String!) { newsPost(slug: $s) { title } }",
        {"s": "a\x00b"},
        "`$s`",
    ),
    (
        "professionals",
        None,
        r'{ applicationStatus(reference: "APP-1", secret: "x\u0000") { status } }',
        {},
        "`secret` of `applicationStatus`",
    ),
    (
        "professionals",
        None,
        'query($r: String!) { applicationStatus(reference: $r, secret: "x") { status } }',
        {"r": "\x00"},
        "`$r`",
    ),
    (
        "professionals",
        "vetter",
        r'{ application(reference: "\u0000") { id } }',
        {},
        "`reference` of `application`",
    ),
    (
        "directory",
        "peer_supporter",
        "mutation($in: PeerSupporterProfileInput!) {"
        " createMyPeerSupporterProfile(input: $in) { errors { field } } }",
        {
            "in": {
                "displayName": "Theo",
                "phone": "(312) 555-0100",
                "languages": ["en"],
                "areasOfSupport": [],
                "zipCode": "60601",
                "certifications": ["CISM", "peer\x1bsupport"],
            }
        },
        "`$in.certifications[1]`",
    ),
]


@pytest.mark.parametrize(
    ("service", "role", "query", "variables", "named"),
    SUBGRAPH_CASES,
    ids=[f"{case[0]}-{case[4]}" for case in SUBGRAPH_CASES],
)
async def test_each_subgraph_refuses_control_characters_naming_the_argument(
    start_service: ServiceFactory,
    issuer: TokenIssuer,
    caplog: pytest.LogCaptureFixture,
    service: str,
    role: str | None,
    query: str,
    variables: dict[str, Any],
    named: str,
) -> None:
    headers = {"Authorization": f"Bearer {issuer.token(role)}"} if role else {}
    caplog.set_level(logging.WARNING)
    async with start_service(service) as running:
        answer = await running.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        strict = await running.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={**headers, "Accept": "application/graphql-response+json"},
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "data" not in body, body  # a request error: nothing was run
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert named in error["message"]
    assert "control character" in error["message"]
    assert strict.status_code == 400
    assert strict.json() == body
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


STRINGS = [
    "plain",
    "é ✓",
    "a\x00b",
    "tab\t",
    "lf\n",
    "cr\r",
    "bs\b",
    "ff\f",
    "\x1f",
    "\x7f",
    "\\",
    "\\u0000",
]


@pytest.mark.parametrize("text", STRINGS)
def test_a_json_body_is_read_further_whenever_a_string_in_it_may_hold_one(text: str) -> None:
    # as a variable, and as a GraphQL literal (a query's backslash is escaped in JSON)
    refused = bool(variable_errors({"v": text}))
    literal = '{ f(a: "' + text.replace("\\", "\\\\").replace('"', '\\"') + '") }'
    for body in (
        orjson.dumps({"query": "{ f }", "variables": {"v": text}}),
        json.dumps({"query": "{ f }", "variables": {"v": text}}).encode(),  # \u escapes
        orjson.dumps({"query": literal}),
    ):
        if refused:
            assert json_may_hold_control_characters(body), body
    if "\\" not in text and not refused:
        assert not json_may_hold_control_characters(
            orjson.dumps({"query": "query {\n\tf\n}", "variables": {"v": text}})
        )
