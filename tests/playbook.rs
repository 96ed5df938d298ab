//! Playbooks: the demo folder, validation errors that name file and line, immutable versions,
//! and a client receiving a published playbook and its assets through `/api/v1/changes`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use fenduo_hub::playbook::{self, PlaybookError};
use fenduo_hub::seed;
use fenduo_proto::{ChangePage, PlaybookItemKind, Record};
use fenduo_tests::{TestHub, PASSWORD};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/playbook")
}

/// A small valid playbook for `session-30`; the line numbers below are what the tests expect.
const MANIFEST: &str = r#"session = "session-30"
title = "测试手册"
notes = "备注"

[[item]]
id = "s1"
stage = 0
kind = "script"
title = "预热话术"
file = "scripts/s1.md"

[[item]]
id = "c1"
stage = 1
kind = "clip"
title = "开场短视频"
file = "clips/c1.mp4"

[[item]]
id = "i1"
stage = 1
kind = "image"
title = "海报"
file = "images/i1.png"
"#;

fn folder() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for sub in ["scripts", "clips", "images"] {
        std::fs::create_dir(p.join(sub)).unwrap();
    }
    std::fs::write(p.join("playbook.toml"), MANIFEST).unwrap();
    std::fs::write(p.join("scripts/s1.md"), "家人们晚上好 🌹 今晚 19:30 直播！").unwrap();
    std::fs::copy(demo_dir().join("clips/opening-countdown.mp4"), p.join("clips/c1.mp4")).unwrap();
    std::fs::copy(demo_dir().join("images/warmup-poster.png"), p.join("images/i1.png")).unwrap();
    dir
}

fn edit_manifest(dir: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(dir.join("playbook.toml")).unwrap();
    assert!(text.contains(from), "{from:?} is in the manifest");
    std::fs::write(dir.join("playbook.toml"), text.replacen(from, to, 1)).unwrap();
}

