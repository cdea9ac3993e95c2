-- A reference a department can quote when it writes or calls again (JOIN-7KQ3-M9XW,
-- DEMO-…), like a professional's application has; earlier contacts get one from their id.
ALTER TABLE join_inquiries ADD COLUMN reference text UNIQUE;
ALTER TABLE demo_requests ADD COLUMN reference text UNIQUE;
UPDATE join_inquiries SET reference = 'JOIN-' || upper(substr(replace(id::text, '-', ''), 1, 4))
    || '-' || upper(substr(replace(id::text, '-', ''), 5, 4)) WHERE reference IS NULL;
UPDATE demo_requests SET reference = 'DEMO-' || upper(substr(replace(id::text, '-', ''), 1, 4))
    || '-' || upper(substr(replace(id::text, '-', ''), 5, 4)) WHERE reference IS NULL;
ALTER TABLE join_inquiries ALTER COLUMN reference SET NOT NULL;
ALTER TABLE demo_requests ALTER COLUMN reference SET NOT NULL;

CREATE OR REPLACE VIEW department_contacts AS
    SELECT id, 'inquiry' AS kind, agency, contact_name, contact_role, email, phone, message,
           NULL::text AS demo_format, received_at, handled_at, reference
    FROM join_inquiries
    UNION ALL
    SELECT id, 'demo' AS kind, agency, contact_name, contact_role, email, phone,
           preferred_times AS message, format::text AS demo_format, received_at, handled_at,
           reference
    FROM demo_requests;
