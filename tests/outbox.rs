//! The outbox: changes made while the hub is unreachable are kept across restarts, sent in
//! order when it returns, and applied exactly once even when the hub's answer is lost.

use std::time::Duration;

use fenduo_engine::outbox::EntryState;
use fenduo_engine::Engine;
use fenduo_hub::seed;
use fenduo_proto::MutationOp;
use fenduo_tests::{scalar, FaultProxy, ProxyMode, TestHub, PASSWORD};

fn note(text: &str) -> MutationOp {
    MutationOp::AddNote {
        session_id: seed::DEMO_SESSION_ID.into(),
        at: chrono::Utc::now(),
        group_id: None,
        text: text.into(),
    }
}

async fn hub_notes(hub: &TestHub) -> Vec<String> {
    sqlx::query_scalar("SELECT text FROM notes ORDER BY id")
        .fetch_all(hub.hub.sqlite_pool().expect("the test hub runs on SQLite"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_offline_survive_a_restart_and_are_sent_once_in_order() {
    let hub = TestHub::seeded().await;
    let proxy = FaultProxy::start(hub.addr).await;
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).await.unwrap();
    engine.login(&proxy.url(), "trainer", PASSWORD).await.unwrap();
    engine.stop();

    proxy.set(ProxyMode::Offline);
    for text in ["第一条：开场偏慢", "第二条：福利讲得清楚", "第三条：收尾提醒回放"]
    {
        engine.submit(note(text)).await.unwrap();
    }
    assert!(engine.flush_outbox().await.is_err(), "the hub is unreachable");
    assert_eq!(engine.connection().pending_actions, 3);
    let ids: Vec<String> = engine.outbox(10).await.unwrap().into_iter().map(|e| e.mutation.id).collect();
    drop(engine);

    // The app restarts while still offline: nothing is lost, the ids are the same.
    let engine = Engine::open(data.path()).await.unwrap();
    assert_eq!(engine.connection().pending_actions, 3);
    let again: Vec<String> = engine.outbox(10).await.unwrap().into_iter().map(|e| e.mutation.id).collect();
    assert_eq!(ids, again);
    assert!(hub_notes(&hub).await.is_empty());

    // The cable is back: the background sender delivers them without being asked.
    proxy.set(ProxyMode::Online);
    engine.start();
    let mut conn = engine.watch_connection();
    tokio::time::timeout(Duration::from_secs(20), conn.wait_for(|c| c.pending_actions == 0))
        .await
        .expect("sent within 20 s")
        .unwrap();
    assert_eq!(hub_notes(&hub).await, ["第一条：开场偏慢", "第二条：福利讲得清楚", "第三条：收尾提醒回放"]);
    let entries = engine.outbox(10).await.unwrap();
    assert!(entries.iter().all(|e| e.state == EntryState::Applied));
    let local_notes = engine.wall_data().await.unwrap();
    drop(local_notes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_retried_with_the_same_id_and_applied_once() {
    let hub = TestHub::seeded().await;
    let proxy = FaultProxy::start(hub.addr).await;
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).await.unwrap();
    engine.login(&proxy.url(), "trainer", PASSWORD).await.unwrap();
    engine.stop();

    engine.submit(note("答复丢失也只记一次")).await.unwrap();
    proxy.set(ProxyMode::CutResponses);
    assert!(engine.flush_outbox().await.is_err(), "the answer never arrives");
    // The hub did apply it.
    assert_eq!(hub_notes(&hub).await.len(), 1);
    assert_eq!(engine.connection().pending_actions, 1);

    proxy.set(ProxyMode::Online);
    assert_eq!(engine.flush_outbox().await.unwrap(), 1);
    assert_eq!(hub_notes(&hub).await.len(), 1, "the retry was recognised, not applied again");
    assert_eq!(engine.connection().pending_actions, 0);
    let entry = &engine.outbox(1).await.unwrap()[0];
    assert_eq!(entry.state, EntryState::Applied);
    assert!(entry.attempts >= 2);
    assert_eq!(
        scalar(hub.hub.sqlite_pool().expect("the test hub runs on SQLite"), "SELECT COUNT(*) FROM mutations")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_leaves_the_queue_with_the_hubs_reason() {
    let hub = TestHub::seeded().await;
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path()).await.unwrap();
    // A distributor may not write notes: the hub refuses for good, the outbox does not retry.
    engine.login(&hub.url(), "dist01", PASSWORD).await.unwrap();
    engine.stop();
    engine.submit(note("经销商不能写备注")).await.unwrap();
    engine.submit(note("第二条同样被拒")).await.unwrap();
    assert_eq!(engine.flush_outbox().await.unwrap(), 2);
    assert_eq!(engine.connection().pending_actions, 0);
    let entries = engine.outbox(10).await.unwrap();
    assert!(entries.iter().all(|e| e.state == EntryState::Refused));
    let outcome = serde_json::to_value(entries[0].outcome.as_ref().unwrap()).unwrap();
    assert_eq!(outcome["error"]["code"], "forbidden");
}
