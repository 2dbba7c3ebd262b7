-- The user's own phone (issue #11): printed on the information card of the
-- residents whose responsible doctor the user is.
ALTER TABLE app_user ADD COLUMN phone TEXT NOT NULL DEFAULT '';
