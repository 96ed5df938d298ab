//! An administrator sets up a hub from the command line alone, as the README describes: region,
//! users, a roster exported from Chinese Excel, a session, the playbook.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn hub(db: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fenduo-hub"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hub binary runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn an_administrator_sets_up_a_region_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite");
    let roster = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/roster/excel-gbk.csv");
    let roster = roster.to_str().unwrap();

    let o = hub(&db, &["create-region", "--id", "south", "--name", "华南大区"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = hub(
        &db,
        &[
            "create-user",
            "--username",
            "south-coord",
            "--name",
            "华南协调员",
            "--role",
            "coordinator",
            "--region",
            "south",
        ],
        Some("a-long-password\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = hub(
        &db,
        &["create-user", "--username", "x", "--name", "x", "--role", "trainer", "--region", "south"],
        None,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("no password on standard input"), "{}", text(&o));

    // Unknown distributors: every row refused, and the exit code says so.
    let o = hub(&db, &["import-roster", "--region", "south", roster], None);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("5 row(s) refused"), "{}", text(&o));
    let o = hub(&db, &["import-roster", "--region", "south", "--create-distributors", roster], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("新增 5 个群"), "{}", text(&o));
    let again = hub(&db, &["import-roster", "--region", "south", "--create-distributors", roster], None);
    assert!(text(&again).contains("未变 5 个"), "re-import changes nothing: {}", text(&again));

    // A created distributor gets a password and can then log in (checked through the store).
    let o = hub(&db, &["set-password", "--username", "nobody-here"], Some("another-password\n"));
    assert!(!o.status.success());
    assert!(text(&o).contains("not found"), "{}", text(&o));

    let o = hub(
        &db,
        &[
            "create-session",
            "--id",
            "session-29",
            "--title",
            "第29场 周六直播",
            "--start",
            "2026-12-05 19:30",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("2026-12-05 19:30"), "{}", text(&o));
    let o = hub(&db, &["create-session", "--id", "s", "--title", "t", "--start", "Saturday evening"], None);
    assert!(!o.status.success());
    assert!(text(&o).contains("2026-12-05 19:30 (Asia/Shanghai)"), "{}", text(&o));

    let playbook = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/playbook");
    let o = hub(&db, &["publish-playbook", "--session", "session-29", playbook.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o));
}
