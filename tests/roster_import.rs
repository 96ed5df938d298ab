//! Roster import into the hub's storage, through the library (as the CLI does) and the HTTP API:
//! the shared real-world cases import correctly or are refused row by row, and re-importing the
//! same file changes nothing.

use fenduo_hub::import::{ImportOptions, ImportReport};
use fenduo_proto::{ChangePage, LoginResponse, Record, Region, Role, User};
use fenduo_tests::{TestHub, PASSWORD};

fn case(name: &str) -> Vec<u8> {
    fenduo_tests::roster_case(name)
}

async fn south(hub: &TestHub) {
    hub.hub.upsert_region(&Region { id: "south".into(), name: "华南大区".into() }).await.unwrap();
    let coordinator = User {
        id: "user-south-coord".into(),
        username: "south-coord".into(),
        display_name: "华南协调员".into(),
        role: Role::Coordinator,
        region_id: Some("south".into()),
    };
    hub.hub.create_user(&coordinator, PASSWORD).await.unwrap();
}

async fn import(hub: &TestHub, file: &str, create: bool) -> ImportReport {
    let options = ImportOptions { create_distributors: create, dry_run: false };
    hub.hub.import_roster("south", file, &case(file), &options).await.unwrap()
}

async fn group_count(hub: &TestHub) -> i64 {
    sqlx_count(hub, "SELECT COUNT(*) FROM wechat_groups WHERE region_id = 'south'").await
}

async fn sqlx_count(hub: &TestHub, sql: &str) -> i64 {
    let pool = hub.hub.sqlite_pool().expect("the test hub runs on SQLite");
    fenduo_tests::scalar(pool, sql).await
}

#[tokio::test]
async fn gbk_roster_imports_once_and_reimport_changes_nothing() {
    let hub = TestHub::seeded().await;
    south(&hub).await;

    // Distributors the region does not know are refused row by row unless asked to create them.
    let report = import(&hub, "excel-gbk.csv", false).await;
    assert_eq!(report.created.len(), 0);
    assert_eq!(report.refused_rows(), 5);
    assert!(report.refused[0].reason.contains("has no account"), "{:?}", report.refused[0]);
    assert_eq!(group_count(&hub).await, 0, "a refused import writes nothing");

    let report = import(&hub, "excel-gbk.csv", true).await;
    assert_eq!(report.encoding, "gb18030");
    assert_eq!(report.created.len(), 5, "{report:?}");
    assert_eq!(report.refused_rows(), 0);
    let mut made = report.created_distributors.clone();
    made.sort();
    made.dedup();
    assert_eq!(made, ["广州天河体验馆", "海珠工作室", "番禺工作室", "越秀工作室"]);
    assert_eq!(group_count(&hub).await, 5);
    let ids: Vec<&str> = report.created.iter().map(|g| g.group_id.as_str()).collect();
    assert!(ids.contains(&"1688850012345678901"), "19-digit ids kept exactly: {ids:?}");
    assert!(report.created.iter().any(|g| g.name == "健康小厨?番禺2群"));

    let again = import(&hub, "excel-gbk.csv", true).await;
    assert_eq!((again.created.len(), again.updated.len(), again.unchanged), (0, 0, 5), "{again:?}");
    assert!(again.created_distributors.is_empty());
    assert_eq!(
        sqlx_count(&hub, "SELECT COUNT(*) FROM users WHERE role = 'distributor' AND region_id = 'south'")
            .await,
        4
    );

    // The same groups exported as UTF-8 with a BOM differ only in names (emoji, zero-width space).
    let bom = import(&hub, "excel-utf8-bom.csv", true).await;
    assert_eq!(bom.created.len() + bom.updated.len() + bom.unchanged, 5, "{bom:?}");
    assert!(bom.updated.iter().any(|g| g.name.contains('\u{200B}')), "{bom:?}");
}

#[tokio::test]
async fn rows_whose_digits_excel_lost_are_refused_and_merged_cells_import() {
    let hub = TestHub::seeded().await;
    south(&hub).await;
    let sci = import(&hub, "excel-scientific-notation.csv", true).await;
    assert_eq!(sci.created.len(), 0);
    assert_eq!(sci.refused_rows(), 2);
    assert!(sci.refused.iter().all(|e| e.reason.contains("scientific notation")), "{sci:?}");
    assert_eq!(group_count(&hub).await, 0);

    let merged = import(&hub, "excel-merged-cells.xlsx", true).await;
    assert_eq!(merged.created.len(), 5, "{merged:?}");
    assert_eq!(merged.skipped.len(), 1, "the totals row is not a group");
    let pool = hub.hub.sqlite_pool().expect("the test hub runs on SQLite");
    let carried = fenduo_tests::scalar(
        pool,
        "SELECT COUNT(*) FROM wechat_groups g JOIN users u ON u.id = g.distributor_id WHERE u.display_name = '广州天河体验馆'",
    )
    .await;
    assert!(carried >= 3, "the merged distributor cell applies to the rows below it ({carried})");
}

#[tokio::test]
async fn the_api_imports_only_into_the_callers_region_and_clients_sync_the_groups() {
    let hub = TestHub::seeded().await;
    south(&hub).await;
    let http = reqwest::Client::new();
    let login = |user: &'static str| {
        let http = http.clone();
        let url = hub.url();
        async move {
            http.post(format!("{url}/api/v1/login"))
                .json(&serde_json::json!({"username": user, "password": PASSWORD}))
                .send()
                .await
                .unwrap()
                .json::<LoginResponse>()
                .await
                .unwrap()
                .token
        }
    };
    let east = login("coord").await;
    let south_token = login("south-coord").await;
    let post = |token: String, query: &'static str| {
        http.post(format!("{}/api/v1/regions/south/roster?{query}", hub.url()))
            .bearer_auth(token)
            .header("x-file-name", "excel-gbk.csv")
            .body(case("excel-gbk.csv"))
            .send()
    };
    let resp = post(east, "create_distributors=true").await.unwrap();
    assert_eq!(resp.status(), 403, "another region's coordinator is refused");

    let dry: serde_json::Value = post(south_token.clone(), "create_distributors=true&dry_run=true")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dry["created"].as_array().unwrap().len(), 5);
    assert_eq!(group_count(&hub).await, 0, "a dry run writes nothing");

    let resp = post(south_token.clone(), "create_distributors=true").await.unwrap();
    assert_eq!(resp.status(), 200);
    let page: ChangePage = http
        .get(format!("{}/api/v1/changes?after=0&limit=2000", hub.url()))
        .bearer_auth(&south_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let groups: Vec<_> = page
        .changes
        .iter()
        .filter_map(|c| match &c.record {
            Some(Record::Group(g)) => Some(g),
            _ => None,
        })
        .collect();
    assert_eq!(groups.len(), 5, "the south coordinator syncs exactly the imported groups");
    assert!(groups.iter().all(|g| g.region_id == "south"));

    let bad = http
        .post(format!("{}/api/v1/regions/south/roster", hub.url()))
        .bearer_auth(&south_token)
        .header("x-file-name", "notes.txt")
        .body("这不是名单\nhello")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let err: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(err["code"], "invalid_roster");
}
