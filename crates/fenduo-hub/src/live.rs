//! The live stream: statuses gathered from ingest are fanned out about once a second to every
//! connected command post, each filtered to what its user may see.
//!
//! A slow client that falls behind the broadcast buffer gets a fresh snapshot instead of going
//! silently deaf.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use chrono::Utc;
use fenduo_proto::{GroupStatus, LiveMessage};
use tokio::sync::broadcast;

use crate::store::{GroupMeta, Scope};
use crate::AppState;

/// One status with where its group belongs, for per-client filtering.
pub type ScopedStatus = (GroupStatus, Arc<GroupMeta>);

#[derive(Clone, Debug)]
pub enum Broadcast {
    Statuses(Arc<Vec<ScopedStatus>>),
    Changed(i64),
}

pub struct Live {
    pending: Mutex<HashMap<String, ScopedStatus>>,
    tx: broadcast::Sender<Broadcast>,
    /// Set when the hub shuts down, so open live connections close instead of lingering.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            pending: Mutex::new(HashMap::new()),
            tx: broadcast::channel(64).0,
            closing: tokio::sync::watch::channel(false).0,
        }
    }
}

impl Live {
    /// Queues statuses for the next tick; a newer status of the same group replaces an older one.
    pub fn publish(&self, statuses: impl IntoIterator<Item = ScopedStatus>) {
        let mut pending = self.pending.lock().expect("live pending lock");
        for s in statuses {
            // An older sample (out of order, or a late batch) never replaces a newer one.
            match pending.get(&s.0.group_id) {
                Some(have) if have.0.at > s.0.at => {}
                _ => {
                    pending.insert(s.0.group_id.clone(), s);
                }
            }
        }
    }

    /// Tells clients that the change log grew, so they sync.
    pub fn changed(&self, seq: i64) {
        let _ = self.tx.send(Broadcast::Changed(seq));
    }

    /// Closes every live connection (hub shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Accepts live connections again (the hub serves again after a stop).
    pub fn reopen(&self) {
        self.closing.send_replace(false);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Broadcast> {
        self.tx.subscribe()
    }

    /// Sends what gathered since the last tick, if anything.
    pub fn tick(&self) {
        let batch: Vec<ScopedStatus> = {
            let mut pending = self.pending.lock().expect("live pending lock");
            if pending.is_empty() {
                return;
            }
            pending.drain().map(|(_, v)| v).collect()
        };
        let _ = self.tx.send(Broadcast::Statuses(Arc::new(batch)));
    }

    pub fn spawn_ticker(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let live = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                interval.tick().await;
                match live.upgrade() {
                    Some(live) => live.tick(),
                    None => return,
                }
            }
        })
    }
}

pub fn visible(scope: &Scope, meta: &GroupMeta) -> bool {
    match scope {
        Scope::All => true,
        Scope::Region(r) => &meta.region_id == r,
        Scope::Distributor { region_id, user_id } => {
            &meta.region_id == region_id && &meta.distributor_id == user_id
        }
    }
}

async fn send(socket: &mut WebSocket, msg: &LiveMessage) -> bool {
    let text = serde_json::to_string(msg).expect("live message serialises");
    socket.send(Message::Text(text.into())).await.is_ok()
}

async fn snapshot(state: &AppState, scope: &Scope) -> LiveMessage {
    let statuses = match state.store.live_session().await {
        Ok(Some(session)) => state.store.statuses(&session.id, scope).await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "live snapshot failed");
            Vec::new()
        }),
        Ok(None) => Vec::new(),
        Err(e) => {
            tracing::error!(error = %e, "live snapshot failed");
            Vec::new()
        }
    };
    LiveMessage::Snapshot { server_time: Utc::now(), statuses }
}

/// Serves one live connection until the client goes away.
pub async fn serve_connection(mut socket: WebSocket, state: AppState, scope: Scope) {
    // Subscribe before reading the snapshot so nothing between the two is missed.
    let mut rx = state.live.subscribe();
    let mut closing = state.live.closing.subscribe();
    if *closing.borrow_and_update() {
        return;
    }
    if !send(&mut socket, &snapshot(&state, &scope).await).await {
        return;
    }
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    ping.tick().await;
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let out = match msg {
                    Ok(Broadcast::Statuses(batch)) => {
                        let statuses: Vec<GroupStatus> = batch
                            .iter()
                            .filter(|(_, meta)| visible(&scope, meta))
                            .map(|(s, _)| s.clone())
                            .collect();
                        if statuses.is_empty() {
                            continue;
                        }
                        LiveMessage::Delta { server_time: Utc::now(), statuses }
                    }
                    Ok(Broadcast::Changed(seq)) => LiveMessage::Changed { server_time: Utc::now(), seq },
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "live client fell behind; sending a fresh snapshot");
                        snapshot(&state, &scope).await
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if !send(&mut socket, &out).await {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
            _ = closing.changed() => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}
