-- A department's own lines (its employee assistance programme, chaplain, peer-team lead,
-- family support), added by its coordinators and shown only to its own people, beside the
-- network's resources. NULL: a network resource, curated by network admins.
ALTER TABLE wellbeing_resources ADD COLUMN department_id uuid;
CREATE INDEX wellbeing_resources_department ON wellbeing_resources (department_id)
    WHERE department_id IS NOT NULL;
