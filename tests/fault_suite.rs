//! The fault suite: a scripted session run against a hub behind a faulty network, seeded and
//! reproducible.
//!
//! A TCP proxy between the client engine and the hub drops connections, stalls them, cuts the
//! hub's answers after it committed, and the hub itself is restarted mid-sync. Changes are made on
//! both sides: the command post queues notes through its outbox, a coordinator writes notes
//! straight to the hub, and HQ edits groups. Afterwards every mutation must exist exactly once on
//! the hub and the command post's local copy must equal what the hub serves it.
//!
//! `FENDUO_FAULT_RUNS=200` sets the number of runs (20 by default, which CI uses);
//! `FENDUO_FAULT_SEED=N` replays one run:
//! `FENDUO_FAULT_SEED=17 cargo test -p fenduo-tests --test fault_suite -- --nocapture`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fenduo_engine::outbox::EntryState;
use fenduo_engine::Engine;
use fenduo_hub::seed;
use fenduo_proto::{ChangePage, MutationOp, Record};
use fenduo_tests::fault::RestartableHub;
use fenduo_tests::{scalar, FaultProxy, ProxyMode, PASSWORD};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const STEPS: usize = 30;

#[derive(Default, Debug)]
struct Tally {
    faults: usize,
    restarts: usize,
    queued: usize,
    hub_side_notes: usize,
    group_edits: usize,
    assets_verified: usize,
    hub_5xx: usize,
}

fn note(text: String) -> MutationOp {
    MutationOp::AddNote {
        session_id: seed::DEMO_SESSION_ID.into(),
        at: chrono::Utc::now(),
        group_id: None,
        text,
    }
}

async fn apply_fault(rng: &mut StdRng, proxy: &FaultProxy, hub: &mut RestartableHub, tally: &mut Tally) {
    tally.faults += 1;
    match rng.gen_range(0..5) {
        0 => proxy.set(ProxyMode::Offline),
        1 => proxy.set(ProxyMode::CutResponses),
        2 => proxy.set(ProxyMode::Stall),
        3 => proxy.set(ProxyMode::Online),
        _ => {
            tally.restarts += 1;
            let addr = hub.restart().await;
            proxy.retarget(addr);
        }
    }
}

async fn login(url: &str, user: &str) -> String {
    fenduo_tests::login_token(url, user).await
}

