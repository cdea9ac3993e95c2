-- The quarterly supporter survey (docs/directory.md, "The supporter survey"), collected as
-- the monthly reports are: nothing while a quarter is open; at its close each directory
-- process writes its own noisy part, once. A part has a row for the number of answers
-- (question and answer 'ALL') and one for every answer of every question, whatever anyone
-- answered; values carry noise and may be negative. No department, no person, no time.
CREATE TABLE supporter_survey_parts (
    quarter date NOT NULL CHECK (extract(day FROM quarter) = 1
                                 AND extract(month FROM quarter) IN (1, 4, 7, 10)),
    part_id uuid NOT NULL,
    question text NOT NULL,
    answer text NOT NULL,
    answers integer NOT NULL,
    PRIMARY KEY (quarter, part_id, question, answer)
);
