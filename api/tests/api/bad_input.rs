//! Every way a client can get the public read API's arguments wrong. Each refusal must arrive
//! as HTTP 200 (never 500) with exactly one error coded `BAD_USER_INPUT` that names the
//! offending argument in `extensions.fields[].path`, must leak nothing of the SQL or the code
//! behind it, and must leave the database exactly as it was.

use crate::support::{assert_bad_input, single_error, Backend, TestApp};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Value};

const TABLES: [&str; 4] = ["facts", "actors", "sources", "revisions"];

const FACTS: &str = r#"
query Facts($filter: FactFilterInput, $order: FactOrderInput, $first: Int, $after: String, $last: Int, $before: String) {
  facts(filter: $filter, orderBy: $order, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    nodes { id summary }
  }
}"#;

/// The row counts of the tables a read could conceivably disturb.
async fn table_counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push((table, app.row_count(table).await));
    }
    counts
}

/// Runs a request that must be refused naming exactly `fields` (in any order), and checks that
/// it changed nothing. `app.graphql` already insists on HTTP 200, so no refusal is a 500.
pub(crate) async fn refused_naming_all(app: &TestApp, query: &str, variables: Value, fields: &[&str]) -> Value {
    let before = table_counts(app).await;
    let body = app.graphql(query, variables).await;
    for field in fields {
        assert_bad_input(&body, field);
    }
    let (_, _, mut named) = single_error(&body);
    named.sort();
    let mut expected: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    expected.sort();
    assert_eq!(named, expected, "the error names exactly the offending arguments: {body:#}");
    assert_eq!(table_counts(app).await, before, "a refused read changes nothing");
    body
}

async fn refused_naming(app: &TestApp, query: &str, variables: Value, field: &str) -> Value {
    refused_naming_all(app, query, variables, &[field]).await
}

/// A request async-graphql itself refuses (parse or validation): at least one error, every one
/// coded `BAD_USER_INPUT`, nothing leaked, nothing changed.
async fn refused_by_graphql(app: &TestApp, query: &str, variables: Value) -> Value {
    let before = table_counts(app).await;
    let body = app.graphql(query, variables).await;
    let errors = body["errors"].as_array().unwrap_or_else(|| panic!("expected errors in {body:#}"));
    assert!(!errors.is_empty(), "{body:#}");
    for error in errors {
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
    }
    let text = body.to_string().to_lowercase();
    for leak in ["select ", "insert ", "sqlstate", "constraint", "panicked", ".rs:"] {
        assert!(!text.contains(leak), "error leaks internals ({leak}): {body:#}");
    }
    assert!(body.get("data").is_none_or(|data| data.is_null()), "nothing was executed: {body:#}");
    assert_eq!(table_counts(app).await, before);
    body
}

/// A global id in the server's format (`base64url("Type:key")`), for ids of any type.
fn global_id(type_and_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(type_and_key)
}

async fn a_fact_id(app: &TestApp) -> String {
    let data = app.query_ok("{ facts(first: 1) { nodes { id } } }", json!({})).await;
    data["facts"]["nodes"][0]["id"].as_str().unwrap().to_owned()
}

async fn the_source_id(app: &TestApp) -> String {
    let data = app.query_ok("{ sources(first: 1) { nodes { id } } }", json!({})).await;
    data["sources"]["nodes"][0]["id"].as_str().unwrap().to_owned()
}

async fn a_fact_kind_id(app: &TestApp) -> String {
    let data = app.query_ok("{ factKinds { id } }", json!({})).await;
    data["factKinds"][0]["id"].as_str().unwrap().to_owned()
}

/// Ids that are not ids at all, whatever type is expected.
fn malformed_ids() -> Vec<String> {
    vec![
        "garbage".to_owned(),
        "!!not base64!!".to_owned(),
        String::new(),
        global_id("User:1"),
        global_id("Fact:not-a-uuid"),
        global_id("Actor:"),
        global_id("no colon at all"),
        "A".repeat(300),
    ]
}

