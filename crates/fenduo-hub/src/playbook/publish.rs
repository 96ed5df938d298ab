//! Publishing a playbook: its files into the asset store, then a new immutable version and its
//! change-log entries in one transaction.
//!
//! Files are written before the transaction (a file cannot join it). If the transaction then
//! fails, the files stay without rows: invisible, and reused by the next publication.

use std::collections::HashMap;

use chrono::Utc;
use fenduo_proto::{Asset, Playbook, PlaybookItem, PlaybookItemKind, Record};
use sqlx::Row;

use super::{MediaSource, PlaybookDraft, PlaybookError, Problem, MANIFEST};
use crate::assets::{insert_asset_tx, WriteError};
use crate::error::{HubError, HubResult};
use crate::store::{parse_ts, record_change, ts, Store};
use crate::Hub;

impl Hub {
    /// Publishes `draft` as the next version of the session's playbook (1 for the first).
    /// Stage numbers are checked against the session here; nothing is stored when any is wrong.
    pub async fn publish_playbook(
        &self,
        session_id: &str,
        draft: &PlaybookDraft,
    ) -> Result<Playbook, PlaybookError> {
        let store = &self.state.store;
        let mut problems = Vec::new();
        if draft.session_id != session_id {
            problems.push(Problem::at(
                MANIFEST,
                draft.session_line,
                format!("this playbook is for session {:?}, not {session_id:?}", draft.session_id),
            ));
        }
        let seqs = store
            .stage_seqs(session_id)
            .await?
            .ok_or_else(|| HubError::NotFound(format!("session {session_id:?}")))?;
        for item in &draft.items {
            if !seqs.contains(&item.stage_seq) {
                let known = match (seqs.first(), seqs.last()) {
                    (Some(a), Some(b)) => format!("its stages are {a}–{b}"),
                    _ => "it has no stages yet".into(),
                };
                problems.push(Problem::at(
                    MANIFEST,
                    item.stage_line,
                    format!("stage {} is not a stage of session {session_id} ({known})", item.stage_seq),
                ));
            }
        }
        let limit = self.state.config.max_asset_bytes;
        for m in draft.items.iter().filter_map(|i| i.media.as_ref()) {
            if m.size > limit {
                problems.push(Problem::at(
                    MANIFEST,
                    m.line,
                    format!("{} is {} bytes; this hub takes assets of at most {limit} bytes", m.file, m.size),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(PlaybookError::Invalid(problems));
        }

        let mut assets: HashMap<String, Asset> = HashMap::new();
        for m in draft.items.iter().filter_map(|i| i.media.as_ref()) {
            if assets.contains_key(&m.sha256) {
                continue;
            }
            let written = match &m.source {
                MediaSource::File(path) => self.state.assets.copy_file(path, Some(&m.sha256)).await,
                MediaSource::Embedded(bytes) => self.state.assets.write_bytes(bytes, Some(&m.sha256)).await,
            };
            match written {
                Ok(_) => {}
                Err(WriteError::Mismatch { .. }) => {
                    return Err(PlaybookError::Invalid(vec![Problem::at(
                        MANIFEST,
                        m.line,
                        format!("{} changed while it was being published; publish again", m.file),
                    )]))
                }
                Err(e) => return Err(HubError::from(e).into()),
            }
            let asset = Asset {
                sha256: m.sha256.clone(),
                size: m.size,
                mime: m.mime.to_string(),
                name: m.file.clone(),
            };
            assets.insert(m.sha256.clone(), asset);
        }
        let playbook = store.insert_playbook(session_id, draft, &assets).await?;
        self.state.announce_change().await?;
        Ok(playbook)
    }
}

impl Store {
    /// The stage numbers of a session, in order; `None` when there is no such session.
    pub async fn stage_seqs(&self, session_id: &str) -> HubResult<Option<Vec<u32>>> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM sessions WHERE id = ?")
            .bind(session_id)
            .fetch_optional(self.pool())
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM stages WHERE session_id = ? ORDER BY seq")
            .bind(session_id)
            .fetch_all(self.pool())
            .await?;
        Ok(Some(seqs.into_iter().map(|s| s as u32).collect()))
    }

    /// The session's newest playbook version, 0 when it has none.
    pub async fn latest_playbook_version(&self, session_id: &str) -> HubResult<u32> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM playbooks WHERE session_id = ?")
            .bind(session_id)
            .fetch_one(self.pool())
            .await?;
        Ok(v.unwrap_or(0) as u32)
    }

    pub async fn playbook(&self, session_id: &str, version: u32) -> HubResult<Option<Playbook>> {
        let id = Playbook::record_id(session_id, version);
        let Some(row) =
            sqlx::query("SELECT session_id, version, title, notes, published_at FROM playbooks WHERE id = ?")
                .bind(&id)
                .fetch_optional(self.pool())
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
        .fetch_all(self.pool())
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

    /// Stores the next version with its items, the rows of its (already stored) files, and the
    /// change-log entries, in one transaction.
    async fn insert_playbook(
        &self,
        session_id: &str,
        draft: &PlaybookDraft,
        files: &HashMap<String, Asset>,
    ) -> HubResult<Playbook> {
        let mut tx = self.pool().begin().await?;
        let published_at = parse_ts(&ts(Utc::now()))?;
        // The first statement writes, so the transaction takes SQLite's write lock before it
        // reads the previous version: two publications cannot both make the same version.
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO playbooks (id, session_id, version, title, notes, published_at) \
             SELECT ? || ':v' || v, ?, v, ?, ?, ? \
             FROM (SELECT COALESCE(MAX(version), 0) + 1 AS v FROM playbooks WHERE session_id = ?) \
             RETURNING version",
        )
        .bind(session_id)
        .bind(session_id)
        .bind(&draft.title)
        .bind(&draft.notes)
        .bind(ts(published_at))
        .bind(session_id)
        .fetch_one(&mut *tx)
        .await?;
        let version = version as u32;
        let id = Playbook::record_id(session_id, version);
        let mut stored: HashMap<&str, Asset> = HashMap::new();
        for (sha256, asset) in files {
            // An asset uploaded before keeps its first name; the playbook shows the stored row.
            let (row, _) = insert_asset_tx(&mut tx, asset).await?;
            stored.insert(sha256.as_str(), row);
        }
        let mut items = Vec::with_capacity(draft.items.len());
        for (position, item) in draft.items.iter().enumerate() {
            let asset = item.media.as_ref().map(|m| stored[m.sha256.as_str()].clone());
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
            items.push(PlaybookItem {
                id: item.id.clone(),
                stage_seq: item.stage_seq,
                kind: item.kind,
                title: item.title.clone(),
                text: item.text.clone(),
                asset,
                segment: item.segment.clone(),
                product: item.product.clone(),
            });
        }
        let playbook = Playbook {
            id,
            session_id: session_id.to_string(),
            version,
            title: draft.title.clone(),
            notes: draft.notes.clone(),
            published_at,
            items,
        };
        record_change(&mut tx, &Record::Playbook(playbook.clone()), None, None).await?;
        tx.commit().await?;
        Ok(playbook)
    }
}
