"""Vetting: vetters are assigned, schedule the assessment, record checklists and votes, and
close deliberation by consensus. Each step records which vetter acted and when."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from servicekit import validation
from servicekit.database import Connection
from servicekit.graphql import (
    FieldError,
    InputErrors,
    PublicError,
    context_of,
    parse_id,
    require_role,
)

from . import notices, rules, store
from .schema import VETTER, Application, Vote, loaders


class NotAVetter(PublicError):
    code = "BAD_USER_INPUT"


_WORDS = {
    "submitted": "newly submitted",
    "under_review": "under review",
    "assessment_scheduled": "scheduled for assessment",
    "deliberation": "in deliberation",
    "approved": "approved",
    "deferred": "deferred",
}


@strawberry.type
class VettingPayload:
    application: Application | None
    errors: list[FieldError]


@strawberry.input(description="A vetter's assessment against the checklist, and their vote.")
class AssessmentInput:
    license_verified: bool = strawberry.field(description="Verified with the state board.")
    insurance_verified: bool
    callback_hours: int = strawberry.field(
        description="Hours to call back a law-enforcement referral (0-168)."
    )
    responsive_to_urgent_requests: bool
    confidentiality_practices: bool
    hipaa_video_platform: bool = strawberry.field(description="Uses a HIPAA-appropriate platform.")
    law_enforcement_experience: bool
    notes: str | None = None
    vote: Vote


async def _locked(
    connection: Connection,
    application_id: strawberry.ID,
    errors: InputErrors,
    allowed: set[str],
    doing: str,
) -> store.ProfessionalRow | None:
    parsed = parse_id(application_id)
    row = (
        await store.lock_professional(connection=connection, professional_id=parsed)
        if parsed
        else None
    )
    if row is None:
        errors.unknown("applicationId", "application")
        return None
    if row.status not in allowed:
        errors.add(
            "applicationId",
            f"This application is {_WORDS[row.status]}; it cannot be {doing} now.",
        )
        return None
    return row


async def _answer(
    info: Info[Any, Any], professional_id: UUID | None, errors: InputErrors
) -> VettingPayload:
    if errors or professional_id is None:
        return VettingPayload(application=None, errors=errors.items)
    rows = await store.get_professionals(db=context_of(info).pool, ids=[professional_id])
    return VettingPayload(application=Application(row=rows[professional_id]), errors=[])


@strawberry.type
class VettingMutation:
    @strawberry.mutation(
        description="Assign a vetter (yourself when `vetter` is omitted). A new application "
        "goes under review."
    )
    async def assign_vetter(
        self, info: Info[Any, Any], application_id: strawberry.ID, vetter: str | None = None
    ) -> VettingPayload:
        principal = require_role(info, VETTER)
        errors = InputErrors()
        assignee = validation.text(
            vetter if vetter is not None else principal.subject, "vetter", errors, max_length=200
        )
        if (
            assignee is not None
            and assignee != principal.subject
            and not await store.is_known_vetter(db=context_of(info).pool, subject=assignee)
        ):
            raise NotAVetter(
                "`vetter` names no vetter known here. Assign yourself, or a colleague who has "
                "already taken part in vetting (they can assign themselves first)."
            )
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            row = await _locked(
                connection,
                application_id,
                errors,
                {"submitted", "under_review", "assessment_scheduled", "deliberation"},
                "assigned",
            )
            if row is None or assignee is None:
                return await _answer(info, None, errors)
            await store.assign(
                connection=connection,
                professional_id=row.id,
                vetter=assignee,
                assigned_by=principal.subject,
            )
            if row.status == "submitted":
                await store.set_status(
                    connection=connection,
                    professional_id=row.id,
                    status="under_review",
                    changed_by=principal.subject,
                )
        return await _answer(info, row.id, errors)

    @strawberry.mutation(
        description="Schedule the assessment: an office visit in the home metro area, a video "
        "call elsewhere (see `assessmentKind`)."
    )
    async def schedule_assessment(
        self, info: Info[Any, Any], application_id: strawberry.ID, at: dt.datetime
    ) -> VettingPayload:
        principal = require_role(info, VETTER)
        errors = InputErrors()
        if at.tzinfo is None:
            errors.add("at", "Include the time zone, e.g. 2027-03-01T10:00:00-06:00.")
        elif at.date() < loaders(info).today:
            errors.add("at", "Choose a time that has not passed.")
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            row = await _locked(
                connection,
                application_id,
                errors,
                {"under_review", "assessment_scheduled"},
                "scheduled (assign a vetter first)",
            )
            if row is None or errors:
                return await _answer(info, None, errors)
            await store.set_status(
                connection=connection,
                professional_id=row.id,
                status="assessment_scheduled",
                changed_by=principal.subject,
                assessment_at=at,
            )
        return await _answer(info, row.id, errors)

    @strawberry.mutation(
        description="Record your assessment and vote (assigned vetters only); a second one in "
        "the same round replaces your first. The application moves to deliberation."
    )
    async def record_assessment(
        self, info: Info[Any, Any], application_id: strawberry.ID, input: AssessmentInput
    ) -> VettingPayload:
        principal = require_role(info, VETTER)
        errors = InputErrors()
        if not 0 <= input.callback_hours <= 168:
            errors.add("input.callbackHours", "Enter hours from 0 to 168.")
        notes = validation.text(input.notes, "input.notes", errors, max_length=4000, required=False)
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            row = await _locked(
                connection,
                application_id,
                errors,
                {"assessment_scheduled", "deliberation"},
                "assessed (schedule the assessment first)",
            )
            if row is not None and not await store.is_assigned(
                db=connection, professional_id=row.id, vetter=principal.subject
            ):
                errors.add("applicationId", "Only vetters assigned to this application assess it.")
            if row is None or errors:
                return await _answer(info, None, errors)
            await store.record_assessment(
                connection=connection,
                professional_id=row.id,
                round=row.vetting_round,
                vetter=principal.subject,
                assessment_in={
                    "license_verified": input.license_verified,
                    "insurance_verified": input.insurance_verified,
                    "callback_hours": input.callback_hours,
                    "responsive_to_urgent_requests": input.responsive_to_urgent_requests,
                    "confidentiality_practices": input.confidentiality_practices,
                    "hipaa_video_platform": input.hipaa_video_platform,
                    "law_enforcement_experience": input.law_enforcement_experience,
                    "notes": notes,
                    "vote": input.vote.value,
                },
            )
            if row.status != "deliberation":
                await store.set_status(
                    connection=connection,
                    professional_id=row.id,
                    status="deliberation",
                    changed_by=principal.subject,
                )
        return await _answer(info, row.id, errors)

    @strawberry.mutation(
        description="Close deliberation. At least two votes, all to approve: approved. "
        "Otherwise deferred, which needs a reason and a date after which it may be reconsidered."
    )
    async def decide_application(
        self,
        info: Info[Any, Any],
        application_id: strawberry.ID,
        reason: str | None = None,
        reconsider_after: dt.date | None = None,
    ) -> VettingPayload:
        principal = require_role(info, VETTER)
        errors = InputErrors()
        today = loaders(info).today
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            row = await _locked(connection, application_id, errors, {"deliberation"}, "decided")
            if row is None:
                return await _answer(info, None, errors)
            votes = await store.votes_of_round(
                db=connection, professional_id=row.id, round=row.vetting_round
            )
            outcome = rules.consensus(votes)
            approvals = votes.count("approve")
            checked_reason = validation.text(
                reason, "reason", errors, max_length=2000, required=outcome == "deferred"
            )
            if outcome == "deferred":
                if errors.has("reason"):
                    errors.items[-1] = FieldError(
                        field="reason",
                        message=f"Without consensus ({approvals} of {len(votes)} votes approve; "
                        f"at least {rules.MIN_VOTES} unanimous votes are needed) the "
                        "application is deferred: give the reason.",
                    )
                if reconsider_after is None:
                    errors.add(
                        "reconsiderAfter",
                        "A deferral needs the date after which it may be reconsidered.",
                    )
                elif reconsider_after <= today:
                    errors.add("reconsiderAfter", "Choose a date after today.")
            if errors:
                return await _answer(info, None, errors)
            await store.record_decision(
                connection=connection,
                professional_id=row.id,
                round=row.vetting_round,
                outcome=outcome,
                approvals=approvals,
                votes=len(votes),
                reason=checked_reason,
                reconsider_after=reconsider_after if outcome == "deferred" else None,
                decided_by=principal.subject,
            )
            await store.set_status(
                connection=connection,
                professional_id=row.id,
                status=outcome,
                changed_by=principal.subject,
                reconsider_after=reconsider_after,
            )
            await notices.application_decided(
                db=connection,
                settings=loaders(info).settings.mail,
                reference=row.reference,
                email=row.email,
                approved=outcome == "approved",
                reconsider_after=reconsider_after if outcome == "deferred" else None,
            )
        return await _answer(info, row.id, errors)

    @strawberry.mutation(
        description="Reconsider a deferred application once its reconsider-after date has "
        "passed: a new vetting round, under review."
    )
    async def reopen_application(
        self, info: Info[Any, Any], application_id: strawberry.ID
    ) -> VettingPayload:
        principal = require_role(info, VETTER)
        errors = InputErrors()
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            row = await _locked(connection, application_id, errors, {"deferred"}, "reopened")
            if (
                row is not None
                and row.reconsider_after
                and row.reconsider_after >= loaders(info).today
            ):
                errors.add(
                    "applicationId",
                    f"This application may be reconsidered after "
                    f"{row.reconsider_after.isoformat()}.",
                )
            if row is None or errors:
                return await _answer(info, None, errors)
            await store.set_status(
                connection=connection,
                professional_id=row.id,
                status="under_review",
                changed_by=principal.subject,
                next_round=True,
            )
        return await _answer(info, row.id, errors)

    @strawberry.mutation(
        description="Record a licence renewal verified with the state board: its new expiry. "
        "A listing removed for an expired licence returns."
    )
    async def record_license_renewal(
        self, info: Info[Any, Any], license_id: strawberry.ID, expires_on: dt.date
    ) -> VettingPayload:
        principal = require_role(info, VETTER)
        errors = InputErrors()
        parsed = parse_id(license_id)
        current = (
            await store.get_license(db=context_of(info).pool, license_id=parsed) if parsed else None
        )
        if current is None:
            errors.unknown("licenseId", "licence")
        if expires_on < loaders(info).today:
            errors.add("expiresOn", "A renewed licence expires in the future; check the date.")
        if errors or parsed is None:
            return await _answer(info, None, errors)
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            professional_id = await store.renew_license(
                connection=connection,
                license_id=parsed,
                expires_on=expires_on,
                renewed_by=principal.subject,
            )
        return await _answer(info, professional_id, errors)
