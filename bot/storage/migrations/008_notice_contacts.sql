-- When someone who asked for a notice last wrote to the bot, for channels that may answer
-- only within a window after that (Messenger: 24 hours, 7 days for a human's reply).
-- Keyed by a keyed pseudonym that no complaint row carries; the time is encrypted, to the
-- minute; only the day the row expires is in the clear, and the row is deleted then.
CREATE TABLE notice_contacts (
    owner      BLOB PRIMARY KEY,
    data       BLOB NOT NULL,                -- encrypted: the last message's time (UTC, minutes)
    expires_on TEXT NOT NULL                 -- local date
);
