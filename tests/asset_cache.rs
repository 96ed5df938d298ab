//! The command post's asset cache against a real seeded hub, through a small TCP proxy that
//! records every request line and `Range` header (and can drop `Range`, or cut an answer off
//! mid-body): downloads verify, a cached file costs no request, partial files resume with only
//! the missing bytes, wrong bytes are caught and fetched again, concurrent callers share one
//! download, and eviction keeps what the coming sessions need.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use fenduo_engine::cache::{protected_assets, AssetCache, DEFAULT_QUOTA_BYTES};
use fenduo_engine::hub::HubClient;
use fenduo_engine::store::LocalStore;
use fenduo_engine::EngineError;
use fenduo_hub::{playbook, seed};
use fenduo_proto::{Asset, Playbook, Record, SessionStatus};
use fenduo_tests::TestHub;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    path: String,
    range: Option<String>,
}

/// A TCP proxy in front of the hub that records request heads. Only bodiless GETs pass through it
/// (the tests log in and sync directly against the hub).
struct CountingProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    strip_range: Arc<AtomicBool>,
    /// The next connection's answer is cut after this many bytes (headers included).
    cut_next: Arc<Mutex<Option<usize>>>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingProxy {
    async fn start(target: SocketAddr) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let strip_range = Arc::new(AtomicBool::new(false));
        let cut_next = Arc::new(Mutex::new(None));
        let (s, strip, cut) = (seen.clone(), strip_range.clone(), cut_next.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                let upstream = TcpStream::connect(target).await.unwrap();
                let cut_after = cut.lock().unwrap().take();
                let (client_read, client_write) = client.into_split();
                let (upstream_read, upstream_write) = upstream.into_split();
                tokio::spawn(requests(client_read, upstream_write, s.clone(), strip.clone()));
                tokio::spawn(answers(upstream_read, client_write, cut_after));
            }
        });
        CountingProxy { addr, seen, strip_range, cut_next, task }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests seen since the last call.
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Client to hub: splits the byte stream into request heads, records and forwards each.
async fn requests(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    seen: Arc<Mutex<Vec<Seen>>>,
    strip_range: Arc<AtomicBool>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head: Vec<u8> = buf.drain(..end + 4).collect();
            let head = String::from_utf8(head).expect("request heads are text");
            let mut lines = head.split("\r\n");
            let request_line = lines.next().unwrap();
            let mut parts = request_line.split(' ');
            assert_eq!(parts.next(), Some("GET"), "only bodiless GETs go through this proxy");
            let path = parts.next().unwrap().to_string();
            let header = |name: &str| {
                head.split("\r\n").find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                })
            };
            seen.lock().unwrap().push(Seen { path, range: header("range") });
            let out = if strip_range.load(Ordering::SeqCst) {
                head.split("\r\n")
                    .filter(|l| {
                        let l = l.to_ascii_lowercase();
                        !l.starts_with("range:") && !l.starts_with("if-range:")
                    })
                    .collect::<Vec<_>>()
                    .join("\r\n")
            } else {
                head
            };
            if to.write_all(out.as_bytes()).await.is_err() {
                return;
            }
        }
    }
    let _ = to.shutdown().await;
}

/// Hub to client, whole or cut off after `cut_after` bytes (the connection is then closed).
async fn answers(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    cut_after: Option<usize>,
) {
    let mut left = cut_after.unwrap_or(usize::MAX);
    let mut chunk = [0u8; 8192];
    while left > 0 {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let n = n.min(left);
        if to.write_all(&chunk[..n]).await.is_err() {
            return;
        }
        left -= n;
    }
    let _ = to.shutdown().await;
}

struct Setup {
    hub: TestHub,
    proxy: CountingProxy,
    /// Talks to the hub through the proxy.
    client: HubClient,
    store: LocalStore,
    cache: AssetCache,
    /// The assets of the demo session's playbook.
    demo: Vec<Asset>,
    token: String,
    _dir: TempDir,
}

async fn login(hub: &TestHub) -> String {
    fenduo_tests::login_token(&hub.url(), seed::DEMO_COORDINATOR).await
}

