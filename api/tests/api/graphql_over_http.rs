//! GraphQL over HTTP (the spec `graphql-http`'s audit checks; `scripts/graphql-http-audit.mjs`
//! runs it): the answer's media type follows the client's Accept — `application/json` unless
//! the client asks for `application/graphql-response+json` ahead of it — and under the new
//! type a request error (a document that does not parse or validate, variables that do not
//! coerce) is a 400 without `data`, while under `application/json` it stays a 200.
use crate::support::{Backend, TestApp};
use chancery::config::ServeConfig;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> (u16, String, Value) {
    let mut request = app.client.post(format!("{}/graphql", app.base_url)).json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (status, content_type, response.json().await.expect("a JSON body"))
}

/// A POST with no Accept header at all (reqwest always sends `*/*`), over a raw connection.
async fn post_without_accept(app: &TestApp, body: Value) -> (u16, String, Value) {
    let address = app.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete answer");
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{head}");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|line| line.split_once(':').filter(|(name, _)| name.eq_ignore_ascii_case("content-type")))
        .map(|(_, value)| value.trim().to_owned())
        .expect("a content type");
    (status, content_type, serde_json::from_str(body).expect("a JSON body"))
}

async fn the_answer_media_type_follows_the_accept_header(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = json!({ "query": "{ __typename }" });
    for (accept, expected) in [
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE),
        ("*/*", JSON),
        ("application/*", JSON),
        ("text/html, */*;q=0.8", JSON),
        // What the spec tells clients to send: the new type first, the legacy one for old servers.
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json", JSON),
        ("application/json;q=0.5, application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/graphql-response+json;q=0.5, application/json", JSON),
        ("application/graphql-response+json;q=0.9, */*;q=0.1", GRAPHQL_RESPONSE),
        ("application/graphql-response+json;q=0, application/json", JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE),
    ] {
        let (status, content_type, body) = post(&app, Some(accept), query.clone()).await;
        assert_eq!((status, content_type.as_str()), (200, expected), "Accept: {accept}");
        assert_eq!(body, json!({ "data": { "__typename": "Query" } }), "Accept: {accept}");
    }
    let (status, content_type, body) = post_without_accept(&app, query).await;
    assert_eq!((status, content_type.as_str()), (200, JSON), "without Accept");
    assert_eq!(body["data"]["__typename"], "Query");
}

/// Documents that do not parse, do not validate, or whose variables do not coerce: nothing ran.
fn request_errors() -> Vec<(&'static str, Value)> {
    vec![
        ("parse error", json!({ "query": "{" })),
        ("empty document", json!({ "query": "" })),
        ("validation error", json!({ "query": "{ 8f31403dfe404bccbb0e835f2629c6a7 }" })),
        ("unknown field", json!({ "query": "{ factKinds { nonsense } }" })),
        (
            "null for a non-null variable",
            json!({ "query": "query Q($id: ID!) { actor(id: $id) { id } }", "variables": { "id": null } }),
        ),
        (
            "variable of the wrong type",
            json!({ "query": "query Q($first: Int) { actors(first: $first) { totalCount } }", "variables": { "first": "many" } }),
        ),
        (
            "a required variable left out",
            json!({ "query": "query Q($id: ID!) { actor(id: $id) { id } }", "variables": {} }),
        ),
        (
            "a required variable left out, on a field never reached",
            json!({ "query": "query Q($id: ID!) { __typename ...@include(if: false) { actor(id: $id) { id } } }" }),
        ),
        (
            "null for a required variable that has a default",
            json!({ "query": "query Q($first: Int! = 2) { actors(first: $first) { totalCount } }", "variables": { "first": null } }),
        ),
        ("unknown operation", json!({ "query": "query A { __typename }", "operationName": "B" })),
    ]
}

async fn request_errors_are_400_without_data_under_graphql_response_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for accept in ["application/graphql-response+json", "application/graphql-response+json, application/json;q=0.9"] {
        for (what, body) in request_errors() {
            let (status, content_type, answer) = post(&app, Some(accept), body).await;
            assert_eq!((status, content_type.as_str()), (400, GRAPHQL_RESPONSE), "{what}: {answer:#}");
            assert!(answer.get("data").is_none(), "{what}: no data entry: {answer:#}");
            let errors = answer["errors"].as_array().unwrap_or_else(|| panic!("{what}: errors: {answer:#}"));
            assert!(!errors.is_empty(), "{what}");
            for error in errors {
                assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{what}: {answer:#}");
            }
        }
    }
}

