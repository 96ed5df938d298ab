//! Content-addressed assets (clips, images): storage on disk, their rows, and the HTTP routes.
//!
//! - Files live in `<db file dir>/assets/<first 2 hex>/<sha256>`, derived from the database path
//!   in [`crate::Hub::open`], so the CLI and the server that open the same database agree on it.
//! - A file is written to `assets/tmp/`, fsynced, and renamed into place only when its SHA-256 is
//!   known (and matches what the uploader announced), so a crash never leaves a half asset under
//!   a final name. The row is inserted after the rename ([`crate::store::HubStore::insert_asset`]);
//!   a file without a row is invisible and is reused by the next upload of the same content.
//! - `POST /api/v1/assets` (admin): the raw body is the file; `Content-Type` is kept, an optional
//!   `X-Content-Sha256` must match, `?name=` names it. Re-uploading existing content is a no-op
//!   that returns the stored metadata (200 instead of 201).
//! - `GET /api/v1/assets/{sha256}` (any logged-in user but a leader): streamed from disk with `ETag`,
//!   `If-None-Match`, single-range `Range` (206/416) and a year-long immutable cache lifetime.
//!   Besides `Authorization: Bearer`, the token is accepted as `?access_token=` because `<video>`
//!   and `<img>` cannot send headers; prefer the header everywhere else, since a URL can end up in
//!   proxy logs and browser history.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use fenduo_proto::{Asset, Role, User};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::auth::{self, Caller};
use crate::error::{HubError, HubResult};
use crate::AppState;

/// Largest asset the hub accepts unless [`crate::HubConfig::max_asset_bytes`] says otherwise.
pub const DEFAULT_MAX_ASSET_BYTES: u64 = 200 * 1024 * 1024;
/// Assets never change under their hash, so clients may keep them for a year without asking.
const CACHE_CONTROL: &str = "private, max-age=31536000, immutable";
/// Temporary files older than this are leftovers of a crash and are removed at start-up.
const STALE_TEMP: Duration = Duration::from_secs(3600);

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets", post(upload)).route("/assets/{sha256}", get(download))
}

/// The folder of asset files.
#[derive(Clone, Debug)]
pub struct AssetStore {
    dir: PathBuf,
}

/// Why a file could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the content is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the content's SHA-256 is {actual}, not the {expected} announced")]
    Mismatch { expected: String, actual: String },
    #[error("could not store the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the upload broke off: {0}")]
    Body(String),
}

impl From<WriteError> for HubError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::TooLarge { limit } => {
                HubError::TooLarge(format!("the asset is larger than the hub's limit of {limit} bytes"))
            }
            WriteError::Mismatch { .. } => {
                HubError::invalid("sha256_mismatch", "X-Content-Sha256", e.to_string())
            }
            WriteError::Body(m) => HubError::invalid("invalid_body", "body", m),
            WriteError::Io(e) => HubError::Internal(format!("asset storage: {e}")),
        }
    }
}

