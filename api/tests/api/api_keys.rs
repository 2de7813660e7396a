//! API keys: an admin creates one (API or CLI) for a client such as a frontend's server; requests
//! carrying it in `X-Api-Key` get the key's own rate instead of their address's, are named by it
//! in the metrics, and are refused once it is revoked; an unknown key is refused, not served as
//! anonymous. Only admins manage keys, and bad input changes nothing.
use std::process::Stdio;

use crate::support::{assert_bad_input, single_error, Backend, TestApp};
use chancery::config::ServeConfig;
use entity::enums::UserRole;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const CREATE: &str = "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { id name prefix ratePerMinute revokedAt } } }";
const REVOKE: &str = "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { name revokedAt } } }";
const PUBLIC: &str = "{ facts(first: 1) { nodes { id } } }";

/// A server whose callers get 4 requests a minute, and which looks keys up on every request.
async fn strict_server(backend: Backend) -> (TestApp, String) {
    let serve = ServeConfig { demo: true, rate_limit_per_minute: 4, api_key_recheck_secs: 0, ..ServeConfig::default() };
    let app = TestApp::spawn_with(backend, serve).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    (app, admin)
}

async fn with_key(app: &TestApp, key: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/graphql", app.base_url))
        .header("x-api-key", key)
        .json(&json!({ "query": PUBLIC }))
        .send()
        .await
        .unwrap()
}

async fn a_frontend_with_a_key_gets_the_keys_rate_not_its_addresss(backend: Backend) {
    let (app, admin) = strict_server(backend).await;
    let created = app.ok_as(&admin, CREATE, json!({ "i": { "name": "frontend-web", "ratePerMinute": 5 } })).await;
    let key = created["createApiKey"]["key"].as_str().unwrap().to_owned();
    let record = &created["createApiKey"]["apiKey"];
    assert_eq!(record["ratePerMinute"], 5);
    assert!(key.starts_with(record["prefix"].as_str().unwrap()), "the prefix tells keys apart");
    // The admin's login used one of the address's 4 requests; the key has 5 of its own.
    for n in 1..=5 {
        let answer = with_key(&app, &key).await;
        assert_eq!(answer.status(), 200, "request {n} with the key");
        let body: Value = answer.json().await.unwrap();
        assert!(body["data"]["facts"]["nodes"].is_array(), "{body:#}");
    }
    let over = with_key(&app, &key).await;
    assert_eq!(over.status(), 429, "the key's 5 a minute are used up");
    assert!(over.headers().contains_key("retry-after"));
    // The same address without the key still has its own rate.
    assert_eq!(app.graphql(PUBLIC, json!({})).await["data"]["facts"]["nodes"].as_array().map(Vec::len), Some(1));
    let metrics = app.client.get(format!("{}/metrics", app.base_url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("chancery_api_key_requests_total{key=\"frontend-web\"} 6"), "{metrics}");
    // Stored as its hash only.
    let stored: Vec<Value> = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT key_sha256 FROM api_keys",
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|row| Value::String(row.try_get::<String>("", "key_sha256").unwrap()))
        .collect();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], key.as_str());
}

