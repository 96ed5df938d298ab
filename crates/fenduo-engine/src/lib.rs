//! fenduo-engine — the command post's client engine, with no Tauri dependency so that it is
//! tested headless.
//!
//! It keeps a local SQLite copy of what the hub sends (groups, sessions, stages, the last live
//! statuses), syncs the change log by cursor, holds the live WebSocket open, reconnects with
//! backoff and jitter when the network drops, and tells subscribers what changed as
//! [`WallEvent`]s. The wall is always drawn from the local copy, so it works offline.

#![forbid(unsafe_code)]

pub mod cache;
pub mod error;
pub mod hub;
pub mod outbox;
pub mod store;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use fenduo_proto::ipc::{ConnectionInfo, ConnectionState, WallData, WallEvent};
use fenduo_proto::{LiveMessage, MutationBatch, MutationOp, Record, Region, Session, SessionStatus, User};
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::tungstenite::Message;

use cache::{AssetCache, PrefetchReport};
pub use error::{EngineError, EngineResult};
use hub::{normalize_hub_url, HubClient};
use outbox::{Outbox, OutboxEntry, Owner};
use store::LocalStore;

/// With no live message for this long, the connection is taken as dead and re-opened.
const LIVE_SILENCE: Duration = Duration::from_secs(45);
/// Reconnect delays grow up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// After this many failed attempts in a row the state shows offline rather than reconnecting.
const OFFLINE_AFTER_FAILURES: u32 = 3;
/// The longest note the hub accepts, in characters. Duplicates
/// `fenduo_hub::mutations::MAX_NOTE_CHARS` (the engine does not depend on the hub crate); keep
/// the two equal.
pub const MAX_NOTE_CHARS: usize = 4000;

/// The remembered login, kept in the local store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Login {
    pub hub_url: String,
    pub token: String,
    pub user: User,
    pub region: Option<Region>,
}

impl Login {
    /// Who the outbox entries queued under this login belong to.
    pub fn owner(&self) -> Owner<'_> {
        Owner { hub_url: &self.hub_url, user_id: &self.user.id }
    }
}

struct Inner {
    store: LocalStore,
    login: Mutex<Option<Login>>,
    events: broadcast::Sender<WallEvent>,
    connection: watch::Sender<ConnectionInfo>,
    /// The sync/live loop and the outbox sender, while logged in.
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    outbox: Outbox,
    cache: AssetCache,
    /// Wakes the outbox sender when something was queued or the hub came back.
    wake: Arc<tokio::sync::Notify>,
}

/// The engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(tasks) = self.tasks.get_mut() {
            for t in tasks.drain(..) {
                t.abort();
            }
        }
    }
}

