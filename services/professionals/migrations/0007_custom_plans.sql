-- The listing searches' optional filters (`$n IS NULL OR ...`) can only use an index, and
-- walk it in order and stop after a page, when the plan is made for the actual values; a
-- cached generic plan would guess that every filter lets almost nothing through. Set for
-- the database, every connection gets it without a round trip (the name search no longer
-- opens a transaction to SET LOCAL it).
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan',
                   current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'plan_cache_mode not set: the migration role does not own the database';
END
$$;
