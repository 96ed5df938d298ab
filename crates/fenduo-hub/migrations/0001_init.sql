-- Fenduo hub schema, SQLite. Applied migrations are never edited: add a new file instead.

CREATE TABLE regions (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'distributor', 'trainer', 'leader')),
    region_id     TEXT REFERENCES regions(id),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- Bearer tokens are stored as SHA-256 hex of the token; the token itself is never stored.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX tokens_user ON tokens(user_id);

-- "groups" is an SQL keyword (window frames), hence the longer name.
CREATE TABLE wechat_groups (
    id                 TEXT PRIMARY KEY,
    region_id          TEXT NOT NULL REFERENCES regions(id),
    name               TEXT NOT NULL,
    leader_name        TEXT NOT NULL,
    ops_officer        TEXT NOT NULL,
    atmosphere_officer TEXT NOT NULL,
    member_count       INTEGER NOT NULL CHECK (member_count >= 0),
    distributor_id     TEXT NOT NULL REFERENCES users(id)
);
CREATE INDEX wechat_groups_region ON wechat_groups(region_id);
CREATE INDEX wechat_groups_distributor ON wechat_groups(distributor_id);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    title          TEXT NOT NULL,
    host           TEXT NOT NULL,
    planned_start  TEXT NOT NULL,
    actual_start   TEXT,
    planned_end    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('scheduled', 'live', 'ended')),
    target_orders  INTEGER,
    target_gmv_fen INTEGER
);

CREATE TABLE stages (
    id            TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL REFERENCES sessions(id),
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    offset_secs   INTEGER NOT NULL,
    duration_secs INTEGER NOT NULL CHECK (duration_secs > 0),
    UNIQUE (session_id, seq)
);

-- The latest figures of each group in each session.
CREATE TABLE group_status (
    session_id       TEXT NOT NULL REFERENCES sessions(id),
    group_id         TEXT NOT NULL REFERENCES wechat_groups(id),
    at               TEXT NOT NULL,
    watching         INTEGER NOT NULL,
    messages_per_min INTEGER NOT NULL,
    orders           INTEGER NOT NULL,
    gmv_fen          INTEGER NOT NULL,
    PRIMARY KEY (session_id, group_id)
);

-- Metric history for replay, thinned to one row per group per history interval.
CREATE TABLE metric_samples (
    session_id       TEXT NOT NULL,
    group_id         TEXT NOT NULL,
    at               TEXT NOT NULL,
    watching         INTEGER NOT NULL,
    messages_per_min INTEGER NOT NULL,
    orders           INTEGER NOT NULL,
    gmv_fen          INTEGER NOT NULL
);
CREATE INDEX metric_samples_session_at ON metric_samples(session_id, at);

-- The sync change log. Only the newest entry per (kind, entity_id) is kept, so replaying the log
-- from 0 is a snapshot. region_id NULL means every region sees it (sessions, stages).
CREATE TABLE change_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    region_id      TEXT,
    distributor_id TEXT,
    record         TEXT,
    at             TEXT NOT NULL
);
CREATE UNIQUE INDEX change_log_entity ON change_log(kind, entity_id);
