-- Each message succeeds or fails on its own (servicekit/mail.py): whom it is for, when it was
-- written (its Date header), the class of its last failure (never the error's text, which may
-- quote an address) and, after its last attempt, when it became a dead letter: kept for a
-- network admin to retry or dismiss, deleted after 30 days.
ALTER TABLE mail_outbox
    ADD COLUMN recipient_kind text NOT NULL DEFAULT 'correspondent'
        CHECK (recipient_kind IN ('staff', 'correspondent')),
    ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error text CHECK (length(last_error) BETWEEN 1 AND 100),
    ADD COLUMN dead_since timestamptz;
-- the messages already waiting: staff notices are the ones with this subject
UPDATE mail_outbox SET recipient_kind = 'staff' WHERE subject LIKE 'New application %';
DROP INDEX mail_outbox_due;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE dead_since IS NULL;
