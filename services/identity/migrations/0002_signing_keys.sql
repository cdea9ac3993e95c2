-- identity's own ES256 keys. One signs (activated, not retired); one waits, published
-- ahead (activated_at IS NULL), so every verifier already holds it when it starts to
-- sign; retired keys stay published until every token they signed has expired.
CREATE TABLE signing_keys (
    kid text PRIMARY KEY,
    algorithm text NOT NULL CHECK (algorithm = 'ES256'),
    public_jwk jsonb NOT NULL,
    -- AES-256-GCM under WNWA_IDENTITY_SECRETS_KEY, bound to the kid
    private_key_sealed bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz,
    retired_at timestamptz,
    CHECK (retired_at IS NULL OR activated_at IS NOT NULL)
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true))
    WHERE activated_at IS NOT NULL AND retired_at IS NULL;
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys ((true)) WHERE activated_at IS NULL;
