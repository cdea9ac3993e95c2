-- The search's daily rotation (uuid_hash_extended(id, day)), kept for one day at a time in
-- a narrow table with an index, so a search without a selective filter reads supporters in
-- rotation order and stops after a page, instead of hashing and sorting every active row.
-- The directory re-keys it when the UTC day changes (store.keep_rotation_day); a search for
-- any other day (a cursor from before midnight) computes the rotation as before.
CREATE TABLE search_rotation_day (
    single boolean PRIMARY KEY DEFAULT true CHECK (single),
    -- the UTC day as Python's date.toordinal() (0001-01-01 is day 1)
    day integer NOT NULL
);
INSERT INTO search_rotation_day (day)
VALUES (((now() AT TIME ZONE 'UTC')::date - date '0001-01-01') + 1);

CREATE TABLE search_rotation (
    id uuid PRIMARY KEY REFERENCES peer_supporters ON DELETE CASCADE,
    rotation bigint NOT NULL
);
INSERT INTO search_rotation (id, rotation)
SELECT s.id, uuid_hash_extended(s.id, d.day) FROM peer_supporters s, search_rotation_day d;
CREATE INDEX search_rotation_order ON search_rotation (rotation, id);

-- A new profile joins the rotation of the day kept. The row lock waits for a re-keying in
-- progress, so a profile is never left with another day's rotation.
CREATE FUNCTION search_rotation_join() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept integer;
BEGIN
    SELECT day INTO kept FROM search_rotation_day FOR SHARE;
    INSERT INTO search_rotation (id, rotation) VALUES (NEW.id, uuid_hash_extended(NEW.id, kept));
    RETURN NULL;
END
$$;
CREATE TRIGGER peer_supporters_rotation AFTER INSERT ON peer_supporters
    FOR EACH ROW EXECUTE FUNCTION search_rotation_join();
