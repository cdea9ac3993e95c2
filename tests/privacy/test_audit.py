"""The privacy audit: people use the whole stack, then every table, span, metric and log line
is searched for anything that could single one of them out.

Officers of three departments sign in through the gateway and the development IdP, search
supporters and professionals, open profiles and "call" them (fetch the `tel:`/`sms:` links
and phone numbers), a peer supporter creates and edits their profile and files a monthly
report, a professional applies (multipart, with PDFs), two vetters approve it, and
anyone reads the network figures. Each process exports its spans and metrics as JSON lines
(``WNWA_TELEMETRY_EXPORTER=file:<dir>``); every process's log lines are captured from
`wnwa up`'s output.

Allowed, and only there: a peer supporter's pseudonym in their own profile row
(``peer_supporters.owner_subject``), which is how they edit it (DESIGN, privacy rule 3); the
vetters' pseudonyms in the professionals service's vetting records, which are staff actions on
an application (docs/professionals.md). Names, emails, upstream subjects, tokens, the client
address and user agent are allowed nowhere, not even there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.identity import devidp
from services.identity.devidp.accounts import TENANTS
from tests.privacy.leaks import Forbidden, address_columns, find_leaks, jwt_subject, table_texts
from tests.services.professionals.conftest import SUBMIT, application_input, small_pdf
from tests.support.stack import Stack, running_stack, sign_in

pytestmark = pytest.mark.slow

CLIENT_ADDRESS = "203.0.113.77"
USER_AGENT = "AuditBrowser/7.0 (privacy-audit; rv:7)"
OFFICERS = (
    "dana.whitlock@harlow-park.pd.example",
    "ruth.kowalczyk@fenwood.pd.example",
    "omar.lindqvist@westmere-village.pd.example",
    "priya.castellanos@harlow-park.pd.example",
)
SUPPORTER = "marcus.oyelaran@harlow-park.pd.example"
REPORTER = "theo.brandt@fenwood.pd.example"
VETTER = "morgan.ellery@staff.wnwa.example"
SECOND_VETTER = "jordan.avery@staff.wnwa.example"
# professionals' vetting records: staff actions, which hold the vetter's pseudonym by design
STAFF_ACTION_TABLES = {
    "wnwa_professionals.vetting_assignments",
    "wnwa_professionals.assessments",
    "wnwa_professionals.vetting_decisions",
    "wnwa_professionals.status_changes",
    "wnwa_professionals.licenses",
}

SEARCH = """
query Search { searchPeerSupporters(first: 10) {
  matches { supporter { id displayName phone telLink smsLink department { id name } } } } }
"""
VIEW = "query View($id: ID!) { peerSupporter(id: $id) { displayName telLink bio availableNow } }"
PROFESSIONALS = """
query Professionals { professionals(search: {nearZipCode: "60606", withinMiles: 200}, first: 5) {
  nodes { id fullName phone website } } }
"""
PROFESSIONAL = "query Professional($id: ID!) { professional(id: $id) { fullName phone } }"


class Browser:
    """A person's browser on the gateway: cookies, a distinctive address and user agent."""

    def __init__(self, stack: Stack, email: str) -> None:
        self.email = email
        self.client = stack.browser()
        self.client.headers.update({"User-Agent": USER_AGENT, "X-Forwarded-For": CLIENT_ADDRESS})

    def sign_in(self) -> None:
        landing = sign_in(self.client, self.email)
        assert landing.status_code == 200, landing.text

    @property
    def tokens(self) -> list[str]:
        return [
            cookie.value
            for cookie in self.client.cookies.jar
            if cookie.name.startswith("wnwa") and cookie.value
        ]

    @property
    def subject(self) -> str:
        return jwt_subject(self.client.cookies["wnwa_access"])

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables or {}})
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data


def account_identifiers(email: str) -> dict[str, str]:
    """Email, login, upstream subject and name of a demo account, labelled."""
    login, _, domain = email.partition("@")
    tenant = next(t for t in TENANTS if t.email_domain == domain)
    account = next(a for a in tenant.accounts if a.login == login)
    name = " ".join(account.name.split()[-2:])  # without the rank
    return {
        email: f"email of {login}",
        login: f"login of {login}",
        f"{tenant.slug}|{login}": f"upstream subject of {login}",
        name: f"name of {login}",
    }