impl Engine {
    /// Opens the local store in `data_dir` (created if needed) and restores the last login.
    pub async fn open(data_dir: &Path) -> EngineResult<Engine> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            EngineError::Store(sqlx::Error::Io(std::io::Error::new(
                e.kind(),
                format!("cannot create {}: {e}", data_dir.display()),
            )))
        })?;
        let store = LocalStore::open(&data_dir.join("client.sqlite")).await?;
        let login: Option<Login> = store.setting("login").await?;
        let outbox = Outbox::new(store.pool().clone());
        let cache = AssetCache::open(data_dir, &store);
        let pending_actions = match &login {
            Some(l) => outbox.pending_count(l.owner()).await?,
            None => 0,
        };
        let engine = Engine {
            inner: Arc::new(Inner {
                store,
                login: Mutex::new(login),
                events: broadcast::channel(256).0,
                connection: watch::channel(ConnectionInfo {
                    state: ConnectionState::Offline,
                    last_data_at: None,
                    clock_offset_ms: 0,
                    pending_actions,
                })
                .0,
                tasks: Mutex::new(Vec::new()),
                outbox,
                cache,
                wake: Arc::new(tokio::sync::Notify::new()),
            }),
        };
        Ok(engine)
    }

    pub fn login_info(&self) -> Option<Login> {
        self.inner.login.lock().expect("login lock").clone()
    }

    /// The hub address last used, even after a logout (to pre-fill the login form).
    pub async fn last_hub_url(&self) -> EngineResult<Option<String>> {
        self.inner.store.setting("last_hub_url").await
    }

    /// Logs in to a hub, remembers the login and starts syncing.
    pub async fn login(&self, hub_url: &str, username: &str, password: &str) -> EngineResult<Login> {
        let url = normalize_hub_url(hub_url)?;
        let resp = HubClient::new(url.clone(), None).login(username.trim(), password).await?;
        let login =
            Login { hub_url: url.to_string(), token: resp.token, user: resp.user, region: resp.region };
        let previous = self.login_info();
        let same_scope =
            previous.as_ref().is_some_and(|p| p.hub_url == login.hub_url && p.user.id == login.user.id);
        if !same_scope {
            self.inner.store.clear_synced().await?;
        }
        self.inner.store.set_setting("login", &login).await?;
        self.inner.store.set_setting("last_hub_url", &login.hub_url).await?;
        *self.inner.login.lock().expect("login lock") = Some(login.clone());
        // The pending count is this user's: what another user queued here waits for them.
        refresh_pending(&self.inner).await?;
        self.start();
        Ok(login)
    }

    /// Forgets the login (revoking the token on the hub when it is reachable). Synced data stays
    /// until another user logs in.
    pub async fn logout(&self) -> EngineResult<()> {
        self.stop();
        if let Some(login) = self.login_info() {
            let client = HubClient::new(normalize_hub_url(&login.hub_url)?, Some(login.token));
            if let Err(e) = client.logout().await {
                tracing::warn!(error = %e, "could not revoke the token on the hub");
            }
        }
        self.inner.store.remove_setting("login").await?;
        *self.inner.login.lock().expect("login lock") = None;
        self.set_connection(|c| c.state = ConnectionState::Offline);
        // The queued entries stay, to be sent when their owner logs in again; nobody's are
        // pending while logged out.
        refresh_pending(&self.inner).await?;
        Ok(())
    }

    /// Starts (or restarts) the background sync and live loop, if logged in.
    pub fn start(&self) {
        self.stop();
        if self.login_info().is_none() {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let live = tokio::spawn(run_loop(weak.clone()));
        let sender = tokio::spawn(outbox_loop(weak));
        *self.inner.tasks.lock().expect("tasks lock") = vec![live, sender];
    }

    pub fn stop(&self) {
        for t in self.inner.tasks.lock().expect("tasks lock").drain(..) {
            t.abort();
        }
    }

    /// Queues a change the logged-in user made; it is sent as that user as soon as the hub is
    /// reachable, once. What the hub would refuse for sure is refused here instead, before it is
    /// queued ([`EngineError::Invalid`]).
    pub async fn submit(&self, op: MutationOp) -> EngineResult<OutboxEntry> {
        validate(&op)?;
        let login = self.login_info().ok_or(EngineError::NotLoggedIn)?;
        let entry = self.inner.outbox.push(login.owner(), op).await?;
        refresh_pending(&self.inner).await?;
        self.inner.wake.notify_one();
        Ok(entry)
    }

    /// The outbox, newest first: what waits to be sent and what the hub answered.
    pub async fn outbox(&self, limit: i64) -> EngineResult<Vec<OutboxEntry>> {
        self.inner.outbox.recent(limit).await
    }

    /// Sends what the outbox holds now; returns how many the hub answered for.
    pub async fn flush_outbox(&self) -> EngineResult<usize> {
        flush_outbox(&self.inner).await
    }

    pub fn subscribe(&self) -> broadcast::Receiver<WallEvent> {
        self.inner.events.subscribe()
    }

    pub fn connection(&self) -> ConnectionInfo {
        self.inner.connection.borrow().clone()
    }

    pub fn watch_connection(&self) -> watch::Receiver<ConnectionInfo> {
        self.inner.connection.subscribe()
    }

    fn set_connection(&self, f: impl FnOnce(&mut ConnectionInfo)) {
        set_connection(&self.inner, f);
    }

    /// Pulls every change after the stored cursor; returns how many were applied.
    pub async fn sync_once(&self) -> EngineResult<usize> {
        sync_once(&self.inner).await
    }

    pub fn asset_cache(&self) -> &AssetCache {
        &self.inner.cache
    }

    /// A verified local file for an asset, downloading (or resuming) it if needed.
    pub async fn asset_path(&self, asset: &fenduo_proto::Asset) -> EngineResult<std::path::PathBuf> {
        if let Some(path) = self.inner.cache.cached(asset).await? {
            return Ok(path);
        }
        self.inner.cache.ensure(&client_of(&self.inner)?, asset).await
    }

    /// The Thursday sync of media: every asset of the current and next session's playbooks is
    /// fetched (resuming broken downloads) and verified, then the cache is trimmed to its quota
    /// without touching those.
    pub async fn prefetch_playbooks(
        &self,
        progress: impl Fn(u64, u64) + Sync,
    ) -> EngineResult<PrefetchReport> {
        let client = client_of(&self.inner)?;
        let now = Utc::now() + chrono::Duration::milliseconds(self.connection().clock_offset_ms);
        let protected = cache::protected_assets(&self.inner.store, now).await?;
        let mut assets = self.inner.store.assets().await?;
        assets.retain(|a| protected.contains(&a.sha256));
        let report = self.inner.cache.prefetch(&client, &assets, progress).await;
        self.inner.cache.evict(&protected).await?;
        Ok(report)
    }

    /// Everything in the local copy (for checks that it equals the hub's).
    pub async fn local_records(&self) -> EngineResult<Vec<Record>> {
        self.inner.store.all_records().await
    }

    /// What the wall shows, from the local copy.
    pub async fn wall_data(&self) -> EngineResult<WallData> {
        let store = &self.inner.store;
        let mut groups = store.groups().await?;
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        let sessions = store.sessions().await?;
        let now = Utc::now() + chrono::Duration::milliseconds(self.connection().clock_offset_ms);
        let session = current_session(&sessions, now);
        let mut stages: Vec<_> = match &session {
            Some(s) => store.stages().await?.into_iter().filter(|st| st.session_id == s.id).collect(),
            None => Vec::new(),
        };
        stages.sort_by_key(|s| s.seq);
        let statuses = match &session {
            Some(s) => store.statuses().await?.into_iter().filter(|st| st.session_id == s.id).collect(),
            None => Vec::new(),
        };
        let region = self.login_info().and_then(|l| l.region);
        Ok(WallData { region, groups, statuses, session, stages, connection: self.connection() })
    }
}

