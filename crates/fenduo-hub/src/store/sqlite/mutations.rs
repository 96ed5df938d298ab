//! Mutations applied at most once: the id, the outcome and the change itself in one
//! `BEGIN IMMEDIATE` transaction. The rules are not here: they come in as `decide`.

use chrono::Utc;
use fenduo_proto::{MutationOutcome, Note, Record};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::sync::record_change;
use super::{group_meta_from_row, session_from_row};
use crate::error::{HubError, HubResult};
use crate::store::{
    ts, Decide, MutationApplied, MutationDecision, MutationEffect, MutationFacts, MutationRequest,
};

pub(super) async fn apply_mutation(
    pool: &SqlitePool,
    request: &MutationRequest<'_>,
    decide: &Decide<'_>,
) -> HubResult<MutationApplied> {
    // IMMEDIATE: the write lock is held from the first read, so two deliveries of one id
    // cannot both find it missing.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let stored = sqlx::query("SELECT user_id, outcome FROM mutations WHERE id = ?")
        .bind(request.id)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(row) = stored {
        let outcome: MutationOutcome = serde_json::from_str(row.get("outcome"))
            .map_err(|e| HubError::Internal(format!("bad stored mutation outcome: {e}")))?;
        return Ok(MutationApplied::Stored { user_id: row.get("user_id"), outcome });
    }
    let facts = read_facts(&mut tx, request).await?;
    let outcome = match decide(&facts) {
        MutationDecision::Apply(effect) => {
            MutationOutcome::Applied { record: apply_effect(&mut tx, effect).await? }
        }
        MutationDecision::Refuse(error) => MutationOutcome::Refused { error },
    };
    let json = serde_json::to_string(&outcome).map_err(|e| HubError::Internal(e.to_string()))?;
    sqlx::query("INSERT INTO mutations (id, user_id, kind, outcome, applied_at) VALUES (?, ?, ?, ?, ?)")
        .bind(request.id)
        .bind(request.user_id)
        .bind(request.kind)
        .bind(json)
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(MutationApplied::Decided(outcome))
}

async fn read_facts(conn: &mut SqliteConnection, request: &MutationRequest<'_>) -> HubResult<MutationFacts> {
    let mut facts = MutationFacts::default();
    if let Some(id) = request.session_id {
        let row =
            sqlx::query("SELECT * FROM sessions WHERE id = ?").bind(id).fetch_optional(&mut *conn).await?;
        facts.session = row.map(|r| session_from_row(&r)).transpose()?;
    }
    if let Some(id) = request.group_id {
        let row = sqlx::query("SELECT region_id, distributor_id FROM wechat_groups WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        facts.group = row.map(|r| group_meta_from_row(&r));
    }
    Ok(facts)
}

/// Writes an accepted mutation's effect and its change-log entry; returns the stored record.
async fn apply_effect(conn: &mut SqliteConnection, effect: MutationEffect) -> HubResult<Record> {
    match effect {
        MutationEffect::AddNote(note) => {
            insert_note(conn, &note).await?;
            // A note about a group is also that group's distributor's (distributors see only
            // their own groups' records); a note about no group is for the region's staff.
            let distributor: Option<String> = match &note.group_id {
                Some(g) => {
                    sqlx::query_scalar("SELECT distributor_id FROM wechat_groups WHERE id = ?")
                        .bind(g)
                        .fetch_optional(&mut *conn)
                        .await?
                }
                None => None,
            };
            let region = note.region_id.clone();
            let record = Record::Note(note);
            record_change(conn, &record, Some(&region), distributor.as_deref()).await?;
            Ok(record)
        }
        MutationEffect::StartSession { session_id, started_at } => {
            sqlx::query("UPDATE sessions SET actual_start = ?, status = 'live' WHERE id = ?")
                .bind(ts(started_at))
                .bind(&session_id)
                .execute(&mut *conn)
                .await?;
            let row = sqlx::query("SELECT * FROM sessions WHERE id = ?")
                .bind(&session_id)
                .fetch_one(&mut *conn)
                .await?;
            let record = Record::Session(session_from_row(&row)?);
            record_change(conn, &record, None, None).await?;
            Ok(record)
        }
    }
}

async fn insert_note(conn: &mut SqliteConnection, note: &Note) -> HubResult<()> {
    sqlx::query(
        "INSERT INTO notes (id, session_id, region_id, at, group_id, text, author_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&note.id)
    .bind(&note.session_id)
    .bind(&note.region_id)
    .bind(ts(note.at))
    .bind(&note.group_id)
    .bind(&note.text)
    .bind(&note.author_id)
    .bind(ts(note.created_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
