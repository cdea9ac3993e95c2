"""The gateway answers exactly what the GraphQL specification says, across subgraphs.

Expected results are written out by hand from the demo data (servicekit.demo): the
fictional departments, their names, counties and states.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from servicekit.demo import DEMO_DEPARTMENTS
from tests.gateway.conftest import Federation, GatewayClient, gateway_for, recording_proxy
from tests.support.proof_of_work import contact_form_proof

pytestmark = pytest.mark.slow  # real subgraph servers

HARLOW_PARK = DEMO_DEPARTMENTS[2]  # Cook County, IL
DEPARTMENT_NAMES = {str(d.id): d.name for d in DEMO_DEPARTMENTS}
ACTIVE = [d for d in DEMO_DEPARTMENTS if d.status == "active"]


def officer(federation: Federation) -> str:
    return federation.issuer.token("officer", department=HARLOW_PARK.id)


async def test_aliases_fragments_variables_defaults_and_directives(
    gateway: GatewayClient, federation: Federation
) -> None:
    query = """
    query Members($state: String = "IN", $withCounty: Boolean!) {
      figures: membershipFigures { ...Sizes }
      indiana: memberDepartments(state: $state, first: 5) {
        nodes { name county @include(if: $withCounty) kind: __typename }
      }
      wisconsin: memberDepartments(state: "WI") @skip(if: $withCounty) {
        nodes { ... on Department { name state } }
      }
      __typename
    }
    fragment Sizes on MembershipFigures { memberDepartments states }
    """
    answer = await gateway(query, {"withCounty": False}, token=officer(federation))
    assert answer == {
        "data": {
            "figures": {"memberDepartments": len(ACTIVE), "states": 4},
            "indiana": {
                "nodes": [{"name": "Dunmore Flats Police Department", "kind": "Department"}]
            },
            "wisconsin": {"nodes": [{"name": "Norrland Bay Police Department", "state": "WI"}]},
            "__typename": "Query",
        }
    }
    with_county = await gateway(
        query, {"withCounty": True, "state": "MO"}, token=officer(federation)
    )
    assert with_county == {
        "data": {
            "figures": {"memberDepartments": len(ACTIVE), "states": 4},
            "indiana": {
                "nodes": [
                    {
                        "name": "Cobble Creek Police Department",
                        "county": "St. Louis",
                        "kind": "Department",
                    }
                ]
            },
            "__typename": "Query",
        }
    }


SEARCH = """
query Search($first: Int!) {
  searchPeerSupporters(first: $first, filter: {state: "IL"}) {
    matches {
      supporter {
        displayName
        department { id name state ...Where }
      }
    }
    errors { field }
  }
}
fragment Where on Department { county isMember }
"""


async def test_entities_from_another_subgraph_are_joined_in_one_batched_request(
    federation: Federation,
) -> None:
    async with (
        recording_proxy(federation.urls["membership"]) as (url, proxy),
        gateway_for(federation, WNWA_GATEWAY_MEMBERSHIP_URL=url) as gateway,
    ):
        answer = await gateway(SEARCH, {"first": 20}, token=officer(federation))
    matches = answer["data"]["searchPeerSupporters"]["matches"]
    assert "errors" not in answer
    assert len(matches) == 20
    for match in matches:
        department = match["supporter"]["department"]
        demo = next(d for d in DEMO_DEPARTMENTS if str(d.id) == department["id"])
        assert department == {
            "id": str(demo.id),
            "name": demo.name,
            "state": "IL",
            "county": demo.county,
            "isMember": True,
        }
        assert department["id"] != str(HARLOW_PARK.id)  # own department left out
    # twenty supporters from many departments: one request to membership, each department once
    assert len(proxy.requests) == 1
    [representations] = proxy.requests[0]["body"]["variables"].values()
    ids = [r["id"] for r in representations]
    assert len(ids) == len(set(ids)) == len({m["supporter"]["department"]["id"] for m in matches})


async def test_field_errors_keep_their_path_and_null_only_what_they_must(
    gateway: GatewayClient, federation: Federation
) -> None:
    query = """
    query($id: ID!) {
      mine: department(id: $id) { name record { ori } }
      figures: membershipFigures { states }
    }
    """
    answer = await gateway(query, {"id": str(HARLOW_PARK.id)}, token=officer(federation))
    assert answer["data"] == {
        "mine": {"name": HARLOW_PARK.name, "record": None},
        "figures": {"states": 4},
    }
    [error] = answer["errors"]
    assert error["path"] == ["mine", "record"]
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_errors_inside_entities_point_at_the_gateway_path(
    gateway: GatewayClient, federation: Federation
) -> None:
    query = """
    { searchPeerSupporters(first: 2, filter: {state: "IL"}) {
        matches { supporter { department { name record { ori } } } } } }
    """
    answer = await gateway(query, token=officer(federation))
    matches = answer["data"]["searchPeerSupporters"]["matches"]
    assert [m["supporter"]["department"]["record"] for m in matches] == [None, None]
    paths = sorted(error["path"] for error in answer["errors"])
    assert paths == [
        ["searchPeerSupporters", "matches", 0, "supporter", "department", "record"],
        ["searchPeerSupporters", "matches", 1, "supporter", "department", "record"],
    ]


async def test_variables_are_validated_before_any_subgraph_is_called(
    gateway: GatewayClient, federation: Federation
) -> None:
    answer = await gateway(
        "query($id: ID!) { department(id: $id) { name } }", {}, token=officer(federation)
    )
    assert answer["errors"][0]["message"] == (
        "Variable '$id' has invalid value: Expected a value of non-null type 'ID!' to be provided."
    )
    unknown = await gateway("{ department(id: 1) { nickname } }", token=officer(federation))
    assert "Cannot query field 'nickname' on type 'Department'." in unknown["errors"][0]["message"]


async def test_mutations_run_in_order_and_public_ones_need_no_token(gateway: GatewayClient) -> None:
    inquiry = {
        "agency": "Wrenfield Police Department",
        "contactName": "Dana Whitlock",
        "contactRole": "Chief",
        "email": "chief@wrenfield.example",
        "message": "Tell us more.",
    }
    # the challenge is public too; a form with mistakes is answered without spending it
    proof = await contact_form_proof(gateway)
    answer = await gateway(
        """mutation($good: JoinInquiryInput!, $bad: JoinInquiryInput!, $proof: String) {
             first: submitJoinInquiry(input: $good, proofOfWork: $proof) {
               reference errors { field } }
             second: submitJoinInquiry(input: $bad) { reference errors { field message } }
           }""",
        {"good": inquiry, "bad": {**inquiry, "email": "nope"}, "proof": proof},
    )
    assert answer["data"]["first"]["errors"] == []
    assert answer["data"]["first"]["reference"]
    assert answer["data"]["second"] == {
        "reference": None,
        "errors": [
            {"field": "input.email", "message": "Enter an email address such as name@agency.gov."}
        ],
    }


async def test_an_anonymous_form_without_a_fresh_solution_is_refused_through_the_gateway(
    gateway: GatewayClient,
) -> None:
    inquiry = {
        "agency": "Wrenfield Police Department",
        "contactName": "Dana Whitlock",
        "contactRole": "Chief",
        "email": "chief@wrenfield.example",
        "message": "Tell us more.",
    }
    ask = """mutation($input: JoinInquiryInput!, $proof: String) {
      submitJoinInquiry(input: $input, proofOfWork: $proof) { reference } }"""
    proof = await contact_form_proof(gateway)
    for sent, code in [(None, "PROOF_OF_WORK_MISSING"), ("e30=", "PROOF_OF_WORK_INVALID")]:
        refused = await gateway(ask, {"input": inquiry, "proof": sent})
        assert refused["data"] is None
        [error] = refused["errors"]
        assert error["extensions"]["code"] == code
        assert "Nothing was saved" in error["message"]
    accepted = await gateway(ask, {"input": inquiry, "proof": proof})
    assert accepted["data"]["submitJoinInquiry"]["reference"]
    again = await gateway(ask, {"input": inquiry, "proof": proof})
    assert again["errors"][0]["extensions"]["code"] == "PROOF_OF_WORK_SPENT"


async def test_a_down_slow_or_confused_subgraph_gives_partial_data_not_a_failure(
    federation: Federation,
) -> None:
    query = """
    query($id: ID!) {
      department(id: $id) { name }
      wellbeingResources { title }
    }
    """
    for mode, words in (
        ("garbage", "answered with something unreadable"),
        ("slow", "did not answer in time"),
        ("down", "is unavailable"),
    ):
        async with recording_proxy(federation.urls["membership"]) as (url, proxy):
            proxy.mode = mode
            target = url if mode != "down" else "http://127.0.0.1:9/graphql"
            async with gateway_for(federation, WNWA_GATEWAY_MEMBERSHIP_URL=target) as client:
                answer = await client(query, {"id": str(HARLOW_PARK.id)}, token=officer(federation))
        assert answer["data"]["department"] is None, mode
        assert answer["data"]["wellbeingResources"][0]["title"]
        [error] = answer["errors"]
        assert error["path"] == ["department"]
        assert words in error["message"], (mode, error)
        assert error["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"


async def test_only_the_token_travels_to_subgraphs(federation: Federation) -> None:
    token = officer(federation)
    async with (
        recording_proxy(federation.urls["membership"]) as (url, proxy),
        gateway_for(federation, WNWA_GATEWAY_MEMBERSHIP_URL=url) as client,
    ):
        response = await client.http.post(
            "/graphql",
            json={"query": "{ membershipFigures { states } }"},
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": "OfficerPhone/1.0",
                "Cookie": "tracking=1",
                "X-Forwarded-For": "203.0.113.9",
            },
        )
    assert response.json() == {"data": {"membershipFigures": {"states": 4}}}
    headers = {k.lower(): v for k, v in proxy.requests[0]["headers"].items()}
    assert headers["authorization"] == f"Bearer {token}"
    assert "cookie" not in headers
    assert "x-forwarded-for" not in headers
    assert "OfficerPhone" not in headers.get("user-agent", "")
    assert "203.0.113.9" not in str(headers)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def test_gateway_bookkeeping_never_leaks_into_answers(
    gateway: GatewayClient, federation: Federation
) -> None:
    answer = await gateway(SEARCH, {"first": 5}, token=officer(federation))
    assert not any(key.startswith("__key_") for key in _keys(answer))


async def test_identical_queries_in_flight_share_one_subgraph_request(
    federation: Federation,
) -> None:
    token = officer(federation)
    query = "{ membershipFigures { memberDepartments } }"
    async with (
        recording_proxy(federation.urls["membership"]) as (url, proxy),
        gateway_for(federation, WNWA_GATEWAY_MEMBERSHIP_URL=url) as client,
    ):
        proxy.mode = "delayed"
        answers = await asyncio.gather(*(client(query, token=token) for _ in range(5)))
        other_person = await client(query, token=federation.issuer.token("officer"))
    expected = {"data": {"membershipFigures": {"memberDepartments": len(ACTIVE)}}}
    assert answers == [expected] * 5
    assert other_person == expected
    # five identical in-flight reads with one token: one request; another token: its own
    assert len(proxy.requests) == 2


SINGLE_SUBGRAPH_CORPUS: list[tuple[str, dict[str, Any]]] = [
    (
        """query Members($state: String = "IN", $withCounty: Boolean!) {
             figures: membershipFigures { ...Sizes }
             indiana: memberDepartments(state: $state, first: 5) {
               nodes { name county @include(if: $withCounty) kind: __typename } }
             __typename }
           fragment Sizes on MembershipFigures { memberDepartments states }""",
        {"withCounty": True},
    ),
    (
        "query($id: ID!) { mine: department(id: $id) { name record { ori } } }",
        {"id": str(HARLOW_PARK.id)},
    ),
    ("query($id: ID!) { department(id: $id) { name } }", {"id": "not-a-department"}),
    (
        """{ searchPeerSupporters(first: 3, filter: {state: "IL"}) {
             matches { supporter { displayName ... on PeerSupporter { telLink } } } } }""",
        {},
    ),
    ("{ memberDepartments(first: 1000) { nodes { name } } }", {}),
]


async def test_single_subgraph_operations_answer_the_same_passed_through_or_planned(
    federation: Federation,
) -> None:
    token = officer(federation)
    async with (
        gateway_for(federation) as passed,
        gateway_for(federation, WNWA_GATEWAY_SINGLE_SUBGRAPH_PASSTHROUGH="false") as planned,
    ):
        for query, variables in SINGLE_SUBGRAPH_CORPUS:
            direct = await passed(query, variables, token=token)
            executed = await planned(query, variables, token=token)
            assert direct == executed, query


async def test_variables_inside_entity_selections_reach_the_owning_subgraph(
    gateway: GatewayClient, federation: Federation
) -> None:
    query = """
    query($withCounty: Boolean!, $hide: Boolean = false) {
      searchPeerSupporters(first: 2, filter: {state: "IL"}) {
        matches { supporter { department {
          name county @include(if: $withCounty) state @skip(if: $hide) } } }
      }
    }
    """
    shown = await gateway(query, {"withCounty": True}, token=officer(federation))
    assert "errors" not in shown, shown
    for match in shown["data"]["searchPeerSupporters"]["matches"]:
        department = match["supporter"]["department"]
        assert set(department) == {"name", "county", "state"}
        assert department["county"] in {d.county for d in DEMO_DEPARTMENTS}
    hidden = await gateway(query, {"withCounty": False, "hide": True}, token=officer(federation))
    assert "errors" not in hidden, hidden
    for match in hidden["data"]["searchPeerSupporters"]["matches"]:
        assert set(match["supporter"]["department"]) == {"name"}