def use_the_stack(stack: Stack) -> list[Browser]:
    """Everything the audit does, as people would, through the gateway."""
    everyone = (*OFFICERS, SUPPORTER, REPORTER, VETTER, SECOND_VETTER)
    people = [Browser(stack, email) for email in everyone]
    for person in people:
        person.sign_in()
    officers, supporter, reporter, vetters = people[:4], people[4], people[5], people[6:]

    create = supporter.graphql(
        """mutation { createMyPeerSupporterProfile(input: {displayName: "Sgt. M.",
             phone: "+13125550177", languages: ["en"], areasOfSupport: [CRITICAL_INCIDENTS],
             zipCode: "60601"}) { supporter { id } errors { field message } } }"""
    )["createMyPeerSupporterProfile"]
    assert create["errors"] == [], create
    update = supporter.graphql(
        """mutation { updateMyPeerSupporterProfile(input: {bio: "Twenty years on patrol.",
             acceptsTexts: true}) { supporter { bio } errors { field message } } }"""
    )["updateMyPeerSupporterProfile"]
    assert update["errors"] == [], update

    for officer in officers:
        matches = officer.graphql(SEARCH)["searchPeerSupporters"]["matches"]
        assert matches
        for match in matches[:3]:  # open the profile and "call": fetch the links
            officer.graphql(VIEW, {"id": match["supporter"]["id"]})
        listed = officer.graphql(PROFESSIONALS)["professionals"]["nodes"]
        assert listed
        officer.graphql(PROFESSIONAL, {"id": listed[0]["id"]})

    month = dt.date.today().strftime("%Y-%m")
    filed = reporter.graphql(
        "mutation ($m: String!) { submitSupportReport(month: $m, officersSupported: 3) {"
        " accepted errors { field message } } }",
        {"m": month},
    )["submitSupportReport"]
    assert filed == {"accepted": True, "errors": []}
    with httpx.Client(base_url=stack.gateway, timeout=15) as anyone:
        figures = anyone.post(
            "/graphql",
            json={
                "query": "{ networkFigures { memberDepartments activePeerSupporters"
                " vettedProfessionals resources } }"
            },
        ).json()["data"]["networkFigures"]
    assert all(isinstance(value, int) and value > 0 for value in figures.values()), figures

    reference = apply_as_a_professional(stack)
    vet(vetters, reference)
    return people


def apply_as_a_professional(stack: Stack) -> str:
    """The public application, multipart through the gateway, with real PDFs."""
    documents = [
        ("LICENSE_COPY", small_pdf()),
        ("CV", small_pdf("CV")),
        ("LIABILITY_INSURANCE", small_pdf("Policy")),
    ]
    operations = {
        "query": SUBMIT,
        "variables": {
            "input": application_input(clientKey=uuid.uuid4().hex),
            "documents": [{"kind": kind, "file": None} for kind, _ in documents],
        },
    }
    files = {
        str(i): (f"doc{i}.pdf", content, "application/pdf")
        for i, (_, content) in enumerate(documents)
    }
    with httpx.Client(base_url=stack.gateway, timeout=15) as client:
        response = client.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({key: [f"variables.documents.{key}.file"] for key in files}),
            },
            files=files,
            headers={
                "X-WNWA-Request": "form",
                "User-Agent": USER_AGENT,
                "X-Forwarded-For": CLIENT_ADDRESS,
            },
        )
    payload = response.json()["data"]["submitProfessionalApplication"]
    assert payload["errors"] == [], payload
    reference: str = payload["reference"]
    return reference


def vet(vetters: list[Browser], reference: str) -> None:
    """Two vetters assign themselves and assess; one schedules; the consensus approves."""
    first = vetters[0]
    app_id = first.graphql(
        "query ($r: String!) { application(reference: $r) { id } }", {"r": reference}
    )["application"]["id"]
    assign = "mutation ($id: ID!) { assignVetter(applicationId: $id) { errors { field message } } }"
    schedule = """mutation ($id: ID!, $at: DateTime!) {
        scheduleAssessment(applicationId: $id, at: $at) { errors { field message } } }"""
    assess = """mutation ($id: ID!) { recordAssessment(applicationId: $id, input: {
        licenseVerified: true, insuranceVerified: true, callbackHours: 2,
        responsiveToUrgentRequests: true, confidentialityPractices: true,
        hipaaVideoPlatform: true, lawEnforcementExperience: true,
        notes: "Office visit done.", vote: APPROVE}) { errors { field message } } }"""
    decide = """mutation ($id: ID!) { decideApplication(applicationId: $id) {
        application { status } errors { field message } } }"""
    for vetter in vetters:
        assert vetter.graphql(assign, {"id": app_id})["assignVetter"]["errors"] == []
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    assert first.graphql(schedule, {"id": app_id, "at": at})["scheduleAssessment"]["errors"] == []
    for vetter in vetters:
        assert vetter.graphql(assess, {"id": app_id})["recordAssessment"]["errors"] == []
    decided = vetters[-1].graphql(decide, {"id": app_id})["decideApplication"]
    assert decided["errors"] == [], decided
    assert decided["application"]["status"] == "APPROVED"


