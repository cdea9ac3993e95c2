"""Network admins manage departments; signed-in users see members; records stay private."""

from __future__ import annotations

import asyncpg

from tests.conftest import ServiceUnderTest
from tests.services.membership.conftest import CREATE, create_department, department_input
from tests.support.tokens import TokenIssuer


async def test_admin_creates_a_department(membership: ServiceUnderTest, admin_token: str) -> None:
    department = await create_department(membership, admin_token, ori=" il016z001 ", state="il")
    assert department["name"] == "Harlow Park Police Department"
    assert department["state"] == "IL"
    assert department["isMember"] is False
    assert department["record"] == {
        "ori": "IL016Z001",
        "swornOfficers": 46,
        "status": "PROSPECT",
        "joinedOn": None,
    }


async def test_bad_input_names_every_field_and_writes_nothing(
    membership: ServiceUnderTest, admin_token: str, db: asyncpg.Connection
) -> None:
    answer = await membership.graphql(
        CREATE,
        {
            "input": department_input(
                name="  ", ori="IL01", state="ZZ", swornOfficers=0, county="x" * 101
            )
        },
        token=admin_token,
    )
    payload = answer["data"]["createDepartment"]
    assert payload["department"] is None
    fields = {error["field"]: error["message"] for error in payload["errors"]}
    assert set(fields) == {
        "input.name",
        "input.ori",
        "input.state",
        "input.county",
        "input.swornOfficers",
    }
    assert "two letters" in fields["input.state"]
    assert "9 characters" in fields["input.ori"]
    assert await db.fetchval("SELECT count(*) FROM departments") == 0


async def test_ori_must_match_the_state_and_be_unique(
    membership: ServiceUnderTest, admin_token: str, db: asyncpg.Connection
) -> None:
    answer = await membership.graphql(
        CREATE, {"input": department_input(ori="WI016Z001")}, token=admin_token
    )
    assert answer["data"]["createDepartment"]["errors"] == [
        {"field": "input.ori", "message": "This ORI belongs to WI, but the department is in IL."}
    ]
    await create_department(membership, admin_token)
    again = await membership.graphql(
        CREATE, {"input": department_input(name="Other")}, token=admin_token
    )
    assert again["data"]["createDepartment"]["errors"] == [
        {
            "field": "input.ori",
            "message": "IL016Z001 already belongs to Harlow Park Police Department.",
        }
    ]
    assert await db.fetchval("SELECT count(*) FROM departments") == 1


UPDATE = """
mutation Update($id: ID!, $input: DepartmentChanges!) {
  updateDepartment(id: $id, input: $input) {
    department { id name record { swornOfficers civiliansEnrolled status joinedOn } }
    errors { field message }
  }
}
"""


async def test_update_changes_only_given_fields(
    membership: ServiceUnderTest, admin_token: str
) -> None:
    department = await create_department(membership, admin_token)
    answer = await membership.graphql(
        UPDATE,
        {"id": department["id"], "input": {"swornOfficers": 48, "status": "ACTIVE"}},
        token=admin_token,
    )
    updated = answer["data"]["updateDepartment"]
    assert updated["errors"] == []
    assert updated["department"]["name"] == "Harlow Park Police Department"
    record = updated["department"]["record"]
    assert record["swornOfficers"] == 48
    assert record["civiliansEnrolled"] is True
    assert record["status"] == "ACTIVE"
    assert record["joinedOn"] is not None  # becoming active sets the join date


async def test_update_of_unknown_or_malformed_id_is_not_found(
    membership: ServiceUnderTest, admin_token: str
) -> None:
    for unknown in ("7d1f6c1e-0000-4000-8000-000000000000", "not-an-id"):
        answer = await membership.graphql(
            UPDATE, {"id": unknown, "input": {"name": "X"}}, token=admin_token
        )
        assert "errors" not in answer
        assert answer["data"]["updateDepartment"] == {
            "department": None,
            "errors": [{"field": "id", "message": "There is no department with this id."}],
        }


