//! The hub's storage: one trait, [`HubStore`], with one method per use case, and its backends.
//!
//! - [`sqlite`] is the embedded default: SQLite in WAL mode with a busy timeout, its migrations
//!   (`crates/fenduo-hub/migrations/`) embedded in the binary and applied when it opens.
//! - PostgreSQL, for a national deployment where several hub instances share one database, will
//!   be a second implementation of the same trait. Until it exists a `postgres://` URL is refused
//!   with a clear error (see [`DatabaseUrl::parse`]).
//!
//! The backend is chosen once, from the database URL, in [`crate::Hub::open_url`]; everything
//! else holds an `Arc<dyn HubStore>` and never sees SQL. The trait is coarse on purpose: a method
//! is a whole use case, so a backend keeps each one in a single transaction and the dynamic call
//! costs once per request or batch, never once per row.
//!
//! What every backend keeps to:
//! - every write that command posts must learn of appends its records to the change log in the
//!   same transaction; the log is compacted (the newest entry per record; a deletion leaves a
//!   tombstone) and each entry carries the region and distributor allowed to see it;
//! - times are stored as [`ts`] writes them, so comparing the text compares the times;
//! - errors are [`HubError`]s: a missing row is `NotFound` and a duplicate key `Conflict`,
//!   through the one `From<sqlx::Error>` in [`crate::error`], so callers never map them again.

pub mod sqlite;

use std::path::PathBuf;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use fenduo_proto::{
    ApiError, Asset, ChangePage, Group, GroupStatus, MutationOutcome, Note, Playbook, PlaybookItem, Region,
    Session, SessionStatus, Stage, StageKind, User,
};

use crate::error::{HubError, HubResult};

pub use sqlite::SqliteStore;

/// The hub's storage. Implementations are shared by every request (`Arc<dyn HubStore>`).
#[async_trait]
pub trait HubStore: Send + Sync {
    // ---- regions, users and tokens --------------------------------------------------------

    /// Creates or renames a region.
    async fn upsert_region(&self, region: &Region) -> HubResult<()>;

    async fn region(&self, id: &str) -> HubResult<Option<Region>>;

    /// Inserts a user with its password hash; a taken username is `Conflict`. Other users see
    /// the account's name and role through the change log, never its secrets.
    async fn insert_user(&self, user: &User, password_hash: &str) -> HubResult<()>;

    /// Replaces a user's password hash and revokes the user's tokens; false if no such user.
    async fn set_password(&self, username: &str, password_hash: &str) -> HubResult<bool>;

    /// A user with its password hash, for login only.
    async fn credentials(&self, username: &str) -> HubResult<Option<Credentials>>;

    async fn user_count(&self) -> HubResult<i64>;

    /// Stores a new login token (its hash; the token itself is never stored).
    async fn insert_token(&self, token_hash: &str, user_id: &str, expires_at: DateTime<Utc>)
        -> HubResult<()>;

    /// The user a live (unexpired, unrevoked) token belongs to.
    async fn user_for_token(&self, token_hash: &str, now: DateTime<Utc>) -> HubResult<Option<User>>;

    /// Revokes a token (logout); revoking it again changes nothing.
    async fn revoke_token(&self, token_hash: &str) -> HubResult<()>;

    // ---- groups ---------------------------------------------------------------------------

    /// Inserts or updates groups in one transaction, each with its change-log entry.
    async fn upsert_groups(&self, groups: &[Group]) -> HubResult<()>;

    /// Where every group belongs, to fill the hub's in-memory directory at start.
    async fn group_directory(&self) -> HubResult<Vec<(String, GroupMeta)>>;

    /// Deletes a group (its live status goes; its history stays for replay) and leaves a
    /// tombstone. `None` when there is no such group; `Conflict` when records kept for replay
    /// (notes) name it.
    async fn delete_group(&self, id: &str) -> HubResult<Option<GroupMeta>>;

    // ---- roster import --------------------------------------------------------------------

    /// The distributor accounts of a region, which roster rows name by display name or username.
    async fn region_distributors(&self, region_id: &str) -> HubResult<Vec<User>>;

    /// The stored groups among `ids`, each with its distributor's display name.
    async fn groups_by_id(&self, ids: &[&str]) -> HubResult<Vec<Group>>;

    /// Writes what an import planned in one transaction: the new distributor accounts (without
    /// a password, see [`crate::auth::NO_PASSWORD`]) and the new or changed groups with their
    /// change-log entries. A group keeps its region: moving regions is refused before this.
    async fn import_roster(&self, new_distributors: &[User], groups: &[Group]) -> HubResult<()>;

    // ---- sessions and stages --------------------------------------------------------------

    /// Inserts or updates a session and its stages in one transaction.
    async fn upsert_session(&self, session: &Session, stages: &[Stage]) -> HubResult<()>;

