-- How a crisis line is reached beyond its number: digits to press once the call connects
-- (the Veterans Crisis Line: 988, then 1) and the word a text starts with (the Crisis Text
-- Line: HOME to 741741), so a phone's Call and Text buttons do it in one tap.
ALTER TABLE wellbeing_resources
    ADD COLUMN then_dial text CHECK (then_dial ~ '^[0-9*#]{1,8}$'),
    ADD COLUMN text_keyword text CHECK (text_keyword ~ '^[A-Za-z0-9]{1,20}$');

-- the national lines as the demo data and earlier installations list them
UPDATE wellbeing_resources SET then_dial = '1'
    WHERE title = 'Veterans Crisis Line' AND phone = '988' AND then_dial IS NULL;
UPDATE wellbeing_resources SET text_keyword = 'HOME'
    WHERE title = 'Crisis Text Line' AND text_number = '741741' AND text_keyword IS NULL;
