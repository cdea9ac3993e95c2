"""Anyone may apply; bad input is named field by field and nothing is written."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest

from services.professionals import application_store
from tests.conftest import ServiceUnderTest
from tests.services.professionals.conftest import (
    EMPTY,
    application_input,
    apply,
    small_pdf,
    standard_documents,
    submit,
    table_counts,
)
from tests.support.proof_of_work import application_proof


def fields(answer: dict[str, Any]) -> dict[str, str]:
    payload = answer["data"]["submitProfessionalApplication"]
    assert payload["reference"] is None
    return {error["field"]: error["message"] for error in payload["errors"]}


async def test_an_application_with_documents_gets_a_reference(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    reference = await apply(professionals)
    assert re.fullmatch(r"PRO-[A-Z2-9]{4}-[A-Z2-9]{4}", reference)
    row = await db.fetchrow("SELECT * FROM professionals WHERE reference = $1", reference)
    assert row is not None
    assert row["status"] == "submitted"
    assert row["phone"] == "+13125550142"
    assert row["website"] == "https://lakeshore-resilience.example"
    assert row["languages"] == ["en", "es"]  # the network's codes, from names
    assert row["service_states"] == ["IL", "WI"]
    assert "bcbs:PPO" in row["insurance_keys"]
    assert row["assessment_kind"] == "office_visit"  # Chicago is in Cook County
    documents = await db.fetch(
        "SELECT kind, content_type, size_bytes FROM documents ORDER BY position"
    )
    assert [(d["kind"], d["content_type"]) for d in documents] == [
        ("license_copy", "application/pdf"),
        ("cv", "application/pdf"),
        ("liability_insurance", "image/png"),
    ]
    stored = await db.fetchval(
        "SELECT string_agg(data, '' ORDER BY seq) FROM document_chunks c"
        " JOIN documents d ON d.id = c.document_id WHERE d.kind = 'license_copy'"
    )
    assert stored == small_pdf()


async def test_practices_outside_the_home_metro_get_a_video_call(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    await apply(
        professionals,
        licenses=[
            {"licenseType": "LMFT", "number": "LMFT 1234", "state": "OR", "expiresOn": "2028-01-31"}
        ],
        locations=[{"street": "1 Pine St", "city": "Portland", "state": "OR", "zipCode": "97205"}],
        telehealthStates=["OR"],
    )
    assert await db.fetchval("SELECT assessment_kind::text FROM professionals") == "video_call"


async def test_the_public_learns_nothing_but_the_reference(
    professionals: ServiceUnderTest,
) -> None:
    await apply(professionals)
    listing = await professionals.graphql("{ professionals { nodes { fullName } } }")
    assert listing["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    applications = await professionals.graphql("{ applications { nodes { email } } }")
    assert applications["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    carriers = await professionals.graphql("{ insuranceCarriers { code name } }")
    assert {"code": "bcbs", "name": "Blue Cross Blue Shield"} in carriers["data"][
        "insuranceCarriers"
    ]


async def test_resubmitting_with_the_same_key_never_duplicates(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    values = application_input(clientKey="form-key-0001")
    first = await submit(professionals, values)
    again = await submit(professionals, values)
    reference = first["data"]["submitProfessionalApplication"]["reference"]
    assert reference is not None
    assert again["data"]["submitProfessionalApplication"] == {"reference": reference, "errors": []}
    assert await db.fetchval("SELECT count(*) FROM professionals") == 1
    assert await db.fetchval("SELECT count(*) FROM documents") == 3

    different = await submit(professionals, {**values, "fullName": "Someone Else"})
    assert "already used" in fields(different)["input.clientKey"]
    assert await db.fetchval("SELECT count(*) FROM professionals") == 1


async def test_missing_fields_are_named_and_nothing_is_written(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    answer = await submit(
        professionals,
        {"clientKey": "form-key-0002", "telehealth": False},
        documents=[],
    )
    errors = fields(answer)
    for field in (
        "input.fullName",
        "input.credentials",
        "input.licenses",
        "input.locations",
        "input.phone",
        "input.email",
        "input.languages",
        "input.specialties",
        "input.modalities",
        "input.lawEnforcementExperienceYears",
        "input.professionalAssociation",
        "input.disciplinaryAction",
        "input.insurance",
        "input.answersCallsAnyHour",
        "documents",
    ):
        assert field in errors, field
    assert "license" in errors["documents"]
    assert await table_counts(db) == EMPTY


async def test_an_application_without_the_availability_commitment_is_refused(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    answer = await submit(
        professionals,
        application_input(answersCallsAnyHour=False, schedulesWithin24Hours=False),
    )
    assert fields(answer) == {
        "input.answersCallsAnyHour": "The program needs at least one commitment: picking up "
        "officers' calls at any hour, or scheduling an officer within 24 hours."
    }
    assert await table_counts(db) == EMPTY
    assert await apply(professionals, answersCallsAnyHour=False, schedulesWithin24Hours=True)


async def test_expired_licences_unknown_states_and_carriers_are_refused(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    answer = await submit(
        professionals,
        application_input(
            licenses=[
                {
                    "licenseType": "LCSW",
                    "number": "149.1",
                    "state": "IL",
                    "expiresOn": "2027-02-28",
                },
                {
                    "licenseType": "LCSW",
                    "number": "149.2",
                    "state": "XX",
                    "expiresOn": "2029-01-01",
                },
            ],
            locations=[
                {"street": "1 Main", "city": "Chicago", "state": "IL", "zipCode": "00000"},
                {"street": "2 Main", "city": "Chicago", "state": "IL", "zipCode": "97205"},
            ],
            telehealthStates=["Illinois"],
            insurance=[{"carrier": "Acme Mutual", "planTypes": ["PPO"]}],
            email="not-an-email",
            website="javascript:alert(1)",
        ),
    )
    errors = fields(answer)
    assert "expired on 2027-02-28" in errors["input.licenses.0.expiresOn"]
    assert "not a US state code" in errors["input.licenses.1.state"]
    assert "not a known US ZIP code" in errors["input.locations.0.zipCode"]
    assert errors["input.locations.1.zipCode"] == "ZIP code 97205 is in OR, not IL."
    assert "not a US state code" in errors["input.telehealthStates.0"]
    assert "'Acme Mutual' is not a carrier we list" in errors["input.insurance.0.carrier"]
    assert "input.email" in errors
    assert "input.website" in errors
    assert await table_counts(db) == EMPTY


async def test_a_disguised_file_is_refused_by_its_content(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    disguised = [
        ("LICENSE_COPY", "licence.pdf", b"MZ\x90\x00 this is a program", "application/pdf"),
        ("CV", "cv.png", b"<html><script>alert(1)</script></html>", "image/png"),
        ("LIABILITY_INSURANCE", "insurance.pdf", b"%PDF-1.7 truncated", "application/pdf"),
        ("OTHER", "empty.pdf", b"", "application/pdf"),
    ]
    errors = fields(await submit(professionals, application_input(), disguised))
    for index in range(3):
        assert "not a PDF, JPEG or PNG" in errors[f"documents.{index}.file"]
    assert errors["documents.3.file"] == "This file is empty."
    assert await table_counts(db) == EMPTY


async def test_a_jpeg_is_accepted_by_its_bytes_whatever_its_name(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200) + b"\xff\xd9"
    documents = [*standard_documents(), ("OTHER", "scan.bin", jpeg, "application/octet-stream")]
    answer = await submit(professionals, application_input(), documents)
    assert answer["data"]["submitProfessionalApplication"]["errors"] == []
    assert await db.fetchval("SELECT content_type FROM documents WHERE kind = 'other'") == (
        "image/jpeg"
    )


async def test_an_oversized_document_is_refused(
    start_service: Any,
) -> None:
    async with start_service("professionals", MAX_DOCUMENT_BYTES="50000") as service:
        big = small_pdf() + b"%" + b"x" * 60_000 + b"\n%%EOF\n"
        documents = [*standard_documents(), ("OTHER", "big.pdf", big, "application/pdf")]
        errors = fields(await submit(service, application_input(), documents))
        assert errors == {"documents.3.file": "This file is larger than 0.0476837 MB."}
        connection = await asyncpg.connect(service.database_url)
        try:
            assert await table_counts(connection) == EMPTY
        finally:
            await connection.close()


async def test_a_request_over_the_body_limit_is_refused_before_parsing(
    start_service: Any,
) -> None:
    async with start_service("professionals", MAX_REQUEST_BYTES="100000") as service:
        big = small_pdf() + b"%" + b"x" * 200_000 + b"\n%%EOF\n"
        response = await service.http.post(
            "/graphql",
            data={"operations": "{}", "map": "{}"},
            files={"0": ("big.pdf", big, "application/pdf")},
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_failure_while_storing_a_document_leaves_nothing_half_saved(
    professionals: ServiceUnderTest, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = application_store.add_document_chunk
    calls = 0

    async def failing_on_the_second_document(**kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk trouble")
        await real(**kwargs)

    monkeypatch.setattr(application_store, "add_document_chunk", failing_on_the_second_document)
    answer = await submit(professionals, application_input())
    assert answer["data"] is None
    assert answer["errors"][0]["message"].startswith("Something went wrong on our side")
    assert "disk trouble" not in str(answer)
    assert await table_counts(db) == EMPTY


async def test_documents_must_be_files(professionals: ServiceUnderTest) -> None:
    answer = await professionals.graphql(
        """mutation ($input: ProfessionalApplicationInput!, $proof: String) {
          submitProfessionalApplication(input: $input, proofOfWork: $proof,
            documents: [{kind: CV, file: "not a file"}]) { reference errors { field } }
        }""",
        {"input": application_input(), "proof": await application_proof(professionals.graphql)},
    )
    payload = answer["data"]["submitProfessionalApplication"]
    assert payload["reference"] is None
    assert {"field": "documents.0.file"} in payload["errors"]
