-- The portal's anonymous visit figures: per day, how many pages were opened and how many
-- times the app was installed. Only these totals: no address, cookie, browser or page.
CREATE TABLE visit_totals (
    day date PRIMARY KEY,
    page_views bigint NOT NULL DEFAULT 0 CHECK (page_views >= 0),
    installs bigint NOT NULL DEFAULT 0 CHECK (installs >= 0)
);
