//! `fenduo-hub serve` — runs the central hub on its own.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use fenduo_hub::{seed, Hub, HubConfig};

const USAGE: &str = "\
fenduo-hub — the Fenduo central hub

USAGE:
    fenduo-hub serve [--db PATH] [--bind ADDR] [--demo-password PASSWORD]

OPTIONS:
    --db PATH                 SQLite database file (created if missing) [default: fenduo-hub.sqlite]
    --bind ADDR               address to listen on [default: 127.0.0.1:8710]
    --demo-password PASSWORD  seed the demo region (on an empty database) with this password for
                              every demo account, and move the demo session to now
";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut args = std::env::args().skip(1);
    let Some(cmd) = args.next() else {
        eprint!("{USAGE}");
        std::process::exit(2);
    };
    if cmd != "serve" {
        eprint!("unknown command {cmd:?}\n\n{USAGE}");
        std::process::exit(2);
    }
    let mut db = PathBuf::from("fenduo-hub.sqlite");
    let mut bind: SocketAddr = "127.0.0.1:8710".parse()?;
    let mut demo_password = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value\n\n{USAGE}"));
        match flag.as_str() {
            "--db" => db = PathBuf::from(value()?),
            "--bind" => bind = value()?.parse().context("--bind wants an address like 127.0.0.1:8710")?,
            "--demo-password" => demo_password = Some(value()?),
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            other => anyhow::bail!("unknown option {other:?}\n\n{USAGE}"),
        }
    }
    let hub = Hub::open(&db, HubConfig::default())
        .await
        .with_context(|| format!("could not open the hub database {}", db.display()))?;
    if let Some(password) = demo_password {
        seed::seed_demo(&hub, &password, chrono::Utc::now()).await?;
        tracing::info!("demo region seeded; log in as {} with the given password", seed::DEMO_COORDINATOR);
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("could not listen on {bind} (is another program using it?)"))?;
    tracing::info!("fenduo-hub listening on http://{}", listener.local_addr()?);
    hub.serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
