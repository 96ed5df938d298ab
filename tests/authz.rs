//! The authorization matrix: every route of the hub × every kind of caller, over a real socket,
//! with own region / other region and own / another distributor's groups where that applies.
//! `cargo test -p fenduo-tests --test authz -- --nocapture` prints the matrix.
//!
//! Two regions: the seeded demo region `east` (E) and `west` (W), added here with its own
//! regional admin, coordinator, trainer, distributor (three groups) and a leader. Every cell
//! asserts the status and the JSON `code`; the reads also assert what comes back: exactly the
//! groups, notes and statuses the caller may see, in `/changes`, `/status` and `/live` (snapshot
//! and deltas).
//!
//! Readings of the security model (DESIGN.md) that this test fixes where it leaves room:
//! - Trainers "read sessions": that includes their region's group figures (`/status`, `/live`,
//!   the change log), since replay review needs the metric curves. They write notes, nothing else.
//! - Sessions and stages are national (one live stream), so any coordinator or admin may mark
//!   the start, as `tests/mutations.rs` already expects; a start marked in one region moves the
//!   session for every region.
//! - A regional admin is an admin inside its region only: metrics only for its region's groups,
//!   roster imports only into its region, group removal only there. Uploading an asset is open
//!   to every admin: assets are national, content-addressed and inert until a playbook names one.
//! - A national admin belongs to no region, so it writes no notes (a note belongs to a region).
//! - A leader's token opens only that leader's deliveries. There are none yet, so it opens `/me`
//!   and `/logout` and nothing else, not even an asset by its hash.
//! - A distributor sees only its own groups' records: notes about another distributor's group,
//!   and notes about no group (the region staff's remarks), are not synced to it.
//! - A refused mutation is an answer: HTTP 200 with a stored `refused` outcome. A note about a
//!   group of another region is refused `invalid_note` in the same words as an unknown group, so
//!   it does not reveal that the group exists.
//! - A revoked or expired token is treated exactly like no token: 401 everywhere.
//! - The health check and the OpenAPI document are public: they describe the hub, not its data.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use fenduo_hub::{auth, seed};
use fenduo_proto::{Group, LiveMessage, Region, Role, User};
use fenduo_tests::{scalar, TestHub, PASSWORD};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The matrix's columns, in order.
const COLUMNS: [&str; 14] = [
    "admin", "admW", "coordE", "coordW", "trnE", "trnW", "d01E", "d02E", "dW", "leadW", "anon", "revoked",
    "expired", "junk",
];
const N: usize = COLUMNS.len();

const LEGEND: &str = "\
cells: HTTP status; 101 = WebSocket upgrade accepted; 401 = {code: unauthorized}, 403 = forbidden,
404 = not_found, 409 = conflict; 401c = 401 {code: bad_credentials}; - = not applicable.
POST /mutations answers 200 per mutation: ok = applied, rep = the caller's own id repeated (stored
result), R403 = refused forbidden, R422 = refused invalid_note, R409 = refused mutation_id_conflict.
columns: admin = national admin; admW = regional admin of W; coordE/coordW, trnE/trnW =
coordinator/trainer of E/W; d01E, d02E = two distributors of E; dW = distributor of W; leadW = leader
of W; anon = no token; revoked = a token after POST /logout; expired = a token past its expiry;
junk = a random token the hub never issued.";

/// What part of the data a caller may see, as the security model says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sees {
    All,
    Region(&'static str),
    Distributor(&'static str, &'static str),
    Nothing,
}

impl Sees {
    /// May see a row of `region` that belongs to `distributor` (None: the region's staff only).
    fn row(self, region: &str, distributor: Option<&str>) -> bool {
        match self {
            Sees::All => true,
            Sees::Region(r) => r == region,
            Sees::Distributor(r, u) => r == region && distributor == Some(u),
            Sees::Nothing => false,
        }
    }

    fn region(self) -> Option<&'static str> {
        match self {
            Sees::Region(r) | Sees::Distributor(r, _) => Some(r),
            Sees::All | Sees::Nothing => None,
        }
    }
}

struct Caller {
    label: &'static str,
    username: Option<&'static str>,
    token: Option<String>,
    sees: Sees,
}

/// What the cells aim at.
struct Targets {
    /// A group of dist01 in E.
    e1: String,
    /// A group of dist02 in E.
    e2: String,
    /// A group of the W distributor.
    w1: String,
    /// An asset every logged-in caller but a leader may fetch.
    sha: String,
    /// The id of a note the E trainer wrote.
    trainer_note: String,
}

struct Ctx {
    hub: TestHub,
    http: reqwest::Client,
    t: Targets,
    /// Every request's orders figure differs, so a stored status shows which request wrote it.
    counter: std::sync::atomic::AtomicU32,
}

