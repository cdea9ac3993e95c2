"""Vetters move an application to a decision by consensus; every step keeps who and when."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.conftest import ServiceUnderTest
from tests.services.professionals.conftest import apply, small_pdf
from tests.support.tokens import TokenIssuer

APPLICATION = """
query ($reference: String!) {
  application(reference: $reference) {
    id status round assessmentKind assessmentAt reconsiderAfter
    assignments { vetter assignedBy }
    assessments { vetter vote callbackHours round }
    decisions { outcome approvals votes reason reconsiderAfter decidedBy decidedAt }
    listing { fullName }
  }
}
"""

ASSIGN = """
mutation ($id: ID!, $vetter: String) {
  assignVetter(applicationId: $id, vetter: $vetter) {
    application { status assignments { vetter assignedBy } } errors { field message }
  }
}
"""
SCHEDULE = """
mutation ($id: ID!, $at: DateTime!) {
  scheduleAssessment(applicationId: $id, at: $at) {
    application { status assessmentKind assessmentAt } errors { field message }
  }
}
"""
ASSESS = """
mutation ($id: ID!, $input: AssessmentInput!) {
  recordAssessment(applicationId: $id, input: $input) {
    application { status } errors { field message }
  }
}
"""
DECIDE = """
mutation ($id: ID!, $reason: String, $after: Date) {
  decideApplication(applicationId: $id, reason: $reason, reconsiderAfter: $after) {
    application { status reconsiderAfter decisions { outcome decidedBy } }
    errors { field message }
  }
}
"""
REOPEN = """
mutation ($id: ID!) {
  reopenApplication(applicationId: $id) { application { status round } errors { field message } }
}
"""


def checklist(vote: str = "APPROVE", **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "licenseVerified": True,
        "insuranceVerified": True,
        "callbackHours": 2,
        "responsiveToUrgentRequests": True,
        "confidentialityPractices": True,
        "hipaaVideoPlatform": True,
        "lawEnforcementExperience": True,
        "codeOfEthics": True,
        "notes": "Visited the office; intake line answered at 11 pm.",
        "vote": vote,
    }
    values.update(overrides)
    return values


async def application(service: ServiceUnderTest, token: str, reference: str) -> dict[str, Any]:
    answer = await service.graphql(APPLICATION, {"reference": reference}, token=token)
    found: dict[str, Any] = answer["data"]["application"]
    return found


async def run(service: ServiceUnderTest, query: str, token: str, **variables: Any) -> Any:
    answer = await service.graphql(query, variables, token=token)
    assert "errors" not in answer, answer
    return next(iter(answer["data"].values()))


async def to_deliberation(
    service: ServiceUnderTest, first: str, second: str, votes: tuple[str, ...]
) -> str:
    """Apply, assign both vetters, schedule, and record ``votes`` (first vetter, then second);
    returns the application id."""
    reference = await apply(service)
    application_id = (await application(service, first, reference))["id"]
    assert (await run(service, ASSIGN, first, id=application_id))["errors"] == []
    assert (await run(service, ASSIGN, second, id=application_id))["errors"] == []
    scheduled = await run(
        service, SCHEDULE, first, id=application_id, at="2027-03-08T10:00:00-06:00"
    )
    assert scheduled["errors"] == []
    for token, vote in zip((first, second), votes, strict=False):
        recorded = await run(service, ASSESS, token, id=application_id, input=checklist(vote))
        assert recorded["errors"] == [], recorded
    return str(application_id)


async def test_two_approving_votes_approve_and_list_the_professional(
    professionals: ServiceUnderTest, vetter_token: str, second_vetter_token: str
) -> None:
    reference = await apply(professionals)
    found = await application(professionals, vetter_token, reference)
    assert found["status"] == "SUBMITTED"
    assert found["assessmentKind"] == "OFFICE_VISIT"
    application_id = found["id"]

    assigned = await run(professionals, ASSIGN, vetter_token, id=application_id)
    assert assigned["application"]["status"] == "UNDER_REVIEW"
    assert assigned["application"]["assignments"] == [
        {"vetter": "vetter-ayla", "assignedBy": "vetter-ayla"}
    ]
    await run(professionals, ASSIGN, second_vetter_token, id=application_id)
    scheduled = await run(
        professionals, SCHEDULE, vetter_token, id=application_id, at="2027-03-08T10:00:00-06:00"
    )
    assert scheduled["application"]["status"] == "ASSESSMENT_SCHEDULED"
    assert scheduled["application"]["assessmentAt"] == "2027-03-08T16:00:00+00:00"

    first = await run(professionals, ASSESS, vetter_token, id=application_id, input=checklist())
    assert first["application"]["status"] == "DELIBERATION"
    await run(professionals, ASSESS, second_vetter_token, id=application_id, input=checklist())

    decided = await run(professionals, DECIDE, vetter_token, id=application_id)
    assert decided["errors"] == []
    assert decided["application"]["status"] == "APPROVED"
    assert decided["application"]["decisions"] == [
        {"outcome": "APPROVED", "decidedBy": "vetter-ayla"}
    ]
    found = await application(professionals, vetter_token, reference)
    assert found["decisions"][0]["approvals"] == 2
    assert found["decisions"][0]["decidedAt"]
    assert found["listing"] == {"fullName": "Dr. Marisol Quenneville"}


async def test_a_single_vote_is_no_consensus_and_defers(
    professionals: ServiceUnderTest, vetter_token: str, second_vetter_token: str
) -> None:
    application_id = await to_deliberation(
        professionals, vetter_token, second_vetter_token, ("APPROVE",)
    )
    refused = await run(professionals, DECIDE, vetter_token, id=application_id)
    messages = {error["field"]: error["message"] for error in refused["errors"]}
    assert "1 of 1 votes approve" in messages["reason"]
    assert "reconsiderAfter" in messages
    assert refused["application"] is None

    deferred = await run(
        professionals,
        DECIDE,
        vetter_token,
        id=application_id,
        reason="A second vetter has not assessed yet.",
        after="2027-06-01",
    )
    assert deferred["errors"] == []
    assert deferred["application"]["status"] == "DEFERRED"
    assert deferred["application"]["reconsiderAfter"] == "2027-06-01"


async def test_one_vote_to_defer_defers_even_with_approvals(
    professionals: ServiceUnderTest, vetter_token: str, second_vetter_token: str
) -> None:
    application_id = await to_deliberation(
        professionals, vetter_token, second_vetter_token, ("APPROVE", "DEFER")
    )
    deferred = await run(
        professionals,
        DECIDE,
        second_vetter_token,
        id=application_id,
        reason="Callback time too long for urgent referrals.",
        after="2027-09-01",
    )
    assert deferred["application"]["status"] == "DEFERRED"
    assert deferred["application"]["decisions"] == [
        {"outcome": "DEFERRED", "decidedBy": "vetter-bram"}
    ]


async def test_a_deferral_is_reconsidered_only_after_its_date(
    professionals: ServiceUnderTest,
    vetter_token: str,
    second_vetter_token: str,
    db: asyncpg.Connection,
) -> None:
    application_id = await to_deliberation(
        professionals, vetter_token, second_vetter_token, ("DEFER", "DEFER")
    )
    await run(
        professionals,
        DECIDE,
        vetter_token,
        id=application_id,
        reason="Not yet.",
        after="2027-04-01",
    )
    early = await run(professionals, REOPEN, vetter_token, id=application_id)
    assert early["errors"][0]["message"] == (
        "This application may be reconsidered after 2027-04-01."
    )
    await db.execute("UPDATE professionals SET reconsider_after = '2027-02-01'")
    reopened = await run(professionals, REOPEN, vetter_token, id=application_id)
    assert reopened["application"] == {"status": "UNDER_REVIEW", "round": 2}


async def test_steps_out_of_order_are_refused(
    professionals: ServiceUnderTest, vetter_token: str, second_vetter_token: str
) -> None:
    reference = await apply(professionals)
    application_id = (await application(professionals, vetter_token, reference))["id"]
    early = await run(
        professionals, SCHEDULE, vetter_token, id=application_id, at="2027-03-08T10:00:00Z"
    )
    assert "newly submitted" in early["errors"][0]["message"]
    premature = await run(professionals, DECIDE, vetter_token, id=application_id)
    assert premature["errors"][0]["field"] == "applicationId"
    await run(professionals, ASSIGN, vetter_token, id=application_id)
    past = await run(
        professionals, SCHEDULE, vetter_token, id=application_id, at="2027-02-01T10:00:00Z"
    )
    assert past["errors"] == [{"field": "at", "message": "Choose a time that has not passed."}]
    await run(professionals, SCHEDULE, vetter_token, id=application_id, at="2027-03-08T10:00:00Z")
    unassigned = await run(
        professionals, ASSESS, second_vetter_token, id=application_id, input=checklist()
    )
    assert unassigned["errors"] == [
        {
            "field": "applicationId",
            "message": "Only vetters assigned to this application assess it.",
        }
    ]
    unknown = await run(professionals, ASSIGN, vetter_token, id="not-an-id")
    assert unknown["errors"][0]["message"] == "There is no application with this id."


async def test_only_vetters_see_applications_contacts_and_documents(
    professionals: ServiceUnderTest,
    vetter_token: str,
    officer_token: str,
    admin_token: str,
) -> None:
    reference = await apply(professionals)
    query = """query ($reference: String!) { application(reference: $reference) {
        email phone documents { id kind filename contentType sizeBytes downloadPath } } }"""
    for token in (officer_token, admin_token):
        denied = await professionals.graphql(query, {"reference": reference}, token=token)
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (denied["data"] or {}).get("application") is None
    for mutation in (ASSIGN, REOPEN):
        denied = await professionals.graphql(mutation, {"id": "x"}, token=officer_token)
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    seen = await professionals.graphql(query, {"reference": reference}, token=vetter_token)
    found = seen["data"]["application"]
    assert found["email"] == "intake@lakeshore-resilience.example"
    licence = found["documents"][0]
    assert licence["kind"] == "LICENSE_COPY"
    assert licence["contentType"] == "application/pdf"

    path = licence["downloadPath"]
    downloaded = await professionals.http.get(
        path, headers={"Authorization": f"Bearer {vetter_token}"}
    )
    assert downloaded.status_code == 200
    assert downloaded.content == small_pdf()
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.headers["cache-control"] == "no-store"
    assert 'filename="licence.pdf"' in downloaded.headers["content-disposition"]

    assert (await professionals.http.get(path)).status_code == 401
    for token in (officer_token, admin_token):
        refused = await professionals.http.get(path, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403
    forged = await professionals.http.get(path, headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401
    missing = await professionals.http.get(
        "/documents/00000000-0000-4000-8000-000000000000",
        headers={"Authorization": f"Bearer {vetter_token}"},
    )
    assert missing.status_code == 404


async def test_status_changes_record_the_vetter_not_the_applicant(
    professionals: ServiceUnderTest, vetter_token: str, db: asyncpg.Connection
) -> None:
    reference = await apply(professionals)
    application_id = (await application(professionals, vetter_token, reference))["id"]
    await run(professionals, ASSIGN, vetter_token, id=application_id)
    rows = await db.fetch("SELECT status::text, changed_by FROM status_changes ORDER BY changed_at")
    assert [tuple(row) for row in rows] == [("submitted", None), ("under_review", "vetter-ayla")]


async def test_the_vetters_queue_filters_by_status_and_pages(
    professionals: ServiceUnderTest, vetter_token: str
) -> None:
    references = [await apply(professionals) for _ in range(3)]
    first_id = (await application(professionals, vetter_token, references[0]))["id"]
    await run(professionals, ASSIGN, vetter_token, id=first_id)
    queue = """query ($status: VettingStatus, $after: String) {
        applications(status: $status, first: 1, after: $after) {
          nodes { reference } pageInfo { endCursor hasNextPage } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = await run(professionals, queue, vetter_token, status="SUBMITTED", after=after)
        seen += [node["reference"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == references[1:]
    reviewing = await run(professionals, queue, vetter_token, status="UNDER_REVIEW")
    assert [node["reference"] for node in reviewing["nodes"]] == references[:1]


async def test_only_a_real_vetter_can_be_assigned(
    professionals: ServiceUnderTest,
    vetter_token: str,
    second_vetter_token: str,
    issuer: TokenIssuer,
    db: asyncpg.Connection,
) -> None:
    application_id = (await application(professionals, vetter_token, await apply(professionals)))[
        "id"
    ]
    # an officer's pseudonym is a real `sub`, but not a vetter's
    officer = issuer.token("officer", subject="officer-pseudonym-4f9c")
    assert (await professionals.graphql("{ insuranceCarriers { code } }", token=officer))["data"]
    for nobody in ("nobody-at-all", "officer-pseudonym-4f9c", "vetter-bram"):
        answer = await professionals.graphql(
            ASSIGN, {"id": application_id, "vetter": nobody}, token=vetter_token
        )
        [error] = answer["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", nobody
        assert "names no vetter known here" in error["message"]
    assert await db.fetchval("SELECT count(*) FROM vetting_assignments") == 0

    # once the colleague has taken part in vetting, a vetter may assign them
    other_id = (await application(professionals, vetter_token, await apply(professionals)))["id"]
    await run(professionals, ASSIGN, second_vetter_token, id=other_id)
    assigned = await run(
        professionals, ASSIGN, vetter_token, id=application_id, vetter="vetter-bram"
    )
    assert assigned["application"]["assignments"] == [
        {"vetter": "vetter-bram", "assignedBy": "vetter-ayla"}
    ]
    # and assigning oneself by name is the same as leaving `vetter` out
    yourself = await run(
        professionals, ASSIGN, vetter_token, id=application_id, vetter="vetter-ayla"
    )
    assert {"vetter": "vetter-ayla", "assignedBy": "vetter-ayla"} in yourself["application"][
        "assignments"
    ]
