//! The HTTP boundary refuses what GraphQL must never see: mutations and signed-in operations over
//! GET (anonymous queries may use it: `response_cache.rs`), non-JSON bodies
//! (cross-site form posts), oversized bodies (before they are read whole) and batches — each
//! with a clear code, and without touching the database.
use crate::support;

use crate::support::{Backend, TestApp};
use entity::enums::UserRole;
use serde_json::{json, Value};

const CREATE_ACTOR: &str = r#"mutation { createActor(input: {name: "Forged", kind: STATE}) { actor { id } } }"#;

async fn refused(response: reqwest::Response, status: u16, code: &str) -> reqwest::header::HeaderMap {
    assert_eq!(response.status(), status);
    let headers = response.headers().clone();
    let body: Value = response.json().await.expect("errors come back as JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body:#}");
    assert!(body.get("data").is_none(), "nothing ran: {body:#}");
    headers
}

async fn mutations_and_signed_in_operations_over_get_are_refused_with_405_and_allow_post(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, token) = app.user_with_role(UserRole::Editor).await;
    let before = app.row_count("actors").await;
    for query in [CREATE_ACTOR, "{ factKinds { key } }"] {
        let response = app
            .client
            .get(format!("{}/graphql", app.base_url))
            .bearer_auth(&token)
            .query(&[("query", query)])
            .send()
            .await
            .unwrap();
        let headers = refused(response, 405, "METHOD_NOT_ALLOWED").await;
        assert_eq!(headers["allow"], "POST");
    }
    let anonymous =
        app.client.get(format!("{}/graphql", app.base_url)).query(&[("query", CREATE_ACTOR)]).send().await.unwrap();
    let headers = refused(anonymous, 405, "METHOD_NOT_ALLOWED").await;
    assert_eq!(headers["allow"], "POST");
    assert_eq!(app.row_count("actors").await, before);
    let graphiql = app.client.get(format!("{}/graphql", app.base_url)).send().await.unwrap();
    assert_eq!(graphiql.status(), 200, "GraphiQL itself is still served");
}

