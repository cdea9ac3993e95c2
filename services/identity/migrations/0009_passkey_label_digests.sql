-- A coordinator's label ("Badge 101") names a person: codes and passkeys keep only a keyed
-- digest of it, which is all revoking by label needs. The key is identity's (derived from
-- WNWA_IDENTITY_SECRETS_KEY), which SQL never holds, so the labels written before are set
-- aside here and digested by identity's housekeeping when it next starts (seconds later);
-- each is deleted as its digest is written. Old row versions of the dropped columns remain
-- in the WAL and backups taken before, until those age out.

CREATE TABLE undigested_labels (
    organisation_id uuid NOT NULL,
    credential_id bytea UNIQUE,
    code_id uuid UNIQUE,
    label text NOT NULL,
    CHECK ((credential_id IS NULL) <> (code_id IS NULL))
);
INSERT INTO undigested_labels (organisation_id, credential_id, label)
    SELECT organisation_id, credential_id, label FROM passkeys WHERE label IS NOT NULL;
INSERT INTO undigested_labels (organisation_id, code_id, label)
    SELECT organisation_id, id, label FROM enrollment_codes WHERE label IS NOT NULL;

-- HMAC-SHA256 of the organisation and the normalised label (passkeys.label_digest)
ALTER TABLE passkeys DROP COLUMN label,
    ADD COLUMN label_digest bytea CHECK (length(label_digest) = 32);
ALTER TABLE enrollment_codes DROP COLUMN label,
    ADD COLUMN label_digest bytea CHECK (length(label_digest) = 32);
CREATE INDEX passkeys_organisation ON passkeys (organisation_id, label_digest);
