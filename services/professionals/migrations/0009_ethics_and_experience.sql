-- What the public pages promise of vetting: each applicant names the professional association
-- whose code of ethics binds their practice and answers whether a licensing board or
-- association ever took disciplinary action against them (with an explanation when yes);
-- each vetter's checklist records the check against that code. Applications made before the
-- form asked keep NULL in both: not asked.
ALTER TABLE professionals
    ADD COLUMN professional_association text,
    ADD COLUMN professional_association_other text,
    ADD COLUMN disciplinary_action boolean,
    ADD COLUMN disciplinary_explanation text,
    ADD CONSTRAINT professionals_other_association_named
        CHECK ((professional_association IS NOT DISTINCT FROM 'other')
               = (professional_association_other IS NOT NULL)),
    ADD CONSTRAINT professionals_disciplinary_action_explained
        CHECK ((disciplinary_action IS TRUE) = (disciplinary_explanation IS NOT NULL)),
    -- asked together: an application answers both, or (made earlier) neither
    ADD CONSTRAINT professionals_ethics_asked_together
        CHECK ((professional_association IS NULL) = (disciplinary_action IS NULL));

-- assessments recorded before the checklist had the item did not check it
ALTER TABLE assessments ADD COLUMN code_of_ethics boolean NOT NULL DEFAULT false;
