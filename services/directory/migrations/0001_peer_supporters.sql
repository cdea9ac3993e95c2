-- Peer supporters' own profiles. Nothing about who searched for or called them is stored
-- anywhere in this database; there are no timestamps of activity either.
CREATE TABLE peer_supporters (
    -- Columns the search reads come first, fixed-width before variable-width: PostgreSQL
    -- decodes a row only up to the last column a query needs, and cheaply up to the
    -- first variable-width one (see docs/directory.md).
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    department_id uuid NOT NULL,
    active boolean NOT NULL DEFAULT true,
    latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    available_until timestamptz,
    unavailable_until timestamptz,
    time_zone text NOT NULL,
    -- minutes of the local week (Monday 00:00 = 0) when the supporter takes calls
    weekly_hours int4multirange NOT NULL DEFAULT '{}'
        CHECK (weekly_hours <@ '{[0,10080)}'::int4multirange),
    areas text[] NOT NULL CHECK (cardinality(areas) BETWEEN 1 AND 20),
    languages text[] NOT NULL CHECK (cardinality(languages) BETWEEN 1 AND 10),
    gender text CHECK (gender IN ('woman', 'man', 'non_binary')),
    -- where the supporter works: a ZIP code they chose, resolved to its centroid offline
    state char(2) NOT NULL,
    county text NOT NULL,
    zip_code char(5) NOT NULL,
    -- the supporter's pairwise pseudonym (token `sub`): ties the profile to its author
    owner_subject text NOT NULL UNIQUE CHECK (length(owner_subject) BETWEEN 1 AND 200),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
    phone text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    accepts_texts boolean NOT NULL DEFAULT false,
    years_of_service smallint CHECK (years_of_service BETWEEN 0 AND 60),
    certifications text[] NOT NULL DEFAULT '{}' CHECK (cardinality(certifications) <= 20),
    bio text NOT NULL DEFAULT '' CHECK (length(bio) <= 1000)
);

-- Search indexes cover active profiles only (see docs/directory.md for the reasoning).
CREATE INDEX peer_supporters_areas ON peer_supporters USING gin (areas) WHERE active;
CREATE INDEX peer_supporters_languages ON peer_supporters USING gin (languages) WHERE active;
CREATE INDEX peer_supporters_location ON peer_supporters
    USING gist (point(longitude, latitude)) WHERE active;
CREATE INDEX peer_supporters_county ON peer_supporters (state, lower(county)) WHERE active;
-- coordinators list their own department's supporters, active or not
CREATE INDEX peer_supporters_department ON peer_supporters (department_id, display_name, id);

-- The search query's optional filters (`$n IS NULL OR ...`) can only use an index when the
-- plan is made for the actual values; a cached generic plan would scan the table.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan',
                   current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'plan_cache_mode not set: the migration role does not own the database';
END
$$;
