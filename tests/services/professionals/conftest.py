from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from servicekit.clock import FixedClock
from services.professionals.app import create_app
from services.professionals.demo import demo_pdf
from services.professionals.settings import load
from tests.conftest import ServiceFactory, ServiceUnderTest
from tests.support.graphql import GraphQLClient, running
from tests.support.proof_of_work import application_proof
from tests.support.tokens import ISSUER, TokenIssuer

NETWORK = uuid.UUID("00000000-0000-4000-8000-00000000beef")
TODAY = dt.date(2027, 3, 1)


def small_pdf(text: str = "Licence LCSW 149.012345") -> bytes:
    """A real, minimal one-page PDF (valid cross-reference table included)."""
    return demo_pdf(text)


def small_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


Upload = tuple[str, str, bytes, str]  # kind, filename, content, declared content type


def standard_documents() -> list[Upload]:
    return [
        ("LICENSE_COPY", "licence.pdf", small_pdf(), "application/pdf"),
        ("CV", "cv.pdf", small_pdf("Curriculum vitae"), "application/pdf"),
        ("LIABILITY_INSURANCE", "insurance.png", small_png(), "image/png"),
    ]


def application_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "clientKey": uuid.uuid4().hex,
        "fullName": "Dr. Marisol Quenneville",
        "credentials": "PhD, Licensed Clinical Psychologist",
        "licenses": [
            {
                "licenseType": "PSYCHOLOGIST",
                "number": "071.009876",
                "state": "IL",
                "expiresOn": "2028-09-30",
            }
        ],
        "practiceName": "Lakeshore Resilience Practice",
        "locations": [
            {
                "street": "200 W Example St, Suite 4",
                "city": "Chicago",
                "state": "IL",
                "zipCode": "60606",
            }
        ],
        "telehealth": True,
        "telehealthStates": ["IL", "WI"],
        "phone": "(312) 555-0142",
        "email": "intake@lakeshore-resilience.example",
        "website": "lakeshore-resilience.example",
        "languages": ["English", " spanish "],
        "specialties": ["TRAUMA_AND_PTSD", "CRITICAL_INCIDENT_STRESS"],
        "modalities": ["INDIVIDUAL", "COUPLES"],
        "lawEnforcementExperienceYears": 12,
        "lawEnforcementExperience": "Contract clinician for two county sheriffs' offices.",
        "professionalAssociation": "APA",
        "disciplinaryAction": False,
        "insurance": [
            {"carrier": "bcbs", "planTypes": ["PPO", "HMO"]},
            {"carrier": "Aetna", "planTypes": ["PPO"]},
        ],
        "selfPay": True,
        "answersCallsAnyHour": True,
        "schedulesWithin24Hours": False,
    }
    values.update(overrides)
    return values


SUBMIT = """
mutation Submit(
  $input: ProfessionalApplicationInput!, $documents: [DocumentUpload!]!, $proof: String
) {
  submitProfessionalApplication(input: $input, documents: $documents, proofOfWork: $proof) {
    reference
    errors { field message }
  }
}
"""


async def submit(
    service: ServiceUnderTest,
    input: dict[str, Any],
    documents: list[Upload] | None = None,
    *,
    token: str | None = None,
    query: str = SUBMIT,
    proof: str | None = None,
    solved: bool = True,
) -> dict[str, Any]:
    """Post the application per the GraphQL multipart request specification, with ``proof``
    (a freshly solved challenge unless ``solved`` is false)."""
    if proof is None and solved:
        proof = await application_proof(service.graphql)
    uploads = standard_documents() if documents is None else documents
    if not uploads:
        return await service.graphql(
            query, {"input": input, "documents": [], "proof": proof}, token=token
        )
    operations = {
        "query": query,
        "variables": {
            "input": input,
            "documents": [{"kind": kind, "file": None} for kind, *_ in uploads],
            "proof": proof,
        },
    }
    files_map = {str(i): [f"variables.documents.{i}.file"] for i in range(len(uploads))}
    files = {
        str(i): (filename, content, declared)
        for i, (_, filename, content, declared) in enumerate(uploads)
    }
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await service.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(files_map)},
        files=files,
        headers=headers,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def apply(service: ServiceUnderTest, **overrides: Any) -> str:
    """Submit a valid application; returns its reference."""
    answer = await submit(service, application_input(**overrides))
    payload = answer["data"]["submitProfessionalApplication"]
    assert payload["errors"] == [], payload
    reference: str = payload["reference"]
    return reference


@pytest.fixture
async def professionals(start_service: ServiceFactory) -> AsyncIterator[ServiceUnderTest]:
    async with start_service("professionals", clock=clock_on(TODAY)) as service:
        yield service


@pytest.fixture
async def db(professionals: ServiceUnderTest) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(professionals.database_url)
    yield connection
    await connection.close()


@pytest.fixture
def vetter_token(issuer: TokenIssuer) -> str:
    return issuer.token("vetter", department=NETWORK, subject="vetter-ayla")


@pytest.fixture
def second_vetter_token(issuer: TokenIssuer) -> str:
    return issuer.token("vetter", department=NETWORK, subject="vetter-bram")


@pytest.fixture
def officer_token(issuer: TokenIssuer) -> str:
    return issuer.token("officer")


@pytest.fixture
def admin_token(issuer: TokenIssuer) -> str:
    return issuer.token("network_admin", department=NETWORK)


async def table_counts(db: asyncpg.Connection) -> dict[str, int]:
    counts = {}
    for table in (
        "professionals",
        "licenses",
        "practice_locations",
        "documents",
        "document_chunks",
    ):
        counts[table] = await db.fetchval(f"SELECT count(*) FROM {table}")
    return counts


EMPTY = {
    "professionals": 0,
    "licenses": 0,
    "practice_locations": 0,
    "documents": 0,
    "document_chunks": 0,
}


def clock_on(day: dt.date) -> FixedClock:
    """A clock at noon (UTC) on ``day``."""
    return FixedClock(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


@contextlib.asynccontextmanager
async def same_database_on(
    service: ServiceUnderTest, issuer: TokenIssuer, today: dt.date
) -> AsyncIterator[ServiceUnderTest]:
    """The service again, on the same database, believing it is ``today``."""
    environ = {
        "WNWA_ENV": "test",
        "WNWA_PROFESSIONALS_DATABASE_URL": service.database_url,
        "WNWA_JWKS_URL": issuer.jwks_url,
        "WNWA_TOKEN_ISSUER": ISSUER,
    }
    app = create_app(load(environ), clock=clock_on(today))
    async with running(app) as http:
        yield ServiceUnderTest(GraphQLClient(http), service.database_url, http)


async def approve_all(db: asyncpg.Connection) -> None:
    """Skip vetting (tested on its own) for tests about the listing."""
    await db.execute("UPDATE professionals SET status = 'approved'")
