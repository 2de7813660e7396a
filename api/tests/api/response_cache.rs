//! The response cache (`--response-cache`): anonymous queries are answered from memory while the
//! public record's generation is unchanged, with an ETag that gets 304; any public change, made
//! through this server or another one on the same database, invalidates them. Anonymous queries
//! may also arrive over GET, where mutations and credentials are refused.
use crate::support::{Backend, TestApp, TestDatabase};
use chancery::config::{DatabaseConfig, ServeConfig};
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use serde_json::{json, Value};

const PAGE: &str = "query($first: Int) { facts(first: $first) { nodes { id status summary } } }";

const RETRACT: &str = "mutation($id: ID!, $v: Int!) { retractFact(input: {id: $id, expectedVersion: $v, \
                       reason: \"Cache test.\"}) { fact { id status } } }";

fn cached() -> ServeConfig {
    ServeConfig { demo: true, response_cache: true, ..ServeConfig::default() }
}

async fn post(app: &TestApp, query: &str, variables: Value, etag: Option<&str>) -> reqwest::Response {
    let mut request = app.client.post(format!("{}/graphql", app.base_url));
    if let Some(etag) = etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    request.json(&json!({ "query": query, "variables": variables })).send().await.unwrap()
}

fn etag_of(response: &reqwest::Response) -> String {
    response.headers().get(ETAG).expect("a cached answer has an ETag").to_str().unwrap().to_owned()
}

/// Retracts the newest published fact as the demo reviewer, through `app`.
async fn retract_first_fact(app: &TestApp) -> String {
    let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
    let data =
        app.query_ok("{ facts(first: 1, filter: {statuses: [PUBLISHED]}) { nodes { id version } } }", json!({})).await;
    let fact = &data["facts"]["nodes"][0];
    app.ok_as(&reviewer, RETRACT, json!({ "id": fact["id"], "v": fact["version"] })).await;
    fact["id"].as_str().unwrap().to_owned()
}

async fn a_repeated_anonymous_query_is_answered_from_the_cache_until_the_record_changes(backend: Backend) {
    let app = TestApp::spawn_with(backend, cached()).await;
    let variables = json!({ "first": 5 });
    let before = app.statements.get();
    let first = post(&app, PAGE, variables.clone(), None).await;
    let first_statements = app.statements.get() - before;
    assert_eq!(first.status(), 200);
    let tag = etag_of(&first);
    assert_eq!(first.headers()[CACHE_CONTROL], "public, no-cache");
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["data"]["facts"]["nodes"].as_array().unwrap().len(), 5);

    let before = app.statements.get();
    // The same query laid out differently is the same query.
    let again = post(
        &app,
        "# again\nquery($first:Int){facts(first:$first){nodes{id,status,summary}}}",
        variables.clone(),
        None,
    )
    .await;
    assert_eq!(app.statements.get() - before, 1, "only the generation is read (the miss took {first_statements})");
    assert_eq!(etag_of(&again), tag);
    assert_eq!(again.json::<Value>().await.unwrap(), first);

    let retracted = retract_first_fact(&app).await;
    let after = post(&app, PAGE, variables, None).await;
    assert_ne!(etag_of(&after), tag, "the retraction made a new generation");
    let after: Value = after.json().await.unwrap();
    let node =
        after["data"]["facts"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == retracted.as_str()).cloned();
    assert_eq!(node.expect("the retracted fact stays listed")["status"], "RETRACTED");
}

async fn a_client_holding_the_current_answer_gets_304_without_the_query_running(backend: Backend) {
    let app = TestApp::spawn_with(backend, cached()).await;
    let tag = etag_of(&post(&app, PAGE, json!({ "first": 3 }), None).await);
    let before = app.statements.get();
    let unchanged = post(&app, PAGE, json!({ "first": 3 }), Some(&tag)).await;
    assert_eq!(unchanged.status(), 304);
    assert_eq!(unchanged.headers()[ETAG].to_str().unwrap(), tag);
    assert_eq!(app.statements.get() - before, 1);
    assert!(unchanged.bytes().await.unwrap().is_empty());
    // Other variables are another answer.
    assert_eq!(post(&app, PAGE, json!({ "first": 4 }), Some(&tag)).await.status(), 200);
    retract_first_fact(&app).await;
    let changed = post(&app, PAGE, json!({ "first": 3 }), Some(&tag)).await;
    assert_eq!(changed.status(), 200, "the record changed: the full answer, with its new tag");
    assert_ne!(etag_of(&changed), tag);
}

async fn a_change_made_through_another_server_invalidates_the_cache(backend: Backend) {
    let app = TestApp::spawn_with(backend, cached()).await;
    let url = app.database.url.clone();
    let other =
        TestApp::spawn_on(backend, TestDatabase::existing(url.clone()), &DatabaseConfig::for_url(url), cached()).await;
    let first: Value = post(&app, PAGE, json!({ "first": 20 }), None).await.json().await.unwrap();
    let retracted = retract_first_fact(&other).await;
    let after: Value = post(&app, PAGE, json!({ "first": 20 }), None).await.json().await.unwrap();
    assert_ne!(after, first);
    let node =
        after["data"]["facts"]["nodes"].as_array().unwrap().iter().find(|n| n["id"] == retracted.as_str()).cloned();
    assert_eq!(node.unwrap()["status"], "RETRACTED", "the first server does not serve its stale answer");
}

