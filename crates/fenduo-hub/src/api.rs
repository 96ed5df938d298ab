//! HTTP handlers of `/api/v1`.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use fenduo_proto::{
    ChangePage, GroupStatus, IngestReport, LoginRequest, LoginResponse, Me, MetricBatch, MetricSample, Role,
    StatusSnapshot,
};
use serde::Deserialize;

use crate::auth::{self, Caller};
use crate::error::{HubError, HubResult};
use crate::live;
use crate::AppState;

/// Samples further than this from the hub's clock are refused.
pub const MAX_SAMPLE_SKEW: Duration = Duration::minutes(15);
/// Samples from the future are refused beyond this: one from a fast clock would otherwise hold
/// the group's status until its time came, hiding every correct sample sent meanwhile.
pub const MAX_SAMPLE_AHEAD: Duration = Duration::minutes(2);
/// Most samples in one ingest batch.
pub const MAX_BATCH: usize = 50_000;
/// Upper bounds that no real group reaches; larger values are data errors.
const MAX_WATCHING: i64 = 100_000;
const MAX_MESSAGES: i64 = 100_000;
const MAX_ORDERS: i64 = 1_000_000;
const MAX_GMV_FEN: i64 = 100_000_000_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/changes", get(changes))
        .route("/status", get(status))
        .route("/metrics", post(ingest))
        .route("/live", get(live_socket))
        .route("/regions/{region_id}/roster", post(import_roster))
}

/// Log in
///
/// Exchanges a username and password for a bearer token (valid for 30 days, until logout).
#[utoipa::path(
    post,
    path = "/api/v1/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in: the token, the user and their region", body = LoginResponse),
        (status = 401, description = "`bad_credentials`: wrong username or password", body = fenduo_proto::ApiError),
        (status = 422, description = "`invalid_body`: the body is not a `LoginRequest` (`field` names the offending JSON path)", body = fenduo_proto::ApiError),
    )
)]
async fn login(State(state): State<AppState>, body: Bytes) -> HubResult<Json<LoginResponse>> {
    let req: LoginRequest = parse_json(&body)?;
    let creds = state.store.credentials(req.username.trim()).await?;
    // Verify against a dummy hash when the user is unknown or has no password yet, so timing
    // does not reveal which usernames exist. Argon2 is deliberately slow: it runs on the
    // blocking pool so a burst of logins cannot stall the async workers.
    let stored = creds.as_ref().map(|c| c.password_hash.clone());
    let (password, dummy) = (req.password.clone(), state.dummy_hash.clone());
    let ok = tokio::task::spawn_blocking(move || match stored {
        Some(hash) if hash.starts_with("$argon2") => auth::verify_password(&password, &hash),
        _ => {
            auth::verify_password(&password, &dummy);
            false
        }
    })
    .await
    .map_err(|e| HubError::Internal(format!("password check failed: {e}")))?;
    let creds = match (ok, creds) {
        (true, Some(c)) => c,
        _ => return Err(HubError::BadCredentials),
    };
    let (token, hash) = auth::new_token();
    let expires_at = Utc::now() + auth::TOKEN_LIFETIME;
    state.store.insert_token(&hash, &creds.user.id, expires_at).await?;
    let region = match &creds.user.region_id {
        Some(id) => state.store.region(id).await?,
        None => None,
    };
    Ok(Json(LoginResponse { token, expires_at, user: creds.user, region }))
}

/// Log out
///
/// Revokes the token the request was made with.
#[utoipa::path(
    post,
    path = "/api/v1/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token is revoked", body = crate::openapi::LoggedOut),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
    )
)]
async fn logout(State(state): State<AppState>, caller: Caller) -> HubResult<Json<serde_json::Value>> {
    state.store.revoke_token(&caller.token_hash).await?;
    Ok(Json(serde_json::json!({ "ok": true })))
}

