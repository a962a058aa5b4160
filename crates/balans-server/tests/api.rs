//! The API over HTTP, against a real store in a temporary directory and a server
//! on a free port. One test binary for the whole API: each binary links everything.

use std::collections::BTreeMap;
use std::sync::Arc;

use balans_core::UserRole;
use balans_sqlite::SqliteStore;
use balans_store::accounts;
use serde_json::{Value, json};

struct TestApp {
    address: String,
    client: reqwest::Client,
    tokens: BTreeMap<&'static str, String>,
    db_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

const PARTIES: &str = "key,kind,name\nbosman,organization,Bosman Wonen\nhenk,person,Henk\nhotel,organization,Hotel De Wadden\ngerrit,person,Gerrit\n";
const MEMBERSHIPS: &str = "person,organization,role,from,until\nhenk,bosman,employee,2000-01-01,\ngerrit,hotel,contact,2000-01-01,\n";

async fn spawn_app() -> TestApp {
    spawn_app_with(balans_server::Config::default()).await
}

/// A server over a fresh store with an admin, a staff member, a viewer, a revoked
/// token and a few parties.
async fn spawn_app_with(config: balans_server::Config) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("balans.db");
    let mut store = SqliteStore::open(&path, true).unwrap();
    let sources = vec![
        balans_store::import::Source::new(
            "parties.csv",
            std::io::Cursor::new(PARTIES.as_bytes().to_vec()),
        ),
        balans_store::import::Source::new(
            "memberships.csv",
            std::io::Cursor::new(MEMBERSHIPS.as_bytes().to_vec()),
        ),
    ];
    balans_store::import::import(&mut store, sources, Default::default(), &|_| {}).unwrap();
    let mut tokens = BTreeMap::new();
    for (name, role) in [
        ("admin", UserRole::Admin),
        ("staff", UserRole::Staff),
        ("viewer", UserRole::Viewer),
    ] {
        let email = format!("{name}@bosman.nl");
        accounts::add_user(&mut store, &email, role, None).unwrap();
        tokens.insert(
            name,
            accounts::create_token(&mut store, &email, "test")
                .unwrap()
                .1,
        );
    }
    let (revoked, secret) = accounts::create_token(&mut store, "admin@bosman.nl", "old").unwrap();
    accounts::revoke_token(&mut store, revoked.id).unwrap();
    tokens.insert("revoked", secret);

