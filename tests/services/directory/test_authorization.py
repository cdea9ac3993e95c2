"""Who may see and manage peer supporters: each role, own versus other department."""

from __future__ import annotations

import asyncpg

from services.identity.admission import Standing, admit
from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import (
    CREATE_PROFILE,
    FENWOOD,
    HARLOW,
    PROFILE_FIELDS,
    create_profile,
    names,
    profile_input,
    search,
)
from tests.support.tokens import TokenIssuer

PROFILE = f"query($id: ID!) {{ peerSupporter(id: $id) {{ {PROFILE_FIELDS} }} }}"
SEARCH_PHONES = "{ searchPeerSupporters { matches { supporter { phone telLink } } } }"
DEACTIVATE = """
mutation($id: ID!) { deactivatePeerSupporter(id: $id) { supporter { active } errors { field } } }
"""
REACTIVATE = """
mutation($id: ID!) { reactivatePeerSupporter(id: $id) { supporter { active } errors { field } } }
"""
DEPARTMENT_LIST = """
query($department: ID) {
  departmentPeerSupporters(departmentId: $department) { nodes { displayName active phone } }
}
"""


async def test_without_a_valid_token_no_profile_or_phone_is_visible(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    supporter = await create_profile(directory, issuer, department=FENWOOD)
    expired = issuer.token("officer", department=HARLOW, lifetime=-300)
    for token in (None, expired, "not-a-token"):
        for query, variables in (
            (SEARCH_PHONES, {}),
            (PROFILE, {"id": supporter["id"]}),
            (
                "query($r: [_Any!]!) { _entities(representations: $r) "
                "{ ... on PeerSupporter { phone } } }",
                {"r": [{"__typename": "PeerSupporter", "id": supporter["id"]}]},
            ),
        ):
            answer = await directory.graphql(query, variables, token=token)
            assert "+1312" not in str(answer)
            assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_everyone_a_department_admits_may_search(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    await create_profile(directory, issuer, department=FENWOOD)
    for role in ("officer", "civilian", "peer_supporter", "coordinator", "network_admin"):
        payload = await search(directory, issuer.token(role, department=HARLOW))
        assert len(payload["matches"]) == 1, role
    for roles in (("vetter",), ("service",), ()):
        answer = await directory.graphql(SEARCH_PHONES, token=issuer.token(*roles))
        assert answer["data"] == {"searchPeerSupporters": None}
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_only_peer_supporters_create_a_profile_and_only_their_own(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    create = (
        "mutation($i: PeerSupporterProfileInput!) "
        "{ createMyPeerSupporterProfile(input: $i) { errors { field } } }"
    )
    for roles in (("officer",), ("coordinator",), ("network_admin",)):
        answer = await directory.graphql(
            create, {"i": profile_input()}, token=issuer.token(*roles, department=HARLOW)
        )
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await db.fetchval("SELECT count(*) FROM peer_supporters") == 0

    first = await create_profile(directory, issuer, subject="alice", displayName="Alice")
    await create_profile(directory, issuer, subject="bruno", displayName="Bruno")
    alice = issuer.token("peer_supporter", department=HARLOW, subject="alice")
    again = await directory.graphql(create, {"i": profile_input()}, token=alice)
    assert again["data"]["createMyPeerSupporterProfile"]["errors"] == [{"field": "input"}]
    edit = (
        "mutation($i: PeerSupporterProfileChanges!) { updateMyPeerSupporterProfile(input: $i) "
        "{ supporter { id displayName } } }"
    )
    edited = await directory.graphql(edit, {"i": {"displayName": "Al"}}, token=alice)
    assert edited["data"]["updateMyPeerSupporterProfile"]["supporter"] == {
        "id": first["id"],
        "displayName": "Al",
    }
    bruno = await db.fetchval(
        "SELECT display_name FROM peer_supporters WHERE owner_subject = 'bruno'"
    )
    assert bruno == "Bruno"


async def test_coordinators_manage_their_own_department_only(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    ours = await create_profile(directory, issuer, department=HARLOW, displayName="Ours")
    theirs = await create_profile(directory, issuer, department=FENWOOD, displayName="Theirs")
    coordinator = issuer.token("coordinator", department=HARLOW)

    listed = await directory.graphql(DEPARTMENT_LIST, token=coordinator)
    nodes = listed["data"]["departmentPeerSupporters"]["nodes"]
    assert [node["displayName"] for node in nodes] == ["Ours"]
    other = await directory.graphql(
        DEPARTMENT_LIST, {"department": str(FENWOOD)}, token=coordinator
    )
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    refused = await directory.graphql(DEACTIVATE, {"id": theirs["id"]}, token=coordinator)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await db.fetchval("SELECT bool_and(active) FROM peer_supporters")

    done = await directory.graphql(DEACTIVATE, {"id": ours["id"]}, token=coordinator)
    assert done["data"]["deactivatePeerSupporter"] == {
        "supporter": {"active": False},
        "errors": [],
    }
    # still on the coordinator's list, marked inactive
    listed = await directory.graphql(DEPARTMENT_LIST, token=coordinator)
    assert listed["data"]["departmentPeerSupporters"]["nodes"][0]["active"] is False

    for role in ("officer", "peer_supporter", "civilian"):
        token = issuer.token(role, department=HARLOW)
        answer = await directory.graphql(DEACTIVATE, {"id": ours["id"]}, token=token)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        listing = await directory.graphql(DEPARTMENT_LIST, token=token)
        assert listing["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    back = await directory.graphql(REACTIVATE, {"id": ours["id"]}, token=coordinator)
    assert back["data"]["reactivatePeerSupporter"]["supporter"] == {"active": True}
    unknown = await directory.graphql(DEACTIVATE, {"id": "nope"}, token=coordinator)
    assert unknown["data"]["deactivatePeerSupporter"]["errors"] == [{"field": "id"}]


async def test_network_admins_manage_any_department(
    directory: ServiceUnderTest, issuer: TokenIssuer, admin_token: str
) -> None:
    await create_profile(directory, issuer, department=HARLOW, displayName="A")
    theirs = await create_profile(directory, issuer, department=FENWOOD, displayName="B")
    everyone = await directory.graphql(DEPARTMENT_LIST, token=admin_token)
    assert len(everyone["data"]["departmentPeerSupporters"]["nodes"]) == 2
    one = await directory.graphql(DEPARTMENT_LIST, {"department": str(FENWOOD)}, token=admin_token)
    assert [n["displayName"] for n in one["data"]["departmentPeerSupporters"]["nodes"]] == ["B"]
    done = await directory.graphql(DEACTIVATE, {"id": theirs["id"]}, token=admin_token)
    assert done["data"]["deactivatePeerSupporter"]["supporter"] == {"active": False}


async def test_deactivated_profiles_are_not_shown(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    supporter = await create_profile(
        directory, issuer, department=FENWOOD, subject="carmen", displayName="Carmen"
    )
    await directory.graphql(
        DEACTIVATE, {"id": supporter["id"]}, token=issuer.token("coordinator", department=FENWOOD)
    )
    officer = issuer.token("officer", department=HARLOW)
    assert names(await search(directory, officer)) == []
    direct = await directory.graphql(PROFILE, {"id": supporter["id"]}, token=officer)
    assert direct == {"data": {"peerSupporter": None}}
    own = await directory.graphql(
        "{ myPeerSupporterProfile { displayName active } }",
        token=issuer.token("peer_supporter", department=FENWOOD, subject="carmen"),
    )
    assert own["data"]["myPeerSupporterProfile"] == {"displayName": "Carmen", "active": False}


async def test_civilian_staff_named_peer_supporters_publish_a_profile(
    directory: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    """What /faq and /training say: civilian staff, where the department switched civilian
    access on, become peer supporters once the department names them."""
    enabled = Standing(active=True, civilians_enrolled=True)
    roles = admit({"civilian", "peer_supporter"}, is_network=False, standing=enabled)
    assert roles == ["civilian", "peer_supporter"]
    token = issuer.token(*roles, department=FENWOOD)
    answer = await directory.graphql(CREATE_PROFILE, {"input": profile_input()}, token=token)
    assert answer["data"]["createMyPeerSupporterProfile"]["errors"] == []
    payload = await search(directory, issuer.token("officer", department=HARLOW))
    assert len(payload["matches"]) == 1