/// Pulls every change into the local store, directly from the hub (not through the proxy).
async fn sync(hub: &TestHub, token: &str, store: &LocalStore) {
    let direct = HubClient::new(hub.url().parse().unwrap(), Some(token.to_string()));
    let mut cursor = store.cursor().await.unwrap();
    loop {
        let page = direct.changes(cursor, 500, false).await.unwrap();
        store.apply_changes(&page.changes, page.next_cursor).await.unwrap();
        cursor = page.next_cursor;
        if !page.more {
            return;
        }
    }
}

async fn playbooks(store: &LocalStore) -> Vec<Playbook> {
    store
        .records("playbook")
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r {
            Record::Playbook(p) => Some(p),
            _ => None,
        })
        .collect()
}

fn assets_of(playbook: &Playbook) -> Vec<Asset> {
    playbook.items.iter().filter_map(|i| i.asset.clone()).collect()
}

async fn setup(quota: u64) -> Setup {
    let hub = TestHub::seeded().await;
    let proxy = CountingProxy::start(hub.addr).await;
    let token = login(&hub).await;
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(&dir.path().join("client.sqlite")).await.unwrap();
    sync(&hub, &token, &store).await;
    let demo = playbooks(&store)
        .await
        .into_iter()
        .find(|p| p.session_id == seed::DEMO_SESSION_ID)
        .map(|p| assets_of(&p))
        .expect("the demo playbook is synced");
    assert!(demo.len() >= 5, "the demo playbook has clips and images: {demo:?}");
    let client = HubClient::new(proxy.url().parse().unwrap(), Some(token.clone()));
    let cache = AssetCache::new(dir.path().join("assets"), store.pool().clone(), quota);
    Setup { hub, proxy, client, store, cache, demo, token, _dir: dir }
}

impl Setup {
    /// The hub's copy of an asset's content.
    fn content(&self, asset: &Asset) -> Vec<u8> {
        std::fs::read(self.hub.hub.state.assets.path_of(&asset.sha256)).unwrap()
    }

    fn part_of(&self, asset: &Asset) -> PathBuf {
        let path = self.cache.path_of(&asset.sha256);
        path.with_file_name(format!("{}.part", asset.sha256))
    }

    /// The largest demo asset (a clip), so that ranges are meaningful.
    fn largest(&self) -> Asset {
        self.demo.iter().max_by_key(|a| a.size).unwrap().clone()
    }
}

fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn whole(asset: &Asset) -> Seen {
    Seen { path: format!("/api/v1/assets/{}", asset.sha256), range: None }
}

