-- Failed sign-ins by user name (issue 16), kept in the store so that every server on it counts
-- them together: an attacker spreading tries for one name over several servers meets the limit
-- of one. `name` is the name tried (control characters left out, at most 64 characters, as the
-- audit log's `session.sign_in_failed` names it), `failures` the failures in a row and `last_at`
-- the last one's time (Unix milliseconds, each server's clock). A success deletes the row; rows
-- idle for a day are deleted by the next failure. What the counts mean (the free tries, the
-- doubling delays) is planwatch-web's `throttle`. Not copied by migrate, backup and restore.
CREATE TABLE sign_in_strikes (
    name TEXT PRIMARY KEY,
    failures INTEGER NOT NULL CHECK (failures > 0),
    last_at BIGINT NOT NULL
);
CREATE INDEX sign_in_strikes_last ON sign_in_strikes (last_at);
