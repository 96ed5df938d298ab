//! fenduo-sim — replays a realistic Saturday session against a hub, through its public API only.
//!
//! Figures follow PRODUCT.md: groups of 40–100 members, most members watching, conversion
//! (orders ÷ members) spread from 15% to 120%, an average order of about ¥1,000, orders rising
//! fastest at the benefit reveal. A few groups are troubled (few watching, a quiet chat) so the
//! wall has something to flag.
//!
//! Each group's cumulative figures are a pure function of the stream clock, so a restarted
//! simulator never makes orders go backwards.

#![forbid(unsafe_code)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use fenduo_proto::{
    ApiError, ChangePage, Group, IngestReport, LoginRequest, LoginResponse, MetricBatch, MetricSample,
    Record, Session, SessionStatus, Stage, StageKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot reach the hub at {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("the hub refused the request ({status}): {error:?}")]
    Refused { status: u16, error: ApiError },
    #[error("unexpected answer from the hub: {0}")]
    Protocol(String),
    #[error("no live session on the hub")]
    NoLiveSession,
}

pub type SimResult<T> = Result<T, SimError>;

/// How one group behaves during the session.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Orders per member by the end of the stream (0.15–1.2).
    pub conversion: f64,
    /// Share of members watching at the peak.
    pub watch_ratio: f64,
    /// Chat messages per watching member per minute.
    pub chattiness: f64,
    /// Average order value in fen.
    pub order_value_fen: u64,
    /// Seconds this group runs ahead of or behind the average.
    pub lag_secs: i64,
}

impl Profile {
    fn generate(rng: &mut StdRng) -> Profile {
        let troubled = rng.gen_bool(0.05);
        let quiet = rng.gen_bool(0.05);
        // Most groups convert 30–70%; a long tail reaches 120%, a few stay near 15%.
        let conversion = match rng.gen_range(0..100) {
            0..=9 => rng.gen_range(0.15..0.3),
            10..=84 => rng.gen_range(0.3..0.75),
            _ => rng.gen_range(0.75..1.2),
        };
        Profile {
            conversion: if troubled { conversion * 0.3 } else { conversion },
            watch_ratio: if troubled { rng.gen_range(0.1..0.3) } else { rng.gen_range(0.55..0.95) },
            chattiness: if troubled || quiet { rng.gen_range(0.01..0.04) } else { rng.gen_range(0.2..0.7) },
            order_value_fen: rng.gen_range(60_000..150_000),
            lag_secs: rng.gen_range(-90..90),
        }
    }
}

/// Relative order rate in a stage: the benefit reveal sells most, the opening little.
fn order_rate(kind: StageKind) -> f64 {
    match kind {
        StageKind::WarmUp => 0.0,
        StageKind::Opening => 0.3,
        StageKind::Product => 1.0,
        StageKind::BenefitReveal => 3.0,
        StageKind::Closing => 0.6,
        StageKind::ReplayPush => 0.15,
    }
}

/// Share of the peak audience watching `t` seconds after the start.
pub fn audience_curve(stages: &[Stage], t: i64) -> f64 {
    match stage_at(stages, t).map(|s| s.kind) {
        Some(StageKind::WarmUp) => 0.25 + 0.45 * (1.0 + t as f64 / 1800.0).clamp(0.0, 1.0),
        Some(StageKind::Opening) => 0.8,
        Some(StageKind::Product) => 0.88,
        Some(StageKind::BenefitReveal) => 1.0,
        Some(StageKind::Closing) => 0.75,
        Some(StageKind::ReplayPush) => 0.2,
        None if t < 0 => 0.1,
        None => 0.05,
    }
}

pub fn stage_at(stages: &[Stage], t: i64) -> Option<&Stage> {
    stages.iter().find(|s| t >= s.offset_secs && t < s.offset_secs + s.duration_secs as i64)
}

/// Share of a group's final orders placed by `t` seconds after the start (reaches 1.0 at the
/// end of the closing stage, and grows a little more during the replay push).
pub fn order_progress(stages: &[Stage], t: i64) -> f64 {
    let live_total: f64 = stages
        .iter()
        .filter(|s| s.kind != StageKind::ReplayPush)
        .map(|s| order_rate(s.kind) * s.duration_secs as f64)
        .sum();
    if live_total <= 0.0 {
        return 0.0;
    }
    let done: f64 = stages
        .iter()
        .map(|s| {
            let overlap = (t - s.offset_secs).clamp(0, s.duration_secs as i64) as f64;
            order_rate(s.kind) * overlap
        })
        .sum();
    done / live_total
}

