-- The 110 box. No table holds a citizen's Telegram id, username, name or phone in the
-- clear: complaints carry no user column, identities and links are encrypted, limits and
-- drafts are keyed by keyed hashes. Citizen-side dates are coarsened to the day.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE staff (
    user_id    INTEGER PRIMARY KEY,           -- staff are accountable: their ids are kept
    role       TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'editor', 'viewer')),
    name       TEXT,
    added_by   INTEGER,
    added_at   TEXT NOT NULL
);

CREATE TABLE complaints (
    id               INTEGER PRIMARY KEY,     -- the case number staff use (№ 17)
    receipt_hash     BLOB NOT NULL UNIQUE,    -- scrypt(receipt, keyed salt); never the digits
    channel          TEXT NOT NULL DEFAULT 'telegram',
    kind             TEXT NOT NULL CHECK (kind IN ('complaint', 'suggestion', 'report')),
    org_code         TEXT,                    -- NULL: the citizen was not sure
    body             BLOB NOT NULL,           -- encrypted description
    named            INTEGER NOT NULL DEFAULT 0 CHECK (named IN (0, 1)),
    status           TEXT NOT NULL DEFAULT 'received' CHECK (status IN
                        ('received', 'in_review', 'answered', 'forwarded', 'rejected', 'closed')),
    status_reason    BLOB,                    -- encrypted: forwarded to whom, rejected why
    received_on      TEXT NOT NULL,           -- local date only (coarsened on purpose)
    due_on           TEXT NOT NULL,
    extended         INTEGER NOT NULL DEFAULT 0 CHECK (extended IN (0, 1)),
    extension_reason BLOB,                    -- encrypted
    assignee_id      INTEGER REFERENCES staff (user_id) ON DELETE SET NULL,
    answered_on      TEXT,
    closed_on        TEXT
);
CREATE INDEX complaints_open ON complaints (status, due_on);

-- Kept apart from the text, and only when the citizen chose a named petition.
CREATE TABLE identities (
    complaint_id INTEGER PRIMARY KEY REFERENCES complaints (id) ON DELETE CASCADE,
    data         BLOB NOT NULL               -- encrypted JSON {name, phone}
);

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    author       TEXT NOT NULL CHECK (author IN ('citizen', 'staff', 'system')),
    internal     INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),
    staff_id     INTEGER REFERENCES staff (user_id) ON DELETE SET NULL,
    body         BLOB NOT NULL,              -- encrypted
    created_on   TEXT NOT NULL               -- local date only
);
CREATE INDEX messages_by_case ON messages (complaint_id, id);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    message_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,  -- NULL: with the complaint
    blob         TEXT NOT NULL UNIQUE,       -- random name of the encrypted file
    kind         TEXT NOT NULL CHECK (kind IN ('photo', 'document', 'voice', 'video')),
    size         INTEGER NOT NULL,
    meta         BLOB NOT NULL               -- encrypted JSON {mime, file_name}
);
CREATE INDEX attachments_by_case ON attachments (complaint_id);

-- Only when the citizen asked to be told of an answer; deleted once used.
CREATE TABLE notify_links (
    complaint_id INTEGER PRIMARY KEY REFERENCES complaints (id) ON DELETE CASCADE,
    target       BLOB NOT NULL               -- encrypted JSON {channel, chat_id, lang}
);

-- Unfinished submissions: keyed by a keyed hash of the user, content encrypted,
-- deleted on submit, on cancel, or after the idle time.
CREATE TABLE drafts (
    owner      BLOB PRIMARY KEY,
    data       BLOB NOT NULL,
    updated_at TEXT NOT NULL
);

-- Per-user limits under a rotating keyed hash: a row says nothing once its window is over,
-- and is deleted then.
CREATE TABLE limits (
    scope        TEXT NOT NULL,
    key          BLOB NOT NULL,
    window_end   TEXT NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);

-- A citizen's chosen language, under a keyed pseudonym that no complaint row carries.
CREATE TABLE prefs (
    owner BLOB PRIMARY KEY,
    lang  TEXT NOT NULL CHECK (lang IN ('mn', 'en'))
);

-- Who on staff saw or did what. Append-only: the triggers refuse changes.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    staff_id     INTEGER NOT NULL,
    action       TEXT NOT NULL,
    complaint_id INTEGER,
    detail       TEXT
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Statistics: append-only events, rolled up in SQL. No user ids, no content.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    day     TEXT NOT NULL,                   -- local date, for roll-ups by day
    name    TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'telegram',
    dims    TEXT NOT NULL DEFAULT '{}'       -- JSON of small categorical values
);
CREATE INDEX events_by_name_day ON events (name, day);
