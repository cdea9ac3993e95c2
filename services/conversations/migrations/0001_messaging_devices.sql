-- Each peer supporter's messaging device: the public key officers' browsers encrypt to
-- and, when the supporter opted in, that device's Web Push subscription. Nothing of any
-- conversation is ever written here (or anywhere): see docs/conversations.md.
CREATE TABLE messaging_devices (
    supporter_id uuid PRIMARY KEY,
    -- who may read the supporter's conversations: the profile's owner, as directory says
    owner_subject text NOT NULL UNIQUE CHECK (length(owner_subject) BETWEEN 1 AND 200),
    -- an uncompressed P-256 point (65 bytes), the supporter device's ECDH key
    public_key bytea NOT NULL CHECK (length(public_key) = 65),
    push_endpoint text CHECK (length(push_endpoint) <= 1000),
    push_p256dh bytea CHECK (length(push_p256dh) = 65),
    push_auth bytea CHECK (length(push_auth) = 16),
    -- pushed while off call too (else only while directory says they are on call)
    push_off_call boolean NOT NULL DEFAULT false,
    CHECK ((push_endpoint IS NULL) = (push_p256dh IS NULL)
           AND (push_endpoint IS NULL) = (push_auth IS NULL))
);
