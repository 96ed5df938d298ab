//! The Fenduo command post: a thin Tauri shell over the client engine.
//!
//! Start-up picks the data folder (`FENDUO_DATA_DIR`, else the OS app-data folder), opens the
//! engine there and, in demo mode (`--demo` or `FENDUO_DEMO=1`), starts an embedded hub with
//! the simulator and logs in to it. Everything else lives in the Tauri-free crates.

#![forbid(unsafe_code)]

mod commands;
mod demo;
mod notify;

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;
use fenduo_engine::Engine;
use fenduo_proto::ipc::ConnectionState;
use tauri::Manager;

/// What the commands share.
pub struct AppCore {
    pub engine: Engine,
    pub demo: Option<demo::DemoHub>,
    /// The task forwarding engine events to the window's channel.
    pub forwarder: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

fn demo_requested() -> bool {
    std::env::args().any(|a| a == "--demo")
        || std::env::var("FENDUO_DEMO").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

fn data_dir(app: &tauri::App) -> anyhow::Result<PathBuf> {
    match std::env::var_os("FENDUO_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => app.path().app_data_dir().context("the system has no app-data folder; set FENDUO_DATA_DIR"),
    }
}

async fn start_core(dir: PathBuf, demo: bool) -> anyhow::Result<AppCore> {
    let engine = Engine::open(&dir)
        .await
        .with_context(|| format!("cannot open the local store in {}", dir.display()))?;
    let demo = if demo {
        let hub = demo::start(&dir).await?;
        engine
            .login(&hub.url, fenduo_hub::seed::DEMO_COORDINATOR, &hub.password)
            .await
            .context("cannot log in to the demo hub")?;
        Some(hub)
    } else {
        engine.start();
        None
    };
    watch_connection(&engine);
    Ok(AppCore { engine, demo, forwarder: Mutex::new(None) })
}

/// A wall PC may be unattended: tell the desktop when the hub is lost and when it is back.
fn watch_connection(engine: &Engine) {
    let mut rx = engine.watch_connection();
    tokio::spawn(async move {
        let mut was_offline = false;
        while rx.changed().await.is_ok() {
            let state = rx.borrow_and_update().state;
            match state {
                ConnectionState::Offline if !was_offline => {
                    was_offline = true;
                    notify::show(
                        "与总部连接中断 Hub connection lost",
                        "大屏显示最后收到的数据。Showing the last data received.",
                    );
                }
                ConnectionState::Online if was_offline => {
                    was_offline = false;
                    notify::show("已重新连接总部 Hub reconnected", "数据恢复实时更新。Live data resumed.");
                }
                _ => {}
            }
        }
    });
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tao=warn,wry=warn".into()),
        )
        .init();
    let demo = demo_requested();
    let result = tauri::Builder::default()
        .setup(move |app| {
            let dir = data_dir(app)?;
            tracing::info!(dir = %dir.display(), demo, "starting the command post");
            let core = tauri::async_runtime::block_on(start_core(dir, demo))?;
            app.manage(core);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::login,
            commands::logout,
            commands::wall_data,
            commands::wall_subscribe,
            commands::demo_set_online,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("Fenduo could not start: {e:#}");
        std::process::exit(1);
    }
}