    /// The session metrics are attributed to: the live one that started last.
    async fn live_session(&self) -> HubResult<Option<Session>>;

    /// The stage numbers of a session, in order; `None` when there is no such session.
    async fn stage_seqs(&self, session_id: &str) -> HubResult<Option<Vec<u32>>>;

    // ---- metrics --------------------------------------------------------------------------

    /// Stores a validated batch in one transaction: each group's status only moves forward in
    /// time, and the samples marked `true` are appended to the replay history.
    async fn ingest(&self, statuses: &[(GroupStatus, bool)]) -> HubResult<()>;

    /// The latest statuses of a session that the scope may see, by group id.
    async fn statuses(&self, session_id: &str, scope: &Scope) -> HubResult<Vec<GroupStatus>>;

    // ---- sync -----------------------------------------------------------------------------

    /// One page of the change log after `after`, as the scope may see it. `fresh`: the caller is
    /// paging through a sync that started from 0, so purged deletions cannot leave it stale;
    /// otherwise a cursor below the [tombstone horizon](HubStore::tombstone_horizon) is `Gone`.
    async fn changes(&self, after: i64, limit: u32, scope: &Scope, fresh: bool) -> HubResult<ChangePage>;

    /// The newest change-log sequence number (0 when the log is empty).
    async fn max_seq(&self) -> HubResult<i64>;

    /// Cursors below this sequence number may have missed purged deletions.
    async fn tombstone_horizon(&self) -> HubResult<i64>;

    /// Deletes tombstones older than `before` and raises the horizon; returns how many went.
    async fn purge_tombstones(&self, before: DateTime<Utc>) -> HubResult<u64>;

    // ---- assets ---------------------------------------------------------------------------

    /// An asset's metadata, if its row exists (its file is in place then).
    async fn asset(&self, sha256: &str) -> HubResult<Option<Asset>>;

    /// Records a file already renamed into place, with its change-log entry. When the row
    /// exists already, returns it unchanged (the first name is kept) and `false`.
    async fn insert_asset(&self, asset: &Asset) -> HubResult<(Asset, bool)>;

    // ---- playbooks ------------------------------------------------------------------------

    /// The session's newest playbook version, 0 when it has none.
    async fn latest_playbook_version(&self, session_id: &str) -> HubResult<u32>;

    async fn playbook(&self, session_id: &str, version: u32) -> HubResult<Option<Playbook>>;

    /// Stores the session's next version (previous + 1, taken so that two publishers cannot get
    /// the same number) with its items, the rows of its files (already in place) and the
    /// change-log entries, in one transaction; returns it as stored.
    async fn publish_playbook(&self, playbook: &NewPlaybook) -> HubResult<Playbook>;

    // ---- mutations ------------------------------------------------------------------------

    /// Applies a mutation at most once, in one transaction serialised against any other writer
    /// from its first read (SQLite: `BEGIN IMMEDIATE`), so two deliveries of one id cannot both
    /// apply it and the rules see the data the effect is written over:
    /// - when the id is stored already, returns what was stored and changes nothing;
    /// - otherwise reads the [`MutationFacts`] the request names, asks `decide` (pure: the rules
    ///   live in [`crate::mutations`], not here), applies the [`MutationEffect`] it returns, and
    ///   stores the outcome, applied or refused, with the id.
    ///
    /// A storage error rolls everything back; the client retries the same id.
    async fn apply_mutation(
        &self,
        request: &MutationRequest<'_>,
        decide: &Decide<'_>,
    ) -> HubResult<MutationApplied>;
}

/// What part of the data a user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// National admins.
    All,
    /// Coordinators and trainers: one region.
    Region(String),
    /// Distributors: their own groups in their region.
    Distributor { region_id: String, user_id: String },
}

/// Where a group belongs; kept in memory by the hub for ingest validation and live fan-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMeta {
    pub region_id: String,
    pub distributor_id: String,
}

/// A user with their password hash, for login only.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// A playbook version to publish. Each item's `asset` is its file as written to the asset
/// folder; the published version shows the stored row instead (content the hub already had
/// keeps its first name).
#[derive(Debug, Clone)]
pub struct NewPlaybook {
    pub session_id: String,
    pub title: String,
    pub notes: String,
    pub items: Vec<PlaybookItem>,
}

/// A mutation as the store sees it: its id, who sent it, and what its decision must read.
#[derive(Debug, Clone)]
pub struct MutationRequest<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    /// Stored with the outcome (`add_note`, `start_session`).
    pub kind: &'static str,
    /// The session to read into [`MutationFacts::session`].
    pub session_id: Option<&'a str>,
    /// The group to read into [`MutationFacts::group`].
    pub group_id: Option<&'a str>,
}

/// What a mutation's decision knows, read inside the mutation's transaction; `None` where the
/// request named nothing or nothing is stored under the name.
#[derive(Debug, Clone, Default)]
pub struct MutationFacts {
    pub session: Option<Session>,
    pub group: Option<GroupMeta>,
}