/// One row of the table: what each column's caller does.
enum Action {
    /// A GET outside the API's authorization: the hub's health and its OpenAPI document.
    Public(&'static str),
    Me,
    Changes,
    Status,
    Live,
    Download {
        sha: String,
        query_token: bool,
    },
    Upload,
    Ingest {
        group: String,
        ndjson: bool,
    },
    Roster {
        region: &'static str,
        group: String,
        distributor: &'static str,
    },
    /// `kind` and `body` of one mutation; a fixed `id`, or a fresh UUIDv7 per cell.
    Mutation {
        kind: &'static str,
        body: Value,
        id: Option<String>,
    },
    /// Removes a group made for the cell in this region (None: an unknown group), about which a
    /// note was written if `noted`.
    DeleteGroup {
        region: Option<&'static str>,
        noted: bool,
    },
    Logout,
}

struct Matrix {
    rows: Vec<(String, Vec<String>)>,
    problems: Vec<String>,
}

impl Matrix {
    fn check(&mut self, route: &str, actual: Vec<String>, expected: [&str; N]) {
        for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
            if a != e {
                self.problems.push(format!("{route} as {}: expected {e}, got {a}", COLUMNS[i]));
            }
        }
        self.rows.push((route.to_string(), actual));
    }

    fn print(&self) {
        let first = self.rows.iter().map(|(r, _)| r.chars().count()).max().unwrap_or(0).max(5);
        let widths: Vec<usize> = (0..N)
            .map(|i| {
                self.rows.iter().map(|(_, c)| c[i].chars().count()).max().unwrap_or(0).max(COLUMNS[i].len())
            })
            .collect();
        let mut out = format!("\nAuthorization matrix (route × caller → answer)\n{:first$}", "route");
        for (i, c) in COLUMNS.iter().enumerate() {
            out += &format!(" | {c:>w$}", w = widths[i]);
        }
        out += "\n";
        out += &"-".repeat(first + widths.iter().map(|w| w + 3).sum::<usize>());
        out += "\n";
        for (route, cells) in &self.rows {
            out += &format!("{route:first$}");
            for (i, c) in cells.iter().enumerate() {
                let mark =
                    if self.problems.iter().any(|p| p.starts_with(&format!("{route} as {}:", COLUMNS[i]))) {
                        "!"
                    } else {
                        ""
                    };
                out += &format!(" | {:>w$}", format!("{mark}{c}"), w = widths[i]);
            }
            out += "\n";
        }
        println!("{out}\n{LEGEND}\n");
    }
}

/// The cell for an HTTP answer: its status, with the JSON `code` where it is not the usual one.
fn http_cell(status: u16, body: &Value) -> String {
    if status < 300 {
        return status.to_string();
    }
    let code = body["code"].as_str().unwrap_or("(no JSON code)");
    match (status, code) {
        (401, "unauthorized") | (403, "forbidden") | (404, "not_found") | (409, "conflict") => {
            status.to_string()
        }
        (401, "bad_credentials") => "401c".into(),
        _ => format!("{status} {code}"),
    }
}

/// The cell for a one-mutation batch.
fn mutation_cell(status: u16, body: &Value) -> String {
    if status != 200 {
        return http_cell(status, body);
    }
    let r = &body["results"][0];
    match (r["outcome"].as_str(), r["repeated"].as_bool(), r["error"]["code"].as_str()) {
        (Some("applied"), Some(false), _) => "ok".into(),
        (Some("applied"), Some(true), _) => "rep".into(),
        (Some("refused"), _, Some("forbidden")) => "R403".into(),
        (Some("refused"), _, Some("invalid_note")) => "R422".into(),
        (Some("refused"), _, Some("mutation_id_conflict")) => "R409".into(),
        _ => format!("200 {r}"),
    }
}

