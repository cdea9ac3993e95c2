"""Curated well-being resources: admins curate, signed-in users read, crisis lines first."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.conftest import ServiceUnderTest
from tests.services.directory.conftest import HARLOW
from tests.support.tokens import TokenIssuer

CREATE = """
mutation($input: WellbeingResourceInput!) {
  createWellbeingResource(input: $input) {
    resource { id title category audience telLink smsLink url position retired }
    errors { field message }
  }
}
"""
LIST = """
query($category: ResourceCategory, $audience: ResourceAudience, $retired: Boolean! = false) {
  wellbeingResources(category: $category, audience: $audience, includeRetired: $retired) {
    title category
  }
}
"""


async def add(directory: ServiceUnderTest, token: str, **values: Any) -> dict[str, Any]:
    answer = await directory.graphql(CREATE, {"input": values}, token=token)
    payload: dict[str, Any] = answer["data"]["createWellbeingResource"]
    assert payload["errors"] == [], payload
    resource: dict[str, Any] = payload["resource"]
    return resource


async def test_crisis_lines_come_first_then_position(
    directory: ServiceUnderTest, issuer: TokenIssuer, admin_token: str
) -> None:
    await add(
        directory,
        admin_token,
        title="Article",
        description="d",
        url="https://example.org/a",
        category="ARTICLE",
        position=0,
    )
    await add(
        directory,
        admin_token,
        title="Partner",
        description="d",
        phone="+13125550100",
        category="NETWORK_PARTNER",
        audience="OFFICERS",
        position=5,
    )
    lifeline = await add(
        directory,
        admin_token,
        title="988 Lifeline",
        description="Call or text 988.",
        phone="988",
        textNumber="988",
        category="CRISIS_LINE",
        position=500,
    )
    assert lifeline["telLink"] == "tel:988"
    assert lifeline["smsLink"] == "sms:988"
    officer = issuer.token("officer", department=HARLOW)
    listed = await directory.graphql(LIST, token=officer)
    assert [r["title"] for r in listed["data"]["wellbeingResources"]] == [
        "988 Lifeline",
        "Article",
        "Partner",
    ]
    families = await directory.graphql(LIST, {"audience": "FAMILIES"}, token=officer)
    assert [r["title"] for r in families["data"]["wellbeingResources"]] == [
        "988 Lifeline",
        "Article",
    ]
    anonymous = await directory.graphql(LIST)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_admins_edit_and_retire(
    directory: ServiceUnderTest, issuer: TokenIssuer, admin_token: str
) -> None:
    resource = await add(
        directory,
        admin_token,
        title="Old",
        description="d",
        url="https://example.org",
        category="TRAINING",
    )
    update = """
    mutation($id: ID!, $input: WellbeingResourceChanges!) {
      updateWellbeingResource(id: $id, input: $input) {
        resource { title url telLink } errors { field }
      }
    }
    """
    changed = await directory.graphql(
        update,
        {"id": resource["id"], "input": {"title": "New", "phone": "+13125550100"}},
        token=admin_token,
    )
    assert changed["data"]["updateWellbeingResource"]["resource"] == {
        "title": "New",
        "url": "https://example.org",
        "telLink": "tel:+13125550100",
    }
    retire = "mutation($id: ID!) { retireWellbeingResource(id: $id) { resource { retired } } }"
    await directory.graphql(retire, {"id": resource["id"]}, token=admin_token)
    officer = issuer.token("officer", department=HARLOW)
    assert (await directory.graphql(LIST, token=officer))["data"]["wellbeingResources"] == []
    hidden = await directory.graphql(LIST, {"retired": True}, token=officer)
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    shown = await directory.graphql(LIST, {"retired": True}, token=admin_token)
    assert len(shown["data"]["wellbeingResources"]) == 1


async def test_only_admins_curate_and_bad_input_writes_nothing(
    directory: ServiceUnderTest, issuer: TokenIssuer, admin_token: str, db: asyncpg.Connection
) -> None:
    values = {"title": "T", "description": "d", "url": "https://x.org", "category": "ARTICLE"}
    for role in ("officer", "coordinator", "peer_supporter", "vetter"):
        answer = await directory.graphql(
            CREATE, {"input": values}, token=issuer.token(role, department=HARLOW)
        )
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await directory.graphql(
        CREATE,
        {
            "input": {
                "title": "t" * 121,
                "description": "",
                "url": "http://insecure.example",
                "phone": "12",
                "category": "CRISIS_LINE",
                "position": -1,
            }
        },
        token=admin_token,
    )
    fields = {e["field"] for e in bad["data"]["createWellbeingResource"]["errors"]}
    assert fields == {
        "input.title",
        "input.description",
        "input.url",
        "input.phone",
        "input.position",
    }
    nothing = await directory.graphql(
        CREATE,
        {"input": {"title": "T", "description": "d", "category": "ARTICLE"}},
        token=admin_token,
    )
    assert nothing["data"]["createWellbeingResource"]["errors"][0]["field"] == "input.url"
    assert await db.fetchval("SELECT count(*) FROM wellbeing_resources") == 0


async def test_crisis_lines_dial_their_extension_and_write_their_keyword(
    directory: ServiceUnderTest, admin_token: str
) -> None:
    veterans = await add(
        directory,
        admin_token,
        title="Veterans Crisis Line",
        description="Dial 988 then press 1, or text 838255.",
        phone="988",
        thenDial="1",
        textNumber="838255",
        category="CRISIS_LINE",
    )
    assert veterans["telLink"] == "tel:988,1"  # a comma pauses, then presses 1
    assert veterans["smsLink"] == "sms:838255"
    texting = await add(
        directory,
        admin_token,
        title="Crisis Text Line",
        description="Text HOME to 741741.",
        textNumber="741741",
        textKeyword="HOME",
        category="CRISIS_LINE",
    )
    assert texting["smsLink"] == "sms:741741?&body=HOME"
    assert texting["telLink"] is None
    for values, field in (
        ({"phone": "988", "thenDial": "one"}, "input.thenDial"),
        ({"url": "https://example.org", "thenDial": "1"}, "input.thenDial"),
        ({"textNumber": "741741", "textKeyword": "HOME NOW"}, "input.textKeyword"),
        ({"url": "https://example.org", "textKeyword": "HOME"}, "input.textKeyword"),
    ):
        refused = await directory.graphql(
            CREATE,
            {"input": {"title": "X", "description": "d", "category": "CRISIS_LINE", **values}},
            token=admin_token,
        )
        payload = refused["data"]["createWellbeingResource"]
        assert payload["resource"] is None
        assert field in {error["field"] for error in payload["errors"]}, payload


async def test_the_demo_crisis_lines_reach_the_right_place(databases: Any) -> None:
    from wnwa.registry import service_named

    directory = service_named("directory")
    url = await databases.fresh("directory", directory.migrations)
    connection = await asyncpg.connect(url)
    try:
        await directory.seed(connection)
        rows = await connection.fetch(
            "SELECT title, then_dial, text_keyword FROM wellbeing_resources"
            " WHERE title IN ('Veterans Crisis Line', 'Crisis Text Line') ORDER BY title"
        )
    finally:
        await connection.close()
    assert [tuple(row) for row in rows] == [
        ("Crisis Text Line", None, "HOME"),
        ("Veterans Crisis Line", "1", None),
    ]


async def test_the_officers_own_crisis_lines_come_right_after_988(
    directory: ServiceUnderTest, db: asyncpg.Connection, issuer: TokenIssuer
) -> None:
    from services.directory import demo

    assert await demo.seed(db)
    officer = issuer.token("officer", department=HARLOW)
    answer = await directory.graphql(
        "query { wellbeingResources { title telLink smsLink audience category } }", token=officer
    )
    listed = answer["data"]["wellbeingResources"]
    assert [(r["title"], r["telLink"], r["smsLink"]) for r in listed[:3]] == [
        ("988 Suicide & Crisis Lifeline", "tel:988", "sms:988"),
        ("COPLINE", "tel:+18002675463", None),  # 1-800-COPLINE, per copline.org
        ("Safe Call Now", "tel:+12064593020", None),
    ]
    assert {(r["category"], r["audience"]) for r in listed[1:3]} == {("CRISIS_LINE", "OFFICERS")}