/// Checks a change before it is queued, with the hub's own limits, so that the user hears about
/// a mistake at once rather than as a refusal later.
pub fn validate(op: &MutationOp) -> EngineResult<()> {
    match op {
        MutationOp::AddNote { text, .. } => {
            let invalid = |message: String| EngineError::Invalid { field: "text".into(), message };
            let text = text.trim();
            if text.is_empty() {
                return Err(invalid("the note is empty".into()));
            }
            let chars = text.chars().count();
            if chars > MAX_NOTE_CHARS {
                return Err(invalid(format!(
                    "the note has {chars} characters; keep notes under {MAX_NOTE_CHARS} characters"
                )));
            }
            Ok(())
        }
        MutationOp::StartSession { .. } => Ok(()),
    }
}

/// The session the wall is about: the live one, else the next scheduled, else the latest.
pub fn current_session(sessions: &[Session], now: DateTime<Utc>) -> Option<Session> {
    let live =
        sessions.iter().filter(|s| s.status == SessionStatus::Live).max_by_key(|s| s.effective_start());
    let next = || {
        sessions
            .iter()
            .filter(|s| s.status == SessionStatus::Scheduled && s.planned_end > now)
            .min_by_key(|s| s.planned_start)
    };
    let latest = || sessions.iter().max_by_key(|s| s.effective_start());
    live.or_else(next).or_else(latest).cloned()
}

fn set_connection(inner: &Inner, f: impl FnOnce(&mut ConnectionInfo)) {
    let mut changed = None;
    inner.connection.send_if_modified(|c| {
        let before = c.clone();
        f(c);
        let state_changed = before.state != c.state;
        if state_changed {
            changed = Some(c.clone());
        }
        state_changed
    });
    if let Some(c) = changed {
        let _ = inner.events.send(WallEvent::Connection(c));
    }
}

