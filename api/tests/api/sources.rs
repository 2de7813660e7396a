//! Revising a source: its description, and its snapshot, whose every change re-verifies the
//! quotes that cite it and is kept in the source's history.
use crate::support::{assert_bad_input, single_error, visit_input, Backend, TestApp};
use serde_json::{json, Value};

const UPDATE: &str = r#"
mutation($input: UpdateSourceInput!) {
  updateSource(input: $input) {
    source { id version title hasSnapshot history { version action detail } }
    citationsChecked citationsNoLongerMatching
  }
}"#;
const QUOTE: &str = "The two ministers agreed to meet again in April";

struct Desk {
    app: TestApp,
    editor: String,
    source: String,
    fact: String,
}

impl Desk {
    /// A source without a snapshot, and a draft citing it.
    async fn open(backend: Backend) -> Self {
        let app = TestApp::spawn_with_demo(backend).await;
        let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
        let input =
            json!({ "url": "https://example.org/ministers", "title": "Ministers meet", "kind": "NEWS_ARTICLE" });
        let source = app
            .ok_as(
                &editor,
                "mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id } } }",
                json!({ "i": input }),
            )
            .await["createSource"]["source"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (russia, syria) = (app.actor_id("Russia").await, app.actor_id("Syria").await);
        let mut fact = visit_input(&russia, &syria, &source, "The ministers met.");
        fact["citations"] = json!([{ "source": source, "quote": QUOTE, "attribution": "DIRECT" }]);
        let fact = app
            .ok_as(
                &editor,
                "mutation($i: CreateFactInput!) { createFact(input: $i) { fact { id } } }",
                json!({ "i": fact }),
            )
            .await["createFact"]["fact"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Desk { app, editor, source, fact }
    }

    async fn update(&self, change: Value) -> Value {
        let mut input = json!({ "id": self.source, "expectedVersion": self.version().await });
        for (key, value) in change.as_object().unwrap() {
            input[key] = value.clone();
        }
        self.app.graphql_as(&self.editor, UPDATE, json!({ "input": input })).await
    }

    async fn version(&self) -> i64 {
        let data = self
            .app
            .ok_as(&self.editor, "query($id: ID!) { source(id: $id) { version } }", json!({ "id": self.source }))
            .await;
        data["source"]["version"].as_i64().unwrap()
    }

    async fn verified(&self) -> Value {
        let query = "query($id: ID!) { fact(id: $id) { citations { verified snapshotStart } } }";
        self.app.ok_as(&self.editor, query, json!({ "id": self.fact })).await["fact"]["citations"][0].clone()
    }
}

async fn a_snapshot_added_later_verifies_every_citation_and_is_recorded(backend: Backend) {
    let desk = Desk::open(backend).await;
    assert_eq!(desk.verified().await["verified"], false, "no snapshot, nothing verified");
    let text = format!("Lavrov and al-Shaibani spoke in Moscow. {QUOTE}, the ministry said.");
    let done = desk.update(json!({ "snapshot": text })).await;
    assert!(done.get("errors").is_none(), "{done:#}");
    let payload = &done["data"]["updateSource"];
    assert_eq!(payload["citationsChecked"], 1);
    assert_eq!(payload["citationsNoLongerMatching"], json!([]));
    assert_eq!(payload["source"]["hasSnapshot"], true);
    assert_eq!(payload["source"]["history"][0]["action"], "SNAPSHOT_ADDED");
    assert_eq!(desk.verified().await, json!({ "verified": true, "snapshotStart": 40 }));
}

async fn a_replaced_snapshot_needs_a_reason_and_flags_quotes_it_no_longer_holds(backend: Backend) {
    let desk = Desk::open(backend).await;
    desk.update(json!({ "snapshot": format!("{QUOTE}.") })).await;
    let versions = desk.version().await;
    let without_reason = desk.update(json!({ "snapshot": "A corrected text that says something else." })).await;
    assert_bad_input(&without_reason, "snapshotReason");
    assert_eq!(desk.version().await, versions, "a refused revision writes nothing");
    assert_eq!(desk.verified().await["verified"], true);
    let replaced = desk
        .update(json!({ "snapshot": "A corrected text that says something else.", "snapshotReason": "The outlet corrected its story." }))
        .await;
    let payload = &replaced["data"]["updateSource"];
    assert_eq!(payload["citationsNoLongerMatching"].as_array().map(Vec::len), Some(1), "{replaced:#}");
    assert_eq!(desk.verified().await, json!({ "verified": false, "snapshotStart": null }), "never silently verified");
    let last = payload["source"]["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "SNAPSHOT_REPLACED");
    assert!(last["detail"].as_str().unwrap().contains("The outlet corrected its story."), "{last:#}");
}

async fn a_bad_revision_is_refused_naming_its_field_and_changes_nothing(backend: Backend) {
    let desk = Desk::open(backend).await;
    let version = desk.version().await;
    for (change, field) in [
        (json!({ "title": "" }), "title"),
        (json!({ "outlet": "garbage" }), "outlet"),
        (json!({ "outlet": desk.source }), "outlet"),
        (json!({ "publishedOn": "2025-02-12" }), "publishedPrecision"),
        (json!({ "language": "not a language tag!" }), "language"),
        (json!({ "archiveUrl": "ftp://example.org/x" }), "archiveUrl"),
    ] {
        assert_bad_input(&desk.update(change).await, field);
    }
    let stale = desk
        .app
        .graphql_as(
            &desk.editor,
            UPDATE,
            json!({ "input": { "id": desk.source, "expectedVersion": version + 5, "title": "New" } }),
        )
        .await;
    assert_eq!(single_error(&stale).0, "CONFLICT");
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], version);
    let anonymous = desk
        .app
        .graphql(UPDATE, json!({ "input": { "id": desk.source, "expectedVersion": version, "title": "New" } }))
        .await;
    assert_eq!(single_error(&anonymous).0, "UNAUTHENTICATED");
    assert_eq!(desk.version().await, version, "nothing was written");
    let renamed = desk.update(json!({ "title": "Ministers meet in Moscow" })).await;
    assert_eq!(renamed["data"]["updateSource"]["source"]["title"], "Ministers meet in Moscow");
    assert_eq!(renamed["data"]["updateSource"]["source"]["version"], version + 1);
}

backend_tests!(
    a_snapshot_added_later_verifies_every_citation_and_is_recorded,
    a_replaced_snapshot_needs_a_reason_and_flags_quotes_it_no_longer_holds,
    a_bad_revision_is_refused_naming_its_field_and_changes_nothing,
);
