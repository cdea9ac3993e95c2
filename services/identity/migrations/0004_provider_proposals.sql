-- A coordinator's proposal of their department's own identity provider, checked like an
-- admin's, waiting for a network admin's approval. Configuration only; at most one each.
CREATE TABLE provider_proposals (
    organisation_id uuid PRIMARY KEY,
    -- display name, issuer, client id and authentication, scopes, claim rules, email domains
    settings jsonb NOT NULL,
    -- AES-256-GCM under WNWA_IDENTITY_SECRETS_KEY, bound to the proposal's organisation
    client_secret_sealed bytea NOT NULL
);
