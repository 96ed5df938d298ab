//! Sync down: paging, tombstones, the purge horizon and full resync, and no change skipped
//! while the hub is being written to.

use std::collections::{BTreeMap, HashSet};

use fenduo_engine::Engine;
use fenduo_hub::seed;
use fenduo_proto::{ChangePage, Record};
use fenduo_tests::TestHub;

async fn token(hub: &TestHub, user: &str) -> String {
    fenduo_tests::login_token(&hub.url(), user).await
}

async fn page(hub: &TestHub, token: &str, after: i64, limit: u32) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/api/v1/changes?after={after}&limit={limit}", hub.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Every record the caller sees, by (kind, id), paging with `limit`.
async fn all(hub: &TestHub, token: &str, limit: u32) -> (BTreeMap<(String, String), Record>, usize) {
    let mut after = 0;
    let mut out = BTreeMap::new();
    let mut pages = 0;
    loop {
        let p: ChangePage = page(hub, token, after, limit).await.json().await.unwrap();
        pages += 1;
        for c in p.changes {
            assert!(c.seq > after, "seqs only grow");
            let key = (c.kind.clone(), c.id.clone());
            assert!(!out.contains_key(&key), "{key:?} delivered twice");
            out.insert(key, c.record.expect("no tombstones yet"));
        }
        assert!(p.next_cursor >= after);
        after = p.next_cursor;
        if !p.more {
            return (out, pages);
        }
    }
}

/// The local store's groups as a set of ids.
async fn local_groups(engine: &Engine) -> HashSet<String> {
    engine.wall_data().await.unwrap().groups.into_iter().map(|g| g.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_pages_deliver_exactly_what_one_big_page_does() {
    let hub = TestHub::seeded().await;
    let coord = token(&hub, seed::DEMO_COORDINATOR).await;
    let (big, big_pages) = all(&hub, &coord, 2000).await;
    let (small, small_pages) = all(&hub, &coord, 7).await;
    assert_eq!(big_pages, 1);
    assert!(small_pages > 80, "{small_pages}");
    assert_eq!(big.keys().collect::<Vec<_>>(), small.keys().collect::<Vec<_>>());
    let kinds: HashSet<&str> = big.keys().map(|(k, _)| k.as_str()).collect();
    for kind in ["region", "group", "session", "stage", "user", "playbook", "asset"] {
        assert!(kinds.contains(kind), "{kind} is synced");
    }
    assert!(!format!("{big:?}").contains("argon2"), "user records carry no password hashes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_group_reaches_clients_as_a_tombstone_and_only_its_own_distributor_sees_it() {
    let hub = TestHub::seeded().await;
    let (engine, _data) = fenduo_tests::engine_driven_by_test(&hub.url(), seed::DEMO_COORDINATOR).await;
    engine.sync_once().await.unwrap();
    let before = local_groups(&engine).await;
    let wall = engine.wall_data().await.unwrap();
    let victim = wall.groups.iter().find(|g| g.distributor_id == "dist-01").unwrap().clone();

    let coord = token(&hub, seed::DEMO_COORDINATOR).await;
    let dist2 = token(&hub, "dist02").await;
    let (_, _) = all(&hub, &dist2, 2000).await;
    let cursor2: ChangePage = page(&hub, &dist2, 0, 2000).await.json().await.unwrap();

    let resp = reqwest::Client::new()
        .delete(format!("{}/api/v1/groups/{}", hub.url(), victim.id))
        .bearer_auth(&coord)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    assert_eq!(engine.sync_once().await.unwrap(), 1, "one tombstone");
    let after = local_groups(&engine).await;
    assert_eq!(before.len() - 1, after.len());
    assert!(!after.contains(&victim.id));

    let p: ChangePage = page(&hub, &dist2, cursor2.next_cursor, 2000).await.json().await.unwrap();
    assert!(p.changes.is_empty(), "another distributor's deletion is not theirs to see: {:?}", p.changes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_behind_the_purge_horizon_resyncs_from_the_start() {
    let hub = TestHub::seeded().await;
    let (engine, _data) = fenduo_tests::engine_driven_by_test(&hub.url(), seed::DEMO_COORDINATOR).await;
    engine.sync_once().await.unwrap();
    let old_cursor = {
        let coord = token(&hub, seed::DEMO_COORDINATOR).await;
        let p: ChangePage = page(&hub, &coord, 0, 2000).await.json().await.unwrap();
        p.next_cursor
    };
    let victim = engine.wall_data().await.unwrap().groups[3].id.clone();
    hub.hub.state.store.delete_group(&victim).await.unwrap().expect("deleted");
    let purged = hub
        .hub
        .state
        .store
        .purge_tombstones(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(purged, 1);

    let coord = token(&hub, seed::DEMO_COORDINATOR).await;
    let resp = page(&hub, &coord, old_cursor, 100).await;
    assert_eq!(resp.status(), 410);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "resync_required");

    let n = engine.sync_once().await.unwrap();
    assert!(n > 600, "a full resync ({n} records)");
    let groups = local_groups(&engine).await;
    assert_eq!(groups.len(), 599);
    assert!(!groups.contains(&victim));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_change_is_skipped_while_the_hub_is_written_during_sync() {
    let hub = TestHub::seeded().await;
    let (engine, _data) = fenduo_tests::engine_driven_by_test(&hub.url(), seed::DEMO_COORDINATOR).await;
    let mut groups = engine.wall_data().await.unwrap().groups;
    if groups.is_empty() {
        engine.sync_once().await.unwrap();
        groups = engine.wall_data().await.unwrap().groups;
    }
    let writer_hub = hub.hub.clone();
    let writer_groups = groups.clone();
    let writer = tokio::spawn(async move {
        for round in 0..40 {
            let mut batch: Vec<_> = writer_groups.iter().skip(round * 5).take(5).cloned().collect();
            for g in &mut batch {
                g.member_count = 41 + round as u32;
            }
            writer_hub.upsert_groups(&batch).await.unwrap();
        }
    });
    while !writer.is_finished() {
        engine.sync_once().await.unwrap();
    }
    writer.await.unwrap();
    engine.sync_once().await.unwrap();
    let local: BTreeMap<String, u32> =
        engine.wall_data().await.unwrap().groups.into_iter().map(|g| (g.id, g.member_count)).collect();
    let coord = token(&hub, seed::DEMO_COORDINATOR).await;
    let (remote, _) = all(&hub, &coord, 2000).await;
    let remote: BTreeMap<String, u32> = remote
        .into_values()
        .filter_map(|r| match r {
            Record::Group(g) => Some((g.id, g.member_count)),
            _ => None,
        })
        .collect();
    assert_eq!(local, remote);
}
