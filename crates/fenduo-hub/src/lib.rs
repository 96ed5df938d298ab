//! fenduo-hub — the central server every command post syncs with.
//!
//! It holds regions, users, groups, sessions and stages, takes the live metric stream, keeps
//! each group's latest status and a thinned history for replay, and serves:
//! - the sync API (`/api/v1/changes`, a compacted change log with per-user scope),
//! - the live WebSocket (`/api/v1/live`, snapshot then deltas about once a second),
//! - metric ingest (`/api/v1/metrics`, JSON or NDJSON, all-or-nothing per batch),
//! - content-addressed assets (`/api/v1/assets`, upload by admins, ranged downloads; see [`assets`]),
//!   and versioned playbooks published from a folder (see [`playbook`]),
//! - its own OpenAPI document (`/api/v1/openapi.json`, generated from the handlers; see [`openapi`]).
//!
//! Storage is behind one trait, [`store::HubStore`], with one method per use case; no SQL lives
//! outside [`store`]. The backend is chosen once from the database URL ([`Hub::open_url`]):
//! SQLite (WAL, migrations embedded) is the default and the only one built so far; PostgreSQL,
//! for national deployments, is refused with a clear error until it is.
//!
//! Build one with [`Hub::open`] (a SQLite file) or [`Hub::open_url`], get its router with
//! [`Hub::router`], or run it with [`Hub::serve`].

#![forbid(unsafe_code)]

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod groups;
pub mod import;
pub mod live;
pub mod mutations;
pub mod openapi;
pub mod playbook;
pub mod roster;
pub mod seed;
pub mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use fenduo_proto::{Group, Region, Role, Session, Stage, User};
use tokio::net::TcpListener;

pub use error::{HubError, HubResult};
use live::Live;
use store::{DatabaseUrl, GroupMeta, HubStore, SqliteStore};

/// Largest request body the hub reads (an ingest batch of 50,000 samples fits).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct HubConfig {
    /// One history row per group per this interval; the live status keeps every sample.
    pub history_interval: chrono::Duration,
    /// How often the live stream sends deltas.
    pub live_tick: Duration,
    /// Largest asset upload; larger ones are refused with 413.
    pub max_asset_bytes: u64,
    /// How long deletions stay in the change log; a client whose cursor is older must resync
    /// from 0 (the hub answers 410 `resync_required`).
    pub tombstone_retention: chrono::Duration,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            history_interval: chrono::Duration::seconds(10),
            live_tick: Duration::from_secs(1),
            max_asset_bytes: assets::DEFAULT_MAX_ASSET_BYTES,
            tombstone_retention: chrono::Duration::days(30),
        }
    }
}

/// Shared state of every request handler.
#[derive(Clone)]
pub struct AppState {
    /// The storage backend, chosen once when the hub opens.
    pub store: Arc<dyn HubStore>,
    pub live: Arc<Live>,
    /// Where each group belongs, for ingest validation and live filtering without a query.
    pub groups: Arc<RwLock<HashMap<String, Arc<GroupMeta>>>>,
    /// When each group last got a history row.
    pub history: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
    pub config: Arc<HubConfig>,
    /// Asset files, in `<db dir>/assets` (see [`assets`]).
    pub assets: assets::AssetStore,
    /// Verified against when a username is unknown, so login timing does not reveal it.
    pub dummy_hash: Arc<String>,
}

impl AppState {
    /// Updates the in-memory group directory after groups were written.
    pub(crate) fn remember_groups(&self, groups: &[Group]) {
        let mut dir = self.groups.write().expect("group directory lock");
        for g in groups {
            dir.insert(
                g.id.clone(),
                Arc::new(GroupMeta {
                    region_id: g.region_id.clone(),
                    distributor_id: g.distributor_id.clone(),
                }),
            );
        }
    }

    pub(crate) async fn announce_change(&self) -> HubResult<()> {
        let seq = self.store.max_seq().await?;
        self.live.changed(seq);
        Ok(())
    }
}

/// A running hub's state plus its background ticker.
pub struct Hub {
    pub state: AppState,
    /// The same store as `state.store` when it is SQLite, for tests that inspect the database.
    sqlite: Option<SqliteStore>,
    /// Background work that lives as long as the hub: the live ticker and the tombstone purge.
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Hub {
    /// Opens the hub on a SQLite database file (created and migrated if needed).
    pub async fn open(db_path: &Path, config: HubConfig) -> HubResult<Hub> {
        let store = SqliteStore::open(db_path).await?;
        Hub::with_store(Arc::new(store.clone()), Some(store), db_path, config).await
    }

    /// Opens the hub on the database a URL names; this is where the backend is chosen:
    /// - a plain path, `sqlite://relative/path` or `sqlite:///absolute/path`: SQLite, as
    ///   [`Hub::open`];
    /// - `postgres://…` / `postgresql://…`: refused with [`HubError::Config`] ("PostgreSQL
    ///   support is not built yet") until that backend exists;
    /// - anything else (another scheme, `sqlite::memory:`, URL options) is refused the same way.
    pub async fn open_url(url: &str, config: HubConfig) -> HubResult<Hub> {
        match DatabaseUrl::parse(url)? {
            DatabaseUrl::Sqlite(path) => Hub::open(&path, config).await,
            DatabaseUrl::Postgres => Err(HubError::Config(
                "PostgreSQL support is not built yet; use a SQLite file path or sqlite://path".into(),
            )),
        }
    }

    /// Assets live beside the database file (see [`assets`]), so both come from `db_path`.
    async fn with_store(
        store: Arc<dyn HubStore>,
        sqlite: Option<SqliteStore>,
        db_path: &Path,
        config: HubConfig,
    ) -> HubResult<Hub> {
        let assets = assets::AssetStore::beside(db_path);
        assets.prepare().await.map_err(|e| {
            HubError::Internal(format!("could not prepare the asset folder {}: {e}", assets.dir().display()))
        })?;
        let live = Arc::new(Live::default());
        let ticker = live.spawn_ticker(config.live_tick);
        let state = AppState {
            store,
            live,
            groups: Arc::default(),
            history: Arc::default(),
            config: Arc::new(config),
            assets,
            dummy_hash: Arc::new(auth::hash_password("fenduo-dummy-password")?),
        };
        let janitor = spawn_tombstone_purge(state.store.clone(), state.config.tombstone_retention);
        let hub = Hub { state, sqlite, tasks: vec![ticker, janitor] };
        hub.reload_group_directory().await?;
        Ok(hub)
    }

    pub fn router(&self) -> Router {
        router(self.state.clone())
    }

    /// The SQLite connection pool when the hub runs on SQLite, for tests and benchmarks that
    /// look at the database itself; `None` on another backend.
    pub fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        self.sqlite.as_ref().map(SqliteStore::pool)
    }

