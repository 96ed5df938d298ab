//! Wire and domain types shared by every part of Fenduo.
//!
//! The hub serves these as JSON under `/api/v1`, the client engine stores them, and the UI receives
//! them over Tauri IPC. TypeScript declarations are generated from these definitions with ts-rs
//! (`cargo test -p fenduo-proto` writes them to `ui/src/lib/bindings/`), so the Rust and TypeScript
//! sides cannot drift: CI fails when the committed bindings differ from the generated ones.
//! With the `openapi` feature (enabled by the hub) the wire types also derive `utoipa::ToSchema`,
//! so the hub's OpenAPI document (`/api/v1/openapi.json`) describes these same definitions.
//!
//! Conventions: ids are strings (UUIDs or imported ids such as 19-digit WeChat group ids, which do
//! not fit a JavaScript number); times are UTC (`DateTime<Utc>`, RFC 3339 on the wire); money is
//! integer fen (1/100 yuan) so sums are exact.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub mod ipc;

/// What a user may do; enforced by the hub on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    Admin,
    Coordinator,
    Distributor,
    Trainer,
    Leader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Distributor => "distributor",
            Role::Trainer => "trainer",
            Role::Leader => "leader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "coordinator" => Role::Coordinator,
            "distributor" => Role::Distributor,
            "trainer" => Role::Trainer,
            "leader" => Role::Leader,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Region {
    pub id: String,
    pub name: String,
}

/// A user as other users see it: never carries secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// `None` only for national admins.
    pub region_id: Option<String>,
}

/// One small WeChat group (群) of 40–100 members and its three roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Group {
    pub id: String,
    pub region_id: String,
    pub name: String,
    pub leader_name: String,
    pub ops_officer: String,
    pub atmosphere_officer: String,
    pub member_count: u32,
    /// The user id of the distributor who owns this group.
    pub distributor_id: String,
    pub distributor_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SessionStatus {
    Scheduled,
    Live,
    Ended,
}

/// One weekly live stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Session {
    pub id: String,
    pub title: String,
    pub host: String,
    pub planned_start: DateTime<Utc>,
    /// Set when the stream really started; stage times follow it.
    pub actual_start: Option<DateTime<Utc>>,
    pub planned_end: DateTime<Utc>,
    pub status: SessionStatus,
    /// The region's targets for this session, used for the wall's progress figures.
    #[ts(type = "number | null")]
    pub target_orders: Option<u64>,
    #[ts(type = "number | null")]
    pub target_gmv_fen: Option<u64>,
}

impl Session {
    /// Stage times are offsets from this instant.
    pub fn effective_start(&self) -> DateTime<Utc> {
        self.actual_start.unwrap_or(self.planned_start)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StageKind {
    WarmUp,
    Opening,
    Product,
    BenefitReveal,
    Closing,
    ReplayPush,
}

/// A timed part of a session, planned as an offset from the session's start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Stage {
    pub id: String,
    pub session_id: String,
    pub seq: u32,
    pub kind: StageKind,
    pub title: String,
    /// Seconds from the session's effective start (negative for warm-up before the stream).
    #[ts(type = "number")]
    pub offset_secs: i64,
    pub duration_secs: u32,
}

/// One reading of one group's live figures, as sent by the live platform or the simulator.
///
/// Counts are signed on the wire so that a negative value is refused with an error that names the
/// field instead of a generic parse failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct MetricSample {
    pub group_id: String,
    pub at: DateTime<Utc>,
    /// Members watching the stream now.
    #[ts(type = "number")]
    pub watching: i64,
    /// Chat messages in the group during the last minute.
    #[ts(type = "number")]
    pub messages_per_min: i64,
    /// Orders placed by the group's members in this session so far (cumulative).
    #[ts(type = "number")]
    pub orders: i64,
    /// Sales in fen in this session so far (cumulative).
    #[ts(type = "number")]
    pub gmv_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct MetricBatch {
    pub samples: Vec<MetricSample>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct IngestReport {
    pub accepted: u32,
}

/// The latest known figures of a group in the current session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct GroupStatus {
    pub group_id: String,
    pub session_id: String,
    /// When the figures were measured (not when they arrived).
    pub at: DateTime<Utc>,
    pub watching: u32,
    pub messages_per_min: u32,
    pub orders: u32,
    #[ts(type = "number")]
    pub gmv_fen: u64,
}

/// Hub → app messages on the live WebSocket (`/api/v1/live`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum LiveMessage {
    /// Every status the client may see; replaces what it had.
    Snapshot { server_time: DateTime<Utc>, statuses: Vec<GroupStatus> },
    /// Statuses that changed since the previous message.
    Delta { server_time: DateTime<Utc>, statuses: Vec<GroupStatus> },
    /// Schedule data changed: the client should sync.
    Changed { server_time: DateTime<Utc>, seq: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    pub region: Option<Region>,
}

/// `GET /api/v1/me`: who the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Me {
    pub user: User,
    pub region: Option<Region>,
    pub server_time: DateTime<Utc>,
}

