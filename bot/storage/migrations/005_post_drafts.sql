-- Posts staff are composing with /post, one row per staff member and purpose ("new" post,
-- or an "edit" of a schedule), saved after every step so a restart loses nothing.
-- They hold only what staff typed or sent for publication (text, Telegram file ids, tags,
-- the time): never a citizen's id, a forward's origin, or anything from a complaint.
CREATE TABLE post_drafts (
    staff_id   INTEGER NOT NULL,             -- staff are accountable: their ids are kept
    purpose    TEXT NOT NULL CHECK (purpose IN ('new', 'edit')),
    data       TEXT NOT NULL,                -- JSON: the step, the payload, tags, the time
    updated_at TEXT NOT NULL,
    PRIMARY KEY (staff_id, purpose)
) WITHOUT ROWID;
