//! Content-addressed assets over a real socket: upload, whole and ranged downloads, ETag
//! revalidation, refusals that store nothing, and a broken download resumed with Range.

use fenduo_hub::seed;
use fenduo_hub::HubConfig;
use fenduo_proto::{ApiError, Asset};
use fenduo_tests::TestHub;
use reqwest::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH, RANGE,
};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

async fn token(hub: &TestHub, username: &str) -> String {
    fenduo_tests::login_token(&hub.url(), username).await
}

/// Bytes that do not repeat at any short period, so a misplaced range cannot look right.
fn content(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn upload(hub: &TestHub, token: &str, bytes: &[u8], mime: &str, name: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/assets", hub.url()))
        .query(&[("name", name)])
        .bearer_auth(token)
        .header(CONTENT_TYPE, mime)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

fn asset_url(hub: &TestHub, sha: &str) -> String {
    format!("{}/api/v1/assets/{sha}", hub.url())
}

/// Files under the asset folder, outside `tmp/`.
fn stored_files(hub: &TestHub) -> Vec<String> {
    let dir = hub.hub.state.assets.dir().to_path_buf();
    let mut files = Vec::new();
    for shard in std::fs::read_dir(&dir).unwrap() {
        let shard = shard.unwrap();
        if shard.file_name() == "tmp" {
            assert_eq!(std::fs::read_dir(shard.path()).unwrap().count(), 0, "no temporary file is left");
            continue;
        }
        for f in std::fs::read_dir(shard.path()).unwrap() {
            files.push(f.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_asset_downloads_whole_with_cache_headers_and_reuploads_as_a_no_op() {
    let hub = TestHub::seeded().await;
    let admin = token(&hub, "admin").await;
    let bytes = content(300_000);
    let resp = upload(&hub, &admin, &bytes, "video/mp4", "开场 倒计时.mp4").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let asset: Asset = resp.json().await.unwrap();
    assert_eq!(
        asset,
        Asset {
            sha256: sha256(&bytes),
            size: 300_000,
            mime: "video/mp4".into(),
            name: "开场 倒计时.mp4".into()
        }
    );
    assert!(stored_files(&hub).contains(&asset.sha256));

    // A coordinator (any logged-in user) downloads it.
    let coord = token(&hub, seed::DEMO_COORDINATOR).await;
    let resp =
        reqwest::Client::new().get(asset_url(&hub, &asset.sha256)).bearer_auth(&coord).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert_eq!(h[ETAG], format!("\"{}\"", asset.sha256).as_str());
    assert_eq!(h[ACCEPT_RANGES], "bytes");
    assert_eq!(h[CACHE_CONTROL], "private, max-age=31536000, immutable");
    assert_eq!(h[CONTENT_TYPE], "video/mp4");
    assert_eq!(h[CONTENT_LENGTH], "300000");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // <video> and <img> cannot send headers: the token may travel in the query instead.
    let resp = reqwest::Client::new()
        .get(asset_url(&hub, &asset.sha256))
        .query(&[("access_token", coord.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(sha256(&resp.bytes().await.unwrap()), asset.sha256);

    // The same content again, under another name and type: nothing changes.
    let resp = upload(&hub, &admin, &bytes, "application/octet-stream", "copy.bin").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Asset>().await.unwrap(), asset);
    assert_eq!(stored_files(&hub).iter().filter(|f| **f == asset.sha256).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_requests_return_exactly_the_asked_bytes() {
    let hub = TestHub::seeded().await;
    let admin = token(&hub, "admin").await;
    let bytes = content(10_000);
    let asset: Asset = upload(&hub, &admin, &bytes, "image/png", "a.png").await.json().await.unwrap();
    let client = reqwest::Client::new();
    let get = |range: &'static str| {
        client.get(asset_url(&hub, &asset.sha256)).bearer_auth(&admin).header(RANGE, range).send()
    };
    for (range, first, last) in [
        ("bytes=0-99", 0usize, 99usize),
        ("bytes=4000-4999", 4000, 4999),
        ("bytes=9990-", 9990, 9999),
        ("bytes=-250", 9750, 9999),
        ("bytes=9000-20000", 9000, 9999),
    ] {
        let resp = get(range).await.unwrap();
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(resp.headers()[CONTENT_RANGE], format!("bytes {first}-{last}/10000").as_str(), "{range}");
        assert_eq!(resp.headers()[CONTENT_LENGTH], (last - first + 1).to_string().as_str());
        assert_eq!(resp.bytes().await.unwrap().as_ref(), &bytes[first..=last], "{range}");
    }
    for range in ["bytes=10000-", "bytes=20000-20010", "bytes=-0"] {
        let resp = get(range).await.unwrap();
        assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(resp.headers()[CONTENT_RANGE], "bytes */10000");
    }
    // Several ranges at once are not served piecemeal: the whole file comes back.
    let resp = get("bytes=0-1,5-6").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().len(), 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_etag_is_answered_with_304_and_no_body() {
    let hub = TestHub::seeded().await;
    let admin = token(&hub, "admin").await;
    let bytes = content(5_000);
    let asset: Asset = upload(&hub, &admin, &bytes, "image/jpeg", "a.jpg").await.json().await.unwrap();
    let client = reqwest::Client::new();
    let resp = client
        .get(asset_url(&hub, &asset.sha256))
        .bearer_auth(&admin)
        .header(IF_NONE_MATCH, format!("\"{}\"", asset.sha256))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(resp.headers()[ETAG], format!("\"{}\"", asset.sha256).as_str());
    assert!(resp.bytes().await.unwrap().is_empty());
    let resp = client
        .get(asset_url(&hub, &asset.sha256))
        .bearer_auth(&admin)
        .header(IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().len(), 5_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_announced_sha256_is_refused_and_nothing_is_stored() {
    let hub = TestHub::seeded().await;
    let admin = token(&hub, "admin").await;
    let before = stored_files(&hub);
    let bytes = content(20_000);
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/assets", hub.url()))
        .bearer_auth(&admin)
        .header(CONTENT_TYPE, "video/mp4")
        .header("X-Content-Sha256", sha256(b"something else"))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!(err.code, "sha256_mismatch");
    assert_eq!(err.field.as_deref(), Some("X-Content-Sha256"));
    assert_eq!(stored_files(&hub), before);
    let resp = reqwest::Client::new()
        .get(asset_url(&hub, &sha256(&bytes)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // The right hash is accepted.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/assets", hub.url()))
        .bearer_auth(&admin)
        .header("X-Content-Sha256", sha256(&bytes).to_uppercase())
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.json::<Asset>().await.unwrap().mime, "application/octet-stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_over_the_size_limit_is_refused_with_413() {
    // Just above the largest demo file, which the seed publishes.
    const LIMIT: u64 = 64 * 1024;
    let hub = TestHub::seeded_with(HubConfig { max_asset_bytes: LIMIT, ..HubConfig::default() }).await;
    let admin = token(&hub, "admin").await;
    let before = stored_files(&hub);
    let resp = upload(&hub, &admin, &content(LIMIT as usize + 1), "image/png", "big.png").await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let err: ApiError = resp.json().await.unwrap();
    assert_eq!(err.code, "too_large");
    assert!(err.message.contains(&LIMIT.to_string()), "{}", err.message);
    assert_eq!(stored_files(&hub), before);
    // At the limit is fine.
    let resp = upload(&hub, &admin, &content(LIMIT as usize), "image/png", "ok.png").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_download_resumes_with_range_to_the_same_sha256() {
    let hub = TestHub::seeded().await;
    let admin = token(&hub, "admin").await;
    let bytes = content(2_000_000);
    let asset: Asset = upload(&hub, &admin, &bytes, "video/mp4", "long.mp4").await.json().await.unwrap();
    let client = reqwest::Client::new();

    // The first attempt breaks off somewhere in the middle (the response is dropped).
    let mut resp = client.get(asset_url(&hub, &asset.sha256)).bearer_auth(&admin).send().await.unwrap();
    let mut got = Vec::new();
    while got.len() < 700_001 {
        got.extend_from_slice(&resp.chunk().await.unwrap().expect("more bytes"));
    }
    got.truncate(700_001);
    drop(resp);

    // The second asks for the rest, guarded by the ETag.
    let resp = client
        .get(asset_url(&hub, &asset.sha256))
        .bearer_auth(&admin)
        .header(RANGE, format!("bytes={}-", got.len()))
        .header("If-Range", format!("\"{}\"", asset.sha256))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()[CONTENT_RANGE], "bytes 700001-1999999/2000000");
    got.extend_from_slice(&resp.bytes().await.unwrap());
    assert_eq!(got.len(), 2_000_000);
    assert_eq!(sha256(&got), asset.sha256);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_need_a_login_and_uploads_need_an_admin() {
    let hub = TestHub::seeded().await;
    let admin = token(&hub, "admin").await;
    let asset: Asset = upload(&hub, &admin, &content(100), "image/png", "a.png").await.json().await.unwrap();
    let client = reqwest::Client::new();
    let url = asset_url(&hub, &asset.sha256);
    for req in [
        client.get(&url),
        client.get(&url).bearer_auth("not-a-token"),
        client.get(&url).query(&[("access_token", "not-a-token")]),
        client.post(format!("{}/api/v1/assets", hub.url())).body("x"),
    ] {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(resp.json::<ApiError>().await.unwrap().code, "unauthorized");
    }
    // An unknown asset is not found only once logged in, so existence is not revealed.
    let unknown = asset_url(&hub, &"0".repeat(64));
    assert_eq!(client.get(&unknown).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        client.get(&unknown).bearer_auth(&admin).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    let coord = token(&hub, seed::DEMO_COORDINATOR).await;
    let resp = upload(&hub, &coord, b"x", "image/png", "x.png").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_empty_upload_is_refused() {
    let hub = TestHub::seeded().await;
    let admin = token(&hub, "admin").await;
    let before = stored_files(&hub).len();
    let resp = upload(&hub, &admin, &[], "video/mp4", "empty.mp4").await;
    assert_eq!(resp.status(), 422);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "empty_asset");
    assert_eq!(stored_files(&hub).len(), before, "nothing stored");
}