async fn an_unknown_or_revoked_key_is_refused_not_served_as_anonymous(backend: Backend) {
    let (app, admin) = strict_server(backend).await;
    let refused = with_key(&app, "chk_not-a-key-anyone-was-given").await;
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let created = app.ok_as(&admin, CREATE, json!({ "i": { "name": "script" } })).await;
    let key = created["createApiKey"]["key"].as_str().unwrap().to_owned();
    assert_eq!(created["createApiKey"]["apiKey"]["ratePerMinute"], 6000, "the default rate");
    assert_eq!(with_key(&app, &key).await.status(), 200);
    let revoked = app.ok_as(&admin, REVOKE, json!({ "id": created["createApiKey"]["apiKey"]["id"] })).await;
    assert!(revoked["revokeApiKey"]["apiKey"]["revokedAt"].is_string());
    assert_eq!(with_key(&app, &key).await.status(), 401, "revoked");
    // Refusals count against the address (4 a minute here: the admin's login, the unknown and
    // the revoked key took three): the guesser is soon refused before any lookup.
    let keys_before = app.statements.get();
    let mut statuses = Vec::new();
    for n in 0..5 {
        statuses.push(with_key(&app, &format!("chk_guess-{n}")).await.status().as_u16());
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let lookups = app.statements.get() - keys_before;
    assert!(lookups <= 2, "blocked guesses cost no lookup: {lookups} statements for 5 guesses");
}

async fn only_admins_manage_keys_and_bad_input_creates_nothing(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let body = app.graphql_as(&editor, CREATE, json!({ "i": { "name": "mine" } })).await;
    assert_eq!(single_error(&body).0, "FORBIDDEN");
    let body = app.graphql(CREATE, json!({ "i": { "name": "mine" } })).await;
    assert_eq!(single_error(&body).0, "UNAUTHENTICATED");
    let body = app.graphql_as(&editor, "{ apiKeys { name } }", json!({})).await;
    assert_eq!(single_error(&body).0, "FORBIDDEN");
    for (input, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "Has Spaces" }), "name"),
        (json!({ "name": "x".repeat(65) }), "name"),
        (json!({ "name": "web", "ratePerMinute": -1 }), "ratePerMinute"),
        (json!({ "name": "web", "ratePerMinute": 1_000_001 }), "ratePerMinute"),
    ] {
        let body = app.graphql_as(&admin, CREATE, json!({ "i": input })).await;
        assert_bad_input(&body, field);
    }
    assert_eq!(app.row_count("api_keys").await, 0, "nothing was created");
    app.ok_as(&admin, CREATE, json!({ "i": { "name": "web" } })).await;
    let body = app.graphql_as(&admin, CREATE, json!({ "i": { "name": "web" } })).await;
    assert_bad_input(&body, "name");
    assert_eq!(app.row_count("api_keys").await, 1, "a name is used once");
    let body = app.graphql_as(&admin, REVOKE, json!({ "id": "not-an-id" })).await;
    assert_bad_input(&body, "id");
    let listed = app.ok_as(&admin, "{ apiKeys { name revokedAt } }", json!({})).await;
    assert_eq!(listed["apiKeys"], json!([{ "name": "web", "revokedAt": null }]));
}

async fn chancery(app: &TestApp, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_chancery"))
        .arg("--database-url")
        .arg(&app.database.url)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("CHANCERY_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("the chancery binary runs")
}

async fn the_cli_creates_lists_and_revokes_keys(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let created = chancery(&app, &["api-key", "create", "--name", "ssr", "--rate-per-minute", "120"]).await;
    let stdout = String::from_utf8_lossy(&created.stdout).into_owned();
    assert!(created.status.success(), "{created:?}");
    let key = stdout.split("header): ").nth(1).unwrap().trim().to_owned();
    assert_eq!(with_key(&app, &key).await.status(), 200);
    let listed = chancery(&app, &["api-key", "list"]).await;
    let listing = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listing.contains("ssr") && listing.contains("120/min") && listing.contains("active"), "{listing}");
    assert!(!listing.contains(&key), "the key is never shown again");
    let bad = chancery(&app, &["api-key", "create", "--name", "ssr"]).await;
    assert!(!bad.status.success(), "a name is used once");
    let bad = chancery(&app, &["api-key", "create", "--name", "x", "--rate-per-minute", "-5"]).await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ratePerMinute"), "{bad:?}");
    let revoked = chancery(&app, &["api-key", "revoke", "ssr"]).await;
    assert!(revoked.status.success(), "{revoked:?}");
    let missing = chancery(&app, &["api-key", "revoke", "nope"]).await;
    assert!(!missing.status.success());
    assert_eq!(app.row_count("api_keys").await, 1);
}

backend_tests!(
    a_frontend_with_a_key_gets_the_keys_rate_not_its_addresss,
    an_unknown_or_revoked_key_is_refused_not_served_as_anonymous,
    only_admins_manage_keys_and_bad_input_creates_nothing,
    the_cli_creates_lists_and_revokes_keys,
);