    let reader_path = path.clone();
    let opener: balans_server::Opener = Arc::new(move || {
        Ok(Box::new(SqliteStore::open(&reader_path, false)?) as balans_server::DynStore)
    });
    let db = balans_server::Db::start(Box::new(store), opener, 4);
    let app = balans_server::app(balans_server::AppState { db }, &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(balans_server::serve(listener, app, std::future::pending()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        tokens,
        db_path: path,
        _dir: dir,
    }
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    fn as_(&self, who: &str, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.tokens.get(who) {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn get(&self, who: &str, path: &str) -> (u16, Value) {
        let response = self
            .as_(who, self.client.get(self.url(path)))
            .send()
            .await
            .unwrap();
        read(response).await
    }

    async fn post(&self, who: &str, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .as_(who, self.client.post(self.url(path)))
            .json(&body)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    async fn post_gesture(&self, body: Value) -> (u16, Value) {
        self.post("staff", "/api/v1/gestures", body).await
    }

    async fn balance(&self, a: &str, b: &str) -> Value {
        let (status, body) = self
            .get("viewer", &format!("/api/v1/balances/{a}/{b}"))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    fn check(&self) {
        let mut store = SqliteStore::open(&self.db_path, false).unwrap();
        let report = balans_store::ledger::check(&mut store).unwrap();
        assert!(report.differences.is_empty(), "{:?}", report.differences);
    }
}

/// The status and the JSON body; an error's body must be problem+json.
async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    if status >= 400 {
        assert_eq!(
            content_type, "application/problem+json",
            "status {status}: {text}"
        );
    }
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    if status >= 400 {
        assert_eq!(body["status"], status, "{body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
    }
    (status, body)
}

#[tokio::test]
async fn every_route_answers_each_role_as_its_documentation_says() {
    let app = spawn_app().await;
    let (status, doc) = app.get("", "/api/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let rank = |role: &str| {
        ["viewer", "staff", "admin"]
            .iter()
            .position(|r| *r == role)
            .unwrap()
    };
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let needed = operation["security"]
                .as_array()
                .and_then(|s| s.first())
                .map(|s| s["bearer"][0].as_str().unwrap().to_string());
            // Placeholder path parameters: the check is about who may ask, not what.
            let concrete = path
                .replace("{a}", "henk")
                .replace("{b}", "gerrit")
                .replace("{key}", "henk")
                .replace("{id}", "999");
            for who in ["", "revoked", "viewer", "staff", "admin"] {
                let request = app
                    .client
                    .request(method.to_uppercase().parse().unwrap(), app.url(&concrete));
                let request = if method == "get" || method == "delete" {
                    request
                } else {
                    request.json(&json!({}))
                };
                let (status, body) = read(app.as_(who, request).send().await.unwrap()).await;
                let expected = match (&needed, who) {
                    (None, _) => "public",
                    (Some(_), "" | "revoked") => "401",
                    (Some(needed), role) if rank(role) < rank(needed) => "403",
                    _ => "allowed",
                };
                match expected {
                    "401" => assert_eq!(status, 401, "{method} {path} as '{who}': {body}"),
                    "403" => assert_eq!(status, 403, "{method} {path} as {who}: {body}"),
                    _ => assert!(
                        status != 401 && status != 403 && status < 500,
                        "{method} {path} as '{who}': {status} {body}"
                    ),
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 5 * 15,
        "only {checked} checks: are routes missing from the document?"
    );
}

#[tokio::test]
async fn the_central_routes_are_documented() {
    let doc = serde_json::to_value(balans_server::openapi()).unwrap();
    for (method, path) in [
        ("post", "/api/v1/parties"),
        ("get", "/api/v1/parties/{key}"),
        ("patch", "/api/v1/parties/{key}"),
        ("post", "/api/v1/gestures"),
        ("post", "/api/v1/gestures/batch"),
        ("post", "/api/v1/gestures/{id}/reverse"),
        ("get", "/api/v1/balances/{a}/{b}"),
        ("get", "/api/v1/balances/{a}"),
        ("get", "/api/v1/report"),
        ("get", "/api/v1/kinds"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/tokens"),
        ("delete", "/api/v1/tokens/{id}"),
        ("post", "/api/v1/setup"),
        ("get", "/api/v1/parties"),
        ("post", "/api/v1/memberships"),
        ("get", "/api/v1/parties/{key}/memberships"),
        ("get", "/api/v1/gestures"),
        ("post", "/api/v1/kinds"),
        ("patch", "/api/v1/kinds/{code}"),
        ("post", "/api/v1/imports"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/api/v1/credits/{a}"),
        ("get", "/api/v1/credits/{a}/{b}"),
        ("get", "/api/v1/handovers"),
        ("post", "/api/v1/handovers"),
        ("post", "/api/v1/handovers/{id}/accept"),
        ("post", "/api/v1/handovers/{id}/decline"),
        ("post", "/api/v1/handovers/{id}/withdraw"),
        ("get", "/api/v1/alerts"),
        ("get", "/api/v1/organizations/{a}/credits"),
        ("post", "/api/v1/alerts/{id}/dismiss"),
        ("put", "/api/v1/users/{email}/party"),
        ("get", "/api/v1/settings"),
        ("put", "/api/v1/settings/{name}"),
        ("get", "/api/v1/promises"),
        ("post", "/api/v1/promises"),
        ("get", "/api/v1/promises/{id}"),
        ("post", "/api/v1/promises/{id}/keep"),
        ("post", "/api/v1/promises/{id}/break"),
        ("post", "/api/v1/promises/{id}/move"),
        ("post", "/api/v1/promises/{id}/release"),
        ("post", "/api/v1/sweep"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
}

/// Promises through the API: made by staff (a retry answers 200), listed,
/// kept once; every refusal is problem+json naming the field, and writes
/// nothing; a promise that fell due is broken by the next write.
#[tokio::test]
async fn a_promise_is_made_kept_and_refused_through_the_api() {
    let app = spawn_app().await;
    let promise = json!({"id": "call", "promiser": "henk", "promisee": "gerrit", "kind": "help", "due": "2099-03-14T17:00", "note": "call back"});
    let (status, body) = app
        .post("viewer", "/api/v1/promises", promise.clone())
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = app.post("staff", "/api/v1/promises", promise.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["id"].as_str(), body["state"].as_str()),
        (Some("call"), Some("open"))
    );
    assert_eq!(body["amount"], "3.00");
    let (status, _) = app.post("staff", "/api/v1/promises", promise).await;
    assert_eq!(status, 200);
    for (wrong, pointer) in [
        (
            json!({"promiser": "henk", "promisee": "henk", "kind": "help", "due": "2099-01-01"}),
            "/promisee",
        ),
        (
            json!({"promiser": "henk", "promisee": "gerrit", "kind": "nonsense", "due": "2099-01-01"}),
            "/kind",
        ),
        (
            json!({"promiser": "henk", "promisee": "gerrit", "kind": "help", "due": "2020-01-01"}),
            "/due",
        ),
    ] {
        let (status, body) = app.post("staff", "/api/v1/promises", wrong).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["pointer"], pointer, "{body}");
    }
    let (status, body) = app
        .post(
            "staff",
            "/api/v1/promises/call/keep",
            json!({"amount": "5"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/amount", "{body}");
    let (_, list) = app.get("viewer", "/api/v1/promises?open=true").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let (status, kept) = app
        .post("staff", "/api/v1/promises/call/keep", json!({}))
        .await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(
        (kept["state"].as_str(), kept["gesture"].as_str()),
        (Some("kept"), Some("call.kept"))
    );
    let (status, body) = app
        .post("staff", "/api/v1/promises/call/break", json!({}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("was kept"),
        "{body}"
    );
    let (status, body) = app.get("viewer", "/api/v1/promises/nope").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.get("viewer", "/api/v1/promises?due_within=soon").await;
    assert_eq!(status, 422, "{body}");

    // Made long ago and due since: the next write breaks it, before it runs.
    let old = json!({"id": "old", "promiser": "henk", "promisee": "gerrit", "kind": "help", "made": "2025-03-01", "due": "2025-03-14"});
    let (status, body) = app.post("staff", "/api/v1/promises", old).await;
    assert_eq!(status, 201, "{body}");
    let (status, swept) = app.post("staff", "/api/v1/sweep", json!({})).await;
    assert_eq!(status, 200, "{swept}");
    // The writer swept before this write's group: nothing was left to break.
    assert_eq!(swept["broken"], json!([]));
    let (_, old) = app.get("viewer", "/api/v1/promises/old").await;
    assert_eq!(
        (old["state"].as_str(), old["gesture"].as_str()),
        (Some("broken"), Some("old.broken"))
    );

    // henk kept one of his two promises to gerrit; since the broken one, all.
    let (status, rates) = app
        .get("viewer", "/api/v1/kept-rates?party=henk&with=gerrit")
        .await;
    assert_eq!(status, 200, "{rates}");
    assert_eq!(
        rates["by_party"],
        json!({"rate": 0.5, "resolved": 2}),
        "{rates}"
    );
    assert_eq!(
        rates["to_party"],
        json!({"rate": null, "resolved": 0}),
        "{rates}"
    );
    assert_eq!(rates["since"], Value::Null, "{rates}");
    let (status, rates) = app
        .get("viewer", "/api/v1/kept-rates?party=henk&since=2025-06-01")
        .await;
    assert_eq!(status, 200, "{rates}");
    assert_eq!(
        rates["by_party"],
        json!({"rate": 1.0, "resolved": 1}),
        "{rates}"
    );
    assert_eq!(rates["since"], "2025-06-01", "{rates}");
    let (status, rates) = app
        .get(
            "viewer",
            "/api/v1/kept-rates?party=henk&since=2025-01-01&until=2025-06-01",
        )
        .await;
    assert_eq!(status, 200, "{rates}");
    assert_eq!(
        rates["by_party"],
        json!({"rate": 0.0, "resolved": 1}),
        "{rates}"
    );
    assert_eq!(rates["until"], "2025-06-01", "{rates}");
    let (status, body) = app
        .get(
            "viewer",
            "/api/v1/kept-rates?party=henk&since=2025-06-01&until=2025-01-01",
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/until", "{body}");
    let (status, body) = app
        .get("viewer", "/api/v1/kept-rates?party=henk&since=someday")
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/since", "{body}");
    let (status, body) = app.get("viewer", "/api/v1/kept-rates?party=nobody").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app
        .get("viewer", "/api/v1/kept-rates?party=henk&with=henk")
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/with", "{body}");
    let (status, body) = app.get("viewer", "/api/v1/kept-rates").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/party", "{body}");
    let (_, doc) = app.get("", "/api/openapi.json").await;
    let party = &doc["paths"]["/api/v1/kept-rates"]["get"]["parameters"][0];
    assert_eq!(
        (&party["name"], &party["required"]),
        (&json!("party"), &json!(true))
    );
}

/// Promises are listed a page at a time: each page's `Link` header names the
/// next, following them gives every promise once in due order (two due at
/// the same moment by id), and the last page has none; a cursor the server
/// did not give and a page size out of range are 422 problems.
#[tokio::test]
async fn promises_are_listed_a_page_at_a_time_through_the_api() {
    let app = spawn_app().await;
    for (id, due) in [
        ("p3", "2099-03-03"),
        ("p1", "2099-03-01"),
        ("p2b", "2099-03-02"),
        ("p2a", "2099-03-02"),
        ("p4", "2099-03-04"),
    ] {
        let promise =
            json!({"id": id, "promiser": "henk", "promisee": "gerrit", "kind": "help", "due": due});
        let (status, body) = app.post("staff", "/api/v1/promises", promise).await;
        assert_eq!(status, 201, "{body}");
    }
    let mut next = Some("/api/v1/promises?party=henk&open=true&limit=2".to_string());
    let (mut ids, mut pages) = (Vec::new(), 0);
    while let Some(path) = next.take() {
        let response = app
            .as_("viewer", app.client.get(app.url(&path)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        next = response.headers().get("link").map(|link| {
            let link = link.to_str().unwrap();
            assert!(link.ends_with(">; rel=\"next\""), "{link}");
            assert!(
                link.contains("party=henk&open=true&limit=2&cursor="),
                "{link}"
            );
            link[1..link.find('>').unwrap()].to_string()
        });
        let page: Value = response.json().await.unwrap();
        let page = page.as_array().unwrap();
        assert!(page.len() <= 2);
        ids.extend(page.iter().map(|p| p["id"].as_str().unwrap().to_string()));
        pages += 1;
    }
    assert_eq!(ids, ["p1", "p2a", "p2b", "p3", "p4"]);
    assert_eq!(pages, 3);
    for query in ["cursor=yesterday", "limit=0", "limit=1001"] {
        let (status, body) = app
            .get("viewer", &format!("/api/v1/promises?{query}"))
            .await;
        assert_eq!(status, 422, "{query}: {body}");
        let field = query.split('=').next().unwrap();
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
}

#[tokio::test]
async fn a_gesture_is_recorded_once_and_its_balance_shows_at_once() {
    let app = spawn_app().await;
    let gesture = json!({"id": "g1", "at": "2024-03-01", "giver": "henk", "receiver": "gerrit", "kind": "help"});
    let (status, body) = app.post_gesture(gesture.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["id"].as_str(), body["added"].as_bool()),
        (Some("g1"), Some(true))
    );
    assert_eq!(body["balance"]["credit"]["a_to_b"], "3.00");
    // A retry changes nothing; the same id with other content is refused.
    let (status, body) = app.post_gesture(gesture).await;
    assert_eq!((status, body["added"].as_bool()), (200, Some(false)));
    let (status, body) =
        app.post_gesture(json!({"id": "g1", "at": "2024-03-01", "giver": "henk", "receiver": "gerrit", "kind": "thanks"})).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["pointer"], "/id", "{body}");
    // Organization level, with the same shape as `balans balance A B --json`.
    let org = app.balance("hotel", "bosman").await;
    assert_eq!(org["level"], "organization");
    assert_eq!(org["credit"]["b_to_a"], "3.00");
    assert_eq!(org["credit"]["count"], 1);
    let keys: Vec<&String> = org.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "b", "credit", "level", "money", "part"]);
    for key in [
        "a_to_b", "b_to_a", "net", "evenness", "count", "first", "last",
    ] {
        assert!(org["money"].get(key).is_some(), "money.{key}");
    }
    let (status, body) = app
        .post(
            "staff",
            "/api/v1/gestures/g1/reverse",
            json!({"id": "r1", "at": "2024-03-05"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["balance"]["credit"]["a_to_b"], "0.00");
    let (status, _) = app
        .post("staff", "/api/v1/gestures/g1/reverse", json!({}))
        .await;
    assert_eq!(status, 422, "reversed once only");
    let (status, list) = app.get("viewer", "/api/v1/balances/bosman").await;
    assert_eq!(status, 200);
    assert_eq!(list["counterparts"][0]["b"], "hotel");
    let (status, report) = app
        .get("viewer", "/api/v1/report?min_volume=0&evenness_below=1")
        .await;
    assert_eq!(status, 200, "{report}");
    app.check();
}

#[tokio::test]
async fn a_batch_with_one_bad_gesture_writes_nothing() {
    let app = spawn_app().await;
    let good = |id: &str| json!({"id": id, "at": "2024-03-01", "giver": "henk", "receiver": "gerrit", "kind": "thanks"});
    let bad = json!({"id": "b2", "at": "2024-03-01", "giver": "henk", "receiver": "nobody", "kind": "thanks", "amount": "1.234"});
    let (status, body) = app
        .post(
            "staff",
            "/api/v1/gestures/batch",
            json!({"gestures": [good("b1"), bad, good("b3")]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/gestures/1/receiver", "/gestures/1/amount"]);
    assert_eq!(app.balance("henk", "gerrit").await["credit"]["count"], 0);
    let (status, body) = app
        .post(
            "staff",
            "/api/v1/gestures/batch",
            json!({"gestures": [good("b1"), good("b3")]}),
        )
        .await;
    assert_eq!((status, body["added"].as_u64()), (200, Some(2)), "{body}");
    let (_, body) = app
        .post(
            "staff",
            "/api/v1/gestures/batch",
            json!({"gestures": [good("b1"), good("b4")]}),
        )
        .await;
    assert_eq!(
        (body["added"].as_u64(), body["already_present"].as_u64()),
        (Some(1), Some(1))
    );
    let many: Vec<Value> = (0..10_001).map(|i| good(&format!("m{i}"))).collect();
    let (status, body) = app
        .post(
            "staff",
            "/api/v1/gestures/batch",
            json!({ "gestures": many }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("at most 10000"));
    app.check();
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_clear_problem() {
    let app = spawn_app_with(balans_server::Config {
        body_limit_bytes: 2_000,
        ..balans_server::Config::default()
    })
    .await;
    let url = app.url("/api/v1/gestures");
    let send = |body: String, content_type: &'static str| {
        app.as_("staff", app.client.post(&url))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let (status, body) = read(send("{not json".into(), "application/json").await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = read(
        send(
            r#"{"giver": 5, "receiver": "gerrit", "kind": "thanks"}"#.into(),
            "application/json",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("giver"), "{body}");
    let (status, body) = read(
        send(
            r#"{"giver": "henk", "receiver": "gerrit", "kind": "thanks", "colour": "red"}"#.into(),
            "application/json",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "unknown fields are errors: {body}");
    let (status, _) = read(
        send(r#"{"giver": "henk"}"#.into(), "text/plain")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 415);
    let (status, body) = read(
        send(
            format!(
                r#"{{"giver": "henk", "receiver": "gerrit", "kind": "thanks", "note": "{}"}}"#,
                "x".repeat(3_000)
            ),
            "application/json",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    let (status, body) = app
        .post_gesture(
            json!({"giver": "henk", "receiver": "gerrit", "kind": "pay", "amount": "20000000000"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["pointer"], "/amount", "{body}");
    let (status, _) = app
        .post_gesture(json!({"giver": "henk", "receiver": "henk", "kind": "thanks"}))
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .post_gesture(
            json!({"at": "someday", "giver": "henk", "receiver": "gerrit", "kind": "thanks"}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = app.get("viewer", "/api/v1/balances/henk/nobody").await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get("viewer", "/api/v1/balances/henk/gerrit?level=galaxy")
        .await;
    assert_eq!(status, 422);
    // Without a valid token nothing else is said, not even what is wrong with the request.
    assert_eq!(
        app.get("revoked", "/api/v1/balances/henk/gerrit?level=galaxy")
            .await
            .0,
        401
    );
    assert_eq!(app.get("revoked", "/api/v1/report?limit=5000").await.0, 401);
    assert_eq!(app.get("", "/api/v1/balances/henk/nobody").await.0, 401);
    let (status, _) = app.get("viewer", "/api/v1/report?limit=abc").await;
    assert_eq!(status, 400);
    let (status, _) = app.get("viewer", "/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    let response = app
        .as_("viewer", app.client.put(app.url("/api/v1/report")))
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await.0, 405);
    let (status, body) = app
        .post(
            "staff",
            "/api/v1/parties",
            json!({"key": "henk", "kind": "person", "name": "Another Henk"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = app
        .post(
            "staff",
            "/api/v1/parties",
            json!({"key": "", "kind": "robot", "name": ""}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"].as_array().unwrap().len(), 3, "{body}");
    app.check();
}

#[tokio::test]
async fn parties_are_created_read_and_changed() {
    let app = spawn_app().await;
    let (status, body) = app.post("staff", "/api/v1/parties", json!({"key": "eva", "kind": "person", "name": "Eva de Boer", "email": "eva@example.nl"})).await;
    assert_eq!(status, 201, "{body}");
    let response = app
        .as_("staff", app.client.patch(app.url("/api/v1/parties/eva")))
        .json(&json!({"name": "Eva Boer", "email": null}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["name"].as_str(), body["email"].as_str()),
        (Some("Eva Boer"), None)
    );
    let (status, body) = app.get("viewer", "/api/v1/parties/eva").await;
    assert_eq!((status, body["kind"].as_str()), (200, Some("person")));
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "admin",
            "/api/v1/tokens",
            json!({"user": "viewer@bosman.nl", "name": "script"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let secret = body["token"].as_str().unwrap().to_string();
    let id = body["id"].as_i64().unwrap();
    let ask = || {
        app.client
            .get(app.url("/api/v1/kinds"))
            .bearer_auth(&secret)
            .send()
    };
    assert_eq!(ask().await.unwrap().status(), 200);
    let (_, tokens) = app.get("admin", "/api/v1/tokens").await;
    assert!(
        tokens
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("token").is_none() && t.get("hash").is_none())
    );
    let response = app
        .as_(
            "admin",
            app.client.delete(app.url(&format!("/api/v1/tokens/{id}"))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(ask().await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_first_admin_is_made_with_the_setup_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let mut store = SqliteStore::open(&path, true).unwrap();
    let setup = accounts::begin_setup(&mut store).unwrap().unwrap();
    let reader_path = path.clone();
    let opener: balans_server::Opener = Arc::new(move || {
        Ok(Box::new(SqliteStore::open(&reader_path, false)?) as balans_server::DynStore)
    });
    let app = balans_server::app(
        balans_server::AppState {
            db: balans_server::Db::start(Box::new(store), opener, 2),
        },
        &Default::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1/setup", listener.local_addr().unwrap());
    tokio::spawn(balans_server::serve(listener, app, std::future::pending()));
    let client = reqwest::Client::new();
    let body = |token: &str| json!({"setup_token": token, "email": "root@bosman.nl", "password": "a long enough password"});
    let (status, _) = read(
        client
            .post(&url)
            .json(&body("bal_guess"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    let (status, user) = read(client.post(&url).json(&body(&setup)).send().await.unwrap()).await;
    assert_eq!((status, user["role"].as_str()), (201, Some("admin")));
    assert!(user.get("password_hash").is_none());
    let (status, _) = read(client.post(&url).json(&body(&setup)).send().await.unwrap()).await;
    assert_eq!(status, 409);
}

/// 32 clients writing to the same few pairs at once: every write is counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_balances_exact() {
    let app = Arc::new(spawn_app().await);
    let mut clients = Vec::new();
    for client in 0..32 {
        let app = Arc::clone(&app);
        clients.push(tokio::spawn(async move {
            for n in 0..20 {
                let (giver, receiver) = if n % 2 == 0 { ("henk", "gerrit") } else { ("gerrit", "henk") };
                let id = format!("c{client}-{n}");
                let body = json!({"id": id, "at": "2024-06-01", "giver": giver, "receiver": receiver, "kind": "smile"});
                let (status, response) = app.post_gesture(body.clone()).await;
                assert_eq!(status, 201, "{response}");
                // Every fifth is retried, as after a timeout: it must not count twice.
                if n % 5 == 0 {
                    assert_eq!(app.post_gesture(body).await.0, 200);
                }
            }
        }));
    }
    // A check on its own connection while the writes go on sees one moment of the
    // store: gestures and balances always agree.
    let path = app.db_path.clone();
    let checker = tokio::task::spawn_blocking(move || {
        let mut store = SqliteStore::open(&path, false).unwrap();
        for _ in 0..20 {
            let report = balans_store::ledger::check(&mut store).unwrap();
            assert!(
                report.differences.is_empty(),
                "a check during writes: {:?}",
                report.differences
            );
        }
    });
    for client in clients {
        client.await.unwrap();
    }
    checker.await.unwrap();
    let balance = app.balance("henk", "gerrit").await;
    assert_eq!(balance["credit"]["count"], 640);
    assert_eq!(
        (
            balance["credit"]["a_to_b"].as_str(),
            balance["credit"]["b_to_a"].as_str()
        ),
        (Some("160.00"), Some("160.00"))
    );
    let org = app.balance("bosman", "hotel").await;
    assert_eq!(org["credit"]["count"], 640);
    app.check();
}

#[tokio::test]
async fn parties_and_gestures_are_listed_a_page_at_a_time() {
    let app = spawn_app().await;
    for i in 0..7 {
        let (status, _) = app.post("staff", "/api/v1/parties", json!({"key": format!("klant-{i}"), "kind": "person", "name": format!("Klant {i}")})).await;
        assert_eq!(status, 201);
    }
    let (status, page) = app.get("viewer", "/api/v1/parties?q=KLANT&limit=5").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["parties"].as_array().unwrap().len(), 5);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (_, rest) = app
        .get(
            "viewer",
            &format!("/api/v1/parties?q=klant&limit=5&cursor={cursor}"),
        )
        .await;
    let keys: Vec<&str> = rest["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["klant-5", "klant-6"]);
    assert!(rest["next_cursor"].is_null());

    for n in 0..5 {
        let kind = if n % 2 == 0 { "thanks" } else { "help" };
        let body = json!({"id": format!("l{n}"), "at": format!("2024-03-0{}", n + 1), "giver": "henk", "receiver": "gerrit", "kind": kind, "item": "kussen"});
        assert_eq!(app.post_gesture(body).await.0, 201);
    }
    assert_eq!(app.post_gesture(json!({"id": "other", "giver": "bosman", "receiver": "hotel", "kind": "pay", "amount": 10})).await.0, 201);
    let (status, page) = app
        .get("viewer", "/api/v1/gestures?party=gerrit&limit=2")
        .await;
    assert_eq!(status, 200, "{page}");
    let ids = |page: &Value| {
        page["gestures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&page), ["l0", "l1"]);
    let (_, next) = app
        .get(
            "viewer",
            &format!(
                "/api/v1/gestures?party=gerrit&limit=2&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(ids(&next), ["l2", "l3"]);
    let (_, helps) = app
        .get(
            "viewer",
            "/api/v1/gestures?party=henk&counterpart=gerrit&kind=help",
        )
        .await;
    assert_eq!(ids(&helps), ["l1", "l3"]);
    let (_, period) = app
        .get(
            "viewer",
            "/api/v1/gestures?from=2024-03-02&until=2024-03-04&item=kussen",
        )
        .await;
    assert_eq!(ids(&period), ["l1", "l2"]);
    assert_eq!(period["gestures"][0]["amount"], "3.00");
    assert_eq!(period["gestures"][0]["at"], "2024-03-02");
    let (_, money) = app.get("viewer", "/api/v1/gestures?party=hotel").await;
    assert_eq!(money["gestures"][0]["amount"], "10.00");
    assert_eq!(
        app.get("viewer", "/api/v1/gestures?party=nobody").await.0,
        404
    );
    assert_eq!(
        app.get("viewer", "/api/v1/gestures?cursor=abc").await.0,
        422
    );
    assert_eq!(
        app.get("viewer", "/api/v1/gestures?limit=5000").await.0,
        422
    );
    assert_eq!(app.get("viewer", "/api/v1/gestures?from=soon").await.0, 422);
}

#[tokio::test]
async fn memberships_are_set_ended_and_followed_by_stored_gestures() {
    let app = spawn_app().await;
    assert_eq!(
        app.post(
            "staff",
            "/api/v1/parties",
            json!({"key": "sander", "kind": "person", "name": "Sander"})
        )
        .await
        .0,
        201
    );
    let help = json!({"id": "s1", "at": "2025-09-10", "giver": "henk", "receiver": "sander", "kind": "help"});
    assert_eq!(app.post_gesture(help).await.0, 201);
    // Sander joins the hotel from before that gesture: it now counts for the hotel.
    let membership = json!({"person": "sander", "organization": "hotel", "role": "contact", "from": "2025-07-01"});
    let (status, body) = app
        .post("staff", "/api/v1/memberships", membership.clone())
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        app.balance("bosman", "hotel").await["credit"]["a_to_b"],
        "3.00"
    );
    // Ending it before the gesture moves the gesture back to Sander himself.
    let ended = json!({"person": "sander", "organization": "hotel", "role": "contact", "from": "2025-07-01", "until": "2025-08-01"});
    let (status, body) = app.post("staff", "/api/v1/memberships", ended).await;
    assert_eq!(
        (status, body["until"].as_str()),
        (200, Some("2025-08-01")),
        "{body}"
    );
    assert_eq!(app.balance("bosman", "hotel").await["credit"]["count"], 0);
    let (status, members) = app.get("viewer", "/api/v1/parties/hotel/memberships").await;
    assert_eq!(status, 200);
    let people: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["person"].as_str().unwrap())
        .collect();
    assert_eq!(people, ["gerrit", "sander"]);
    let (_, own) = app
        .get("viewer", "/api/v1/parties/sander/memberships")
        .await;
    assert_eq!(own[0]["organization"], "hotel");
    let (status, body) = app
        .post(
            "staff",
            "/api/v1/memberships",
            json!({"person": "hotel", "organization": "sander", "role": "boss", "from": "x"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"].as_array().unwrap().len(), 4, "{body}");
    // A second concurrent membership would leave the stored gesture without one organization.
    let (status, body) = app.post("staff", "/api/v1/memberships", json!({"person": "henk", "organization": "hotel", "role": "contact", "from": "2000-01-01"})).await;
    assert_eq!(status, 409, "{body}");
    app.check();
}

#[tokio::test]
async fn admins_change_the_catalog_for_new_gestures() {
    let app = spawn_app().await;
    let (status, body) = app.post("admin", "/api/v1/kinds", json!({"code": "coffee", "dimension": "credit", "default": "0.50", "label_nl": "koffie"})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["default"].as_str(), body["label_en"].as_str()),
        (Some("0.50"), Some("coffee"))
    );
    assert_eq!(
        app.post(
            "admin",
            "/api/v1/kinds",
            json!({"code": "coffee", "dimension": "credit"})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        app.post(
            "admin",
            "/api/v1/kinds",
            json!({"code": "Bad Code", "dimension": "mood"})
        )
        .await
        .0,
        422
    );
    let (_, first) = app.post_gesture(json!({"id": "k1", "at": "2024-03-01", "giver": "gerrit", "receiver": "henk", "kind": "coffee"})).await;
    assert_eq!(first["balance"]["credit"]["a_to_b"], "0.50");
    let response = app
        .as_("admin", app.client.patch(app.url("/api/v1/kinds/coffee")))
        .json(&json!({"default": "1.25"}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(
        (status, body["default"].as_str()),
        (200, Some("1.25")),
        "{body}"
    );
    let (_, second) = app.post_gesture(json!({"id": "k2", "at": "2024-03-02", "giver": "gerrit", "receiver": "henk", "kind": "coffee"})).await;
    assert_eq!(
        second["balance"]["credit"]["a_to_b"], "1.75",
        "the old gesture keeps its 0.50"
    );
    let response = app
        .as_("staff", app.client.patch(app.url("/api/v1/kinds/coffee")))
        .json(&json!({"default": "9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await.0, 403);
    let (_, kinds) = app.get("viewer", "/api/v1/kinds").await;
    assert_eq!(kinds.as_array().unwrap().len(), 25);
}

#[tokio::test]
async fn a_csv_upload_imports_all_or_nothing() {
    let app = spawn_app().await;
    let upload = |query: &str, body: &'static str| {
        app.as_(
            "staff",
            app.client.post(app.url(&format!("/api/v1/imports{query}"))),
        )
        .header("content-type", "text/csv")
        .body(body)
        .send()
    };
    let good = "id;at;giver;receiver;kind;amount\nu1;1-3-2024;henk;gerrit;help;\nu2;2024-03-02;hotel;bosman;pay;1.250,50\n";
    let (status, body) = read(upload("?dry_run=true", good).await.unwrap()).await;
    assert_eq!(
        (
            status,
            body["gestures_added"].as_u64(),
            body["dry_run"].as_bool()
        ),
        (200, Some(2), Some(true)),
        "{body}"
    );
    assert_eq!(
        app.balance("henk", "gerrit").await["credit"]["count"],
        0,
        "a dry run writes nothing"
    );
    let (status, body) = read(upload("", good).await.unwrap()).await;
    assert_eq!(
        (status, body["gestures_added"].as_u64()),
        (200, Some(2)),
        "{body}"
    );
    assert_eq!(
        app.balance("hotel", "bosman").await["money"]["a_to_b"],
        "1250.50"
    );
    let bad = "id,at,giver,receiver,kind\nu3,2024-03-01,henk,gerrit,thanks\nu4,2024-03-01,henk,nobody,thanks\n";
    let (status, body) = read(upload("?name=kassa.csv", bad).await.unwrap()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "kassa.csv");
    assert_eq!(
        (
            body["errors"][0]["line"].as_u64(),
            body["errors"][0]["column"].as_str()
        ),
        (Some(3), Some("receiver"))
    );
    assert_eq!(
        app.balance("henk", "gerrit").await["credit"]["count"],
        1,
        "nothing of the bad file was written"
    );
    let (status, _) = read(upload("?decimal=dot", good).await.unwrap()).await;
    assert_eq!(status, 422);
    app.check();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_makes_a_retry_write_nothing() {
    let app = Arc::new(spawn_app().await);
    // Gestures without ids get new ids each time: only the key protects a retry.
    let batch = json!({"gestures": [
        {"at": "2024-03-01", "giver": "henk", "receiver": "gerrit", "kind": "thanks"},
        {"at": "2024-03-01", "giver": "gerrit", "receiver": "henk", "kind": "help"},
    ]});
    let send = |key: &'static str, body: Value| {
        let app = Arc::clone(&app);
        async move {
            let response = app
                .as_("staff", app.client.post(app.url("/api/v1/gestures/batch")))
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let replayed = response.headers().get("idempotent-replayed").is_some();
            let (status, body) = read(response).await;
            (status, body, replayed)
        }
    };
    let (status, first, replayed) = send("batch-1", batch.clone()).await;
    assert_eq!((status, replayed), (200, false), "{first}");
    let (status, again, replayed) = send("batch-1", batch.clone()).await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(again, first, "the same answer, ids included");
    assert_eq!(app.balance("henk", "gerrit").await["credit"]["count"], 2);
    // Retries racing each other and the first attempt: one write in all.
    let racing: Vec<_> = (0..8)
        .map(|_| tokio::spawn(send("batch-2", batch.clone())))
        .collect();
    let mut answers = Vec::new();
    for handle in racing {
        let (status, body, _) = handle.await.unwrap();
        assert_eq!(status, 200, "{body}");
        answers.push(body);
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "every retry gets the first answer"
    );
    assert_eq!(app.balance("henk", "gerrit").await["credit"]["count"], 4);
    // The same key with another request is refused, and writes nothing.
    let other = json!({"gestures": [{"at": "2024-03-02", "giver": "henk", "receiver": "gerrit", "kind": "smile"}]});
    let (status, body, _) = send("batch-1", other).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(app.balance("henk", "gerrit").await["credit"]["count"], 4);
    // A key is a user's own: another user's same key is another request.
    let response = app
        .as_("admin", app.client.post(app.url("/api/v1/gestures/batch")))
        .header("idempotency-key", "batch-1")
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await.0, 200);
    assert_eq!(app.balance("henk", "gerrit").await["credit"]["count"], 6);
    let response = app
        .as_("staff", app.client.post(app.url("/api/v1/gestures")))
        .header("idempotency-key", "")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await.0, 400);
    app.check();
}

#[tokio::test]
async fn account_writes_refuse_bad_input() {
    let app = spawn_app().await;
    for (body, pointer) in [
        (
            json!({"email": "not-an-address", "role": "staff"}),
            "/email",
        ),
        (json!({"email": "x@bosman.nl", "role": "owner"}), "/role"),
        (
            json!({"email": "y@bosman.nl", "role": "staff", "password": "short"}),
            "/password",
        ),
    ] {
        let (status, problem) = app.post("admin", "/api/v1/users", body).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
    }
    assert_eq!(
        app.post(
            "admin",
            "/api/v1/users",
            json!({"email": "staff@bosman.nl", "role": "staff"})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        app.post("admin", "/api/v1/users", json!({"email": "z@bosman.nl"}))
            .await
            .0,
        422
    );
    assert_eq!(
        app.post(
            "admin",
            "/api/v1/tokens",
            json!({"user": "nobody@bosman.nl", "name": "x"})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.post(
            "admin",
            "/api/v1/tokens",
            json!({"user": "staff@bosman.nl", "name": " "})
        )
        .await
        .0,
        422
    );
    let response = app
        .as_(
            "admin",
            app.client.delete(app.url("/api/v1/tokens/not-a-number")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await.0, 400);
    let response = app
        .as_("admin", app.client.delete(app.url("/api/v1/tokens/424242")))
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await.0, 404);
    let (status, user) = app.post("admin", "/api/v1/users", json!({"email": "new@bosman.nl", "role": "viewer", "password": "a long enough password"})).await;
    assert_eq!((status, user["role"].as_str()), (201, Some("viewer")));
    assert!(user.get("password_hash").is_none());
}

/// A party's counterparts come largest imbalance first, whichever way it leans,
/// and the report puts each on the side that gives more.
#[tokio::test]
async fn counterparts_come_largest_imbalance_first_and_the_report_takes_sides() {
    let app = spawn_app().await;
    for (key, kind, name) in [
        ("cafe", "organization", "Café Noord"),
        ("piet", "person", "Piet"),
        ("winkel", "organization", "Winkel Zuid"),
        ("anna", "person", "Anna"),
    ] {
        let body = json!({"key": key, "kind": kind, "name": name});
        assert_eq!(app.post("staff", "/api/v1/parties", body).await.0, 201);
    }
    for (person, organization) in [("piet", "cafe"), ("anna", "winkel")] {
        let body = json!({"person": person, "organization": organization, "role": "contact", "from": "2000-01-01"});
        let (status, body) = app.post("staff", "/api/v1/memberships", body).await;
        assert_eq!(status, 201, "{body}");
    }
    for (id, giver, receiver, amount) in [
        // Bosman gives the hotel 10.00 and gets 2.00 back: net +8.00 for Bosman.
        ("c1", "henk", "gerrit", "10.00"),
        ("c2", "gerrit", "henk", "2.00"),
        // The café gives Bosman 5.00 and gets nothing: net -5.00.
        ("c3", "piet", "henk", "5.00"),
        // Even with the shop: net 0.00.
        ("c4", "henk", "anna", "1.00"),
        ("c5", "anna", "henk", "1.00"),
    ] {
        let body = json!({"id": id, "at": "2024-05-01", "giver": giver, "receiver": receiver, "kind": "help", "amount": amount});
        let (status, body) = app.post_gesture(body).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, list) = app.get("viewer", "/api/v1/balances/bosman").await;
    assert_eq!(status, 200, "{list}");
    let order: Vec<(String, String)> = list["counterparts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["a"], "bosman", "{c}");
            (
                c["b"].as_str().unwrap().to_string(),
                c["credit"]["net"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("hotel".to_string(), "8.00".to_string()),
            ("cafe".to_string(), "-5.00".to_string()),
            ("winkel".to_string(), "0.00".to_string()),
        ]
    );

    // The defaults: at least 5.00 both ways together, less even than 0.6.
    let (status, report) = app
        .get("viewer", "/api/v1/report?us=bosman&window=all")
        .await;
    assert_eq!(status, 200, "{report}");
    let sides = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["a"].as_str().unwrap().to_string(),
                    p["b"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        sides(&report["we_give_more"]),
        [("bosman".to_string(), "hotel".to_string())]
    );
    assert_eq!(
        sides(&report["they_give_more"]),
        [("cafe".to_string(), "bosman".to_string())]
    );
    // The shop's 2.00 both ways is under the minimum volume.
    let (_, all) = app
        .get(
            "viewer",
            "/api/v1/report?us=bosman&min_volume=0&evenness_below=1&window=all",
        )
        .await;
    assert_eq!(sides(&all["they_give_more"]).len(), 1, "{all}");
    app.check();
}

/// Liveness answers without the store; readiness only when the store does.
#[tokio::test]
async fn health_always_answers_and_readiness_follows_the_store() {
    let app = spawn_app().await;
    let (status, body) = app.get("", "/healthz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = app.get("", "/readyz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));

    // A server whose readers cannot reach the store.
    let dir = tempfile::tempdir().unwrap();
    let writer = SqliteStore::open(&dir.path().join("balans.db"), true).unwrap();
    let opener: balans_server::Opener = Arc::new(|| {
        Err(balans_store::StoreError::backend(
            "opening the store",
            "the disk is gone",
        ))
    });
    let db = balans_server::Db::start(Box::new(writer), opener, 1);
    let router = balans_server::app(
        balans_server::AppState { db },
        &balans_server::Config::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(balans_server::serve(
        listener,
        router,
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let (status, body) = read(
        client
            .get(format!("{address}/readyz"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 503, "{body}");
}

/// What a page shows next to each other comes from one moment of the store: a
/// gesture that another connection commits between a page's reads shows in
/// neither of them (and in both on the next page). Without the read transaction
/// the same reads mix the two moments, which the last part shows.
#[tokio::test]
async fn a_page_never_mixes_two_moments_of_the_store() {
    let app = spawn_app().await;
    let path = app.db_path.clone();
    let opener: balans_server::Opener = {
        let path = path.clone();
        Arc::new(move || Ok(Box::new(SqliteStore::open(&path, false)?) as balans_server::DynStore))
    };
    let db = balans_server::Db::start(
        Box::new(SqliteStore::open(&path, false).unwrap()),
        opener,
        1,
    );
    // A page of two reads, the balance of a pair and the list of its gestures,
    // with another connection's gesture committed in between.
    let page = move |store: &mut (dyn balans_store::Store + Send + 'static)| {
        let balance = balans_store::ledger::pair_balance(store, "henk", "gerrit", None)?;
        let mut other = SqliteStore::open(&path, false)?;
        let id = balans_core::GestureId::fresh();
        let text = balans_store::GestureText {
            id: id.as_str(),
            at: "2026-01-15 10:00",
            giver: "henk",
            receiver: "gerrit",
            kind: "thanks",
            ..Default::default()
        };
        balans_store::ledger::give(&mut other, &text)?;
        let query = balans_store::ledger::GestureQuery {
            party: Some("henk"),
            ..Default::default()
        };
        let listed = balans_store::ledger::list_gestures(store, &query)?;
        Ok((balance.credit.count, listed.gestures.len()))
    };
    assert_eq!(db.read(page.clone()).await.unwrap(), (0, 0));
    assert_eq!(db.read(page.clone()).await.unwrap(), (1, 1));
    // The same reads, each its own moment: the second sees the gesture the first did not.
    assert_eq!(db.read_single(page).await.unwrap(), (2, 3));
}

/// The API's amounts are strings that no language goes with: one mark followed
/// by exactly three digits is refused, naming both readings; a payment is never
/// negative; `€` and grouping are let through. Nothing refused is written.
#[tokio::test]
async fn an_amount_in_the_api_is_never_read_as_another_amount() {
    let app = spawn_app().await;
    let gesture = |amount: &str| json!({"giver": "henk", "receiver": "gerrit", "kind": "pay", "amount": amount});
    let (status, body) = app.post_gesture(gesture("1.250")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["pointer"], "/amount", "{body}");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("'1.250' could be read two ways: write 1250 or 1.25"),
        "{body}"
    );
    let (status, body) = app.post_gesture(gesture("-5")).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("a payment is never negative"),
        "{body}"
    );
    assert_eq!(app.balance("henk", "gerrit").await["money"]["count"], 0);
    let (status, body) = app.post_gesture(gesture("€ 1.250,50")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        app.balance("henk", "gerrit").await["money"]["a_to_b"],
        "1250.50"
    );
    let (status, body) = app.get("viewer", "/api/v1/report?min_volume=1.000").await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app.get("viewer", "/api/v1/report?window=5y").await;
    assert_eq!(
        (status, body["errors"][0]["pointer"].as_str()),
        (422, Some("/window")),
        "{body}"
    );
    app.check();
}

/// Credits and handovers through the API: Gerrit leaves the hotel and Sander,
/// a user linked to himself, takes over; staff offer, only Sander accepts, and
/// the relationship's live credit then holds what was handed over.
#[tokio::test]
async fn a_handover_is_offered_by_staff_and_accepted_by_its_successor_alone() {
    let app = spawn_app().await;
    {
        let mut store = SqliteStore::open(&app.db_path, false).unwrap();
        let files = [
            ("parties.csv", "key,kind,name\nsander,person,Sander\n"),
            (
                "memberships.csv",
                "person,organization,role,from,until\ngerrit,hotel,contact,2000-01-01,2025-03-01\nsander,hotel,contact,2025-03-01,\n",
            ),
            (
                "gestures.csv",
                "id,at,giver,receiver,kind,amount\nc1,2024-01-10,henk,gerrit,help,4\nc2,2024-02-10,gerrit,henk,thanks,1\n",
            ),
        ];
        import_files(&mut store, &files);
        accounts::add_user(&mut store, "sander@hotel.nl", UserRole::Viewer, None).unwrap();
        accounts::link_user(&mut store, "sander@hotel.nl", Some("sander")).unwrap();
    }
    let sander = {
        let mut store = SqliteStore::open(&app.db_path, false).unwrap();
        accounts::create_token(&mut store, "sander@hotel.nl", "test")
            .unwrap()
            .1
    };

    let (status, before) = app.get("viewer", "/api/v1/credits/bosman/hotel").await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["dormant"]["credit"]["a_to_b"], "4.00");
    assert_eq!(before["live"]["credit"]["a_to_b"], "0.00");
    let (status, list) = app
        .get("viewer", "/api/v1/credits/bosman?as_of=2024-12-31")
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["live"]["credit"]["a_to_b"], "4.00");
    let (status, problem) = app
        .get("viewer", "/api/v1/credits/bosman?as_of=someday")
        .await;
    assert_eq!(status, 422, "{problem}");
    // With a limit, the largest relationships first: the first of every one.
    let (_, every) = app.get("viewer", "/api/v1/credits/bosman").await;
    let (status, first) = app.get("viewer", "/api/v1/credits/bosman?limit=1").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first.as_array().unwrap().len(), 1, "{first}");
    assert_eq!(first[0]["b"], every[0]["b"], "{first}");
    assert_eq!(first[0]["dormant"], every[0]["dormant"], "{first}");
    let (_, none) = app.get("viewer", "/api/v1/credits/bosman?limit=0").await;
    assert_eq!(none, json!([]));
    let (status, problem) = app.get("viewer", "/api/v1/credits/bosman?limit=-1").await;
    assert_eq!(status, 400, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("limit"),
        "{problem}"
    );
    // The organization's totals: here its one relationship's figures.
    let (status, totals) = app
        .get("viewer", "/api/v1/organizations/bosman/credits")
        .await;
    assert_eq!(status, 200, "{totals}");
    assert_eq!(totals["historical"], before["historical"], "{totals}");
    assert_eq!(totals["dormant"], before["dormant"], "{totals}");

    let offer = json!({"a": "henk", "b": "gerrit", "to": "sander", "share": 50});
    let (status, problem) = app.post("viewer", "/api/v1/handovers", offer.clone()).await;
    assert_eq!(status, 403, "{problem}");
    let (status, problem) = app
        .post(
            "staff",
            "/api/v1/handovers",
            json!({"a": "henk", "b": "gerrit", "to": "hotel"}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let (status, offered) = app.post("staff", "/api/v1/handovers", offer).await;
    assert_eq!(status, 201, "{offered}");
    assert_eq!(offered["state"], "offered");
    let accept = format!("/api/v1/handovers/{}/accept", offered["id"]);
    for who in ["staff", "admin"] {
        let (status, problem) = app.post(who, &accept, json!({})).await;
        assert_eq!(status, 403, "{who}: {problem}");
    }
    let response = app
        .client
        .post(app.url(&accept))
        .bearer_auth(&sander)
        .json(&json!({"note": "glad to"}))
        .send()
        .await
        .unwrap();
    let (status, accepted) = read(response).await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["state"], "accepted");
    assert_eq!(accepted["moved"]["credit"]["b_to_a"], "2.00");

    let (_, after) = app.get("viewer", "/api/v1/credits/bosman/hotel").await;
    assert_eq!(after["handed_over"]["credit"]["a_to_b"], "2.00");
    assert_eq!(after["live"]["credit"]["a_to_b"], "2.00");
    assert_eq!(after["dormant"]["credit"]["a_to_b"], "2.00");
    assert_eq!(after["historical"], before["historical"]);
    let (_, handovers) = app.get("viewer", "/api/v1/handovers").await;
    assert_eq!(handovers.as_array().unwrap().len(), 1);
    let (status, problem) = app.post("staff", &accept, json!({})).await;
    assert!(status == 403 || status == 422, "{status} {problem}");
    app.check();
}

/// Credits gone dormant through the API: Gerrit's departure is named in an
/// alert, which staff dismiss; admins link a user to the person they are and
/// set the thresholds, whose bad values are refused naming the field.
#[tokio::test]
async fn alerts_settings_and_user_links_go_through_the_api() {
    let app = spawn_app().await;
    {
        let mut store = SqliteStore::open(&app.db_path, false).unwrap();
        // Every departure named, however little went dormant.
        balans_store::ledger::set_setting(&mut store, "dormant_alert_points", "0").unwrap();
        let files = [
            (
                "memberships.csv",
                "person,organization,role,from,until\ngerrit,hotel,contact,2000-01-01,2025-03-01\n",
            ),
            (
                "gestures.csv",
                "id,at,giver,receiver,kind,amount\nc1,2024-01-10,henk,gerrit,help,4\nc2,2024-02-10,gerrit,henk,thanks,1\n",
            ),
        ];
        import_files(&mut store, &files);
    }
    let (status, alerts) = app.get("viewer", "/api/v1/alerts").await;
    assert_eq!(status, 200, "{alerts}");
    let alert = &alerts[0];
    assert_eq!(
        (
            &alert["left"],
            &alert["left_unit"],
            &alert["other_unit"],
            &alert["other"],
            &alert["volume"]
        ),
        (
            &json!("gerrit"),
            &json!("hotel"),
            &json!("bosman"),
            &json!("henk"),
            &json!("5.00")
        ),
        "{alerts}"
    );
    let dismiss = format!("/api/v1/alerts/{}/dismiss", alert["id"]);
    let (status, _) = app.post("viewer", &dismiss, json!({})).await;
    assert_eq!(status, 403);
    let (status, body) = app.post("staff", &dismiss, json!({})).await;
    assert_eq!(status, 204, "{body}");
    let (_, alerts) = app.get("viewer", "/api/v1/alerts").await;
    assert_eq!(alerts, json!([]));
    let (status, problem) = app.post("staff", &dismiss, json!({})).await;
    assert_eq!(status, 404, "{problem}");

    let put = |who: &'static str, path: String, body: serde_json::Value| {
        let request = app.client.put(app.url(&path)).json(&body);
        let request = app.as_(who, request);
        async move { read(request.send().await.unwrap()).await }
    };
    let (status, problem) = put(
        "admin",
        "/api/v1/settings/dormant_alert_points".into(),
        json!({"value": "-3"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/value", "{problem}");
    let (status, problem) = put(
        "staff",
        "/api/v1/settings/key_person_percent".into(),
        json!({"value": "60"}),
    )
    .await;
    assert_eq!(status, 403, "{problem}");
    let (status, set) = put(
        "admin",
        "/api/v1/settings/key_person_percent".into(),
        json!({"value": "60"}),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set, json!({"name": "key_person_percent", "value": "60"}));
    let (_, settings) = app.get("viewer", "/api/v1/settings").await;
    assert!(
        settings
            .as_array()
            .unwrap()
            .contains(&json!({"name": "key_person_percent", "value": "60"})),
        "{settings}"
    );
    let (status, problem) = put(
        "admin",
        "/api/v1/settings/colour".into(),
        json!({"value": "blue"}),
    )
    .await;
    assert_eq!(status, 404, "{problem}");

    let (status, linked) = put(
        "admin",
        "/api/v1/users/viewer@bosman.nl/party".into(),
        json!({"party": "henk"}),
    )
    .await;
    assert_eq!(status, 200, "{linked}");
    assert_eq!(linked["party"], "henk");
    let (status, problem) = put(
        "admin",
        "/api/v1/users/staff@bosman.nl/party".into(),
        json!({"party": "henk"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/party", "{problem}");
    let (status, problem) = put(
        "admin",
        "/api/v1/users/staff@bosman.nl/party".into(),
        json!({"party": "hotel"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let (status, unlinked) = put(
        "admin",
        "/api/v1/users/viewer@bosman.nl/party".into(),
        json!({"party": null}),
    )
    .await;
    assert_eq!(
        (status, &unlinked["party"]),
        (200, &json!(null)),
        "{unlinked}"
    );
    app.check();
}

/// A file of user links decides who accepts a handover: staff's upload of one
/// is refused and links nobody, an admin's links the user.
#[tokio::test]
async fn only_an_admin_imports_user_links() {
    let app = spawn_app().await;
    let upload = |who: &'static str| {
        app.as_(who, app.client.post(app.url("/api/v1/imports")))
            .header("content-type", "text/csv")
            .body("user,party\nviewer@bosman.nl,henk\n")
            .send()
    };
    let (status, problem) = read(upload("staff").await.unwrap()).await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem.to_string().contains("only an admin imports them"),
        "{problem}"
    );
    {
        let mut store = SqliteStore::open(&app.db_path, false).unwrap();
        assert!(
            balans_store::store::CreditStore::user_links(&mut store)
                .unwrap()
                .is_empty()
        );
    }
    let (status, summary) = read(upload("admin").await.unwrap()).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["links_added"], 1, "{summary}");
}

/// Imports files given as (name, text) into a store, as the command line would.
fn import_files(store: &mut SqliteStore, files: &[(&str, &str)]) {
    let sources = files
        .iter()
        .map(|(name, text)| {
            balans_store::import::Source::new(*name, std::io::Cursor::new(text.as_bytes().to_vec()))
        })
        .collect();
    balans_store::import::import(store, sources, Default::default(), &|_| {}).unwrap();
}

/// A server notices a promise that falls due while nobody writes: its writer
/// sweeps on its own whenever no write has come for `Sweeping::every` (a
/// minute in `balans serve`), by the writer's clock, which this test moves.
#[tokio::test]
async fn an_idle_server_breaks_a_promise_once_its_due_moment_has_passed() {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::time::{Duration, Instant};

    let app = spawn_app().await;
    let path = app.db_path.clone();
    let made = balans_core::Zone::utc().parse("2099-03-01T09:00").unwrap();
    let mut store = SqliteStore::open(&path, false).unwrap();
    let text = balans_store::ledger::PromiseText {
        id: "call-back",
        promiser: "henk",
        promisee: "gerrit",
        kind: "help",
        due: "2099-03-14T17:00",
        ..Default::default()
    };
    balans_store::ledger::make_promise(&mut store, &text, made).unwrap();
    // Due at 17:00 in the store's time zone.
    let due = balans_store::ledger::promise(&mut store, "call-back")
        .unwrap()
        .due;

    let clock = Arc::new(AtomicI64::new(made.millis()));
    let sweeping = balans_server::Sweeping {
        every: Duration::from_millis(20),
        clock: {
            let clock = Arc::clone(&clock);
            Arc::new(move || balans_core::Moment::from_millis(clock.load(Ordering::SeqCst)))
        },
    };
    let opener: balans_server::Opener = {
        let path = path.clone();
        Arc::new(move || Ok(Box::new(SqliteStore::open(&path, false)?) as balans_server::DynStore))
    };
    let _db = balans_server::Db::start_sweeping(
        Box::new(SqliteStore::open(&path, false).unwrap()),
        opener,
        1,
        sweeping,
    );
    let state = |store: &mut SqliteStore| {
        let view = balans_store::ledger::promise(store, "call-back").unwrap();
        (view.state, view.gesture.map(|g| g.to_string()))
    };

    // A minute before it falls due, many sweeps leave it open.
    clock.store(due.millis() - 60_000, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state(&mut store), ("open", None));

    // Once it has, the next sweep breaks it, without any write asking.
    clock.store(due.millis() + 1, Ordering::SeqCst);
    let started = Instant::now();
    let broken = loop {
        let now = state(&mut store);
        if now.0 != "open" || started.elapsed() > Duration::from_secs(20) {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let gesture = broken
        .1
        .clone()
        .expect("a broken promise names its gesture");
    assert_eq!(broken.0, "broken");
    let (recorded, _) = balans_store::ledger::gesture_view(&mut store, &gesture)
        .unwrap()
        .expect("the broken promise is stored");
    assert_eq!(
        (
            recorded.kind.as_str(),
            recorded.at.as_str(),
            recorded.giver.as_str()
        ),
        ("broken_promise", "2099-03-14T17:00:00+01:00", "henk")
    );
}