async fn malformed_or_foreign_fact_id_is_refused_naming_id(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let mut ids = malformed_ids();
    ids.push(app.actor_id("Russia").await);
    ids.push(the_source_id(&app).await);
    ids.push(a_fact_kind_id(&app).await);
    for id in ids {
        let body = refused_naming(&app, "query($id: ID!) { fact(id: $id) { id } }", json!({ "id": id }), "id").await;
        assert_eq!(body["data"]["fact"], Value::Null, "{body:#}");
    }
}

async fn malformed_node_id_is_refused_naming_id(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for id in malformed_ids() {
        refused_naming(&app, "query($id: ID!) { node(id: $id) { id __typename } }", json!({ "id": id }), "id").await;
    }
}

async fn malformed_or_foreign_actor_id_is_refused_naming_id(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let mut ids = malformed_ids();
    ids.push(a_fact_id(&app).await);
    ids.push(the_source_id(&app).await);
    for id in ids {
        refused_naming(&app, "query($id: ID!) { actor(id: $id) { id name } }", json!({ "id": id }), "id").await;
    }
}

async fn malformed_or_foreign_source_id_is_refused_naming_id(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let mut ids = malformed_ids();
    ids.push(a_fact_id(&app).await);
    ids.push(app.actor_id("RT").await);
    for id in ids {
        refused_naming(&app, "query($id: ID!) { source(id: $id) { id url } }", json!({ "id": id }), "id").await;
    }
}

