-- Surveys. Their questions live in content/surveys/*.yaml; the database holds answers only,
-- and never with a person. While someone answers, their answers wait in a draft found by a
-- keyed pseudonym (so they can resume); at the end they are copied into rows that carry no
-- pseudonym, the draft is deleted (secure_delete overwrites it), and only a "has answered"
-- mark stays, with no link to the answers. Free-text answers are kept apart from the rest,
-- encrypted, so they can never be shown next to someone's age band or employment.

CREATE TABLE survey_drafts (
    key        BLOB PRIMARY KEY,                -- HMAC(survey, person): for resuming only
    survey     TEXT NOT NULL,
    channel    TEXT NOT NULL,
    answers    BLOB NOT NULL,                   -- encrypted JSON: question -> answer
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE survey_takers (                    -- one response per person per survey
    survey TEXT NOT NULL,
    key    BLOB NOT NULL,                       -- a pseudonym keyed per survey
    PRIMARY KEY (survey, key)
) WITHOUT ROWID;

CREATE TABLE survey_responses (
    id      INTEGER PRIMARY KEY,
    survey  TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('telegram', 'messenger', 'paper')),
    day     TEXT NOT NULL                       -- local date it was finished (or entered)
);
CREATE INDEX survey_responses_by_survey ON survey_responses (survey, day);

-- One row per chosen option (several for a multiple choice); a scale's value as its text;
-- `-` for "prefer not to say". A skipped question has no row.
CREATE TABLE survey_answers (
    response_id INTEGER NOT NULL REFERENCES survey_responses (id) ON DELETE CASCADE,
    question    TEXT NOT NULL,
    choice      TEXT NOT NULL,
    PRIMARY KEY (response_id, question, choice)
) WITHOUT ROWID;
CREATE INDEX survey_answers_by_question ON survey_answers (question, choice);

CREATE TABLE survey_texts (                     -- no response id, on purpose
    id       INTEGER PRIMARY KEY,
    survey   TEXT NOT NULL,
    question TEXT NOT NULL,
    body     BLOB NOT NULL,                     -- encrypted
    day      TEXT NOT NULL
);
