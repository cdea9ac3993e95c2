-- Demos at the department's convenience: network admins publish time slots, a department
-- books one on /join. A booking is a demo request holding a slot; the link to move or cancel
-- it carries a random token of which only the SHA-256 digest is kept.
CREATE TABLE demo_slots (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    starts_at timestamptz NOT NULL,
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 15 AND 480),
    format demo_format NOT NULL,
    -- in person: where; virtual: empty ("video link sent by staff")
    place text CHECK (length(place) BETWEEN 1 AND 300),
    CHECK ((format = 'in_person') = (place IS NOT NULL))
);
CREATE INDEX demo_slots_by_start ON demo_slots (starts_at);

ALTER TABLE demo_requests
    ADD COLUMN slot_id uuid REFERENCES demo_slots (id) ON DELETE SET NULL,
    ADD COLUMN manage_digest bytea UNIQUE CHECK (length(manage_digest) = 32),
    ADD COLUMN sequence integer NOT NULL DEFAULT 0,
    ADD COLUMN cancelled_at timestamptz;
-- one live booking per slot, held by the database: two bookings at once cannot both win
CREATE UNIQUE INDEX demo_requests_one_per_slot ON demo_requests (slot_id)
    WHERE cancelled_at IS NULL;

-- an optional text attachment (the booking's iCalendar invitation)
ALTER TABLE mail_outbox
    ADD COLUMN attachment_name text CHECK (attachment_name ~ '^[A-Za-z0-9._-]{1,100}$'),
    ADD COLUMN attachment_type text CHECK (attachment_type ~ '^text/[a-z0-9.+-]+(; ?[a-z-]+=[A-Za-z0-9-]+)*$'),
    ADD COLUMN attachment text CHECK (length(attachment) BETWEEN 1 AND 20000),
    ADD CHECK (num_nulls(attachment_name, attachment_type, attachment) IN (0, 3));
