-- The search without a place reads one narrow table in name order: a row per service state
-- of each approved professional, and one more under '*' for the whole country, with the
-- name and copies of the columns officers filter on. Its primary key walks one state (or
-- the country) in name order, so a page of 20 stops after the first matches and never
-- reads the wide `professionals` rows of those it skips; a small state no longer means
-- scanning the whole country's names. A trigger keeps it in step with `professionals`, so
-- no write path can forget it.
CREATE TABLE listing_names (
    state text NOT NULL,
    full_name text NOT NULL,
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    listed_until date NOT NULL,
    insurance_keys text[] NOT NULL,
    specialties text[] NOT NULL,
    languages text[] NOT NULL,
    self_pay boolean NOT NULL,
    telehealth boolean NOT NULL,
    answers_any_hour boolean NOT NULL,
    schedules_within_24h boolean NOT NULL,
    PRIMARY KEY (state, full_name, professional_id)
);
CREATE INDEX listing_names_by_professional ON listing_names (professional_id);

CREATE FUNCTION refresh_listing_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM listing_names WHERE professional_id = NEW.id;
    IF NEW.status = 'approved' THEN
        INSERT INTO listing_names (
            state, full_name, professional_id, listed_until, insurance_keys, specialties,
            languages, self_pay, telehealth, answers_any_hour, schedules_within_24h)
        SELECT state, NEW.full_name, NEW.id, NEW.licenses_valid_until, NEW.insurance_keys,
               NEW.specialties, NEW.languages, NEW.self_pay, NEW.telehealth,
               NEW.answers_any_hour, NEW.schedules_within_24h
        FROM unnest(NEW.service_states || '{*}'::text[]) AS state;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER professionals_listing_names
    AFTER INSERT OR UPDATE ON professionals
    FOR EACH ROW EXECUTE FUNCTION refresh_listing_names();

INSERT INTO listing_names (
    state, full_name, professional_id, listed_until, insurance_keys, specialties, languages,
    self_pay, telehealth, answers_any_hour, schedules_within_24h)
SELECT state, p.full_name, p.id, p.licenses_valid_until, p.insurance_keys, p.specialties,
       p.languages, p.self_pay, p.telehealth, p.answers_any_hour, p.schedules_within_24h
FROM professionals p, unnest(p.service_states || '{*}'::text[]) AS state
WHERE p.status = 'approved';

ANALYZE listing_names;
