//! `fenduo-hub publish-playbook`, run as a real process against a temporary database.

use std::path::{Path, PathBuf};
use std::process::Command;

use fenduo_hub::{seed, Hub, HubConfig};

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/playbook")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn publish(db: &Path, dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fenduo-hub"))
        .arg("--db")
        .arg(db)
        .args(["publish-playbook", "--session", seed::DEMO_SESSION_ID])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the hub binary runs")
}

/// The stored version and the number of asset files (outside `tmp/`).
async fn stored(db: &Path) -> (u32, usize) {
    let hub = Hub::open(db, HubConfig::default()).await.unwrap();
    let version = hub.state.store.latest_playbook_version(seed::DEMO_SESSION_ID).await.unwrap();
    let files = std::fs::read_dir(hub.state.assets.dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != "tmp")
        .map(|e| std::fs::read_dir(e.path()).unwrap().count())
        .sum();
    (version, files)
}

#[tokio::test]
async fn publish_playbook_refuses_a_bad_folder_with_exit_code_1_and_stores_a_good_one() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hub.sqlite");
    {
        let hub = Hub::open(&db, HubConfig::default()).await.unwrap();
        let (session, stages) = seed::demo_session(chrono::Utc::now(), 0);
        hub.upsert_session(&session, &stages).await.unwrap();
    }

    let bad = tmp.path().join("bad");
    copy_dir(&demo_dir(), &bad);
    let manifest = std::fs::read_to_string(bad.join("playbook.toml")).unwrap();
    let broken = manifest.replacen("kind = \"checklist\"", "kind = \"todo\"", 1).replacen(
        "file = \"scripts/6-closing.md\"",
        "file = \"scripts/gone.md\"",
        1,
    );
    std::fs::write(bad.join("playbook.toml"), &broken).unwrap();
    let line_of = |needle: &str| broken.lines().position(|l| l.contains(needle)).unwrap() + 1;

    let out = publish(&db, &bad);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let manifest_path = bad.join("playbook.toml").display().to_string();
    for (needle, words) in [("\"todo\"", "unknown kind \"todo\""), ("scripts/gone.md", "does not exist")] {
        let expected = format!("{manifest_path}:{}: ", line_of(needle));
        assert!(
            stderr.lines().any(|l| l.starts_with(&expected) && l.contains(words)),
            "{expected}… {words} in:\n{stderr}"
        );
    }
    assert_eq!(stored(&db).await, (0, 0), "nothing is stored");

    let out = publish(&db, &demo_dir());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let demo = fenduo_hub::playbook::demo_playbook().unwrap();
    let files: std::collections::HashSet<_> =
        demo.items.iter().filter_map(|i| i.media.as_ref().map(|m| &m.sha256)).collect();
    assert!(stdout.contains(&format!("version 1 ({} items)", demo.items.len())), "{stdout}");
    assert_eq!(stored(&db).await, (1, files.len()));
}