impl AssetStore {
    /// The asset folder beside a database file: `<db dir>/assets`.
    pub fn beside(db_path: &Path) -> AssetStore {
        let parent = db_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        AssetStore { dir: parent.join("assets") }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the content with this hash is (or would be) stored.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2]).join(sha256)
    }

    fn temp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// Creates the folder and removes temporary files a crash left behind. Recent ones are kept:
    /// another process (the CLI beside a running server) may be writing them.
    pub async fn prepare(&self) -> std::io::Result<()> {
        tokio::fs::create_dir_all(self.temp_dir()).await?;
        let mut entries = tokio::fs::read_dir(self.temp_dir()).await?;
        while let Some(entry) = entries.next_entry().await? {
            let modified = entry.metadata().await?.modified()?;
            if SystemTime::now().duration_since(modified).unwrap_or_default() > STALE_TEMP {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
        Ok(())
    }

    /// Stores a stream of chunks; returns its SHA-256 and size. Nothing is left behind when the
    /// stream is larger than `limit`, breaks off, or does not hash to `expected`.
    pub async fn write_stream<S, E>(
        &self,
        mut stream: S,
        limit: u64,
        expected: Option<&str>,
    ) -> Result<(String, u64), WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let temp = TempFile::create(&self.temp_dir()).await?;
        let mut file = tokio::fs::File::create(&temp.path).await?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| WriteError::Body(e.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(WriteError::TooLarge { limit });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
        }
        file.sync_all().await?;
        drop(file);
        let sha256 = hex::encode(hasher.finalize());
        if let Some(expected) = expected {
            if expected != sha256 {
                return Err(WriteError::Mismatch { expected: expected.to_string(), actual: sha256 });
            }
        }
        self.commit(temp, &sha256).await?;
        Ok((sha256, size))
    }

    /// Stores bytes already in memory (the embedded demo playbook).
    pub async fn write_bytes(
        &self,
        bytes: &[u8],
        expected: Option<&str>,
    ) -> Result<(String, u64), WriteError> {
        let chunk = Bytes::copy_from_slice(bytes);
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(chunk)]);
        self.write_stream(stream, u64::MAX, expected).await
    }

    /// Copies a file in, chunk by chunk.
    pub async fn copy_file(&self, path: &Path, expected: Option<&str>) -> Result<(String, u64), WriteError> {
        let file = tokio::fs::File::open(path).await?;
        let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
        self.write_stream(stream, u64::MAX, expected).await
    }

    /// Moves a complete, verified temporary file to its final name.
    async fn commit(&self, temp: TempFile, sha256: &str) -> std::io::Result<()> {
        let target = self.path_of(sha256);
        let folder = target.parent().expect("asset paths have a folder");
        tokio::fs::create_dir_all(folder).await?;
        // Same content under the same name: an existing file is already right.
        if tokio::fs::try_exists(&target).await? {
            return Ok(());
        }
        tokio::fs::rename(&temp.path, &target).await?;
        temp.disarm();
        sync_dir(folder).await;
        Ok(())
    }
}

