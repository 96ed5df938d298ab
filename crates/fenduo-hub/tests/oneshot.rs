//! Handlers driven through the router in process (`tower::ServiceExt::oneshot`), without a
//! socket: the fastest check of status codes and the `{code, message, field}` error shape.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fenduo_hub::{seed, Hub, HubConfig};
use tower::ServiceExt;

const PASSWORD: &str = "oneshot-password";

async fn hub() -> (Hub, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let hub = Hub::open(&dir.path().join("hub.sqlite"), HubConfig::default()).await.unwrap();
    seed::seed_demo(&hub, PASSWORD, chrono::Utc::now()).await.unwrap();
    (hub, dir)
}

async fn call(hub: &Hub, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let resp = hub.router().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

fn post(uri: &str, token: Option<&str>, body: serde_json::Value) -> Request<Body> {
    let mut req = Request::post(uri).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.body(Body::from(body.to_string())).unwrap()
}

async fn login(hub: &Hub, user: &str) -> String {
    let (status, body) =
        call(hub, post("/api/v1/login", None, serde_json::json!({"username": user, "password": PASSWORD})))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn login_answers_a_token_or_bad_credentials() {
    let (hub, _dir) = hub().await;
    assert_eq!(login(&hub, seed::DEMO_COORDINATOR).await.len(), 64);
    let (status, body) = call(
        &hub,
        post("/api/v1/login", None, serde_json::json!({"username": "coord", "password": "wrong"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "bad_credentials");
    let (status, body) = call(&hub, post("/api/v1/login", None, serde_json::json!({"username": 7}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_body");
    assert_eq!(body["field"], "username");
}

#[tokio::test]
async fn metrics_refusals_name_the_field_and_need_the_ingest_role() {
    let (hub, _dir) = hub().await;
    let sim = login(&hub, seed::DEMO_SIMULATOR).await;
    let coord = login(&hub, seed::DEMO_COORDINATOR).await;
    let group = seed::demo_region(&seed::DemoSpec::load()).2[0].id.clone();
    let sample = |watching: i64| {
        serde_json::json!({"samples": [{"group_id": group, "at": chrono::Utc::now(), "watching": watching,
            "messages_per_min": 1, "orders": 0, "gmv_fen": 0}]})
    };
    let (status, body) = call(&hub, post("/api/v1/metrics", Some(&sim), sample(-3))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "samples[0].watching");
    let (status, body) = call(&hub, post("/api/v1/metrics", Some(&coord), sample(3))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, body) = call(&hub, post("/api/v1/metrics", None, sample(3))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (status, body) = call(&hub, post("/api/v1/metrics", Some(&sim), sample(3))).await;
    assert_eq!((status, body["accepted"].as_u64()), (StatusCode::OK, Some(1)));
}
