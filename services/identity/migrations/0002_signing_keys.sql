-- identity's own ES256 keys. Exactly one signs (retired_at IS NULL); retired keys stay
-- published until every token they signed has expired.
CREATE TABLE signing_keys (
    kid text PRIMARY KEY,
    algorithm text NOT NULL CHECK (algorithm = 'ES256'),
    public_jwk jsonb NOT NULL,
    -- AES-256-GCM under WNWA_IDENTITY_SECRETS_KEY, bound to the kid
    private_key_sealed bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true)) WHERE retired_at IS NULL;