impl Ctx {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.hub.url())
    }

    fn pool(&self) -> &sqlx::SqlitePool {
        self.hub.hub.sqlite_pool().expect("the test hub runs on SQLite")
    }

    fn next(&self) -> u32 {
        self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }

    async fn send(&self, req: reqwest::RequestBuilder, token: Option<&str>) -> (u16, Value) {
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req.send().await.expect("the hub answers");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("a body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn login(&self, username: &str, password: &str) -> (u16, Value) {
        self.send(
            self.http.post(self.url("/login")).json(&json!({"username": username, "password": password})),
            None,
        )
        .await
    }

    async fn mutate(&self, token: Option<&str>, id: &str, kind: &str, body: &Value) -> (u16, Value) {
        let batch = json!({"mutations": [{"id": id, "kind": kind, "body": body}]});
        self.send(self.http.post(self.url("/mutations")).json(&batch), token).await
    }

    fn sample(&self, group: &str, orders: u32) -> Value {
        json!({"group_id": group, "at": Utc::now(), "watching": 30, "messages_per_min": 4,
               "orders": orders, "gmv_fen": orders * 9_900})
    }

    async fn ingest(&self, token: Option<&str>, samples: &[Value], ndjson: bool) -> (u16, Value) {
        let req = self.http.post(self.url("/metrics"));
        let req = if ndjson {
            let lines: String = samples.iter().map(|s| format!("{s}\n")).collect();
            req.header("content-type", "application/x-ndjson").body(lines)
        } else {
            req.json(&json!({ "samples": samples }))
        };
        self.send(req, token).await
    }

    async fn orders_of(&self, group: &str) -> i64 {
        let sql = format!(
            "SELECT COALESCE(MAX(orders), -1) FROM group_status WHERE session_id = '{}' AND group_id = '{group}'",
            seed::DEMO_SESSION_ID
        );
        scalar(self.pool(), &sql).await
    }

    /// Groups (with region and distributor) as stored now.
    async fn groups(&self) -> Vec<(String, String, String)> {
        sqlx::query_as("SELECT id, region_id, distributor_id FROM wechat_groups")
            .fetch_all(self.pool())
            .await
            .unwrap()
    }

    /// Notes with their region and the distributor of the group they are about.
    async fn notes(&self) -> Vec<(String, String, Option<String>)> {
        sqlx::query_as(
            "SELECT n.id, n.region_id, g.distributor_id FROM notes n LEFT JOIN wechat_groups g ON g.id = n.group_id",
        )
        .fetch_all(self.pool())
        .await
        .unwrap()
    }

    /// Which of the groups with figures (e1, e2, w1) a caller may see.
    fn visible_statuses(&self, sees: Sees) -> BTreeSet<String> {
        [(&self.t.e1, "east", "dist-01"), (&self.t.e2, "east", "dist-02"), (&self.t.w1, "west", "dist-w1")]
            .into_iter()
            .filter(|(_, r, d)| sees.row(r, Some(d)))
            .map(|(g, _, _)| g.clone())
            .collect()
    }

    async fn open_live(&self, token: Option<&str>) -> Result<Socket, (u16, Value)> {
        use tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{}/api/v1/live", self.hub.addr).into_client_request().unwrap();
        if let Some(t) = token {
            req.headers_mut().insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((socket, _)) => Ok(socket),
            Err(tungstenite::Error::Http(resp)) => {
                let body = resp
                    .body()
                    .as_deref()
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or(Value::Null);
                Err((resp.status().as_u16(), body))
            }
            Err(e) => panic!("the live handshake failed unexpectedly: {e}"),
        }
    }

    /// Performs one cell; data the caller should not see (or should see and does not) is added
    /// to `problems`. Sockets that opened are kept in `sockets` for the live delta check.
    async fn perform(
        &self,
        action: &Action,
        c: &Caller,
        problems: &mut Vec<String>,
        sockets: &mut Vec<(usize, Socket)>,
        col: usize,
    ) -> String {
        let token = c.token.as_deref();
        let who = c.label;
        match action {
            Action::Public(path) => {
                let (status, body) =
                    self.send(self.http.get(format!("{}{path}", self.hub.url())), token).await;
                http_cell(status, &body)
            }
            Action::Me => {
                let (status, body) = self.send(self.http.get(self.url("/me")), token).await;
                if status == 200 && body["user"]["username"].as_str() != c.username {
                    problems.push(format!("GET /me as {who} answered {}", body["user"]));
                }
                http_cell(status, &body)
            }
            Action::Changes => {
                let mut after = 0i64;
                let mut records = Vec::new();
                let (status, body) = loop {
                    let (status, body) = self
                        .send(self.http.get(self.url(&format!("/changes?after={after}&limit=2000"))), token)
                        .await;
                    if status != 200 {
                        break (status, body);
                    }
                    records.extend(body["changes"].as_array().unwrap().iter().cloned());
                    after = body["next_cursor"].as_i64().unwrap();
                    if !body["more"].as_bool().unwrap() {
                        break (status, body);
                    }
                };
                if status == 200 {
                    self.check_changes(c, &records, problems).await;
                }
                http_cell(status, &body)
            }
            Action::Status => {
                let (status, body) = self.send(self.http.get(self.url("/status")), token).await;
                if status == 200 {
                    let seen: BTreeSet<String> = body["statuses"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s["group_id"].as_str().unwrap().to_string())
                        .collect();
                    let expected = self.visible_statuses(c.sees);
                    if seen != expected {
                        problems.push(format!(
                            "GET /status as {who}: statuses of {seen:?}, expected {expected:?}"
                        ));
                    }
                }
                http_cell(status, &body)
            }
            Action::Live => match self.open_live(token).await {
                Ok(mut socket) => {
                    match next_statuses(&mut socket).await {
                        Some(LiveMessage::Snapshot { statuses, .. }) => {
                            let seen: BTreeSet<String> = statuses.into_iter().map(|s| s.group_id).collect();
                            let expected = self.visible_statuses(c.sees);
                            if seen != expected {
                                problems.push(format!(
                                    "GET /live as {who}: snapshot of {seen:?}, expected {expected:?}"
                                ));
                            }
                        }
                        other => problems.push(format!("GET /live as {who}: first message {other:?}")),
                    }
                    sockets.push((col, socket));
                    "101".into()
                }
                Err((status, body)) => http_cell(status, &body),
            },
            Action::Download { sha, query_token } => {
                let mut req = self.http.get(self.url(&format!("/assets/{sha}")));
                let (status, body) = if *query_token {
                    if let Some(t) = token {
                        req = req.query(&[("access_token", t)]);
                    }
                    self.send(req, None).await
                } else {
                    self.send(req, token).await
                };
                http_cell(status, &body)
            }
            Action::Upload => {
                let bytes = format!("authz upload by {who} {}", self.next());
                let req =
                    self.http.post(self.url("/assets")).header("content-type", "text/plain").body(bytes);
                let (status, body) = self.send(req, token).await;
                http_cell(status, &body)
            }
            Action::Ingest { group, ndjson } => {
                let orders = 10_000 + self.next();
                let (status, body) = self.ingest(token, &[self.sample(group, orders)], *ndjson).await;
                let stored = self.orders_of(group).await == orders as i64;
                if stored != (status == 200) {
                    problems.push(format!("POST /metrics as {who}: answered {status} but stored = {stored}"));
                }
                http_cell(status, &body)
            }
            Action::Roster { region, group, distributor } => {
                let csv = format!(
                    "群名称,群ID,群主,群主手机,运营官,气氛官,群人数,经销商\n授权矩阵测试群,{group},张秀英,13800138000,李娜,王芳,60,{distributor}\n"
                );
                let req = self
                    .http
                    .post(self.url(&format!("/regions/{region}/roster?dry_run=true")))
                    .header("x-file-name", "roster.csv")
                    .body(csv);
                let (status, body) = self.send(req, token).await;
                http_cell(status, &body)
            }
            Action::Mutation { kind, body, id } => {
                let fresh = uuid::Uuid::now_v7().to_string();
                let notes_before = self.notes().await.len();
                let (status, answer) = self.mutate(token, id.as_deref().unwrap_or(&fresh), kind, body).await;
                let cell = mutation_cell(status, &answer);
                let added = self.notes().await.len() - notes_before;
                if *kind == "add_note" && added != usize::from(cell == "ok") {
                    problems
                        .push(format!("POST /mutations add_note as {who}: {cell} but {added} notes stored"));
                }
                cell
            }
            Action::DeleteGroup { region, noted } => {
                let id = format!("17900000000{:08}", self.next());
                if let Some(region) = region {
                    let distributor = if *region == "east" { "dist-01" } else { "dist-w1" };
                    self.hub.hub.upsert_groups(&[group(&id, region, distributor)]).await.unwrap();
                }
                if *noted {
                    sqlx::query(
                        "INSERT INTO notes (id, session_id, region_id, at, group_id, text, author_id, created_at) \
                         SELECT ?, ?, region_id, '2026-01-01T00:00:00.000Z', id, '解散前的备注', 'user-trainer', \
                         '2026-01-01T00:00:00.000Z' FROM wechat_groups WHERE id = ?",
                    )
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(seed::DEMO_SESSION_ID)
                    .bind(&id)
                    .execute(self.pool())
                    .await
                    .unwrap();
                }
                let (status, body) =
                    self.send(self.http.delete(self.url(&format!("/groups/{id}"))), token).await;
                let left =
                    scalar(self.pool(), &format!("SELECT COUNT(*) FROM wechat_groups WHERE id = '{id}'"))
                        .await;
                if region.is_some() && (left == 0) != (status == 200) {
                    problems.push(format!("DELETE /groups as {who}: answered {status}, {left} rows left"));
                }
                http_cell(status, &body)
            }
            Action::Logout => {
                // Users log out a token of their own made for this cell; the others send theirs.
                let token = match c.username {
                    Some(u) => Some(self.login(u, PASSWORD).await.1["token"].as_str().unwrap().to_string()),
                    None => c.token.clone(),
                };
                let (status, body) = self.send(self.http.post(self.url("/logout")), token.as_deref()).await;
                if status == 200 {
                    let (after, _) = self.send(self.http.get(self.url("/me")), token.as_deref()).await;
                    if after != 401 {
                        problems.push(format!("POST /logout as {who}: the token still answers {after}"));
                    }
                }
                http_cell(status, &body)
            }
        }
    }

    /// `/changes` gives exactly the groups and notes the caller may see, and no record of another
    /// region (or, for a distributor, of another distributor).
    async fn check_changes(&self, c: &Caller, records: &[Value], problems: &mut Vec<String>) {
        let who = c.label;
        let of_kind = |kind: &str| -> BTreeSet<String> {
            records
                .iter()
                .filter(|r| r["kind"] == kind && !r["record"].is_null())
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect()
        };
        let groups: BTreeSet<String> = self
            .groups()
            .await
            .into_iter()
            .filter(|(_, r, d)| c.sees.row(r, Some(d)))
            .map(|(id, _, _)| id)
            .collect();
        if of_kind("group") != groups {
            problems.push(format!(
                "GET /changes as {who}: {} groups, expected {}",
                of_kind("group").len(),
                groups.len()
            ));
        }
        let notes: BTreeSet<String> = self
            .notes()
            .await
            .into_iter()
            .filter(|(_, r, d)| c.sees.row(r, d.as_deref()))
            .map(|(id, _, _)| id)
            .collect();
        if of_kind("note") != notes {
            problems.push(format!("GET /changes as {who}: notes {:?}, expected {notes:?}", of_kind("note")));
        }
        // Whatever the kind (regions, users, and kinds to come): never another region's, never
        // another distributor's.
        for r in records {
            let data = &r["record"]["data"];
            let region = data["region_id"]
                .as_str()
                .or_else(|| (r["kind"] == "region").then(|| data["id"].as_str()).flatten());
            if let (Some(own), Some(region)) = (c.sees.region(), region) {
                if own != region {
                    problems
                        .push(format!("GET /changes as {who}: a {} of region {region}: {data}", r["kind"]));
                }
            }
            if let (Sees::Distributor(_, me), Some(d)) = (c.sees, data["distributor_id"].as_str()) {
                if d != me {
                    problems.push(format!("GET /changes as {who}: a {} of distributor {d}", r["kind"]));
                }
            }
            if let Sees::Distributor(_, me) = c.sees {
                if r["kind"] == "user" && data["role"] == "distributor" && data["id"] != me {
                    problems
                        .push(format!("GET /changes as {who}: the account of distributor {}", data["id"]));
                }
            }
        }
    }
}

