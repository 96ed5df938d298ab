//! Types that cross the Tauri IPC boundary between the app shell and the UI.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Group, GroupStatus, Region, Session, Stage, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AppMode {
    /// An embedded hub and simulator on loopback.
    Demo,
    /// A real hub chosen by the user.
    Hub,
}

/// What the UI needs to decide which screen to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AppInfo {
    pub mode: AppMode,
    pub version: String,
    /// The remembered hub address, if any.
    pub hub_url: Option<String>,
    /// The logged-in user; `None` means the login screen.
    pub user: Option<User>,
    pub region: Option<Region>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConnectionState {
    Online,
    Reconnecting,
    Offline,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConnectionInfo {
    pub state: ConnectionState,
    /// When the newest live figures were received (app clock); the UI shows the data's age from it.
    pub last_data_at: Option<DateTime<Utc>>,
    /// Hub clock minus app clock, measured at each sync; countdowns add it to `Date.now()`.
    #[ts(type = "number")]
    pub clock_offset_ms: i64,
    /// Changes made here that the hub has not confirmed yet (the outbox).
    pub pending_actions: u32,
}

/// Everything the wall shows, from the local store: usable offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WallData {
    pub region: Option<Region>,
    pub groups: Vec<Group>,
    pub statuses: Vec<GroupStatus>,
    /// The session being run now, or the next one.
    pub session: Option<Session>,
    pub stages: Vec<Stage>,
    pub connection: ConnectionInfo,
}

/// Pushed to the UI through a `tauri::ipc::Channel` after `wall_subscribe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum WallEvent {
    /// Replace all statuses (after a reconnect).
    Snapshot {
        statuses: Vec<GroupStatus>,
    },
    /// Merge these statuses into what the UI has.
    Statuses {
        statuses: Vec<GroupStatus>,
    },
    /// Groups, session or stages changed after a sync: reload with `wall_data`.
    Reload,
    Connection(ConnectionInfo),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LoginForm {
    pub hub_url: String,
    pub username: String,
    pub password: String,
}
