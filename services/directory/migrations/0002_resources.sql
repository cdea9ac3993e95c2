-- Curated well-being resources, edited by network admins.
CREATE TABLE wellbeing_resources (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    url text CHECK (url ~ '^https://'),
    phone text,
    text_number text,
    category text NOT NULL,
    audience text NOT NULL,
    position integer NOT NULL DEFAULT 100 CHECK (position BETWEEN 0 AND 10000),
    retired boolean NOT NULL DEFAULT false,
    CHECK (url IS NOT NULL OR phone IS NOT NULL OR text_number IS NOT NULL)
);
CREATE INDEX wellbeing_resources_listing ON wellbeing_resources
    ((category <> 'crisis_line'), position, title) WHERE NOT retired;
