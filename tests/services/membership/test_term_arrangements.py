"""The arrangements besides the standard three years: a shorter first term with its reason,
and a consortium of small departments under one agreement whose terms apply to each member."""

from __future__ import annotations

from typing import Any

import asyncpg

from servicekit.clock import FixedClock
from tests.conftest import ServiceUnderTest
from tests.services.membership.conftest import create_department, years_after
from tests.services.membership.test_terms_and_fees import RECORD, set_standard_tiers
from tests.support.tokens import TokenIssuer

RECORD_TERM = """
mutation($id: ID!, $startsOn: Date, $years: Int, $reason: String) {
  recordSubscriptionTerm(departmentId: $id, startsOn: $startsOn, firstTermYears: $years,
                         shorterTermReason: $reason) {
    term { kind years startsOn endsOn shorterTermReason }
    errors { field message }
  }
}
"""
CREATE_CONSORTIUM = """
mutation($input: ConsortiumInput!) {
  createConsortium(input: $input) {
    consortium { id name members { name isMember } }
    errors { field message }
  }
}
"""
CONSORTIUM_TERM = """
mutation($id: ID!, $startsOn: Date, $years: Int, $reason: String) {
  recordConsortiumTerm(consortiumId: $id, startsOn: $startsOn, firstTermYears: $years,
                       shorterTermReason: $reason) {
    term { kind years startsOn endsOn annualFeeCents shorterTermReason consortium { name } }
    consortium { name members { name isMember record { status } } }
    errors { field message }
  }
}
"""
MEMBER_RECORD = """
query($id: ID!) {
  department(id: $id) {
    record {
      renewalDue consortium { name }
      currentTerm { kind endsOn consortium { name } }
      terms { kind years startsOn endsOn }
    }
  }
}
"""


async def test_a_shorter_first_term_keeps_its_reason_and_renewals_follow_its_end(
    membership: ServiceUnderTest, admin_token: str, clock: FixedClock
) -> None:
    await set_standard_tiers(membership, admin_token)
    department = await create_department(membership, admin_token)
    start = clock.today()  # 29 February: a year on is the 28th
    first = await membership.graphql(
        RECORD_TERM,
        {"id": department["id"], "years": 1, "reason": "Council approves one budget year"},
        token=admin_token,
    )
    payload = first["data"]["recordSubscriptionTerm"]
    assert payload["errors"] == []
    first_end = years_after(start, 1)
    assert payload["term"] == {
        "kind": "FIRST",
        "years": 1,
        "startsOn": start.isoformat(),
        "endsOn": first_end.isoformat(),
        "shorterTermReason": "Council approves one budget year",
    }
    renewal = await membership.graphql(RECORD_TERM, {"id": department["id"]}, token=admin_token)
    assert renewal["data"]["recordSubscriptionTerm"]["term"] == {
        "kind": "RENEWAL",
        "years": 1,
        "startsOn": first_end.isoformat(),
        "endsOn": years_after(first_end, 1).isoformat(),
        "shorterTermReason": None,
    }
    # the renewal notice counts from the end of the term actually agreed
    clock.at = clock.at.replace(year=2028, month=12, day=20)
    record = await membership.graphql(RECORD, {"id": department["id"]}, token=admin_token)
    assert record["data"]["department"]["record"]["renewalDue"] is False


async def test_a_shorter_first_term_without_a_reason_is_refused_and_nothing_is_written(
    membership: ServiceUnderTest, admin_token: str, db: asyncpg.Connection
) -> None:
    await set_standard_tiers(membership, admin_token)
    department = await create_department(membership, admin_token)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"years": 2}, "shorterTermReason", "Say why this first term is shorter than 3 years."),
        ({"years": 5, "reason": "x"}, "firstTermYears", "A first term lasts 1, 2 or 3 years."),
        ({"years": 3, "reason": "x"}, "shorterTermReason", "Only a first term shorter"),
    ]
    for variables, field, words in cases:
        answer = await membership.graphql(
            RECORD_TERM, {"id": department["id"], **variables}, token=admin_token
        )
        errors = answer["data"]["recordSubscriptionTerm"]["errors"]
        assert [error["field"] for error in errors] == [field]
        assert errors[0]["message"].startswith(words)
    assert await db.fetchval("SELECT count(*) FROM subscription_terms") == 0
    assert await db.fetchval("SELECT status::text FROM departments") == "prospect"


