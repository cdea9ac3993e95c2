-- The shared outbox (servicekit/mail.py) may carry one text attachment; professionals sends
-- none yet, but reads the same columns as every service's outbox.
ALTER TABLE mail_outbox
    ADD COLUMN attachment_name text CHECK (attachment_name ~ '^[A-Za-z0-9._-]{1,100}$'),
    ADD COLUMN attachment_type text CHECK (attachment_type ~ '^text/[a-z0-9.+-]+(; ?[a-z-]+=[A-Za-z0-9-]+)*$'),
    ADD COLUMN attachment text CHECK (length(attachment) BETWEEN 1 AND 20000),
    ADD CHECK (num_nulls(attachment_name, attachment_type, attachment) IN (0, 3));