/// Makes a rename durable. Directories cannot be opened for syncing on every platform; a
/// failure only weakens durability, never correctness, so it is ignored.
async fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = tokio::fs::File::open(dir).await {
        let _ = d.sync_all().await;
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A temporary file that is removed unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    async fn create(dir: &Path) -> std::io::Result<TempFile> {
        tokio::fs::create_dir_all(dir).await?;
        Ok(TempFile { path: dir.join(format!("{}.part", uuid::Uuid::now_v7())), armed: true })
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

// ---- HTTP -------------------------------------------------------------------------------------

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The file name to keep with it (at most 255 printable characters; default: the first 12 hex
    /// digits of the hash and an extension from the media type).
    name: Option<String>,
}

/// Upload an asset
///
/// The raw body is the file (not a form); it is streamed to disk, hashed, and stored under its
/// SHA-256. Admins only. Uploading content the hub already has changes nothing and answers 200
/// with the stored metadata.
#[utoipa::path(
    post,
    path = "/api/v1/assets",
    tag = "assets",
    security(("bearer" = [])),
    params(
        UploadQuery,
        ("X-Content-Sha256" = Option<String>, Header, description = "The SHA-256 the uploader expects (64 hex digits); the upload is refused if the content hashes otherwise"),
    ),
    request_body(
        description = "The file's bytes. `Content-Type` is stored and served back (default `application/octet-stream`). Larger than the hub's limit (`--max-asset-mib`, default 200 MiB) is refused with 413.",
        content(("*/*"))
    ),
    responses(
        (status = 201, description = "Stored; a change-log entry announces it", body = Asset),
        (status = 200, description = "The hub had this content already; its stored metadata (the first name is kept)", body = Asset),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
        (status = 403, description = "`forbidden`: not an admin", body = fenduo_proto::ApiError),
        (status = 413, description = "`too_large`: over the hub's asset limit (by `Content-Length` or while streaming)", body = fenduo_proto::ApiError),
        (status = 422, description = "`empty_asset` (no bytes), `invalid_header` (`Content-Type`, `X-Content-Sha256`), `invalid_query` (`name`), `sha256_mismatch`, or `invalid_body` (the upload broke off)", body = fenduo_proto::ApiError),
    )
)]
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> HubResult<(StatusCode, Json<Asset>)> {
    caller.require(&[Role::Admin])?;
    let limit = state.config.max_asset_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(WriteError::TooLarge { limit }.into());
    }
    let mime = match headers.get(header::CONTENT_TYPE) {
        None => "application/octet-stream".to_string(),
        Some(v) => v
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|m| m.len() <= 127 && m.contains('/') && !m.chars().any(char::is_control))
            .ok_or_else(|| {
                HubError::invalid("invalid_header", "Content-Type", "not a media type such as video/mp4")
            })?
            .to_string(),
    };
    let expected = match headers.get("x-content-sha256") {
        None => None,
        Some(v) => {
            Some(v.to_str().ok().map(|s| s.trim().to_ascii_lowercase()).filter(|s| is_sha256(s)).ok_or_else(
                || HubError::invalid("invalid_header", "X-Content-Sha256", "must be 64 hex digits"),
            )?)
        }
    };
    let name = match q.name.map(|n| n.trim().to_string()) {
        Some(n) if n.chars().count() > 255 || n.chars().any(char::is_control) => {
            return Err(HubError::invalid("invalid_query", "name", "at most 255 printable characters"));
        }
        Some(n) if !n.is_empty() => Some(n),
        _ => None,
    };
    if declared == Some(0) {
        return Err(HubError::invalid("empty_asset", "body", "the upload is empty; send the file's bytes"));
    }
    let (sha256, size) =
        state.assets.write_stream(body.into_data_stream(), limit, expected.as_deref()).await?;
    if size == 0 {
        // A chunked upload with no bytes: nothing worth storing.
        let _ = tokio::fs::remove_file(state.assets.path_of(&sha256)).await;
        return Err(HubError::invalid("empty_asset", "body", "the upload is empty; send the file's bytes"));
    }
    let name = name.unwrap_or_else(|| default_name(&sha256, &mime));
    let (asset, created) = state.store.insert_asset(&Asset { sha256, size, mime, name }).await?;
    if created {
        state.announce_change().await?;
    }
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(asset)))
}

fn default_name(sha256: &str, mime: &str) -> String {
    let ext = match mime {
        "video/mp4" => ".mp4",
        "video/webm" => ".webm",
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        _ => "",
    };
    format!("{}{ext}", &sha256[..12])
}

pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[derive(Deserialize)]
struct DownloadQuery {
    access_token: Option<String>,
}

/// The caller of a download: a bearer header, or `?access_token=` for media elements.
async fn downloader(state: &AppState, headers: &HeaderMap, query_token: Option<&str>) -> HubResult<User> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    let token = bearer.or(query_token).filter(|t| !t.is_empty()).ok_or(HubError::Unauthorized)?;
    state.store.user_for_token(&auth::token_hash(token), Utc::now()).await?.ok_or(HubError::Unauthorized)
}

