"""The privacy audit: people use the whole stack for a day, then every table, the WAL, every
heap and index file (dead row versions included), the database server's log, every exported
metric and every log line is searched for anything that could single one of them out.

Officers of three departments sign in through the gateway and the development IdP, search
supporters and professionals, open profiles and "call" them (fetch the `tel:`/`sms:` links
and phone numbers), a peer supporter creates and edits their profile, switches themselves
available and then unavailable, tries to create a second profile (a unique-key error in
PostgreSQL), and both supporters file a monthly report; a professional applies (multipart,
with PDFs), two vetters approve it, and anyone reads the network figures. Telemetry runs with
the production defaults (``WNWA_TELEMETRY_EXPORTER=file:<dir>``, no traces): each process
writes what it would export as JSON lines; every process's log lines are captured from
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
import re
import shutil
import struct
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from servicekit import telemetry_policy
from services.identity import devidp
from services.identity.devidp.accounts import TENANTS
from tests.privacy.at_rest import (
    configured_secrets,
    derived_from_pseudonyms,
    raw_files,
    relations_written,
    wal_records,
)
from tests.privacy.leaks import (
    Forbidden,
    address_columns,
    find_leaks,
    jwt_claim,
    jwt_subject,
    table_texts,
)
from tests.services.professionals.conftest import SUBMIT, application_input, small_pdf
from tests.support.proof_of_work import APPLICATION_CHALLENGE, solve
from tests.support.stack import PROJECT, Stack, running_stack, sign_in

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
# the demo made both a profile (services/directory/demo.py): their pseudonyms sit in it
PROFILE_OWNERS = (SUPPORTER, REPORTER)
VETTER = "morgan.ellery@staff.wnwa.example"
SECOND_VETTER = "jordan.avery@staff.wnwa.example"
REPORTED = 217  # officers supported, as the reporter files it
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

    # the demo made the supporter's profile (services/directory/demo.py): found by pseudonym
    made = supporter.graphql("{ myPeerSupporterProfile { id displayName } }")
    assert made["myPeerSupporterProfile"]["displayName"] == "Sgt. Marcus O.", made
    update = supporter.graphql(
        """mutation { updateMyPeerSupporterProfile(input: {bio: "Twenty years on patrol.",
             acceptsTexts: true}) { supporter { bio } errors { field message } } }"""
    )["updateMyPeerSupporterProfile"]
    assert update["errors"] == [], update
    switch = """mutation ($input: AvailabilityInput!) { setMyAvailability(input: $input) {
        supporter { availableUntil unavailableUntil } errors { field message } } }"""
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2, minutes=17)).isoformat()
    for change in ({"switch": "AVAILABLE_NOW"}, {"switch": "UNAVAILABLE", "until": until}):
        switched = supporter.graphql(switch, {"input": change})["setMyAvailability"]
        assert switched["errors"] == [], switched
    duplicate = supporter.graphql(
        """mutation { createMyPeerSupporterProfile(input: {displayName: "Sgt. M. again",
             phone: "+13125550178", languages: ["en"], areasOfSupport: [CRITICAL_INCIDENTS],
             zipCode: "60601"}) { errors { field message } } }"""
    )["createMyPeerSupporterProfile"]
    assert duplicate["errors"] == [
        {"field": "input", "message": "You have a profile already; edit it instead."}
    ]

    for officer in officers:
        matches = officer.graphql(SEARCH)["searchPeerSupporters"]["matches"]
        assert matches
        for match in matches[:3]:  # open the profile and "call": fetch the links
            officer.graphql(VIEW, {"id": match["supporter"]["id"]})
        listed = officer.graphql(PROFESSIONALS)["professionals"]["nodes"]
        assert listed
        officer.graphql(PROFESSIONAL, {"id": listed[0]["id"]})

    month = dt.date.today().strftime("%Y-%m")
    for person, figure in ((reporter, REPORTED), (supporter, REPORTED + 1)):
        filed = person.graphql(
            "mutation ($m: String!, $n: Int!) { submitSupportReport(month: $m,"
            " officersSupported: $n) { accepted errors { field message } } }",
            {"m": month, "n": figure},
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
    with httpx.Client(base_url=stack.gateway, timeout=15) as anyone:
        challenge = anyone.post("/graphql", json={"query": APPLICATION_CHALLENGE}).json()
    proof = solve(challenge["data"]["applicationChallenge"]["challenge"])
    operations = {
        "query": SUBMIT,
        "variables": {
            "proof": proof,
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
        hipaaVideoPlatform: true, lawEnforcementExperience: true, codeOfEthics: true,
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


async def _fetch(url: str, query: str) -> list[dict[str, Any]]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return [dict(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    # the stack's data in the project's own folder, not under pytest's shared temporary
    # root: another pytest run on the machine may close that root to other users, and the
    # embedded server runs as its own user when the tests run as root (README)
    (PROJECT / ".wnwa").mkdir(exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="audit-", dir=PROJECT / ".wnwa"))
    try:
        yield _audit(data_dir, tmp_path_factory.mktemp("audit-telemetry"))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _audit(data_dir: Path, telemetry_dir: Path) -> dict[str, Any]:
    pgdata = data_dir / "pgdata"
    with running_stack(data_dir, WNWA_TELEMETRY_EXPORTER=f"file:{telemetry_dir}") as stack:
        server = stack_database_url(data_dir)
        start_lsn = asyncio.run(_fetch(server, "SELECT pg_current_wal_lsn()::text AS lsn"))[0]
        people = use_the_stack(stack)
        for person in people:
            person.client.close()
        rows: list[tuple[str, str]] = []
        address_typed: list[str] = []
        for name in ("identity", "directory", "membership", "professionals"):
            url = server.replace("/postgres?", f"/wnwa_{name}?")
            rows += asyncio.run(table_texts(url, f"wnwa_{name}"))
            address_typed += asyncio.run(address_columns(url))
        directory = server.replace("/postgres?", "/wnwa_directory?")
        switches = asyncio.run(
            _fetch(directory, "SELECT available_until, unavailable_until FROM peer_supporters")
        )
        # every page on disk, dead row versions included, and the WAL up to now
        asyncio.run(_fetch(server, "CHECKPOINT"))
        records = wal_records(pgdata, start_lsn["lsn"])
        written = asyncio.run(relations_written(server, "wnwa_directory", records))
        relations = {}
        for name in ("identity", "directory", "membership", "professionals"):
            relations[f"wnwa_{name}"] = asyncio.run(
                _fetch(
                    server.replace("/postgres?", f"/wnwa_{name}?"),
                    "SELECT d.oid AS database, c.relfilenode, c.relname FROM pg_class AS c,"
                    " pg_database AS d WHERE d.datname = current_database() AND c.relfilenode <> 0",
                )
            )
        heap = list(raw_files(pgdata / "base"))
        wal = list(raw_files(pgdata / "pg_wal"))
        secrets = configured_secrets(stack.env)
    server_log = (pgdata / "log").read_text(encoding="utf-8", errors="replace")
    return {
        "people": people,
        "rows": rows,
        "address_columns": address_typed,
        "logs": list(stack.output),
        "telemetry_dir": telemetry_dir,
        "wal": wal,
        "wal_written": written,
        "heap": heap,
        "relations": relations,
        "server_log": server_log,
        "switches": switches,
        "secrets": secrets,
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


def test_production_telemetry_is_aggregate_metrics_from_every_process(
    audited: dict[str, Any],
) -> None:
    lines = telemetry_lines(audited["telemetry_dir"])
    assert [name for name, _ in lines if ".spans." in name] == []  # no traces by default
    batches = [json.loads(line) for name, line in lines if ".metrics." in name]
    names = {
        resource["resource"]["attributes"]["service.name"]
        for batch in batches
        for resource in batch["resource_metrics"]
    }
    assert names >= {
        "wnwa-gateway",
        "wnwa-identity",
        "wnwa-directory",
        "wnwa-professionals",
    }
    labels: dict[str, set[Any]] = {}
    for batch in batches:
        for resource in batch["resource_metrics"]:
            for scope in resource["scope_metrics"]:
                for metric in scope["metrics"]:
                    for point in metric["data"]["data_points"]:
                        for key, value in point["attributes"].items():
                            labels.setdefault(key, set()).add(value)
    assert set(labels) <= set(telemetry_policy.ALLOWED_ATTRIBUTES)
    # operation names only from the platform's own list: never what a client chose
    assert labels.get("graphql.operation.name", set()) <= telemetry_policy.OPERATION_NAMES | {
        telemetry_policy.UNLISTED_OPERATION,
        "(anonymous)",
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
        if table == "wnwa_directory.peer_supporters":
            allowed = allowed.without(*(f"pseudonym of {e.split('@')[0]}" for e in PROFILE_OWNERS))
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


def _allowed_in_relation(audited: dict[str, Any], forbidden: Forbidden, where: str) -> Forbidden:
    """The allowances of the table check, for a raw file named ``where`` (base/<db>/<file>)."""
    people: list[Browser] = audited["people"]
    parts = where.split("/")
    if len(parts) < 3 or not parts[1].isdigit():
        return forbidden
    relfilenode = parts[2].split(".")[0].split("_")[0]
    for database, relations in audited["relations"].items():
        for relation in relations:
            if str(relation["database"]) != parts[1]:
                break
            if str(relation["relfilenode"]) != relfilenode:
                continue
            name = f"{database}.{relation['relname']}"
            if name.startswith("wnwa_directory.peer_supporters"):
                return forbidden.without(
                    *(f"pseudonym of {e.split('@')[0]}" for e in PROFILE_OWNERS)
                )
            if any(name.startswith(table) for table in STAFF_ACTION_TABLES):
                vetters = [p for p in people if p.email in (VETTER, SECOND_VETTER)]
                return forbidden.without(
                    *(f"pseudonym of {v.email.split('@')[0]}" for v in vetters)
                )
    return forbidden


def test_no_heap_or_index_file_holds_anyone_even_in_dead_row_versions(
    audited: dict[str, Any],
) -> None:
    forbidden = forbidden_for(audited["people"])
    leaks = []
    for where, text in audited["heap"]:
        leaks += find_leaks([(where, text)], _allowed_in_relation(audited, forbidden, where))
    assert leaks == [], "\n".join(map(str, leaks))
    assert len(audited["heap"]) > 100  # every database's files were read


def test_the_wal_holds_no_one_and_no_report_in_the_clear(audited: dict[str, Any]) -> None:
    people: list[Browser] = audited["people"]
    # the WAL cannot be split by table: only the pseudonyms whose rows hold them by design
    # (a supporter's own profile, the vetters' staff actions) may appear in it
    allowed = [*PROFILE_OWNERS, VETTER, SECOND_VETTER]
    forbidden = forbidden_for(people).without(
        *(f"pseudonym of {email.split('@')[0]}" for email in allowed)
    )
    leaks = find_leaks(audited["wal"], forbidden)
    assert leaks == [], "\n".join(map(str, leaks))
    written: dict[str, list[str]] = audited["wal_written"]
    # the day's reports reached the WAL not at all: they are counted in memory until the
    # month closes, and the month is still open
    assert not [table for table in written if "report" in table]
    # the availability switches were written (and are kept to the hour, below)
    assert written.get("peer_supporters")


def test_nothing_computable_from_a_reporters_pseudonym_is_at_rest(
    audited: dict[str, Any],
) -> None:
    """No HMAC of a reporter's pseudonym under any secret the stack was given or defaults
    to, no digest of it, alone or with the month, and no key of their report's mark sits in
    any file of the database server or its WAL."""
    people: list[Browser] = audited["people"]
    reporters = [p.subject for p in people if p.email in (REPORTER, SUPPORTER)]
    month = dt.date.today().replace(day=1)
    values = derived_from_pseudonyms(reporters, [month], audited["secrets"])
    # the supporter's own pseudonym is in their profile by design (checked above)
    values -= {subject.encode() for subject in reporters}
    blobs = [(where, text.encode("latin-1")) for where, text in audited["heap"] + audited["wal"]]
    found = [where for value in values for where, blob in blobs if value in blob]
    assert found == []
    assert len(audited["secrets"]) > 3


def test_switch_ends_are_kept_to_the_hour(audited: dict[str, Any]) -> None:
    ends = [
        value
        for row in audited["switches"]
        for value in (row["available_until"], row["unavailable_until"])
        if value is not None
    ]
    assert ends  # the supporter's "unavailable until" stands
    assert all((value.minute, value.second, value.microsecond) == (0, 0, 0) for value in ends)


def test_the_database_server_log_holds_no_value(audited: dict[str, Any]) -> None:
    log: str = audited["server_log"]
    # the duplicate profile was refused by PostgreSQL, and logged without its key
    assert "duplicate key value violates unique constraint" in log
    assert "Key (" not in log
    assert "DETAIL:" not in log
    assert "STATEMENT:" not in log
    assert "parameters:" not in log
    leaks = find_leaks([("postgresql log", log)], forbidden_for(audited["people"]))
    assert leaks == [], "\n".join(map(str, leaks))


def test_no_report_value_sits_beside_its_department_at_rest(audited: dict[str, Any]) -> None:
    """A report kept in the clear would put the department id and the figure in one row
    (an exact total: department, reports, officers). Neither the WAL nor any file on disk
    holds a reporter's department id followed within a few bytes by their figure."""
    people: list[Browser] = audited["people"]
    reporters = {REPORTER: REPORTED, SUPPORTER: REPORTED + 1}
    patterns = []
    for person in people:
        if person.email in reporters:
            department = uuid.UUID(jwt_claim(person.client.cookies["wnwa_access"], "dept"))
            figure = struct.pack("<i", reporters[person.email])
            patterns.append(
                (
                    person.email,
                    re.compile(
                        re.escape(department.bytes) + b".{0,12}" + re.escape(figure), re.DOTALL
                    ),
                )
            )
    assert len(patterns) == 2
    found = [
        f"{email}'s figure in {where}"
        for where, text in audited["wal"] + audited["heap"]
        for email, pattern in patterns
        if pattern.search(text.encode("latin-1"))
    ]
    assert found == [], found
