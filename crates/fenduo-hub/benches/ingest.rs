//! Metric ingest throughput: the real HTTP endpoint (JSON parse, validation, SQLite transaction,
//! live fan-out) against a raw batched SQLite upsert of the same rows, in the same run.
//!
//! `cargo bench -p fenduo-hub --bench ingest` (options: `-- --groups 2000 --rounds 50 --clients 2`).
//! Prints samples/s for both and their ratio. It asserts nothing about speed.

use std::time::{Duration, Instant};

use chrono::Utc;
use fenduo_hub::{seed, Hub, HubConfig};
use fenduo_proto::{Group, MetricSample, Region, Role, User};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn batch(groups: &[Group], round: usize, start: chrono::DateTime<Utc>) -> Vec<MetricSample> {
    let at = start + chrono::Duration::seconds(round as i64);
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| MetricSample {
            group_id: g.id.clone(),
            at,
            watching: ((i + round) % 90) as i64,
            messages_per_min: ((i * 7 + round) % 40) as i64,
            orders: round as i64,
            gmv_fen: round as i64 * 99_900,
        })
        .collect()
}

const PASSWORD: &str = "bench-password";

/// A region with `n` groups, an ingest account and a live session.
async fn setup(hub: &Hub, n: usize) -> (Vec<Group>, fenduo_proto::Session) {
    let region = Region { id: "bench".into(), name: "压测大区".into() };
    hub.upsert_region(&region).await.unwrap();
    let dist = User {
        id: "d1".into(),
        username: "d1".into(),
        display_name: "经销商".into(),
        role: Role::Distributor,
        region_id: Some(region.id.clone()),
    };
    hub.create_user(&dist, PASSWORD).await.unwrap();
    let ingest_user = User {
        id: "sim".into(),
        username: "sim".into(),
        display_name: "接口".into(),
        role: Role::Admin,
        region_id: None,
    };
    hub.create_user(&ingest_user, PASSWORD).await.unwrap();
    let groups: Vec<Group> = (0..n)
        .map(|i| Group {
            id: format!("{}", 1_688_850_000_000_000_000u64 + i as u64),
            region_id: region.id.clone(),
            name: format!("压测{i}群"),
            leader_name: "群主".into(),
            ops_officer: "运营官".into(),
            atmosphere_officer: "气氛官".into(),
            member_count: 80,
            distributor_id: dist.id.clone(),
            distributor_name: dist.display_name.clone(),
        })
        .collect();
    hub.upsert_groups(&groups).await.unwrap();
    let (session, stages) = seed::demo_session(Utc::now(), 30);
    hub.upsert_session(&session, &stages).await.unwrap();
    (groups, session)
}

#[tokio::main]
async fn main() {
    let n_groups = arg("--groups", 2000);
    let rounds = arg("--rounds", 50);
    let clients = arg("--clients", 2).max(1);
    let dir = tempfile::tempdir().unwrap();
    let hub = Hub::open(&dir.path().join("hub.sqlite"), HubConfig::default()).await.unwrap();
    let (groups, session) = setup(&hub, n_groups).await;
    let password = PASSWORD;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = hub.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let http_client = reqwest::Client::new();
    let login: fenduo_proto::LoginResponse = http_client
        .post(format!("{url}/api/v1/login"))
        .json(&serde_json::json!({"username": "sim", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Serialise every batch before timing: the client's JSON work would otherwise take CPU from
    // the hub on the same two cores, and only the hub is measured.
    let start = Utc::now() - chrono::Duration::minutes(5);
    let batches: Vec<Vec<MetricSample>> = (0..rounds).map(|r| batch(&groups, r, start)).collect();
    let bodies: Vec<Vec<u8>> = batches
        .iter()
        .map(|b| serde_json::to_vec(&fenduo_proto::MetricBatch { samples: b.clone() }).unwrap())
        .collect();
    let total = n_groups * rounds;

    let t = Instant::now();
    let mut handles = Vec::new();
    for c in 0..clients {
        let mine: Vec<Vec<u8>> = bodies.iter().skip(c).step_by(clients).cloned().collect();
        let (client, url, token) = (http_client.clone(), url.clone(), login.token.clone());
        handles.push(tokio::spawn(async move {
            for body in mine {
                let resp = client
                    .post(format!("{url}/api/v1/metrics"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(resp.status().is_success(), "{}", resp.status());
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let http = t.elapsed();

    // Baseline: the same rows upserted straight into a fresh database of the same schema, in
    // the same multi-row statements, one transaction per batch; no HTTP, JSON or validation.
    let raw_dir = tempfile::tempdir().unwrap();
    let raw_hub = Hub::open(&raw_dir.path().join("raw.sqlite"), HubConfig::default()).await.unwrap();
    setup(&raw_hub, n_groups).await;
    let raw = raw_hub.sqlite_pool().expect("the bench runs on SQLite");
    let t = Instant::now();
    for b in &batches {
        let mut tx = raw.begin().await.unwrap();
        for chunk in b.chunks(500) {
            let sql = format!(
                "INSERT INTO group_status (session_id, group_id, at, watching, messages_per_min, orders, gmv_fen) \
                 VALUES {} ON CONFLICT(session_id, group_id) DO UPDATE SET at = excluded.at, \
                 watching = excluded.watching, messages_per_min = excluded.messages_per_min, \
                 orders = excluded.orders, gmv_fen = excluded.gmv_fen",
                fenduo_hub::store::sqlite::placeholders(chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q
                    .bind(&session.id)
                    .bind(&s.group_id)
                    .bind(fenduo_hub::store::ts(s.at))
                    .bind(s.watching)
                    .bind(s.messages_per_min)
                    .bind(s.orders)
                    .bind(s.gmv_fen);
            }
            q.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let raw_time = t.elapsed();

    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    println!(
        "ingest benchmark: {n_groups} groups × {rounds} rounds = {total} samples, {clients} HTTP clients"
    );
    println!("  HTTP ingest : {:>10.0} samples/s ({:.2} s)", rate(http), http.as_secs_f64());
    println!("  raw SQLite  : {:>10.0} samples/s ({:.2} s)", rate(raw_time), raw_time.as_secs_f64());
    println!("  ratio HTTP/raw: {:.2} (goal ≥ 0.50; goal ≥ 50,000 samples/s)", rate(http) / rate(raw_time));
}
