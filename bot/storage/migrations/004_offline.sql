-- Work the bot cannot see, recorded by staff against a plan measure: trainings, handouts,
-- radio and LED broadcasts, events. And staff's own notes per measure for the report.

CREATE TABLE offline_activities (
    id          INTEGER PRIMARY KEY,
    happened_on TEXT NOT NULL,                 -- local date
    measure     TEXT NOT NULL,                 -- the plan measure it serves ("2.1")
    kind        TEXT NOT NULL CHECK (kind IN ('training', 'handout', 'radio', 'tv', 'led',
                                              'board', 'event', 'meeting', 'other')),
    title       TEXT NOT NULL,
    times       INTEGER NOT NULL DEFAULT 1 CHECK (times >= 1),   -- 88 radio broadcasts
    people      INTEGER CHECK (people IS NULL OR people >= 0),   -- trained, reached
    place       TEXT,                          -- a soum or an organization
    note        TEXT,
    source      TEXT NOT NULL DEFAULT 'telegram' CHECK (source IN ('telegram', 'import')),
    created_by  INTEGER,                       -- staff id
    created_at  TEXT NOT NULL,
    deleted_at  TEXT                           -- withdrawn entries stay, for the audit
);
CREATE INDEX offline_by_day ON offline_activities (happened_on);
CREATE INDEX offline_by_measure ON offline_activities (measure, happened_on);

CREATE TABLE measure_notes (
    year       INTEGER NOT NULL,
    half       INTEGER NOT NULL CHECK (half IN (0, 1, 2)),   -- 0: the whole year
    measure    TEXT NOT NULL,
    text       TEXT NOT NULL,
    percent    INTEGER CHECK (percent IS NULL OR percent BETWEEN 0 AND 100),  -- "Хэрэгжилт N%"
    updated_by INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (year, half, measure)
) WITHOUT ROWID;
