//! The asset cache: the clips and images of playbooks, kept on disk so that the command post
//! shows them offline.
//!
//! - A file lives at `<data dir>/assets/<first 2 hex>/<sha256>`, the same layout as the hub's.
//!   A download in progress is `<sha256>.part` beside it and is renamed into place only once its
//!   SHA-256 and size are verified, so a final name always holds verified content.
//! - A broken download resumes: the next [`AssetCache::ensure`] asks for
//!   `Range: bytes=<length of the .part>-` (guarded by `If-Range` with the asset's ETag). A 206
//!   is appended; a 200 (the server ignored the range) starts the file over; a 416 (the part is
//!   longer than the file) throws the part away and starts over. Bodies are streamed to disk,
//!   never held in memory, and fsynced before they are verified.
//! - Verification reads the file back from disk. If it does not hash to the asset's SHA-256 the
//!   file is deleted and fetched once more from scratch; a second mismatch is an
//!   [`EngineError::AssetMismatch`].
//! - Verifying a 200 MiB clip on every use would cost a second, so a verified file is recorded
//!   in the local store's `cached_assets` table with its fingerprint (size, modification time
//!   and, on Unix, inode and change time). `ensure` hashes again only when the fingerprint
//!   differs, so a file that was rewritten, truncated or replaced is caught and fetched again;
//!   bit rot that leaves every timestamp alone is not (nothing short of hashing on every use
//!   would catch it).
//! - Concurrent `ensure`s of one asset share one download: each hash has an async lock, and the
//!   second caller finds the verified file when it gets the lock. Clones of an [`AssetCache`]
//!   share the locks; open one cache per data folder and clone it.
//! - The cache has a quota. [`AssetCache::evict`] removes the least recently used files until
//!   the total is under it, never a pinned file and never one in the protected set, which
//!   [`protected_assets`] computes: the assets of the newest playbook version of the session the
//!   wall is about and of the next scheduled session. Those stay even if they alone exceed the
//!   quota: the stream needs them more than the disk limit matters. Eviction is explicit (the
//!   caller knows the protected set); `ensure` never evicts. Partial files are not counted.

use std::collections::{HashMap, HashSet};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};
use fenduo_proto::{Asset, Playbook, Session, SessionStatus};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use tokio::io::AsyncWriteExt;

use crate::error::{EngineError, EngineResult};
use crate::hub::HubClient;
use crate::store::LocalStore;

/// The quota of [`AssetCache::open`]: a season of weekly playbooks' clips.
pub const DEFAULT_QUOTA_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// A download that delivers nothing for this long is dropped (its partial file stays, to resume).
const STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Downloads from scratch before a content mismatch is reported.
const ATTEMPTS: u32 = 2;

/// The assets on disk; cheap to clone (clones share the per-asset locks).
#[derive(Clone)]
pub struct AssetCache {
    dir: PathBuf,
    pool: SqlitePool,
    quota_bytes: u64,
    locks: Arc<Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>>,
}

/// What [`AssetCache::prefetch`] did.
#[derive(Debug, Default)]
pub struct PrefetchReport {
    /// Distinct assets asked for.
    pub assets: usize,
    /// Already in the cache and verified.
    pub cached: usize,
    /// Downloaded (or resumed) now.
    pub downloaded: usize,
    /// Bytes of all the distinct assets.
    pub total_bytes: u64,
    /// Assets that could not be made available, with why; the others were still fetched.
    pub failed: Vec<(Asset, EngineError)>,
}

/// What [`AssetCache::evict`] removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Eviction {
    /// SHA-256s of the removed files, least recently used first.
    pub removed: Vec<String>,
    pub freed_bytes: u64,
    /// Bytes of the files still cached; above the quota only when protected, pinned or in-use
    /// files alone exceed it.
    pub remaining_bytes: u64,
}

/// What identifies a file's state on disk without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    mtime_ns: i64,
    ino: i64,
    ctime_ns: i64,
}

