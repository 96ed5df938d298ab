//! A hub that can be restarted on the same database mid-test, for the fault suite.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fenduo_hub::{seed, Hub, HubConfig};
use tempfile::TempDir;

use crate::PASSWORD;

pub struct RestartableHub {
    _dir: TempDir,
    path: PathBuf,
    pub hub: Arc<Hub>,
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

fn config() -> HubConfig {
    HubConfig { live_tick: Duration::from_millis(200), ..HubConfig::default() }
}

async fn serve(hub: Arc<Hub>) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = hub
            .serve(listener, async move {
                let _ = stopped.await;
            })
            .await;
    });
    (addr, stop, task)
}

impl RestartableHub {
    pub async fn seeded() -> RestartableHub {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("hub.sqlite");
        let hub = Arc::new(Hub::open(&path, config()).await.expect("hub opens"));
        seed::seed_demo(&hub, PASSWORD, chrono::Utc::now()).await.expect("demo seeds");
        let (addr, stop, task) = serve(hub.clone()).await;
        RestartableHub { _dir: dir, path, hub, addr, stop: Some(stop), task: Some(task) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving (open connections are closed) and starts again on the same database, on a
    /// new port; returns the new address.
    pub async fn restart(&mut self) -> SocketAddr {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            // Graceful shutdown waits for open requests; a stuck one is cut after a second.
            if tokio::time::timeout(Duration::from_secs(1), &mut task).await.is_err() {
                task.abort();
                tracing_note("hub shutdown took over a second; cut");
            }
        }
        self.hub = Arc::new(Hub::open(&self.path, config()).await.expect("hub reopens"));
        let (addr, stop, task) = serve(self.hub.clone()).await;
        self.addr = addr;
        self.stop = Some(stop);
        self.task = Some(task);
        addr
    }
}

fn tracing_note(msg: &str) {
    eprintln!("fault suite: {msg}");
}

impl Drop for RestartableHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
