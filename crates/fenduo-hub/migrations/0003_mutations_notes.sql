-- Applied mutations: each client-made id is applied at most once; a repeat gets the stored outcome.
CREATE TABLE mutations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

CREATE TABLE notes (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    region_id  TEXT NOT NULL REFERENCES regions(id),
    at         TEXT NOT NULL,
    group_id   TEXT REFERENCES wechat_groups(id),
    text       TEXT NOT NULL,
    author_id  TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX notes_session ON notes(session_id, at);