impl Fingerprint {
    fn of(meta: &std::fs::Metadata) -> Fingerprint {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        #[cfg(unix)]
        let (ino, ctime_ns) = {
            use std::os::unix::fs::MetadataExt;
            (meta.ino() as i64, meta.ctime().saturating_mul(1_000_000_000).saturating_add(meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (ino, ctime_ns) = (0, 0);
        Fingerprint { len: meta.len(), mtime_ns, ino, ctime_ns }
    }
}

impl AssetCache {
    /// A cache of files under `dir` (created when the first file is stored), with its bookkeeping
    /// in `pool` (the local store's database, migrated) and at most about `quota_bytes` on disk
    /// after [`AssetCache::evict`].
    pub fn new(dir: impl Into<PathBuf>, pool: SqlitePool, quota_bytes: u64) -> AssetCache {
        AssetCache { dir: dir.into(), pool, quota_bytes, locks: Arc::default() }
    }

    /// The cache of a data folder: `<data_dir>/assets`, [`DEFAULT_QUOTA_BYTES`].
    pub fn open(data_dir: &Path, store: &LocalStore) -> AssetCache {
        AssetCache::new(data_dir.join("assets"), store.pool().clone(), DEFAULT_QUOTA_BYTES)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn quota_bytes(&self) -> u64 {
        self.quota_bytes
    }

    /// Where the content with this hash is (or would be) cached. `sha256` must be 64 lowercase
    /// hex digits (checked by every method that touches the disk).
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256.get(..2).unwrap_or(sha256)).join(sha256)
    }

    fn part_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256.get(..2).unwrap_or(sha256)).join(format!("{sha256}.part"))
    }

    /// The verified local file of `asset`, downloading (or resuming) it first if needed.
    pub async fn ensure(&self, client: &HubClient, asset: &Asset) -> EngineResult<PathBuf> {
        self.ensure_reporting(client, asset, &|_| {}).await
    }

    /// The verified local file of `asset` if it is cached, without the network (offline).
    pub async fn cached(&self, asset: &Asset) -> EngineResult<Option<PathBuf>> {
        check_sha256(&asset.sha256)?;
        let lock = self.lock(&asset.sha256);
        let _guard = lock.lock().await;
        let path = self.verified(asset).await?;
        if path.is_some() {
            self.touch(&asset.sha256).await?;
        }
        Ok(path)
    }

