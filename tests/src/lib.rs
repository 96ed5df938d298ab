//! Helpers for the cross-crate tests: a real hub on a loopback port with a temporary SQLite file.

pub mod fault;

use std::net::SocketAddr;
use std::time::Duration;

use fenduo_hub::{seed, Hub, HubConfig};
use tempfile::TempDir;

pub const PASSWORD: &str = "test-password-1";

pub struct TestHub {
    pub hub: std::sync::Arc<Hub>,
    pub addr: SocketAddr,
    pub dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestHub {
    /// A hub seeded with the demo region, serving on `127.0.0.1:0`.
    pub async fn seeded() -> TestHub {
        TestHub::seeded_with(HubConfig::default()).await
    }

    /// Like [`TestHub::seeded`], with some settings changed (the live tick is always fast).
    pub async fn seeded_with(config: HubConfig) -> TestHub {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = HubConfig { live_tick: Duration::from_millis(200), ..config };
        let hub = Hub::open(&dir.path().join("hub.sqlite"), config).await.expect("hub opens");
        seed::seed_demo(&hub, PASSWORD, chrono::Utc::now()).await.expect("demo seeds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let hub = std::sync::Arc::new(hub);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = hub.clone();
        tokio::spawn(async move {
            serving
                .serve(listener, async move {
                    let _ = stopped.await;
                })
                .await
                .expect("hub serves");
        });
        TestHub { hub, addr, dir, stop: Some(stop) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One integer from an SQL query, for assertions on what was stored.
pub async fn scalar(pool: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect("query runs")
}

/// How the [`FaultProxy`] treats connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Pass bytes both ways.
    Online,
    /// Accept and close at once, and cut every open connection: the cable is pulled.
    Offline,
    /// Pass requests to the hub but never return its answers: the hub commits, the client
    /// sees a dropped connection.
    CutResponses,
    /// Hold every new connection for a moment before passing bytes: a slow, congested link.
    Stall,
}

/// A TCP proxy between a client and the hub that can pull the cable or lose answers.
pub struct FaultProxy {
    pub addr: SocketAddr,
    target: std::sync::Arc<std::sync::Mutex<SocketAddr>>,
    mode: std::sync::Arc<std::sync::Mutex<ProxyMode>>,
    generation: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(target: SocketAddr) -> FaultProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let mode = std::sync::Arc::new(std::sync::Mutex::new(ProxyMode::Online));
        let generation = std::sync::Arc::new(tokio::sync::watch::channel(0u64).0);
        let target = std::sync::Arc::new(std::sync::Mutex::new(target));
        let (m, g, t) = (mode.clone(), generation.clone(), target.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                let mode = *m.lock().expect("mode lock");
                if mode == ProxyMode::Offline {
                    drop(client);
                    continue;
                }
                let cut = g.subscribe();
                let to = *t.lock().expect("target lock");
                tokio::spawn(pipe(client, to, mode, cut));
            }
        });
        FaultProxy { addr, target, mode, generation, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Points the proxy at a restarted hub; open connections are cut.
    pub fn retarget(&self, target: SocketAddr) {
        *self.target.lock().expect("target lock") = target;
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn mode(&self) -> ProxyMode {
        *self.mode.lock().expect("mode lock")
    }

    /// Changes the mode; every open connection is cut so the new mode applies at once.
    pub fn set(&self, mode: ProxyMode) {
        *self.mode.lock().expect("mode lock") = mode;
        self.generation.send_modify(|g| *g += 1);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pipe(
    mut client: tokio::net::TcpStream,
    target: SocketAddr,
    mode: ProxyMode,
    mut cut: tokio::sync::watch::Receiver<u64>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if mode == ProxyMode::Stall {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else { return };
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let up = tokio::io::copy(&mut cr, &mut sw);
    let down = async {
        if mode == ProxyMode::CutResponses {
            // Read the hub's answer, throw it away, and hang up on the client.
            let mut buf = [0u8; 4096];
            let _ = sr.read(&mut buf).await;
            let _ = cw.shutdown().await;
            Ok(0)
        } else {
            tokio::io::copy(&mut sr, &mut cw).await
        }
    };
    tokio::select! {
        _ = async { tokio::join!(up, down) } => {}
        _ = cut.changed() => {}
    }
}

/// Clears the demo session's real start (it stays live), as if HQ had not marked it yet.
pub async fn unmark_demo_start(hub: &Hub) {
    let (mut session, stages) = seed::demo_session(chrono::Utc::now(), seed::DEMO_MINUTES_IN);
    session.actual_start = None;
    hub.upsert_session(&session, &stages).await.expect("session saved");
}

/// A real-world roster export from `tests/fixtures/roster/` (see its README for what each one is).
pub fn roster_case(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/roster/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read the roster case {path}: {e}"))
}

/// Logs `user` in to the hub at `url` with the test password and returns the bearer token.
pub async fn login_token(url: &str, user: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{url}/api/v1/login"))
        .json(&serde_json::json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .expect("the hub answers");
    assert!(resp.status().is_success(), "login as {user} failed: {}", resp.status());
    let body: fenduo_proto::LoginResponse = resp.json().await.expect("a login response");
    body.token
}

/// A client engine in a fresh data folder, logged in to `url` as `user` and stopped, so a test
/// drives sync and the outbox step by step. Keep the folder alive as long as the engine.
pub async fn engine_driven_by_test(url: &str, user: &str) -> (fenduo_engine::Engine, TempDir) {
    let data = tempfile::tempdir().expect("temp dir");
    let engine = fenduo_engine::Engine::open(data.path()).await.expect("engine opens");
    engine.login(url, user, PASSWORD).await.expect("login");
    engine.stop();
    (engine, data)
}
