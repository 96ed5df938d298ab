//! The change log: appending records and tombstones, paging it by scope, and purging old
//! tombstones behind a horizon.

use chrono::{DateTime, Utc};
use fenduo_proto::{Change, ChangePage, Record};
use sqlx::{Row, SqliteConnection, SqlitePool};

use crate::error::{HubError, HubResult};
use crate::store::{ts, Scope};

/// Appends the newest state of an entity to the change log, replacing its older entry.
pub(super) async fn record_change(
    conn: &mut SqliteConnection,
    record: &Record,
    region_id: Option<&str>,
    distributor_id: Option<&str>,
) -> HubResult<()> {
    let json = serde_json::to_string(record).map_err(|e| HubError::Internal(e.to_string()))?;
    append(conn, record.kind(), record.id(), region_id, distributor_id, Some(json)).await
}

/// Records that an entity was deleted, replacing its older entry.
pub(super) async fn record_tombstone(
    conn: &mut SqliteConnection,
    kind: &str,
    id: &str,
    region_id: Option<&str>,
    distributor_id: Option<&str>,
) -> HubResult<()> {
    append(conn, kind, id, region_id, distributor_id, None).await
}

async fn append(
    conn: &mut SqliteConnection,
    kind: &str,
    id: &str,
    region_id: Option<&str>,
    distributor_id: Option<&str>,
    record: Option<String>,
) -> HubResult<()> {
    sqlx::query("DELETE FROM change_log WHERE kind = ? AND entity_id = ?")
        .bind(kind)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO change_log (kind, entity_id, region_id, distributor_id, record, at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(kind)
    .bind(id)
    .bind(region_id)
    .bind(distributor_id)
    .bind(record)
    .bind(ts(Utc::now()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn changes(
    pool: &SqlitePool,
    after: i64,
    limit: u32,
    scope: &Scope,
    fresh: bool,
) -> HubResult<ChangePage> {
    let horizon = tombstone_horizon(pool).await?;
    if !fresh && after > 0 && after < horizon {
        // Deletions this client has not seen were purged: it must start over from 0.
        return Err(HubError::Gone(format!(
            "cursor {after} is older than the purged history ({horizon}); sync again from 0"
        )));
    }
    // Read the high-water mark first and page only up to it: a change committed while this
    // page is read gets a higher seq and is fetched next time, never skipped.
    let high = max_seq(pool).await?;
    if after > high {
        // A cursor the hub never issued: its database was restored from an older backup or
        // replaced. The client's copy may hold records the hub no longer has.
        return Err(HubError::Gone(format!(
            "cursor {after} is ahead of this hub's history ({high}); it was restored or replaced — sync again from 0"
        )));
    }
    let (filter, a, b) = scope_filter_nullable(scope);
    let sql = format!(
        "SELECT seq, kind, entity_id, record FROM change_log WHERE seq > ? AND seq <= ? {filter} ORDER BY seq LIMIT ?"
    );
    let mut q = sqlx::query(&sql).bind(after).bind(high);
    for v in [a, b].into_iter().flatten() {
        q = q.bind(v);
    }
    let rows = q.bind(limit as i64 + 1).fetch_all(pool).await?;
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

pub(super) async fn max_seq(pool: &SqlitePool) -> HubResult<i64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM change_log").fetch_one(pool).await?;
    Ok(v.unwrap_or(0))
}

pub(super) async fn tombstone_horizon(pool: &SqlitePool) -> HubResult<i64> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM hub_meta WHERE key = 'tombstone_horizon'")
        .fetch_optional(pool)
        .await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

pub(super) async fn purge_tombstones(pool: &SqlitePool, before: DateTime<Utc>) -> HubResult<u64> {
    const DUE: &str = "SELECT MAX(seq) FROM change_log WHERE record IS NULL AND at < ?";
    // Most runs (every start of the hub or of a CLI command) find nothing to purge: look first
    // without the write lock, so they never hold it, nor make another process wait, for nothing.
    let due: Option<i64> = sqlx::query_scalar(DUE).bind(ts(before)).fetch_one(pool).await?;
    if due.is_none() {
        return Ok(0);
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let max: Option<i64> = sqlx::query_scalar(DUE).bind(ts(before)).fetch_one(&mut *tx).await?;
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

/// Like [`super::scope_filter`] for the change log, where NULL means "everyone".
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
