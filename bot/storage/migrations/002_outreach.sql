-- Outreach: subscribers, posts and a durable outbox for broadcasts.
-- A subscriber's chat id is needed to send, and lives only here: encrypted, with a keyed
-- hash for finding the row. No outreach table refers to complaints, or they to it.

CREATE TABLE subscribers (
    id        INTEGER PRIMARY KEY,
    channel   TEXT NOT NULL DEFAULT 'telegram',
    key       BLOB NOT NULL UNIQUE,          -- HMAC(channel:chat id), for lookups
    chat      BLOB NOT NULL,                 -- encrypted chat id, for sending
    lang      TEXT NOT NULL DEFAULT 'mn' CHECK (lang IN ('mn', 'en')),
    status    TEXT NOT NULL DEFAULT 'active'
              CHECK (status IN ('active', 'stopped', 'blocked', 'gone')),
    joined_on TEXT NOT NULL,
    left_on   TEXT
);
CREATE INDEX subscribers_active ON subscribers (status, id);

CREATE TABLE posts (
    id         INTEGER PRIMARY KEY,
    content_id TEXT,                         -- a content/posts/*.md id, or NULL (typed in /post)
    payload    TEXT NOT NULL,                -- JSON: texts per language, media, buttons
    created_by INTEGER,                      -- staff id
    created_at TEXT NOT NULL
);

CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES posts (id),
    status      TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sending', 'done', 'cancelled')),
    total       INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT
);

-- One row per (broadcast, subscriber). `inflight` rows are the only ones a crash can leave
-- unsure; on resume they are sent again, so a crash doubles at most what was in flight.
CREATE TABLE outbox (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'inflight', 'sent', 'failed', 'skipped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    message_id    INTEGER,
    error         TEXT,
    PRIMARY KEY (broadcast_id, subscriber_id)
) WITHOUT ROWID;
CREATE INDEX outbox_pending ON outbox (broadcast_id, status, subscriber_id);

-- When posts go out. The scheduler reads this table every half minute; nothing about a
-- schedule lives only in memory. A run row per occurrence makes sending it exactly-once.
CREATE TABLE schedules (
    id         INTEGER PRIMARY KEY,
    post_id    INTEGER NOT NULL REFERENCES posts (id),
    kind       TEXT NOT NULL CHECK (kind IN ('once', 'weekly')),
    at         TEXT,                         -- once: the UTC time
    days       TEXT,                         -- weekly: local weekdays, 0 = Monday ("1,3")
    times      TEXT,                         -- weekly: local times ("10:00,15:00")
    start_on   TEXT,                         -- weekly: first and last local dates
    end_on     TEXT,
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'done', 'cancelled')),
    created_by INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX schedules_active ON schedules (status);

CREATE TABLE schedule_runs (
    schedule_id  INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    due_at       TEXT NOT NULL,              -- the occurrence, UTC
    status       TEXT NOT NULL CHECK (status IN ('sent', 'missed')),
    broadcast_id INTEGER REFERENCES broadcasts (id),
    PRIMARY KEY (schedule_id, due_at)
) WITHOUT ROWID;
