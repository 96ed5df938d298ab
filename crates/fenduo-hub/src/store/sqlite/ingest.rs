//! Metric ingest and the latest group statuses.
//!
//! Rows go in multi-row statements, since per-statement overhead dominates SQLite ingest.

use fenduo_proto::GroupStatus;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite, SqlitePool};

use super::{placeholders, scope_filter};
use crate::error::HubResult;
use crate::store::{parse_ts, ts, Scope};

/// Rows per multi-row INSERT (7 binds each, well under SQLite's 32,766 variable limit).
const INGEST_CHUNK: usize = 500;

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

pub(super) async fn ingest(pool: &SqlitePool, statuses: &[(GroupStatus, bool)]) -> HubResult<()> {
    let mut tx = pool.begin().await?;
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
            "INSERT INTO metric_samples (session_id, group_id, at, watching, messages_per_min, orders, gmv_fen) VALUES {} \
             ON CONFLICT(session_id, group_id, at) DO NOTHING",
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

fn bind_status<'q>(q: Query<'q>, s: &'q GroupStatus) -> Query<'q> {
    q.bind(&s.session_id)
        .bind(&s.group_id)
        .bind(ts(s.at))
        .bind(s.watching)
        .bind(s.messages_per_min)
        .bind(s.orders)
        .bind(s.gmv_fen as i64)
}

pub(super) async fn statuses(
    pool: &SqlitePool,
    session_id: &str,
    scope: &Scope,
) -> HubResult<Vec<GroupStatus>> {
    let (filter, a, b) = scope_filter(scope, "g.region_id", "g.distributor_id");
    let sql = format!(
        "SELECT s.* FROM group_status s JOIN wechat_groups g ON g.id = s.group_id WHERE s.session_id = ? {filter} ORDER BY s.group_id"
    );
    let mut q = sqlx::query(&sql).bind(session_id);
    for v in [a, b].into_iter().flatten() {
        q = q.bind(v);
    }
    q.fetch_all(pool).await?.iter().map(status_from_row).collect()
}

fn status_from_row(r: &SqliteRow) -> HubResult<GroupStatus> {
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
