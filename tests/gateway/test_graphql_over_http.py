"""GraphQL over HTTP at the gateway and the subgraphs: the official audits (the npm package
`graphql-http`), the answers' media types and statuses, and what the gateway refuses at its
HTTP edge before any subgraph is asked."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.settings import load
from tests.gateway.conftest import Federation, GatewayClient, gateway_for
from tests.support.servers import serving

pytestmark = pytest.mark.slow  # real subgraph servers, and Node.js for the audits

PROJECT = Path(__file__).resolve().parents[2]
AUDIT = PROJECT / "tools" / "graphql-http-audit" / "audit.mjs"
MODULES = PROJECT / ".wnwa" / "graphql-http"
# the versions .ci/run installs (a test below holds the two together)
PINNED = ("graphql-http@1.23.1", "graphql@16.15.0")
GRAPHQL_RESPONSE = "application/graphql-response+json"


def test_ci_installs_the_audits_this_test_pins() -> None:
    ci = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    for package in PINNED:
        assert package in ci
    assert "--prefix .wnwa/graphql-http" in ci


async def _installed_audits() -> str:
    """Node.js, with the pinned `graphql-http` under .wnwa/ (installed now when missing)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        pytest.skip("the GraphQL over HTTP audits run in Node.js, which this machine lacks")
    installed = MODULES / "node_modules" / "graphql-http" / "package.json"
    version = json.loads(installed.read_text())["version"] if installed.exists() else None
    if f"graphql-http@{version}" not in PINNED:
        assert npm is not None, "npm is needed to install graphql-http (.ci/run installs it)"
        install = await asyncio.create_subprocess_exec(
            npm,
            "install",
            "--prefix",
            str(MODULES),
            "--no-audit",
            "--no-fund",
            "--silent",
            *PINNED,
        )
        assert await asyncio.wait_for(install.wait(), 300) == 0
    return node


