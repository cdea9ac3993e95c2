"""SQL of vetting: assignments, assessments, decisions, status changes, licence renewals.
Each write records which vetter acted and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from uuid import UUID

from servicekit.database import Connection, Executor
from servicekit.rows import RowReader

from .application import Assessment, VetterAssignment, VettingDecision
from .rules import AssessmentIn, CastVote
from .vocabulary import VettingStatus, Vote

_assignment = RowReader(VetterAssignment)
_assessment = RowReader(Assessment, convert={"vote": Vote})
_decision = RowReader(VettingDecision, convert={"outcome": VettingStatus})


async def list_assignments(
    *, db: Executor, professional_ids: Sequence[UUID]
) -> list[VetterAssignment]:
    rows = await db.fetch(
        f"SELECT {_assignment.columns} FROM vetting_assignments"  # noqa: S608
        " WHERE professional_id = ANY($1::uuid[])"
        " ORDER BY assigned_at, vetter",
        list(professional_ids),
    )
    return [_assignment(row) for row in rows]


async def list_assessments(*, db: Executor, professional_ids: Sequence[UUID]) -> list[Assessment]:
    rows = await db.fetch(
        f"SELECT {_assessment.columns} FROM assessments"  # noqa: S608
        " WHERE professional_id = ANY($1::uuid[])"
        " ORDER BY round, recorded_at",
        list(professional_ids),
    )
    return [_assessment(row) for row in rows]


async def list_decisions(
    *, db: Executor, professional_ids: Sequence[UUID]
) -> list[VettingDecision]:
    rows = await db.fetch(
        f"SELECT {_decision.columns} FROM vetting_decisions"  # noqa: S608
        " WHERE professional_id = ANY($1::uuid[])"
        " ORDER BY decided_at",
        list(professional_ids),
    )
    return [_decision(row) for row in rows]


async def set_status(
    *,
    connection: Connection,
    professional_id: UUID,
    status: str,
    changed_by: str,
    assessment_at: dt.datetime | None = None,
    reconsider_after: dt.date | None = None,
    next_round: bool = False,
) -> None:
    """Move the application to ``status`` and record who did it and when."""
    await connection.execute(
        """
        UPDATE professionals SET status = $2::vetting_status, status_changed_at = now(),
            assessment_at = coalesce($3::timestamptz, assessment_at),
            reconsider_after = CASE WHEN $2::vetting_status = 'deferred' THEN $4::date END,
            vetting_round = vetting_round + CASE WHEN $5::boolean THEN 1 ELSE 0 END
        WHERE id = $1
        """,
        professional_id,
        status,
        assessment_at,
        reconsider_after,
        next_round,
    )
    await connection.execute(
        "INSERT INTO status_changes (professional_id, status, changed_by) VALUES ($1, $2, $3)",
        professional_id,
        status,
        changed_by,
    )


async def assign(
    *, connection: Connection, professional_id: UUID, vetter: str, assigned_by: str
) -> None:
    await connection.execute(
        """
        INSERT INTO vetting_assignments (professional_id, vetter, assigned_by)
        VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
        """,
        professional_id,
        vetter,
        assigned_by,
    )


async def is_assigned(*, db: Executor, professional_id: UUID, vetter: str) -> bool:
    found = await db.fetchval(
        "SELECT 1 FROM vetting_assignments WHERE professional_id = $1 AND vetter = $2",
        professional_id,
        vetter,
    )
    return found is not None


async def is_known_vetter(*, db: Executor, subject: str) -> bool:
    """Whether ``subject`` has acted as a vetter here: assigned, assessed, decided, moved a
    status or recorded a renewal (only the vetter role can). Being assigned by someone else
    proves nothing."""
    found = await db.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM vetting_assignments WHERE assigned_by = $1)
            OR EXISTS (SELECT 1 FROM assessments WHERE vetter = $1)
            OR EXISTS (SELECT 1 FROM vetting_decisions WHERE decided_by = $1)
            OR EXISTS (SELECT 1 FROM status_changes WHERE changed_by = $1)
            OR EXISTS (SELECT 1 FROM licenses WHERE renewed_by = $1)
        """,
        subject,
    )
    return bool(found)


async def record_assessment(
    *,
    connection: Connection,
    professional_id: UUID,
    round: int,
    vetter: str,
    assessment_in: AssessmentIn,
) -> None:
    """The vetter's assessment of this round; a second one replaces the first."""
    x = assessment_in
    await connection.execute(
        """
        INSERT INTO assessments (professional_id, round, vetter, license_verified,
            insurance_verified, callback_hours, responsive_to_urgent_requests,
            confidentiality_practices, hipaa_video_platform, law_enforcement_experience,
            notes, vote, code_of_ethics)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        ON CONFLICT (professional_id, round, vetter) DO UPDATE SET
            license_verified = excluded.license_verified,
            insurance_verified = excluded.insurance_verified,
            callback_hours = excluded.callback_hours,
            responsive_to_urgent_requests = excluded.responsive_to_urgent_requests,
            confidentiality_practices = excluded.confidentiality_practices,
            hipaa_video_platform = excluded.hipaa_video_platform,
            law_enforcement_experience = excluded.law_enforcement_experience,
            code_of_ethics = excluded.code_of_ethics,
            notes = excluded.notes, vote = excluded.vote, recorded_at = now()
        """,
        professional_id,
        round,
        vetter,
        x.license_verified,
        x.insurance_verified,
        x.callback_hours,
        x.responsive_to_urgent_requests,
        x.confidentiality_practices,
        x.hipaa_video_platform,
        x.law_enforcement_experience,
        x.notes,
        x.vote,
        x.code_of_ethics,
    )


async def votes_of_round(*, db: Executor, professional_id: UUID, round: int) -> list[CastVote]:
    rows = await db.fetch(
        "SELECT vote, code_of_ethics FROM assessments WHERE professional_id = $1 AND round = $2",
        professional_id,
        round,
    )
    return [CastVote(vote=str(row["vote"]), code_of_ethics=row["code_of_ethics"]) for row in rows]


async def record_decision(
    *,
    connection: Connection,
    professional_id: UUID,
    round: int,
    outcome: str,
    approvals: int,
    votes: int,
    reason: str | None,
    reconsider_after: dt.date | None,
    decided_by: str,
) -> None:
    await connection.execute(
        """
        INSERT INTO vetting_decisions (professional_id, round, outcome, approvals, votes,
                                       reason, reconsider_after, decided_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """,
        professional_id,
        round,
        outcome,
        approvals,
        votes,
        reason,
        reconsider_after,
        decided_by,
    )


async def renew_license(
    *, connection: Connection, license_id: UUID, expires_on: dt.date, renewed_by: str
) -> UUID | None:
    """Record a renewed licence's new expiry; the listing's validity follows."""
    professional_id: UUID | None = await connection.fetchval(
        """
        UPDATE licenses SET expires_on = $2, renewed_by = $3, renewed_at = now()
        WHERE id = $1 RETURNING professional_id
        """,
        license_id,
        expires_on,
        renewed_by,
    )
    if professional_id is not None:
        await connection.execute(
            """
            UPDATE professionals SET licenses_valid_until =
                (SELECT min(expires_on) FROM licenses WHERE professional_id = $1)
            WHERE id = $1
            """,
            professional_id,
        )
    return professional_id