/// Download an asset
///
/// Streamed from disk with a strong `ETag` (the hash), a year-long immutable cache lifetime and
/// single-range `Range` support, so a broken download resumes. Any logged-in user but a leader.
/// The token may be sent as `?access_token=` instead of the header, for `<video>`/`<img>`
/// elements that cannot send headers; prefer the header elsewhere (URLs end up in logs).
#[utoipa::path(
    get,
    path = "/api/v1/assets/{sha256}",
    tag = "assets",
    security(("bearer" = []), ("access_token" = [])),
    params(
        ("sha256" = String, Path, description = "Lowercase hex SHA-256 of the content (uppercase is accepted)"),
        ("Range" = Option<String>, Header, description = "One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`; anything else is answered with the whole file"),
        ("If-Range" = Option<String>, Header, description = "The ETag; if it does not match, `Range` is ignored"),
        ("If-None-Match" = Option<String>, Header, description = "ETag(s) the client holds; a match answers 304"),
    ),
    responses(
        (status = 200, description = "The whole file, served with the media type it was uploaded with", content(("*/*")),
            headers(
                ("ETag" = String, description = "`\"<sha256>\"`"),
                ("Cache-Control" = String, description = "`private, max-age=31536000, immutable`"),
                ("Accept-Ranges" = String, description = "`bytes`"),
                ("Content-Length" = u64),
            )),
        (status = 206, description = "The requested byte range", content(("*/*")),
            headers(
                ("Content-Range" = String, description = "`bytes a-b/size`"),
                ("ETag" = String),
                ("Content-Length" = u64),
            )),
        (status = 304, description = "Not modified: `If-None-Match` matched; no body"),
        (status = 401, description = "`unauthorized`: no token (header or `access_token`), or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
        (status = 403, description = "`forbidden`: a leader's token", body = fenduo_proto::ApiError),
        (status = 404, description = "`not_found`: no asset with this hash (or not 64 hex digits)", body = fenduo_proto::ApiError),
        (status = 416, description = "Range not satisfiable; no body", headers(("Content-Range" = String, description = "`bytes */size`"))),
    )
)]
async fn download(
    State(state): State<AppState>,
    UrlPath(sha256): UrlPath<String>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> HubResult<Response> {
    let user = downloader(&state, &headers, q.access_token.as_deref()).await?;
    // A leader's token opens that leader's deliveries and nothing else (DESIGN.md, security
    // model): leaders will reach assets through their own deliveries, never by hash.
    if user.role == Role::Leader {
        return Err(HubError::Forbidden("a leader's token opens only that leader's deliveries".into()));
    }
    let sha256 = sha256.to_ascii_lowercase();
    if !is_sha256(&sha256) {
        return Err(HubError::NotFound(format!("asset {sha256:?}")));
    }
    let asset =
        state.store.asset(&sha256).await?.ok_or_else(|| HubError::NotFound(format!("asset {sha256}")))?;
    let etag = format!("\"{sha256}\"");
    let common = |b: axum::http::response::Builder| {
        b.header(header::ETAG, &etag)
            .header(header::CACHE_CONTROL, CACHE_CONTROL)
            .header(header::ACCEPT_RANGES, "bytes")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            // The content type is whatever the admin uploaded: never let it run as a page.
            .header(header::CONTENT_SECURITY_POLICY, "sandbox")
    };
    if headers.get_all(header::IF_NONE_MATCH).iter().any(|v| etag_matches(v, &sha256)) {
        return build(common(Response::builder()).status(StatusCode::NOT_MODIFIED), Body::empty());
    }
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        // A Range with a stale If-Range validator gets the whole file.
        Some(_) if headers.get(header::IF_RANGE).is_some_and(|v| !etag_matches(v, &sha256)) => None,
        Some(r) => match parse_range(r, asset.size) {
            RangeRequest::Satisfiable(a, b) => Some((a, b)),
            RangeRequest::Unsatisfiable => {
                return build(
                    common(Response::builder())
                        .status(StatusCode::RANGE_NOT_SATISFIABLE)
                        .header(header::CONTENT_RANGE, format!("bytes */{}", asset.size)),
                    Body::empty(),
                );
            }
            RangeRequest::Ignored => None,
        },
        None => None,
    };
    let path = state.assets.path_of(&sha256);
    let mut file = tokio::fs::File::open(&path).await.map_err(|e| {
        let what = if e.kind() == ErrorKind::NotFound { "is missing" } else { "cannot be opened" };
        HubError::Internal(format!("the file of asset {sha256} {what} at {}: {e}", path.display()))
    })?;
    let mime =
        HeaderValue::from_str(&asset.mime).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let builder = common(Response::builder()).header(header::CONTENT_TYPE, mime);
    let (builder, start, len) = match range {
        Some((a, b)) => (
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_RANGE, format!("bytes {a}-{b}/{}", asset.size)),
            a,
            b - a + 1,
        ),
        None => (builder.status(StatusCode::OK), 0, asset.size),
    };
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| HubError::Internal(format!("asset {sha256}: {e}")))?;
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(len), 64 * 1024);
    build(builder.header(header::CONTENT_LENGTH, len), Body::from_stream(stream))
}

