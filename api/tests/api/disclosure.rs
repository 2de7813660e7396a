//! What the public must not learn before it is published: a source nobody has yet cited in a
//! public fact, how many hidden revisions lie between a fact's public ones, and (on the host) the
//! embedded database file, which is private to its owner like the token secret beside it.
use crate::support;

use crate::support::{Backend, TestApp, VISIT_QUOTE};
use entity::enums::UserRole;
use serde_json::{json, Value};

const CREATE_SOURCE: &str =
    "mutation($input: CreateSourceInput!) { createSource(input: $input) { source { id url } } }";
const CREATE_FACT: &str = "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id version } } }";
const SUBMIT_FACT: &str = "mutation($id: ID!, $v: Int!) { submitFact(input: {id: $id, expectedVersion: $v}) \
     { fact { id status version } } }";
const APPROVE_FACT: &str = "mutation($id: ID!, $v: Int!) { reviewFact(input: {id: $id, expectedVersion: $v, \
     decision: APPROVE}) { fact { id status version } } }";

/// Every public way to a source: by id, by URL, as a node, in the list and in its outlet's list.
const SOURCE_PROBE: &str = r#"
query($id: ID!, $url: String!, $outlet: ID!) {
  source(id: $id) { id title snapshot }
  sourceByUrl(url: $url) { id }
  node(id: $id) { id }
  nodes(ids: [$id]) { id }
  sources(first: 100) { nodes { id } }
  outletSources: sources(first: 100, filter: { outlets: [$outlet] }) { nodes { id } }
}"#;

struct Probe {
    id: String,
    url: String,
    outlet: String,
}

impl Probe {
    fn variables(&self) -> Value {
        json!({ "id": self.id, "url": self.url, "outlet": self.outlet })
    }

    /// Asserts that the answer shows the source everywhere (`seen`) or nowhere.
    fn assert_seen(&self, data: &Value, seen: bool, who: &str) {
        let listed = |list: &str| data[list]["nodes"].as_array().unwrap().iter().any(|n| n["id"] == self.id.as_str());
        let found = [
            ("source", data["source"]["id"] == self.id.as_str()),
            ("sourceByUrl", data["sourceByUrl"]["id"] == self.id.as_str()),
            ("node", data["node"]["id"] == self.id.as_str()),
            ("nodes", data["nodes"][0]["id"] == self.id.as_str()),
            ("sources", listed("sources")),
            ("outlet's sources", listed("outletSources")),
        ];
        for (path, shown) in found {
            assert_eq!(shown, seen, "{who}: {path} {}: {data:#}", if seen { "shows it" } else { "hides it" });
        }
        if !seen {
            assert!(data["source"].is_null() && data["sourceByUrl"].is_null() && data["node"].is_null());
            assert_eq!(data["nodes"], json!([null]));
        }
    }
}

