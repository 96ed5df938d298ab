//! The outbox: every change a user makes becomes a mutation with a UUIDv7 made once, when the
//! user acts, and stays in the local store until the hub has answered for it. Retries reuse the
//! id, so the hub applies it at most once; the outbox survives restarts and is sent in order.
//!
//! Each entry belongs to the login that queued it ([`Owner`]: hub address and user id) and is
//! only ever sent as that user: after a logout the entries wait until their owner logs in again
//! on this command post.

use chrono::{DateTime, Utc};
use fenduo_proto::{ApiError, Mutation, MutationOp, MutationOutcome, MutationResult};
use serde::{Deserialize, Serialize};
use sqlx::{Row, SqlitePool};

use crate::error::EngineResult;

/// Mutations sent in one request.
pub const BATCH: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    Pending,
    Applied,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub seq: i64,
    pub mutation: Mutation,
    pub created_at: DateTime<Utc>,
    pub state: EntryState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub outcome: Option<MutationOutcome>,
}

/// The login an entry is sent as: the hub address as stored in the login and the user's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner<'a> {
    pub hub_url: &'a str,
    pub user_id: &'a str,
}

#[derive(Clone)]
pub struct Outbox {
    pool: SqlitePool,
}

impl Outbox {
    pub fn new(pool: SqlitePool) -> Outbox {
        Outbox { pool }
    }

    /// Records a user's change, to be sent as `owner`; the id is made here, once.
    pub async fn push(&self, owner: Owner<'_>, op: MutationOp) -> EngineResult<OutboxEntry> {
        let mutation = Mutation { id: uuid::Uuid::now_v7().to_string(), op };
        let now = Utc::now();
        let seq = sqlx::query(
            "INSERT INTO outbox (id, mutation, created_at, hub_url, user_id) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&mutation.id)
        .bind(serde_json::to_string(&mutation).expect("mutations serialise"))
        .bind(now.to_rfc3339())
        .bind(owner.hub_url)
        .bind(owner.user_id)
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        Ok(OutboxEntry {
            seq,
            mutation,
            created_at: now,
            state: EntryState::Pending,
            attempts: 0,
            last_error: None,
            outcome: None,
        })
    }

    /// `owner`'s oldest unsent mutations, in the order they were made. Other users' entries are
    /// not sent with this login.
    pub async fn pending(&self, owner: Owner<'_>, limit: i64) -> EngineResult<Vec<OutboxEntry>> {
        let q = sqlx::query(
            "SELECT seq, mutation, created_at, state, attempts, last_error, outcome FROM outbox \
             WHERE state = 'pending' AND hub_url = ? AND user_id = ? ORDER BY seq LIMIT ?",
        )
        .bind(owner.hub_url)
        .bind(owner.user_id)
        .bind(limit);
        Self::entries(q.fetch_all(&self.pool).await?)
    }

    /// How many of `owner`'s mutations wait to be sent.
    pub async fn pending_count(&self, owner: Owner<'_>) -> EngineResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND hub_url = ? AND user_id = ?",
        )
        .bind(owner.hub_url)
        .bind(owner.user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n as u32)
    }

    /// Everything, newest first (for the UI's "waiting to send" list and history).
    pub async fn recent(&self, limit: i64) -> EngineResult<Vec<OutboxEntry>> {
        let q = sqlx::query(
            "SELECT seq, mutation, created_at, state, attempts, last_error, outcome FROM outbox \
             ORDER BY seq DESC LIMIT ?",
        )
        .bind(limit);
        Self::entries(q.fetch_all(&self.pool).await?)
    }

    fn entries(rows: Vec<sqlx::sqlite::SqliteRow>) -> EngineResult<Vec<OutboxEntry>> {
        Ok(rows
            .iter()
            .filter_map(|r| {
                let state = match r.get::<&str, _>("state") {
                    "applied" => EntryState::Applied,
                    "refused" => EntryState::Refused,
                    _ => EntryState::Pending,
                };
                Some(OutboxEntry {
                    seq: r.get("seq"),
                    mutation: serde_json::from_str(r.get("mutation")).ok()?,
                    created_at: DateTime::parse_from_rfc3339(r.get("created_at")).ok()?.with_timezone(&Utc),
                    state,
                    attempts: r.get("attempts"),
                    last_error: r.get("last_error"),
                    outcome: r.get::<Option<&str>, _>("outcome").and_then(|o| serde_json::from_str(o).ok()),
                })
            })
            .collect())
    }

    /// The hub refused `id` for good without answering for it in a result (a whole-request 4xx such
    /// as 413 when the entry was sent alone): it leaves the queue as refused, with that reason.
    pub async fn refuse(&self, id: &str, error: &ApiError) -> EngineResult<()> {
        let outcome = MutationOutcome::Refused { error: error.clone() };
        sqlx::query(
            "UPDATE outbox SET state = 'refused', outcome = ?, last_error = ?, done_at = ?, \
             attempts = attempts + 1 WHERE id = ? AND state = 'pending'",
        )
        .bind(serde_json::to_string(&outcome).expect("outcomes serialise"))
        .bind(&error.message)
        .bind(Utc::now().to_rfc3339())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Notes a failed attempt (the network, the hub); the entries stay pending.
    pub async fn attempt_failed(&self, ids: &[String], error: &str) -> EngineResult<()> {
        let mut tx = self.pool.begin().await?;
        for id in ids {
            sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?")
                .bind(error)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores the hub's answers and the records it applied, in one transaction: an entry leaves
    /// the pending list exactly when its effect is in the local copy.
    pub async fn complete(&self, results: &[MutationResult]) -> EngineResult<()> {
        let mut tx = self.pool.begin().await?;
        let now = Utc::now().to_rfc3339();
        for r in results {
            let (state, record) = match &r.outcome {
                MutationOutcome::Applied { record } => ("applied", Some(record)),
                MutationOutcome::Refused { .. } => ("refused", None),
            };
            sqlx::query(
                "UPDATE outbox SET state = ?, outcome = ?, done_at = ?, attempts = attempts + 1 \
                 WHERE id = ? AND state = 'pending'",
            )
            .bind(state)
            .bind(serde_json::to_string(&r.outcome).expect("outcomes serialise"))
            .bind(&now)
            .bind(&r.id)
            .execute(&mut *tx)
            .await?;
            if let Some(record) = record {
                sqlx::query(
                    "INSERT INTO records (kind, id, body) VALUES (?, ?, ?) \
                     ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body",
                )
                .bind(record.kind())
                .bind(record.id())
                .bind(serde_json::to_string(record).expect("records serialise"))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