fn client_of(inner: &Inner) -> EngineResult<HubClient> {
    let login = inner.login.lock().expect("login lock").clone().ok_or(EngineError::NotLoggedIn)?;
    Ok(HubClient::new(normalize_hub_url(&login.hub_url)?, Some(login.token)))
}

async fn sync_once(inner: &Inner) -> EngineResult<usize> {
    let client = client_of(inner)?;
    let mut cursor = inner.store.cursor().await?;
    let mut applied = 0;
    loop {
        let page = match fetch_page(inner, &client, cursor, false).await {
            Err(EngineError::Hub(e)) if e.code == "resync_required" => {
                tracing::info!(cursor, "the hub purged history past our cursor; resyncing from the start");
                return full_resync(inner, &client).await;
            }
            other => other?,
        };
        inner.store.apply_changes(&page.changes, page.next_cursor).await?;
        applied += page.changes.len();
        cursor = page.next_cursor;
        if !page.more {
            return Ok(applied);
        }
    }
}

/// One page of changes; also measures the hub's clock offset.
async fn fetch_page(
    inner: &Inner,
    client: &HubClient,
    cursor: i64,
    fresh: bool,
) -> EngineResult<fenduo_proto::ChangePage> {
    let sent = Utc::now();
    let page = client.changes(cursor, 500, fresh).await?;
    let received = Utc::now();
    // Hub clock minus ours, taking the request's midpoint as when the hub read its clock.
    let midpoint = sent + (received - sent) / 2;
    let offset = (page.server_time - midpoint).num_milliseconds();
    set_connection(inner, |c| c.clock_offset_ms = offset);
    Ok(page)
}

/// Fetches everything from 0, then swaps it in for the local copy in one transaction, so the
/// wall never shows a half-synced region.
async fn full_resync(inner: &Inner, client: &HubClient) -> EngineResult<usize> {
    let mut cursor = 0;
    let mut all = Vec::new();
    loop {
        let page = fetch_page(inner, client, cursor, true).await?;
        all.extend(page.changes);
        cursor = page.next_cursor;
        if !page.more {
            break;
        }
    }
    inner.store.replace_all(&all, cursor).await?;
    Ok(all.len())
}

/// Sets the pending count to the current login's waiting entries (0 when logged out).
async fn refresh_pending(inner: &Inner) -> EngineResult<()> {
    let login = inner.login.lock().expect("login lock").clone();
    let n = match &login {
        Some(l) => inner.outbox.pending_count(l.owner()).await?,
        None => 0,
    };
    let mut changed = None;
    inner.connection.send_if_modified(|c| {
        let modified = c.pending_actions != n;
        c.pending_actions = n;
        if modified {
            changed = Some(c.clone());
        }
        modified
    });
    if let Some(c) = changed {
        let _ = inner.events.send(WallEvent::Connection(c));
    }
    Ok(())
}

/// Sends the current login's pending mutations in order, a batch at a time, until none are left.
/// Entries queued by another user are left for them.
async fn flush_outbox(inner: &Inner) -> EngineResult<usize> {
    let login = inner.login.lock().expect("login lock").clone().ok_or(EngineError::NotLoggedIn)?;
    let client = HubClient::new(normalize_hub_url(&login.hub_url)?, Some(login.token.clone()));
    let mut answered = 0;
    loop {
        let batch = inner.outbox.pending(login.owner(), outbox::BATCH).await?;
        if batch.is_empty() {
            return Ok(answered);
        }
        let ids: Vec<String> = batch.iter().map(|e| e.mutation.id.clone()).collect();
        let mutations: Vec<_> = batch.into_iter().map(|e| e.mutation).collect();
        let request = MutationBatch { mutations: mutations.clone() };
        match client.post_mutations(&request).await {
            Ok(results) => {
                inner.outbox.complete(&results.results).await?;
                answered += results.results.len();
                refresh_pending(inner).await?;
                let _ = inner.events.send(WallEvent::Reload);
                if results.results.len() < ids.len() {
                    // The hub answered for fewer than asked: stop here and retry the rest later.
                    return Ok(answered);
                }
            }
            Err(e) if e.is_permanent_refusal() => {
                // The hub refused the request as a whole (too large, malformed): one entry may be
                // the cause. Send them one by one so that only what the hub refuses alone leaves
                // the queue as refused, and the others go through.
                tracing::warn!(error = %e, n = ids.len(), "the hub refused a batch; sending its entries one by one");
                answered += send_one_by_one(inner, &client, mutations).await?;
            }
            Err(e) => {
                inner.outbox.attempt_failed(&ids, &e.to_string()).await?;
                return Err(e);
            }
        }
    }
}

