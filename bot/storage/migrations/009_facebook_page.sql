-- The office's Facebook Page: scheduled posts published there too, and the figures
-- Facebook reports for them. The bot never counts a Page view itself: every figure here is
-- Facebook's, read through the Graph API (see docs/messenger.md, "The Page").

-- Whether a post also goes to the Page (when Facebook is configured at its run).
ALTER TABLE posts ADD COLUMN page INTEGER NOT NULL DEFAULT 0 CHECK (page IN (0, 1));

-- One row per occurrence that goes to the Page, made in the same transaction as the
-- schedule run and its broadcast: an occurrence has one row, whatever restarts or races.
-- `publishing` is the only state a crash can leave unsure (Meta may have made the post
-- before the bot heard back); at the next start such a row becomes `unsure` and staff
-- are told, rather than risk a second Page post.
CREATE TABLE page_posts (
    id           INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL UNIQUE REFERENCES broadcasts (id) ON DELETE CASCADE,
    post_id      INTEGER NOT NULL REFERENCES posts (id),
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'publishing', 'published', 'failed', 'unsure')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,              -- UTC: when to try (again)
    created_at   TEXT NOT NULL,              -- UTC
    published_at TEXT,                       -- UTC, when Meta answered with the post's id
    fb_post_id   TEXT UNIQUE,                -- the Page post's id, "<page id>_<post id>"
    form         TEXT,                       -- what went: status, link, photo, video
    note         TEXT,                       -- why a file stayed behind (album, document …)
    error        TEXT,                       -- the last failure: Meta's code, or its class
    told         INTEGER NOT NULL DEFAULT 0  -- staff were told how it ended
);
CREATE INDEX page_posts_due ON page_posts (status, next_at);
CREATE INDEX page_posts_published ON page_posts (published_at);

-- The latest figures Facebook reported for a Page post (each reading is also an event
-- `page_figures`, channel `facebook`). `views` is NULL when Facebook gave none: Pages
-- under 100 likes get no insights. Reactions, comments and shares come from the post.
CREATE TABLE page_figures (
    page_post_id INTEGER PRIMARY KEY REFERENCES page_posts (id) ON DELETE CASCADE,
    read_on      TEXT NOT NULL,              -- local date of the reading
    read_at      TEXT NOT NULL,              -- UTC
    views        INTEGER,                    -- post_total_media_view_unique, or NULL
    reactions    INTEGER NOT NULL,
    comments     INTEGER NOT NULL,
    shares       INTEGER NOT NULL
) WITHOUT ROWID;