async def test_a_consortium_term_applies_to_every_member_and_renews_for_all(
    membership: ServiceUnderTest, admin_token: str, clock: FixedClock, db: asyncpg.Connection
) -> None:
    await set_standard_tiers(membership, admin_token)
    east = await create_department(
        membership, admin_token, name="East Ridge PD", ori="IL016Z011", swornOfficers=9
    )
    west = await create_department(
        membership, admin_token, name="West Ridge PD", ori="IL016Z012", swornOfficers=20
    )
    created = await membership.graphql(
        CREATE_CONSORTIUM,
        {"input": {"name": "Ridge Valley Consortium", "departmentIds": [east["id"], west["id"]]}},
        token=admin_token,
    )
    consortium = created["data"]["createConsortium"]["consortium"]
    assert created["data"]["createConsortium"]["errors"] == []
    assert [m["name"] for m in consortium["members"]] == ["East Ridge PD", "West Ridge PD"]

    # a member's own term is refused: the consortium's applies
    own = await membership.graphql(RECORD_TERM, {"id": east["id"]}, token=admin_token)
    assert (
        "part of Ridge Valley Consortium"
        in (own["data"]["recordSubscriptionTerm"]["errors"][0]["message"])
    )

    start = clock.today()
    first = await membership.graphql(
        CONSORTIUM_TERM,
        {"id": consortium["id"], "years": 2, "reason": "Pilot across the valley"},
        token=admin_token,
    )
    payload = first["data"]["recordConsortiumTerm"]
    assert payload["errors"] == []
    first_end = years_after(start, 2)
    assert payload["term"] == {
        "kind": "FIRST",
        "years": 2,
        "startsOn": start.isoformat(),
        "endsOn": first_end.isoformat(),
        "annualFeeCents": 150000 + 300000,  # each member's quote
        "shorterTermReason": "Pilot across the valley",
        "consortium": {"name": "Ridge Valley Consortium"},
    }
    assert [m["record"]["status"] for m in payload["consortium"]["members"]] == [
        "ACTIVE",
        "ACTIVE",
    ]
    renewal = await membership.graphql(CONSORTIUM_TERM, {"id": consortium["id"]}, token=admin_token)
    assert renewal["data"]["recordConsortiumTerm"]["term"]["startsOn"] == first_end.isoformat()
    assert await db.fetchval("SELECT count(*) FROM subscription_terms") == 2  # one per term

    for member in (east, west):
        record = await membership.graphql(MEMBER_RECORD, {"id": member["id"]}, token=admin_token)
        details = record["data"]["department"]["record"]
        assert details["consortium"] == {"name": "Ridge Valley Consortium"}
        assert details["currentTerm"]["consortium"] == {"name": "Ridge Valley Consortium"}
        assert [(t["kind"], t["startsOn"], t["endsOn"]) for t in details["terms"]] == [
            ("FIRST", start.isoformat(), first_end.isoformat()),
            ("RENEWAL", first_end.isoformat(), years_after(first_end, 1).isoformat()),
        ]


async def test_a_consortium_needs_a_name_and_free_departments_without_terms(
    membership: ServiceUnderTest, admin_token: str, db: asyncpg.Connection
) -> None:
    await set_standard_tiers(membership, admin_token)
    a = await create_department(membership, admin_token, name="Alder PD", ori="IL016Z021")
    b = await create_department(membership, admin_token, name="Birch PD", ori="IL016Z022")
    c = await create_department(membership, admin_token, name="Cedar PD", ori="IL016Z023")
    await membership.graphql(RECORD_TERM, {"id": c["id"]}, token=admin_token)
    bad = await membership.graphql(
        CREATE_CONSORTIUM,
        {"input": {"name": "Two\nLines", "departmentIds": [a["id"]]}},
        token=admin_token,
    )
    fields = {e["field"] for e in bad["data"]["createConsortium"]["errors"]}
    assert fields == {"input.name", "input.departmentIds"}
    refused = await membership.graphql(
        CREATE_CONSORTIUM,
        {"input": {"name": "Trees", "departmentIds": [a["id"], c["id"], a["id"], "nope"]}},
        token=admin_token,
    )
    errors = {e["field"]: e["message"] for e in refused["data"]["createConsortium"]["errors"]}
    assert "terms of its own" in errors["input.departmentIds.1"]
    assert errors["input.departmentIds.2"] == "This department is listed twice."
    assert errors["input.departmentIds.3"] == "There is no department with this id."
    assert await db.fetchval("SELECT count(*) FROM consortia") == 0
    ok = await membership.graphql(
        CREATE_CONSORTIUM,
        {"input": {"name": "Trees", "departmentIds": [a["id"], b["id"]]}},
        token=admin_token,
    )
    assert ok["data"]["createConsortium"]["errors"] == []
    again = await membership.graphql(
        CREATE_CONSORTIUM,
        {"input": {"name": "Trees", "departmentIds": [b["id"], c["id"]]}},
        token=admin_token,
    )
    messages = [e["message"] for e in again["data"]["createConsortium"]["errors"]]
    assert "Birch PD is already part of Trees." in messages


async def test_only_network_admins_handle_consortia(
    membership: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    token = issuer.token("coordinator")
    answer = await membership.graphql(
        CREATE_CONSORTIUM, {"input": {"name": "X", "departmentIds": []}}, token=token
    )
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = await membership.graphql("{ consortia { name } }", token=token)
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