    /// Like [`AssetCache::ensure`]; `on_bytes` is told how many bytes of the asset are on disk
    /// as they arrive.
    async fn ensure_reporting(
        &self,
        client: &HubClient,
        asset: &Asset,
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> EngineResult<PathBuf> {
        check_sha256(&asset.sha256)?;
        let lock = self.lock(&asset.sha256);
        let _guard = lock.lock().await;
        if let Some(path) = self.verified(asset).await? {
            self.touch(&asset.sha256).await?;
            return Ok(path);
        }
        self.download(client, asset, on_bytes).await
    }

    /// Makes `assets` available offline ("sync the week's clips"), one after the other.
    /// `progress(done_bytes, total_bytes)` is called as bytes arrive; `done_bytes` counts
    /// cached assets and the bytes on disk of the one being fetched (it steps back only when a
    /// corrupt partial file is thrown away). An asset that fails is reported and the others are
    /// still fetched.
    pub async fn prefetch(
        &self,
        client: &HubClient,
        assets: &[Asset],
        progress: impl Fn(u64, u64) + Sync,
    ) -> PrefetchReport {
        let mut seen = HashSet::new();
        let assets: Vec<&Asset> = assets.iter().filter(|a| seen.insert(a.sha256.as_str())).collect();
        let total: u64 = assets.iter().map(|a| a.size).sum();
        let mut report =
            PrefetchReport { assets: assets.len(), total_bytes: total, ..PrefetchReport::default() };
        let mut done = 0u64;
        progress(0, total);
        for asset in assets {
            let was_cached = matches!(self.cached(asset).await, Ok(Some(_)));
            if was_cached {
                report.cached += 1;
                done += asset.size;
                progress(done, total);
                continue;
            }
            let base = done;
            match self
                .ensure_reporting(client, asset, &|bytes| progress(base + bytes.min(asset.size), total))
                .await
            {
                Ok(_) => {
                    report.downloaded += 1;
                    done += asset.size;
                    progress(done, total);
                }
                Err(e) => {
                    tracing::warn!(sha256 = %asset.sha256, name = %asset.name, error = %e, "could not fetch an asset");
                    progress(done, total);
                    report.failed.push((asset.clone(), e));
                }
            }
        }
        report
    }

    /// Removes least recently used files until the cache is under its quota, never a file in
    /// `protected` (SHA-256s, see [`protected_assets`]), a pinned one or one being fetched.
    pub async fn evict(&self, protected: &HashSet<String>) -> EngineResult<Eviction> {
        let rows: Vec<(String, i64, bool)> =
            sqlx::query_as("SELECT sha256, size, pinned FROM cached_assets ORDER BY last_used_at, sha256")
                .fetch_all(&self.pool)
                .await?;
        let mut total: u64 = rows.iter().map(|(_, size, _)| *size as u64).sum();
        let mut eviction = Eviction::default();
        for (sha256, size, pinned) in rows {
            if total <= self.quota_bytes {
                break;
            }
            if pinned || protected.contains(&sha256) || check_sha256(&sha256).is_err() {
                continue;
            }
            let lock = self.lock(&sha256);
            let Ok(_guard) = lock.try_lock() else { continue };
            let path = self.path_of(&sha256);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                // Open elsewhere on Windows, say: try again at the next eviction.
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "could not evict a cached asset");
                    continue;
                }
            }
            self.forget(&sha256).await?;
            total -= size as u64;
            eviction.freed_bytes += size as u64;
            eviction.removed.push(sha256);
        }
        eviction.remaining_bytes = total;
        Ok(eviction)
    }

    /// Keeps (or stops keeping) a cached asset out of eviction. Returns whether it is cached.
    pub async fn pin(&self, sha256: &str, pinned: bool) -> EngineResult<bool> {
        let n = sqlx::query("UPDATE cached_assets SET pinned = ? WHERE sha256 = ?")
            .bind(pinned)
            .bind(sha256)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Bytes of the verified files in the cache.
    pub async fn used_bytes(&self) -> EngineResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(size), 0) FROM cached_assets")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// The lock of one hash; held while its files are checked, downloaded or removed.
    fn lock(&self, sha256: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().expect("asset locks");
        if let Some(lock) = locks.get(sha256).and_then(Weak::upgrade) {
            return lock;
        }
        locks.retain(|_, l| l.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(sha256.to_string(), Arc::downgrade(&lock));
        lock
    }

    /// The cached file if it holds the asset's content: trusted when its fingerprint is the one
    /// recorded at verification, hashed again otherwise. A file that fails is deleted.
    async fn verified(&self, asset: &Asset) -> EngineResult<Option<PathBuf>> {
        let path = self.path_of(&asset.sha256);
        let meta = match tokio::fs::metadata(&path).await {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.forget(&asset.sha256).await?;
                return Ok(None);
            }
            Err(e) => return Err(cache_error(&path, e)),
        };
        // Taken before hashing: if the file changes while it is read, the next check hashes again.
        let now = Fingerprint::of(&meta);
        let recorded: Option<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT size, verified_mtime_ns, verified_ino, verified_ctime_ns FROM cached_assets WHERE sha256 = ?",
        )
        .bind(&asset.sha256)
        .fetch_optional(&self.pool)
        .await?;
        let as_recorded = recorded.is_some_and(|(size, mtime_ns, ino, ctime_ns)| {
            Fingerprint { len: size as u64, mtime_ns, ino, ctime_ns } == now
        });
        if as_recorded && now.len == asset.size {
            return Ok(Some(path));
        }
        if now.len == asset.size && hash_file(&path).await?.0 == asset.sha256 {
            self.record(&asset.sha256, now).await?;
            return Ok(Some(path));
        }
        tracing::warn!(sha256 = %asset.sha256, path = %path.display(), "a cached asset changed on disk; fetching it again");
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(cache_error(&path, e)),
        }
        self.forget(&asset.sha256).await?;
        Ok(None)
    }

    /// Downloads into the `.part` file (resuming it), verifies it and renames it into place.
    async fn download(
        &self,
        client: &HubClient,
        asset: &Asset,
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> EngineResult<PathBuf> {
        let path = self.path_of(&asset.sha256);
        let part = self.part_of(&asset.sha256);
        let folder = path.parent().expect("asset paths have a folder");
        tokio::fs::create_dir_all(folder).await.map_err(|e| cache_error(folder, e))?;
        let mut got = (String::new(), 0);
        for attempt in 1..=ATTEMPTS {
            fill_part(client, asset, &part, on_bytes).await?;
            got = hash_file(&part).await?;
            if got.0 == asset.sha256 && got.1 == asset.size {
                tokio::fs::rename(&part, &path).await.map_err(|e| cache_error(&path, e))?;
                sync_dir(folder).await;
                let meta = tokio::fs::metadata(&path).await.map_err(|e| cache_error(&path, e))?;
                self.record(&asset.sha256, Fingerprint::of(&meta)).await?;
                return Ok(path);
            }
            tracing::warn!(
                sha256 = %asset.sha256, actual = %got.0, size = got.1, attempt,
                "a downloaded asset does not match its SHA-256; starting over"
            );
            remove_if_exists(&part).await?;
            on_bytes(0);
        }
        Err(EngineError::AssetMismatch {
            name: asset.name.clone(),
            sha256: asset.sha256.clone(),
            size: asset.size,
            actual: got.0,
            actual_size: got.1,
            attempts: ATTEMPTS,
        })
    }

    /// Records a verified file (and marks it used now).
    async fn record(&self, sha256: &str, fp: Fingerprint) -> EngineResult<()> {
        sqlx::query(
            "INSERT INTO cached_assets (sha256, size, last_used_at, verified_mtime_ns, verified_ino, verified_ctime_ns) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET size = excluded.size, \
             last_used_at = excluded.last_used_at, verified_mtime_ns = excluded.verified_mtime_ns, \
             verified_ino = excluded.verified_ino, verified_ctime_ns = excluded.verified_ctime_ns",
        )
        .bind(sha256)
        .bind(fp.len as i64)
        .bind(ts(Utc::now()))
        .bind(fp.mtime_ns)
        .bind(fp.ino)
        .bind(fp.ctime_ns)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn touch(&self, sha256: &str) -> EngineResult<()> {
        sqlx::query("UPDATE cached_assets SET last_used_at = ? WHERE sha256 = ?")
            .bind(ts(Utc::now()))
            .bind(sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn forget(&self, sha256: &str) -> EngineResult<()> {
        sqlx::query("DELETE FROM cached_assets WHERE sha256 = ?").bind(sha256).execute(&self.pool).await?;
        Ok(())
    }
}

/// Brings `part` to the asset's full size from the hub, resuming what is there (or to what the
/// hub has, if that is shorter). Whether the bytes are right is for the caller to verify. On a
/// network failure the part stays, to be resumed.
async fn fill_part(
    client: &HubClient,
    asset: &Asset,
    part: &Path,
    on_bytes: &(dyn Fn(u64) + Sync),
) -> EngineResult<()> {
    let mut have = match tokio::fs::metadata(part).await {
        Ok(m) => m.len(),
        Err(e) if e.kind() == ErrorKind::NotFound => 0,
        Err(e) => return Err(cache_error(part, e)),
    };
    if have > asset.size {
        remove_if_exists(part).await?;
        have = 0;
    }
    on_bytes(have);
    if have == asset.size {
        return Ok(());
    }
    let stalled = || EngineError::Unreachable {
        url: client.base().to_string(),
        reason: format!("the download of asset {} stalled", asset.sha256),
    };
    let mut restarted = false;
    let (mut resp, mut file, mut written) = loop {
        let from = (have > 0).then_some(have);
        let resp = tokio::time::timeout(STALL_TIMEOUT, client.asset(&asset.sha256, from))
            .await
            .map_err(|_| stalled())??;
        let status = resp.status();
        let resumes =
            status == StatusCode::PARTIAL_CONTENT && from.is_some() && range_start(&resp) == Some(have);
        if resumes {
            let file = tokio::fs::OpenOptions::new()
                .append(true)
                .open(part)
                .await
                .map_err(|e| cache_error(part, e))?;
            break (resp, file, have);
        }
        if status == StatusCode::OK {
            // No range asked, or the server ignored it and sends everything: start over.
            let file = tokio::fs::File::create(part).await.map_err(|e| cache_error(part, e))?;
            on_bytes(0);
            break (resp, file, 0);
        }
        // 416 (the part is not a prefix of this file) or a range we did not ask for.
        if from.is_none() || restarted {
            return Err(EngineError::Protocol(format!(
                "HTTP {status} for asset {} ({})",
                asset.sha256,
                if from.is_some() { "after starting over" } else { "without a Range" }
            )));
        }
        tracing::info!(sha256 = %asset.sha256, %status, have, "the hub did not resume the partial file; starting over");
        remove_if_exists(part).await?;
        have = 0;
        restarted = true;
        on_bytes(0);
    };
    let streamed: EngineResult<()> = async {
        while written < asset.size {
            let chunk = match tokio::time::timeout(STALL_TIMEOUT, resp.chunk()).await {
                Err(_) => return Err(stalled()),
                Ok(Err(e)) => {
                    return Err(EngineError::Unreachable {
                        url: client.base().to_string(),
                        reason: e.to_string(),
                    })
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => chunk,
            };
            // More than the asset's size is wrong content: keep no more than the size, and let
            // verification say so.
            let take = chunk.len().min((asset.size - written) as usize);
            file.write_all(&chunk[..take]).await.map_err(|e| cache_error(part, e))?;
            written += take as u64;
            on_bytes(written);
        }
        Ok(())
    }
    .await;
    // Durable before it is verified, and so that what arrived before a failure can be resumed.
    let synced = async {
        file.flush().await?;
        file.sync_all().await
    }
    .await
    .map_err(|e| cache_error(part, e));
    streamed?;
    synced?;
    // A connection that breaks off is an error above (hyper knows the body's length); a response
    // that ends short of the asset's size is other content, which verification reports.
    Ok(())
}

/// The first byte of a 206's `Content-Range: bytes a-b/size`.
fn range_start(resp: &reqwest::Response) -> Option<u64> {
    let value = resp.headers().get(reqwest::header::CONTENT_RANGE)?.to_str().ok()?;
    let (first, _) = value.trim().strip_prefix("bytes ")?.split_once('-')?;
    first.trim().parse().ok()
}

/// SHA-256 (lowercase hex) and length of a file, read off the async threads.
async fn hash_file(path: &Path) -> EngineResult<(String, u64)> {
    let owned = path.to_path_buf();
    let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<(String, u64)> {
        let mut file = std::fs::File::open(&owned)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut len = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        Ok((format!("{:x}", hasher.finalize()), len))
    })
    .await
    .map_err(|e| cache_error(path, std::io::Error::other(e)))?;
    hashed.map_err(|e| cache_error(path, e))
}

async fn remove_if_exists(path: &Path) -> EngineResult<()> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(cache_error(path, e)),
    }
}

/// Makes a rename durable where directories can be synced; a failure weakens only durability.
async fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = tokio::fs::File::open(dir).await {
        let _ = d.sync_all().await;
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn cache_error(path: &Path, source: std::io::Error) -> EngineError {
    EngineError::AssetCache { path: path.to_path_buf(), source }
}

/// Asset ids become file names: only 64 lowercase hex digits are accepted.
fn check_sha256(sha256: &str) -> EngineResult<()> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(EngineError::Protocol(format!("{sha256:?} is not a lowercase hex SHA-256")))
    }
}