/// The session model: groups with profiles and the session's stages.
pub struct Model {
    pub session: Session,
    pub stages: Vec<Stage>,
    pub groups: Vec<(Group, Profile)>,
    rng: StdRng,
}

impl Model {
    pub fn new(session: Session, mut stages: Vec<Stage>, groups: Vec<Group>, seed: u64) -> Model {
        stages.sort_by_key(|s| s.seq);
        let mut rng = StdRng::seed_from_u64(seed);
        let groups = groups.into_iter().map(|g| (g, Profile::generate(&mut rng))).collect();
        Model { session, stages, groups, rng }
    }

    /// One sample per group at hub time `now`.
    pub fn samples_at(&mut self, now: DateTime<Utc>) -> Vec<MetricSample> {
        let t = (now - self.session.effective_start()).num_seconds();
        let stage = stage_at(&self.stages, t).map(|s| s.kind);
        let chat_factor = match stage {
            Some(StageKind::BenefitReveal) => 1.8,
            Some(StageKind::ReplayPush) | None => 0.3,
            _ => 1.0,
        };
        let mut out = Vec::with_capacity(self.groups.len());
        for (g, p) in &self.groups {
            let members = g.member_count as f64;
            let jitter: f64 = self.rng.gen_range(0.96..1.04);
            let watching = (members * p.watch_ratio * audience_curve(&self.stages, t) * jitter)
                .round()
                .clamp(0.0, members);
            let messages = (watching * p.chattiness * chat_factor * self.rng.gen_range(0.6..1.4)).round();
            let orders = (members * p.conversion * order_progress(&self.stages, t + p.lag_secs)).floor();
            out.push(MetricSample {
                group_id: g.id.clone(),
                at: now,
                watching: watching as i64,
                messages_per_min: messages as i64,
                orders: orders as i64,
                gmv_fen: orders as i64 * p.order_value_fen as i64,
            });
        }
        out
    }
}

/// A logged-in connection to the hub's public API.
pub struct HubApi {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl HubApi {
    pub async fn login(base: &str, username: &str, password: &str) -> SimResult<HubApi> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| SimError::Protocol(e.to_string()))?;
        let base = base.trim_end_matches('/').to_string();
        let req = LoginRequest { username: username.into(), password: password.into() };
        let resp = http
            .post(format!("{base}/api/v1/login"))
            .json(&req)
            .send()
            .await
            .map_err(|source| SimError::Unreachable { url: base.clone(), source })?;
        let login: LoginResponse = decode(resp).await?;
        Ok(HubApi { http, base, token: login.token })
    }

    /// Everything in the change log, page by page.
    pub async fn all_records(&self) -> SimResult<Vec<Record>> {
        let mut after = 0;
        let mut records = Vec::new();
        loop {
            let resp = self
                .http
                .get(format!("{}/api/v1/changes?after={after}&limit=1000", self.base))
                .bearer_auth(&self.token)
                .send()
                .await
                .map_err(|source| SimError::Unreachable { url: self.base.clone(), source })?;
            let page: ChangePage = decode(resp).await?;
            records.extend(page.changes.into_iter().filter_map(|c| c.record));
            after = page.next_cursor;
            if !page.more {
                return Ok(records);
            }
        }
    }

    pub async fn send(&self, samples: Vec<MetricSample>) -> SimResult<IngestReport> {
        let resp = self
            .http
            .post(format!("{}/api/v1/metrics", self.base))
            .bearer_auth(&self.token)
            .json(&MetricBatch { samples })
            .send()
            .await
            .map_err(|source| SimError::Unreachable { url: self.base.clone(), source })?;
        decode(resp).await
    }

    /// Builds the model of the live session from what the hub serves.
    pub async fn model(&self, seed: u64) -> SimResult<Model> {
        let mut groups = Vec::new();
        let mut sessions = Vec::new();
        let mut stages = Vec::new();
        for r in self.all_records().await? {
            match r {
                Record::Group(g) => groups.push(g),
                Record::Session(s) => sessions.push(s),
                Record::Stage(s) => stages.push(s),
                _ => {}
            }
        }
        let session = sessions
            .into_iter()
            .filter(|s| s.status == SessionStatus::Live)
            .max_by_key(|s| s.effective_start())
            .ok_or(SimError::NoLiveSession)?;
        stages.retain(|s| s.session_id == session.id);
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Model::new(session, stages, groups, seed))
    }
}