/// Sends `mutations` alone, in order. An entry the hub still refuses as a whole request (a 4xx
/// other than 401, 408, 429) is marked refused with that reason; a transient failure stops here
/// and keeps the rest pending. Returns how many left the queue.
async fn send_one_by_one(
    inner: &Inner,
    client: &HubClient,
    mutations: Vec<fenduo_proto::Mutation>,
) -> EngineResult<usize> {
    let mut answered = 0;
    for (i, m) in mutations.iter().enumerate() {
        let id = m.id.clone();
        let request = MutationBatch { mutations: vec![m.clone()] };
        match client.post_mutations(&request).await {
            Ok(results) if !results.results.is_empty() => {
                inner.outbox.complete(&results.results).await?;
                answered += results.results.len();
            }
            Ok(_) => {
                // No answer for it: leave it and the rest for a later flush.
                let rest: Vec<String> = mutations[i..].iter().map(|m| m.id.clone()).collect();
                inner.outbox.attempt_failed(&rest, "the hub did not answer for this change").await?;
                refresh_pending(inner).await?;
                return Err(EngineError::Protocol("the hub answered for no mutation".into()));
            }
            Err(e) if e.is_permanent_refusal() => {
                tracing::warn!(error = %e, id, "the hub refused an outbox entry for good");
                inner.outbox.refuse(&id, &e.to_api_error()).await?;
                answered += 1;
            }
            Err(e) => {
                let rest: Vec<String> = mutations[i..].iter().map(|m| m.id.clone()).collect();
                inner.outbox.attempt_failed(&rest, &e.to_string()).await?;
                refresh_pending(inner).await?;
                return Err(e);
            }
        }
    }
    refresh_pending(inner).await?;
    let _ = inner.events.send(WallEvent::Reload);
    Ok(answered)
}

/// Waits for work (a new mutation, or every few seconds) and flushes the outbox; backs off
/// while the hub cannot be reached.
async fn outbox_loop(weak: std::sync::Weak<Inner>) {
    let mut failures: u32 = 0;
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let wait = if failures == 0 { Duration::from_secs(5) } else { backoff(failures) };
        // Wait without holding the engine, so dropping it ends this loop.
        let wake = inner.wake.clone();
        drop(inner);
        let _ = tokio::time::timeout(wait, wake.notified()).await;
        let Some(inner) = weak.upgrade() else { return };
        match flush_outbox(&inner).await {
            Ok(_) => failures = 0,
            Err(EngineError::Unauthorized) | Err(EngineError::NotLoggedIn) => return,
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::info!(error = %e, failures, "outbox not sent yet");
            }
        }
    }
}

/// Sync, then hold the live stream; on any failure wait (exponential backoff with jitter) and
/// start again. Ends when the engine is dropped or the login is refused.
async fn run_loop(weak: std::sync::Weak<Inner>) {
    let mut failures: u32 = 0;
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let result = session_once(&inner, &mut failures).await;
        match result {
            Err(EngineError::Unauthorized) | Err(EngineError::NotLoggedIn) => {
                tracing::warn!("the hub no longer accepts this login");
                set_connection(&inner, |c| c.state = ConnectionState::Offline);
                let _ = inner.events.send(WallEvent::Reload);
                return;
            }
            Err(e) => tracing::info!(error = %e, failures, "hub connection lost"),
            Ok(()) => {}
        }
        failures = failures.saturating_add(1);
        set_connection(&inner, |c| {
            c.state = if failures >= OFFLINE_AFTER_FAILURES {
                ConnectionState::Offline
            } else {
                ConnectionState::Reconnecting
            }
        });
        drop(inner);
        tokio::time::sleep(backoff(failures)).await;
    }
}

