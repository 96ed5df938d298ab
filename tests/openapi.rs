//! The hub's OpenAPI document (`GET /api/v1/openapi.json`) lists exactly the routes the hub
//! serves, and what it says about each operation is what a real hub answers.
//!
//! Which routes the router serves is read from the hub's source: axum's `Router` cannot list its
//! routes, and a hand-kept list would drift just as the document could. The scan finds every
//! `.route("<path>", <method router>)` call in `crates/fenduo-hub/src/**/*.rs` (a regex finds the
//! calls, parentheses are matched by hand) and takes each module's mount prefix from the
//! `.nest("<prefix>", a::routes().merge(b::routes()))` in `lib.rs`. That is a textual contract,
//! so the scan refuses what it cannot read rather than skipping it: a path that is not a string
//! literal, a method router other than `get`/`post`/`put`/`patch`/`delete`/`head`/`options`,
//! `.route_service`, or a module whose `routes()` `lib.rs` does not mount. Should one of those be
//! needed, extend the scan here (or give the hub a route table both sides read).
//!
//! Then every documented operation is called on a real hub, anonymously and as an admin with an
//! empty body: the status must be one the document lists for it (so a route the router does not
//! serve, a 404/405 without an `ApiError`, fails), an operation that declares bearer security
//! must refuse the anonymous call with 401 and one that declares none must not, and a documented
//! `ApiError` or plain-text answer must really be one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fenduo_hub::seed;
use fenduo_tests::{TestHub, PASSWORD};
use futures_util::StreamExt;
use regex::Regex;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The method routers the scan understands, as OpenAPI names them.
const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

type Route = (String, String); // (method, path as mounted)

fn hub_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/fenduo-hub/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("hub source folder") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code with comment lines blanked (doc comments may show `.route(` in examples).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("readable source");
    text.lines().map(|l| if l.trim_start().starts_with("//") { "" } else { l }).collect::<Vec<_>>().join("\n")
}

/// The length of `text` up to the `)` that closes the parenthesis opened just before it.
fn to_close(text: &str) -> usize {
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for (i, c) in text.char_indices() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' => depth += 1,
            ')' if depth == 0 => return i,
            ')' => depth -= 1,
            _ => {}
        }
    }
    panic!("unbalanced parentheses in {text:.80}");
}

/// The string literal an argument list starts with, and the rest after its comma.
fn literal_arg<'a>(args: &'a str, what: &str, file: &Path) -> (String, &'a str) {
    let re = Regex::new(r#"^\s*"([^"\\]*)"\s*,"#).unwrap();
    let m = re.captures(args).unwrap_or_else(|| {
        panic!("{}: a {what} whose path is not a string literal: {args:.80}", file.display())
    });
    (m[1].to_string(), &args[m.get(0).unwrap().end()..])
}

/// The methods of a method router such as `get(a)`, `get(a).post(b)` or `axum::routing::delete(c)`.
fn methods_of(expr: &str, file: &Path) -> Vec<String> {
    let call = Regex::new(r"^\s*\.?\s*((?:[A-Za-z_][A-Za-z0-9_]*::)*)([a-z_]+)\s*\(").unwrap();
    let mut rest = expr.trim().trim_end_matches(',');
    let mut methods = Vec::new();
    while !rest.trim().is_empty() {
        let m = call
            .captures(rest)
            .unwrap_or_else(|| panic!("{}: cannot read the method router `{}`", file.display(), expr.trim()));
        let name = m[2].to_string();
        assert!(
            METHODS.contains(&name.as_str()),
            "{}: method router `{name}(..)` in `{}` is not understood by this test; extend it",
            file.display(),
            expr.trim()
        );
        let open = m.get(0).unwrap().end();
        rest = &rest[open + to_close(&rest[open..]) + 1..];
        methods.push(name);
    }
    assert!(!methods.is_empty(), "{}: a route without a method: {expr}", file.display());
    methods
}

/// Every `(method, path)` the hub's router serves, read from its source (see the file comment).
fn served_routes() -> BTreeSet<Route> {
    let src = hub_src();
    let lib = code_of(&src.join("lib.rs"));
    // Where each module's `routes()` is mounted, and which spans of lib.rs are nested.
    let module_routes = Regex::new(r"\b(\w+)::routes\(\)").unwrap();
    let mut prefix_of: BTreeMap<String, String> = BTreeMap::new();
    let mut nested: Vec<(usize, usize, String)> = Vec::new();
    for m in Regex::new(r"\.nest\(").unwrap().find_iter(&lib) {
        let args = &lib[m.end()..];
        let args = &args[..to_close(args)];
        let (prefix, inner) = literal_arg(args, "nest", Path::new("lib.rs"));
        for c in module_routes.captures_iter(inner) {
            prefix_of.insert(c[1].to_string(), prefix.clone());
        }
        nested.push((m.end(), m.end() + args.len(), prefix));
    }
    for c in module_routes.captures_iter(&lib) {
        prefix_of.entry(c[1].to_string()).or_default();
    }

    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let route_call = Regex::new(r"\.route\(").unwrap();
    let mut served = BTreeSet::new();
    for file in files {
        let code = code_of(&file);
        assert!(
            !code.contains(".route_service("),
            "{}: `.route_service` is not understood here",
            file.display()
        );
        let rel = file.strip_prefix(&src).unwrap();
        let is_lib = rel == Path::new("lib.rs");
        let module = rel.iter().next().unwrap().to_string_lossy().trim_end_matches(".rs").to_string();
        for m in route_call.find_iter(&code) {
            let args = &code[m.end()..];
            let args = &args[..to_close(args)];
            let (path, router) = literal_arg(args, "route", &file);
            let prefix = if is_lib {
                nested.iter().find(|(a, b, _)| (*a..*b).contains(&m.start())).map_or("", |n| n.2.as_str())
            } else {
                prefix_of.get(&module).map(String::as_str).unwrap_or_else(|| {
                    panic!(
                        "{} defines routes, but lib.rs's router() does not mount `{module}::routes()`",
                        file.display()
                    )
                })
            };
            for method in methods_of(router, &file) {
                served.insert((method, format!("{prefix}{path}")));
            }
        }
    }
    served
}

fn documented_routes(doc: &Value) -> BTreeSet<Route> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    routes
}