async fn a_source_becomes_public_only_when_a_public_fact_cites_it(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, editor) = app.user_with_role(UserRole::Editor).await;
    let (_, other_editor) = app.user_with_role(UserRole::Editor).await;
    let (_, reviewer) = app.user_with_role(UserRole::Reviewer).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let outlet = app.actor_id("RT").await;
    let source_input = json!({
        "url": "https://example.org/unpublished-scoop",
        "title": "An unpublished scoop",
        "kind": "NEWS_ARTICLE",
        "outlet": outlet,
        "snapshot": format!("Before the quote. {VISIT_QUOTE}. After it."),
    });
    let created = app.ok_as(&editor, CREATE_SOURCE, json!({ "input": source_input })).await;
    let probe = Probe {
        id: created["createSource"]["source"]["id"].as_str().unwrap().to_owned(),
        url: created["createSource"]["source"]["url"].as_str().unwrap().to_owned(),
        outlet,
    };

    let check = |stage: &'static str, public: bool| {
        let (app, probe) = (&app, &probe);
        let accounts =
            [("editor", &editor), ("other editor", &other_editor), ("reviewer", &reviewer), ("admin", &admin)];
        async move {
            let anonymous = app.query_ok(SOURCE_PROBE, probe.variables()).await;
            probe.assert_seen(&anonymous, public, &format!("anonymous, {stage}"));
            for (who, token) in accounts {
                let data = app.ok_as(token, SOURCE_PROBE, probe.variables()).await;
                probe.assert_seen(&data, true, &format!("{who}, {stage}"));
            }
        }
    };
    check("cited by nothing", false).await;

    let input = support::visit_input(
        &app.actor_id("Russia").await,
        &app.actor_id("Syria").await,
        &probe.id,
        "A visit sourced from an unpublished scoop.",
    );
    let fact = app.ok_as(&editor, CREATE_FACT, json!({ "input": input })).await["createFact"]["fact"].clone();
    check("cited by a draft", false).await;
    let submitted = app.ok_as(&editor, SUBMIT_FACT, json!({ "id": fact["id"], "v": fact["version"] })).await;
    check("cited by a fact in review", false).await;
    let submitted = &submitted["submitFact"]["fact"];
    let approved =
        app.ok_as(&reviewer, APPROVE_FACT, json!({ "id": submitted["id"], "v": submitted["version"] })).await;
    assert_eq!(approved["reviewFact"]["fact"]["status"], "PUBLISHED");
    check("cited by a published fact", true).await;
}

const HISTORY: &str = "query($id: ID!) { fact(id: $id) { history { action sequence hash } } }";

async fn a_facts_public_history_is_numbered_by_its_own_revisions_without_gaps(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, editor) = app.user_with_role(UserRole::Editor).await;
    let (_, reviewer) = app.user_with_role(UserRole::Reviewer).await;
    let (russia, syria) = (app.actor_id("Russia").await, app.actor_id("Syria").await);
    let source = app.demo_source_id().await;
    let create = |summary: &'static str| {
        let (app, editor) = (&app, &editor);
        let input = support::visit_input(&russia, &syria, &source, summary);
        async move { app.ok_as(editor, CREATE_FACT, json!({ "input": input })).await["createFact"]["fact"].clone() }
    };
    // Another fact's hidden drafts are written between each step of the published one.
    let public = create("A visit that will be published.").await;
    create("A draft nobody else sees.").await;
    let submitted = app.ok_as(&editor, SUBMIT_FACT, json!({ "id": public["id"], "v": public["version"] })).await;
    create("Another draft nobody else sees.").await;
    let submitted = &submitted["submitFact"]["fact"];
    app.ok_as(&reviewer, APPROVE_FACT, json!({ "id": submitted["id"], "v": submitted["version"] })).await;

    let data = app.query_ok(HISTORY, json!({ "id": public["id"] })).await;
    let history = data["fact"]["history"].as_array().unwrap();
    let steps: Vec<(&str, i64)> =
        history.iter().map(|r| (r["action"].as_str().unwrap(), r["sequence"].as_i64().unwrap())).collect();
    assert_eq!(steps, vec![("CREATED", 1), ("SUBMITTED", 2), ("APPROVED", 3)], "{data:#}");
    for revision in history {
        assert_eq!(revision["hash"].as_str().unwrap().len(), 64, "the chain hash is still there");
    }
    let staff = app.ok_as(&reviewer, HISTORY, json!({ "id": public["id"] })).await;
    assert_eq!(staff["fact"]["history"], data["fact"]["history"], "everyone sees the same numbering");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_database_file_is_created_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn_with_demo(Backend::Sqlite).await;
    let url = &app.database.url;
    let path = url.strip_prefix("sqlite://").unwrap().split('?').next().unwrap().to_owned();
    // The demo wrote through the WAL, so all three files exist while the server runs.
    for file in [path.clone(), format!("{path}-wal"), format!("{path}-shm")] {
        let mode = std::fs::metadata(&file).unwrap_or_else(|e| panic!("{file}: {e}")).permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{file} is mode {:o}", mode & 0o777);
    }
}

backend_tests!(
    a_source_becomes_public_only_when_a_public_fact_cites_it,
    a_facts_public_history_is_numbered_by_its_own_revisions_without_gaps,
);
