-- Accounts are disabled, never deleted (issue #12): their names stay on
-- what they recorded. NULL while the account may sign in.
ALTER TABLE app_user ADD COLUMN disabled_at TEXT;