    async fn reload_group_directory(&self) -> HubResult<()> {
        let dir = self.state.store.group_directory().await?;
        let mut groups = self.state.groups.write().expect("group directory lock");
        groups.clear();
        groups.extend(dir.into_iter().map(|(id, meta)| (id, Arc::new(meta))));
        Ok(())
    }

    // ---- administration (CLI, demo seeding and tests) ------------------------------------

    pub async fn upsert_region(&self, region: &Region) -> HubResult<()> {
        self.state.store.upsert_region(region).await?;
        self.state.announce_change().await
    }

    /// Creates a user with an Argon2-hashed password.
    pub async fn create_user(&self, user: &User, password: &str) -> HubResult<()> {
        if password.chars().count() < 8 {
            return Err(HubError::invalid("weak_password", "password", "use at least 8 characters"));
        }
        if user.role != Role::Admin && user.region_id.is_none() {
            return Err(HubError::invalid(
                "invalid_user",
                "region_id",
                "every role but admin needs a region",
            ));
        }
        self.state.store.insert_user(user, &auth::hash_password(password)?).await
    }

    /// Sets a user's password (e.g. a distributor account created by roster import) and ends
    /// the user's logins.
    pub async fn set_password(&self, username: &str, password: &str) -> HubResult<()> {
        if password.chars().count() < 8 {
            return Err(HubError::invalid("weak_password", "password", "use at least 8 characters"));
        }
        if self.state.store.set_password(username, &auth::hash_password(password)?).await? {
            Ok(())
        } else {
            Err(HubError::NotFound(format!("user {username:?}")))
        }
    }

    pub async fn upsert_groups(&self, groups: &[Group]) -> HubResult<()> {
        self.state.store.upsert_groups(groups).await?;
        self.state.remember_groups(groups);
        self.state.announce_change().await
    }

    pub async fn upsert_session(&self, session: &Session, stages: &[Stage]) -> HubResult<()> {
        self.state.store.upsert_session(session, stages).await?;
        self.state.announce_change().await
    }

    /// Serves until `shutdown` resolves.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let live = self.state.live.clone();
        live.reopen();
        axum::serve(listener, self.router().into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                shutdown.await;
                live.close();
            })
            .await
    }
}

/// Purges old tombstones at start and every six hours.
fn spawn_tombstone_purge(
    store: Arc<dyn HubStore>,
    retention: chrono::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(6 * 3600));
        loop {
            every.tick().await;
            match store.purge_tombstones(Utc::now() - retention).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "old deletions purged from the change log"),
                Err(e) => tracing::warn!(error = %e, "tombstone purge failed"),
            }
        }
    })
}

/// Liveness probe
///
/// Answers `ok` while the process serves HTTP; it does not touch the database.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses((status = 200, description = "The hub is up", body = String, content_type = "text/plain", example = "ok"))
)]
async fn healthz() -> &'static str {
    "ok"
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .nest(
            "/api/v1",
            api::routes().merge(assets::routes()).merge(mutations::routes()).merge(groups::routes()),
        )
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(run_to_completion))
        .with_state(state)
}

/// Runs each request in its own task, so a client that hangs up mid-request cannot cancel its
/// handler halfway through a database transaction. (The fault suite found that a cancelled
/// `BEGIN IMMEDIATE` could go back to the pool still open, holding the write lock.) What the hub
/// started, it finishes: a mutation whose answer is lost is still applied once.
async fn run_to_completion(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::spawn(next.run(req)).await {
        Ok(resp) => resp,
        Err(e) => {
            use axum::response::IntoResponse;
            HubError::Internal(format!("request task failed: {e}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_backend_is_chosen_from_the_database_url() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hub.sqlite").display());
        let hub = Hub::open_url(&url, HubConfig::default()).await.unwrap();
        assert!(hub.sqlite_pool().is_some());
        assert!(dir.path().join("hub.sqlite").exists() && dir.path().join("assets").is_dir());

        let Err(e) = Hub::open_url("postgres://hub@db.example/fenduo", HubConfig::default()).await else {
            panic!("PostgreSQL is not built yet")
        };
        assert!(
            matches!(&e, HubError::Config(m) if m.contains("PostgreSQL support is not built yet")),
            "{e}"
        );
    }
}