/// Who the token belongs to
///
/// The user, their region and the hub's clock (clients measure their clock offset from it).
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
    )
)]
async fn me(State(state): State<AppState>, caller: Caller) -> HubResult<Json<Me>> {
    let region = match &caller.user.region_id {
        Some(id) => state.store.region(id).await?,
        None => None,
    };
    Ok(Json(Me { user: caller.user, region, server_time: Utc::now() }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ChangesQuery {
    /// The cursor: 0 for everything (a snapshot), else the `next_cursor` of the previous page.
    #[serde(default)]
    #[param(default = 0, minimum = 0)]
    after: i64,
    /// Most changes in the page (default 500, clamped to 1..=2000).
    #[param(default = 500)]
    limit: Option<u32>,
    /// Set while paging through a sync that started from 0: such a client holds nothing older,
    /// so purged deletions cannot leave it with stale records.
    #[serde(default)]
    fresh: bool,
}

/// Sync down: one page of the change log
///
/// The changes after the cursor that the caller may see (compacted: the newest entry per record;
/// deletions are tombstones with `record: null`). Store `next_cursor` with the rows in one
/// transaction and ask again while `more` is true.
#[utoipa::path(
    get,
    path = "/api/v1/changes",
    tag = "sync",
    security(("bearer" = [])),
    params(ChangesQuery),
    responses(
        (status = 200, description = "A page of changes", body = ChangePage),
        (status = 400, description = "The query string does not parse (e.g. `after=abc`); answered by the framework as plain text, not as an `ApiError`", body = String, content_type = "text/plain"),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
        (status = 403, description = "`forbidden`: the role sees no region data (leaders)", body = fenduo_proto::ApiError),
        (status = 410, description = "`resync_required`: the cursor is older than the purged deletions; sync again from 0", body = fenduo_proto::ApiError),
        (status = 422, description = "`invalid_query`: `after` is negative", body = fenduo_proto::ApiError),
    )
)]
async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ChangesQuery>,
) -> HubResult<Json<ChangePage>> {
    let scope = caller.scope()?;
    if q.after < 0 {
        return Err(HubError::invalid("invalid_query", "after", "must be 0 or a cursor the hub returned"));
    }
    let limit = q.limit.unwrap_or(500).clamp(1, 2000);
    Ok(Json(state.store.changes(q.after, limit, &scope, q.fresh).await?))
}

/// Latest group statuses of the live session
///
/// The statuses the caller may see, for a client that wants a picture without opening the live
/// WebSocket. `session_id` is null when no session is live.
#[utoipa::path(
    get,
    path = "/api/v1/status",
    tag = "live",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The latest statuses", body = StatusSnapshot),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
        (status = 403, description = "`forbidden`: the role sees no region data (leaders)", body = fenduo_proto::ApiError),
    )
)]
async fn status(State(state): State<AppState>, caller: Caller) -> HubResult<Json<StatusSnapshot>> {
    let scope = caller.scope()?;
    let session = state.store.live_session().await?;
    let statuses = match &session {
        Some(s) => state.store.statuses(&s.id, &scope).await?,
        None => Vec::new(),
    };
    Ok(Json(StatusSnapshot { session_id: session.map(|s| s.id), statuses, server_time: Utc::now() }))
}

/// Metric ingest: a JSON `MetricBatch`, or NDJSON (one `MetricSample` a line) when the content
/// type says `application/x-ndjson`. The whole batch is validated first; a refused batch stores
/// nothing.
#[utoipa::path(
    post,
    path = "/api/v1/metrics",
    tag = "ingest",
    summary = "Metric ingest (JSON or NDJSON)",
    security(("bearer" = [])),
    request_body(
        description = "Either a JSON `MetricBatch`, or (with `Content-Type: application/x-ndjson`) one JSON `MetricSample` per line; blank lines are skipped. Any other content type is read as JSON. At most 50,000 samples, each within 15 minutes of the hub's clock. Admins only.",
        content(
            (MetricBatch = "application/json"),
            (MetricSample = "application/x-ndjson"),
        )
    ),
    responses(
        (status = 200, description = "Every sample was stored", body = IngestReport),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
        (status = 403, description = "`forbidden`: not an admin, or a sample's group is outside the caller's region (the message names it, e.g. `samples[3].group_id`)", body = fenduo_proto::ApiError),
        (status = 422, description = "Nothing was stored. `invalid_body` (not JSON / not UTF-8), `invalid_sample` (unknown group, negative or impossible count, clock skew; `field` is `samples[i].name` or `line n.name`), `batch_too_large`, `no_live_session`", body = fenduo_proto::ApiError),
    )
)]
async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> HubResult<Json<IngestReport>> {
    caller.require(&[Role::Admin])?;
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-ndjson"));
    // For NDJSON, each sample's line in the body (blank lines are skipped but still counted).
    let (samples, lines): (Vec<MetricSample>, Vec<usize>) = if ndjson {
        parse_ndjson(&body)?.into_iter().map(|(line, s)| (s, line)).unzip()
    } else {
        (parse_json::<MetricBatch>(&body)?.samples, Vec::new())
    };
    if samples.len() > MAX_BATCH {
        return Err(HubError::invalid(
            "batch_too_large",
            "samples",
            format!("{} samples in one batch; send at most {MAX_BATCH}", samples.len()),
        ));
    }
    let session = state.store.live_session().await?.ok_or_else(|| HubError::Invalid {
        code: "no_live_session",
        message: "no session is live: mark the session started before sending metrics".into(),
        field: None,
    })?;
    let now = Utc::now();
    let scope = caller.scope()?;
    // Name a sample the way the sender wrote it: an NDJSON line or a JSON array index.
    let label = |i: usize| if ndjson { format!("line {}", lines[i]) } else { format!("samples[{i}]") };
    let checked = {
        // Validated under the directory's read lock, without copying it; no await in here.
        let directory = state.groups.read().expect("group directory lock");
        let mut checked = Vec::with_capacity(samples.len());
        for (i, s) in samples.iter().enumerate() {
            let meta = directory.get(&s.group_id).ok_or_else(|| {
                HubError::invalid(
                    "invalid_sample",
                    format!("{}.group_id", label(i)),
                    format!("unknown group {:?}", s.group_id),
                )
            })?;
            if !live::visible(&scope, meta) {
                return Err(HubError::Forbidden(format!(
                    "{}.group_id: group is outside your region",
                    label(i)
                )));
            }
            let status = validate_sample(|| label(i), s, &session.id, now)?;
            checked.push((status, meta.clone()));
        }
        checked
    };
    let accepted = checked.len() as u32;
    // Each status moves from validation to storage to the live stream without being copied.
    let (statuses, metas): (Vec<GroupStatus>, Vec<_>) = checked.into_iter().unzip();
    let due: Vec<bool> = {
        let last = state.history.lock().expect("history lock");
        let mut seen = HashSet::with_capacity(statuses.len());
        statuses
            .iter()
            .map(|s| {
                seen.insert(s.group_id.as_str())
                    && last.get(&s.group_id).is_none_or(|t| s.at - *t >= state.config.history_interval)
            })
            .collect()
    };
    let rows: Vec<(GroupStatus, bool)> = statuses.into_iter().zip(due).collect();
    state.store.ingest(&rows).await?;
    {
        let mut last = state.history.lock().expect("history lock");
        for (s, _) in rows.iter().filter(|(_, due)| *due) {
            last.insert(s.group_id.clone(), s.at);
        }
    }
    state.live.publish(rows.into_iter().map(|(s, _)| s).zip(metas));
    Ok(Json(IngestReport { accepted }))
}

