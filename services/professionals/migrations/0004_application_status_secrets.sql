-- The secret an applicant holds to check their application's status (receipt of
-- submitProfessionalApplication). Only its SHA-256 is kept; a resubmission of the same
-- form issues a new one, replacing the old.
CREATE TABLE application_status_secrets (
    professional_id uuid PRIMARY KEY REFERENCES professionals (id) ON DELETE CASCADE,
    secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32)
);
