//! Helpers for the cross-crate tests: a real hub on a loopback port with a temporary SQLite file.

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
