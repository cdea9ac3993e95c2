"""An applicant checks where their application stands with its reference and the secret
from the receipt; a wrong secret or reference learns nothing."""

from __future__ import annotations

import hashlib
import re

import asyncpg

from tests.conftest import ServiceUnderTest
from tests.services.professionals.conftest import application_input, submit

SUBMIT = """
mutation Apply(
  $input: ProfessionalApplicationInput!, $documents: [DocumentUpload!]!, $proof: String
) {
  submitProfessionalApplication(input: $input, documents: $documents, proofOfWork: $proof) {
    reference statusSecret errors { field message }
  }
}
"""
STATUS = """
query Status($reference: String!, $secret: String!) {
  applicationStatus(reference: $reference, secret: $secret) {
    reference status submittedOn changedOn reconsiderAfter
  }
}
"""


async def test_the_receipts_secret_shows_the_status_to_its_holder_only(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    values = application_input(clientKey="status-key-0001")
    receipt = (await submit(professionals, values, query=SUBMIT))["data"][
        "submitProfessionalApplication"
    ]
    reference, secret = receipt["reference"], receipt["statusSecret"]
    # written like an enrollment code: Crockford's base32, no I, L, O or U, 100 bits
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", secret), secret
    # typed in any case, without the dashes, with spaces: the same secret
    typed = f" {secret.replace('-', ' ').lower()} "
    answer = await professionals.graphql(STATUS, {"reference": reference.lower(), "secret": typed})
    status = answer["data"]["applicationStatus"]
    assert status["reference"] == reference
    assert status["status"] == "SUBMITTED"
    assert status["reconsiderAfter"] is None
    for wrong in (
        {"reference": reference, "secret": secret[:-1] + ("Y" if secret[-1] != "Y" else "Z")},
        {"reference": "PRO-AAAA-AAAA", "secret": secret},
        {"reference": reference, "secret": ""},
    ):
        assert (await professionals.graphql(STATUS, wrong))["data"]["applicationStatus"] is None
    # only a digest is kept, never the secret itself
    stored = await db.fetchval("SELECT secret_sha256 FROM application_status_secrets")
    assert secret.encode() not in bytes(stored)
    assert len(stored) == 32

    # the form sent again (its answer was lost): a new secret, and the old one stops working
    again = (await submit(professionals, values, query=SUBMIT))["data"][
        "submitProfessionalApplication"
    ]
    assert again["reference"] == reference
    assert again["statusSecret"] != secret
    old = await professionals.graphql(STATUS, {"reference": reference, "secret": secret})
    assert old["data"]["applicationStatus"] is None
    new = await professionals.graphql(
        STATUS, {"reference": reference, "secret": again["statusSecret"]}
    )
    assert new["data"]["applicationStatus"]["status"] == "SUBMITTED"


async def test_a_secret_issued_before_the_codes_still_shows_the_status(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    values = application_input(clientKey="status-key-0002")
    receipt = (await submit(professionals, values, query=SUBMIT))["data"][
        "submitProfessionalApplication"
    ]
    # a secret as they were issued before: URL-safe base64, case-sensitive, kept as SHA-256
    legacy = "q3Zr-8_xYb1LmN0pQrStUw"
    await db.execute(
        "UPDATE application_status_secrets SET secret_sha256 = $1",
        hashlib.sha256(legacy.encode()).digest(),
    )
    found = await professionals.graphql(
        STATUS, {"reference": receipt["reference"], "secret": legacy}
    )
    assert found["data"]["applicationStatus"]["status"] == "SUBMITTED"
    for wrong in (legacy.upper(), receipt["statusSecret"]):
        answer = await professionals.graphql(
            STATUS, {"reference": receipt["reference"], "secret": wrong}
        )
        assert answer["data"]["applicationStatus"] is None