/// The storage effect of an accepted mutation; the store turns it into the stored record.
#[derive(Debug, Clone, PartialEq)]
pub enum MutationEffect {
    /// Insert the note; the change log shows it to its region, and to the distributor of the
    /// group it is about.
    AddNote(Note),
    /// Mark the session live from `started_at`.
    StartSession { session_id: String, started_at: DateTime<Utc> },
}

/// A mutation's fate: apply this effect, or refuse for good (the refusal is stored, so a retry
/// gets the same answer).
#[derive(Debug, Clone, PartialEq)]
pub enum MutationDecision {
    Apply(MutationEffect),
    Refuse(ApiError),
}

/// The rules of a mutation, called by [`HubStore::apply_mutation`] with what it read.
pub type Decide<'a> = dyn Fn(&MutationFacts) -> MutationDecision + Send + Sync + 'a;

/// What [`HubStore::apply_mutation`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum MutationApplied {
    /// The id was stored before, by `user_id`; nothing changed.
    Stored { user_id: String, outcome: MutationOutcome },
    /// Decided now, and stored with the id.
    Decided(MutationOutcome),
}

/// Which backend a database URL names; see [`crate::Hub::open_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file: a plain path, `sqlite://relative/path` or `sqlite:///absolute/path`.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`: not built yet.
    Postgres,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> HubResult<DatabaseUrl> {
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            return if url.starts_with("sqlite:") {
                Err(HubError::Config(format!(
                    "{url:?}: use a file path or sqlite://path; the hub keeps its assets beside the \
                     database file, so an in-memory or option-only SQLite URL cannot work"
                )))
            } else {
                Ok(DatabaseUrl::Sqlite(PathBuf::from(url)))
            };
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" if !rest.is_empty() && !rest.contains('?') => {
                Ok(DatabaseUrl::Sqlite(PathBuf::from(rest)))
            }
            "sqlite" => Err(HubError::Config(format!(
                "{url:?}: name the database file, as in sqlite://fenduo-hub.sqlite (options are not taken)"
            ))),
            "postgres" | "postgresql" => Ok(DatabaseUrl::Postgres),
            other => Err(HubError::Config(format!(
                "database URL scheme {other:?} is not supported; use a SQLite file path or sqlite://path"
            ))),
        }
    }
}

/// A time as stored: fixed-width RFC 3339 UTC with milliseconds (`2026-12-05T11:30:00.000Z`), so
/// comparing the text compares the times.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_ts(s: &str) -> HubResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| HubError::Internal(format!("bad stored time {s:?}: {e}")))
}

/// A session status as stored.
pub fn session_status_str(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Scheduled => "scheduled",
        SessionStatus::Live => "live",
        SessionStatus::Ended => "ended",
    }
}

pub fn parse_session_status(s: &str) -> SessionStatus {
    match s {
        "scheduled" => SessionStatus::Scheduled,
        "live" => SessionStatus::Live,
        _ => SessionStatus::Ended,
    }
}

/// A stage kind as stored.
pub fn stage_kind_str(k: StageKind) -> &'static str {
    match k {
        StageKind::WarmUp => "warm_up",
        StageKind::Opening => "opening",
        StageKind::Product => "product",
        StageKind::BenefitReveal => "benefit_reveal",
        StageKind::Closing => "closing",
        StageKind::ReplayPush => "replay_push",
    }
}

/// The change-log region of national accounts: no region's scope matches it.
pub(crate) const NATIONAL_ONLY: &str = "_national";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_name_their_backend() {
        let parse = |url: &str| DatabaseUrl::parse(url).unwrap();
        let sqlite = |path: &str| DatabaseUrl::Sqlite(PathBuf::from(path));
        assert_eq!(parse("fenduo-hub.sqlite"), sqlite("fenduo-hub.sqlite"));
        assert_eq!(parse("/var/lib/fenduo/hub.sqlite"), sqlite("/var/lib/fenduo/hub.sqlite"));
        assert_eq!(parse(r"C:\fenduo\hub.sqlite"), sqlite(r"C:\fenduo\hub.sqlite"));
        assert_eq!(parse("sqlite://data/hub.sqlite"), sqlite("data/hub.sqlite"));
        assert_eq!(parse("sqlite:///var/hub.sqlite"), sqlite("/var/hub.sqlite"));
        assert_eq!(parse("postgres://hub@db/fenduo"), DatabaseUrl::Postgres);
        assert_eq!(parse("postgresql://db/fenduo"), DatabaseUrl::Postgres);
        for refused in ["sqlite::memory:", "sqlite://", "sqlite://hub.sqlite?mode=ro", "mysql://db/fenduo"] {
            assert!(matches!(DatabaseUrl::parse(refused), Err(HubError::Config(_))), "{refused}");
        }
    }
}
