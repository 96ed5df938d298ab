//! The outbox: changes made while the hub is unreachable are kept across restarts, sent in
//! order when it returns, and applied exactly once even when the hub's answer is lost.

use std::net::SocketAddr;
use std::time::Duration;

use fenduo_engine::outbox::EntryState;
use fenduo_engine::{Engine, EngineError};
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
    let (engine, data) = fenduo_tests::engine_driven_by_test(&proxy.url(), "trainer").await;

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
    let (engine, _data) = fenduo_tests::engine_driven_by_test(&proxy.url(), "trainer").await;

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

/// (text, author username) of every note the hub stored, oldest first.
async fn hub_notes_by(hub: &TestHub) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT notes.text, users.username FROM notes JOIN users ON users.id = notes.author_id \
         ORDER BY notes.id",
    )
    .fetch_all(hub.hub.sqlite_pool().expect("the test hub runs on SQLite"))
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_queued_by_one_user_is_not_sent_under_anothers_login() {
    let hub = TestHub::seeded().await;
    let proxy = FaultProxy::start(hub.addr).await;
    let (engine, data) = fenduo_tests::engine_driven_by_test(&proxy.url(), "trainer").await;

    proxy.set(ProxyMode::Offline);
    engine.submit(note("培训师离线时写的备注")).await.unwrap();
    assert!(engine.flush_outbox().await.is_err(), "the hub is unreachable");
    assert_eq!(engine.connection().pending_actions, 1);
    engine.logout().await.unwrap();
    assert_eq!(engine.connection().pending_actions, 0, "nobody's actions wait while logged out");
    assert!(matches!(engine.submit(note("没有登录")).await, Err(EngineError::NotLoggedIn)));
    proxy.set(ProxyMode::Online);

    // Another user with the right to write notes, and one without: neither sends it.
    for user in ["coord", "dist01"] {
        engine.login(&proxy.url(), user, PASSWORD).await.unwrap();
        engine.stop();
        assert_eq!(engine.connection().pending_actions, 0, "{user}");
        assert_eq!(engine.flush_outbox().await.unwrap(), 0, "{user}");
        assert_eq!(engine.connection().pending_actions, 0, "{user}");
        assert!(hub_notes(&hub).await.is_empty(), "{user}");
        engine.logout().await.unwrap();
    }
    let entries = engine.outbox(10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].state, EntryState::Pending, "not refused under dist01's login");

    // It survives a restart too, and the trainer's next login sends it, once, as the trainer.
    drop(engine);
    let engine = Engine::open(data.path()).await.unwrap();
    assert_eq!(engine.connection().pending_actions, 0);
    engine.login(&proxy.url(), "trainer", PASSWORD).await.unwrap();
    engine.stop();
    assert_eq!(engine.connection().pending_actions, 1);
    assert_eq!(engine.flush_outbox().await.unwrap(), 1);
    assert_eq!(engine.flush_outbox().await.unwrap(), 0);
    assert_eq!(engine.connection().pending_actions, 0);
    assert_eq!(hub_notes_by(&hub).await, [("培训师离线时写的备注".to_string(), "trainer".to_string())]);
    assert_eq!(engine.outbox(10).await.unwrap()[0].state, EntryState::Applied);
}

/// A front for the hub that answers a mutation request whose body is over `limit` bytes with a
/// plain-text `status` of its own, as the hub's body-size limit (or a reverse proxy's) does, and
/// passes every other request through. One request per connection (`Connection: close` is added),
/// so that each request is looked at.
async fn size_limited_front(hub: SocketAddr, limit: usize, status: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                let end = loop {
                    if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                };
                let text = String::from_utf8_lossy(&head[..end]).to_string();
                let length: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                    })
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if text.starts_with("POST /api/v1/mutations ") && length > limit {
                    let body = "length limit exceeded";
                    let answer = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = client.write_all(answer.as_bytes()).await;
                    let _ = client.shutdown().await;
                    return;
                }
                let Ok(mut server) = tokio::net::TcpStream::connect(hub).await else { return };
                let first_line = text.find("\r\n").unwrap() + 2;
                let mut forwarded = head[..first_line].to_vec();
                forwarded.extend_from_slice(b"connection: close\r\n");
                forwarded.extend_from_slice(&head[first_line..]);
                if server.write_all(&forwarded).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    format!("http://{addr}")
}

fn big_note() -> MutationOp {
    // Valid for the engine (3000 characters) but over the front's 8 KiB limit in UTF-8.
    note(&"超".repeat(3000))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_the_hub_refuses_as_too_large_leaves_the_queue_and_the_next_one_is_sent() {
    let hub = TestHub::seeded().await;
    let url = size_limited_front(hub.addr, 8 * 1024, "413 Payload Too Large").await;
    let (engine, _data) = fenduo_tests::engine_driven_by_test(&url, "trainer").await;

    engine.submit(big_note()).await.unwrap();
    engine.submit(note("正常的一条")).await.unwrap();
    assert_eq!(engine.connection().pending_actions, 2);
    assert_eq!(engine.flush_outbox().await.unwrap(), 2, "both answered: one refused, one applied");
    assert_eq!(engine.connection().pending_actions, 0);
    assert_eq!(hub_notes(&hub).await, ["正常的一条"]);

    let entries = engine.outbox(10).await.unwrap(); // newest first
    assert_eq!(entries[0].state, EntryState::Applied);
    let refused = &entries[1];
    assert_eq!(refused.state, EntryState::Refused);
    let outcome = serde_json::to_value(refused.outcome.as_ref().unwrap()).unwrap();
    assert_eq!(outcome["error"]["code"], "too_large");
    let message = outcome["error"]["message"].as_str().unwrap();
    assert!(message.contains("413") && message.contains("length limit exceeded"), "{message}");
    assert_eq!(engine.flush_outbox().await.unwrap(), 0, "nothing is left to send");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_whole_batch_error_keeps_every_entry_pending() {
    let hub = TestHub::seeded().await;
    let url = size_limited_front(hub.addr, 8 * 1024, "503 Service Unavailable").await;
    let (engine, _data) = fenduo_tests::engine_driven_by_test(&url, "trainer").await;

    engine.submit(big_note()).await.unwrap();
    engine.submit(note("正常的一条")).await.unwrap();
    let err = engine.flush_outbox().await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(engine.connection().pending_actions, 2);
    let entries = engine.outbox(10).await.unwrap();
    assert!(entries.iter().all(|e| e.state == EntryState::Pending && e.attempts == 1));
    assert!(hub_notes(&hub).await.is_empty());
}
