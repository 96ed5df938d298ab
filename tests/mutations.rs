//! Mutations up: each client-made UUIDv7 is applied at most once, a repeat returns the stored
//! outcome, and refusals are answers too.

use fenduo_hub::seed;
use fenduo_proto::{MutationOutcome, MutationResults, Record};
use fenduo_tests::{scalar, TestHub};
use serde_json::{json, Value};

async fn token(hub: &TestHub, user: &str) -> String {
    fenduo_tests::login_token(&hub.url(), user).await
}

async fn send(hub: &TestHub, token: &str, mutations: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/mutations", hub.url()))
        .bearer_auth(token)
        .json(&json!({ "mutations": mutations }))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn note(id: &str, text: &str) -> Value {
    json!({"id": id, "kind": "add_note", "body": {
        "session_id": seed::DEMO_SESSION_ID, "at": chrono::Utc::now(), "group_id": null, "text": text}})
}

async fn notes(hub: &TestHub) -> i64 {
    scalar(hub.hub.sqlite_pool().expect("the test hub runs on SQLite"), "SELECT COUNT(*) FROM notes").await
}

#[tokio::test]
async fn a_repeated_mutation_id_is_applied_once_and_answers_the_stored_result() {
    let hub = TestHub::seeded().await;
    let trainer = token(&hub, "trainer").await;
    let id = uuid::Uuid::now_v7().to_string();
    let (status, first) = send(&hub, &trainer, json!([note(&id, "开场节奏好，福利提前预告效果明显")])).await;
    assert_eq!(status, 200, "{first}");
    let first: MutationResults = serde_json::from_value(first).unwrap();
    assert!(!first.results[0].repeated);
    let MutationOutcome::Applied { record: Record::Note(n) } = &first.results[0].outcome else {
        panic!("applied: {first:?}")
    };
    assert_eq!(n.author_name, "培训师·周老师");

    // The answer was lost; the command post retries with the same id.
    let (_, again) = send(&hub, &trainer, json!([note(&id, "开场节奏好，福利提前预告效果明显")])).await;
    let again: MutationResults = serde_json::from_value(again).unwrap();
    assert!(again.results[0].repeated);
    assert_eq!(again.results[0].outcome, first.results[0].outcome);
    assert_eq!(notes(&hub).await, 1);

    // Another user can't reuse the id.
    let coord = token(&hub, "coord").await;
    let (_, other) = send(&hub, &coord, json!([note(&id, "x")])).await;
    assert_eq!(other["results"][0]["outcome"], "refused");
    assert_eq!(other["results"][0]["error"]["code"], "mutation_id_conflict");
    assert_eq!(notes(&hub).await, 1);
}

#[tokio::test]
async fn concurrent_retries_of_one_id_store_one_note() {
    let hub = TestHub::seeded().await;
    let trainer = token(&hub, "trainer").await;
    let id = uuid::Uuid::now_v7().to_string();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (url, t, body) = (hub.url(), trainer.clone(), json!({"mutations": [note(&id, "并发重试")]}));
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{url}/api/v1/mutations"))
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(notes(&hub).await, 1);
}

#[tokio::test]
async fn bad_ids_and_forbidden_kinds_are_refused_clearly() {
    let hub = TestHub::seeded().await;
    let trainer = token(&hub, "trainer").await;
    let (status, err) = send(&hub, &trainer, json!([note("not-a-uuid", "x")])).await;
    assert_eq!(status, 422);
    assert_eq!(err["field"], "mutations[0].id");
    let v4 = "9b2c8a4e-1f2d-4c3b-8a5e-6d7f8a9b0c1d";
    let (status, err) = send(&hub, &trainer, json!([note(v4, "x")])).await;
    assert_eq!(status, 422, "{err}");
    assert!(err["message"].as_str().unwrap().contains("UUIDv7"));

    // A trainer may not start the stream; the refusal is stored and repeated as is.
    let id = uuid::Uuid::now_v7().to_string();
    let start = json!([{"id": id, "kind": "start_session", "body": {
        "session_id": seed::DEMO_SESSION_ID, "started_at": chrono::Utc::now()}}]);
    let (_, r) = send(&hub, &trainer, start.clone()).await;
    assert_eq!(r["results"][0]["error"]["code"], "forbidden");
    let (_, r) = send(&hub, &trainer, start).await;
    assert_eq!(r["results"][0]["repeated"], true);
    assert_eq!(r["results"][0]["error"]["code"], "forbidden");

    // A distributor may not write notes; an empty note is refused with the field named.
    let dist = token(&hub, "dist01").await;
    let (_, r) = send(&hub, &dist, json!([note(&uuid::Uuid::now_v7().to_string(), "x")])).await;
    assert_eq!(r["results"][0]["error"]["code"], "forbidden");
    let (_, r) = send(&hub, &trainer, json!([note(&uuid::Uuid::now_v7().to_string(), "   ")])).await;
    assert_eq!(r["results"][0]["error"]["field"], "text");
    assert_eq!(notes(&hub).await, 0);
}

#[tokio::test]
async fn marking_the_start_moves_the_session_for_every_client() {
    let hub = TestHub::seeded().await;
    fenduo_tests::unmark_demo_start(&hub.hub).await;
    let coord = token(&hub, "coord").await;
    let started = chrono::Utc::now() - chrono::Duration::minutes(3);
    let (_, r) = send(
        &hub,
        &coord,
        json!([{"id": uuid::Uuid::now_v7().to_string(), "kind": "start_session", "body": {
            "session_id": seed::DEMO_SESSION_ID, "started_at": started}}]),
    )
    .await;
    assert_eq!(r["results"][0]["outcome"], "applied", "{r}");
    let dist = token(&hub, "dist02").await;
    let page: fenduo_proto::ChangePage = reqwest::Client::new()
        .get(format!("{}/api/v1/changes?after=0&limit=2000", hub.url()))
        .bearer_auth(dist)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = page
        .changes
        .iter()
        .find_map(|c| match &c.record {
            Some(Record::Session(s)) if s.id == seed::DEMO_SESSION_ID => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(session.actual_start.map(|t| t.timestamp_millis()), Some(started.timestamp_millis()));

    // A second, different start (a late retry, another command post) does not move it again.
    let (_, again) = send(
        &hub,
        &coord,
        json!([{"id": uuid::Uuid::now_v7().to_string(), "kind": "start_session", "body": {
            "session_id": seed::DEMO_SESSION_ID, "started_at": started - chrono::Duration::minutes(30)}}]),
    )
    .await;
    assert_eq!(again["results"][0]["error"]["code"], "already_started", "{again}");
}