async fn decode<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> SimResult<T> {
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| SimError::Protocol(e.to_string()))?;
    if status.is_success() {
        serde_json::from_slice(&bytes).map_err(|e| SimError::Protocol(e.to_string()))
    } else {
        let error = serde_json::from_slice(&bytes).unwrap_or(ApiError {
            code: "unknown".into(),
            message: String::from_utf8_lossy(&bytes).into_owned(),
            field: None,
        });
        Err(SimError::Refused { status: status.as_u16(), error })
    }
}

/// Sends one batch every `tick` until `stop` fires; rebuilds the model when the hub restarts.
pub async fn run(
    base: String,
    username: String,
    password: String,
    seed: u64,
    tick: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut state: Option<(HubApi, Model)> = None;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        if state.is_none() {
            match connect(&base, &username, &password, seed).await {
                Ok(s) => state = Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, "simulator cannot start yet");
                    continue;
                }
            }
        }
        let (api, model) = state.as_mut().expect("connected");
        let samples = model.samples_at(Utc::now());
        if let Err(e) = api.send(samples).await {
            tracing::warn!(error = %e, "simulator batch not accepted; reconnecting");
            state = None;
        }
    }
}

async fn connect(base: &str, username: &str, password: &str, seed: u64) -> SimResult<(HubApi, Model)> {
    let api = HubApi::login(base, username, password).await?;
    let model = api.model(seed).await?;
    Ok((api, model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration as CDuration;

    fn stages() -> Vec<Stage> {
        let plan = [
            (StageKind::WarmUp, -1800, 1800),
            (StageKind::Opening, 0, 600),
            (StageKind::Product, 600, 1500),
            (StageKind::BenefitReveal, 2100, 1200),
            (StageKind::Closing, 3300, 600),
            (StageKind::ReplayPush, 3900, 3600),
        ];
        plan.iter()
            .enumerate()
            .map(|(i, (kind, off, dur))| Stage {
                id: format!("s{i}"),
                session_id: "x".into(),
                seq: i as u32,
                kind: *kind,
                title: String::new(),
                offset_secs: *off,
                duration_secs: *dur,
            })
            .collect()
    }

    #[test]
    fn order_progress_is_monotone_and_completes_at_the_end_of_the_live_part() {
        let st = stages();
        let mut last = 0.0;
        for t in (-2000..8000).step_by(30) {
            let p = order_progress(&st, t);
            assert!(p >= last, "progress went back at t={t}");
            last = p;
        }
        assert_eq!(order_progress(&st, 0), 0.0);
        assert!((order_progress(&st, 3900) - 1.0).abs() < 1e-9);
        // The benefit reveal sells faster than a product segment of the same length.
        let product = order_progress(&st, 1200) - order_progress(&st, 600);
        let reveal = order_progress(&st, 2700) - order_progress(&st, 2100);
        assert!(reveal > 2.0 * product);
    }

    #[test]
    fn samples_are_in_range_and_conversion_spreads_like_the_brief() {
        let now = Utc::now();
        let session = Session {
            id: "x".into(),
            title: String::new(),
            host: String::new(),
            planned_start: now - CDuration::seconds(3900),
            actual_start: None,
            planned_end: now,
            status: SessionStatus::Live,
            target_orders: None,
            target_gmv_fen: None,
        };
        let groups: Vec<Group> = (0..600)
            .map(|i| Group {
                id: format!("g{i}"),
                region_id: "r".into(),
                name: String::new(),
                leader_name: String::new(),
                ops_officer: String::new(),
                atmosphere_officer: String::new(),
                member_count: 40 + (i % 61),
                distributor_id: "d".into(),
                distributor_name: String::new(),
            })
            .collect();
        let mut model = Model::new(session, stages(), groups.clone(), 7);
        let samples = model.samples_at(now);
        assert_eq!(samples.len(), 600);
        let conv: Vec<f64> =
            samples.iter().zip(&groups).map(|(s, g)| s.orders as f64 / g.member_count as f64).collect();
        let max = conv.iter().cloned().fold(0.0, f64::max);
        assert!(max > 0.9 && max <= 1.2, "top conversion {max}");
        assert!(conv.iter().filter(|c| **c < 0.3).count() > 10);
        for (s, g) in samples.iter().zip(&groups) {
            assert!(s.watching >= 0 && s.watching <= g.member_count as i64);
            assert!(s.messages_per_min >= 0);
            assert!(s.gmv_fen >= s.orders * 60_000);
        }
    }
}
