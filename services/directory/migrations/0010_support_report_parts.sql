-- Monthly support reports without any per-report row, receipt or key (docs/directory.md,
-- "Monthly reports"). While a month is open each directory process counts the reports it
-- takes in memory only, and an advisory lock (never a row) refuses a second report; when the
-- month closes each process writes its own part of the figures, with differential-privacy
-- noise, once. The published figures are the sums of the parts.

-- One process's noisy part of a closed month: the network's pair (department_id NULL) and a
-- pair for every department that had a profile, reported to or not. part_id is a random id
-- the process made in memory for that month (never a host name). Values carry noise and may
-- be negative; only the published sums are clamped. Written once, never updated.
CREATE TABLE support_report_parts (
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    part_id uuid NOT NULL,
    department_id uuid,
    reports integer NOT NULL,
    officers_supported integer NOT NULL,
    UNIQUE NULLS NOT DISTINCT (month, department_id, part_id)
);

-- The figures of months closed before this migration become one part each (the nil part):
-- their sums are the figures as they were, and a department shown then is shown again.
INSERT INTO support_report_parts (month, part_id, department_id, reports, officers_supported)
SELECT month, '00000000-0000-0000-0000-000000000000', department_id, reports,
       officers_supported
FROM support_report_figures;

-- The previous design's tables go, with what they still held: the sealed reports and receipts
-- of the months open now (their keys are in no running process any more once it restarts,
-- so those reports are not counted and their supporters may report again), the wrapped month
-- keys and the processes' public keys (through which anyone who inserted a key received the
-- months' keys), and exact totals older than migration 0004 that no process had closed yet.
-- Their dead row versions stay in the WAL, old backups and unvacuumed pages: that is the old
-- design's leftover, not something this one writes.
DROP TABLE report_month_keys;
DROP TABLE report_key_holders;
DROP TABLE sealed_support_reports;
DROP TABLE support_report_receipts;
DROP TABLE support_report_totals;
DROP TABLE support_report_figures;
