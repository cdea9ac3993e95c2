-- Each directory process keeps the active profiles in memory and searches them there
-- (search_index.py). Before each search it brings its copy up to date with one small query:
-- the profiles changed since the last change it has seen. For that, a counter of changes,
-- and on each profile the counter's value at its last change. A statement that writes
-- profiles first locks the counter's row, so changes are numbered in the order they commit
-- (and two writers never wait on each other's rows the other way round). A deletion or a
-- truncation moves the generation on instead, and every process reads the whole table again.
-- Nothing else about a change is kept: no time, no author.
CREATE TABLE supporter_changes (
    single boolean PRIMARY KEY DEFAULT true CHECK (single),
    generation bigint NOT NULL,
    counted bigint NOT NULL
);
INSERT INTO supporter_changes (generation, counted) VALUES (1, 0);

ALTER TABLE peer_supporters ADD COLUMN change bigint NOT NULL DEFAULT 0;
CREATE INDEX peer_supporters_change ON peer_supporters (change);

CREATE FUNCTION supporter_changes_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM supporter_changes FOR UPDATE;
    RETURN NULL;
END
$$;
CREATE TRIGGER peer_supporters_changes_lock BEFORE INSERT OR UPDATE ON peer_supporters
    FOR EACH STATEMENT EXECUTE FUNCTION supporter_changes_lock();

CREATE FUNCTION supporter_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE supporter_changes SET counted = counted + 1 RETURNING counted INTO NEW.change;
    RETURN NEW;
END
$$;
CREATE TRIGGER peer_supporters_change BEFORE INSERT OR UPDATE ON peer_supporters
    FOR EACH ROW EXECUTE FUNCTION supporter_changed();

CREATE FUNCTION supporters_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE supporter_changes SET generation = generation + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER peer_supporters_removed AFTER DELETE OR TRUNCATE ON peer_supporters
    FOR EACH STATEMENT EXECUTE FUNCTION supporters_removed();

-- the search reads none of these any more: it runs in memory, rotation included
DROP INDEX peer_supporters_areas;
DROP INDEX peer_supporters_languages;
DROP INDEX peer_supporters_location;
DROP INDEX peer_supporters_county;
DROP TRIGGER peer_supporters_rotation ON peer_supporters;
DROP FUNCTION search_rotation_join();
DROP TABLE search_rotation;
DROP TABLE search_rotation_day;