fn ranged(asset: &Asset, from: usize) -> Seen {
    Seen { path: format!("/api/v1/assets/{}", asset.sha256), range: Some(format!("bytes={from}-")) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_asset_downloads_once_verified_and_a_second_ensure_makes_no_request() {
    let s = setup(DEFAULT_QUOTA_BYTES).await;
    // Eight callers want the same clip at once: one download.
    let clip = s.largest();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (cache, client, clip) = (s.cache.clone(), s.client.clone(), clip.clone());
            tokio::spawn(async move { cache.ensure(&client, &clip).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), s.cache.path_of(&clip.sha256));
    }
    assert_eq!(s.proxy.take(), vec![whole(&clip)]);

    let mut mtimes = Vec::new();
    for asset in &s.demo {
        let path = s.cache.ensure(&s.client, asset).await.unwrap();
        assert_eq!(path, s.cache.dir().join(&asset.sha256[..2]).join(&asset.sha256));
        assert_eq!(sha256_of(&path), asset.sha256);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), asset.size);
        assert!(!s.part_of(asset).exists(), "no partial file is left");
        mtimes.push(std::fs::metadata(&path).unwrap().modified().unwrap());
    }
    let others: Vec<Seen> = s.demo.iter().filter(|a| a.sha256 != clip.sha256).map(whole).collect();
    assert_eq!(s.proxy.take(), others, "one whole GET each, none for the clip already there");
    assert_eq!(s.cache.used_bytes().await.unwrap(), s.demo.iter().map(|a| a.size).sum::<u64>());

    for (asset, mtime) in s.demo.iter().zip(&mtimes) {
        let path = s.cache.ensure(&s.client, asset).await.unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), *mtime, "not rewritten");
        assert_eq!(s.cache.cached(asset).await.unwrap(), Some(path));
    }
    assert_eq!(s.proxy.take(), vec![], "cached assets cost no request");

    // A fresh cache (a new command post) over the same store's bookkeeping finds the files by
    // hashing them: they are adopted, not fetched again.
    let again = AssetCache::new(s.cache.dir(), s.store.pool().clone(), DEFAULT_QUOTA_BYTES);
    sqlx::query("DELETE FROM cached_assets").execute(s.store.pool()).await.unwrap();
    for asset in &s.demo {
        again.ensure(&s.client, asset).await.unwrap();
    }
    assert_eq!(s.proxy.take(), vec![]);

    // Prefetch ("sync the week's clips") into an empty cache reports progress up to the total;
    // an asset the hub does not have fails alone.
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(&dir.path().join("client.sqlite")).await.unwrap();
    let cache = AssetCache::open(dir.path(), &store);
    let missing =
        Asset { sha256: "0".repeat(64), size: 10, mime: "image/png".into(), name: "gone.png".into() };
    let mut list = s.demo.clone();
    list.insert(2, missing.clone());
    list.push(s.demo[0].clone()); // listed twice, fetched once
    let calls = Mutex::new(Vec::new());
    let report =
        cache.prefetch(&s.client, &list, |done, total| calls.lock().unwrap().push((done, total))).await;
    let demo_total: u64 = s.demo.iter().map(|a| a.size).sum();
    assert_eq!((report.assets, report.cached, report.downloaded), (s.demo.len() + 1, 0, s.demo.len()));
    assert_eq!(report.total_bytes, demo_total + 10);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, missing);
    assert!(
        matches!(&report.failed[0].1, EngineError::Hub(e) if e.code == "not_found"),
        "{:?}",
        report.failed[0].1
    );
    let calls = calls.into_inner().unwrap();
    assert_eq!(calls.first(), Some(&(0, demo_total + 10)));
    assert_eq!(calls.last(), Some(&(demo_total, demo_total + 10)));
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "progress only grows: {calls:?}");
    assert!(calls.len() > s.demo.len() * 2, "progress is reported while bytes arrive");
    for asset in &s.demo {
        assert_eq!(sha256_of(&cache.path_of(&asset.sha256)), asset.sha256);
    }
    s.proxy.take();
    let report = cache.prefetch(&s.client, &s.demo, |_, _| {}).await;
    assert_eq!((report.cached, report.downloaded, report.failed.len()), (s.demo.len(), 0, 0));
    assert_eq!(s.proxy.take(), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_files_resume_with_a_range_for_only_the_missing_bytes_and_wrong_bytes_are_refetched() {
    let s = setup(DEFAULT_QUOTA_BYTES).await;
    let clip = s.largest();
    let bytes = s.content(&clip);

    // The first N bytes are on disk from an earlier attempt.
    let n = bytes.len() / 3;
    std::fs::create_dir_all(s.part_of(&clip).parent().unwrap()).unwrap();
    std::fs::write(s.part_of(&clip), &bytes[..n]).unwrap();
    let path = s.cache.ensure(&s.client, &clip).await.unwrap();
    assert_eq!(s.proxy.take(), vec![ranged(&clip, n)], "only the rest is asked for");
    assert_eq!(sha256_of(&path), clip.sha256);
    assert!(!s.part_of(&clip).exists());

    // A connection that breaks off mid-body leaves the bytes that arrived; the next ensure asks
    // for the rest. (A fresh client, so that the cut hits a new connection.)
    let image = s.demo.iter().filter(|a| a.sha256 != clip.sha256).max_by_key(|a| a.size).unwrap().clone();
    let client = HubClient::new(s.proxy.url().parse().unwrap(), Some(s.token.clone()));
    *s.proxy.cut_next.lock().unwrap() = Some(20_000);
    let e = s.cache.ensure(&client, &image).await.unwrap_err();
    assert!(matches!(e, EngineError::Unreachable { .. }), "{e:?}");
    let kept = std::fs::metadata(s.part_of(&image)).unwrap().len() as usize;
    assert!(kept > 10_000 && kept < 20_000, "the received body is kept: {kept} bytes");
    assert!(!s.cache.path_of(&image.sha256).exists());
    s.cache.ensure(&client, &image).await.unwrap();
    assert_eq!(s.proxy.take(), vec![whole(&image), ranged(&image, kept)]);
    assert_eq!(sha256_of(&s.cache.path_of(&image.sha256)), image.sha256);

    // A server (or proxy) that ignores Range answers 200 with everything: the file starts over.
    let other = s.demo.iter().find(|a| a.sha256 != clip.sha256 && a.sha256 != image.sha256).unwrap().clone();
    let other_bytes = s.content(&other);
    std::fs::create_dir_all(s.part_of(&other).parent().unwrap()).unwrap();
    std::fs::write(s.part_of(&other), &other_bytes[..1000]).unwrap();
    s.proxy.strip_range.store(true, Ordering::SeqCst);
    let path = s.cache.ensure(&s.client, &other).await.unwrap();
    s.proxy.strip_range.store(false, Ordering::SeqCst);
    assert_eq!(s.proxy.take(), vec![ranged(&other, 1000)], "asked for a range, got a 200");
    assert_eq!(sha256_of(&path), other.sha256);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), other.size, "not appended to the old part");

    // Partial files with wrong bytes are caught at verification and fetched again.
    let used = [&clip.sha256, &image.sha256, &other.sha256];
    let fresh: Vec<Asset> = s.demo.iter().filter(|a| !used.contains(&&a.sha256)).cloned().collect();
    let [a, b, c] = [fresh[0].clone(), fresh[1].clone(), fresh[2].clone()];
    for asset in [&a, &b, &c] {
        std::fs::create_dir_all(s.part_of(asset).parent().unwrap()).unwrap();
    }
    // Wrong first bytes: the resumed file does not verify, so it is fetched whole once more.
    std::fs::write(s.part_of(&a), vec![0x5a; 4096]).unwrap();
    let path = s.cache.ensure(&s.client, &a).await.unwrap();
    assert_eq!(s.proxy.take(), vec![ranged(&a, 4096), whole(&a)]);
    assert_eq!(sha256_of(&path), a.sha256);

    // A part of the full size but wrong: nothing to resume, verified, refetched.
    std::fs::write(s.part_of(&b), vec![0u8; b.size as usize]).unwrap();
    let path = s.cache.ensure(&s.client, &b).await.unwrap();
    assert_eq!(s.proxy.take(), vec![whole(&b)]);
    assert_eq!(sha256_of(&path), b.sha256);

    // Longer than the asset: cannot be a prefix of it.
    std::fs::write(s.part_of(&c), vec![1u8; c.size as usize + 10]).unwrap();
    let path = s.cache.ensure(&s.client, &c).await.unwrap();
    assert_eq!(s.proxy.take(), vec![whole(&c)]);
    assert_eq!(sha256_of(&path), c.sha256);
    for asset in [&a, &b, &c] {
        assert!(!s.part_of(asset).exists());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_file_changed_on_disk_is_detected_and_fetched_again() {
    let s = setup(DEFAULT_QUOTA_BYTES).await;
    let clip = s.largest();
    let path = s.cache.ensure(&s.client, &clip).await.unwrap();
    assert_eq!(s.proxy.take().len(), 1);

    // Same size, a few bytes flipped in place. (The wait makes the write land on a later tick
    // of the file system's clock than the download did.)
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[1000..1010] {
        *b ^= 0xff;
    }
    std::fs::write(&path, &bytes).unwrap();
    let again = s.cache.ensure(&s.client, &clip).await.unwrap();
    assert_eq!(again, path);
    assert_eq!(s.proxy.take(), vec![whole(&clip)], "re-verified, found wrong, fetched whole");
    assert_eq!(sha256_of(&path), clip.sha256);

    // Truncated, then deleted.
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(clip.size / 2).unwrap();
    drop(f);
    s.cache.ensure(&s.client, &clip).await.unwrap();
    assert_eq!(s.proxy.take(), vec![whole(&clip)]);
    std::fs::remove_file(&path).unwrap();
    s.cache.ensure(&s.client, &clip).await.unwrap();
    assert_eq!(s.proxy.take(), vec![whole(&clip)]);
    assert_eq!(sha256_of(&path), clip.sha256);
    // And it is trusted again afterwards.
    s.cache.ensure(&s.client, &clip).await.unwrap();
    assert_eq!(s.proxy.take(), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_that_never_verifies_fails_clearly_after_one_retry_and_leaves_nothing() {
    let s = setup(DEFAULT_QUOTA_BYTES).await;
    // The hub's own copy went bad on its disk: every download hashes wrong.
    let clip = s.largest();
    let hub_file = s.hub.hub.state.assets.path_of(&clip.sha256);
    let mut bytes = std::fs::read(&hub_file).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&hub_file, &bytes).unwrap();
    let e = s.cache.ensure(&s.client, &clip).await.unwrap_err();
    match &e {
        EngineError::AssetMismatch { sha256, attempts: 2, actual_size, .. } => {
            assert_eq!(sha256, &clip.sha256);
            assert_eq!(*actual_size, clip.size);
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    let message = e.to_string();
    assert!(message.contains(&clip.sha256) && message.contains(&clip.name), "{message}");
    assert_eq!(e.to_api_error().code, "asset_mismatch");
    assert_eq!(s.proxy.take(), vec![whole(&clip), whole(&clip)], "one retry, from scratch");
    assert!(!s.cache.path_of(&clip.sha256).exists());
    assert!(!s.part_of(&clip).exists());
    assert_eq!(s.cache.used_bytes().await.unwrap(), 0);

    // Metadata that promises more bytes than the hub has: the resume is answered 416, the
    // download starts over, and the short content fails verification the same way.
    let image = s.demo.iter().find(|a| a.sha256 != clip.sha256).unwrap().clone();
    let content = s.content(&image);
    let bigger = Asset { size: image.size + 10, ..image.clone() };
    std::fs::create_dir_all(s.part_of(&image).parent().unwrap()).unwrap();
    std::fs::write(s.part_of(&image), &content).unwrap();
    let e = s.cache.ensure(&s.client, &bigger).await.unwrap_err();
    assert!(
        matches!(e, EngineError::AssetMismatch { actual_size, .. } if actual_size == image.size),
        "{e:?}"
    );
    assert_eq!(s.proxy.take(), vec![ranged(&image, content.len()), whole(&image), whole(&image)]);
    assert!(!s.part_of(&image).exists());

    // A hash that is not one never becomes a path.
    let evil = Asset { sha256: "../../../etc/passwd".into(), ..image };
    assert!(matches!(s.cache.ensure(&s.client, &evil).await, Err(EngineError::Protocol(_))));
    assert_eq!(s.proxy.take(), vec![]);
}

/// Adds a session like the demo one, `days` from now, with `status`.
async fn add_session(hub: &TestHub, id: &str, days: i64, status: SessionStatus) {
    let (mut session, stages) = seed::demo_session(Utc::now() - chrono::Duration::days(days), 0);
    session.id = id.into();
    session.status = status;
    if status == SessionStatus::Scheduled {
        session.actual_start = None;
    }
    let stages: Vec<_> = stages
        .into_iter()
        .map(|mut st| {
            st.id = st.id.replace(seed::DEMO_SESSION_ID, id);
            st.session_id = id.into();
            st
        })
        .collect();
    hub.hub.upsert_session(&session, &stages).await.unwrap();
}

/// Publishes a playbook of images for `session`, each the demo poster plus `tag` and its index
/// (so every image is a different asset).
async fn publish_images(hub: &TestHub, session: &str, tag: &str, count: usize) -> Playbook {
    let poster = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/playbook/images/warmup-poster.png"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("images")).unwrap();
    let mut manifest = format!("session = \"{session}\"\ntitle = \"手册 {tag}\"\n");
    for i in 0..count {
        let mut bytes = poster.clone();
        bytes.extend_from_slice(format!("{tag}-{i}").repeat(i + 1).as_bytes());
        std::fs::write(dir.path().join(format!("images/{i}.png")), bytes).unwrap();
        manifest.push_str(&format!(
            "\n[[item]]\nid = \"img{i}\"\nstage = 0\nkind = \"image\"\ntitle = \"海报 {i}\"\nfile = \"images/{i}.png\"\n"
        ));
    }
    std::fs::write(dir.path().join("playbook.toml"), manifest).unwrap();
    hub.hub.publish_playbook(session, &playbook::load_playbook_dir(dir.path()).unwrap()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eviction_removes_least_recently_used_files_but_never_the_coming_sessions_or_pinned_ones() {
    let s = setup(DEFAULT_QUOTA_BYTES).await;
    // Last week's session (ended), this week's (the demo, live), next week's (published twice:
    // only the newest version counts), and the week after's (not next: not protected).
    add_session(&s.hub, "session-28", 7, SessionStatus::Ended).await;
    add_session(&s.hub, "session-30", -7, SessionStatus::Scheduled).await;
    add_session(&s.hub, "session-31", -14, SessionStatus::Scheduled).await;
    let last_week = assets_of(&publish_images(&s.hub, "session-28", "s28", 2).await);
    let next_v1 = assets_of(&publish_images(&s.hub, "session-30", "s30v1", 1).await);
    let next_v2 = assets_of(&publish_images(&s.hub, "session-30", "s30v2", 1).await);
    let later = assets_of(&publish_images(&s.hub, "session-31", "s31", 1).await);
    sync(&s.hub, &s.token, &s.store).await;

    let protected = protected_assets(&s.store, Utc::now()).await.unwrap();
    let expected: HashSet<String> = s.demo.iter().chain(&next_v2).map(|a| a.sha256.clone()).collect();
    assert_eq!(protected, expected);

    // Used in this order (oldest first); last week's first image is used again at the end.
    let order: Vec<&Asset> = [&last_week[0], &next_v1[0], &later[0], &last_week[1]]
        .into_iter()
        .chain(&s.demo)
        .chain(&next_v2)
        .collect();
    for asset in order.iter().copied().chain([&last_week[0]]) {
        s.cache.ensure(&s.client, asset).await.unwrap();
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    assert!(s.cache.pin(&later[0].sha256, true).await.unwrap());
    let total: u64 = order.iter().map(|a| a.size).sum();
    assert_eq!(s.cache.used_bytes().await.unwrap(), total);

    // Over quota by the two least recently used unprotected files: those go (the pinned one in
    // between stays), and the recently used one of last week stays.
    let quota = total - next_v1[0].size - last_week[1].size;
    let cache = AssetCache::new(s.cache.dir(), s.store.pool().clone(), quota);
    let eviction = cache.evict(&protected).await.unwrap();
    assert_eq!(eviction.removed, vec![next_v1[0].sha256.clone(), last_week[1].sha256.clone()]);
    assert_eq!(eviction.freed_bytes, next_v1[0].size + last_week[1].size);
    assert_eq!(eviction.remaining_bytes, quota);
    for asset in &order {
        let evicted = eviction.removed.contains(&asset.sha256);
        assert_eq!(cache.path_of(&asset.sha256).exists(), !evicted, "{}", asset.name);
    }
    // Under quota: nothing more goes.
    assert_eq!(cache.evict(&protected).await.unwrap().removed, Vec::<String>::new());

    // A quota of nothing keeps exactly the protected and pinned files, even above it.
    let cache = AssetCache::new(s.cache.dir(), s.store.pool().clone(), 0);
    let eviction = cache.evict(&protected).await.unwrap();
    assert_eq!(eviction.removed, vec![last_week[0].sha256.clone()]);
    let kept: u64 = s.demo.iter().chain(&next_v2).chain(&later).map(|a| a.size).sum();
    assert_eq!(eviction.remaining_bytes, kept);
    for asset in s.demo.iter().chain(&next_v2).chain(&later) {
        assert_eq!(sha256_of(&cache.path_of(&asset.sha256)), asset.sha256);
    }
    // An evicted asset is fetched again when needed.
    s.proxy.take();
    cache.ensure(&s.client, &last_week[1]).await.unwrap();
    assert_eq!(s.proxy.take(), vec![whole(&last_week[1])]);
}
