//! Desktop notifications. A machine with no notification service keeps working and says so
//! once in the log.

use std::sync::atomic::{AtomicBool, Ordering};

static UNAVAILABLE_REPORTED: AtomicBool = AtomicBool::new(false);

pub fn show(summary: &str, body: &str) {
    let summary = summary.to_string();
    let body = body.to_string();
    // notify-rust talks D-Bus synchronously; keep it off the async workers.
    std::thread::spawn(move || {
        let result =
            notify_rust::Notification::new().appname("Fenduo 分舵").summary(&summary).body(&body).show();
        if let Err(e) = result {
            if !UNAVAILABLE_REPORTED.swap(true, Ordering::Relaxed) {
                tracing::warn!(error = %e, "no desktop notification service; notifications are only shown in the window");
            }
        }
    });
}