async def audit(*urls: str) -> dict[str, list[dict[str, Any]]]:
    node = await _installed_audits()
    # the servers run on this very event loop: the audits must not block it
    process = await asyncio.create_subprocess_exec(
        node,
        str(AUDIT),
        str(MODULES),
        *urls,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode()
    results: dict[str, list[dict[str, Any]]] = json.loads(out)
    return results


async def test_the_gateway_and_every_subgraph_pass_every_must_and_should_audit(
    federation: Federation,
) -> None:
    app = create_app(load(federation.gateway_environment()))
    async with serving(app) as base:
        gateway = f"{base}/graphql"
        results = await audit(gateway, *federation.urls.values())
    for url, audits in results.items():
        assert len(audits) > 40, url  # the whole list ran
        required = [a for a in audits if a["name"].startswith(("MUST", "SHOULD"))]
        failed = [a for a in required if a["status"] != "ok"]
        assert failed == [], (url, failed)
    musts = [a for a in results[gateway] if a["name"].startswith("MUST")]
    assert len(musts) >= 13


async def test_the_gateway_answers_in_the_media_type_asked_for_with_its_status(
    gateway: GatewayClient,
) -> None:
    async def post(query: str, accept: str) -> tuple[int, str, dict[str, Any]]:
        response = await gateway.http.post(
            "/graphql", json={"query": query}, headers={"Accept": accept}
        )
        return response.status_code, response.headers["content-type"], response.json()

    cases = {
        "{ feeTiers { minSwornOfficers } }": (200, 200),  # data
        "{ feeTiers { ": (200, 400),  # does not parse
        "{ nope }": (200, 400),  # does not validate
        "{ memberDepartments { nodes { name } } }": (200, 401),  # needs a sign-in
    }
    for query, (legacy, strict) in cases.items():
        status, media_type, answer = await post(query, "application/json")
        assert (status, media_type) == (legacy, "application/json"), (query, answer)
        status, media_type, answer = await post(query, f"{GRAPHQL_RESPONSE}, application/json")
        assert (status, media_type) == (strict, GRAPHQL_RESPONSE), (query, answer)
        assert ("data" in answer) == (strict == 200), answer


@pytest.mark.parametrize("variables", [0, False, "", [], "{}", 7])
async def test_variables_that_are_not_an_object_are_refused(
    gateway: GatewayClient, variables: object
) -> None:
    response = await gateway.http.post(
        "/graphql", json={"query": "{ __typename }", "variables": variables}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "`variables`" in error["message"]


@pytest.mark.parametrize("extensions", ["x", 0, False, []])
async def test_extensions_that_are_not_an_object_are_refused(
    gateway: GatewayClient, extensions: object
) -> None:
    response = await gateway.http.post(
        "/graphql", json={"query": "{ __typename }", "extensions": extensions}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("query", "operation_name", "words"),
    [
        ("query A { __typename }", "B", "no operation named 'B'"),
        ("query A { __typename } query B { __typename }", None, "name one with operationName"),
    ],
    ids=["unknown", "missing"],
)
async def test_an_operation_name_the_document_cannot_answer_has_a_code(
    gateway: GatewayClient, query: str, operation_name: str | None, words: str
) -> None:
    body: dict[str, Any] = {"query": query}
    if operation_name:
        body["operationName"] = operation_name
    response = await gateway.http.post("/graphql", json=body)
    assert response.status_code == 400  # as each subgraph answers it
    answer = response.json()
    assert "data" not in answer
    [error] = answer["errors"]
    assert words in error["message"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}


UNREADABLE_MULTIPART = {
    "no boundary": ("multipart/form-data", b"--x\r\n"),
    "a body that is not multipart": ("multipart/form-data; boundary=x", b"garbage\r\n--y--"),
    "too many fields": (
        "multipart/form-data; boundary=x",
        b"".join(
            b'--x\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % index
            for index in range(60)
        )
        + b"--x--\r\n",
    ),
}


@pytest.mark.parametrize(
    ("content_type", "body"), UNREADABLE_MULTIPART.values(), ids=UNREADABLE_MULTIPART.keys()
)
async def test_unreadable_multipart_bodies_get_a_graphql_error_not_plain_text(
    gateway: GatewayClient, content_type: str, body: bytes
) -> None:
    response = await gateway.http.post(
        "/graphql",
        content=body,
        headers={"Content-Type": content_type, "X-WNWA-Request": "portal"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


GATEWAY_CONTROL_CASES = [
    # role (None: anonymous), query, variables, what the message names
    (None, r'{ newsPost(slug: "a\u0000b") { title } }', {}, "`slug` of `newsPost`"),
    (None, "query($s: String!) { newsPost(slug: $s) { title } }", {"s": "a\x00b"}, "`$s`"),
    (
        None,
        r'{ applicationStatus(reference: "APP-1", secret: "\u0000") { status } }',
        {},
        "`secret` of `applicationStatus`",
    ),
    ("vetter", r'{ application(reference: "a\bb") { id } }', {}, "`reference` of `application`"),
    (
        None,
        "mutation($in: JoinInquiryInput!) { submitJoinInquiry(input: $in) { reference } }",
        {
            "in": {
                "agency": "Wrenfield Police Department",
                "contactName": "Dana\x00",
                "contactRole": "Chief",
                "email": "chief@wrenfield.example",
                "message": "Line one\nline two\ttabbed",
            }
        },
        "`$in.contactName`",
    ),
]


@pytest.mark.parametrize(
    ("role", "query", "variables", "named"),
    GATEWAY_CONTROL_CASES,
    ids=[case[3] for case in GATEWAY_CONTROL_CASES],
)
async def test_the_gateway_refuses_control_characters_naming_the_argument(
    federation: Federation,
    caplog: pytest.LogCaptureFixture,
    role: str | None,
    query: str,
    variables: dict[str, Any],
    named: str,
) -> None:
    caplog.set_level(logging.WARNING)
    token = federation.issuer.token(role) if role else None
    async with gateway_for(federation) as gateway:
        answer = await gateway(query, variables, token=token)
        strict = await gateway.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={
                "Accept": GRAPHQL_RESPONSE,
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
    assert "data" not in answer, answer
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert named in error["message"]
    assert "control character" in error["message"]
    assert strict.status_code == 400
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (
            'mutation($id: ID!) { recordSubscriptionTerm(departmentId: $id, startsOn: "2025-02-30")'
            " { errors { field } } }",
            {},
        ),
        (
            "mutation($id: ID!, $on: Date) { recordSubscriptionTerm(departmentId: $id,"
            " startsOn: $on) { errors { field } } }",
            {"on": "2025-02-30"},
        ),
        (
            'mutation($id: ID!) { scheduleAssessment(applicationId: $id, at: "soon")'
            " { errors { field } } }",
            {},
        ),
    ],
    ids=["date literal", "date variable", "date-time literal"],
)
async def test_a_date_that_is_no_date_is_a_request_error_without_data(
    gateway: GatewayClient, federation: Federation, query: str, variables: dict[str, Any]
) -> None:
    admin = federation.issuer.token("network_admin", "vetter")
    variables = {"id": "00000000-0000-4000-8000-000000000000", **variables}
    answer = await gateway(query, variables, token=admin)
    assert "data" not in answer, answer
    [error] = answer["errors"]
    assert "path" not in error
    assert error["extensions"]["code"] in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT")
    assert "Date" in error["message"]


async def test_a_news_address_holding_a_control_character_is_not_found(
    gateway: GatewayClient, caplog: pytest.LogCaptureFixture
) -> None:
    # the portal's page asks the pipeline directly, past the HTTP edge: it checks the slug
    caplog.set_level(logging.WARNING)
    page = await gateway.http.get("/news/a%00b")
    assert page.status_code == 404
    assert "There is no such post" in page.text
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
