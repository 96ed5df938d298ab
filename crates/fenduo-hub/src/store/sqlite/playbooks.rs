//! Playbook versions: immutable once stored (triggers refuse any change to a version or its
//! items), each its own change-log entity.

use std::collections::HashMap;

use chrono::Utc;
use fenduo_proto::{Asset, Playbook, PlaybookItem, PlaybookItemKind, Record};
use sqlx::{Row, SqlitePool};

use super::assets::insert_asset_tx;
use super::sync::record_change;
use crate::error::{HubError, HubResult};
use crate::store::{parse_ts, ts, NewPlaybook};

pub(super) async fn latest_playbook_version(pool: &SqlitePool, session_id: &str) -> HubResult<u32> {
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM playbooks WHERE session_id = ?")
        .bind(session_id)
        .fetch_one(pool)
        .await?;
    Ok(v.unwrap_or(0) as u32)
}

pub(super) async fn playbook(
    pool: &SqlitePool,
    session_id: &str,
    version: u32,
) -> HubResult<Option<Playbook>> {
    let id = Playbook::record_id(session_id, version);
    let Some(row) =
        sqlx::query("SELECT session_id, version, title, notes, published_at FROM playbooks WHERE id = ?")
            .bind(&id)
            .fetch_optional(pool)
            .await?
    else {
        return Ok(None);
    };
    let rows = sqlx::query(
        "SELECT i.id, i.stage_seq, i.kind, i.title, i.text, i.segment, i.product, \
         a.sha256, a.size, a.mime, a.name FROM playbook_items i \
         LEFT JOIN assets a ON a.sha256 = i.asset_sha256 WHERE i.playbook_id = ? ORDER BY i.position",
    )
    .bind(&id)
    .fetch_all(pool)
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            let kind: String = r.get("kind");
            let sha256: Option<String> = r.get("sha256");
            Ok(PlaybookItem {
                id: r.get("id"),
                stage_seq: r.get::<i64, _>("stage_seq") as u32,
                kind: PlaybookItemKind::parse(&kind)
                    .ok_or_else(|| HubError::Internal(format!("bad stored item kind {kind:?}")))?,
                title: r.get("title"),
                text: r.get("text"),
                asset: sha256.map(|sha256| Asset {
                    sha256,
                    size: r.get::<i64, _>("size") as u64,
                    mime: r.get("mime"),
                    name: r.get("name"),
                }),
                segment: r.get("segment"),
                product: r.get("product"),
            })
        })
        .collect::<HubResult<Vec<_>>>()?;
    Ok(Some(Playbook {
        id,
        session_id: row.get("session_id"),
        version: row.get::<i64, _>("version") as u32,
        title: row.get("title"),
        notes: row.get("notes"),
        published_at: parse_ts(row.get("published_at"))?,
        items,
    }))
}

pub(super) async fn publish_playbook(pool: &SqlitePool, new: &NewPlaybook) -> HubResult<Playbook> {
    let mut tx = pool.begin().await?;
    // Stored with millisecond precision: the returned version equals the one read back later.
    let published_at = parse_ts(&ts(Utc::now()))?;
    // The first statement writes, so the transaction takes SQLite's write lock before it
    // reads the previous version: two publications cannot both make the same version.
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO playbooks (id, session_id, version, title, notes, published_at) \
         SELECT ? || ':v' || v, ?, v, ?, ?, ? \
         FROM (SELECT COALESCE(MAX(version), 0) + 1 AS v FROM playbooks WHERE session_id = ?) \
         RETURNING version",
    )
    .bind(&new.session_id)
    .bind(&new.session_id)
    .bind(&new.title)
    .bind(&new.notes)
    .bind(ts(published_at))
    .bind(&new.session_id)
    .fetch_one(&mut *tx)
    .await?;
    let version = version as u32;
    let id = Playbook::record_id(&new.session_id, version);
    // An asset uploaded before keeps its first name; the playbook shows the stored row.
    let mut stored: HashMap<&str, Asset> = HashMap::new();
    for asset in new.items.iter().filter_map(|i| i.asset.as_ref()) {
        if !stored.contains_key(asset.sha256.as_str()) {
            let (row, _) = insert_asset_tx(&mut tx, asset).await?;
            stored.insert(&asset.sha256, row);
        }
    }
    let mut items = Vec::with_capacity(new.items.len());
    for (position, item) in new.items.iter().enumerate() {
        let asset = item.asset.as_ref().map(|a| stored[a.sha256.as_str()].clone());
        sqlx::query(
            "INSERT INTO playbook_items (playbook_id, position, id, stage_seq, kind, title, text, \
             asset_sha256, segment, product) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(position as i64)
        .bind(&item.id)
        .bind(item.stage_seq as i64)
        .bind(item.kind.as_str())
        .bind(&item.title)
        .bind(&item.text)
        .bind(asset.as_ref().map(|a| &a.sha256))
        .bind(&item.segment)
        .bind(&item.product)
        .execute(&mut *tx)
        .await?;
        items.push(PlaybookItem { asset, ..item.clone() });
    }
    let playbook = Playbook {
        id,
        session_id: new.session_id.clone(),
        version,
        title: new.title.clone(),
        notes: new.notes.clone(),
        published_at,
        items,
    };
    record_change(&mut tx, &Record::Playbook(playbook.clone()), None, None).await?;
    tx.commit().await?;
    Ok(playbook)
}