/// Fixed-width RFC 3339 UTC with milliseconds, so text order is time order.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The SHA-256s eviction must keep, from the local store: see [`protected_in`].
pub async fn protected_assets(store: &LocalStore, now: DateTime<Utc>) -> EngineResult<HashSet<String>> {
    let sessions = store.sessions().await?;
    let playbooks = store.playbooks().await?;
    Ok(protected_in(&sessions, &playbooks, now))
}

/// The assets of the newest playbook version of the session the wall is about
/// ([`crate::current_session`]) and of the next scheduled session after it.
pub fn protected_in(sessions: &[Session], playbooks: &[Playbook], now: DateTime<Utc>) -> HashSet<String> {
    let current = crate::current_session(sessions, now);
    let next = sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Scheduled && s.planned_end > now)
        .filter(|s| current.as_ref().is_none_or(|c| s.id != c.id && s.planned_start >= c.planned_start))
        .min_by_key(|s| s.planned_start);
    let mut protected = HashSet::new();
    for session_id in current.as_ref().map(|s| &s.id).into_iter().chain(next.map(|s| &s.id)) {
        let newest = playbooks.iter().filter(|p| &p.session_id == session_id).max_by_key(|p| p.version);
        for item in newest.into_iter().flat_map(|p| &p.items) {
            if let Some(asset) = &item.asset {
                protected.insert(asset.sha256.clone());
            }
        }
    }
    protected
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration as Span;
    use fenduo_proto::{PlaybookItem, PlaybookItemKind};

    fn session(id: &str, start: DateTime<Utc>, status: SessionStatus) -> Session {
        Session {
            id: id.into(),
            title: id.into(),
            host: "host".into(),
            planned_start: start,
            actual_start: (status != SessionStatus::Scheduled).then_some(start),
            planned_end: start + Span::hours(2),
            status,
            target_orders: None,
            target_gmv_fen: None,
        }
    }

    fn playbook(session_id: &str, version: u32, shas: &[&str]) -> Playbook {
        Playbook {
            id: Playbook::record_id(session_id, version),
            session_id: session_id.into(),
            version,
            title: "t".into(),
            notes: String::new(),
            published_at: Utc::now(),
            items: shas
                .iter()
                .enumerate()
                .map(|(i, sha)| PlaybookItem {
                    id: format!("i{i}"),
                    stage_seq: 0,
                    kind: PlaybookItemKind::Clip,
                    title: "clip".into(),
                    text: None,
                    asset: Some(Asset {
                        sha256: (*sha).into(),
                        size: 1,
                        mime: "video/mp4".into(),
                        name: "c.mp4".into(),
                    }),
                    segment: None,
                    product: None,
                })
                .chain([PlaybookItem {
                    id: "script".into(),
                    stage_seq: 0,
                    kind: PlaybookItemKind::Script,
                    title: "script".into(),
                    text: Some("hi".into()),
                    asset: None,
                    segment: None,
                    product: None,
                }])
                .collect(),
        }
    }

    fn set(shas: &[&str]) -> HashSet<String> {
        shas.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_current_and_next_sessions_newest_playbooks_are_protected() {
        let now = Utc::now();
        let week = Span::days(7);
        let sessions = [
            session("s28", now - week, SessionStatus::Ended),
            session("s29", now - Span::minutes(45), SessionStatus::Live),
            session("s30", now + week, SessionStatus::Scheduled),
            session("s31", now + week * 2, SessionStatus::Scheduled),
        ];
        let playbooks = [
            playbook("s28", 1, &["a28"]),
            playbook("s29", 1, &["a29old", "shared"]),
            playbook("s29", 2, &["a29", "shared"]),
            playbook("s30", 1, &["a30"]),
            playbook("s31", 1, &["a31"]),
        ];
        assert_eq!(protected_in(&sessions, &playbooks, now), set(&["a29", "shared", "a30"]));

        // Before anything is live the wall is about the next scheduled session: it and the one
        // after it are protected.
        let between = now + Span::days(3);
        let sessions = [
            session("s29", now - Span::minutes(45), SessionStatus::Ended),
            session("s30", now + week, SessionStatus::Scheduled),
            session("s31", now + week * 2, SessionStatus::Scheduled),
        ];
        assert_eq!(protected_in(&sessions, &playbooks, between), set(&["a30", "a31"]));

        // Nothing scheduled: the latest session only; nothing at all: nothing.
        assert_eq!(protected_in(&sessions[..1], &playbooks, between), set(&["a29", "shared"]));
        assert!(protected_in(&[], &playbooks, now).is_empty());
    }

    #[test]
    fn only_lowercase_hex_sha256_becomes_a_file_name() {
        assert!(check_sha256(&"ab".repeat(32)).is_ok());
        for bad in
            ["", "../../etc/passwd", &"AB".repeat(32), &"ab".repeat(31), &format!("{}/x", "a".repeat(62))]
        {
            assert!(check_sha256(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn one_lock_per_hash_while_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("client.sqlite")).await.unwrap();
        let cache = AssetCache::open(dir.path(), &store);
        let a = cache.lock("a");
        assert!(Arc::ptr_eq(&a, &cache.clone().lock("a")), "clones share locks");
        assert!(!Arc::ptr_eq(&a, &cache.lock("b")));
        drop(a);
        let _c = cache.lock("c");
        assert_eq!(cache.locks.lock().unwrap().len(), 1, "unused locks are dropped");
    }
}
