"""Right answers under concurrency, clear request errors, and outages that take no more than
they must: the gateway's behaviour when requests overlap, go wrong, or meet a subgraph down."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from gateway.subgraphs import SubgraphClient
from servicekit.demo import DEMO_DEPARTMENTS
from tests.gateway.conftest import Federation, gateway_for, recording_proxy

pytestmark = pytest.mark.slow  # real subgraph servers

HARLOW_PARK = DEMO_DEPARTMENTS[2]  # Cook County, IL
BY_ID = {str(d.id): d for d in DEMO_DEPARTMENTS}


def officer(federation: Federation) -> str:
    return federation.issuer.token("officer", department=HARLOW_PARK.id)


SUPPORTERS_WITH = """{{ searchPeerSupporters(first: 6, filter: {{state: "IL"}}) {{
  matches {{ supporter {{ department {{ id n: {field} }} }} }} }} }}"""


async def test_different_operations_sharing_a_first_call_each_get_their_own_answer(
    federation: Federation,
) -> None:
    # both operations send directory the very same request (the supporters and their
    # departments' keys); each then asks membership for a different department field
    token = officer(federation)
    by_name, by_county = (
        SUPPORTERS_WITH.format(field="name"),
        SUPPORTERS_WITH.format(field="county"),
    )
    async with (
        recording_proxy(federation.urls["directory"]) as (url, proxy),
        recording_proxy(federation.urls["membership"]) as (entities_url, entities),
        gateway_for(
            federation,
            WNWA_GATEWAY_DIRECTORY_URL=url,
            WNWA_GATEWAY_MEMBERSHIP_URL=entities_url,
        ) as gateway,
    ):
        proxy.mode = "delayed"  # every request below is in flight at the same time
        proxy.delay = 1.0
        entities.mode = "aligned"  # and membership's answers to them arrive together
        answers = await asyncio.gather(
            *(gateway(q, token=token) for _ in range(40) for q in (by_name, by_county))
        )
    wrong = 0
    for index, answer in enumerate(answers):
        assert "errors" not in answer, answer
        for match in answer["data"]["searchPeerSupporters"]["matches"]:
            department = match["supporter"]["department"]
            demo = BY_ID[department["id"]]
            expected = demo.name if index % 2 == 0 else demo.county
            wrong += department["n"] != expected
    assert wrong == 0
    # the identical directory requests were shared (once, unless the machine is very busy)
    assert len(proxy.requests) < len(answers) // 4


async def test_callers_sharing_a_request_each_get_an_answer_of_their_own(
    federation: Federation,
) -> None:
    async with (
        recording_proxy(federation.urls["membership"]) as (url, proxy),
        aiohttp.ClientSession() as session,
    ):
        proxy.mode = "delayed"
        client = SubgraphClient(session, {"membership": url}, 5)
        query = "{ feeTiers { minSwornOfficers annualFeeCents } }"
        first, second = await asyncio.gather(
            *(client.fetch_query("membership", query, {}, authorization=None) for _ in range(2))
        )
    assert len(proxy.requests) == 1
    assert first.data == second.data
    assert first.data is not None
    first.data["feeTiers"][0]["annualFeeCents"] = -1  # what the gateway's merging does
    assert second.data is not None
    assert second.data["feeTiers"][0]["annualFeeCents"] != -1


async def test_an_operation_chosen_by_name_is_sent_alone(federation: Federation) -> None:
    document = """
    query A { feeTiers { annualFeeCents } }
    query B { insuranceCarriers { ...Carrier } }
    query C { membershipFigures { ...Figures } }
    fragment Carrier on InsuranceCarrier { code }
    fragment Figures on MembershipFigures { states }
    """
    async with (
        recording_proxy(federation.urls["professionals"]) as (url, proxy),
        gateway_for(federation, WNWA_GATEWAY_PROFESSIONALS_URL=url) as gateway,
    ):
        answer = await gateway(document, operation_name="B")
        plain = await gateway(
            "query A { feeTiers { annualFeeCents } } query B { insuranceCarriers { code } }",
            operation_name="B",
        )
    assert "errors" not in answer, answer
    assert answer["data"]["insuranceCarriers"][0]["code"]
    assert plain == {"data": {"insuranceCarriers": answer["data"]["insuranceCarriers"]}}
    sent = proxy.requests[0]["body"]["query"]
    assert "feeTiers" not in sent
    assert "membershipFigures" not in sent
    assert "fragment Figures" not in sent
    assert "fragment Carrier" in sent


async def test_errors_of_a_chosen_operation_point_into_the_clients_document(
    federation: Federation,
) -> None:
    document = """query A { feeTiers { annualFeeCents } }
    query B {
      applications(first: 1) { nodes { id } }
    }"""
    token = officer(federation)  # not a vetter: professionals refuses `applications`
    async with (
        gateway_for(federation) as passed,
        gateway_for(federation, WNWA_GATEWAY_SINGLE_SUBGRAPH_PASSTHROUGH="false") as planned,
    ):
        direct = await passed(document, token=token, operation_name="B")
        executed = await planned(document, token=token, operation_name="B")
    assert direct == executed
    [error] = direct["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["locations"] == [{"line": 3, "column": 7}]


REQUEST_ERRORS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "wrong variable type",
        "query($id: ID!) { department(id: $id) { name } }",
        {"id": {"not": "an id"}},
    ),
    ("missing required variable", "query($id: ID!) { department(id: $id) { name } }", {}),
    (
        "unknown enum value inside an input object",
        """query($filter: PeerSupporterFilter) {
             searchPeerSupporters(first: 1, filter: $filter) { matches { supporter { id } } } }""",
        {"filter": {"state": "IL", "gender": "NO_SUCH_GENDER"}},
    ),
    (
        "unknown enum value in a list inside an input object",
        """query($filter: PeerSupporterFilter) {
             searchPeerSupporters(first: 1, filter: $filter) { matches { supporter { id } } } }""",
        {"filter": {"areasOfSupport": ["NOT_AN_AREA"]}},
    ),
]


@pytest.mark.parametrize(
    ("case", "query", "variables"), REQUEST_ERRORS, ids=[case for case, *_ in REQUEST_ERRORS]
)
async def test_request_errors_have_no_data_and_read_the_same_on_both_paths(
    federation: Federation, case: str, query: str, variables: dict[str, Any]
) -> None:
    token = officer(federation)
    async with (
        gateway_for(federation) as passed,
        gateway_for(federation, WNWA_GATEWAY_SINGLE_SUBGRAPH_PASSTHROUGH="false") as planned,
    ):
        direct = await passed(query, variables, token=token)
        executed = await planned(query, variables, token=token)
    assert "data" not in direct, (case, direct)
    assert direct == executed, case
    [error] = direct["errors"]
    assert error["message"].startswith("Variable '$"), error
    assert "path" not in error
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("mode", ["garbage", "overloaded"])
async def test_a_single_subgraph_operation_meets_an_outage_once(
    federation: Federation, mode: str
) -> None:
    query = "query($id: ID!) { department(id: $id) { name } }"
    async with recording_proxy(federation.urls["membership"]) as (url, proxy):
        proxy.mode = mode
        async with gateway_for(federation, WNWA_GATEWAY_MEMBERSHIP_URL=url) as gateway:
            answer = await gateway(query, {"id": str(HARLOW_PARK.id)}, token=officer(federation))
    assert answer["data"] == {"department": None}
    [error] = answer["errors"]
    assert error["path"] == ["department"]
    assert error["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
    # the struggling service is not asked twice for one operation
    assert len(proxy.requests) == 1


async def test_a_mutation_whose_answer_was_lost_is_not_sent_again(federation: Federation) -> None:
    inquiry = {
        "agency": "Wrenfield Police Department",
        "contactName": "Dana Whitlock",
        "contactRole": "Chief",
        "email": "chief@wrenfield.example",
        "message": "Tell us more.",
    }
    async with recording_proxy(federation.urls["membership"]) as (url, proxy):
        proxy.mode = "garbage"
        async with gateway_for(federation, WNWA_GATEWAY_MEMBERSHIP_URL=url) as gateway:
            answer = await gateway(
                "mutation($in: JoinInquiryInput!) { submitJoinInquiry(input: $in) { reference } }",
                {"in": inquiry},
            )
    assert answer["errors"][0]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
    assert answer["errors"][0]["path"] == ["submitJoinInquiry"]
    assert len(proxy.requests) == 1


async def test_an_outage_in_one_subgraph_leaves_the_others_answers(
    federation: Federation,
) -> None:
    query = """query($id: ID!) {
      department(id: $id) { name }
      carriers: insuranceCarriers { code }
      resources: wellbeingResources { title }
    }"""
    async with gateway_for(
        federation, WNWA_GATEWAY_PROFESSIONALS_URL="http://127.0.0.1:9/graphql"
    ) as gateway:
        answer = await gateway(query, {"id": str(HARLOW_PARK.id)}, token=officer(federation))
    # root fields that cross a service boundary are nullable: only the lost one is null
    assert answer["data"]["carriers"] is None
    assert answer["data"]["department"] == {"name": "Harlow Park Police Department"}
    assert answer["data"]["resources"]
    [error] = answer["errors"]
    assert error["path"] == ["carriers"]
    assert error["extensions"] == {"code": "SUBGRAPH_UNAVAILABLE", "service": "professionals"}


async def test_a_date_the_subgraphs_would_refuse_is_refused_alike_on_both_paths(
    federation: Federation,
) -> None:
    # the gateway reads the platform's Date as membership does: no subgraph is asked
    admin = federation.issuer.token("network_admin")
    query = """mutation($id: ID!, $changes: DepartmentChanges!) {
      updateDepartment(id: $id, input: $changes) { errors { field } } }"""
    variables = {"id": str(HARLOW_PARK.id), "changes": {"joinedOn": "the day before yesterday"}}
    async with (
        gateway_for(federation) as passed,
        gateway_for(federation, WNWA_GATEWAY_SINGLE_SUBGRAPH_PASSTHROUGH="false") as planned,
    ):
        direct = await passed(query, variables, token=admin)
        executed = await planned(query, variables, token=admin)
    assert direct == executed
    assert "data" not in direct
    [error] = direct["errors"]
    assert "path" not in error
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "joinedOn" in error["message"], error
    assert "Date" in error["message"], error
