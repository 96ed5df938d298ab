//! Publishing a playbook: its files into the asset store, then a new immutable version and its
//! change-log entries in one transaction.
//!
//! Files are written before the transaction (a file cannot join it). If the transaction then
//! fails, the files stay without rows: invisible, and reused by the next publication.

use std::collections::HashSet;

use fenduo_proto::{Asset, Playbook, PlaybookItem};

use super::{MediaSource, PlaybookDraft, PlaybookError, Problem, MANIFEST};
use crate::assets::WriteError;
use crate::error::HubError;
use crate::store::NewPlaybook;
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

        let mut written: HashSet<&str> = HashSet::new();
        for m in draft.items.iter().filter_map(|i| i.media.as_ref()) {
            if !written.insert(&m.sha256) {
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
        }
        let new = NewPlaybook {
            session_id: session_id.to_string(),
            title: draft.title.clone(),
            notes: draft.notes.clone(),
            items: draft
                .items
                .iter()
                .map(|item| PlaybookItem {
                    id: item.id.clone(),
                    stage_seq: item.stage_seq,
                    kind: item.kind,
                    title: item.title.clone(),
                    text: item.text.clone(),
                    asset: item.media.as_ref().map(|m| Asset {
                        sha256: m.sha256.clone(),
                        size: m.size,
                        mime: m.mime.to_string(),
                        name: m.file.clone(),
                    }),
                    segment: item.segment.clone(),
                    product: item.product.clone(),
                })
                .collect(),
        };
        let playbook = store.publish_playbook(&new).await?;
        self.state.announce_change().await?;
        Ok(playbook)
    }
}
