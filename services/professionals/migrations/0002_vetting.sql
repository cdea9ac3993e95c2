-- Vetting: who is assigned, what each vetter assessed and voted, and each decision.
-- These are staff actions (pseudonymous `sub` of network vetters), not officer activity.
CREATE TABLE vetting_assignments (
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    vetter text NOT NULL,
    assigned_by text NOT NULL,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (professional_id, vetter)
);

CREATE TYPE vote AS ENUM ('approve', 'defer');

-- One current assessment per vetter and vetting round; a round starts at each review.
CREATE TABLE assessments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    round integer NOT NULL,
    vetter text NOT NULL,
    license_verified boolean NOT NULL,
    insurance_verified boolean NOT NULL,
    callback_hours integer NOT NULL CHECK (callback_hours BETWEEN 0 AND 168),
    responsive_to_urgent_requests boolean NOT NULL,
    confidentiality_practices boolean NOT NULL,
    hipaa_video_platform boolean NOT NULL,
    law_enforcement_experience boolean NOT NULL,
    notes text,
    vote vote NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (professional_id, round, vetter)
);

CREATE TABLE vetting_decisions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    round integer NOT NULL,
    outcome vetting_status NOT NULL CHECK (outcome IN ('approved', 'deferred')),
    approvals integer NOT NULL,
    votes integer NOT NULL,
    reason text,
    reconsider_after date,
    CHECK (outcome = 'approved' OR (reason IS NOT NULL AND reconsider_after IS NOT NULL)),
    decided_by text NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vetting_decisions_by_professional ON vetting_decisions (professional_id, decided_at);

-- Every status change, with the staff member who made it (submission has none).
CREATE TABLE status_changes (
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    status vetting_status NOT NULL,
    changed_by text,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_changes_by_professional ON status_changes (professional_id, changed_at);
