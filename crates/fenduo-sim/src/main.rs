//! `fenduo-sim HUB_URL USERNAME PASSWORD` — drives a hub's live session with realistic metrics.

use std::time::Duration;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, user, password] = args.as_slice() else {
        eprintln!("usage: fenduo-sim HUB_URL USERNAME PASSWORD\n  e.g. fenduo-sim http://127.0.0.1:8710 sim 'the demo password'");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        fenduo_sim::run(url.clone(), user.clone(), password.clone(), 1, Duration::from_secs(1), stop_rx)
            .await;
    });
    Ok(())
}