async fn request_errors_stay_200_with_data_null_under_application_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for accept in ["application/json", "*/*"] {
        for (what, body) in request_errors() {
            let (status, content_type, answer) = post(&app, Some(accept), body).await;
            assert_eq!((status, content_type.as_str()), (200, JSON), "{what}: {answer:#}");
            assert_eq!(answer["data"], Value::Null, "{what}: {answer:#}");
            assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{what}: {answer:#}");
        }
    }
    for (what, body) in request_errors() {
        let (status, content_type, answer) = post_without_accept(&app, body).await;
        assert_eq!((status, content_type.as_str()), (200, JSON), "{what} without Accept: {answer:#}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{what}: {answer:#}");
    }
}

async fn a_required_variable_left_out_is_named_and_nothing_runs(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let before = app.row_count("actors").await;
    let create = "mutation M($input: CreateActorInput!) { createActor(input: $input) { actor { id } } }";
    let body = app.graphql_as(&editor, create, json!({})).await;
    let (code, message, fields) = crate::support::single_error(&body);
    assert_eq!(code, "BAD_USER_INPUT", "{body:#}");
    assert!(message.contains("$input") && fields == ["$input"], "names the variable: {body:#}");
    assert_eq!(app.row_count("actors").await, before, "nothing ran");
    // Of several operations, only the variables of the one that runs are required; a default
    // stands in for an absent variable, and a nullable one may be left out.
    let document = "query A($id: ID!) { actor(id: $id) { id } } query B($first: Int! = 1, $after: String) { actors(first: $first, after: $after) { totalCount } }";
    let (status, _, answer) =
        post(&app, Some("application/graphql-response+json"), json!({ "query": document, "operationName": "B" })).await;
    assert_eq!(status, 200, "{answer:#}");
    assert!(answer["data"]["actors"]["totalCount"].as_i64().is_some_and(|n| n > 0), "{answer:#}");
}

async fn executed_operations_are_200_under_both_types_field_errors_included(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let query = json!({ "query": "query Q($first: Int) { factKinds { key } actors(first: $first) { totalCount } }", "variables": { "first": 2 } });
    for (accept, expected) in [("application/json", JSON), ("application/graphql-response+json", GRAPHQL_RESPONSE)] {
        let (status, content_type, body) = post(&app, Some(accept), query.clone()).await;
        assert_eq!((status, content_type.as_str()), (200, expected), "{body:#}");
        assert!(body.get("errors").is_none(), "{body:#}");
        assert!(body["data"]["factKinds"].as_array().is_some_and(|kinds| !kinds.is_empty()), "{body:#}");
        // A field error happens during execution: the answer has data, and is a 200.
        let failing = json!({ "query": "{ __typename actor(id: \"nonsense\") { id } }" });
        let (status, content_type, body) = post(&app, Some(accept), failing).await;
        assert_eq!((status, content_type.as_str()), (200, expected), "{body:#}");
        assert_eq!(body["data"]["__typename"], "Query", "{body:#}");
        assert!(body["errors"][0]["extensions"]["code"].is_string(), "{body:#}");
    }
}

async fn gets_and_cached_answers_negotiate_and_vary_on_accept(backend: Backend) {
    let app =
        TestApp::spawn_with(backend, ServeConfig { demo: true, response_cache: true, ..ServeConfig::default() }).await;
    let get = |accept: &'static str, query: &'static str| {
        app.client.get(format!("{}/graphql", app.base_url)).header("accept", accept).query(&[("query", query)]).send()
    };
    // The first GET fills the cache; the second is answered from it, in the other type.
    for accept in ["application/graphql-response+json", "application/json", "application/graphql-response+json"] {
        let response = get(accept, "{ factKinds { key } }").await.unwrap();
        assert_eq!(response.status(), 200);
        let expected = if accept == "application/json" { JSON } else { GRAPHQL_RESPONSE };
        assert_eq!(response.headers()["content-type"], expected, "{accept}");
        assert!(
            response.headers().get_all("vary").iter().any(|value| value.to_str().unwrap().contains("accept")),
            "{:?}",
            response.headers()
        );
        assert!(response.headers().contains_key("etag"));
    }
    let invalid = get("application/graphql-response+json", "{ nonsense }").await.unwrap();
    assert_eq!(invalid.status(), 400);
    assert_eq!(invalid.headers()["cache-control"], "no-store");
    let body: Value = invalid.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body:#}");
    let legacy = get("application/json", "{ nonsense }").await.unwrap();
    assert_eq!(legacy.status(), 200);
    // Mutations over GET are still refused before anything runs, whatever the client accepts.
    let mutation = get("application/graphql-response+json", "mutation { __typename }").await.unwrap();
    assert_eq!(mutation.status(), 405);
}

backend_tests!(
    a_required_variable_left_out_is_named_and_nothing_runs,
    the_answer_media_type_follows_the_accept_header,
    request_errors_are_400_without_data_under_graphql_response_json,
    request_errors_stay_200_with_data_null_under_application_json,
    executed_operations_are_200_under_both_types_field_errors_included,
    gets_and_cached_answers_negotiate_and_vary_on_accept,
);