async fn fetch_document(hub: &TestHub) -> Value {
    let resp = reqwest::get(format!("{}/api/v1/openapi.json", hub.url())).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "the document needs no token");
    let ct = resp.headers().get(CONTENT_TYPE).unwrap().to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "served as {ct}");
    resp.json().await.expect("the document is JSON")
}

async fn admin_token(hub: &TestHub) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/login", hub.url()))
        .json(&serde_json::json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

/// Every `$ref` in the document, to check that each one resolves.
fn refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.insert(r.clone());
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_served_and_well_formed() {
    let hub = TestHub::seeded().await;
    let doc = fetch_document(&hub).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "Fenduo hub API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");

    let schemas = doc["components"]["schemas"].as_object().expect("component schemas");
    for name in ["ApiError", "LiveMessage", "MutationBatch", "ChangePage", "ImportReport"] {
        assert!(schemas.contains_key(name), "schema {name} is missing");
    }
    let mut all = BTreeSet::new();
    refs(&doc, &mut all);
    for r in &all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }

    let mut operation_ids = BTreeSet::new();
    for (method, path) in documented_routes(&doc) {
        let op = &doc["paths"][&path][&method];
        let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(operation_ids.insert(id.to_string()), "operationId {id} is used twice");
        for scheme in
            op["security"].as_array().into_iter().flatten().flat_map(|r| r.as_object().unwrap().keys())
        {
            assert!(
                schemes.get(scheme).is_some(),
                "{method} {path} names an unknown security scheme {scheme}"
            );
        }
    }
}

#[tokio::test]
async fn every_served_route_is_documented_and_every_documented_one_is_served() {
    let served = served_routes();
    // The scan must see the routes it knows exist, or it proves nothing.
    for known in [
        ("post", "/api/v1/login"),
        ("get", "/api/v1/changes"),
        ("post", "/api/v1/mutations"),
        ("get", "/healthz"),
    ] {
        assert!(
            served.contains(&(known.0.into(), known.1.into())),
            "the source scan missed {known:?}: {served:?}"
        );
    }
    let hub = TestHub::seeded().await;
    let documented = documented_routes(&fetch_document(&hub).await);
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the OpenAPI document (add #[utoipa::path] and list it in openapi.rs): {undocumented:?}"
    );
    assert!(unserved.is_empty(), "documented but not mounted by the router: {unserved:?}");
}

/// A value for each path parameter: the seeded region, or ids that do not exist.
fn sample(param: &str) -> String {
    match param {
        "region_id" => seed::DEMO_REGION_ID.to_string(),
        "sha256" => "0".repeat(64),
        _ => format!("no-such-{param}"),
    }
}

