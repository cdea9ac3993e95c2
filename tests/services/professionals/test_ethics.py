"""Vetting against a code of ethics, as the public pages promise: every applicant names the
association whose code binds their practice and answers for their disciplinary history, and
no approval counts without each vetter's check against that code."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.professionals import rules
from tests.conftest import ServiceUnderTest
from tests.services.professionals.conftest import (
    EMPTY,
    application_input,
    apply,
    submit,
    table_counts,
)
from tests.services.professionals.test_vetting import (
    ASSESS,
    DECIDE,
    application,
    checklist,
    run,
    to_deliberation,
)

ETHICS = """
query ($reference: String!) {
  application(reference: $reference) {
    codeOfEthics { association name title }
    disciplinaryAction disciplinaryExplanation
    assessments { vetter codeOfEthics vote }
  }
}
"""


def errors_of(answer: dict[str, Any]) -> dict[str, str]:
    payload = answer["data"]["submitProfessionalApplication"]
    assert payload["reference"] is None
    return {error["field"]: error["message"] for error in payload["errors"]}


async def test_an_application_without_association_or_attestation_is_refused(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    silent = application_input()
    del silent["professionalAssociation"], silent["disciplinaryAction"]
    errors = errors_of(await submit(professionals, silent))
    assert set(errors) == {"input.professionalAssociation", "input.disciplinaryAction"}
    assert "code of ethics" in errors["input.professionalAssociation"]
    assert "yes or no" in errors["input.disciplinaryAction"]

    for overrides, field, words in (
        ({"professionalAssociation": "OTHER"}, "input.professionalAssociationOther", "Name"),
        (
            {"professionalAssociationOther": "Guild of Listeners"},
            "input.professionalAssociationOther",
            "only when you choose Other",
        ),
        ({"disciplinaryAction": True}, "input.disciplinaryExplanation", "what happened"),
        (
            {"disciplinaryAction": True, "disciplinaryExplanation": "   "},
            "input.disciplinaryExplanation",
            "what happened",
        ),
        (
            {"disciplinaryExplanation": "A reprimand in 2019."},
            "input.disciplinaryExplanation",
            "answered no",
        ),
    ):
        errors = errors_of(await submit(professionals, application_input(**overrides)))
        assert list(errors) == [field], overrides
        assert words in errors[field], overrides
    assert await table_counts(db) == EMPTY


async def test_vetters_read_the_code_and_the_disclosed_history(
    professionals: ServiceUnderTest, db: asyncpg.Connection, vetter_token: str
) -> None:
    clean = await apply(professionals, professionalAssociation="NASW")
    disclosed = await apply(
        professionals,
        professionalAssociation="OTHER",
        professionalAssociationOther="  Illinois Association of Play Therapists ",
        disciplinaryAction=True,
        disciplinaryExplanation="Probation 2018-2019 for a records lapse; completed.",
    )
    found = await application(professionals, vetter_token, clean)
    seen = (await professionals.graphql(ETHICS, {"reference": clean}, token=vetter_token))["data"][
        "application"
    ]
    assert found["status"] == "SUBMITTED"
    assert seen["codeOfEthics"] == {
        "association": "NASW",
        "name": "National Association of Social Workers (NASW)",
        "title": "NASW Code of Ethics",
    }
    assert seen["disciplinaryAction"] is False
    assert seen["disciplinaryExplanation"] is None

    other = (await professionals.graphql(ETHICS, {"reference": disclosed}, token=vetter_token))[
        "data"
    ]["application"]
    assert other["codeOfEthics"] == {
        "association": "OTHER",
        "name": "Illinois Association of Play Therapists",
        "title": "The code of ethics of Illinois Association of Play Therapists",
    }
    assert other["disciplinaryAction"] is True
    assert other["disciplinaryExplanation"].startswith("Probation 2018-2019")
    stored = await db.fetchrow(
        "SELECT professional_association, disciplinary_action FROM professionals"
        " WHERE reference = $1",
        clean,
    )
    assert stored is not None
    assert tuple(stored) == ("nasw", False)


async def test_the_requirements_name_every_code_publicly(professionals: ServiceUnderTest) -> None:
    answer = await professionals.graphql(
        "{ applicationRequirements { codesOfEthics { association name title } } }"
    )
    codes = answer["data"]["applicationRequirements"]["codesOfEthics"]
    by_association = {code["association"]: code for code in codes}
    for association in ("APA", "APA_PSYCHIATRIC", "ACA", "NASW", "AAMFT", "NAADAC"):
        assert association in by_association
    assert by_association["APA"]["title"] == (
        "Ethical Principles of Psychologists and Code of Conduct"
    )
    assert "OTHER" not in by_association  # the form offers it, with a name


async def test_an_approval_without_the_code_of_ethics_check_is_refused(
    professionals: ServiceUnderTest,
    db: asyncpg.Connection,
    vetter_token: str,
    second_vetter_token: str,
) -> None:
    application_id = await to_deliberation(professionals, vetter_token, second_vetter_token, ())
    unchecked = await run(
        professionals,
        ASSESS,
        vetter_token,
        id=application_id,
        input=checklist(codeOfEthics=False),
    )
    assert unchecked["application"] is None
    [error] = unchecked["errors"]
    assert error["field"] == "input.codeOfEthics"
    assert "code-of-ethics check" in error["message"]
    assert await db.fetchval("SELECT count(*) FROM assessments") == 0
    # a vote to defer may come before the check is done
    deferring = await run(
        professionals,
        ASSESS,
        vetter_token,
        id=application_id,
        input=checklist("DEFER", codeOfEthics=False),
    )
    assert deferring["errors"] == []


async def test_approvals_recorded_before_the_check_existed_decide_nothing(
    professionals: ServiceUnderTest,
    db: asyncpg.Connection,
    vetter_token: str,
    second_vetter_token: str,
) -> None:
    application_id = await to_deliberation(
        professionals, vetter_token, second_vetter_token, ("APPROVE", "APPROVE")
    )
    # as an assessment recorded before migration 0009 reads: the item was never checked
    await db.execute("UPDATE assessments SET code_of_ethics = false WHERE vetter = 'vetter-bram'")
    refused = await run(professionals, DECIDE, vetter_token, id=application_id)
    assert refused["application"] is None
    [error] = refused["errors"]
    assert error["field"] == "applicationId"
    assert "1 approving vote was recorded without the code-of-ethics check" in error["message"]
    assert await db.fetchval("SELECT count(*) FROM vetting_decisions") == 0
    assert await db.fetchval("SELECT status::text FROM professionals") == "deliberation"

    # the vetter records the assessment again, with the check: consensus approves
    again = await run(
        professionals, ASSESS, second_vetter_token, id=application_id, input=checklist()
    )
    assert again["errors"] == []
    decided = await run(professionals, DECIDE, vetter_token, id=application_id)
    assert decided["application"]["status"] == "APPROVED"


def test_consensus_needs_the_ethics_check_on_every_approval() -> None:
    checked = rules.CastVote("approve", code_of_ethics=True)
    unchecked = rules.CastVote("approve", code_of_ethics=False)
    defer = rules.CastVote("defer", code_of_ethics=False)
    assert rules.consensus([checked, checked]) == "approved"
    assert rules.consensus([checked, unchecked]) == "deferred"
    assert rules.consensus([checked]) == "deferred"
    assert rules.consensus([checked, checked, defer]) == "deferred"
    assert rules.unchecked_approvals([checked, unchecked]) == 1
    # a deferral decides the same with or without the check: nothing to re-record
    assert rules.unchecked_approvals([unchecked, defer]) == 0
    assert rules.unchecked_approvals([unchecked]) == 0
