-- Member and prospective departments, their subscription terms and the fee tiers.
CREATE TYPE department_status AS ENUM ('prospect', 'active', 'suspended', 'lapsed');

CREATE TABLE departments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    ori char(9) NOT NULL UNIQUE CHECK (ori ~ '^[A-Z]{2}[0-9A-Z]{7}$'),
    county text NOT NULL CHECK (length(county) BETWEEN 1 AND 100),
    state char(2) NOT NULL,
    sworn_officers integer NOT NULL CHECK (sworn_officers BETWEEN 1 AND 100000),
    civilians_enrolled boolean NOT NULL DEFAULT false,
    status department_status NOT NULL DEFAULT 'prospect',
    joined_on date
);
CREATE INDEX departments_member_listing ON departments (state, county, name) WHERE status = 'active';
CREATE INDEX departments_by_name ON departments (name, id);

-- A first term lasts three years, renewals one; the end is derived, never entered.
CREATE TABLE subscription_terms (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    department_id uuid NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('first', 'renewal')),
    starts_on date NOT NULL,
    ends_on date GENERATED ALWAYS AS (
        (starts_on + CASE kind WHEN 'first' THEN interval '3 years' ELSE interval '1 year' END)::date
    ) STORED,
    annual_fee_cents integer NOT NULL CHECK (annual_fee_cents >= 0),
    UNIQUE (department_id, starts_on)
);
CREATE UNIQUE INDEX subscription_terms_one_first ON subscription_terms (department_id) WHERE kind = 'first';

-- Annual fee by number of sworn officers; edited by network admins.
CREATE TABLE fee_tiers (
    min_sworn integer PRIMARY KEY CHECK (min_sworn >= 1),
    max_sworn integer CHECK (max_sworn IS NULL OR max_sworn >= min_sworn),
    annual_fee_cents integer NOT NULL CHECK (annual_fee_cents >= 0)
);
