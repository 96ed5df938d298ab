-- Content-addressed assets and versioned, immutable playbooks.

-- One row per stored file. The bytes live in `<db dir>/assets/<first 2 hex>/<sha256>`; a file
-- without a row (left by a crash between writing it and committing) is invisible and is reused
-- by the next upload of the same content.
CREATE TABLE assets (
    sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    size       INTEGER NOT NULL CHECK (size >= 0),
    mime       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One row per published version of a session's playbook; id is `<session_id>:v<version>`.
CREATE TABLE playbooks (
    id           TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions(id),
    version      INTEGER NOT NULL CHECK (version >= 1),
    title        TEXT NOT NULL,
    notes        TEXT NOT NULL,
    published_at TEXT NOT NULL,
    UNIQUE (session_id, version)
);

CREATE TABLE playbook_items (
    playbook_id  TEXT NOT NULL REFERENCES playbooks(id),
    position     INTEGER NOT NULL,
    id           TEXT NOT NULL,
    stage_seq    INTEGER NOT NULL CHECK (stage_seq >= 0),
    kind         TEXT NOT NULL
                 CHECK (kind IN ('script', 'clip', 'image', 'invitation', 'checklist', 'briefing')),
    title        TEXT NOT NULL,
    text         TEXT,
    asset_sha256 TEXT REFERENCES assets(sha256),
    segment      TEXT,
    product      TEXT,
    PRIMARY KEY (playbook_id, id),
    UNIQUE (playbook_id, position)
);

-- A published version is never changed: publishing again makes version + 1. Deleting a version's
-- row is already refused by the items' foreign key; its items may not be changed or removed.
CREATE TRIGGER playbooks_are_immutable BEFORE UPDATE ON playbooks
BEGIN
    SELECT RAISE(ABORT, 'published playbook versions are immutable; publish a new version');
END;

CREATE TRIGGER playbook_items_are_immutable BEFORE UPDATE ON playbook_items
BEGIN
    SELECT RAISE(ABORT, 'published playbook versions are immutable; publish a new version');
END;

CREATE TRIGGER playbook_items_are_not_deleted BEFORE DELETE ON playbook_items
BEGIN
    SELECT RAISE(ABORT, 'published playbook versions are immutable; publish a new version');
END;
