-- Unsaved typing (issue #12): what a form holds before it is saved, kept per
-- user inside the encrypted database instead of the webview's storage (a
-- plain file). A draft is scratch, not a record: it is replaced as the user
-- types and removed when the form is saved, cancelled or discarded; it has
-- no history, no outbox entry and never leaves this install. Another user
-- never sees it.
CREATE TABLE draft (
    user_id    TEXT NOT NULL,
    key        TEXT NOT NULL,
    data       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
