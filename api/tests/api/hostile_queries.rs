//! Queries built to hurt the server rather than to ask it something: values nested until a
//! recursive parser overflows its stack, answers hundreds of megabytes large, "all of these
//! actors" filters that multiply the planner's work. Each is refused with its own code before it
//! costs much, the database is untouched, and the server goes on answering.
use crate::support;

use crate::support::faults::ServerProcess;
use crate::support::{single_error, Backend, TestApp};
use chancery::demo::{DEMO_EDITOR_EMAIL, DEMO_EDITOR_PASSWORD, DEMO_REVIEWER_EMAIL, DEMO_REVIEWER_PASSWORD};
use serde_json::{json, Value};

const LEVELS: [usize; 4] = [10, 100, 10_000, 100_000];

/// `levels` of lists, objects, or both alternating, around one string: as GraphQL and as JSON
/// text (built as text: serde_json's values recurse when dropped, so the test keeps none this deep).
fn nested(shape: &str, levels: usize) -> (String, String) {
    let (mut graphql, mut json) = (String::new(), String::new());
    let mut closers = Vec::with_capacity(levels);
    for level in 0..levels {
        let list = shape == "list" || (shape == "mixed" && level % 2 == 0);
        graphql.push_str(if list { "[" } else { "{a: " });
        json.push_str(if list { "[" } else { "{\"a\": " });
        closers.push(if list { ']' } else { '}' });
    }
    graphql.push_str("\"x\"");
    json.push_str("\"x\"");
    let closing: String = closers.iter().rev().collect();
    graphql.push_str(&closing);
    json.push_str(&closing);
    (graphql, json)
}

/// A server whose size limits let a 200 KB document through, so that only the nesting guard
/// stands between it and the parser.
async fn server_open_to_large_documents(backend: Backend) -> TestApp {
    let serve = chancery::config::ServeConfig {
        body_limit_bytes: 8 << 20,
        max_query_bytes: 4 << 20,
        max_query_tokens: 1 << 22,
        rate_limit_per_minute: 0,
        ..Default::default()
    };
    TestApp::spawn_with(backend, serve).await
}

async fn post(app: &TestApp, body: String) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

async fn still_serving(app: &TestApp) {
    let data = app.query_ok("{ factKinds { key } }", json!({})).await;
    assert!(!data["factKinds"].as_array().unwrap().is_empty(), "the server still answers");
}

async fn values_nested_at_any_depth_are_answered_and_the_server_stays_up(backend: Backend) {
    let app = server_open_to_large_documents(backend).await;
    let before = app.row_count("facts").await;
    for shape in ["list", "object", "mixed"] {
        for levels in LEVELS {
            let (text, json) = nested(shape, levels);
            // In the document: anything past 32 levels is refused before it is parsed.
            let query = format!("{{ factKinds(category: {text}) {{ key }} }}");
            let (status, body) = post(&app, json!({ "query": query }).to_string()).await;
            let (code, message, _) = single_error(&body);
            assert_eq!(status, 200, "{shape} × {levels}");
            let expected = if levels > 32 { "VALUE_TOO_DEEP" } else { "BAD_USER_INPUT" };
            assert_eq!(code, expected, "{shape} × {levels} in the document: {message}");

            // In a variable: named when the JSON could be read; refused unread when even that
            // would nest too deep.
            let request = format!(
                "{{\"query\": \"query($v: String) {{ factKinds(category: $v) {{ key }} }}\", \"variables\": {{\"v\": {json}}}}}"
            );
            let (status, body) = post(&app, request).await;
            let (code, message, fields) = single_error(&body);
            match levels {
                10 => assert_eq!((status, code.as_str()), (200, "BAD_USER_INPUT"), "{message}"),
                100 => {
                    assert_eq!((status, code.as_str()), (200, "VALUE_TOO_DEEP"), "{message}");
                    assert_eq!(fields, ["$v"], "the variable is named");
                }
                _ => assert_eq!((status, code.as_str()), (400, "VALUE_TOO_DEEP"), "{message}"),
            }
            still_serving(&app).await;
        }
    }
    assert_eq!(app.row_count("facts").await, before, "nothing was written");
}

async fn text_values_at_the_limit_still_parse(backend: Backend) {
    // Thirty-two levels is deeper than any input of this API; it must still be served.
    let app = TestApp::spawn(backend).await;
    let (text, _) = nested("list", 32);
    let body = app.graphql(&format!("{{ factKinds(category: {text}) {{ key }} }}"), json!({})).await;
    let (code, message, _) = single_error(&body);
    assert_eq!(code, "BAD_USER_INPUT", "an ordinary type error, not a depth refusal: {message}");
}

