-- A shared issuer: one provider (a county's or a state's tenant) that signs in officers of
-- several departments. It is an identity_providers row of its own (shared = true), keyed by
-- an id of its own rather than a department's, so the one index on issuer covers it too;
-- its claim rules give roles, and a rule per department below says who belongs where.
ALTER TABLE identity_providers ADD COLUMN shared boolean NOT NULL DEFAULT false;
ALTER TABLE identity_providers
    ADD CONSTRAINT identity_providers_shared UNIQUE (organisation_id, shared);

-- Which department a person signed in by a shared issuer belongs to: the one whose claim
-- holds its value. A department signs in through one shared issuer at most; two departments
-- of one issuer never have the same rule. Configuration only.
CREATE TABLE shared_issuer_departments (
    department_id uuid PRIMARY KEY,
    shared_issuer_id uuid NOT NULL,
    shared boolean NOT NULL DEFAULT true CHECK (shared),
    -- the department's name in the sign-in page's list
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    claim text NOT NULL CHECK (length(claim) BETWEEN 1 AND 100),
    value text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    -- only a shared issuer's row, never a department's own provider
    FOREIGN KEY (shared_issuer_id, shared)
        REFERENCES identity_providers (organisation_id, shared) ON DELETE CASCADE,
    CONSTRAINT shared_issuer_departments_rule UNIQUE (shared_issuer_id, claim, value)
);
