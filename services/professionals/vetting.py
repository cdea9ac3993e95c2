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
)

from . import application_store, notices, rules, vetting_store
from .application import Application
from .context import context
from .inputs import AssessmentInput


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


async def _locked(
    connection: Connection,
    application_id: strawberry.ID,
    errors: InputErrors,
    allowed: set[str],
    doing: str,
) -> Application | None:
    parsed = parse_id(application_id)
    row = (
        await application_store.lock_application(connection=connection, professional_id=parsed)
        if parsed
        else None
    )
    if row is None:
        errors.unknown("applicationId", "application")
        return None
    if row.status.value not in allowed:
        errors.add(
            "applicationId",
            f"This application is {_WORDS[row.status.value]}; it cannot be {doing} now.",
        )
        return None
    return row


async def _answer(
    info: Info[Any, Any], professional_id: UUID | None, errors: InputErrors
) -> VettingPayload:
    if errors or professional_id is None:
        return VettingPayload(application=None, errors=errors.items)
    rows = await application_store.get_applications(db=context_of(info).pool, ids=[professional_id])
    return VettingPayload(application=rows[professional_id], errors=[])


@strawberry.type
class VettingMutation:
    @strawberry.mutation(
        description="Assign a vetter (yourself when `vetter` is omitted). A new application "
        "goes under review."
    )
    async def assign_vetter(
        self, info: Info[Any, Any], application_id: strawberry.ID, vetter: str | None = None
    ) -> VettingPayload:
        principal = rules.vetter(info)
        errors = InputErrors()
        assignee = validation.line(
            vetter if vetter is not None else principal.subject, "vetter", errors, max_length=200
        )
        if (
            assignee is not None
            and assignee != principal.subject
            and not await vetting_store.is_known_vetter(db=context_of(info).pool, subject=assignee)
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
            await vetting_store.assign(
                connection=connection,
                professional_id=row.key,
                vetter=assignee,
                assigned_by=principal.subject,
            )
            if row.status.value == "submitted":
                await vetting_store.set_status(
                    connection=connection,
                    professional_id=row.key,
                    status="under_review",
                    changed_by=principal.subject,
                )
        return await _answer(info, row.key, errors)

    @strawberry.mutation(
        description="Schedule the assessment: an office visit in the home metro area, a video "
        "call elsewhere (see `assessmentKind`)."
    )
    async def schedule_assessment(
        self, info: Info[Any, Any], application_id: strawberry.ID, at: dt.datetime
    ) -> VettingPayload:
        principal = rules.vetter(info)
        errors = InputErrors()
        if at.tzinfo is None:
            errors.add("at", "Include the time zone, e.g. 2027-03-01T10:00:00-06:00.")
        elif at.date() < context(info).loaders.today:
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
            await vetting_store.set_status(
                connection=connection,
                professional_id=row.key,
                status="assessment_scheduled",
                changed_by=principal.subject,
                assessment_at=at,
            )
        return await _answer(info, row.key, errors)

    @strawberry.mutation(
        description="Record your assessment and vote (assigned vetters only); a second one in "
        "the same round replaces your first. The application moves to deliberation."
    )
    async def record_assessment(
        self, info: Info[Any, Any], application_id: strawberry.ID, input: AssessmentInput
    ) -> VettingPayload:
        principal = rules.vetter(info)
        errors = InputErrors()
        assessment_in = rules.check_assessment(input, errors)
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            row = await _locked(
                connection,
                application_id,
                errors,
                {"assessment_scheduled", "deliberation"},
                "assessed (schedule the assessment first)",
            )
            if row is not None and not await vetting_store.is_assigned(
                db=connection, professional_id=row.key, vetter=principal.subject
            ):
                errors.add("applicationId", "Only vetters assigned to this application assess it.")
            if row is None or assessment_in is None or errors:
                return await _answer(info, None, errors)
            await vetting_store.record_assessment(
                connection=connection,
                professional_id=row.key,
                round=row.round,
                vetter=principal.subject,
                assessment_in=assessment_in,
            )
            if row.status.value != "deliberation":
                await vetting_store.set_status(
                    connection=connection,
                    professional_id=row.key,
                    status="deliberation",
                    changed_by=principal.subject,
                )
        return await _answer(info, row.key, errors)

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
        principal = rules.vetter(info)
        errors = InputErrors()
        today = context(info).loaders.today
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            row = await _locked(connection, application_id, errors, {"deliberation"}, "decided")
            if row is None:
                return await _answer(info, None, errors)
            votes = await vetting_store.votes_of_round(
                db=connection, professional_id=row.key, round=row.round
            )
            unchecked = rules.unchecked_approvals(votes)
            if unchecked:
                errors.add(
                    "applicationId",
                    f"{unchecked} approving vote{'s were' if unchecked > 1 else ' was'} recorded "
                    "without the code-of-ethics check; each of those vetters records the "
                    "assessment again (it replaces the earlier one) before a decision.",
                )
                return await _answer(info, None, errors)
            outcome = rules.consensus(votes)
            approvals = sum(1 for vote in votes if vote.vote == "approve")
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
            await vetting_store.record_decision(
                connection=connection,
                professional_id=row.key,
                round=row.round,
                outcome=outcome,
                approvals=approvals,
                votes=len(votes),
                reason=checked_reason,
                reconsider_after=reconsider_after if outcome == "deferred" else None,
                decided_by=principal.subject,
            )
            await vetting_store.set_status(
                connection=connection,
                professional_id=row.key,
                status=outcome,
                changed_by=principal.subject,
                reconsider_after=reconsider_after,
            )
            await notices.application_decided(
                db=connection,
                settings=context(info).resources.settings.mail,
                reference=row.reference,
                email=row.email,
                approved=outcome == "approved",
                reconsider_after=reconsider_after if outcome == "deferred" else None,
            )
        return await _answer(info, row.key, errors)

    @strawberry.mutation(
        description="Reconsider a deferred application once its reconsider-after date has "
        "passed: a new vetting round, under review."
    )
    async def reopen_application(
        self, info: Info[Any, Any], application_id: strawberry.ID
    ) -> VettingPayload:
        principal = rules.vetter(info)
        errors = InputErrors()
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            row = await _locked(connection, application_id, errors, {"deferred"}, "reopened")
            if (
                row is not None
                and row.reconsider_after
                and row.reconsider_after >= context(info).loaders.today
            ):
                errors.add(
                    "applicationId",
                    f"This application may be reconsidered after "
                    f"{row.reconsider_after.isoformat()}.",
                )
            if row is None or errors:
                return await _answer(info, None, errors)
            await vetting_store.set_status(
                connection=connection,
                professional_id=row.key,
                status="under_review",
                changed_by=principal.subject,
                next_round=True,
            )
        return await _answer(info, row.key, errors)

    @strawberry.mutation(
        description="Record a license renewal verified with the state board: its new expiry. "
        "A listing removed for an expired license returns."
    )
    async def record_license_renewal(
        self, info: Info[Any, Any], license_id: strawberry.ID, expires_on: dt.date
    ) -> VettingPayload:
        principal = rules.vetter(info)
        errors = InputErrors()
        parsed = parse_id(license_id)
        current = (
            await application_store.get_license(db=context_of(info).pool, license_id=parsed)
            if parsed
            else None
        )
        if current is None:
            errors.unknown("licenseId", "license")
        if expires_on < context(info).loaders.today:
            errors.add("expiresOn", "A renewed license expires in the future; check the date.")
        if errors or parsed is None:
            return await _answer(info, None, errors)
        async with context_of(info).pool.acquire() as connection, connection.transaction():
            professional_id = await vetting_store.renew_license(
                connection=connection,
                license_id=parsed,
                expires_on=expires_on,
                renewed_by=principal.subject,
            )
        return await _answer(info, professional_id, errors)
