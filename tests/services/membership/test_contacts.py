"""Departments ask to join or request a demo without signing in; staff work the inbox."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest

from tests.conftest import ServiceUnderTest
from tests.support.proof_of_work import contact_form_proof
from tests.support.tokens import TokenIssuer

INQUIRE = """
mutation($input: JoinInquiryInput!, $proof: String) {
  submitJoinInquiry(input: $input, proofOfWork: $proof) { reference errors { field message } }
}
"""

DEMO = """
mutation($input: DemoRequestInput!, $proof: String) {
  requestDemo(input: $input, proofOfWork: $proof) { reference errors { field message } }
}
"""

INBOX = """
query($handled: Boolean) {
  departmentContacts(handled: $handled) {
    nodes { id reference kind agency contactName email phone message demoFormat handledAt }
    pageInfo { hasNextPage }
  }
}
"""


def inquiry(**overrides: Any) -> dict[str, Any]:
    values = {
        "agency": "Wrenfield Police Department",
        "contactName": "Dana Whitlock",
        "contactRole": "Chief of Police",
        "email": "chief@wrenfield.example",
        "phone": "(312) 555-0142",
        "message": "We have 18 sworn officers and would like to join.",
    }
    values.update(overrides)
    return values


async def test_anyone_may_ask_to_join_and_gets_only_a_reference(
    membership: ServiceUnderTest, admin_token: str
) -> None:
    proof = await contact_form_proof(membership.graphql)
    answer = await membership.graphql(INQUIRE, {"input": inquiry(), "proof": proof})
    receipt = answer["data"]["submitJoinInquiry"]
    assert receipt["errors"] == []
    assert receipt["reference"]

    inbox = await membership.graphql(INBOX, {}, token=admin_token)
    [contact] = inbox["data"]["departmentContacts"]["nodes"]
    assert contact["kind"] == "JOIN_INQUIRY"
    assert contact["phone"] == "+13125550142"
    # a reference to read out over the phone, the one the staff see
    assert re.fullmatch(r"JOIN-[A-Z2-9]{4}-[A-Z2-9]{4}", receipt["reference"])
    assert contact["reference"] == receipt["reference"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-address"}, "input.email"),
        ({"phone": "12"}, "input.phone"),
        ({"agency": "   "}, "input.agency"),
        ({"message": "x" * 4001}, "input.message"),
        ({"contactName": "a\rb"}, "input.contactName"),
    ],
)
async def test_bad_inquiries_say_what_to_fix_and_store_nothing(
    membership: ServiceUnderTest, db: asyncpg.Connection, overrides: dict[str, Any], field: str
) -> None:
    answer = await membership.graphql(INQUIRE, {"input": inquiry(**overrides)})
    receipt = answer["data"]["submitJoinInquiry"]
    assert receipt["reference"] is None
    assert [error["field"] for error in receipt["errors"]] == [field]
    assert receipt["errors"][0]["message"]
    assert await db.fetchval("SELECT count(*) FROM join_inquiries") == 0


async def test_an_inquiry_holding_a_nul_is_refused_before_anything_runs(
    membership: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    answer = await membership.graphql(INQUIRE, {"input": inquiry(contactName="a\x00b")})
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`$input.contactName`" in error["message"]
    assert await db.fetchval("SELECT count(*) FROM join_inquiries") == 0


async def test_demo_requests_and_the_staff_inbox(
    membership: ServiceUnderTest, admin_token: str, issuer: TokenIssuer
) -> None:
    demo = {
        "agency": "Stonemill Police Department",
        "contactName": "Sam Ortega",
        "contactRole": "Wellness coordinator",
        "email": "wellness@stonemill.example",
        "format": "IN_PERSON",
        "preferredTimes": "Tuesday or Thursday mornings",
    }
    proof = await contact_form_proof(membership.graphql, "DEMO_REQUEST")
    answer = await membership.graphql(DEMO, {"input": demo, "proof": proof})
    reference = answer["data"]["requestDemo"]["reference"]
    proof = await contact_form_proof(membership.graphql)
    await membership.graphql(INQUIRE, {"input": inquiry(), "proof": proof})

    inbox = await membership.graphql(INBOX, {"handled": False}, token=admin_token)
    nodes = inbox["data"]["departmentContacts"]["nodes"]
    assert [node["kind"] for node in nodes] == ["DEMO_REQUEST", "JOIN_INQUIRY"]
    assert nodes[0]["demoFormat"] == "IN_PERSON"
    assert nodes[0]["message"] == "Tuesday or Thursday mornings"
    assert nodes[0]["reference"] == reference
    assert reference.startswith("DEMO-")

    mark = """mutation($id: ID!, $handled: Boolean!) {
      markDepartmentContactHandled(id: $id, handled: $handled) {
        contact { handledAt } errors { field message } } }"""
    handled = await membership.graphql(
        mark, {"id": nodes[0]["id"], "handled": True}, token=admin_token
    )
    assert handled["data"]["markDepartmentContactHandled"]["contact"]["handledAt"]
    still_open = await membership.graphql(INBOX, {"handled": False}, token=admin_token)
    assert [n["kind"] for n in still_open["data"]["departmentContacts"]["nodes"]] == [
        "JOIN_INQUIRY"
    ]
    unknown = await membership.graphql(
        mark, {"id": "7d1f6c1e-0000-4000-8000-000000000000", "handled": True}, token=admin_token
    )
    assert unknown["data"]["markDepartmentContactHandled"]["errors"][0]["field"] == "id"

    for roles in (("officer",), ("coordinator",), ("vetter",)):
        denied = await membership.graphql(INBOX, {}, token=issuer.token(*roles))
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await membership.graphql(INBOX, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