/// Delay before the `failures`-th retry: 0.5 s doubling to [`MAX_BACKOFF`], ±25% jitter so that
/// a hall full of command posts does not reconnect in lockstep.
pub fn backoff(failures: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1u32 << failures.min(8).saturating_sub(1));
    let base = base.min(MAX_BACKOFF);
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    base.mul_f64(jitter)
}

async fn session_once(inner: &Inner, failures: &mut u32) -> EngineResult<()> {
    if sync_once(inner).await? > 0 {
        let _ = inner.events.send(WallEvent::Reload);
    }
    let client = client_of(inner)?;
    let (mut socket, _) =
        tokio_tungstenite::connect_async(client.live_request()?).await.map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(resp) if resp.status() == 401 => {
                EngineError::Unauthorized
            }
            other => EngineError::Unreachable { url: client.base().to_string(), reason: other.to_string() },
        })?;
    loop {
        let msg = match tokio::time::timeout(LIVE_SILENCE, socket.next()).await {
            Err(_) => return Err(EngineError::Protocol("the live stream went silent".into())),
            Ok(None) => return Ok(()),
            Ok(Some(Err(e))) => {
                return Err(EngineError::Unreachable {
                    url: client.base().to_string(),
                    reason: e.to_string(),
                })
            }
            Ok(Some(Ok(m))) => m,
        };
        let text = match msg {
            Message::Text(t) => t,
            Message::Ping(p) => {
                let _ = socket.send(Message::Pong(p)).await;
                continue;
            }
            Message::Close(_) => return Ok(()),
            _ => continue,
        };
        let live: LiveMessage =
            serde_json::from_str(&text).map_err(|e| EngineError::Protocol(e.to_string()))?;
        let now = Utc::now();
        match live {
            LiveMessage::Snapshot { statuses, .. } => {
                inner.store.save_statuses(&statuses, true).await?;
                *failures = 0;
                set_connection(inner, |c| {
                    c.state = ConnectionState::Online;
                    c.last_data_at = Some(now);
                });
                let _ = inner.events.send(WallEvent::Snapshot { statuses });
            }
            LiveMessage::Delta { statuses, .. } => {
                inner.store.save_statuses(&statuses, false).await?;
                inner.connection.send_modify(|c| c.last_data_at = Some(now));
                let _ = inner.events.send(WallEvent::Statuses { statuses });
            }
            LiveMessage::Changed { .. } => {
                if sync_once(inner).await? > 0 {
                    let _ = inner.events.send(WallEvent::Reload);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_cap_with_jitter() {
        for f in 1..20 {
            let d = backoff(f);
            assert!(d >= Duration::from_millis(375), "{f}: {d:?}");
            assert!(d <= MAX_BACKOFF.mul_f64(1.25), "{f}: {d:?}");
        }
        assert!(backoff(1) < Duration::from_millis(700));
        assert!(backoff(12) > Duration::from_secs(20));
    }

    fn note(text: String) -> MutationOp {
        MutationOp::AddNote { session_id: "s1".into(), at: Utc::now(), group_id: None, text }
    }

    #[tokio::test]
    async fn submit_refuses_an_empty_or_over_long_note_naming_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).await.unwrap();
        let too_long = "长".repeat(MAX_NOTE_CHARS + 1);
        for text in ["".to_string(), " \n\t ".to_string(), too_long] {
            let err = engine.submit(note(text.clone())).await.unwrap_err();
            assert!(matches!(&err, EngineError::Invalid { field, .. } if field == "text"), "{err:?}");
            let api = err.to_api_error();
            assert_eq!(api.code, "invalid_input");
            assert_eq!(api.field.as_deref(), Some("text"));
            assert!(!err.is_transient());
        }
        assert!(engine.outbox(10).await.unwrap().is_empty(), "nothing was queued");

        // At the limit (counted in characters, after trimming) the note is valid; with no login
        // it cannot be queued.
        let at_limit = format!("  {}  ", "长".repeat(MAX_NOTE_CHARS));
        assert!(validate(&note(at_limit.clone())).is_ok());
        assert!(matches!(engine.submit(note(at_limit)).await, Err(EngineError::NotLoggedIn)));
        assert!(engine.outbox(10).await.unwrap().is_empty());
    }
}
