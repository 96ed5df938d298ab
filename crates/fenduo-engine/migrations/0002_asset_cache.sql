-- The asset cache's bookkeeping (see src/cache.rs). A row exists only for a complete file whose
-- SHA-256 and size were verified; the file itself is `<data dir>/assets/<first 2 hex>/<sha256>`.
CREATE TABLE cached_assets (
    sha256       TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    -- RFC 3339 UTC with milliseconds (fixed width, so text order is time order); drives eviction.
    last_used_at TEXT NOT NULL,
    -- Pinned files are never evicted.
    pinned       INTEGER NOT NULL DEFAULT 0,
    -- The file's fingerprint when it was last verified (modification time in ns since the epoch,
    -- and on Unix its inode and change time): any difference means "hash it again".
    verified_mtime_ns INTEGER NOT NULL,
    verified_ino      INTEGER NOT NULL DEFAULT 0,
    verified_ctime_ns INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX cached_assets_lru ON cached_assets (pinned, last_used_at);