async fn bodies_that_are_not_json_are_refused_with_415(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, token) = app.user_with_role(UserRole::Editor).await;
    let before = app.row_count("actors").await;
    let body = json!({ "query": CREATE_ACTOR }).to_string();
    for content_type in
        [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data"), None]
    {
        let mut request = app.client.post(format!("{}/graphql", app.base_url)).bearer_auth(&token).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        refused(request.send().await.unwrap(), 415, "UNSUPPORTED_MEDIA_TYPE").await;
    }
    assert_eq!(app.row_count("actors").await, before, "a cross-site form post creates nothing");
    let accepted = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json; charset=utf-8")
        .body(json!({ "query": "{ factKinds { key } }" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
}

async fn oversized_bodies_are_refused_with_413_whether_announced_or_streamed(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let padding = "x".repeat(70 * 1024);
    let body = json!({ "query": "{ factKinds { key } }", "variables": { "padding": padding } }).to_string();
    let announced = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    refused(announced, 413, "PAYLOAD_TOO_LARGE").await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.into_bytes().chunks(4096).map(|c| Ok(c.to_vec())).collect();
    // A connection of its own: the server closes the one it refused a body on, and a pooled
    // connection could be that one.
    let fresh = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let streamed = fresh
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    refused(streamed, 413, "PAYLOAD_TOO_LARGE").await;
}

async fn batches_and_malformed_bodies_are_refused_with_400(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, token) = app.user_with_role(UserRole::Editor).await;
    let before = app.row_count("actors").await;
    let batch = json!([{ "query": CREATE_ACTOR }, { "query": CREATE_ACTOR }]).to_string();
    let post = |body: String| {
        app.client
            .post(format!("{}/graphql", app.base_url))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    refused(post(batch).await.unwrap(), 400, "BATCH_NOT_ALLOWED").await;
    refused(post("{\"quer".into()).await.unwrap(), 400, "BAD_USER_INPUT").await;
    refused(post("42".into()).await.unwrap(), 400, "BAD_USER_INPUT").await;
    assert_eq!(app.row_count("actors").await, before);
}

async fn costly_queries_are_refused_before_validation_each_with_its_code(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let mut bomb = String::from("query { factKinds { ...F22 } }\nfragment F0 on FactKind { key label }\n");
    for level in 1..=22 {
        bomb.push_str(&format!("fragment F{level} on FactKind {{ ...F{} ...F{} }}\n", level - 1, level - 1));
    }
    assert!(bomb.len() < 1024, "a small document");
    let aliases: String = (0..500).map(|i| format!("a{i}: __typename ")).collect();
    let deep = format!("{{ {} }}", deep_selection(5));
    let directives = "{ factKinds @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) { key } }";
    let huge = format!("{{ factKinds {{ key }} }} # {}", "x".repeat(20 * 1024));
    let many_tokens = format!("{{ factKinds(x: [{}]) {{ key }} }}", "1 ".repeat(5_000));
    for (query, code) in [
        (bomb.as_str(), "QUERY_TOO_COMPLEX"),
        (&format!("{{ {aliases} }}"), "TOO_MANY_ALIASES"),
        (deep.as_str(), "QUERY_TOO_DEEP"),
        (directives, "TOO_MANY_DIRECTIVES"),
        (huge.as_str(), "QUERY_TOO_LARGE"),
        (many_tokens.as_str(), "TOO_MANY_TOKENS"),
    ] {
        let body = app.graphql(query, json!({})).await;
        let (found, message, _) = support::single_error(&body);
        assert_eq!(found, code, "{message}");
        assert!(message.contains("limit"), "the error says which limit was hit: {message}");
    }
    let ok = app.graphql("{ factKinds { key } }", json!({})).await;
    assert!(ok.get("errors").is_none(), "the server keeps serving: {ok:#}");
}

async fn lists_weigh_by_their_page_size_in_the_complexity_limit(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let fields = "id summary kind { key } occurred { text } participants { role actor { name } }";
    let one_page = format!("{{ facts(first: 100) {{ nodes {{ {fields} }} }} }}");
    assert!(app.graphql(&one_page, json!({})).await.get("errors").is_none(), "a full page is fine");
    let nested = format!(
        "{{ actors(first: 100) {{ nodes {{ facts(first: 100) {{ nodes {{ {fields} citations {{ quote }} }} }} }} }} }}"
    );
    let (code, message, _) = support::single_error(&app.graphql(&nested, json!({})).await);
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
}

fn deep_selection(levels: usize) -> String {
    let mut inner = String::from("id");
    for _ in 0..levels {
        inner = format!("nodes {{ participants {{ actor {{ facts {{ {inner} }} }} }} }}");
    }
    format!("facts {{ {inner} }}")
}

backend_tests!(
    costly_queries_are_refused_before_validation_each_with_its_code,
    lists_weigh_by_their_page_size_in_the_complexity_limit,
    mutations_and_signed_in_operations_over_get_are_refused_with_405_and_allow_post,
    bodies_that_are_not_json_are_refused_with_415,
    oversized_bodies_are_refused_with_413_whether_announced_or_streamed,
    batches_and_malformed_bodies_are_refused_with_400,
);

mod limits {
    use crate::support::{self, Backend, TestApp};
    use chancery::config::ServeConfig;
    use entity::enums::UserRole;
    use serde_json::{json, Value};

    async fn post(app: &TestApp, token: Option<&str>, query: &str) -> reqwest::Response {
        let mut request = app.client.post(format!("{}/graphql", app.base_url)).json(&json!({ "query": query }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    async fn callers_beyond_their_rate_get_429_with_retry_after(backend: Backend) {
        let app = TestApp::spawn_with(
            backend,
            ServeConfig { demo: true, rate_limit_per_minute: 3, ..ServeConfig::default() },
        )
        .await;
        // Signing in is one of the address's three requests this minute.
        let (_, token) = app.user_with_role(UserRole::Editor).await;
        for _ in 0..2 {
            assert_eq!(post(&app, None, "{ factKinds { key } }").await.status(), 200);
        }
        let limited = post(&app, None, "{ factKinds { key } }").await;
        assert_eq!(limited.status(), 429);
        let seconds: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&seconds));
        let body: Value = limited.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        assert_eq!(post(&app, Some(&token), "{ viewer { email } }").await.status(), 200, "a token has its own budget");
    }

    async fn requests_beyond_the_in_flight_cap_get_503_with_retry_after(backend: Backend) {
        let app =
            TestApp::spawn_with(backend, ServeConfig { demo: true, max_in_flight: 0, ..ServeConfig::default() }).await;
        let refused = post(&app, None, "{ factKinds { key } }").await;
        assert_eq!(refused.status(), 503);
        assert_eq!(refused.headers()["retry-after"], "1");
        let health = app.client.get(format!("{}/healthz", app.base_url)).send().await.unwrap();
        assert_eq!(health.status(), 200, "health checks are never shed");
    }

    async fn introspection_and_suggestions_can_be_switched_off_for_the_public(backend: Backend) {
        let app = TestApp::spawn_with(
            backend,
            ServeConfig { demo: true, anonymous_introspection: false, suggestions: false, ..ServeConfig::default() },
        )
        .await;
        let (_, token) = app.user_with_role(UserRole::Editor).await;
        let anonymous = app.graphql("{ __schema { queryType { name } } }", json!({})).await;
        assert_eq!(anonymous["data"]["__schema"], Value::Null, "the schema is hidden from the public: {anonymous:#}");
        let signed_in = app.ok_as(&token, "{ __schema { queryType { name } } }", json!({})).await;
        assert_eq!(signed_in["__schema"]["queryType"]["name"], "Query");
        let typo = app.graphql("{ factKind { key } }", json!({})).await;
        let (_, message, _) = support::single_error(&typo);
        assert!(!message.contains("Did you mean"), "no suggestions: {message}");
    }

    async fn only_configured_origins_get_cors_headers(backend: Backend) {
        let app = TestApp::spawn_with(
            backend,
            ServeConfig { cors_origins: "https://frontend.example".parse().unwrap(), ..ServeConfig::default() },
        )
        .await;
        let preflight = |origin: &'static str| {
            app.client
                .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base_url))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .send()
        };
        let allowed = preflight("https://frontend.example").await.unwrap();
        assert_eq!(allowed.headers()["access-control-allow-origin"], "https://frontend.example");
        let other = preflight("https://evil.example").await.unwrap();
        assert!(other.headers().get("access-control-allow-origin").is_none());
    }

    backend_tests!(
        callers_beyond_their_rate_get_429_with_retry_after,
        requests_beyond_the_in_flight_cap_get_503_with_retry_after,
        introspection_and_suggestions_can_be_switched_off_for_the_public,
        only_configured_origins_get_cors_headers,
    );
}
