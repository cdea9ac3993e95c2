-- What officers filter professionals by, beyond insurance and place: the gender a professional
-- chose to state, whom they see (individuals, couples, families, groups) and whether they
-- take new clients; and languages as the network's ISO 639 codes, the one list supporters
-- use too, so that `es` and `Spanish` find the same people.
ALTER TABLE professionals
    ADD COLUMN gender text CHECK (gender IN ('woman', 'man', 'non_binary')),
    -- applications made before the form asked state no modality: they match no such filter
    ADD COLUMN modalities text[] NOT NULL DEFAULT '{}',
    -- they applied to see officers quickly: taken as accepting until a vetter hears otherwise
    ADD COLUMN accepting_new_clients boolean NOT NULL DEFAULT true,
    -- names an earlier application gave that match none of the network's languages, kept
    -- as written for the vetters rather than dropped
    ADD COLUMN unlisted_languages text[] NOT NULL DEFAULT '{}';

-- the same defaults as above, so every existing row already agrees with `professionals`
ALTER TABLE listing_places
    ADD COLUMN gender text,
    ADD COLUMN modalities text[] NOT NULL DEFAULT '{}',
    ADD COLUMN accepting_new_clients boolean NOT NULL DEFAULT true;
ALTER TABLE listing_names
    ADD COLUMN gender text,
    ADD COLUMN modalities text[] NOT NULL DEFAULT '{}',
    ADD COLUMN accepting_new_clients boolean NOT NULL DEFAULT true;

CREATE OR REPLACE FUNCTION refresh_listing_places() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM listing_places WHERE professional_id = NEW.id;
    IF NEW.status = 'approved' THEN
        INSERT INTO listing_places (
            professional_id, position, earth, listed_until, service_states, insurance_keys,
            specialties, languages, self_pay, telehealth, answers_any_hour, schedules_within_24h,
            gender, modalities, accepting_new_clients)
        SELECT l.professional_id, l.position, ll_to_earth(l.latitude, l.longitude)::cube,
               NEW.licenses_valid_until, NEW.service_states, NEW.insurance_keys,
               NEW.specialties, NEW.languages, NEW.self_pay, NEW.telehealth,
               NEW.answers_any_hour, NEW.schedules_within_24h,
               NEW.gender, NEW.modalities, NEW.accepting_new_clients
        FROM practice_locations l WHERE l.professional_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION refresh_listing_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM listing_names WHERE professional_id = NEW.id;
    IF NEW.status = 'approved' THEN
        INSERT INTO listing_names (
            state, full_name, professional_id, listed_until, insurance_keys, specialties,
            languages, self_pay, telehealth, answers_any_hour, schedules_within_24h,
            gender, modalities, accepting_new_clients)
        SELECT state, NEW.full_name, NEW.id, NEW.licenses_valid_until, NEW.insurance_keys,
               NEW.specialties, NEW.languages, NEW.self_pay, NEW.telehealth,
               NEW.answers_any_hour, NEW.schedules_within_24h,
               NEW.gender, NEW.modalities, NEW.accepting_new_clients
        FROM unnest(NEW.service_states || '{*}'::text[]) AS state;
    END IF;
    RETURN NULL;
END
$$;

-- Languages were names as typed (title-cased: "Spanish", "Mandarin"); now codes. The names
-- and other names of the network's list at the time of this migration (servicekit's
-- vocabulary), matched in any case; a value that is a code already stays one. Codes keep
-- the order the names had. The update fires the triggers above, which rewrite the listing
-- tables' copies.
WITH names (name, code) AS (VALUES
    ('english', 'en'),
    ('spanish', 'es'),
    ('american sign language', 'ase'),
    ('amharic', 'am'),
    ('arabic', 'ar'),
    ('bengali', 'bn'),
    ('chinese', 'zh'),
    ('croatian', 'hr'),
    ('czech', 'cs'),
    ('dutch', 'nl'),
    ('persian', 'fa'),
    ('french', 'fr'),
    ('german', 'de'),
    ('greek', 'el'),
    ('gujarati', 'gu'),
    ('haitian creole', 'ht'),
    ('hebrew', 'he'),
    ('hindi', 'hi'),
    ('hmong', 'hmn'),
    ('hungarian', 'hu'),
    ('italian', 'it'),
    ('japanese', 'ja'),
    ('khmer', 'km'),
    ('korean', 'ko'),
    ('lao', 'lo'),
    ('lithuanian', 'lt'),
    ('navajo', 'nv'),
    ('punjabi', 'pa'),
    ('polish', 'pl'),
    ('portuguese', 'pt'),
    ('romanian', 'ro'),
    ('russian', 'ru'),
    ('samoan', 'sm'),
    ('serbian', 'sr'),
    ('somali', 'so'),
    ('albanian', 'sq'),
    ('swahili', 'sw'),
    ('tagalog', 'tl'),
    ('thai', 'th'),
    ('ukrainian', 'uk'),
    ('urdu', 'ur'),
    ('vietnamese', 'vi'),
    ('yiddish', 'yi'),
    ('asl', 'ase'),
    ('sign language', 'ase'),
    ('mandarin', 'zh'),
    ('cantonese', 'zh'),
    ('farsi', 'fa'),
    ('filipino', 'tl'),
    ('haitian', 'ht'),
    ('kreyol', 'ht'),
    ('castilian', 'es'),
    ('espanol', 'es'),
    ('español', 'es')
),
spoken AS (
    SELECT p.id, s.name, s.position, coalesce(n.code, c.code) AS code
    FROM professionals p
    CROSS JOIN LATERAL unnest(p.languages) WITH ORDINALITY AS s (name, position)
    LEFT JOIN names n ON n.name = lower(s.name)
    LEFT JOIN (SELECT DISTINCT code FROM names) c ON c.code = lower(s.name)
),
codes AS (
    SELECT id, array_agg(code ORDER BY first) AS codes
    FROM (SELECT id, code, min(position) AS first FROM spoken
          WHERE code IS NOT NULL GROUP BY id, code) found
    GROUP BY id
),
unlisted AS (
    SELECT id, array_agg(name ORDER BY position) AS names
    FROM spoken WHERE code IS NULL GROUP BY id
)
UPDATE professionals p
SET languages = coalesce(codes.codes, '{}'),
    unlisted_languages = coalesce(unlisted.names, '{}')
FROM (SELECT DISTINCT id FROM spoken) touched
LEFT JOIN codes USING (id)
LEFT JOIN unlisted USING (id)
WHERE touched.id = p.id;