/// Everything the hub serves this user, keyed by (kind, id).
async fn hub_view(url: &str, token: &str) -> BTreeMap<(String, String), Record> {
    let http = reqwest::Client::new();
    let mut after = 0;
    let mut out = BTreeMap::new();
    loop {
        let page: ChangePage = http
            .get(format!("{url}/api/v1/changes?after={after}&limit=2000"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for c in page.changes {
            match c.record {
                Some(r) => out.insert((c.kind, c.id), r),
                None => out.remove(&(c.kind, c.id)),
            };
        }
        after = page.next_cursor;
        if !page.more {
            return out;
        }
    }
}

async fn run(seed_no: u64) -> Result<Tally, String> {
    let mut rng = StdRng::seed_from_u64(seed_no);
    let mut tally = Tally::default();
    let mut hub = RestartableHub::seeded().await;
    let proxy = FaultProxy::start(hub.addr).await;
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).await.unwrap();
    engine.login(&proxy.url(), "trainer", PASSWORD).await.map_err(|e| format!("login: {e}"))?;
    engine.stop(); // driven step by step below, so a seed replays the same script
    let coordinator = login(&hub.url(), seed::DEMO_COORDINATOR).await;
    let groups: Vec<_> = seed::demo_region(&seed::DemoSpec::load()).2;

    for step in 0..STEPS {
        match rng.gen_range(0..10) {
            0..=2 => {
                engine
                    .submit(note(format!("种子 {seed_no} 第 {step} 步")))
                    .await
                    .map_err(|e| e.to_string())?;
                tally.queued += 1;
            }
            3 | 4 => {
                // An operation in flight while the network or the hub fails under it.
                let e = engine.clone();
                let which = rng.gen_range(0..3);
                let op = tokio::spawn(async move {
                    match which {
                        0 => e.flush_outbox().await.map(|_| ()),
                        1 => e.sync_once().await.map(|_| ()),
                        // Fetching the week's clips while the link fails: downloads resume.
                        _ => e.prefetch_playbooks(|_, _| {}).await.map(|_| ()),
                    }
                });
                tokio::time::sleep(Duration::from_millis(rng.gen_range(0..40))).await;
                apply_fault(&mut rng, &proxy, &mut hub, &mut tally).await;
                let _ = op.await;
            }
            5 => {
                let _ = engine.flush_outbox().await;
            }
            6 => {
                let _ = engine.sync_once().await;
            }
            7 => {
                let id = uuid::Uuid::now_v7().to_string();
                let body = serde_json::json!({"mutations": [{"id": id, "kind": "add_note", "body": {
                    "session_id": seed::DEMO_SESSION_ID, "at": chrono::Utc::now(), "group_id": null,
                    "text": format!("协调员 {seed_no}-{step}")}}]});
                // A direct client does what the outbox does: on a 5xx it retries with the same id,
                // which the hub applies at most once. Such answers are counted and reported.
                let mut attempt = 0;
                loop {
                    let resp = reqwest::Client::new()
                        .post(format!("{}/api/v1/mutations", hub.url()))
                        .bearer_auth(&coordinator)
                        .json(&body)
                        .send()
                        .await
                        .map_err(|e| format!("coordinator note: {e}"))?;
                    let status = resp.status();
                    if status.is_success() {
                        break;
                    }
                    attempt += 1;
                    if !status.is_server_error() || attempt >= 10 {
                        return Err(format!(
                            "coordinator note refused: {status} {}",
                            resp.text().await.unwrap_or_default()
                        ));
                    }
                    tally.hub_5xx += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                tally.hub_side_notes += 1;
            }
            8 => {
                let mut g = groups[rng.gen_range(0..groups.len())].clone();
                g.member_count = rng.gen_range(40..=100);
                hub.hub.upsert_groups(&[g]).await.map_err(|e| e.to_string())?;
                tally.group_edits += 1;
            }
            _ => apply_fault(&mut rng, &proxy, &mut hub, &mut tally).await,
        }
    }

    // The network heals: the command post catches up by itself.
    proxy.set(ProxyMode::Online);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let flushed = engine.flush_outbox().await;
        let synced = engine.sync_once().await;
        if flushed.is_ok() && synced.is_ok() && engine.connection().pending_actions == 0 {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("did not converge: flush {flushed:?}, sync {synced:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every playbook asset is on disk and verifies.
    let report = engine.prefetch_playbooks(|_, _| {}).await.map_err(|e| format!("prefetch: {e}"))?;
    if !report.failed.is_empty() || report.assets == 0 {
        return Err(format!(
            "assets not all fetched: {} of {}, failed {:?}",
            report.cached + report.downloaded,
            report.assets,
            report.failed
        ));
    }
    for r in engine.local_records().await.unwrap() {
        if let Record::Asset(a) = r {
            let path = engine.asset_cache().path_of(&a.sha256);
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("asset {} missing at {}: {e}", a.name, path.display()))?;
            let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
            if digest != a.sha256 {
                return Err(format!("asset {} does not verify: {digest}", a.name));
            }
            tally.assets_verified += 1;
        }
    }

    let pool = hub.hub.sqlite_pool().expect("the test hub runs on SQLite");
    let entries = engine.outbox(10_000).await.unwrap();
    if entries.len() != tally.queued {
        return Err(format!("outbox holds {} entries, {} were queued", entries.len(), tally.queued));
    }
    for e in &entries {
        if e.state != EntryState::Applied {
            return Err(format!("mutation {} ended {:?}: {:?}", e.mutation.id, e.state, e.outcome));
        }
        let n = scalar(pool, &format!("SELECT COUNT(*) FROM notes WHERE id = '{}'", e.mutation.id)).await;
        if n != 1 {
            return Err(format!("mutation {} exists {n} times on the hub", e.mutation.id));
        }
    }
    let total = scalar(pool, "SELECT COUNT(*) FROM notes").await as usize;
    if total != tally.queued + tally.hub_side_notes {
        return Err(format!("hub has {total} notes, expected {}", tally.queued + tally.hub_side_notes));
    }
    let trainer = login(&hub.url(), "trainer").await;
    let remote = hub_view(&hub.url(), &trainer).await;
    let local: BTreeMap<(String, String), Record> = engine
        .local_records()
        .await
        .unwrap()
        .into_iter()
        .map(|r| ((r.kind().to_string(), r.id().to_string()), r))
        .collect();
    if local != remote {
        let only_local: Vec<_> = local.keys().filter(|k| !remote.contains_key(*k)).take(5).collect();
        let only_remote: Vec<_> = remote.keys().filter(|k| !local.contains_key(*k)).take(5).collect();
        let differ: Vec<_> = local
            .iter()
            .filter(|(k, v)| remote.get(*k).is_some_and(|r| r != *v))
            .map(|(k, _)| k)
            .take(5)
            .collect();
        return Err(format!(
            "local copy differs from the hub: only local {only_local:?}, only on hub {only_remote:?}, different {differ:?}"
        ));
    }
    Ok(tally)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutation_lands_once_and_the_local_copy_converges_under_faults() {
    // The hub logs why it answered 5xx; show that (and nothing chattier) next to the tally.
    let _ = tracing_subscriber::fmt().with_env_filter("fenduo_hub=error").with_test_writer().try_init();
    let seeds: Vec<u64> = match std::env::var("FENDUO_FAULT_SEED") {
        Ok(s) => vec![s.parse().expect("FENDUO_FAULT_SEED is a number")],
        Err(_) => {
            let runs: u64 =
                std::env::var("FENDUO_FAULT_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
            (1..=runs).collect()
        }
    };
    let started = Instant::now();
    let mut total = Tally::default();
    let mut failures = Vec::new();
    for &s in &seeds {
        match run(s).await {
            Ok(t) => {
                total.faults += t.faults;
                total.restarts += t.restarts;
                total.queued += t.queued;
                total.hub_side_notes += t.hub_side_notes;
                total.group_edits += t.group_edits;
                total.assets_verified += t.assets_verified;
                total.hub_5xx += t.hub_5xx;
            }
            Err(why) => {
                eprintln!("fault suite: seed {s} diverged: {why}");
                failures.push(s);
            }
        }
    }
    println!(
        "fault suite: {} runs in {:.1} s; {} faults injected ({} hub restarts); {} mutations queued on the command post, \
         {} written on the hub side, {} group edits; {} asset files verified; {} hub 5xx answers retried; {} divergent",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        total.faults,
        total.restarts,
        total.queued,
        total.hub_side_notes,
        total.group_edits,
        total.assets_verified,
        total.hub_5xx,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "seeds {failures:?} diverged; replay one with FENDUO_FAULT_SEED=<seed> cargo test -p fenduo-tests --test fault_suite -- --nocapture"
    );
}