const LONG_QUOTE: &str = "The envoys met in Damascus, a Zanzibarian delegation said on the first of January.";

/// One source with a 60,000-character snapshot, cited by 100 published facts.
async fn one_long_snapshot_cited_by_a_hundred_facts(app: &TestApp) {
    let editor = app.login(DEMO_EDITOR_EMAIL, DEMO_EDITOR_PASSWORD).await;
    let reviewer = app.login(DEMO_REVIEWER_EMAIL, DEMO_REVIEWER_PASSWORD).await;
    let filler = "Diplomats said little else that day. ";
    let mut snapshot = filler.repeat(60_000 / filler.len() + 1);
    snapshot.truncate(60_000 - LONG_QUOTE.len());
    snapshot.push_str(LONG_QUOTE);
    let source = app
        .ok_as(
            &editor,
            "mutation($input: CreateSourceInput!) { createSource(input: $input) { source { id } } }",
            json!({ "input": {
                "url": "https://news.example/long-report", "title": "A long report", "kind": "REPORT",
                "publishedOn": "2025-01-02", "publishedPrecision": "DAY", "snapshot": snapshot,
            } }),
        )
        .await["createSource"]["source"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (russia, syria) = (app.actor_id("Russia").await, app.actor_id("Syria").await);
    for index in 0..100 {
        let mut input = support::visit_input(&russia, &syria, &source, &format!("Visit number {index}."));
        input["citations"][0]["quote"] = json!(LONG_QUOTE);
        let id = app
            .ok_as(
                &editor,
                "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id } } }",
                json!({ "input": input }),
            )
            .await["createFact"]["fact"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.ok_as(
            &editor,
            "mutation($id: ID!) { submitFact(input: {id: $id, expectedVersion: 1}) { fact { id } } }",
            json!({ "id": id }),
        )
        .await;
        app.ok_as(
            &reviewer,
            "mutation($id: ID!) { reviewFact(input: {id: $id, expectedVersion: 2, decision: APPROVE}) { fact { id } } }",
            json!({ "id": id }),
        )
        .await;
    }
}

/// `aliases` copies of a page of 100 facts, each with its citations' snapshots.
fn snapshot_query(aliases: usize) -> String {
    let fields: String = (0..aliases)
        .map(|i| format!("a{i}: facts(first: 100, filter: {{search: \"Zanzibarian\"}}) {{ nodes {{ citations {{ source {{ snapshot }} }} }} }} "))
        .collect();
    format!("{{ {fields} }}")
}

async fn answers_past_the_size_limit_are_refused_whole(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    one_long_snapshot_cited_by_a_hundred_facts(&app).await;

    // One page of 100 snapshots (6 MB) is an answer the server gives.
    let data = app.query_ok(&snapshot_query(1), json!({})).await;
    let nodes = data["a0"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 100);
    assert_eq!(nodes[99]["citations"][0]["source"]["snapshot"].as_str().unwrap().chars().count(), 60_000);

    // The attack as reported: 40 aliases of it weigh far more than the complexity limit allows.
    let (code, message, _) = single_error(&app.graphql(&snapshot_query(40), json!({})).await);
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");

    // Three aliases pass the complexity limit but would answer 18 MB: refused as a whole.
    let body = app.graphql(&snapshot_query(3), json!({})).await;
    let (code, message, _) = single_error(&body);
    assert_eq!(code, "RESPONSE_TOO_LARGE", "{message}");
    assert!(body["data"].is_null(), "no partial data is sent");
    assert!(body.to_string().len() < 4096, "the refusal is small");
    still_serving(&app).await;
}

async fn concurrent_oversized_answers_keep_the_server_small(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    one_long_snapshot_cited_by_a_hundred_facts(&app).await;
    let server = ServerProcess::start(&app.database.url, &[]);
    let pid = server.child.id();
    let client = reqwest::Client::new();
    let attacks = (0..6).map(|_| {
        let client = client.clone();
        let url = format!("{}/graphql", server.base_url);
        async move {
            let response = client.post(url).json(&json!({ "query": snapshot_query(3) })).send().await.unwrap();
            response.json::<Value>().await.unwrap()
        }
    });
    for body in futures_util::future::join_all(attacks).await {
        assert_eq!(single_error(&body).0, "RESPONSE_TOO_LARGE", "{body:#}");
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server process is alive");
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    eprintln!("peak resident memory of the server after six oversized answers: {} MiB", peak_kib / 1024);
    // Unbounded, these six answers took the server to 2 GB; each is now cut off at 16 MB.
    assert!(peak_kib < 400 * 1024, "peak RSS {peak_kib} KiB");
}

async fn all_of_is_capped_and_weighed(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let before = app.row_count("facts").await;
    let russia = app.actor_id("Russia").await;
    let syria = app.actor_id("Syria").await;
    let query = "query($a: [ID!]) { facts(filter: {allOf: $a}) { totalCount nodes { summary } } }";

    let both = app.query_ok(query, json!({ "a": [russia, syria, russia] })).await;
    assert!(
        both["facts"]["totalCount"].as_i64().unwrap() > 0,
        "Russia and Syria share facts (a repeated actor counts once)"
    );
    for node in both["facts"]["nodes"].as_array().unwrap() {
        assert!(node["summary"].is_string());
    }

    let eleven: Vec<&str> = std::iter::repeat_n(russia.as_str(), 11).collect();
    let body = app.graphql(query, json!({ "a": eleven })).await;
    support::assert_bad_input(&body, "filter.allOf");

    // Ten actors in each of many aliases weigh past the complexity limit.
    let ten: Vec<&str> = std::iter::repeat_n(syria.as_str(), 10).collect();
    let aliases: String =
        (0..12).map(|i| format!("a{i}: facts(first: 1, filter: {{allOf: $a}}) {{ totalCount }} ")).collect();
    let body = app.graphql(&format!("query($a: [ID!]) {{ {aliases} }}"), json!({ "a": ten })).await;
    assert_eq!(single_error(&body).0, "QUERY_TOO_COMPLEX", "{body:#}");
    assert_eq!(app.row_count("facts").await, before);
}

async fn security_headers_are_on_every_answer(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let graphiql = app.client.get(format!("{}/graphql", app.base_url)).send().await.unwrap();
    assert_eq!(graphiql.headers()["x-content-type-options"], "nosniff");
    let policy = graphiql.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"), "{policy}");
    assert!(!policy.contains("'unsafe-eval'") && !policy.contains("script-src 'unsafe-inline'"), "{policy}");
    let page = graphiql.text().await.unwrap();
    assert!(page.contains("<script>"), "the page's inline script is allowed by its hash");

    let health = app.client.get(format!("{}/healthz", app.base_url)).send().await.unwrap();
    assert_eq!(health.headers()["x-content-type-options"], "nosniff");

    let query = json!({ "query": "{ factKinds { key } }" });
    let url = format!("{}/graphql", app.base_url);
    let anonymous = app.client.post(&url).json(&query).send().await.unwrap();
    assert_eq!(anonymous.headers()["x-content-type-options"], "nosniff");
    assert!(anonymous.headers().get("cache-control").is_none_or(|value| value != "no-store"));

    let token = app.login(DEMO_EDITOR_EMAIL, DEMO_EDITOR_PASSWORD).await;
    let signed_in = app.client.post(&url).bearer_auth(&token).json(&query).send().await.unwrap();
    assert_eq!(signed_in.headers()["cache-control"], "no-store");
    let bad_token = app.client.post(&url).bearer_auth("not-a-token").json(&query).send().await.unwrap();
    assert_eq!(bad_token.headers()["cache-control"], "no-store", "whatever the token's fate");
}

backend_tests!(
    values_nested_at_any_depth_are_answered_and_the_server_stays_up,
    text_values_at_the_limit_still_parse,
    answers_past_the_size_limit_are_refused_whole,
    concurrent_oversized_answers_keep_the_server_small,
    all_of_is_capped_and_weighed,
    security_headers_are_on_every_answer,
);

/// Log lines written to a pipe or a file carry no colour codes.
#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let directory = std::env::temp_dir().join(format!("chancery-colour-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&directory).unwrap();
    let url = format!("sqlite://{}?mode=rwc", directory.join("c.db").display());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_chancery"))
        .args(["--database-url", &url, "--log-level", "debug", "verify-history"])
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&directory);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.is_empty(), "the run logs something");
    assert!(!stderr.contains('\u{1b}'), "no ANSI escapes in {stderr:?}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains('\u{1b}'));
}
