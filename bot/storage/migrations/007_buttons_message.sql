-- An album, or a post too long for its picture's caption, carries its buttons in a second
-- message; the pledge counter is kept fresh there.
ALTER TABLE channel_posts ADD COLUMN buttons_message INTEGER;