async def test_invalid_update_leaves_the_department_unchanged(
    membership: ServiceUnderTest, admin_token: str, db: asyncpg.Connection
) -> None:
    department = await create_department(membership, admin_token)
    answer = await membership.graphql(
        UPDATE,
        {"id": department["id"], "input": {"name": "New name", "state": "WI"}},
        token=admin_token,
    )
    assert [error["field"] for error in answer["data"]["updateDepartment"]["errors"]] == [
        "input.ori"
    ]
    assert await db.fetchval("SELECT name FROM departments") == "Harlow Park Police Department"


async def test_only_network_admins_manage_departments(
    membership: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    for roles in (("officer",), ("coordinator",), ("vetter", "peer_supporter")):
        answer = await membership.graphql(
            CREATE, {"input": department_input()}, token=issuer.token(*roles)
        )
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert answer["errors"][0]["path"] == ["createDepartment"]
    anonymous = await membership.graphql(CREATE, {"input": department_input()})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await db.fetchval("SELECT count(*) FROM departments") == 0


RECORD = "query($id: ID!) { department(id: $id) { name record { ori swornOfficers } } }"


async def test_coordinators_read_only_their_own_department_record(
    membership: ServiceUnderTest, admin_token: str, issuer: TokenIssuer
) -> None:
    own = await create_department(membership, admin_token)
    other = await create_department(
        membership, admin_token, name="Fenwood Police Department", ori="IL022Z001", county="DuPage"
    )
    coordinator = issuer.token("coordinator", "officer", department=own["id"])

    mine = await membership.graphql(RECORD, {"id": own["id"]}, token=coordinator)
    assert mine == {
        "data": {
            "department": {"name": own["name"], "record": {"ori": "IL016Z001", "swornOfficers": 46}}
        }
    }

    theirs = await membership.graphql(RECORD, {"id": other["id"]}, token=coordinator)
    assert theirs["data"] == {"department": {"name": "Fenwood Police Department", "record": None}}
    assert theirs["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert theirs["errors"][0]["path"] == ["department", "record"]

    officer = issuer.token("officer", department=own["id"])
    plain = await membership.graphql(RECORD, {"id": own["id"]}, token=officer)
    assert plain["data"]["department"]["record"] is None
    assert plain["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_unknown_department_is_null(
    membership: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    token = issuer.token("officer")
    for unknown in ("7d1f6c1e-0000-4000-8000-000000000000", "IL016Z001"):
        answer = await membership.graphql(
            "query($id: ID!) { department(id: $id) { name } }", {"id": unknown}, token=token
        )
        assert answer == {"data": {"department": None}}


MEMBERS = """
query($first: Int!, $after: String, $state: String) {
  memberDepartments(first: $first, after: $after, state: $state) {
    nodes { name county state }
    pageInfo { endCursor hasNextPage }
  }
}
"""


async def test_member_list_shows_active_departments_in_pages(
    membership: ServiceUnderTest, admin_token: str, issuer: TokenIssuer
) -> None:
    names = [
        ("Ashgrove", "IL022Z002", "DuPage", "IL"),
        ("Fenwood", "IL022Z001", "DuPage", "IL"),
        ("Harlow Park", "IL016Z001", "Cook", "IL"),
        ("Dunmore Flats", "IN045Z001", "Lake", "IN"),
    ]
    for name, ori, county, state in names:
        await create_department(
            membership, admin_token, name=name, ori=ori, county=county, state=state, status="ACTIVE"
        )
    await create_department(membership, admin_token, name="Wrenfield", ori="IL016Z004")  # prospect
    officer = issuer.token("officer")

    first = await membership.graphql(MEMBERS, {"first": 3}, token=officer)
    page = first["data"]["memberDepartments"]
    assert [node["name"] for node in page["nodes"]] == ["Harlow Park", "Ashgrove", "Fenwood"]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await membership.graphql(
        MEMBERS, {"first": 3, "after": page["pageInfo"]["endCursor"]}, token=officer
    )
    rest = second["data"]["memberDepartments"]
    assert rest["nodes"] == [{"name": "Dunmore Flats", "county": "Lake", "state": "IN"}]
    assert rest["pageInfo"]["hasNextPage"] is False

    indiana = await membership.graphql(MEMBERS, {"first": 10, "state": "in"}, token=officer)
    assert [node["name"] for node in indiana["data"]["memberDepartments"]["nodes"]] == [
        "Dunmore Flats"
    ]

    anonymous = await membership.graphql(MEMBERS, {"first": 3})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_paging_arguments_are_explained(
    membership: ServiceUnderTest, issuer: TokenIssuer
) -> None:
    officer = issuer.token("officer")
    too_many = await membership.graphql(MEMBERS, {"first": 1000}, token=officer)
    assert too_many["errors"][0]["message"] == "`first` must be between 1 and 100."
    forged = await membership.graphql(
        MEMBERS, {"first": 5, "after": "bm90LWEtY3Vyc29y"}, token=officer
    )
    assert forged["errors"][0]["message"] == "The `after` cursor is not one this service issued."


async def test_admin_lists_every_department_by_status(
    membership: ServiceUnderTest, admin_token: str, issuer: TokenIssuer
) -> None:
    await create_department(membership, admin_token, status="ACTIVE")
    await create_department(
        membership, admin_token, name="Wrenfield", ori="IL016Z004", status="SUSPENDED"
    )
    query = "query($status: DepartmentStatus) { departments(status: $status) { nodes { name } } }"
    everything = await membership.graphql(query, {}, token=admin_token)
    assert [n["name"] for n in everything["data"]["departments"]["nodes"]] == [
        "Harlow Park Police Department",
        "Wrenfield",
    ]
    suspended = await membership.graphql(query, {"status": "SUSPENDED"}, token=admin_token)
    assert [n["name"] for n in suspended["data"]["departments"]["nodes"]] == ["Wrenfield"]
    officer = await membership.graphql(query, {}, token=issuer.token("officer"))
    assert officer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_public_figures_count_only_active_members(
    membership: ServiceUnderTest, admin_token: str
) -> None:
    await create_department(membership, admin_token, status="ACTIVE")
    await create_department(membership, admin_token, name="B", ori="IL016Z002", status="ACTIVE")
    await create_department(
        membership,
        admin_token,
        name="C",
        ori="IN045Z001",
        county="Lake",
        state="IN",
        status="ACTIVE",
    )
    await create_department(membership, admin_token, name="D", ori="IL022Z001", county="DuPage")
    answer = await membership.graphql("{ membershipFigures { memberDepartments counties states } }")
    assert answer == {
        "data": {"membershipFigures": {"memberDepartments": 3, "counties": 2, "states": 2}}
    }


CIVILIANS = """
mutation Civilians($id: ID!, $enrolled: Boolean!) {
  setCivilianAccess(departmentId: $id, enrolled: $enrolled) {
    department { record { civiliansEnrolled swornOfficers } }
    errors { field message }
  }
}
"""


async def test_a_coordinator_switches_civilian_access_for_their_own_department_only(
    membership: ServiceUnderTest, admin_token: str, issuer: TokenIssuer
) -> None:
    own = await create_department(membership, admin_token)
    other = await create_department(
        membership, admin_token, name="Fenwood Police Department", ori="IL016Z002"
    )
    coordinator = issuer.token("coordinator", "officer", department=own["id"])
    off = await membership.graphql(
        CIVILIANS, {"id": own["id"], "enrolled": False}, token=coordinator
    )
    assert off["data"]["setCivilianAccess"] == {
        "department": {"record": {"civiliansEnrolled": False, "swornOfficers": 46}},
        "errors": [],
    }
    on = await membership.graphql(CIVILIANS, {"id": own["id"], "enrolled": True}, token=coordinator)
    assert on["data"]["setCivilianAccess"]["department"]["record"]["civiliansEnrolled"] is True

    elsewhere = await membership.graphql(
        CIVILIANS, {"id": other["id"], "enrolled": False}, token=coordinator
    )
    assert elsewhere["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    officer = issuer.token("officer", department=own["id"])
    refused = await membership.graphql(
        CIVILIANS, {"id": own["id"], "enrolled": False}, token=officer
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    by_admin = await membership.graphql(
        CIVILIANS, {"id": other["id"], "enrolled": False}, token=admin_token
    )
    assert by_admin["data"]["setCivilianAccess"]["errors"] == []
    missing = await membership.graphql(
        CIVILIANS, {"id": "not-an-id", "enrolled": False}, token=admin_token
    )
    assert missing["data"]["setCivilianAccess"]["errors"][0]["field"] == "departmentId"
