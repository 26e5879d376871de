-- Outreach, second part: what posts are about and whom they go to, groups and channels as
-- audiences, and reach — counted only as far as Telegram lets a bot know.

-- A post's tags (for statistics and the report) and its audience.
ALTER TABLE posts ADD COLUMN kind TEXT NOT NULL DEFAULT 'news';
ALTER TABLE posts ADD COLUMN campaign TEXT;          -- a content/campaigns.yaml code
ALTER TABLE posts ADD COLUMN measure TEXT;           -- the plan measure it serves ("1.1")
ALTER TABLE posts ADD COLUMN title TEXT;             -- for staff lists, never sent alone
ALTER TABLE posts ADD COLUMN audience TEXT NOT NULL DEFAULT 'subscribers'
    CHECK (audience IN ('subscribers', 'chats', 'all'));

-- Who sees a broadcast's progress: the staff member who scheduled it, in one message.
ALTER TABLE broadcasts ADD COLUMN notify_chat INTEGER;
ALTER TABLE broadcasts ADD COLUMN notify_message INTEGER;

-- A recipient is a person, or a group or channel the office registered. Groups and channels
-- are public bodies, not citizens, but their ids are kept the same way (encrypted) so one
-- engine sends to all of them.
ALTER TABLE subscribers ADD COLUMN kind TEXT NOT NULL DEFAULT 'person'
    CHECK (kind IN ('person', 'group', 'channel'));
-- The topics a person asked for ("corruption,whistle"); NULL means everything.
ALTER TABLE subscribers ADD COLUMN topics TEXT;
CREATE INDEX subscribers_by_kind ON subscribers (kind, status, id);

-- Groups and channels the bot was added to. Staff confirm one before it gets posts: being
-- added by someone is not the office choosing to post there.
CREATE TABLE chats (
    id            INTEGER PRIMARY KEY,
    tg_chat       INTEGER NOT NULL UNIQUE,     -- Telegram's id of the group or channel
    kind          TEXT NOT NULL CHECK (kind IN ('group', 'channel')),
    title         TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'active', 'declined', 'removed')),
    is_admin      INTEGER NOT NULL DEFAULT 0,  -- the bot may post (a channel needs it)
    subscriber_id INTEGER REFERENCES subscribers (id),
    added_at      TEXT NOT NULL,
    decided_by    INTEGER,                     -- staff id
    decided_at    TEXT
);

-- Once-per-person reach: a "useful" press, a share, a pledge, a first arrival from a
-- source. `key` is a pseudonym keyed per (what, scope), so marks cannot be joined across
-- posts, campaigns or sources, nor to subscribers or complaints. Counts are rolled up
-- from here and from events; nothing here says who.
CREATE TABLE reach_marks (
    what  TEXT NOT NULL CHECK (what IN ('useful', 'share', 'pledge', 'source')),
    scope TEXT NOT NULL,                       -- post id, campaign code or source code
    key   BLOB NOT NULL,
    day   TEXT NOT NULL,                       -- local date
    PRIMARY KEY (what, scope, key)
) WITHOUT ROWID;

-- Named places offline material sends people from: a poster at the bus station, an LED
-- screen. The code is the deep-link payload (t.me/bot?start=<code>) printed as a QR code.
CREATE TABLE sources (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL
);

-- What a channel post got: its size at send time (potential reach, not views: bots cannot
-- see views) and the latest reaction totals Telegram reported.
CREATE TABLE channel_posts (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    chat_id       INTEGER NOT NULL REFERENCES chats (id),
    message_id    INTEGER NOT NULL,
    members       INTEGER,                     -- getChatMemberCount at send time
    reactions     INTEGER NOT NULL DEFAULT 0,  -- total of the latest reaction counts
    reactions_at  TEXT,
    PRIMARY KEY (chat_id, message_id)
) WITHOUT ROWID;
CREATE INDEX channel_posts_by_broadcast ON channel_posts (broadcast_id);

-- Files uploaded once and sent again by Telegram's file id (a 100,000-recipient poster is
-- uploaded once, not 100,000 times).
CREATE TABLE media_files (
    path    TEXT NOT NULL,                      -- relative to the content folder
    digest  TEXT NOT NULL,                      -- sha256 of the file: an edit uploads anew
    file_id TEXT NOT NULL,
    PRIMARY KEY (path, digest)
) WITHOUT ROWID;
