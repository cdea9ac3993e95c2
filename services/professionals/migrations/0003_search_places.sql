-- The distance search reads one narrow table: a row per office of each approved professional
-- with its point on the earth (earthdistance's cube, GiST-indexed for nearest-first `<->`)
-- and copies of the columns officers filter on. Filtering happens inside the nearest-first
-- index scan, so a page of 20 stops early and never touches the wide `professionals` rows
-- it does not return. A trigger keeps it in step with `professionals`, so no write path can
-- forget it.
CREATE TABLE listing_places (
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    position integer NOT NULL,
    earth cube NOT NULL,
    listed_until date NOT NULL,
    service_states text[] NOT NULL,
    insurance_keys text[] NOT NULL,
    specialties text[] NOT NULL,
    languages text[] NOT NULL,
    self_pay boolean NOT NULL,
    telehealth boolean NOT NULL,
    answers_any_hour boolean NOT NULL,
    schedules_within_24h boolean NOT NULL,
    PRIMARY KEY (professional_id, position)
);
CREATE INDEX listing_places_near ON listing_places USING gist (earth);

CREATE FUNCTION refresh_listing_places() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM listing_places WHERE professional_id = NEW.id;
    IF NEW.status = 'approved' THEN
        INSERT INTO listing_places (
            professional_id, position, earth, listed_until, service_states, insurance_keys,
            specialties, languages, self_pay, telehealth, answers_any_hour, schedules_within_24h)
        SELECT l.professional_id, l.position, ll_to_earth(l.latitude, l.longitude)::cube,
               NEW.licenses_valid_until, NEW.service_states, NEW.insurance_keys,
               NEW.specialties, NEW.languages, NEW.self_pay, NEW.telehealth,
               NEW.answers_any_hour, NEW.schedules_within_24h
        FROM practice_locations l WHERE l.professional_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER professionals_listing_places
    AFTER INSERT OR UPDATE ON professionals
    FOR EACH ROW EXECUTE FUNCTION refresh_listing_places();

-- the office table no longer answers distance questions
DROP INDEX practice_locations_near;