def stack_database_url(data_dir: Path) -> str:
    """The embedded server `wnwa up` runs, from its postmaster.pid (port, socket folder)."""
    lines = (data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()
    port, socket_dir = lines[3].strip(), lines[4].strip()
    return f"postgresql://postgres@/postgres?host={socket_dir}&port={port}"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("audit-stack")
    telemetry_dir = tmp_path_factory.mktemp("audit-telemetry")
    with running_stack(data_dir, WNWA_TELEMETRY_EXPORTER=f"file:{telemetry_dir}") as stack:
        people = use_the_stack(stack)
        for person in people:
            person.client.close()
        server = stack_database_url(data_dir)
        rows: list[tuple[str, str]] = []
        address_typed: list[str] = []
        for name in ("identity", "directory", "membership", "professionals"):
            url = server.replace("/postgres?", f"/wnwa_{name}?")
            rows += asyncio.run(table_texts(url, f"wnwa_{name}"))
            address_typed += asyncio.run(address_columns(url))
    return {
        "people": people,
        "rows": rows,
        "address_columns": address_typed,
        "logs": list(stack.output),
        "telemetry_dir": telemetry_dir,
    }


def forbidden_for(people: list[Browser]) -> Forbidden:
    forbidden = Forbidden()
    forbidden.add(CLIENT_ADDRESS, "client address")
    forbidden.add(USER_AGENT, "user agent")
    for person in people:
        for value, label in account_identifiers(person.email).items():
            forbidden.add(value, label)
        login = person.email.split("@")[0]
        forbidden.add(person.subject, f"pseudonym of {login}")
        for token in person.tokens:
            forbidden.add(token, f"a cookie of {login}")
    return forbidden


def telemetry_lines(folder: Path) -> list[tuple[str, str]]:
    return [
        (f"{path.name}:{number}", line)
        for path in sorted(folder.iterdir())
        for number, line in enumerate(path.read_text().splitlines())
    ]


def test_the_audit_covered_every_process(audited: dict[str, Any]) -> None:
    spans = [
        json.loads(line)
        for name, line in telemetry_lines(audited["telemetry_dir"])
        if ".spans." in name
    ]
    services = {span["resource"]["attributes"]["service.name"] for span in spans}
    assert services >= {"wnwa-gateway", "wnwa-identity", "wnwa-directory", "wnwa-professionals"}
    # one request is one trace: a subgraph's server span continues the gateway's client span
    by_id = {span["context"]["span_id"]: span for span in spans}
    crossing = [
        span
        for span in spans
        if span["resource"]["attributes"]["service.name"] == "wnwa-directory"
        and span["kind"] == "SpanKind.SERVER"
        and span["parent_id"] in by_id
        and by_id[span["parent_id"]]["resource"]["attributes"]["service.name"] == "wnwa-gateway"
    ]
    assert crossing
    assert {span["attributes"].get("http.route") for span in crossing} == {"/graphql"}
    database_spans = [span for span in spans if span["attributes"].get("db.system") == "postgresql"]
    assert database_spans
    keys = {key for span in spans for key in span["attributes"]}
    assert keys <= {
        "http.request.method",
        "http.route",
        "http.response.status_code",
        "graphql.operation.type",
        "graphql.operation.name",
        "db.system",
        "db.operation.name",
        "error.type",
        "wnwa.subgraph",
        "wnwa.outcome",
    }


def test_no_table_holds_anyone_outside_the_allowed_places(audited: dict[str, Any]) -> None:
    people: list[Browser] = audited["people"]
    forbidden = forbidden_for(people)
    supporter = next(p for p in people if p.email == SUPPORTER)
    vetters = [p for p in people if p.email in (VETTER, SECOND_VETTER)]
    assert audited["address_columns"] == []
    leaks = []
    for where, text in audited["rows"]:
        table = where.split("#")[0]
        allowed = forbidden
        if table == "wnwa_directory.peer_supporters" and supporter.subject in text:
            allowed = allowed.without(f"pseudonym of {SUPPORTER.split('@')[0]}")
        if table in STAFF_ACTION_TABLES:
            allowed = allowed.without(*(f"pseudonym of {v.email.split('@')[0]}" for v in vetters))
        leaks += find_leaks([(where, text)], allowed)
    assert leaks == [], "\n".join(map(str, leaks))
    # the allowed places really hold them: the exceptions above are not vacuous
    texts = {where.split("#")[0]: text for where, text in audited["rows"]}
    assert any(
        supporter.subject in text
        for where, text in audited["rows"]
        if where.startswith("wnwa_directory.peer_supporters")
    )
    for vetter in vetters:
        assert any(
            vetter.subject in text
            for where, text in audited["rows"]
            if where.split("#")[0] in STAFF_ACTION_TABLES
        )
    assert texts


def test_no_span_metric_or_log_line_holds_anyone(audited: dict[str, Any]) -> None:
    forbidden = forbidden_for(audited["people"])
    banner = {f"  {line}" for line in devidp.demo_logins()}  # `wnwa up` prints the demo logins
    logs = [
        (f"log line {number}", line)
        for chunk in audited["logs"]
        for number, line in enumerate(chunk.splitlines())
        if line.rstrip("\n") not in banner
    ]
    assert logs
    leaks = find_leaks(telemetry_lines(audited["telemetry_dir"]) + logs, forbidden)
    assert leaks == [], "\n".join(map(str, leaks))