async fn signed_in_callers_errors_and_mutations_are_never_cached(backend: Backend) {
    let app = TestApp::spawn_with(backend, cached()).await;
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let signed_in = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(&editor)
        .json(&json!({ "query": PAGE, "variables": { "first": 2 } }))
        .send()
        .await
        .unwrap();
    assert!(signed_in.headers().get(ETAG).is_none());
    assert_eq!(signed_in.headers()[CACHE_CONTROL], "no-store");
    let bad = post(&app, "{ facts(first: 1000) { nodes { id } } }", json!({}), None).await;
    assert!(bad.headers().get(ETAG).is_none(), "an error is not cached");
    assert!(bad.json::<Value>().await.unwrap()["errors"].is_array());
    let login =
        "mutation { login(input: {email: \"editor@demo.chancery\", password: \"demo-editor-password\"}) { token } }";
    let first = post(&app, login, json!({}), None).await;
    assert!(first.headers().get(ETAG).is_none(), "a mutation is not cached");
    let (a, b): (Value, Value) =
        (first.json().await.unwrap(), post(&app, login, json!({}), None).await.json().await.unwrap());
    assert!(a["data"]["login"]["token"].is_string() && b["data"]["login"]["token"].is_string());
}

async fn get(app: &TestApp, params: &[(&str, &str)]) -> reqwest::Response {
    app.client.get(format!("{}/graphql", app.base_url)).query(params).send().await.unwrap()
}

async fn get_serves_anonymous_queries_and_refuses_mutations_and_credentials(backend: Backend) {
    let app = TestApp::spawn_with(backend, cached()).await;
    let answer = get(&app, &[("query", PAGE), ("variables", "{\"first\": 2}")]).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()[CACHE_CONTROL], "public, no-cache");
    let tag = etag_of(&answer);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["data"]["facts"]["nodes"].as_array().unwrap().len(), 2);
    // The same answer as over POST, with the same tag.
    assert_eq!(etag_of(&post(&app, PAGE, json!({ "first": 2 }), None).await), tag);

    let users = app.row_count("users").await;
    let create = "mutation { createUser(input: {email: \"x@example.org\", displayName: \"X\", role: EDITOR, password: \"a-long-enough-password\"}) { user { id } } }";
    let refused = get(&app, &[("query", create)]).await;
    assert_eq!(refused.status(), 405);
    assert_eq!(refused.headers()["allow"], "POST");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "METHOD_NOT_ALLOWED");
    let named =
        get(&app, &[("query", &format!("query A {{ facts {{ totalCount }} }} {create}")), ("operationName", "")]).await;
    assert_eq!(named.status(), 200, "no operation named: async-graphql's own error");
    assert!(named.json::<Value>().await.unwrap()["errors"].is_array());
    // A named mutation alone in its document runs without operationName: refused all the same.
    let named_alone = create.replacen("mutation {", "mutation CreateOne {", 1);
    let refused = get(&app, &[("query", named_alone.as_str())]).await;
    assert_eq!(refused.status(), 405, "a named mutation over GET");
    let login = "mutation SignIn { login(input: {email: \"editor@demo.chancery\", password: \"demo-editor-password\"}) { token } }";
    let refused = get(&app, &[("query", login)]).await;
    assert_eq!(refused.status(), 405, "not even a sign-in runs over GET");
    assert_eq!(app.row_count("users").await, users, "nothing was written");

    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let with_token = app
        .client
        .get(format!("{}/graphql", app.base_url))
        .bearer_auth(&editor)
        .query(&[("query", PAGE)])
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 405, "signed-in requests use POST");

    for variables in ["[1]", "{\"first\": ", "\"text\""] {
        let bad = get(&app, &[("query", PAGE), ("variables", variables)]).await;
        assert_eq!(bad.status(), 400, "{variables}");
        let body: Value = bad.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{variables}");
    }
    let graphiql = get(&app, &[]).await;
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("GraphiQL"));
}

async fn without_the_cache_get_answers_are_not_to_be_stored(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let answer = get(&app, &[("query", PAGE), ("variables", "{\"first\": 1}")]).await;
    assert_eq!(answer.status(), 200);
    assert!(answer.headers().get(ETAG).is_none());
    assert_eq!(answer.headers()[CACHE_CONTROL], "no-store");
}

backend_tests!(
    a_repeated_anonymous_query_is_answered_from_the_cache_until_the_record_changes,
    a_client_holding_the_current_answer_gets_304_without_the_query_running,
    a_change_made_through_another_server_invalidates_the_cache,
    signed_in_callers_errors_and_mutations_are_never_cached,
    get_serves_anonymous_queries_and_refuses_mutations_and_credentials,
    without_the_cache_get_answers_are_not_to_be_stored,
);
