-- The arrangements staff agree besides the standard one (docs/membership.md, "Terms"): a
-- shorter first term (one or two years, with the reason recorded), and a consortium of small
-- departments under one agreement, whose terms apply to every member.
CREATE TABLE consortia (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200)
);

-- A department belongs to one consortium at most.
CREATE TABLE consortium_members (
    consortium_id uuid NOT NULL REFERENCES consortia (id) ON DELETE CASCADE,
    department_id uuid NOT NULL UNIQUE REFERENCES departments (id) ON DELETE CASCADE,
    PRIMARY KEY (consortium_id, department_id)
);

-- A term is a department's or a consortium's; a first term lasts one to three years (three
-- unless a reason is given), a renewal one. The end stays derived, never entered. `years`
-- empty means the standard length, so a writer that predates it (a rolling upgrade) still
-- records valid terms; `term_years` is the length either way.
ALTER TABLE subscription_terms
    ALTER COLUMN department_id DROP NOT NULL,
    ADD COLUMN consortium_id uuid REFERENCES consortia (id) ON DELETE CASCADE,
    ADD COLUMN years smallint,
    ADD COLUMN shorter_term_reason text CHECK (length(shorter_term_reason) BETWEEN 1 AND 1000);
ALTER TABLE subscription_terms
    ADD CONSTRAINT subscription_terms_one_holder CHECK (num_nonnulls(department_id, consortium_id) = 1),
    ADD CONSTRAINT subscription_terms_length CHECK (
        years IS NULL OR (kind = 'renewal' AND years = 1) OR (kind = 'first' AND years BETWEEN 1 AND 3)
    ),
    ADD CONSTRAINT subscription_terms_reason CHECK (
        (kind = 'first' AND coalesce(years, 3) < 3) = (shorter_term_reason IS NOT NULL)
    ),
    ADD CONSTRAINT subscription_terms_consortium_start UNIQUE (consortium_id, starts_on),
    DROP COLUMN ends_on,
    ADD COLUMN term_years smallint GENERATED ALWAYS AS (
        coalesce(years, CASE kind WHEN 'first' THEN 3 ELSE 1 END)
    ) STORED,
    ADD COLUMN ends_on date GENERATED ALWAYS AS ((starts_on + make_interval(
        years => coalesce(years, CASE kind WHEN 'first' THEN 3 ELSE 1 END)::integer
    ))::date) STORED;
CREATE UNIQUE INDEX subscription_terms_one_consortium_first ON subscription_terms (consortium_id)
    WHERE kind = 'first';
