-- A supporter's manual switch ends on a full hour (services/directory/availability.py,
-- to_the_hour): "available now" used to end four hours after the click to the second, so
-- the stored end told the moment of the click. Existing ends are rounded up to the hour,
-- and the database refuses any other from now on.
UPDATE peer_supporters
SET available_until = date_bin('1 hour', available_until, timestamptz '2000-01-01 00:00+00')
        + CASE WHEN available_until = date_bin('1 hour', available_until,
                                               timestamptz '2000-01-01 00:00+00')
               THEN interval '0' ELSE interval '1 hour' END
WHERE available_until IS NOT NULL;
UPDATE peer_supporters
SET unavailable_until = date_bin('1 hour', unavailable_until, timestamptz '2000-01-01 00:00+00')
        + CASE WHEN unavailable_until = date_bin('1 hour', unavailable_until,
                                                 timestamptz '2000-01-01 00:00+00')
               THEN interval '0' ELSE interval '1 hour' END
WHERE unavailable_until IS NOT NULL;
ALTER TABLE peer_supporters
    ADD CONSTRAINT peer_supporters_switch_on_the_hour CHECK (
        (available_until IS NULL
         OR available_until = date_bin('1 hour', available_until, timestamptz '2000-01-01 00:00+00'))
        AND (unavailable_until IS NULL
         OR unavailable_until = date_bin('1 hour', unavailable_until, timestamptz '2000-01-01 00:00+00'))
    );
