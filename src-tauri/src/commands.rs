//! Tauri commands: one-expression wrappers over the client engine.

use fenduo_proto::ipc::{AppInfo, AppMode, LoginForm, WallData, WallEvent};
use fenduo_proto::ApiError;
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::broadcast::error::RecvError;

use crate::AppCore;

type CmdResult<T> = Result<T, ApiError>;

fn err(e: fenduo_engine::EngineError) -> ApiError {
    e.to_api_error()
}

async fn info(core: &AppCore) -> CmdResult<AppInfo> {
    let login = core.engine.login_info();
    let hub_url = match &login {
        Some(l) => Some(l.hub_url.clone()),
        None => core.engine.last_hub_url().await.map_err(err)?,
    };
    Ok(AppInfo {
        mode: if core.demo.is_some() { AppMode::Demo } else { AppMode::Hub },
        version: env!("CARGO_PKG_VERSION").to_string(),
        hub_url,
        user: login.as_ref().map(|l| l.user.clone()),
        region: login.and_then(|l| l.region),
    })
}

#[tauri::command]
pub async fn app_info(core: State<'_, AppCore>) -> CmdResult<AppInfo> {
    info(&core).await
}

#[tauri::command]
pub async fn login(core: State<'_, AppCore>, form: LoginForm) -> CmdResult<AppInfo> {
    core.engine.login(&form.hub_url, &form.username, &form.password).await.map_err(err)?;
    info(&core).await
}

#[tauri::command]
pub async fn logout(core: State<'_, AppCore>) -> CmdResult<AppInfo> {
    core.engine.logout().await.map_err(err)?;
    info(&core).await
}

#[tauri::command]
pub async fn wall_data(core: State<'_, AppCore>) -> CmdResult<WallData> {
    core.engine.wall_data().await.map_err(err)
}

/// Streams wall events to the window until it subscribes again (a reload) or closes.
#[tauri::command]
pub async fn wall_subscribe(core: State<'_, AppCore>, on_event: Channel<WallEvent>) -> CmdResult<()> {
    let mut rx = core.engine.subscribe();
    let task = tauri::async_runtime::spawn(async move {
        loop {
            let event = match rx.recv().await {
                Ok(ev) => ev,
                // The window fell behind: have it reload everything rather than miss changes.
                Err(RecvError::Lagged(_)) => WallEvent::Reload,
                Err(RecvError::Closed) => return,
            };
            if on_event.send(event).is_err() {
                return;
            }
        }
    });
    if let Some(previous) = core.forwarder.lock().expect("forwarder lock").replace(task) {
        previous.abort();
    }
    Ok(())
}

/// Demo mode only: cut or restore the embedded hub's "network".
#[tauri::command]
pub async fn demo_set_online(core: State<'_, AppCore>, online: bool) -> CmdResult<()> {
    let demo = core.demo.as_ref().ok_or_else(|| ApiError {
        code: "not_demo".into(),
        message: "only the demo can cut its own hub".into(),
        field: None,
    })?;
    demo.set_online(online).await.map_err(|e| ApiError {
        code: "internal".into(),
        message: format!("{e:#}"),
        field: None,
    })?;
    if online {
        // Reconnect now rather than after the backoff.
        core.engine.start();
    }
    Ok(())
}
