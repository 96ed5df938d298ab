-- Changes made here that the hub has not confirmed yet, in the order they were made. Each keeps
-- the mutation id made when the user acted, so every retry is the same mutation to the hub.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    mutation   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'refused')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    outcome    TEXT,
    done_at    TEXT
);
CREATE INDEX outbox_pending ON outbox(state, seq);
