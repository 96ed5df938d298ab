//! Metric ingest over a real socket: malformed or out-of-range batches are refused with a JSON
//! error naming the field, and nothing of a refused batch is stored.

use fenduo_hub::seed;
use fenduo_proto::{ApiError, LoginResponse, StatusSnapshot};
use fenduo_tests::{TestHub, PASSWORD};
use serde_json::json;

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn login(hub: &TestHub, username: &str) -> Client {
        let http = reqwest::Client::new();
        let resp: LoginResponse = http
            .post(format!("{}/api/v1/login", hub.url()))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Client { http, base: hub.url(), token: resp.token }
    }

    async fn post_metrics(&self, body: String, content_type: &str) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .post(format!("{}/api/v1/metrics", self.base))
            .bearer_auth(&self.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    async fn status(&self) -> StatusSnapshot {
        self.http
            .get(format!("{}/api/v1/status", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn group_ids(n: usize) -> Vec<String> {
    let (_, _, groups) = seed::demo_region(&seed::DemoSpec::load());
    groups.into_iter().take(n).map(|g| g.id).collect()
}

fn sample(group: &str, watching: i64, at: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
    json!({"group_id": group, "at": at, "watching": watching, "messages_per_min": 5, "orders": 2, "gmv_fen": 150000})
}

#[tokio::test]
async fn refused_batches_name_the_field_and_store_nothing() {
    let hub = TestHub::seeded().await;
    let sim = Client::login(&hub, seed::DEMO_SIMULATOR).await;
    let ids = group_ids(2);
    let now = chrono::Utc::now();
    let cases = [
        (json!({"samples": [sample(&ids[0], 30, now), sample(&ids[1], -1, now)]}), "samples[1].watching"),
        (
            json!({"samples": [sample(&ids[0], 30, now), sample("no-such-group", 3, now)]}),
            "samples[1].group_id",
        ),
        (
            json!({"samples": [sample(&ids[0], 30, now), sample(&ids[1], 3, now - chrono::Duration::hours(3))]}),
            "samples[1].at",
        ),
        (json!({"samples": [sample(&ids[0], 30, now), {"group_id": ids[1], "at": now}]}), "samples[1]"),
        (
            json!({"samples": [sample(&ids[0], 30, now), sample(&ids[1], 10, now).as_object().unwrap().clone().into_iter().map(|(k, v)| if k == "orders" { (k, json!("many")) } else { (k, v) }).collect::<serde_json::Map<_, _>>()]}),
            "samples[1].orders",
        ),
    ];
    for (body, field) in cases {
        let (status, err) = sim.post_metrics(body.to_string(), "application/json").await;
        assert_eq!(status, 422, "{err}");
        let err: ApiError = serde_json::from_value(err).unwrap();
        assert!(err.field.as_deref().unwrap_or_default().starts_with(field), "{field}: {err:?}");
        assert!(err.message.contains(field), "message names the field: {err:?}");
    }
    let (status, err) = sim.post_metrics("{not json".into(), "application/json").await;
    assert_eq!(status, 422);
    assert_eq!(err["code"], "invalid_body");
    assert!(sim.status().await.statuses.is_empty(), "nothing from a refused batch is stored");
}

#[tokio::test]
async fn ndjson_batches_are_accepted_and_a_bad_line_is_named() {
    let hub = TestHub::seeded().await;
    let sim = Client::login(&hub, seed::DEMO_SIMULATOR).await;
    let ids = group_ids(3);
    let now = chrono::Utc::now();
    let body: String = ids.iter().map(|id| format!("{}\n", sample(id, 33, now))).collect();
    let (status, report) = sim.post_metrics(body, "application/x-ndjson").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], 3);
    let snapshot = sim.status().await;
    assert_eq!(snapshot.statuses.len(), 3);
    assert!(snapshot.statuses.iter().all(|s| s.watching == 33));

    let body = format!("{}\n{}\n", sample(&ids[0], 40, now), sample(&ids[1], -5, now));
    let (status, err) = sim.post_metrics(body, "application/x-ndjson").await;
    assert_eq!(status, 422);
    assert!(err["message"].as_str().unwrap().contains("line 2"), "{err}");
    assert!(sim.status().await.statuses.iter().all(|s| s.watching == 33), "refused batch stored nothing");
}

#[tokio::test]
async fn only_the_ingest_role_may_send_metrics_and_tokens_are_required() {
    let hub = TestHub::seeded().await;
    let coordinator = Client::login(&hub, seed::DEMO_COORDINATOR).await;
    let ids = group_ids(1);
    let body = json!({"samples": [sample(&ids[0], 30, chrono::Utc::now())]}).to_string();
    let (status, err) = coordinator.post_metrics(body.clone(), "application/json").await;
    assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")));
    let anonymous = Client { token: "not-a-token".into(), ..coordinator };
    let (status, err) = anonymous.post_metrics(body, "application/json").await;
    assert_eq!((status, err["code"].as_str()), (401, Some("unauthorized")));
}
