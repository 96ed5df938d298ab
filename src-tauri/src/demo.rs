//! Demo mode: an embedded hub on loopback with the seeded region and the simulator driving it,
//! so the command post runs on a fresh machine with no server to install. The app then logs in
//! to it like to any other hub.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use fenduo_hub::{seed, Hub, HubConfig};
use rand::RngCore;

pub struct DemoHub {
    pub url: String,
    pub password: String,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for DemoHub {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
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
    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!(%url, "demo hub listening");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut hub_stop = stopped.clone();
    tokio::spawn(async move {
        let result = hub
            .serve(listener, async move {
                let _ = hub_stop.wait_for(|s| *s).await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "demo hub stopped");
        }
    });
    tokio::spawn(fenduo_sim::run(
        url.clone(),
        seed::DEMO_SIMULATOR.into(),
        password.clone(),
        seed::DemoSpec::load().seed,
        Duration::from_secs(1),
        stopped,
    ));
    Ok(DemoHub { url, password, stop })
}