/// `GET /api/v1/status`: the latest statuses of the live session that the caller may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct StatusSnapshot {
    pub session_id: Option<String>,
    pub statuses: Vec<GroupStatus>,
    pub server_time: DateTime<Utc>,
}

/// A content-addressed file (clip, image) held by the hub: fetched from
/// `/api/v1/assets/{sha256}` with HTTP Range, and verified against its SHA-256 before use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Asset {
    /// Lowercase hex SHA-256 of the content; also its id.
    pub sha256: String,
    #[ts(type = "number")]
    pub size: u64,
    /// The media type it is served with, e.g. `video/mp4`.
    pub mime: String,
    /// The file name it was first uploaded or published under (for saving it; not unique).
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PlaybookItemKind {
    /// What a group leader posts in the group at this stage (Markdown).
    Script,
    /// A short video for leaders to post.
    Clip,
    /// A poster or card for leaders to post.
    Image,
    /// An invitation script for one customer segment (Markdown).
    Invitation,
    /// A to-do list for the command post or the leaders (Markdown).
    Checklist,
    /// A product briefing: selling points and benefit mechanics (Markdown).
    Briefing,
}

impl PlaybookItemKind {
    pub const ALL: [PlaybookItemKind; 6] = [
        PlaybookItemKind::Script,
        PlaybookItemKind::Clip,
        PlaybookItemKind::Image,
        PlaybookItemKind::Invitation,
        PlaybookItemKind::Checklist,
        PlaybookItemKind::Briefing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlaybookItemKind::Script => "script",
            PlaybookItemKind::Clip => "clip",
            PlaybookItemKind::Image => "image",
            PlaybookItemKind::Invitation => "invitation",
            PlaybookItemKind::Checklist => "checklist",
            PlaybookItemKind::Briefing => "briefing",
        }
    }

    pub fn parse(s: &str) -> Option<PlaybookItemKind> {
        PlaybookItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Clips and images carry an asset; every other kind carries Markdown text.
    pub fn is_media(self) -> bool {
        matches!(self, PlaybookItemKind::Clip | PlaybookItemKind::Image)
    }
}

/// One piece of playbook content, attached to a stage of the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct PlaybookItem {
    /// Unique within its playbook version, stable across versions (e.g. `warmup-script`).
    pub id: String,
    /// The `seq` of the stage it belongs to.
    pub stage_seq: u32,
    pub kind: PlaybookItemKind,
    pub title: String,
    /// Markdown for scripts, invitations, checklists and briefings; an optional caption for media.
    pub text: Option<String>,
    /// The clip or image, for media kinds.
    pub asset: Option<Asset>,
    /// The customer segment an invitation is written for, e.g. 新客, 老客, 沉睡客.
    pub segment: Option<String>,
    /// The product a briefing is about.
    pub product: Option<String>,
}

/// One published version of a session's playbook (群运营手册). Versions are immutable:
/// publishing again makes a new version, and clients show the highest one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Playbook {
    /// `<session_id>:v<version>`.
    pub id: String,
    pub session_id: String,
    /// 1 for the first publication of the session's playbook, then +1 each time.
    pub version: u32,
    pub title: String,
    pub notes: String,
    pub published_at: DateTime<Utc>,
    /// In manifest order.
    pub items: Vec<PlaybookItem>,
}

impl Playbook {
    pub fn record_id(session_id: &str, version: u32) -> String {
        format!("{session_id}:v{version}")
    }
}

/// A trainer's (or coordinator's) remark at a moment of a session, kept for replay review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Note {
    /// The mutation id that created it (UUIDv7).
    pub id: String,
    pub session_id: String,
    /// The moment of the session the note is about.
    pub at: DateTime<Utc>,
    /// The group it is about, if any.
    pub group_id: Option<String>,
    pub text: String,
    pub author_id: String,
    pub author_name: String,
    pub region_id: String,
    pub created_at: DateTime<Utc>,
}