/// Checks one sample; the error names the field as `{at()}.field` (e.g. `samples[3].watching`).
pub fn validate_sample(
    at: impl Fn() -> String,
    s: &MetricSample,
    session_id: &str,
    now: DateTime<Utc>,
) -> HubResult<GroupStatus> {
    let field = |name: &str| format!("{}.{name}", at());
    let count = |name: &str, v: i64, max: i64| -> HubResult<u64> {
        if v < 0 {
            Err(HubError::invalid(
                "invalid_sample",
                field(name),
                format!("{v} is negative; counts start at 0"),
            ))
        } else if v > max {
            Err(HubError::invalid(
                "invalid_sample",
                field(name),
                format!("{v} is larger than any group can reach ({max})"),
            ))
        } else {
            Ok(v as u64)
        }
    };
    let watching = count("watching", s.watching, MAX_WATCHING)?;
    let messages = count("messages_per_min", s.messages_per_min, MAX_MESSAGES)?;
    let orders = count("orders", s.orders, MAX_ORDERS)?;
    let gmv = count("gmv_fen", s.gmv_fen, MAX_GMV_FEN)?;
    let skew = s.at - now;
    if skew > MAX_SAMPLE_AHEAD {
        return Err(HubError::invalid(
            "invalid_sample",
            field("at"),
            format!(
                "{} is {} s ahead of the hub's clock ({}); samples may be at most {} minutes ahead — check the sender's clock",
                s.at.to_rfc3339(),
                skew.num_seconds(),
                now.to_rfc3339(),
                MAX_SAMPLE_AHEAD.num_minutes()
            ),
        ));
    }
    if -skew > MAX_SAMPLE_SKEW {
        return Err(HubError::invalid(
            "invalid_sample",
            field("at"),
            format!(
                "{} is {} minutes from the hub's clock ({}); samples must be within {} minutes — check the sender's clock",
                s.at.to_rfc3339(),
                skew.num_minutes(),
                now.to_rfc3339(),
                MAX_SAMPLE_SKEW.num_minutes()
            ),
        ));
    }
    Ok(GroupStatus {
        group_id: s.group_id.clone(),
        session_id: session_id.to_string(),
        at: s.at,
        watching: watching as u32,
        messages_per_min: messages as u32,
        orders: orders as u32,
        gmv_fen: gmv,
    })
}

/// Parses JSON, naming the path of the first offending field.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> HubResult<T> {
    // The common case parses at full speed; only a refused body is read again to find the path.
    let plain = match serde_json::from_slice(body) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let field = if path == "." { "body".to_string() } else { path };
            Err(HubError::invalid("invalid_body", field, format!("{inner}")))
        }
        // Valid as far as the value goes, refused for what follows it (trailing characters).
        Ok(_) => Err(HubError::invalid("invalid_body", "body", plain.to_string())),
    }
}

