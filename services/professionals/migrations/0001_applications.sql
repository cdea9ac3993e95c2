-- A professional's application; once approved (and while every licence is current) it is
-- also the listing officers search. Search columns are denormalised arrays with GIN indexes.
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

CREATE TYPE vetting_status AS ENUM (
    'submitted', 'under_review', 'assessment_scheduled', 'deliberation', 'approved', 'deferred'
);
CREATE TYPE assessment_kind AS ENUM ('office_visit', 'video_call');

CREATE TABLE professionals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference text NOT NULL UNIQUE,
    client_key text NOT NULL UNIQUE,
    fingerprint text NOT NULL,
    status vetting_status NOT NULL DEFAULT 'submitted',
    full_name text NOT NULL,
    credentials text NOT NULL,
    license_types text[] NOT NULL,
    practice_name text,
    phone text NOT NULL,
    email text NOT NULL,
    website text,
    telehealth boolean NOT NULL,
    telehealth_states text[] NOT NULL DEFAULT '{}',
    -- states where licensed or served by telehealth: one array for the state filter
    service_states text[] NOT NULL,
    languages text[] NOT NULL,
    specialties text[] NOT NULL,
    le_experience_years integer NOT NULL CHECK (le_experience_years BETWEEN 0 AND 70),
    le_experience text,
    insurance jsonb NOT NULL DEFAULT '[]',
    -- 'carrier' and 'carrier:PLAN' keys, for the insurance filter
    insurance_keys text[] NOT NULL DEFAULT '{}',
    self_pay boolean NOT NULL,
    answers_any_hour boolean NOT NULL,
    schedules_within_24h boolean NOT NULL,
    CHECK (answers_any_hour OR schedules_within_24h),
    -- the earliest expiry among the licences: the listing disappears the day after
    licenses_valid_until date NOT NULL,
    assessment_kind assessment_kind NOT NULL,
    assessment_at timestamptz,
    reconsider_after date,
    vetting_round integer NOT NULL DEFAULT 1,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX professionals_queue ON professionals (status, submitted_at, id);
CREATE INDEX professionals_listed_by_name ON professionals (full_name, id)
    WHERE status = 'approved';
CREATE INDEX professionals_service_states ON professionals USING gin (service_states)
    WHERE status = 'approved';
CREATE INDEX professionals_insurance ON professionals USING gin (insurance_keys)
    WHERE status = 'approved';
CREATE INDEX professionals_expiry ON professionals (licenses_valid_until)
    WHERE status = 'approved';

CREATE TABLE licenses (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    license_type text NOT NULL,
    number text NOT NULL,
    state char(2) NOT NULL,
    expires_on date NOT NULL,
    renewed_by text,
    renewed_at timestamptz,
    UNIQUE (professional_id, state, number)
);
CREATE INDEX licenses_by_professional ON licenses (professional_id);

CREATE TABLE practice_locations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    position integer NOT NULL,
    street text NOT NULL,
    city text NOT NULL,
    state char(2) NOT NULL,
    zip_code char(5) NOT NULL,
    county text NOT NULL,
    latitude double precision NOT NULL,
    longitude double precision NOT NULL,
    UNIQUE (professional_id, position)
);
CREATE INDEX practice_locations_by_professional ON practice_locations (professional_id);
-- distance searches: earth_box(...) @> ll_to_earth(...) uses this index
CREATE INDEX practice_locations_near ON practice_locations
    USING gist (ll_to_earth(latitude, longitude));

-- Uploaded documents live in this database, in the applicant's transaction: an application
-- and its documents are saved together or not at all, and backed up together.
CREATE TYPE document_kind AS ENUM ('license_copy', 'cv', 'liability_insurance', 'other');

CREATE TABLE documents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    position integer NOT NULL,
    kind document_kind NOT NULL,
    filename text NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes integer NOT NULL CHECK (size_bytes > 0),
    sha256 text NOT NULL,
    UNIQUE (professional_id, position)
);

-- Content in 256 KiB pieces, so neither upload nor download holds a whole file in memory.
CREATE TABLE document_chunks (
    document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (document_id, seq)
);
-- PDFs and images are compressed already; skip TOAST's compression attempt
ALTER TABLE document_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
