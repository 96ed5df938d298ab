//! The hub's storage: one method per use case over SQLite (WAL).
//!
//! Times are stored as fixed-width RFC 3339 strings in UTC with milliseconds
//! (`2026-12-05T11:30:00.000Z`), so text comparison in SQL is time comparison.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use fenduo_proto::{
    Change, ChangePage, Group, GroupStatus, Record, Region, Role, Session, SessionStatus, Stage, StageKind,
    User,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use crate::error::{HubError, HubResult};

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_ts(s: &str) -> HubResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| HubError::Internal(format!("bad stored time {s:?}: {e}")))
}

/// The change-log region of national accounts: no region's scope matches it.
const NATIONAL_ONLY: &str = "_national";

/// What part of the data a user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// National admins.
    All,
    /// Coordinators and trainers: one region.
    Region(String),
    /// Distributors: their own groups in their region.
    Distributor { region_id: String, user_id: String },
}

/// Where a group belongs; kept in memory by the hub for ingest validation and live fan-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMeta {
    pub region_id: String,
    pub distributor_id: String,
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// A user row with its password hash, for login only.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

impl Store {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: &Path) -> HubResult<Store> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    // ---- regions and users ----------------------------------------------------------------

    pub async fn upsert_region(&self, region: &Region) -> HubResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO regions (id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
        )
        .bind(&region.id)
        .bind(&region.name)
        .execute(&mut *tx)
        .await?;
        record_change(&mut tx, &Record::Region(region.clone()), Some(&region.id), None).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn region(&self, id: &str) -> HubResult<Option<Region>> {
        let row = sqlx::query("SELECT id, name FROM regions WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| Region { id: r.get("id"), name: r.get("name") }))
    }

    /// Inserts a user and its change-log entry (other users see names and roles, never secrets).
    pub async fn insert_user(&self, user: &User, password_hash: &str) -> HubResult<()> {
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "INSERT INTO users (id, username, display_name, role, region_id, password_hash, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(&user.region_id)
        .bind(password_hash)
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(HubError::Conflict(format!("username {:?} is taken", user.username)))
            }
            other => other?,
        };
        // A distributor's account is for the region's staff to see, not for other distributors.
        let distributor = (user.role == Role::Distributor).then_some(user.id.as_str());
        // National accounts (no region) are listed only to national admins: a NULL region would
        // show them, usernames included, to every region.
        let region = user.region_id.as_deref().unwrap_or(NATIONAL_ONLY);
        record_change(&mut tx, &Record::User(user.clone()), Some(region), distributor).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn credentials(&self, username: &str) -> HubResult<Option<Credentials>> {
        let row = sqlx::query(
            "SELECT id, username, display_name, role, region_id, password_hash FROM users WHERE username = ?",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(Credentials { password_hash: r.get("password_hash"), user: user_from_row(&r)? }))
            .transpose()
    }

    pub async fn user_count(&self) -> HubResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?)
    }

    // ---- tokens ----------------------------------------------------------------------------

    pub async fn insert_token(
        &self,
        token_hash: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> HubResult<()> {
        sqlx::query("INSERT INTO tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(ts(Utc::now()))
            .bind(ts(expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user a live (unexpired, unrevoked) token belongs to.
    pub async fn user_for_token(&self, token_hash: &str, now: DateTime<Utc>) -> HubResult<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.region_id FROM tokens t \
             JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    pub async fn revoke_token(&self, token_hash: &str) -> HubResult<()> {
        sqlx::query("UPDATE tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL")
            .bind(ts(Utc::now()))
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- groups ----------------------------------------------------------------------------

    /// Inserts or updates groups in one transaction, each with its change-log entry.
    pub async fn upsert_groups(&self, groups: &[Group]) -> HubResult<()> {
        let mut tx = self.pool.begin().await?;
        for g in groups {
            sqlx::query(
                "INSERT INTO wechat_groups (id, region_id, name, leader_name, ops_officer, atmosphere_officer, member_count, distributor_id) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET region_id = excluded.region_id, \
                 name = excluded.name, leader_name = excluded.leader_name, ops_officer = excluded.ops_officer, \
                 atmosphere_officer = excluded.atmosphere_officer, member_count = excluded.member_count, \
                 distributor_id = excluded.distributor_id",
            )
            .bind(&g.id)
            .bind(&g.region_id)
            .bind(&g.name)
            .bind(&g.leader_name)
            .bind(&g.ops_officer)
            .bind(&g.atmosphere_officer)
            .bind(g.member_count)
            .bind(&g.distributor_id)
            .execute(&mut *tx)
            .await?;
            record_change(&mut tx, &Record::Group(g.clone()), Some(&g.region_id), Some(&g.distributor_id))
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn group_directory(&self) -> HubResult<Vec<(String, GroupMeta)>> {
        let rows = sqlx::query("SELECT id, region_id, distributor_id FROM wechat_groups")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.get("id"),
                    GroupMeta { region_id: r.get("region_id"), distributor_id: r.get("distributor_id") },
                )
            })
            .collect())
    }

    // ---- sessions and stages ---------------------------------------------------------------

    pub async fn upsert_session(&self, session: &Session, stages: &[Stage]) -> HubResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (id, title, host, planned_start, actual_start, planned_end, status, target_orders, target_gmv_fen) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title, host = excluded.host, \
             planned_start = excluded.planned_start, actual_start = excluded.actual_start, planned_end = excluded.planned_end, \
             status = excluded.status, target_orders = excluded.target_orders, target_gmv_fen = excluded.target_gmv_fen",
        )
        .bind(&session.id)
        .bind(&session.title)
        .bind(&session.host)
        .bind(ts(session.planned_start))
        .bind(session.actual_start.map(ts))
        .bind(ts(session.planned_end))
        .bind(session_status_str(session.status))
        .bind(session.target_orders.map(|v| v as i64))
        .bind(session.target_gmv_fen.map(|v| v as i64))
        .execute(&mut *tx)
        .await?;
        record_change(&mut tx, &Record::Session(session.clone()), None, None).await?;
        for st in stages {
            sqlx::query(
                "INSERT INTO stages (id, session_id, seq, kind, title, offset_secs, duration_secs) VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, kind = excluded.kind, title = excluded.title, \
                 offset_secs = excluded.offset_secs, duration_secs = excluded.duration_secs",
            )
            .bind(&st.id)
            .bind(&session.id)
            .bind(st.seq)
            .bind(stage_kind_str(st.kind))
            .bind(&st.title)
            .bind(st.offset_secs)
            .bind(st.duration_secs)
            .execute(&mut *tx)
            .await?;
            record_change(&mut tx, &Record::Stage(st.clone()), None, None).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The session metrics are attributed to: the live one that started last.
    pub async fn live_session(&self) -> HubResult<Option<Session>> {
        let row = sqlx::query(
            "SELECT * FROM sessions WHERE status = 'live' ORDER BY COALESCE(actual_start, planned_start) DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| session_from_row(&r)).transpose()
    }

    // ---- metrics ---------------------------------------------------------------------------

    /// Stores a validated batch in one transaction: each status only moves forward in time,
    /// and the samples marked `history` are appended to the replay history. Rows go in
    /// multi-row statements, since per-statement overhead dominates SQLite ingest.
    pub async fn ingest(&self, statuses: &[(GroupStatus, bool)]) -> HubResult<()> {
        let mut tx = self.pool.begin().await?;
        for chunk in statuses.chunks(INGEST_CHUNK) {
            let sql = format!(
                "INSERT INTO group_status (session_id, group_id, at, watching, messages_per_min, orders, gmv_fen) \
                 VALUES {} ON CONFLICT(session_id, group_id) DO UPDATE SET at = excluded.at, \
                 watching = excluded.watching, messages_per_min = excluded.messages_per_min, orders = excluded.orders, \
                 gmv_fen = excluded.gmv_fen WHERE excluded.at >= group_status.at",
                placeholders(chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for (s, _) in chunk {
                q = bind_status(q, s);
            }
            q.execute(&mut *tx).await?;
        }
        let history: Vec<&GroupStatus> = statuses.iter().filter(|(_, h)| *h).map(|(s, _)| s).collect();
        for chunk in history.chunks(INGEST_CHUNK) {
            let sql = format!(
                "INSERT INTO metric_samples (session_id, group_id, at, watching, messages_per_min, orders, gmv_fen) VALUES {}",
                placeholders(chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = bind_status(q, s);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The latest statuses of a session that the scope may see.
    pub async fn statuses(&self, session_id: &str, scope: &Scope) -> HubResult<Vec<GroupStatus>> {
        let (filter, a, b) = scope_filter(scope, "g.region_id", "g.distributor_id");
        let sql = format!(
            "SELECT s.* FROM group_status s JOIN wechat_groups g ON g.id = s.group_id WHERE s.session_id = ? {filter} ORDER BY s.group_id"
        );
        let mut q = sqlx::query(&sql).bind(session_id);
        for v in [a, b].into_iter().flatten() {
            q = q.bind(v);
        }
        q.fetch_all(&self.pool).await?.iter().map(status_from_row).collect()
    }

    // ---- sync ------------------------------------------------------------------------------

    /// One page of the change log after `after`, as the scope may see it.
    /// `fresh`: the caller is paging through a sync that started from 0 (see the API's `fresh`).
    pub async fn changes(&self, after: i64, limit: u32, scope: &Scope, fresh: bool) -> HubResult<ChangePage> {
        let horizon = self.tombstone_horizon().await?;
        if !fresh && after > 0 && after < horizon {
            // Deletions this client has not seen were purged: it must start over from 0.
            return Err(HubError::Gone(format!(
                "cursor {after} is older than the purged history ({horizon}); sync again from 0"
            )));
        }
        // Read the high-water mark first and page only up to it: a change committed while this
        // page is read gets a higher seq and is fetched next time, never skipped.
        let high = self.max_seq().await?;
        let (filter, a, b) = scope_filter_nullable(scope);
        let sql = format!(
            "SELECT seq, kind, entity_id, record FROM change_log WHERE seq > ? AND seq <= ? {filter} ORDER BY seq LIMIT ?"
        );
        let mut q = sqlx::query(&sql).bind(after).bind(high);
        for v in [a, b].into_iter().flatten() {
            q = q.bind(v);
        }
        let rows = q.bind(limit as i64 + 1).fetch_all(&self.pool).await?;
        let more = rows.len() > limit as usize;
        let mut changes = Vec::with_capacity(rows.len().min(limit as usize));
        for r in rows.iter().take(limit as usize) {
            let record: Option<String> = r.get("record");
            let record = record
                .map(|json| serde_json::from_str::<Record>(&json))
                .transpose()
                .map_err(|e| HubError::Internal(format!("bad change record: {e}")))?;
            changes.push(Change { seq: r.get("seq"), kind: r.get("kind"), id: r.get("entity_id"), record });
        }
        // The cursor moves past everything this scope may not see too, so a client never re-reads it.
        let next_cursor = match (more, changes.last()) {
            (true, Some(last)) => last.seq,
            _ => high.max(after),
        };
        Ok(ChangePage { changes, next_cursor, more, server_time: Utc::now() })
    }

    /// Deletes tombstones older than `before` and raises the horizon below which cursors are
    /// refused; returns how many were purged.
    pub async fn purge_tombstones(&self, before: DateTime<Utc>) -> HubResult<u64> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let max: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM change_log WHERE record IS NULL AND at < ?")
                .bind(ts(before))
                .fetch_one(&mut *tx)
                .await?;
        let Some(max) = max else { return Ok(0) };
        let purged = sqlx::query("DELETE FROM change_log WHERE record IS NULL AND seq <= ?")
            .bind(max)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "INSERT INTO hub_meta (key, value) VALUES ('tombstone_horizon', ?) \
             ON CONFLICT(key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        )
        .bind(max.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(purged)
    }

    /// Cursors below this seq may have missed purged deletions.
    pub async fn tombstone_horizon(&self) -> HubResult<i64> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT value FROM hub_meta WHERE key = 'tombstone_horizon'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Deletes a group (its live status and history stay for replay) and leaves a tombstone.
    pub async fn delete_group(&self, id: &str) -> HubResult<Option<GroupMeta>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query("SELECT region_id, distributor_id FROM wechat_groups WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let meta = GroupMeta { region_id: row.get("region_id"), distributor_id: row.get("distributor_id") };
        sqlx::query("DELETE FROM group_status WHERE group_id = ?").bind(id).execute(&mut *tx).await?;
        // Notes written about the group still name it (for replay): refuse rather than fail.
        sqlx::query("DELETE FROM wechat_groups WHERE id = ?").bind(id).execute(&mut *tx).await.map_err(
            |e| match e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => HubError::Conflict(format!(
                    "group {id} is named by records kept for replay (notes); it cannot be deleted"
                )),
                e => e.into(),
            },
        )?;
        record_tombstone(&mut tx, "group", id, Some(&meta.region_id), Some(&meta.distributor_id)).await?;
        tx.commit().await?;
        Ok(Some(meta))
    }

    pub async fn max_seq(&self) -> HubResult<i64> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM change_log").fetch_one(&self.pool).await?;
        Ok(v.unwrap_or(0))
    }
}

/// Rows per multi-row INSERT (7 binds each, well under SQLite's 32,766 variable limit).
const INGEST_CHUNK: usize = 500;

/// `(?, ?, ?), (?, ?, ?)` for `rows` rows of `cols` columns.
pub fn placeholders(rows: usize, cols: usize) -> String {
    let row = format!("({})", vec!["?"; cols].join(", "));
    vec![row; rows].join(", ")
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

fn bind_status<'q>(q: Query<'q>, s: &'q GroupStatus) -> Query<'q> {
    q.bind(&s.session_id)
        .bind(&s.group_id)
        .bind(ts(s.at))
        .bind(s.watching)
        .bind(s.messages_per_min)
        .bind(s.orders)
        .bind(s.gmv_fen as i64)
}

/// Records that an entity was deleted, replacing its older entry.
pub(crate) async fn record_tombstone(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    kind: &str,
    id: &str,
    region_id: Option<&str>,
    distributor_id: Option<&str>,
) -> HubResult<()> {
    sqlx::query("DELETE FROM change_log WHERE kind = ? AND entity_id = ?")
        .bind(kind)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO change_log (kind, entity_id, region_id, distributor_id, record, at) VALUES (?, ?, ?, ?, NULL, ?)",
    )
    .bind(kind)
    .bind(id)
    .bind(region_id)
    .bind(distributor_id)
    .bind(ts(Utc::now()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends the newest state of an entity to the change log, replacing its older entry.
pub(crate) async fn record_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    record: &Record,
    region_id: Option<&str>,
    distributor_id: Option<&str>,
) -> HubResult<()> {
    sqlx::query("DELETE FROM change_log WHERE kind = ? AND entity_id = ?")
        .bind(record.kind())
        .bind(record.id())
        .execute(&mut **tx)
        .await?;
    let json = serde_json::to_string(record).map_err(|e| HubError::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO change_log (kind, entity_id, region_id, distributor_id, record, at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(record.kind())
    .bind(record.id())
    .bind(region_id)
    .bind(distributor_id)
    .bind(json)
    .bind(ts(Utc::now()))
    .execute(&mut **tx)
    .await?;
    Ok(())
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

/// Like [`scope_filter`] for the change log, where NULL means "everyone".
fn scope_filter_nullable(scope: &Scope) -> (String, Option<String>, Option<String>) {
    match scope {
        Scope::All => (String::new(), None, None),
        Scope::Region(r) => ("AND (region_id IS NULL OR region_id = ?)".into(), Some(r.clone()), None),
        // Notes about no group are the region staff's remarks; a distributor sees only notes
        // about their own groups (which carry the group's distributor).
        Scope::Distributor { region_id, user_id } => (
            "AND (region_id IS NULL OR region_id = ?) \
             AND ((distributor_id IS NULL AND kind <> 'note') OR distributor_id = ?)"
                .into(),
            Some(region_id.clone()),
            Some(user_id.clone()),
        ),
    }
}

fn user_from_row(r: &sqlx::sqlite::SqliteRow) -> HubResult<User> {
    let role: String = r.get("role");
    Ok(User {
        id: r.get("id"),
        username: r.get("username"),
        display_name: r.get("display_name"),
        role: Role::parse(&role).ok_or_else(|| HubError::Internal(format!("bad stored role {role:?}")))?,
        region_id: r.get("region_id"),
    })
}

pub(crate) fn session_from_row(r: &sqlx::sqlite::SqliteRow) -> HubResult<Session> {
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
        status: match status.as_str() {
            "scheduled" => SessionStatus::Scheduled,
            "live" => SessionStatus::Live,
            _ => SessionStatus::Ended,
        },
        target_orders: target_orders.map(|v| v as u64),
        target_gmv_fen: target_gmv.map(|v| v as u64),
    })
}

fn status_from_row(r: &sqlx::sqlite::SqliteRow) -> HubResult<GroupStatus> {
    let gmv: i64 = r.get("gmv_fen");
    Ok(GroupStatus {
        group_id: r.get("group_id"),
        session_id: r.get("session_id"),
        at: parse_ts(r.get("at"))?,
        watching: r.get::<i64, _>("watching") as u32,
        messages_per_min: r.get::<i64, _>("messages_per_min") as u32,
        orders: r.get::<i64, _>("orders") as u32,
        gmv_fen: gmv as u64,
    })
}

pub fn session_status_str(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Scheduled => "scheduled",
        SessionStatus::Live => "live",
        SessionStatus::Ended => "ended",
    }
}

pub fn stage_kind_str(k: StageKind) -> &'static str {
    match k {
        StageKind::WarmUp => "warm_up",
        StageKind::Opening => "opening",
        StageKind::Product => "product",
        StageKind::BenefitReveal => "benefit_reveal",
        StageKind::Closing => "closing",
        StageKind::ReplayPush => "replay_push",
    }
}
