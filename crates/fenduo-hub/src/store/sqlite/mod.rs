//! [`SqliteStore`]: the hub's storage on one SQLite file, the embedded default.
//!
//! WAL journal (readers never wait for the writer), `synchronous = NORMAL`, a 10 s busy timeout
//! and foreign keys on; migrations from `crates/fenduo-hub/migrations/` are embedded and applied
//! at open. Queries are strings checked at run time, so building needs no database.
//!
//! A transaction that reads before it decides what to write starts with `BEGIN IMMEDIATE`, or
//! makes its first statement a write, so it holds the write lock before it reads.
//!
//! Each file holds one area: [`accounts`] (regions, users, tokens), [`groups`] (groups, their
//! deletion and roster import), [`sessions`], [`ingest`] (metrics and statuses), [`sync`] (the
//! change log), [`assets`], [`playbooks`] and [`mutations`]. This file wires them to the trait.

mod accounts;
mod assets;
mod groups;
mod ingest;
mod mutations;
mod playbooks;
mod sessions;
mod sync;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fenduo_proto::{Asset, ChangePage, Group, GroupStatus, Playbook, Region, Role, Session, Stage, User};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};

use super::{
    parse_session_status, parse_ts, Credentials, Decide, GroupMeta, HubStore, MutationApplied,
    MutationRequest, NewPlaybook, Scope,
};
use crate::error::{HubError, HubResult};