fn build(builder: axum::http::response::Builder, body: Body) -> HubResult<Response> {
    builder.body(body).map_err(|e| HubError::Internal(format!("response: {e}")))
}

/// `If-None-Match` / `If-Range` against an asset's strong ETag (`*` and lists included).
fn etag_matches(value: &HeaderValue, sha256: &str) -> bool {
    value.to_str().is_ok_and(|v| {
        v.split(',').map(str::trim).any(|tag| {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || tag.trim_matches('"') == sha256
        })
    })
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// Inclusive first and last byte.
    Satisfiable(u64, u64),
    Unsatisfiable,
    /// Not a single byte range we understand: answer with the whole file, as RFC 9110 allows.
    Ignored,
}

/// Parses a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range.
pub fn parse_range(header: &str, size: u64) -> RangeRequest {
    let Some(spec) = header.trim().strip_prefix("bytes=") else { return RangeRequest::Ignored };
    if spec.contains(',') {
        return RangeRequest::Ignored;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return RangeRequest::Ignored };
    let number = |s: &str| -> Option<Option<u64>> {
        let s = s.trim();
        if s.is_empty() {
            Some(None)
        } else if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok().map(Some)
        } else {
            None
        }
    };
    let (Some(first), Some(last)) = (number(first), number(last)) else { return RangeRequest::Ignored };
    match (first, last) {
        (Some(a), last) => {
            if last.is_some_and(|b| b < a) {
                RangeRequest::Ignored
            } else if a >= size {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Satisfiable(a, last.map_or(size - 1, |b| b.min(size - 1)))
            }
        }
        (None, Some(n)) if n > 0 && size > 0 => RangeRequest::Satisfiable(size.saturating_sub(n), size - 1),
        (None, Some(_)) => RangeRequest::Unsatisfiable,
        (None, None) => RangeRequest::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        use RangeRequest::*;
        assert_eq!(parse_range("bytes=0-9", 100), Satisfiable(0, 9));
        assert_eq!(parse_range("bytes=10-", 100), Satisfiable(10, 99));
        assert_eq!(parse_range("bytes=-10", 100), Satisfiable(90, 99));
        assert_eq!(parse_range("bytes=-1000", 100), Satisfiable(0, 99));
        assert_eq!(parse_range("bytes=90-1000", 100), Satisfiable(90, 99));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 100), Ignored);
        assert_eq!(parse_range("bytes=0-1,5-9", 100), Ignored);
        assert_eq!(parse_range("items=0-1", 100), Ignored);
        assert_eq!(parse_range("bytes=x-1", 100), Ignored);
        assert_eq!(parse_range("bytes=-", 100), Ignored);
    }

    #[test]
    fn etags_match_lists_weak_forms_and_star() {
        let sha = "ab".repeat(32);
        let m = |v: &str| etag_matches(&HeaderValue::from_str(v).unwrap(), &sha);
        assert!(m(&format!("\"{sha}\"")));
        assert!(m(&format!("\"x\", W/\"{sha}\"")));
        assert!(m("*"));
        assert!(!m("\"other\""));
    }

    #[tokio::test]
    async fn a_mismatching_or_oversized_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = AssetStore::beside(&dir.path().join("hub.sqlite"));
        store.prepare().await.unwrap();
        let e = store.write_bytes(b"hello", Some(&"0".repeat(64))).await.unwrap_err();
        assert!(matches!(e, WriteError::Mismatch { .. }));
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"0123456789"))]);
        let e = store.write_stream(stream, 4, None).await.unwrap_err();
        assert!(matches!(e, WriteError::TooLarge { limit: 4 }));
        assert_eq!(std::fs::read_dir(store.temp_dir()).unwrap().count(), 0);
        let (sha, size) = store.write_bytes(b"hello", None).await.unwrap();
        assert_eq!(size, 5);
        assert_eq!(std::fs::read(store.path_of(&sha)).unwrap(), b"hello");
        assert_eq!(std::fs::read_dir(store.temp_dir()).unwrap().count(), 0);
    }
}
