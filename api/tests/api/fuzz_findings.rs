//! What outside fuzzing (`scripts/schemathesis.sh`) found, each reproduced as it was sent.
//!
//! A string holding the NUL character (U+0000) reached the database: on SQLite an alias that
//! starts with it (after trimming) passed the domain's length rule but not the table's
//! `CHECK (length(alias) BETWEEN 1 AND 200)`, SQLite's `length()` stopping at the NUL; on
//! Postgres, which cannot store or compare such text, every statement it reached failed. Both
//! were answered INTERNAL. They are refused before execution now, as BAD_USER_INPUT naming the
//! value, wherever the string comes from (`graphql::nul_guard`), and so are the global ids and
//! cursors that carry one inside their base64 (where they are decoded).

use crate::support::{assert_bad_input, Backend, TestApp};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chancery::demo::{DEMO_EDITOR_EMAIL, DEMO_EDITOR_PASSWORD};
use serde_json::{json, Value};

const TABLES: [&str; 5] = ["actors", "actor_aliases", "sources", "facts", "revisions"];

async fn table_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(app.row_count(table).await);
    }
    counts
}

/// The request schemathesis sent (stateful phase, as an admin; an editor may send it too): its
/// second alias, `"\u00a0\u0000u"`, trims to a string that starts with NUL. (Its selection now
/// goes through the `CreateActorPayload` the mutation returns; the input is as it was sent.)
const FOUND: &str = "mutation {\n  createActor(\n    input: {\n      kind: GOVERNMENT_BODY\n      name: \"\u{d5}\u{19f3}\\u0095\u{a5}\u{a6}\u{e6}\u{5beb}\u{67eb}\u{3fc}6\u{f6}\u{a0}\u{f3}9\u{9e5b}\u{fd8f}\u{9bc8}\"\n      aliases: [\"H\u{f9bd}\u{a8}\u{bd84}\u{bf}\u{fc}R=>\\u0082\u{d0}[k\u{441}\u{b7}\u{bd}\u{f646}\", \"\u{a0}\\u0000u\", \"\\u0099\"]\n      country: \"SY\"\n      description: null\n    }\n  ) {\n    actor {\n      country\n    }\n  }\n}";

async fn the_fuzzed_alias_is_refused_as_input(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(DEMO_EDITOR_EMAIL, DEMO_EDITOR_PASSWORD).await;
    let before = table_counts(&app).await;
    let body = app.graphql_as(&editor, FOUND, json!({})).await;
    assert_bad_input(&body, "input.aliases[1]");
    assert_eq!(table_counts(&app).await, before, "nothing is written");

    // The same alias through a variable, and a name with NUL in its middle (Postgres refused
    // that too): the path names the variable.
    let create = "mutation($input: CreateActorInput!) { createActor(input: $input) { actor { id } } }";
    let input = json!({ "kind": "PERSON", "name": "Nul Probe", "aliases": ["ok", "\u{a0}\u{0}u"] });
    assert_bad_input(&app.graphql_as(&editor, create, json!({ "input": input })).await, "$input.aliases[1]");
    let input = json!({ "kind": "PERSON", "name": "Nul\u{0}Probe" });
    assert_bad_input(&app.graphql_as(&editor, create, json!({ "input": input })).await, "$input.name");
    assert_eq!(table_counts(&app).await, before, "nothing is written");

    // Without the NUL the same actor is created.
    let input = json!({ "kind": "PERSON", "name": "Nul Probe", "aliases": ["ok", "\u{a0}u"] });
    let created = app.ok_as(&editor, create, json!({ "input": input })).await;
    assert!(created["createActor"]["actor"]["id"].is_string());
}

/// Every other way a NUL reached a statement and came back INTERNAL on Postgres.
async fn nul_is_refused_wherever_a_string_goes(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(DEMO_EDITOR_EMAIL, DEMO_EDITOR_PASSWORD).await;
    // Inside base64, out of the guard's sight: refused where they are decoded.
    let cursor = URL_SAFE_NO_PAD.encode(format!("actor-name|a\u{0}b|{}", uuid::Uuid::now_v7()));
    let kind_id = URL_SAFE_NO_PAD.encode("FactKind:policy.support\u{0}");
    let before = table_counts(&app).await;
    let anonymous: [(&str, Value, &str); 7] = [
        (
            "mutation($e: String!) { login(input: {email: $e, password: \"x\"}) { token } }",
            json!({ "e": "a\u{0}@b.c" }),
            "$e",
        ),
        ("query($s: String) { actors(filter: { search: $s }) { nodes { id } } }", json!({ "s": "a\u{0}" }), "$s"),
        ("query($c: String) { factKinds(category: $c) { key } }", json!({ "c": "a\u{0}" }), "$c"),
        ("query($c: String) { actors(after: $c) { nodes { id } } }", json!({ "c": cursor }), "after"),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": kind_id }), "id"),
        ("{ factKinds(category: \"a\\u0000\") { key } }", json!({}), "category"),
        (
            "query($k: [String!] = [\"ok\", \"\\u0000\"]) { facts(filter: { kinds: $k }) { totalCount } }",
            json!({}),
            "$k[1]",
        ),
    ];
    for (query, variables, path) in anonymous {
        assert_bad_input(&app.graphql(query, variables).await, path);
    }
    let title = "mutation($t: String!) { createSource(input: { url: \"https://example.org/nul\", title: $t, kind: REPORT }) { source { id } } }";
    assert_bad_input(&app.graphql_as(&editor, title, json!({ "t": "t\u{0}t" })).await, "$t");
    assert_eq!(table_counts(&app).await, before, "nothing is written");
}

backend_tests!(the_fuzzed_alias_is_refused_as_input, nul_is_refused_wherever_a_string_goes);
