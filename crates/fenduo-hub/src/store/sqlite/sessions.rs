//! Sessions and their stages.

use fenduo_proto::{Record, Session, Stage};
use sqlx::SqlitePool;

use super::session_from_row;
use super::sync::record_change;
use crate::error::HubResult;
use crate::store::{session_status_str, stage_kind_str, ts};

pub(super) async fn upsert_session(pool: &SqlitePool, session: &Session, stages: &[Stage]) -> HubResult<()> {
    let mut tx = pool.begin().await?;
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

pub(super) async fn live_session(pool: &SqlitePool) -> HubResult<Option<Session>> {
    let row = sqlx::query(
        "SELECT * FROM sessions WHERE status = 'live' ORDER BY COALESCE(actual_start, planned_start) DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| session_from_row(&r)).transpose()
}

pub(super) async fn stage_seqs(pool: &SqlitePool, session_id: &str) -> HubResult<Option<Vec<u32>>> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM sessions WHERE id = ?")
        .bind(session_id)
        .fetch_optional(pool)
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM stages WHERE session_id = ? ORDER BY seq")
        .bind(session_id)
        .fetch_all(pool)
        .await?;
    Ok(Some(seqs.into_iter().map(|s| s as u32).collect()))
}