fn url_of(hub: &TestHub, path: &str) -> String {
    let param = Regex::new(r"\{(\w+)\}").unwrap();
    format!("{}{}", hub.url(), param.replace_all(path, |c: &regex::Captures| sample(&c[1])))
}

/// Checks one answer against the operation's documented responses.
async fn check_answer(what: &str, op: &Value, resp: reqwest::Response) -> StatusCode {
    let status = resp.status();
    let documented = &op["responses"][status.as_str()];
    assert!(
        documented.is_object(),
        "{what}: answered {status}, which the document does not list ({:?})",
        op["responses"].as_object().map(|r| r.keys().collect::<Vec<_>>())
    );
    let ct = resp.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = resp.bytes().await.unwrap();
    let content = documented["content"].as_object();
    let says_api_error = content
        .and_then(|c| c.get("application/json"))
        .is_some_and(|m| m["schema"]["$ref"] == "#/components/schemas/ApiError");
    if says_api_error {
        assert!(
            ct.starts_with("application/json"),
            "{what}: {status} documented as ApiError, served as {ct:?}"
        );
        let error: Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
        assert!(
            error["code"].is_string() && error["message"].is_string(),
            "{what}: not an ApiError: {error}"
        );
    } else if content.is_some_and(|c| c.len() == 1 && c.contains_key("text/plain")) {
        assert!(ct.starts_with("text/plain"), "{what}: {status} documented as text/plain, served as {ct:?}");
    }
    status
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let hub = TestHub::seeded().await;
    let doc = fetch_document(&hub).await;
    let client = reqwest::Client::new();
    let routes = documented_routes(&doc);
    assert!(routes.len() >= 10, "suspiciously few operations: {routes:?}");
    for (method, path) in routes {
        let op = &doc["paths"][&path][&method];
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        let url = url_of(&hub, &path);
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();

        let what = format!("{method} {path} without a token");
        let status = check_answer(&what, op, client.request(m.clone(), &url).send().await.unwrap()).await;
        if secured {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{what}: declares bearer security but did not refuse"
            );
        } else {
            assert_ne!(status, StatusCode::UNAUTHORIZED, "{what}: declares no security but wants a token");
        }

        // A fresh token each time: one of the operations is logout.
        let what = format!("{method} {path} as admin with an empty body");
        let token = admin_token(&hub).await;
        let resp = client.request(m, &url).bearer_auth(&token).send().await.unwrap();
        let status = check_answer(&what, op, resp).await;
        assert_ne!(status, StatusCode::UNAUTHORIZED, "{what}: the token was refused");
    }
}

/// The live route's documented 101 and the message shapes it points to.
#[tokio::test]
async fn the_live_socket_speaks_the_documented_messages() {
    let hub = TestHub::seeded().await;
    let doc = fetch_document(&hub).await;
    let op = &doc["paths"]["/api/v1/live"]["get"];
    assert!(op["responses"]["101"].is_object(), "the upgrade is documented as 101");
    let types: BTreeSet<String> = doc["components"]["schemas"]["LiveMessage"]["oneOf"]
        .as_array()
        .expect("LiveMessage is a tagged union")
        .iter()
        .map(|v| v["properties"]["type"]["enum"][0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types, ["changed", "delta", "snapshot"].map(String::from).into());

    let mut request = format!("ws://{}/api/v1/live", hub.addr).into_client_request().unwrap();
    let bearer = format!("Bearer {}", admin_token(&hub).await);
    request.headers_mut().insert(AUTHORIZATION, bearer.parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
    assert_eq!(response.status().as_u16(), 101);
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
        .await
        .expect("a first message")
        .unwrap()
        .unwrap();
    let message: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(message["type"], "snapshot", "{message}");
    assert!(types.contains(message["type"].as_str().unwrap()));
}

#[test]
fn the_scan_reads_method_routers_and_refuses_what_it_cannot() {
    let file = Path::new("example.rs");
    assert_eq!(methods_of("get(a).post(b)", file), ["get", "post"]);
    assert_eq!(methods_of(" axum::routing::delete(c) ,", file), ["delete"]);
    assert_eq!(methods_of("get(|| async { \"ok (really)\" })\n    .put(f(x))", file), ["get", "put"]);
    assert!(std::panic::catch_unwind(|| methods_of("any(handler)", file)).is_err());
    assert!(std::panic::catch_unwind(|| literal_arg("PATH, get(a)", "route", file)).is_err());
    assert_eq!(to_close("a(b)c) d"), 5);
}