/// The hub's storage on SQLite; cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: &Path) -> HubResult<SqliteStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// The connection pool, for tests and benchmarks that look at the database itself.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl HubStore for SqliteStore {
    async fn upsert_region(&self, region: &Region) -> HubResult<()> {
        accounts::upsert_region(&self.pool, region).await
    }

    async fn region(&self, id: &str) -> HubResult<Option<Region>> {
        accounts::region(&self.pool, id).await
    }

    async fn insert_user(&self, user: &User, password_hash: &str) -> HubResult<()> {
        accounts::insert_user(&self.pool, user, password_hash).await
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> HubResult<bool> {
        accounts::set_password(&self.pool, username, password_hash).await
    }

    async fn credentials(&self, username: &str) -> HubResult<Option<Credentials>> {
        accounts::credentials(&self.pool, username).await
    }

    async fn user_count(&self) -> HubResult<i64> {
        accounts::user_count(&self.pool).await
    }

    async fn insert_token(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> HubResult<()> {
        accounts::insert_token(&self.pool, token_hash, user_id, expires_at).await
    }

    async fn user_for_token(&self, token_hash: &str, now: DateTime<Utc>) -> HubResult<Option<User>> {
        accounts::user_for_token(&self.pool, token_hash, now).await
    }

    async fn revoke_token(&self, token_hash: &str) -> HubResult<()> {
        accounts::revoke_token(&self.pool, token_hash).await
    }

    async fn upsert_groups(&self, groups: &[Group]) -> HubResult<()> {
        groups::upsert_groups(&self.pool, groups).await
    }

    async fn group_directory(&self) -> HubResult<Vec<(String, GroupMeta)>> {
        groups::group_directory(&self.pool).await
    }

    async fn delete_group(&self, id: &str) -> HubResult<Option<GroupMeta>> {
        groups::delete_group(&self.pool, id).await
    }

    async fn region_distributors(&self, region_id: &str) -> HubResult<Vec<User>> {
        groups::region_distributors(&self.pool, region_id).await
    }

    async fn groups_by_id(&self, ids: &[&str]) -> HubResult<Vec<Group>> {
        groups::groups_by_id(&self.pool, ids).await
    }

    async fn import_roster(&self, new_distributors: &[User], groups: &[Group]) -> HubResult<()> {
        groups::import_roster(&self.pool, new_distributors, groups).await
    }

    async fn upsert_session(&self, session: &Session, stages: &[Stage]) -> HubResult<()> {
        sessions::upsert_session(&self.pool, session, stages).await
    }

    async fn live_session(&self) -> HubResult<Option<Session>> {
        sessions::live_session(&self.pool).await
    }

    async fn stage_seqs(&self, session_id: &str) -> HubResult<Option<Vec<u32>>> {
        sessions::stage_seqs(&self.pool, session_id).await
    }

    async fn ingest(&self, statuses: &[(GroupStatus, bool)]) -> HubResult<()> {
        ingest::ingest(&self.pool, statuses).await
    }

    async fn statuses(&self, session_id: &str, scope: &Scope) -> HubResult<Vec<GroupStatus>> {
        ingest::statuses(&self.pool, session_id, scope).await
    }

    async fn changes(&self, after: i64, limit: u32, scope: &Scope, fresh: bool) -> HubResult<ChangePage> {
        sync::changes(&self.pool, after, limit, scope, fresh).await
    }

    async fn max_seq(&self) -> HubResult<i64> {
        sync::max_seq(&self.pool).await
    }

    async fn tombstone_horizon(&self) -> HubResult<i64> {
        sync::tombstone_horizon(&self.pool).await
    }

    async fn purge_tombstones(&self, before: DateTime<Utc>) -> HubResult<u64> {
        sync::purge_tombstones(&self.pool, before).await
    }

    async fn asset(&self, sha256: &str) -> HubResult<Option<Asset>> {
        assets::asset(&self.pool, sha256).await
    }

    async fn insert_asset(&self, asset: &Asset) -> HubResult<(Asset, bool)> {
        assets::insert_asset(&self.pool, asset).await
    }

    async fn latest_playbook_version(&self, session_id: &str) -> HubResult<u32> {
        playbooks::latest_playbook_version(&self.pool, session_id).await
    }

    async fn playbook(&self, session_id: &str, version: u32) -> HubResult<Option<Playbook>> {
        playbooks::playbook(&self.pool, session_id, version).await
    }

    async fn publish_playbook(&self, playbook: &NewPlaybook) -> HubResult<Playbook> {
        playbooks::publish_playbook(&self.pool, playbook).await
    }

    async fn apply_mutation(
        &self,
        request: &MutationRequest<'_>,
        decide: &Decide<'_>,
    ) -> HubResult<MutationApplied> {
        mutations::apply_mutation(&self.pool, request, decide).await
    }
}

// ---- helpers shared by the areas --------------------------------------------------------------

/// `(?, ?, ?), (?, ?, ?)` for `rows` rows of `cols` columns (multi-row statements; also used by
/// the ingest benchmark's raw baseline).
pub fn placeholders(rows: usize, cols: usize) -> String {
    let row = format!("({})", vec!["?"; cols].join(", "));
    vec![row; rows].join(", ")
}

/// SQL fragment and its binds restricting rows to a scope.
fn scope_filter(
    scope: &Scope,
    region_col: &str,
    distributor_col: &str,
) -> (String, Option<String>, Option<String>) {
    match scope {
        Scope::All => (String::new(), None, None),
        Scope::Region(r) => (format!("AND {region_col} = ?"), Some(r.clone()), None),
        Scope::Distributor { region_id, user_id } => (
            format!("AND {region_col} = ? AND {distributor_col} = ?"),
            Some(region_id.clone()),
            Some(user_id.clone()),
        ),
    }
}

fn user_from_row(r: &SqliteRow) -> HubResult<User> {
    let role: String = r.get("role");
    Ok(User {
        id: r.get("id"),
        username: r.get("username"),
        display_name: r.get("display_name"),
        role: Role::parse(&role).ok_or_else(|| HubError::Internal(format!("bad stored role {role:?}")))?,
        region_id: r.get("region_id"),
    })
}

fn session_from_row(r: &SqliteRow) -> HubResult<Session> {
    let status: String = r.get("status");
    let actual: Option<String> = r.get("actual_start");
    let target_orders: Option<i64> = r.get("target_orders");
    let target_gmv: Option<i64> = r.get("target_gmv_fen");
    Ok(Session {
        id: r.get("id"),
        title: r.get("title"),
        host: r.get("host"),
        planned_start: parse_ts(r.get("planned_start"))?,
        actual_start: actual.as_deref().map(parse_ts).transpose()?,
        planned_end: parse_ts(r.get("planned_end"))?,
        status: parse_session_status(&status),
        target_orders: target_orders.map(|v| v as u64),
        target_gmv_fen: target_gmv.map(|v| v as u64),
    })
}

fn group_meta_from_row(r: &SqliteRow) -> GroupMeta {
    GroupMeta { region_id: r.get("region_id"), distributor_id: r.get("distributor_id") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, username: &str) -> User {
        User {
            id: id.into(),
            username: username.into(),
            display_name: "管理员".into(),
            role: Role::Admin,
            region_id: None,
        }
    }

    #[tokio::test]
    async fn duplicate_keys_are_conflicts_and_missing_rows_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("hub.sqlite")).await.unwrap();
        store.insert_user(&user("u1", "admin"), "hash").await.unwrap();
        let taken = store.insert_user(&user("u2", "admin"), "hash").await.unwrap_err();
        assert!(matches!(&taken, HubError::Conflict(m) if m.contains("\"admin\" is taken")), "{taken:?}");
        // Any other duplicate key, through the one `From<sqlx::Error>`.
        let e = store
            .insert_token("t", "u1", Utc::now())
            .await
            .and(store.insert_token("t", "u1", Utc::now()).await);
        assert!(matches!(e, Err(HubError::Conflict(_))), "{e:?}");
        let e: HubResult<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = 'nobody'")
            .fetch_one(store.pool())
            .await
            .map_err(HubError::from);
        assert!(matches!(e, Err(HubError::NotFound(_))), "{e:?}");
    }
}