/// What a mutation does. New kinds are added here; the hub applies each id at most once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
#[ts(export)]
pub enum MutationOp {
    /// Add a note to a session (trainers, coordinators).
    AddNote { session_id: String, at: DateTime<Utc>, group_id: Option<String>, text: String },
    /// Mark the stream as really started; every stage time follows it (admins, coordinators).
    StartSession { session_id: String, started_at: DateTime<Utc> },
}

/// A change made on a command post, sent up with an id made once when the user acted
/// (UUIDv7), so a retry after a lost answer neither duplicates nor loses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Mutation {
    pub id: String,
    #[serde(flatten)]
    pub op: MutationOp,
}

/// `POST /api/v1/mutations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct MutationBatch {
    pub mutations: Vec<Mutation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum MutationOutcome {
    /// Applied; `record` is what was stored.
    Applied { record: Record },
    /// Refused for good (a retry gets the same answer): permission, validation, unknown target.
    Refused { error: ApiError },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct MutationResult {
    pub id: String,
    #[serde(flatten)]
    pub outcome: MutationOutcome,
    /// This id had been applied before; the stored outcome is returned and nothing changed.
    pub repeated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct MutationResults {
    pub results: Vec<MutationResult>,
}

/// A record carried by the sync change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
#[ts(export)]
pub enum Record {
    Region(Region),
    Group(Group),
    Session(Session),
    Stage(Stage),
    Playbook(Playbook),
    Asset(Asset),
    Note(Note),
    User(User),
}

impl Record {
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Region(_) => "region",
            Record::Group(_) => "group",
            Record::Session(_) => "session",
            Record::Stage(_) => "stage",
            Record::Playbook(_) => "playbook",
            Record::Asset(_) => "asset",
            Record::Note(_) => "note",
            Record::User(_) => "user",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Record::Region(r) => &r.id,
            Record::Group(g) => &g.id,
            Record::Session(s) => &s.id,
            Record::Stage(s) => &s.id,
            Record::Playbook(p) => &p.id,
            Record::Asset(a) => &a.sha256,
            Record::Note(n) => &n.id,
            Record::User(u) => &u.id,
        }
    }
}

/// One entry of the change log: an upsert carries the record, a deletion is a tombstone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Change {
    #[ts(type = "number")]
    pub seq: i64,
    pub kind: String,
    pub id: String,
    /// `None` is a tombstone: the record was deleted.
    pub record: Option<Record>,
}

/// `GET /api/v1/changes?after=N&limit=M`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// The cursor to ask from next; store it with the rows in one transaction.
    #[ts(type = "number")]
    pub next_cursor: i64,
    /// More pages wait after this one.
    pub more: bool,
    pub server_time: DateTime<Utc>,
}

/// The one error shape of the hub's API (and of the app's IPC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct ApiError {
    /// Stable machine-readable code the UI translates, e.g. `invalid_sample`, `unauthorized`.
    pub code: String,
    /// Plain English for logs and API users.
    pub message: String,
    /// The offending field, as a JSON path (`samples[3].watching`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_with_its_kind_tag() {
        let r = Record::Region(Region { id: "r1".into(), name: "华东".into() });
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"kind":"region","data":{"id":"r1","name":"华东"}}"#);
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), r);
    }

    #[test]
    fn playbook_and_asset_records_are_keyed_by_version_and_hash() {
        let asset =
            Asset { sha256: "ab".repeat(32), size: 3, mime: "image/png".into(), name: "a.png".into() };
        let playbook = Playbook {
            id: Playbook::record_id("session-29", 2),
            session_id: "session-29".into(),
            version: 2,
            title: "手册".into(),
            notes: String::new(),
            published_at: Utc::now(),
            items: vec![],
        };
        assert_eq!(Record::Playbook(playbook.clone()).id(), "session-29:v2");
        assert_eq!(Record::Playbook(playbook).kind(), "playbook");
        assert_eq!(Record::Asset(asset.clone()).id(), asset.sha256);
        for kind in PlaybookItemKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(PlaybookItemKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in [Role::Admin, Role::Coordinator, Role::Distributor, Role::Trainer, Role::Leader] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("boss"), None);
    }
}
