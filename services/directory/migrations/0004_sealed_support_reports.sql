-- Monthly support reports with nothing linkable at rest (docs/directory.md, docs/PRIVACY.md).
--
-- While a month is open, each report is a sealed row (AES-GCM under the month's key) and a
-- receipt (HMAC under the same key) refuses a second one. The month's key exists only in
-- the memory of the running directory processes; the database holds copies of it wrapped
-- for each process's own in-memory X25519 key. When the month closes, the figures are
-- written with differential-privacy noise and everything else about the month is deleted:
-- what remains in the WAL, old row versions and backups can no longer be opened.

-- the running directory processes (their public keys), while they renew their lease
CREATE TABLE report_key_holders (
    holder bytea PRIMARY KEY CHECK (length(holder) = 32),
    alive_until timestamptz NOT NULL
);

-- a month key, wrapped for one holder
CREATE TABLE report_month_keys (
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    key_id uuid NOT NULL,
    holder bytea NOT NULL REFERENCES report_key_holders ON DELETE CASCADE,
    wrapped bytea NOT NULL CHECK (length(wrapped) = 32 + 12 + 32 + 16),
    PRIMARY KEY (month, key_id, holder)
);

-- one row per report while its month is open: sealed department and figure, fixed length
CREATE TABLE sealed_support_reports (
    month date NOT NULL,
    key_id uuid NOT NULL,
    sealed bytea NOT NULL CHECK (length(sealed) = 12 + 18 + 16)
);
CREATE INDEX sealed_support_reports_month ON sealed_support_reports (month, key_id);

-- the published figures of closed months, noise included (report_figures.py); department_id
-- NULL is the whole network. Written once per month, never updated.
CREATE TABLE support_report_figures (
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    department_id uuid,
    reports integer NOT NULL CHECK (reports >= 0),
    officers_supported integer NOT NULL CHECK (officers_supported >= 0),
    UNIQUE NULLS NOT DISTINCT (month, department_id)
);

-- Receipts made under the operator's configured key could be recomputed by the operator:
-- they go now. Whoever reported for the month still open may report for it once more.
DELETE FROM support_report_receipts;
COMMENT ON TABLE support_report_receipts IS
    'HMAC-SHA256 under the month key (report_keys.py) of month and pseudonym; open months only';
-- Exact totals kept before this migration are read once more, when their month closes, and
-- folded into its noisy figures; nothing writes to this table any longer.
COMMENT ON TABLE support_report_totals IS 'legacy exact totals, consumed when their month closes';
