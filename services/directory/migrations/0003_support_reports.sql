-- Peer supporters' anonymous monthly reports, kept only as aggregates (docs/PRIVACY.md).
-- A report adds to its month's row for the supporter's department; no row per report or
-- per supporter exists. When the month closes, departments with fewer than 10 reports are
-- folded into the network-wide row (department_id NULL), so no small count stays tied to a
-- department.
CREATE TABLE support_report_totals (
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    department_id uuid,
    reports integer NOT NULL CHECK (reports >= 0),
    officers_supported integer NOT NULL CHECK (officers_supported >= 0),
    UNIQUE NULLS NOT DISTINCT (month, department_id)
);

-- Who reported already, only while the month is open, to refuse a second report: a keyed
-- hash (HMAC-SHA256 with WNWA_DIRECTORY_REPORT_KEY, which is not in the database) of the
-- month and the supporter's pseudonym. Deleted when the month closes.
CREATE TABLE support_report_receipts (
    month date NOT NULL,
    receipt bytea NOT NULL CHECK (length(receipt) = 32),
    PRIMARY KEY (month, receipt)
);
