//! Demo mode: an embedded hub on loopback with the seeded region and the simulator driving it,
//! so the command post runs on a fresh machine with no server to install. The app then logs in
//! to it like to any other hub.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use fenduo_hub::{seed, Hub, HubConfig};
use rand::RngCore;

pub struct DemoHub {
    pub url: String,
    pub password: String,
    hub: Arc<Hub>,
    addr: SocketAddr,
    /// The running server (its stop signal and task); `None` while the network is "cut".
    serving: tokio::sync::Mutex<Option<Serving>>,
    stop_sim: tokio::sync::watch::Sender<bool>,
}

type Serving = (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>);

impl Drop for DemoHub {
    fn drop(&mut self) {
        let _ = self.stop_sim.send(true);
        if let Some((stop, _)) = self.serving.get_mut().take() {
            let _ = stop.send(());
        }
    }
}

fn serve(hub: Arc<Hub>, listener: tokio::net::TcpListener) -> Serving {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let result = hub
            .serve(listener, async move {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "demo hub stopped");
        }
    });
    (stop, task)
}

impl DemoHub {
    /// Demo only: stops the embedded hub (as if the hall's network were cut) or starts it again
    /// on the same address, so the command post sees a real outage and a real recovery.
    pub async fn set_online(&self, online: bool) -> anyhow::Result<()> {
        let mut serving = self.serving.lock().await;
        match (online, serving.is_some()) {
            (true, false) => {
                // The port was ours a moment ago; give the OS a few tries to release it.
                let mut last = None;
                for _ in 0..20 {
                    match tokio::net::TcpListener::bind(self.addr).await {
                        Ok(listener) => {
                            *serving = Some(serve(self.hub.clone(), listener));
                            tracing::info!(url = %self.url, "demo hub back online");
                            return Ok(());
                        }
                        Err(e) => last = Some(e),
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(anyhow::anyhow!("cannot reopen {}: {:?}", self.addr, last))
            }
            (false, true) => {
                let (stop, task) = serving.take().expect("serving");
                let _ = stop.send(());
                if tokio::time::timeout(Duration::from_secs(3), task).await.is_err() {
                    tracing::warn!("demo hub took over 3 s to stop");
                }
                tracing::info!("demo hub stopped: network cut simulated");
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The demo accounts' password: made once per data folder, kept beside the hub's database.
fn demo_password(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join("demo-password.txt");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing.trim().len() >= 8 {
            return Ok(existing.trim().to_string());
        }
    }
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, &password).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(password)
}

pub async fn start(data_dir: &Path) -> anyhow::Result<DemoHub> {
    let dir = data_dir.join("demo-hub");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let password = demo_password(&dir)?;
    let hub = Hub::open(&dir.join("hub.sqlite"), HubConfig::default())
        .await
        .context("cannot open the demo hub's database")?;
    seed::seed_demo(&hub, &password, chrono::Utc::now()).await.context("cannot seed the demo region")?;
    let listener =
        tokio::net::TcpListener::bind("127.0.0.1:0").await.context("cannot open a loopback port")?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    tracing::info!(%url, "demo hub listening");
    let hub = Arc::new(hub);
    let serving = serve(hub.clone(), listener);
    let (stop_sim, sim_stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(fenduo_sim::run(
        url.clone(),
        seed::DEMO_SIMULATOR.into(),
        password.clone(),
        seed::DemoSpec::load().seed,
        Duration::from_secs(1),
        sim_stopped,
    ));
    Ok(DemoHub { url, password, hub, addr, serving: tokio::sync::Mutex::new(Some(serving)), stop_sim })
}