/// Each sample with its 1-based line number.
fn parse_ndjson(body: &[u8]) -> HubResult<Vec<(usize, MetricSample)>> {
    let text = std::str::from_utf8(body)
        .map_err(|e| HubError::invalid("invalid_body", "body", format!("not UTF-8: {e}")))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            parse_json::<MetricSample>(line.as_bytes()).map(|s| (n + 1, s)).map_err(|e| match e {
                HubError::Invalid { code, message, field } => HubError::Invalid {
                    code,
                    message: format!("line {}: {message}", n + 1),
                    field: field.map(|f| format!("line {}.{f}", n + 1)),
                },
                other => other,
            })
        })
        .collect()
}

/// The live stream (WebSocket)
///
/// A WebSocket upgrade (`GET` with `Connection: Upgrade`, `Upgrade: websocket`). After the
/// handshake the hub sends text frames, each one JSON `LiveMessage` (see the schema, tagged by
/// `type`): first a `snapshot` of every group status the caller may see, then a `delta` of the
/// statuses that changed about once a second, and `changed` (with the change-log `seq`) when
/// schedule data changed and the client should sync. A client that falls behind gets a fresh
/// `snapshot`. The hub pings every 20 s; what the client sends is ignored (a close frame ends it).
#[utoipa::path(
    get,
    path = "/api/v1/live",
    tag = "live",
    security(("bearer" = [])),
    responses(
        (status = 101, description = "Switching Protocols: the WebSocket is open; every text frame is a JSON `LiveMessage` (#/components/schemas/LiveMessage)"),
        (status = 400, description = "Not a WebSocket handshake (missing `Connection: Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Key` or version 13); answered by the framework as plain text, not as an `ApiError`", body = String, content_type = "text/plain"),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
        (status = 403, description = "`forbidden`: the role sees no region data (leaders)", body = fenduo_proto::ApiError),
        (status = 426, description = "The connection cannot be upgraded (plain text, from the framework)", body = String, content_type = "text/plain"),
    )
)]
async fn live_socket(
    State(state): State<AppState>,
    caller: Caller,
    ws: WebSocketUpgrade,
) -> HubResult<Response> {
    let scope = caller.scope()?;
    // Clients send nothing but pings and closes: refuse big frames instead of buffering them.
    Ok(ws
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| live::serve_connection(socket, state, scope)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// Check and report, write nothing.
    #[serde(default)]
    dry_run: bool,
    /// Create a distributor account (without a password) for a distributor the region lacks.
    #[serde(default)]
    create_distributors: bool,
}

/// Roster upload: the file's bytes as the body, its name in `X-File-Name` (percent-encoded when
/// not ASCII). Admins, and coordinators of that region, may import.
#[utoipa::path(
    post,
    path = "/api/v1/regions/{region_id}/roster",
    tag = "roster",
    summary = "Import a roster of groups into a region",
    security(("bearer" = [])),
    params(
        ("region_id" = String, Path, description = "The region to import into"),
        ImportQuery,
        ("X-File-Name" = Option<String>, Header, description = "The file's name, percent-encoded when not ASCII (default `roster`); its extension helps tell the format"),
    ),
    request_body(
        description = "The roster file's raw bytes, not a form: CSV (UTF-8 with or without BOM, GB18030/GBK, UTF-16) or an XLSX workbook. The format is read from the content and the file name; `Content-Type` is ignored. Rows that cannot be imported are reported, not fatal.",
        content(
            ("application/octet-stream"),
            ("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
    ),
    responses(
        (status = 200, description = "The import report: created, updated, unchanged, refused and skipped rows (nothing is written on a dry run)", body = crate::import::ImportReport),
        (status = 400, description = "The query string does not parse (e.g. `dry_run=maybe`); plain text from the framework, not an `ApiError`", body = String, content_type = "text/plain"),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
        (status = 403, description = "`forbidden`: not an admin or coordinator, or a coordinator importing into another region", body = fenduo_proto::ApiError),
        (status = 404, description = "`not_found`: no such region", body = fenduo_proto::ApiError),
        (status = 422, description = "`invalid_roster` (`field` is `file`): the file cannot be read as a roster (old .xls, empty, no header row, bad encoding …)", body = fenduo_proto::ApiError),
    )
)]
async fn import_roster(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(region_id): axum::extract::Path<String>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> HubResult<Json<crate::import::ImportReport>> {
    caller.require(&[Role::Admin, Role::Coordinator])?;
    if let Some(own) = &caller.user.region_id {
        if own != &region_id {
            return Err(HubError::Forbidden(format!("you may import only into your own region ({own})")));
        }
    }
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .unwrap_or_else(|| "roster".into());
    let options =
        crate::import::ImportOptions { create_distributors: q.create_distributors, dry_run: q.dry_run };
    Ok(Json(crate::import::import_roster(&state, &region_id, &name, &body, &options).await?))
}

/// Decodes `%XX` escapes (UTF-8); anything malformed is kept as written.
fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}