/// The next snapshot or delta on a live socket (skipping `changed` notices), within 5 s.
async fn next_statuses(socket: &mut Socket) -> Option<LiveMessage> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let msg = tokio::time::timeout_at(deadline, socket.next()).await.ok()??.ok()?;
        if let tungstenite::Message::Text(text) = msg {
            match serde_json::from_str::<LiveMessage>(&text).expect("a live message") {
                LiveMessage::Changed { .. } => continue,
                m => return Some(m),
            }
        }
    }
}

fn group(id: &str, region: &str, distributor: &str) -> Group {
    Group {
        id: id.into(),
        region_id: region.into(),
        name: format!("授权测试群{id}"),
        leader_name: "陈秀英".into(),
        ops_officer: "李娜".into(),
        atmosphere_officer: "王芳".into(),
        member_count: 60,
        distributor_id: distributor.into(),
        distributor_name: distributor.into(),
    }
}

/// Region W with its staff, a distributor with three groups, and a leader.
async fn add_west(hub: &TestHub) -> Vec<Group> {
    hub.hub.upsert_region(&Region { id: "west".into(), name: "华西大区".into() }).await.unwrap();
    for (id, username, name, role) in [
        ("user-admin-w", "admin_w", "华西区管理员", Role::Admin),
        ("user-coord-w", "coord_w", "华西区域协调员", Role::Coordinator),
        ("user-trainer-w", "trainer_w", "培训师·刘老师", Role::Trainer),
        ("dist-w1", "dist_w", "成都·王建华", Role::Distributor),
        ("user-leader-w", "leader_w", "群主·何丽华", Role::Leader),
    ] {
        let user = User {
            id: id.into(),
            username: username.into(),
            display_name: name.into(),
            role,
            region_id: Some("west".into()),
        };
        hub.hub.create_user(&user, PASSWORD).await.unwrap();
    }
    let groups: Vec<Group> =
        (1..=3).map(|i| group(&format!("17000000000000000{i:02}"), "west", "dist-w1")).collect();
    hub.hub.upsert_groups(&groups).await.unwrap();
    groups
}

