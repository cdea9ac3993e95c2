-- Report and survey parts the directory's own database role can neither read nor forge
-- (docs/directory.md, "Monthly reports"; services/directory/report_key.py). That role owns
-- every table and knows every supporter's pseudonym, so no privilege keeps it from a row:
-- each part a process writes at a close is sealed whole (AES-256-GCM) under a key derived
-- from the report key in the configuration (WNWA_DIRECTORY_REPORT_KEY), which the database
-- never sees, and bound to its table, period and part id. What stays in the clear never
-- depends on the reports: the period and the part's random id.
--
-- This file cannot seal (it has no key): it sets the parts written in the clear aside, and
-- the first directory process that starts with the key seals them into the new tables and
-- drops the old ones in one transaction (report_store.seal_waiting_parts,
-- survey_store.seal_waiting_parts) -- once, while no sealed part exists. Pods of the previous
-- release still running between this migration and the rollout find their tables changed:
-- their figures fail with a generic error until they are replaced.

-- (the indexes renamed too: the new tables' take the old names)
ALTER TABLE support_report_parts RENAME TO support_report_parts_to_seal;
ALTER INDEX support_report_parts_month_department_id_part_id_key
    RENAME TO support_report_parts_to_seal_key;
ALTER TABLE supporter_survey_parts RENAME TO supporter_survey_parts_to_seal;
ALTER INDEX supporter_survey_parts_pkey RENAME TO supporter_survey_parts_to_seal_pkey;

-- One process's noisy part of a closed month, sealed whole: the network's pair, then each
-- department's id and pair (every department with a profile), 24 bytes each, under 12 bytes
-- of nonce and 16 of tag. Which departments it names is inside the seal.
CREATE TABLE support_report_parts (
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    part_id uuid NOT NULL,
    sealed bytea NOT NULL CHECK ((length(sealed) - 12 - 8 - 16) % 24 = 0
                                 AND length(sealed) >= 12 + 8 + 16),
    PRIMARY KEY (month, part_id)
);

-- One process's noisy part of a closed quarter, sealed whole: for the number of answers
-- ('ALL', 'ALL') and every answer of every question, its names and count, 44 bytes each.
CREATE TABLE supporter_survey_parts (
    quarter date NOT NULL CHECK (extract(day FROM quarter) = 1
                                 AND extract(month FROM quarter) IN (1, 4, 7, 10)),
    part_id uuid NOT NULL,
    sealed bytea NOT NULL CHECK ((length(sealed) - 12 - 16) % 44 = 0
                                 AND length(sealed) > 12 + 16),
    PRIMARY KEY (quarter, part_id)
);

COMMENT ON TABLE support_report_parts_to_seal IS
    'parts written in the clear before 0012; sealed and dropped by the first directory process';
COMMENT ON TABLE supporter_survey_parts_to_seal IS
    'parts written in the clear before 0012; sealed and dropped by the first directory process';
