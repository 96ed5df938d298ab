//! Roster import: a parsed roster (see [`crate::roster`]) becomes the region's groups.
//!
//! Rows that can be imported are written in one transaction together with any distributor
//! accounts they need; rows that cannot are reported with their Excel row number and reason.
//! Importing the same file again changes nothing and says so (every row "unchanged").

use std::collections::{HashMap, HashSet};

use fenduo_proto::{Group, Role, User};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use crate::auth::NO_PASSWORD;
use crate::roster::{parse_roster, RosterRow, RowError, SkippedRow};
use crate::{AppState, Hub, HubError, HubResult};

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Create a distributor account for a distributor the region does not have yet.
    pub create_distributors: bool,
    /// Check and report, write nothing.
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ImportedGroup {
    pub line: usize,
    pub group_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ImportReport {
    pub file: String,
    pub region_id: String,
    pub encoding: &'static str,
    pub sheet: Option<String>,
    pub created: Vec<ImportedGroup>,
    pub updated: Vec<ImportedGroup>,
    pub unchanged: usize,
    pub refused: Vec<RowError>,
    pub skipped: Vec<SkippedRow>,
    /// Names of the distributor accounts created (they have no password yet).
    pub created_distributors: Vec<String>,
    pub dry_run: bool,
}

impl ImportReport {
    /// A short summary in Chinese and English, for the CLI and logs.
    pub fn summary(&self) -> String {
        format!(
            "新增 {} 个群，更新 {} 个，未变 {} 个，拒绝 {} 行，跳过 {} 行 / created {}, updated {}, unchanged {}, refused {} rows, skipped {} rows{}",
            self.created.len(),
            self.updated.len(),
            self.unchanged,
            self.refused_rows(),
            self.skipped.len(),
            self.created.len(),
            self.updated.len(),
            self.unchanged,
            self.refused_rows(),
            self.skipped.len(),
            if self.dry_run { " (dry run: nothing written / 试运行，未写入)" } else { "" }
        )
    }

    pub fn refused_rows(&self) -> usize {
        self.refused.iter().map(|e| e.line).collect::<HashSet<_>>().len()
    }
}

/// A stable id for a distributor created by import, from its name.
fn distributor_id(region_id: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{region_id}\u{0}{name}").as_bytes());
    format!("dist-{}", &hex::encode(digest)[..12])
}

impl Hub {
    pub async fn import_roster(
        &self,
        region_id: &str,
        file_name: &str,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> HubResult<ImportReport> {
        import_roster(&self.state, region_id, file_name, bytes, options).await
    }
}

pub async fn import_roster(
    state: &AppState,
    region_id: &str,
    file_name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> HubResult<ImportReport> {
    // Parsing a large workbook takes seconds of CPU: keep it off the async workers.
    let (name, owned) = (file_name.to_string(), bytes.to_vec());
    let parsed = tokio::task::spawn_blocking(move || parse_roster(&name, &owned))
        .await
        .map_err(|e| HubError::Internal(format!("roster parsing failed: {e}")))?;
    let parsed = parsed.map_err(|e| HubError::Invalid {
        code: "invalid_roster",
        message: format!("{file_name}: {e} / {}", e.message_zh()),
        field: Some("file".into()),
    })?;
    let region = state
        .store
        .region(region_id)
        .await?
        .ok_or_else(|| HubError::NotFound(format!("region {region_id:?}")))?;

    // Distributors of the region, found by display name or username as written in Excel.
    let mut distributors: HashMap<String, (String, String)> = HashMap::new();
    for d in state.store.region_distributors(&region.id).await? {
        distributors.insert(d.username, (d.id.clone(), d.display_name.clone()));
        distributors.insert(d.display_name.clone(), (d.id, d.display_name));
    }

    let ids: Vec<&str> = parsed.rows.iter().map(|r| r.group_id.as_str()).collect();
    let existing: HashMap<String, Group> =
        state.store.groups_by_id(&ids).await?.into_iter().map(|g| (g.id.clone(), g)).collect();

    let mut report = ImportReport {
        file: file_name.to_string(),
        region_id: region.id.clone(),
        encoding: parsed.encoding,
        sheet: parsed.sheet.clone(),
        created: Vec::new(),
        updated: Vec::new(),
        unchanged: 0,
        refused: parsed.refused.clone(),
        skipped: parsed.skipped.clone(),
        created_distributors: Vec::new(),
        dry_run: options.dry_run,
    };
    let mut new_users: Vec<User> = Vec::new();
    let mut writes: Vec<Group> = Vec::new();
    for row in &parsed.rows {
        let distributor = match distributors.get(row.distributor.trim()) {
            Some(d) => d.clone(),
            None if options.create_distributors => {
                let name = row.distributor.trim().to_string();
                let id = distributor_id(&region.id, &name);
                new_users.push(User {
                    id: id.clone(),
                    username: id.clone(),
                    display_name: name.clone(),
                    role: Role::Distributor,
                    region_id: Some(region.id.clone()),
                });
                report.created_distributors.push(name.clone());
                distributors.insert(name.clone(), (id.clone(), name.clone()));
                (id, name)
            }
            None => {
                report.refused.push(refuse_unknown_distributor(row, &region.name));
                continue;
            }
        };
        let group = Group {
            id: row.group_id.clone(),
            region_id: region.id.clone(),
            name: row.group_name.clone(),
            leader_name: row.leader_name.clone(),
            ops_officer: row.ops_officer.clone(),
            atmosphere_officer: row.atmosphere_officer.clone(),
            member_count: row.member_count,
            distributor_id: distributor.0,
            distributor_name: distributor.1,
        };
        let entry = ImportedGroup { line: row.line, group_id: group.id.clone(), name: group.name.clone() };
        match existing.get(&group.id) {
            Some(old) if old.region_id != region.id => {
                report.refused.push(RowError {
                    line: row.line,
                    column: None,
                    reason: format!(
                        "group {} belongs to region {:?}; move it there or correct the id",
                        group.id, old.region_id
                    ),
                    reason_zh: format!("群 {} 属于其他大区（{}），请核对群ID", group.id, old.region_id),
                });
            }
            Some(old) if *old == group => report.unchanged += 1,
            Some(_) => {
                report.updated.push(entry);
                writes.push(group);
            }
            None => {
                report.created.push(entry);
                writes.push(group);
            }
        }
    }
    report.refused.sort_by_key(|e| e.line);

    if options.dry_run || (writes.is_empty() && new_users.is_empty()) {
        return Ok(report);
    }
    state.store.import_roster(&new_users, &writes).await?;
    state.remember_groups(&writes);
    state.announce_change().await?;
    Ok(report)
}

fn refuse_unknown_distributor(row: &RosterRow, region: &str) -> RowError {
    RowError {
        line: row.line,
        column: Some("经销商".into()),
        reason: format!(
            "distributor {:?} has no account in region {region}; create it first (fenduo-hub create-user --role distributor) or import with --create-distributors",
            row.distributor
        ),
        reason_zh: format!(
            "经销商“{}”在{region}还没有账号：请先创建该经销商账号，或导入时选择自动创建经销商",
            row.distributor
        ),
    }
}