fn callers() -> Vec<Caller> {
    let user = |label, username, sees| Caller { label, username: Some(username), token: None, sees };
    let none = |label| Caller { label, username: None, token: None, sees: Sees::Nothing };
    vec![
        user("admin", "admin", Sees::All),
        user("admW", "admin_w", Sees::Region("west")),
        user("coordE", "coord", Sees::Region("east")),
        user("coordW", "coord_w", Sees::Region("west")),
        user("trnE", "trainer", Sees::Region("east")),
        user("trnW", "trainer_w", Sees::Region("west")),
        user("d01E", "dist01", Sees::Distributor("east", "dist-01")),
        user("d02E", "dist02", Sees::Distributor("east", "dist-02")),
        user("dW", "dist_w", Sees::Distributor("west", "dist-w1")),
        user("leadW", "leader_w", Sees::Nothing),
        none("anon"),
        none("revoked"),
        none("expired"),
        none("junk"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_what_the_security_model_forbids() {
    let hub = TestHub::seeded().await;
    let west = add_west(&hub).await;
    let http = reqwest::Client::new();
    let mut callers = callers();
    assert_eq!(callers.iter().map(|c| c.label).collect::<Vec<_>>(), COLUMNS);
    let mut m = Matrix { rows: Vec::new(), problems: Vec::new() };

    let first = |groups: &[(String, String, String)], d: &str| {
        groups.iter().filter(|(_, _, dist)| dist == d).map(|(id, _, _)| id.clone()).min().unwrap()
    };
    let mut ctx = Ctx {
        hub,
        http,
        t: Targets {
            e1: String::new(),
            e2: String::new(),
            w1: west[0].id.clone(),
            sha: String::new(),
            trainer_note: String::new(),
        },
        counter: Default::default(),
    };
    let all = ctx.groups().await;
    ctx.t.e1 = first(&all, "dist-01");
    ctx.t.e2 = first(&all, "dist-02");

    // ---- logging in gives each account its token ----------------------------------------------

    let mut right = Vec::new();
    let mut wrong = Vec::new();
    for c in callers.iter_mut() {
        match c.username {
            Some(u) => {
                let (status, body) = ctx.login(u, PASSWORD).await;
                c.token = body["token"].as_str().map(String::from);
                right.push(http_cell(status, &body));
                let (status, body) = ctx.login(u, "wrong-password-1").await;
                wrong.push(http_cell(status, &body));
            }
            None if c.label == "anon" => {
                right.push("-".into());
                let (status, body) = ctx.login("nobody", PASSWORD).await;
                wrong.push(http_cell(status, &body));
            }
            None => {
                right.push("-".into());
                wrong.push("-".into());
            }
        }
    }
    let ok10 = ["200"; 10];
    let cols = |users: [&'static str; 10], rest: [&'static str; 4]| -> [&'static str; N] {
        let mut all = [""; N];
        all[..10].copy_from_slice(&users);
        all[10..].copy_from_slice(&rest);
        all
    };
    const UNAUTH: [&str; 4] = ["401"; 4];
    m.check("POST /login right password", right, cols(ok10, ["-"; 4]));
    m.check(
        "POST /login wrong password (anon: no such user)",
        wrong,
        cols(["401c"; 10], ["401c", "-", "-", "-"]),
    );

    // The revoked token: logged in, then logged out. The expired one: its expiry passed 59
    // minutes ago. The junk one: never issued.
    let (_, body) = ctx.login("coord", PASSWORD).await;
    let revoked = body["token"].as_str().unwrap().to_string();
    let (status, _) = ctx.send(ctx.http.post(ctx.url("/logout")), Some(&revoked)).await;
    assert_eq!(status, 200);
    let (expired, hash) = auth::new_token();
    ctx.hub
        .hub
        .state
        .store
        .insert_token(&hash, "user-coord", Utc::now() - chrono::Duration::minutes(59))
        .await
        .unwrap();
    callers[11].token = Some(revoked);
    callers[12].token = Some(expired);
    callers[13].token = Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into());

    // ---- data to filter: statuses in both regions, notes about groups of both regions -------
    let admin = callers[0].token.clone();
    let (status, body) = ctx
        .ingest(
            admin.as_deref(),
            &[ctx.sample(&ctx.t.e1, 5), ctx.sample(&ctx.t.e2, 6), ctx.sample(&ctx.t.w1, 7)],
            false,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let asset = ctx
        .send(
            ctx.http.post(ctx.url("/assets")).header("content-type", "text/plain").body("授权矩阵素材"),
            admin.as_deref(),
        )
        .await;
    assert_eq!(asset.0, 201, "{}", asset.1);
    ctx.t.sha = asset.1["sha256"].as_str().unwrap().to_string();
    let note = |group: Option<&str>| json!({"session_id": seed::DEMO_SESSION_ID, "at": Utc::now(), "group_id": group, "text": "授权矩阵备注"});
    for (writer, group) in [
        (4, Some(ctx.t.e1.clone())),
        (4, Some(ctx.t.e2.clone())),
        (4, None),
        (5, Some(ctx.t.w1.clone())),
        (5, None),
    ] {
        let id = uuid::Uuid::now_v7().to_string();
        let (status, body) =
            ctx.mutate(callers[writer].token.as_deref(), &id, "add_note", &note(group.as_deref())).await;
        assert_eq!(mutation_cell(status, &body), "ok", "{body}");
        if ctx.t.trainer_note.is_empty() {
            ctx.t.trainer_note = id;
        }
    }

    // ---- the table --------------------------------------------------------------------------
    let (e1, e2, w1) = (ctx.t.e1.clone(), ctx.t.e2.clone(), ctx.t.w1.clone());
    // Not marked started yet; every allowed caller then marks the same moment, which is accepted
    // again (a different moment would be refused as already started).
    fenduo_tests::unmark_demo_start(&ctx.hub.hub).await;
    let start =
        json!({"session_id": seed::DEMO_SESSION_ID, "started_at": Utc::now() - chrono::Duration::minutes(2)});
    let reads = cols(["200", "200", "200", "200", "200", "200", "200", "200", "200", "403"], UNAUTH);
    let admins_only = |e: &'static str, w: &'static str| {
        cols([e, w, "403", "403", "403", "403", "403", "403", "403", "403"], UNAUTH)
    };
    let table: Vec<(String, Action, [&str; N])> = vec![
        ("GET /healthz".into(), Action::Public("/healthz"), ["200"; N]),
        ("GET /api/v1/openapi.json".into(), Action::Public("/api/v1/openapi.json"), ["200"; N]),
        ("GET /me".into(), Action::Me, cols(ok10, UNAUTH)),
        ("GET /changes (filtered)".into(), Action::Changes, reads),
        ("GET /status (filtered)".into(), Action::Status, reads),
        (
            "GET /live (snapshot, deltas filtered)".into(),
            Action::Live,
            cols(["101", "101", "101", "101", "101", "101", "101", "101", "101", "403"], UNAUTH),
        ),
        (
            "GET /assets/{sha} bearer".into(),
            Action::Download { sha: ctx.t.sha.clone(), query_token: false },
            reads,
        ),
        (
            "GET /assets/{sha}?access_token=".into(),
            Action::Download { sha: ctx.t.sha.clone(), query_token: true },
            reads,
        ),
        (
            "GET /assets/{unknown sha}".into(),
            Action::Download { sha: "ab".repeat(32), query_token: false },
            cols(["404", "404", "404", "404", "404", "404", "404", "404", "404", "403"], UNAUTH),
        ),
        ("POST /assets".into(), Action::Upload, admins_only("201", "201")),
        (
            "POST /metrics json · group of d01E".into(),
            Action::Ingest { group: e1.clone(), ndjson: false },
            admins_only("200", "403"),
        ),
        (
            "POST /metrics json · group of d02E".into(),
            Action::Ingest { group: e2.clone(), ndjson: false },
            admins_only("200", "403"),
        ),
        (
            "POST /metrics json · group of dW".into(),
            Action::Ingest { group: w1.clone(), ndjson: false },
            admins_only("200", "200"),
        ),
        (
            "POST /metrics ndjson · group of d01E".into(),
            Action::Ingest { group: e1.clone(), ndjson: true },
            admins_only("200", "403"),
        ),
        (
            "POST /metrics ndjson · group of dW".into(),
            Action::Ingest { group: w1.clone(), ndjson: true },
            admins_only("200", "200"),
        ),
        (
            "POST /regions/east/roster (dry run)".into(),
            Action::Roster { region: "east", group: e1.clone(), distributor: "dist01" },
            cols(["200", "403", "200", "403", "403", "403", "403", "403", "403", "403"], UNAUTH),
        ),
        (
            "POST /regions/west/roster (dry run)".into(),
            Action::Roster { region: "west", group: w1.clone(), distributor: "dist_w" },
            cols(["200", "200", "403", "200", "403", "403", "403", "403", "403", "403"], UNAUTH),
        ),
        (
            "POST /regions/nowhere/roster".into(),
            Action::Roster { region: "nowhere", group: "1700000000000000099".into(), distributor: "x" },
            cols(["404", "403", "403", "403", "403", "403", "403", "403", "403", "403"], UNAUTH),
        ),
        (
            "POST /mutations start_session".into(),
            Action::Mutation { kind: "start_session", body: start, id: None },
            cols(["ok", "ok", "ok", "ok", "R403", "R403", "R403", "R403", "R403", "R403"], UNAUTH),
        ),
        (
            "POST /mutations add_note · no group".into(),
            Action::Mutation { kind: "add_note", body: note(None), id: None },
            cols(["R403", "ok", "ok", "ok", "ok", "ok", "R403", "R403", "R403", "R403"], UNAUTH),
        ),
        (
            "POST /mutations add_note · group of d01E".into(),
            Action::Mutation { kind: "add_note", body: note(Some(&e1)), id: None },
            cols(["R403", "R422", "ok", "R422", "ok", "R422", "R403", "R403", "R403", "R403"], UNAUTH),
        ),
        (
            "POST /mutations add_note · group of dW".into(),
            Action::Mutation { kind: "add_note", body: note(Some(&w1)), id: None },
            cols(["R403", "ok", "R422", "ok", "R422", "ok", "R403", "R403", "R403", "R403"], UNAUTH),
        ),
        (
            "POST /mutations add_note · unknown group".into(),
            Action::Mutation { kind: "add_note", body: note(Some("1799999999999999999")), id: None },
            cols(["R403", "R422", "R422", "R422", "R422", "R422", "R403", "R403", "R403", "R403"], UNAUTH),
        ),
        (
            "POST /mutations · trnE's mutation id again".into(),
            Action::Mutation {
                kind: "add_note",
                body: note(Some(&e1)),
                id: Some(ctx.t.trainer_note.clone()),
            },
            cols(["R409", "R409", "R409", "R409", "rep", "R409", "R409", "R409", "R409", "R409"], UNAUTH),
        ),
        (
            "DELETE /groups/{group of d01E}".into(),
            Action::DeleteGroup { region: Some("east"), noted: false },
            cols(["200", "403", "200", "403", "403", "403", "403", "403", "403", "403"], UNAUTH),
        ),
        (
            "DELETE /groups/{group of dW}".into(),
            Action::DeleteGroup { region: Some("west"), noted: false },
            cols(["200", "200", "403", "200", "403", "403", "403", "403", "403", "403"], UNAUTH),
        ),
        (
            "DELETE /groups/{group of d01E with a note}".into(),
            Action::DeleteGroup { region: Some("east"), noted: true },
            cols(["409", "403", "409", "403", "403", "403", "403", "403", "403", "403"], UNAUTH),
        ),
        (
            "DELETE /groups/{unknown}".into(),
            Action::DeleteGroup { region: None, noted: false },
            cols(["404", "404", "404", "404", "403", "403", "403", "403", "403", "403"], UNAUTH),
        ),
        ("POST /logout".into(), Action::Logout, cols(ok10, UNAUTH)),
    ];

    for (route, action, expected) in &table {
        let mut cells = Vec::with_capacity(N);
        let mut sockets = Vec::new();
        for (col, c) in callers.iter().enumerate() {
            cells.push(ctx.perform(action, c, &mut m.problems, &mut sockets, col).await);
        }
        if !sockets.is_empty() {
            live_deltas(&ctx, &callers, sockets, &mut m.problems).await;
        }
        m.check(route, cells, *expected);
    }

    m.print();
    assert!(m.problems.is_empty(), "{} authorization problems:\n{}", m.problems.len(), m.problems.join("\n"));
}

/// With a socket open for every caller allowed on `/live`, new figures for a group of d01E, one
/// of d02E and one of dW reach each caller filtered to what it may see.
async fn live_deltas(
    ctx: &Ctx,
    callers: &[Caller],
    sockets: Vec<(usize, Socket)>,
    problems: &mut Vec<String>,
) {
    let orders = 20_000 + ctx.next();
    let samples =
        [ctx.sample(&ctx.t.e1, orders), ctx.sample(&ctx.t.e2, orders), ctx.sample(&ctx.t.w1, orders)];
    let (status, body) = ctx.ingest(callers[0].token.as_deref(), &samples, false).await;
    assert_eq!(status, 200, "{body}");
    for (col, mut socket) in sockets {
        let c = &callers[col];
        let expected = ctx.visible_statuses(c.sees);
        let mut seen = BTreeSet::new();
        while !expected.iter().all(|g| seen.contains(g)) {
            match next_statuses(&mut socket).await {
                Some(LiveMessage::Delta { statuses, .. } | LiveMessage::Snapshot { statuses, .. }) => {
                    for s in statuses {
                        if !expected.contains(&s.group_id) {
                            problems
                                .push(format!("GET /live as {}: a delta for group {}", c.label, s.group_id));
                        }
                        if s.orders == orders {
                            seen.insert(s.group_id);
                        }
                    }
                }
                other => {
                    problems.push(format!(
                        "GET /live as {}: saw {seen:?} of {expected:?}, then {other:?}",
                        c.label
                    ));
                    break;
                }
            }
        }
        let _ = socket.close(None).await;
    }
}
