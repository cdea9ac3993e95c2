"""A department's own lines: its coordinators add the EAP number, a chaplain, the peer-team
lead, family support; its own people see them beside the network's, marked as the
department's; nobody else sees or changes them."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import FENWOOD, HARLOW
from tests.support.tokens import TokenIssuer

FIELDS = "resource { id title category department { id } retired telLink } errors { field message }"
CREATE = f"""mutation($input: WellbeingResourceInput!) {{
  createDepartmentResource(input: $input) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: WellbeingResourceChanges!) {{
  updateDepartmentResource(id: $id, input: $input) {{ {FIELDS} }} }}"""
RETIRE = f"""mutation($id: ID!, $retired: Boolean! = true) {{
  retireDepartmentResource(id: $id, retired: $retired) {{ {FIELDS} }} }}"""
NETWORK_CREATE = f"""mutation($input: WellbeingResourceInput!) {{
  createWellbeingResource(input: $input) {{ {FIELDS} }} }}"""
NETWORK_UPDATE = f"""mutation($id: ID!, $input: WellbeingResourceChanges!) {{
  updateWellbeingResource(id: $id, input: $input) {{ {FIELDS} }} }}"""
NETWORK_RETIRE = f"""mutation($id: ID!) {{ retireWellbeingResource(id: $id) {{ {FIELDS} }} }}"""
LIST = "query { wellbeingResources { title category department { id } } }"
OWN = "query { departmentWellbeingResources { title retired department { id } } }"
CHAPLAIN = {
    "title": "Chaplain Ruth Adeyemi",
    "description": "The department's chaplain, any faith or none; she keeps what you say.",
    "phone": "+13125550177",
    "category": "CHAPLAIN",
    "audience": "OFFICERS",
}


async def listed(directory: ServiceUnderTest, token: str) -> list[dict[str, Any]]:
    answer = await directory.graphql(LIST, token=token)
    assert "errors" not in answer, answer
    resources: list[dict[str, Any]] = answer["data"]["wellbeingResources"]
    return resources


async def payload_of(
    directory: ServiceUnderTest, query: str, variables: dict[str, Any], token: str
) -> Any:
    """The one root field's answer (a payload, or a list)."""
    answer = await directory.graphql(query, variables, token=token)
    assert "errors" not in answer, answer
    return next(iter(answer["data"].values()))


async def test_only_the_departments_own_people_see_its_lines_marked_as_its_own(
    directory: ServiceUnderTest, issuer: TokenIssuer, admin_token: str
) -> None:
    coordinator = issuer.token("coordinator", department=HARLOW)
    await payload_of(
        directory,
        NETWORK_CREATE,
        {
            "input": {
                "title": "988 Lifeline",
                "description": "Call or text 988.",
                "phone": "988",
                "category": "CRISIS_LINE",
            }
        },
        admin_token,
    )
    created = await payload_of(directory, CREATE, {"input": CHAPLAIN}, coordinator)
    assert created["errors"] == []
    assert created["resource"]["department"] == {"id": str(HARLOW)}
    assert created["resource"]["category"] == "CHAPLAIN"
    assert created["resource"]["telLink"] == "tel:+13125550177"
    eap = await payload_of(
        directory,
        CREATE,
        {
            "input": {
                "title": "Harlow Park EAP",
                "description": "Six free sessions a year.",
                "phone": "+13125550178",
                "category": "EMPLOYEE_ASSISTANCE",
            }
        },
        coordinator,
    )
    assert eap["errors"] == []

    own_officer = issuer.token("officer", department=HARLOW)
    assert [(r["title"], r["department"]) for r in await listed(directory, own_officer)] == [
        ("988 Lifeline", None),  # crisis lines first
        ("Chaplain Ruth Adeyemi", {"id": str(HARLOW)}),
        ("Harlow Park EAP", {"id": str(HARLOW)}),
    ]
    # another department's officer, and the network's admin, see the network's only
    other_officer = issuer.token("officer", department=FENWOOD)
    assert [r["title"] for r in await listed(directory, other_officer)] == ["988 Lifeline"]
    assert [r["title"] for r in await listed(directory, admin_token)] == ["988 Lifeline"]
    other_coordinator = issuer.token("coordinator", department=FENWOOD)
    assert await payload_of(directory, OWN, {}, other_coordinator) == []
    # the network's public figures count the network's resources, not departments' lines
    figures = await directory.graphql(
        "{ directoryFigures { resources } }", token=issuer.token("service")
    )
    assert figures["data"]["directoryFigures"] == {"resources": 1}


async def test_nobody_else_changes_a_departments_lines(
    directory: ServiceUnderTest, issuer: TokenIssuer, admin_token: str, db: asyncpg.Connection
) -> None:
    coordinator = issuer.token("coordinator", department=HARLOW)
    created = await payload_of(directory, CREATE, {"input": CHAPLAIN}, coordinator)
    chaplain = created["resource"]["id"]
    network = await payload_of(
        directory,
        NETWORK_CREATE,
        {
            "input": {
                "title": "Network",
                "description": "d",
                "url": "https://example.org",
                "category": "ARTICLE",
            }
        },
        admin_token,
    )
    network_id = network["resource"]["id"]
    before = await db.fetch("SELECT * FROM wellbeing_resources ORDER BY id")

    # officers and supporters of the department may not add to its list
    for role in ("officer", "peer_supporter", "network_admin"):
        refused = await directory.graphql(
            CREATE, {"input": CHAPLAIN}, token=issuer.token(role, department=HARLOW)
        )
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # another department's coordinator, the network's admin: no such resource for them
    other = issuer.token("coordinator", department=FENWOOD)
    for query, token, id_ in (
        (UPDATE, other, chaplain),
        (RETIRE, other, chaplain),
        (NETWORK_UPDATE, admin_token, chaplain),
        (NETWORK_RETIRE, admin_token, chaplain),
        (UPDATE, coordinator, network_id),  # nor a coordinator the network's
        (RETIRE, coordinator, network_id),
    ):
        variables: dict[str, Any] = {"id": id_}
        if query in (UPDATE, NETWORK_UPDATE):
            variables["input"] = {"title": "Changed"}
        payload = await payload_of(directory, query, variables, token)
        assert payload["resource"] is None
        assert payload["errors"] == [
            {"field": "id", "message": "There is no resource with this id."}
        ], query
    assert await db.fetch("SELECT * FROM wellbeing_resources ORDER BY id") == before

    # the department's own coordinator changes and retires it; its officers then lose it
    changed = await payload_of(
        directory, UPDATE, {"id": chaplain, "input": {"title": "Chaplain R. Adeyemi"}}, coordinator
    )
    assert changed["resource"]["title"] == "Chaplain R. Adeyemi"
    retired = await payload_of(directory, RETIRE, {"id": chaplain}, coordinator)
    assert retired["resource"]["retired"] is True
    officer = issuer.token("officer", department=HARLOW)
    assert [r["title"] for r in await listed(directory, officer)] == ["Network"]
    assert await payload_of(directory, OWN, {}, coordinator) == [
        {"title": "Chaplain R. Adeyemi", "retired": True, "department": {"id": str(HARLOW)}}
    ]


async def test_a_wrong_line_is_a_field_error_and_a_department_list_has_a_limit(
    directory: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection
) -> None:
    coordinator = issuer.token("coordinator", department=HARLOW)
    wrong = await payload_of(
        directory,
        CREATE,
        {"input": {**CHAPLAIN, "phone": "call me", "url": "http://example.org"}},
        coordinator,
    )
    assert wrong["resource"] is None
    assert {error["field"] for error in wrong["errors"]} == {"input.phone", "input.url"}
    assert await db.fetchval("SELECT count(*) FROM wellbeing_resources") == 0
    await db.executemany(
        "INSERT INTO wellbeing_resources (department_id, title, description, phone, category,"
        " audience) VALUES ($1, $2, 'd', '+13125550100', 'other', 'everyone')",
        [(HARLOW, f"Line {number}") for number in range(50)],
    )
    full = await payload_of(directory, CREATE, {"input": CHAPLAIN}, coordinator)
    assert full["resource"] is None
    assert "change or retire one" in full["errors"][0]["message"]
    # another department's list is its own
    other = issuer.token("coordinator", department=FENWOOD)
    assert (await payload_of(directory, CREATE, {"input": CHAPLAIN}, other))["errors"] == []
