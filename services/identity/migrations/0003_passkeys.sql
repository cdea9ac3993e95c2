-- Passkeys the network itself holds, and the one-time codes that enrol them.
-- Neither table says who a person is, nor when anyone signed in: no use time, no
-- signature counter, no authenticator model, no user agent, no address.

-- A one-time enrolment code a coordinator (or a network admin) handed out in person.
-- Only a keyed hash of the code is kept; the code itself is shown once, at issue.
CREATE TABLE enrollment_codes (
    id uuid PRIMARY KEY,
    -- HMAC-SHA256 of the normalised code under a key derived from WNWA_IDENTITY_SECRETS_KEY
    code_digest bytea NOT NULL UNIQUE CHECK (length(code_digest) = 32),
    organisation_id uuid NOT NULL,
    roles text[] NOT NULL CHECK (cardinality(roles) BETWEEN 1 AND 6),
    -- chosen by the coordinator (e.g. a badge number) so a credential can be revoked later
    label text CHECK (label IS NULL OR length(label) BETWEEN 1 AND 80),
    -- the last day (UTC) the code works
    expires_on date NOT NULL
);
CREATE INDEX enrollment_codes_organisation ON enrollment_codes (organisation_id, expires_on);

-- One WebAuthn credential. The person's pseudonym is not here: it is sealed inside the
-- credential's user handle, which only the authenticator keeps; handle_digest checks that
-- the handle an assertion returns is this credential's own.
CREATE TABLE passkeys (
    credential_id bytea PRIMARY KEY CHECK (length(credential_id) BETWEEN 16 AND 1023),
    public_key bytea NOT NULL CHECK (length(public_key) <= 2048),
    organisation_id uuid NOT NULL,
    roles text[] NOT NULL CHECK (cardinality(roles) BETWEEN 1 AND 6),
    label text CHECK (label IS NULL OR length(label) BETWEEN 1 AND 80),
    -- the last day (UTC) it works; NULL: until revoked (enrolled from a code)
    valid_until date,
    handle_digest bytea NOT NULL CHECK (length(handle_digest) = 32)
);
CREATE INDEX passkeys_organisation ON passkeys (organisation_id, label);

-- How long a passkey added after a department sign-in lasts before one department
-- sign-in renews it (1-90 days, default 30): the department's choice.
ALTER TABLE identity_providers
    ADD COLUMN passkey_days integer NOT NULL DEFAULT 30 CHECK (passkey_days BETWEEN 1 AND 90);