async fn inline_garbage_ids_are_refused_like_variables(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(&app, r#"{ fact(id: "garbage") { id } }"#, json!({}), "id").await;
    refused_naming(&app, r#"{ node(id: "VXNlcjox") { id } }"#, json!({}), "id").await;
    refused_naming(&app, r#"{ actor(id: "garbage") { id } }"#, json!({}), "id").await;
    refused_naming(&app, r#"{ source(id: "garbage") { id } }"#, json!({}), "id").await;
}

async fn one_bad_id_among_good_ones_in_nodes_is_refused_naming_its_index(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let fact = a_fact_id(&app).await;
    let actor = app.actor_id("Syria").await;
    for bad in malformed_ids() {
        refused_naming(
            &app,
            "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }",
            json!({ "ids": [fact, bad, actor] }),
            "ids[1]",
        )
        .await;
    }
}

async fn more_than_100_node_ids_are_refused_naming_ids(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let fact = a_fact_id(&app).await;
    let ids = vec![fact.clone(); 101];
    refused_naming(&app, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": ids }), "ids").await;
    // 100 is the limit itself, and is fine.
    let data = app.query_ok("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": vec![fact; 100] })).await;
    assert_eq!(data["nodes"].as_array().unwrap().len(), 100);
}

async fn first_above_100_is_refused_naming_first(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(&app, "{ facts(first: 101) { totalCount } }", json!({}), "first").await;
    refused_naming(&app, FACTS, json!({ "first": 101 }), "first").await;
    refused_naming(&app, FACTS, json!({ "first": i32::MAX }), "first").await;
}

async fn negative_first_is_refused_naming_first(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(&app, "{ facts(first: -1) { totalCount } }", json!({}), "first").await;
    refused_naming(&app, FACTS, json!({ "first": i32::MIN }), "first").await;
}

async fn last_above_100_or_negative_is_refused_naming_last(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(&app, "{ facts(last: 101) { totalCount } }", json!({}), "last").await;
    refused_naming(&app, FACTS, json!({ "last": -1 }), "last").await;
}

async fn first_and_last_together_are_refused_naming_last(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(&app, "{ facts(first: 5, last: 5) { totalCount } }", json!({}), "last").await;
}

async fn after_and_before_together_are_refused_naming_before(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let data = app.query_ok("{ facts(first: 2) { pageInfo { startCursor endCursor } } }", json!({})).await;
    let info = &data["facts"]["pageInfo"];
    refused_naming(&app, FACTS, json!({ "after": info["startCursor"], "before": info["endCursor"] }), "before").await;
}

async fn garbage_cursor_is_refused_naming_after(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let fact_uuid = "0194f8a0-0000-7000-8000-000000000000";
    for cursor in [
        "garbage".to_owned(),
        "!!!".to_owned(),
        String::new(),
        "A".repeat(600),
        // The right ordering tag, but a key that is no date, or no id.
        global_id(&format!("fact-occurred|yesterday|{fact_uuid}")),
        global_id("fact-occurred|2025-02-12|not-a-uuid"),
        global_id("fact-occurred|2025-02-12"),
    ] {
        refused_naming(&app, FACTS, json!({ "first": 3, "after": cursor }), "after").await;
    }
    refused_naming(&app, FACTS, json!({ "last": 3, "before": "garbage" }), "before").await;
}

async fn cursor_of_another_ordering_is_refused_naming_after(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let data = app
        .query_ok(
            "{ facts(orderBy: {field: PUBLISHED_AT, direction: DESC}, first: 2) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let published_cursor = data["facts"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let order = json!({ "field": "OCCURRED_AT", "direction": "DESC" });
    refused_naming(&app, FACTS, json!({ "order": order, "first": 2, "after": published_cursor }), "after").await;

    // Nor does a cursor of another list fit: the actors' list is sorted by name.
    let data = app.query_ok("{ actors(first: 1) { pageInfo { endCursor } } }", json!({})).await;
    let actor_cursor = data["actors"]["pageInfo"]["endCursor"].clone();
    refused_naming(&app, FACTS, json!({ "first": 2, "after": actor_cursor }), "after").await;
}

async fn unknown_fact_kind_is_refused_naming_the_list_index(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(&app, FACTS, json!({ "filter": { "kinds": ["no.such_kind"] } }), "filter.kinds[0]").await;
    refused_naming(
        &app,
        FACTS,
        json!({ "filter": { "kinds": ["diplomatic.phone_call", "Diplomatic.Phone_Call"] } }),
        "filter.kinds[1]",
    )
    .await;
}

async fn unknown_category_is_refused_naming_the_list_index(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(&app, FACTS, json!({ "filter": { "categories": ["astrology"] } }), "filter.categories[0]").await;
    refused_naming(
        &app,
        FACTS,
        json!({ "filter": { "categories": ["military", "diplomatic.phone_call"] } }),
        "filter.categories[1]",
    )
    .await;
}

async fn inverted_date_range_is_refused_naming_occurred_from(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(
        &app,
        FACTS,
        json!({ "filter": { "occurredFrom": "2025-03-01", "occurredTo": "2025-01-01" } }),
        "filter.occurredFrom",
    )
    .await;
}

async fn search_without_a_word_is_refused_naming_filter_search(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for search in ["", "  !! ", "   ", "\"*:&|()'"] {
        refused_naming(&app, FACTS, json!({ "filter": { "search": search } }), "filter.search").await;
    }
}

async fn search_longer_than_200_characters_is_refused_naming_filter_search(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let long = "naval ".repeat(34); // 204 characters
    assert!(long.chars().count() > 200);
    refused_naming(&app, FACTS, json!({ "filter": { "search": long } }), "filter.search").await;
    // Counted in characters, not bytes: 201 two-byte letters are too many as well.
    refused_naming(&app, FACTS, json!({ "filter": { "search": "é".repeat(201) } }), "filter.search").await;
}

async fn country_that_is_no_iso_code_is_refused_naming_filter_country(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for country in ["syria", "sy", "SYR", "", "S1"] {
        refused_naming(&app, FACTS, json!({ "filter": { "country": country } }), "filter.country").await;
    }
}

async fn malformed_actor_id_in_all_of_is_refused_naming_its_index(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let russia = app.actor_id("Russia").await;
    refused_naming(&app, FACTS, json!({ "filter": { "allOf": [russia, "garbage"] } }), "filter.allOf[1]").await;
}

async fn source_id_among_participants_is_refused_naming_its_index(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let source = the_source_id(&app).await;
    refused_naming(&app, FACTS, json!({ "filter": { "participants": [source] } }), "filter.participants[0]").await;
    // and an actor id where a source id belongs
    let rt = app.actor_id("RT").await;
    refused_naming(&app, FACTS, json!({ "filter": { "sources": [rt] } }), "filter.sources[0]").await;
    // and a fact id among subjects, objects and outlets
    let fact = a_fact_id(&app).await;
    refused_naming(&app, FACTS, json!({ "filter": { "subjects": [fact] } }), "filter.subjects[0]").await;
    refused_naming(&app, FACTS, json!({ "filter": { "objects": [fact] } }), "filter.objects[0]").await;
    refused_naming(&app, FACTS, json!({ "filter": { "outlets": [fact] } }), "filter.outlets[0]").await;
}

async fn filter_lists_longer_than_50_values_are_refused_naming_the_list(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let russia = app.actor_id("Russia").await;
    refused_naming(&app, FACTS, json!({ "filter": { "participants": vec![russia; 51] } }), "filter.participants").await;
}

async fn several_filter_problems_are_reported_together_in_one_error(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let filter = json!({
        "kinds": ["no.such_kind"],
        "occurredFrom": "2025-03-01",
        "occurredTo": "2025-01-01",
        "country": "syria",
    });
    refused_naming_all(
        &app,
        FACTS,
        json!({ "filter": filter }),
        &["filter.kinds[0]", "filter.occurredFrom", "filter.country"],
    )
    .await;
}

/// Malformed ids do not hide the filter's other problems: all are reported at once.
async fn id_and_vocabulary_problems_in_one_filter_are_reported_together(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let filter = json!({ "allOf": ["garbage"], "kinds": ["no.such_kind"], "country": "syria" });
    refused_naming_all(
        &app,
        FACTS,
        json!({ "filter": filter }),
        &["filter.allOf[0]", "filter.kinds[0]", "filter.country"],
    )
    .await;
}

async fn source_by_url_refuses_what_is_not_an_http_url_naming_url(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for url in ["not a url", "ftp://example.com/x", "", "   ", "javascript:alert(1)", "https://"] {
        let body = refused_naming(
            &app,
            "query($url: String!) { sourceByUrl(url: $url) { id } }",
            json!({ "url": url }),
            "url",
        )
        .await;
        assert_eq!(body["data"]["sourceByUrl"], Value::Null, "{body:#}");
    }
    let too_long = format!("https://example.com/{}", "a".repeat(2100));
    refused_naming(&app, "query($url: String!) { sourceByUrl(url: $url) { id } }", json!({ "url": too_long }), "url")
        .await;
}

async fn empty_actor_search_is_refused_naming_filter_search(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for search in ["", "   "] {
        refused_naming(
            &app,
            "query($s: String) { actors(filter: {search: $s}) { nodes { id } } }",
            json!({ "s": search }),
            "filter.search",
        )
        .await;
    }
    refused_naming(
        &app,
        "query($s: String) { actors(filter: {search: $s}) { nodes { id } } }",
        json!({ "s": "x".repeat(201) }),
        "filter.search",
    )
    .await;
    refused_naming(&app, r#"{ actors(filter: {country: "russia"}) { nodes { id } } }"#, json!({}), "filter.country")
        .await;
}

async fn actor_page_size_above_100_is_refused_naming_first(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(&app, "{ actors(first: 500) { nodes { id } } }", json!({}), "first").await;
    refused_naming(&app, "{ actors(last: 500) { nodes { id } } }", json!({}), "last").await;
    refused_naming(&app, r#"{ actors(first: 5, after: "garbage") { nodes { id } } }"#, json!({}), "after").await;
    refused_naming(&app, "{ sources(first: 500) { nodes { id } } }", json!({}), "first").await;
}

async fn garbage_outlet_id_in_source_filter_is_refused_naming_its_index(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_naming(
        &app,
        r#"{ sources(filter: {outlets: ["garbage"]}) { nodes { id } } }"#,
        json!({}),
        "filter.outlets[0]",
    )
    .await;
    let rt = app.actor_id("RT").await;
    let source = the_source_id(&app).await;
    refused_naming(
        &app,
        "query($o: [ID!]) { sources(filter: {outlets: $o}) { nodes { id } } }",
        json!({ "o": [rt, source] }),
        "filter.outlets[1]",
    )
    .await;
}

async fn actor_facts_connection_refuses_bad_arguments_by_name(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let russia = app.actor_id("Russia").await;
    let query = "query($id: ID!, $first: Int, $filter: FactFilterInput, $after: String) {
        actor(id: $id) { name facts(first: $first, filter: $filter, after: $after) { totalCount } } }";
    let body = refused_naming(&app, query, json!({ "id": russia, "first": 1000 }), "first").await;
    // No part of a connection is served for refused arguments. (async-graphql 7 does not
    // propagate the error's null to `actor`, so the actor stays, without its `facts`.)
    assert!(body["data"]["actor"].get("facts").is_none_or(Value::is_null), "{body:#}");
    refused_naming(&app, query, json!({ "id": russia, "filter": { "kinds": ["nope"] } }), "filter.kinds[0]").await;
    refused_naming(&app, query, json!({ "id": russia, "after": "garbage" }), "after").await;
    refused_naming(
        &app,
        &format!(r#"{{ actor(id: "{russia}") {{ facts(first: 1000) {{ totalCount }} }} }}"#),
        json!({}),
        "first",
    )
    .await;
}

async fn source_facts_connection_refuses_bad_arguments_by_name(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let source = the_source_id(&app).await;
    let query = "query($id: ID!, $first: Int, $filter: FactFilterInput) {
        source(id: $id) { url facts(first: $first, filter: $filter) { totalCount } } }";
    refused_naming(&app, query, json!({ "id": source, "first": 101 }), "first").await;
    refused_naming(&app, query, json!({ "id": source, "filter": { "search": " ! " } }), "filter.search").await;
}

async fn graphql_type_errors_are_reported_as_bad_user_input(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_by_graphql(&app, r#"{ facts(first: "ten") { totalCount } }"#, json!({})).await;
    refused_by_graphql(&app, "query($f: Int) { facts(first: $f) { totalCount } }", json!({ "f": "ten" })).await;
    refused_by_graphql(&app, "{ facts(first: 3000000000) { totalCount } }", json!({})).await;
    refused_by_graphql(&app, r#"{ facts(filter: {occurredFrom: "2025-13-01"}) { totalCount } }"#, json!({})).await;
    refused_by_graphql(&app, "{ facts(orderBy: {field: SUMMARY}) { totalCount } }", json!({})).await;
    refused_by_graphql(&app, "{ actors(filter: {kinds: [NOT_A_KIND]}) { nodes { id } } }", json!({})).await;
    refused_by_graphql(&app, "{ facts { noSuchField } }", json!({})).await;
    refused_by_graphql(&app, "{ fact { id } }", json!({})).await;
}

async fn syntactically_broken_query_is_reported_as_bad_user_input(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    refused_by_graphql(&app, "{ facts(first: 1 { totalCount } }", json!({})).await;
    refused_by_graphql(&app, "query {", json!({})).await;
    refused_by_graphql(&app, "", json!({})).await;
    refused_by_graphql(&app, "this is not graphql", json!({})).await;
}

async fn a_body_that_is_not_a_graphql_request_is_a_client_error_not_a_500(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let before = table_counts(&app).await;
    let url = format!("{}/graphql", app.base_url);
    for body in ["{", "[1, 2", "\"just a string\"", "{\"query\": 42}"] {
        let response = app
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request reaches the server");
        let status = response.status();
        assert!(status.is_client_error() || status == 200, "{body}: {status}");
        assert_ne!(status, 500, "{body}");
    }
    assert_eq!(table_counts(&app).await, before);
}

/// An Int outside 32 bits is refused wherever it stands, even under a field that never
/// resolves (schemathesis found one under an empty page answered as valid).
async fn an_int_out_of_range_is_refused_wherever_it_stands(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let under_empty_page = "{ facts(first: 0) { edges { node { citations { quoteInContext(chars: 9267468862718) \
         { before } } } } } }";
    assert_bad_input(&app.graphql(under_empty_page, json!({})).await, "chars");
    let as_variable = "query($n: Int) { facts(first: $n) { totalCount } }";
    assert_bad_input(&app.graphql(as_variable, json!({ "n": 5_000_000_000_i64 })).await, "$n");
    assert_bad_input(&app.graphql(as_variable, json!({ "n": -2_147_483_649_i64 })).await, "$n");
    // In a mutation's input object: refused before anything runs.
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let fact = app.query_ok("{ facts(first: 1) { nodes { id } } }", json!({})).await["facts"]["nodes"][0]["id"].clone();
    let revisions = app.row_count("revisions").await;
    let retract = format!(
        "mutation {{ retractFact(input: {{id: {fact}, expectedVersion: 4294967296, reason: \"x\"}}) {{ fact {{ id }} }} }}"
    );
    assert_bad_input(&app.graphql_as(&editor, &retract, json!({})).await, "input.expectedVersion");
    assert_eq!(app.row_count("revisions").await, revisions, "nothing was written");
    // The range's ends are Ints.
    let at_the_edge =
        "{ facts(first: 0) { edges { node { citations { quoteInContext(chars: 2147483647) { before } } } } } }";
    let body = app.graphql(at_the_edge, json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

backend_tests!(
    an_int_out_of_range_is_refused_wherever_it_stands,
    malformed_or_foreign_fact_id_is_refused_naming_id,
    malformed_node_id_is_refused_naming_id,
    malformed_or_foreign_actor_id_is_refused_naming_id,
    malformed_or_foreign_source_id_is_refused_naming_id,
    inline_garbage_ids_are_refused_like_variables,
    one_bad_id_among_good_ones_in_nodes_is_refused_naming_its_index,
    more_than_100_node_ids_are_refused_naming_ids,
    first_above_100_is_refused_naming_first,
    negative_first_is_refused_naming_first,
    last_above_100_or_negative_is_refused_naming_last,
    first_and_last_together_are_refused_naming_last,
    after_and_before_together_are_refused_naming_before,
    garbage_cursor_is_refused_naming_after,
    cursor_of_another_ordering_is_refused_naming_after,
    unknown_fact_kind_is_refused_naming_the_list_index,
    unknown_category_is_refused_naming_the_list_index,
    inverted_date_range_is_refused_naming_occurred_from,
    search_without_a_word_is_refused_naming_filter_search,
    search_longer_than_200_characters_is_refused_naming_filter_search,
    country_that_is_no_iso_code_is_refused_naming_filter_country,
    malformed_actor_id_in_all_of_is_refused_naming_its_index,
    source_id_among_participants_is_refused_naming_its_index,
    filter_lists_longer_than_50_values_are_refused_naming_the_list,
    several_filter_problems_are_reported_together_in_one_error,
    id_and_vocabulary_problems_in_one_filter_are_reported_together,
    source_by_url_refuses_what_is_not_an_http_url_naming_url,
    empty_actor_search_is_refused_naming_filter_search,
    actor_page_size_above_100_is_refused_naming_first,
    garbage_outlet_id_in_source_filter_is_refused_naming_its_index,
    actor_facts_connection_refuses_bad_arguments_by_name,
    source_facts_connection_refuses_bad_arguments_by_name,
    graphql_type_errors_are_reported_as_bad_user_input,
    syntactically_broken_query_is_reported_as_bad_user_input,
    a_body_that_is_not_a_graphql_request_is_a_client_error_not_a_500,
);