fn problems(dir: &Path) -> Vec<String> {
    match playbook::load_playbook_dir(dir) {
        Ok(_) => panic!("the folder should be refused"),
        Err(PlaybookError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// Exactly one problem, starting with `prefix` (`file:line: `) and mentioning `words`.
#[track_caller]
fn assert_one(problems: &[String], prefix: &str, words: &str) {
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].starts_with(prefix), "{:?} starts with {prefix:?}", problems[0]);
    assert!(problems[0].contains(words), "{:?} mentions {words:?}", problems[0]);
}

#[test]
fn the_demo_folder_loads_and_matches_the_embedded_copy() {
    let draft = playbook::load_playbook_dir(&demo_dir()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(draft.session_id, seed::DEMO_SESSION_ID);
    let kinds: HashSet<_> = draft.items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds.len(), PlaybookItemKind::ALL.len(), "every kind is shown");
    let segments: HashSet<_> = draft.items.iter().filter_map(|i| i.segment.as_deref()).collect();
    assert_eq!(segments, HashSet::from(["新客", "老客", "沉睡客"]));
    for (stage, product) in [(2, "营养早餐组合"), (3, "护肤焕新礼盒"), (5, "家居清洁套装")]
    {
        assert!(
            draft.items.iter().any(|i| i.stage_seq == stage && i.product.as_deref() == Some(product)),
            "a briefing for {product}"
        );
    }
    for stage in 0..8 {
        assert!(
            draft.items.iter().any(|i| i.stage_seq == stage && i.kind == PlaybookItemKind::Script),
            "stage {stage} has a script for the leaders"
        );
    }
    let media: Vec<_> = draft.items.iter().filter_map(|i| i.media.as_ref().map(|m| (i.kind, m))).collect();
    let clips: Vec<_> = media.iter().filter(|(k, _)| *k == PlaybookItemKind::Clip).collect();
    let images: Vec<_> = media.iter().filter(|(k, _)| *k == PlaybookItemKind::Image).collect();
    assert!((3..=4).contains(&clips.len()) && (2..=3).contains(&images.len()));
    assert!(clips.iter().all(|(_, m)| m.size < 150 * 1024 && m.mime == "video/mp4"));
    assert!(images.iter().all(|(_, m)| m.size < 100 * 1024));
    let total: u64 = walk(&demo_dir()).iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
    assert!(total < 1024 * 1024, "the demo folder is {total} bytes");

    let embedded = playbook::demo_playbook().unwrap();
    let key = |d: &playbook::PlaybookDraft| {
        d.items
            .iter()
            .map(|i| (i.id.clone(), i.text.clone(), i.media.as_ref().map(|m| m.sha256.clone())))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&embedded), key(&draft), "the binary carries the folder as it is");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

#[test]
fn the_small_folder_is_valid() {
    let dir = folder();
    let draft = playbook::load_playbook_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(draft.items.len(), 3);
    assert_eq!(draft.items[0].text.as_deref(), Some("家人们晚上好 🌹 今晚 19:30 直播！"));
    assert_eq!(draft.items[2].media.as_ref().unwrap().mime, "image/png");
}

#[test]
fn each_validation_error_names_the_file_and_line() {
    // A TOML syntax error.
    let dir = folder();
    edit_manifest(dir.path(), "title = \"测试手册\"", "title = \"测试手册");
    assert_one(&problems(dir.path()), "playbook.toml:2: ", "");

    // A misspelt key.
    let dir = folder();
    edit_manifest(dir.path(), "title = \"预热话术\"", "titel = \"预热话术\"");
    assert_one(&problems(dir.path()), "playbook.toml:9: ", "titel");

    // A file the manifest names is missing: the line that names it.
    let dir = folder();
    edit_manifest(dir.path(), "clips/c1.mp4", "clips/nope.mp4");
    assert_one(&problems(dir.path()), "playbook.toml:17: ", "clips/nope.mp4 does not exist");

    // An unknown kind.
    let dir = folder();
    edit_manifest(dir.path(), "kind = \"clip\"", "kind = \"video\"");
    assert_one(&problems(dir.path()), "playbook.toml:15: ", "unknown kind \"video\"");

    // A duplicate item id, with where it was first used.
    let dir = folder();
    edit_manifest(dir.path(), "id = \"i1\"", "id = \"s1\"");
    assert_one(
        &problems(dir.path()),
        "playbook.toml:20: ",
        "duplicate item id \"s1\" (first used on line 6)",
    );

    // A negative stage.
    let dir = folder();
    edit_manifest(dir.path(), "stage = 0", "stage = -1");
    assert_one(&problems(dir.path()), "playbook.toml:7: ", "stage -1");

    // An empty script: the script's own file.
    let dir = folder();
    std::fs::write(dir.path().join("scripts/s1.md"), " \n\n").unwrap();
    assert_one(&problems(dir.path()), "scripts/s1.md:1: ", "is empty");

    // A script that is not UTF-8: the line of the first bad byte.
    let dir = folder();
    std::fs::write(dir.path().join("scripts/s1.md"), b"\xe7\xac\xac\xe4\xb8\x80\n\xe4\xba\x8c\n\xff\n")
        .unwrap();
    assert_one(&problems(dir.path()), "scripts/s1.md:3: ", "UTF-8");

    // A script over the size limit.
    let dir = folder();
    std::fs::write(dir.path().join("scripts/s1.md"), "话".repeat(25_000)).unwrap();
    assert_one(&problems(dir.path()), "scripts/s1.md:1: ", "at most 64 KiB");

    // A media type the playbook does not take.
    let dir = folder();
    std::fs::copy(dir.path().join("images/i1.png"), dir.path().join("images/i1.gif")).unwrap();
    edit_manifest(dir.path(), "images/i1.png", "images/i1.gif");
    assert_one(&problems(dir.path()), "playbook.toml:24: ", ".jpg or .png");

    // A file whose content is not what its name says.
    let dir = folder();
    std::fs::copy(demo_dir().join("images/benefit-card.jpg"), dir.path().join("images/i1.png")).unwrap();
    assert_one(&problems(dir.path()), "playbook.toml:24: ", "not really image/png");

    // A path out of the folder.
    let dir = folder();
    edit_manifest(dir.path(), "scripts/s1.md", "../s1.md");
    assert_one(&problems(dir.path()), "playbook.toml:10: ", "inside the playbook folder");

    // Several problems are reported together.
    let dir = folder();
    edit_manifest(dir.path(), "kind = \"clip\"", "kind = \"video\"");
    std::fs::write(dir.path().join("scripts/s1.md"), "").unwrap();
    let found = problems(dir.path());
    assert_eq!(found.len(), 2, "{found:#?}");

    // No manifest at all.
    let dir = tempfile::tempdir().unwrap();
    assert_one(&problems(dir.path()), "playbook.toml: ", "missing");
}

async fn add_session_30(hub: &TestHub) {
    let (mut session, stages) = seed::demo_session(chrono::Utc::now(), 0);
    session.id = "session-30".into();
    let stages: Vec<_> = stages
        .into_iter()
        .map(|mut st| {
            st.id = st.id.replace("session-29", "session-30");
            st.session_id = session.id.clone();
            st
        })
        .collect();
    hub.hub.upsert_session(&session, &stages).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stages_and_the_session_are_checked_at_publication_and_nothing_is_stored() {
    let hub = TestHub::seeded().await;
    add_session_30(&hub).await;
    let dir = folder();
    edit_manifest(dir.path(), "stage = 1", "stage = 12");
    let draft = playbook::load_playbook_dir(dir.path()).unwrap();
    let found = match hub.hub.publish_playbook("session-30", &draft).await {
        Err(PlaybookError::Invalid(p)) => p.iter().map(ToString::to_string).collect::<Vec<_>>(),
        other => panic!("refused, got {other:?}"),
    };
    assert_one(
        &found,
        "playbook.toml:14: ",
        "stage 12 is not a stage of session session-30 (its stages are 0–7)",
    );

    let draft = playbook::load_playbook_dir(folder().path()).unwrap();
    let found = match hub.hub.publish_playbook(seed::DEMO_SESSION_ID, &draft).await {
        Err(PlaybookError::Invalid(p)) => p.iter().map(ToString::to_string).collect::<Vec<_>>(),
        other => panic!("refused, got {other:?}"),
    };
    assert_one(&found, "playbook.toml:1: ", "for session \"session-30\", not \"session-29\"");
    assert_eq!(hub.hub.state.store.latest_playbook_version("session-30").await.unwrap(), 0);
    assert_eq!(hub.hub.state.store.latest_playbook_version(seed::DEMO_SESSION_ID).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_twice_makes_versions_1_and_2_and_version_1_never_changes() {
    let hub = TestHub::seeded().await;
    add_session_30(&hub).await;
    let store = &hub.hub.state.store;
    let dir = folder();
    let v1 = hub
        .hub
        .publish_playbook("session-30", &playbook::load_playbook_dir(dir.path()).unwrap())
        .await
        .unwrap();
    assert_eq!((v1.id.as_str(), v1.version, v1.items.len()), ("session-30:v1", 1, 3));
    assert_eq!(store.playbook("session-30", 1).await.unwrap().as_ref(), Some(&v1));

    std::fs::write(dir.path().join("scripts/s1.md"), "改过的话术 ✏️").unwrap();
    let v2 = hub
        .hub
        .publish_playbook("session-30", &playbook::load_playbook_dir(dir.path()).unwrap())
        .await
        .unwrap();
    assert_eq!((v2.id.as_str(), v2.version), ("session-30:v2", 2));
    assert_eq!(v2.items[0].text.as_deref(), Some("改过的话术 ✏️"));
    assert_eq!(v2.items[1].asset, v1.items[1].asset, "the same clip is the same asset");
    assert_eq!(store.playbook("session-30", 1).await.unwrap().as_ref(), Some(&v1), "version 1 is unchanged");
    assert_eq!(store.latest_playbook_version("session-30").await.unwrap(), 2);

    // The database itself refuses to change a published version.
    let pool = hub.hub.sqlite_pool().expect("the test hub runs on SQLite");
    for sql in [
        "UPDATE playbooks SET title = 'changed' WHERE id = 'session-30:v1'",
        "UPDATE playbook_items SET text = 'changed' WHERE playbook_id = 'session-30:v1'",
        "DELETE FROM playbook_items WHERE playbook_id = 'session-30:v1'",
        "DELETE FROM playbooks WHERE id = 'session-30:v1'",
    ] {
        let e = sqlx::query(sql).execute(pool).await.expect_err(sql);
        assert!(e.to_string().contains("immutable") || e.to_string().contains("FOREIGN KEY"), "{sql}: {e}");
    }
    assert_eq!(store.playbook("session-30", 1).await.unwrap().as_ref(), Some(&v1));
}

async fn sync_all(client: &reqwest::Client, hub: &TestHub, token: &str, after: i64) -> (Vec<Record>, i64) {
    let mut cursor = after;
    let mut records = Vec::new();
    loop {
        let page: ChangePage = client
            .get(format!("{}/api/v1/changes", hub.url()))
            .query(&[("after", cursor), ("limit", 100)])
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        records.extend(page.changes.into_iter().filter_map(|c| c.record));
        cursor = page.next_cursor;
        if !page.more {
            return (records, cursor);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_syncing_client_receives_the_playbook_and_its_assets() {
    let hub = TestHub::seeded().await;
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{}/api/v1/login", hub.url()))
        .json(&serde_json::json!({ "username": "dist03", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_string();

    let (records, cursor) = sync_all(&client, &hub, &token, 0).await;
    let playbooks: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Playbook(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(playbooks.len(), 1);
    let pb = playbooks[0];
    assert_eq!((pb.id.as_str(), pb.session_id.as_str(), pb.version), ("session-29:v1", "session-29", 1));
    assert_eq!(pb.items.len(), playbook::demo_playbook().unwrap().items.len());
    let assets: HashMap<_, _> = records
        .iter()
        .filter_map(|r| match r {
            Record::Asset(a) => Some((a.sha256.clone(), a.clone())),
            _ => None,
        })
        .collect();
    let used: Vec<_> = pb.items.iter().filter_map(|i| i.asset.as_ref()).collect();
    assert!(used.len() >= 5);
    for asset in used {
        assert_eq!(assets.get(&asset.sha256), Some(asset), "the asset record came with the playbook");
        let bytes = client
            .get(format!("{}/api/v1/assets/{}", hub.url(), asset.sha256))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.len() as u64, asset.size);
        assert_eq!(hex::encode(Sha256::digest(&bytes)), asset.sha256, "verified before use");
    }

    // A new version reaches the client as one more change; its unchanged files are not resent.
    let draft = playbook::demo_playbook().unwrap();
    hub.hub.publish_playbook(seed::DEMO_SESSION_ID, &draft).await.unwrap();
    let (records, _) = sync_all(&client, &hub, &token, cursor).await;
    assert_eq!(records.len(), 1, "{records:#?}");
    assert!(matches!(&records[0], Record::Playbook(p) if p.version == 2));
}
