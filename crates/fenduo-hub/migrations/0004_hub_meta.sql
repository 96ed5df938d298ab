-- Small hub-wide values, e.g. the tombstone horizon (cursors below it must resync from 0).
CREATE TABLE hub_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX change_log_tombstones ON change_log(at) WHERE record IS NULL;
