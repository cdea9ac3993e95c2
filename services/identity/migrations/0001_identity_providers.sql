-- One identity provider per organisation (a member department, or the network itself).
-- Configuration only: nothing here describes a person or a sign-in.
CREATE TABLE identity_providers (
    organisation_id uuid PRIMARY KEY,
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    issuer text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 500),
    client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 255),
    -- AES-256-GCM under WNWA_IDENTITY_SECRETS_KEY, bound to the organisation id
    client_secret_sealed bytea NOT NULL,
    client_auth_method text NOT NULL
        CHECK (client_auth_method IN ('client_secret_basic', 'client_secret_post')),
    scopes text[] NOT NULL,
    claim_rules jsonb NOT NULL DEFAULT '[]'::jsonb,
    enabled boolean NOT NULL DEFAULT true,
    -- 'file': declared in the providers file and replaced from it at every start
    source text NOT NULL CHECK (source IN ('file', 'admin')),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Work email domains that select an organisation at sign-in; each belongs to one.
CREATE TABLE provider_email_domains (
    domain text PRIMARY KEY CHECK (domain = lower(domain)),
    organisation_id uuid NOT NULL REFERENCES identity_providers ON DELETE CASCADE
);
CREATE INDEX provider_email_domains_organisation ON provider_email_domains (organisation_id);
