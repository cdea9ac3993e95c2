-- Contacts from departments that are not members yet; kept only for the network's staff.
CREATE TABLE join_inquiries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency text NOT NULL,
    contact_name text NOT NULL,
    contact_role text NOT NULL,
    email text NOT NULL,
    phone text,
    message text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    handled_at timestamptz
);
CREATE INDEX join_inquiries_open ON join_inquiries (received_at, id) WHERE handled_at IS NULL;

CREATE TYPE demo_format AS ENUM ('virtual', 'in_person');

CREATE TABLE demo_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency text NOT NULL,
    contact_name text NOT NULL,
    contact_role text NOT NULL,
    email text NOT NULL,
    phone text,
    format demo_format NOT NULL,
    preferred_times text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    handled_at timestamptz
);
CREATE INDEX demo_requests_open ON demo_requests (received_at, id) WHERE handled_at IS NULL;

-- Both kinds of contact in one list for the staff's inbox.
CREATE VIEW department_contacts AS
    SELECT id, 'inquiry' AS kind, agency, contact_name, contact_role, email, phone, message,
           NULL::text AS demo_format, received_at, handled_at
    FROM join_inquiries
    UNION ALL
    SELECT id, 'demo' AS kind, agency, contact_name, contact_role, email, phone,
           preferred_times AS message, format::text AS demo_format, received_at, handled_at
    FROM demo_requests;
