//! The first slice through every layer below the window: a seeded hub, samples ingested through
//! the public API, and the client engine receiving the matching status over the live WebSocket.

use std::time::Duration;

use fenduo_engine::Engine;
use fenduo_hub::seed::{self, DemoSpec};
use fenduo_proto::ipc::{ConnectionState, WallEvent};
use fenduo_proto::MetricSample;
use fenduo_sim::HubApi;
use fenduo_tests::{TestHub, PASSWORD};

async fn next_statuses(rx: &mut tokio::sync::broadcast::Receiver<WallEvent>, group_id: &str, orders: u32) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the matching status arrives within 10 s")
            .expect("event channel open");
        if let WallEvent::Statuses { statuses } | WallEvent::Snapshot { statuses } = ev {
            if statuses.iter().any(|s| s.group_id == group_id && s.orders == orders) {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_syncs_the_seeded_region_and_receives_ingested_statuses_live() {
    let hub = TestHub::seeded().await;
    let spec = DemoSpec::load();
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).await.unwrap();
    let mut events = engine.subscribe();

    let login = engine.login(&hub.url(), seed::DEMO_COORDINATOR, PASSWORD).await.unwrap();
    assert_eq!(login.region.as_ref().map(|r| r.name.as_str()), Some(spec.region.as_str()));

    // The background loop syncs and opens the live stream; wait until it is online.
    let mut conn = engine.watch_connection();
    tokio::time::timeout(Duration::from_secs(10), conn.wait_for(|c| c.state == ConnectionState::Online))
        .await
        .expect("online within 10 s")
        .unwrap();
    let wall = engine.wall_data().await.unwrap();
    assert_eq!(wall.groups.len(), spec.groups);
    let session = wall.session.clone().expect("the live session synced");
    assert_eq!(session.id, seed::DEMO_SESSION_ID);
    assert_eq!(wall.stages.len(), 8);

    // The live platform (here the simulator's API client) sends figures for two groups.
    let api = HubApi::login(&hub.url(), seed::DEMO_SIMULATOR, PASSWORD).await.unwrap();
    let now = chrono::Utc::now();
    let a = &wall.groups[0];
    let b = &wall.groups[1];
    let sample = |g: &fenduo_proto::Group, orders: i64| MetricSample {
        group_id: g.id.clone(),
        at: now,
        watching: 41,
        messages_per_min: 12,
        orders,
        gmv_fen: orders * 99_900,
    };
    let report = api.send(vec![sample(a, 17), sample(b, 3)]).await.unwrap();
    assert_eq!(report.accepted, 2);
    next_statuses(&mut events, &a.id, 17).await;

    // The local copy holds it too, so the wall survives a restart or a dropped network.
    let wall = engine.wall_data().await.unwrap();
    let status = wall.statuses.iter().find(|s| s.group_id == a.id).expect("status stored locally");
    assert_eq!(
        (status.watching, status.messages_per_min, status.orders, status.gmv_fen),
        (41, 12, 17, 17 * 99_900)
    );
    drop(engine);
    let reopened = Engine::open(data.path()).await.unwrap();
    let wall = reopened.wall_data().await.unwrap();
    assert_eq!(wall.groups.len(), spec.groups);
    assert!(wall.statuses.iter().any(|s| s.group_id == a.id && s.orders == 17));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_distributor_sees_only_their_own_groups() {
    let hub = TestHub::seeded().await;
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).await.unwrap();
    let login = engine.login(&hub.url(), "dist03", PASSWORD).await.unwrap();
    engine.stop();
    engine.sync_once().await.unwrap();
    let wall = engine.wall_data().await.unwrap();
    let spec = DemoSpec::load();
    assert_eq!(wall.groups.len(), spec.groups / spec.distributors);
    assert!(wall.groups.iter().all(|g| g.distributor_id == login.user.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_keeps_the_last_data_and_reports_offline_when_the_hub_goes_away() {
    let hub = TestHub::seeded().await;
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).await.unwrap();
    engine.login(&hub.url(), seed::DEMO_COORDINATOR, PASSWORD).await.unwrap();
    let mut conn = engine.watch_connection();
    tokio::time::timeout(Duration::from_secs(10), conn.wait_for(|c| c.state == ConnectionState::Online))
        .await
        .unwrap()
        .unwrap();
    drop(hub);
    tokio::time::timeout(Duration::from_secs(60), conn.wait_for(|c| c.state != ConnectionState::Online))
        .await
        .expect("the loss is noticed")
        .unwrap();
    let wall = engine.wall_data().await.unwrap();
    assert_eq!(wall.groups.len(), DemoSpec::load().groups, "last data is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_bad_hub_address_are_refused_clearly() {
    let hub = TestHub::seeded().await;
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).await.unwrap();
    let e = engine.login(&hub.url(), seed::DEMO_COORDINATOR, "nope").await.unwrap_err();
    assert_eq!(e.to_api_error().code, "bad_credentials");
    let e = engine.login("ftp://x", "a", "b").await.unwrap_err();
    assert_eq!(e.to_api_error().code, "invalid_hub_url");
    let e = engine.login("127.0.0.1:1", "a", "b").await.unwrap_err();
    assert_eq!(e.to_api_error().code, "hub_unreachable");
    assert!(engine.login_info().is_none());
}
