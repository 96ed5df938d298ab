-- The command post's local copy. Applied migrations are never edited: add a new file instead.

-- Login, hub address, sync cursor: small values as text.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Synced records (regions, groups, sessions, stages) as the hub sent them.
CREATE TABLE records (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- The last known live status of each group, so the wall shows last data when offline.
CREATE TABLE statuses (
    group_id   TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    body       TEXT NOT NULL
);
