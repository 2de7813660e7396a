//! Concurrent writes over HTTP: retries with one idempotency key create one record, concurrent
//! edits from one version let exactly one through and refuse the rest with CONFLICT, and the
//! revision chain stays intact whatever the interleaving.
use crate::support;

use std::sync::Arc;

use crate::support::{assert_bad_input, single_error, Backend, TestApp, DEMO_SOURCE_URL};
use chancery::domain::fact::history::{revisions_of, verify_chain, ChainVerdict};
use chancery::graphql::ids;
use futures_util::future::join_all;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use tokio::sync::Barrier;

const CREATE_FACT: &str = r#"
mutation($input: CreateFactInput!) {
  createFact(input: $input) {
    fact {
      id status version summary createdAt
      participants { role actor { name } }
      citations { quote verified snapshotStart snapshotEnd }
    }
  }
}"#;
const UPDATE_FACT: &str = r#"
mutation($input: UpdateFactInput!) {
  updateFact(input: $input) { fact { id version summary } }
}"#;
const SUBMIT_FACT: &str =
    "mutation($id: ID!, $v: Int!) { submitFact(input: {id: $id, expectedVersion: $v}) { fact { id version } } }";
const REVIEW_FACT: &str = r#"
mutation($id: ID!, $v: Int!, $d: ReviewDecision!, $c: String) {
  reviewFact(input: {id: $id, expectedVersion: $v, decision: $d, comment: $c}) { fact { id status version } }
}"#;
const CREATE_SOURCE: &str = r#"
mutation($input: CreateSourceInput!) {
  createSource(input: $input) { source { id url title hasSnapshot snapshotSha256 retrievedAt } }
}"#;
const UPDATE_ACTOR: &str = r#"
mutation($input: UpdateActorInput!) {
  updateActor(input: $input) { actor { id description aliases } }
}"#;
const FACT_SUMMARY: &str = "query($id: ID!) { fact(id: $id) { version summary status } }";

/// `input` with `fields` added: the id, version read and idempotency key travel inside the input.
fn with_fields(input: &Value, fields: Value) -> Value {
    let mut input = input.clone();
    for (name, value) in fields.as_object().expect("fields are an object") {
        input[name] = value.clone();
    }
    input
}

/// The demo data and the demo editor's token, shareable between tasks.
struct Newsroom {
    app: Arc<TestApp>,
    editor: String,
    reviewer: String,
    russia: String,
    syria: String,
    source: String,
}

impl Newsroom {
    async fn open(backend: Backend) -> Self {
        let app = TestApp::spawn_with_demo(backend).await;
        let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
        let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
        let russia = app.actor_id("Russia").await;
        let syria = app.actor_id("Syria").await;
        let source = app.demo_source_id().await;
        Self { app: Arc::new(app), editor, reviewer, russia, syria, source }
    }

    fn input(&self, summary: &str) -> Value {
        support::visit_input(&self.russia, &self.syria, &self.source, summary)
    }

    /// Sends every request at once (each from its own task, released together) as `token`;
    /// the answers come back in the order of `requests`.
    async fn all_at_once(&self, token: &str, requests: Vec<(&'static str, Value)>) -> Vec<Value> {
        let barrier = Arc::new(Barrier::new(requests.len()));
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|(query, variables)| {
                let (app, barrier, token) = (Arc::clone(&self.app), Arc::clone(&barrier), token.to_owned());
                tokio::spawn(async move {
                    barrier.wait().await;
                    app.graphql_as(&token, query, variables).await
                })
            })
            .collect();
        join_all(tasks).await.into_iter().map(|joined| joined.expect("the request task completes")).collect()
    }

    async fn counts(&self, tables: &[&'static str]) -> Vec<(&'static str, i64)> {
        let mut counts = Vec::new();
        for table in tables {
            counts.push((*table, self.app.row_count(table).await));
        }
        counts
    }
}

fn fact_uuid(id: &str) -> uuid::Uuid {
    ids::decode_uuid(id, ids::FACT, "id").expect("a fact id")
}

async fn assert_chain_intact(app: &TestApp) {
    let length = app.row_count("revisions").await as u64;
    assert_eq!(verify_chain(&app.db).await.unwrap(), ChainVerdict::Intact { length });
}

/// Splits answers into the records the successful ones returned (`payload` of the mutation
/// `field`) and the codes of the refused ones.
fn outcomes<'a>(bodies: &'a [Value], field: &str, payload: &str) -> (Vec<&'a Value>, Vec<String>) {
    let mut successes = Vec::new();
    let mut refusals = Vec::new();
    for body in bodies {
        if body.get("errors").is_none() {
            successes.push(&body["data"][field][payload]);
        } else {
            refusals.push(single_error(body).0);
        }
    }
    (successes, refusals)
}

const FACT_TABLES: [&str; 6] =
    ["facts", "revisions", "citations", "fact_participants", "fact_qualifiers", "idempotency_keys"];

async fn fifty_concurrent_identical_creates_with_one_key_make_one_fact(backend: Backend) {
    let room = Newsroom::open(backend).await;
    let input = room.input("A Russian delegation visited Damascus.");
    let before = room.counts(&FACT_TABLES).await;
    let request = json!({ "input": with_fields(&input, json!({ "idempotencyKey": "visit-damascus-2025-01" })) });
    let bodies = room.all_at_once(&room.editor, vec![(CREATE_FACT, request.clone()); 50]).await;

    for body in &bodies {
        assert!(body.get("errors").is_none(), "every retry succeeds: {body:#}");
        assert_eq!(body, &bodies[0], "every retry gets the first answer");
    }
    let fact = &bodies[0]["data"]["createFact"]["fact"];
    assert_eq!(fact["version"], 1);
    assert_eq!(fact["status"], "DRAFT");
    let after = room.counts(&FACT_TABLES).await;
    let grown: Vec<(&str, i64)> = before.iter().zip(&after).map(|((table, b), (_, a))| (*table, a - b)).collect();
    assert_eq!(
        grown,
        vec![
            ("facts", 1),
            ("revisions", 1),
            ("citations", 1),
            ("fact_participants", 2),
            ("fact_qualifiers", 1),
            ("idempotency_keys", 1)
        ],
        "one fact, written once"
    );
    let id = fact["id"].as_str().unwrap();
    let log = revisions_of(&room.app.db, fact_uuid(id)).await.unwrap();
    assert_eq!(log.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(), vec!["CREATED"]);
    assert_chain_intact(&room.app).await;

    // A later retry still gets the same answer.
    let retry = room.app.ok_as(&room.editor, CREATE_FACT, request).await;
    assert_eq!(retry["createFact"], bodies[0]["data"]["createFact"]);
    assert_eq!(retry["createFact"]["fact"], *fact);

    // The same key for another request is refused.
    let mut other = input.clone();
    other["summary"] = json!("A Russian delegation visited Damascus and Latakia.");
    let body = room
        .app
        .graphql_as(
            &room.editor,
            CREATE_FACT,
            json!({ "input": with_fields(&other, json!({ "idempotencyKey": "visit-damascus-2025-01" })) }),
        )
        .await;
    assert_bad_input(&body, "idempotencyKey");
    assert_eq!(room.counts(&FACT_TABLES).await, after, "nothing is written");

    // Keys belong to their user: another editor's identical request is a fresh one.
    let (_, other_editor) = room.app.user_with_role(entity::enums::UserRole::Editor).await;
    let theirs = room
        .app
        .ok_as(
            &other_editor,
            CREATE_FACT,
            json!({ "input": with_fields(&input, json!({ "idempotencyKey": "visit-damascus-2025-01" })) }),
        )
        .await;
    assert_ne!(theirs["createFact"]["fact"]["id"], fact["id"]);
}

const SOURCE_TABLES: [&str; 2] = ["sources", "idempotency_keys"];

fn source_input(url: &str, title: &str) -> Value {
    json!({
        "url": url,
        "title": title,
        "kind": "OFFICIAL_STATEMENT",
        "publishedOn": "2025-02-12",
        "publishedPrecision": "DAY",
        "retrievedAt": "2025-02-13T08:00:00Z",
        "language": "en",
        "snapshot": "Vladimir Putin had a telephone conversation with Ahmed al-Sharaa.",
    })
}

async fn fifty_concurrent_identical_source_creates_with_one_key_make_one_source(backend: Backend) {
    let room = Newsroom::open(backend).await;
    let input = source_input("https://kremlin.example/events/president/news/76262", "Telephone conversation");
    let before = room.counts(&SOURCE_TABLES).await;
    let request = json!({ "input": with_fields(&input, json!({ "idempotencyKey": "kremlin-76262" })) });
    let bodies = room.all_at_once(&room.editor, vec![(CREATE_SOURCE, request); 50]).await;
    for body in &bodies {
        assert!(body.get("errors").is_none(), "every retry succeeds: {body:#}");
        assert_eq!(body, &bodies[0], "every retry gets the first answer");
    }
    let after = room.counts(&SOURCE_TABLES).await;
    assert_eq!(after, vec![("sources", before[0].1 + 1), ("idempotency_keys", before[1].1 + 1)]);

    let mut other = input.clone();
    other["title"] = json!("Telephone conversation with the President of Syria");
    let body = room
        .app
        .graphql_as(
            &room.editor,
            CREATE_SOURCE,
            json!({ "input": with_fields(&other, json!({ "idempotencyKey": "kremlin-76262" })) }),
        )
        .await;
    assert_bad_input(&body, "idempotencyKey");
    assert_eq!(room.counts(&SOURCE_TABLES).await, after, "nothing is written");
}

async fn creating_a_source_under_a_stored_canonical_url_returns_the_stored_one(backend: Backend) {
    let room = Newsroom::open(backend).await;
    let before = room.counts(&SOURCE_TABLES).await;
    for url in [
        DEMO_SOURCE_URL.to_owned(),
        "https://CHATTYTHAT.NEWS/putin-talks-to-new-syrian-leadership-kremlin-438343.html?utm_source=x#comments"
            .to_owned(),
    ] {
        let data = room.app.ok_as(&room.editor, CREATE_SOURCE, json!({ "input": source_input(&url, "Copy") })).await;
        assert_eq!(data["createSource"]["source"]["id"], room.source.as_str(), "{url} is the demo source");
        assert_eq!(data["createSource"]["source"]["title"], "Putin talks to new Syrian leadership \u{2013} Kremlin");
    }
    assert_eq!(room.counts(&SOURCE_TABLES).await, before, "no new row");

    // The same holds for concurrent first creations of one new URL, without any key.
    let url = "https://news.example/syria/bases";
    let requests =
        (0..20).map(|i| (CREATE_SOURCE, json!({ "input": source_input(url, &format!("Bases, take {i}")) }))).collect();
    let bodies = room.all_at_once(&room.editor, requests).await;
    let (successes, refusals) = outcomes(&bodies, "createSource", "source");
    assert!(refusals.is_empty(), "{refusals:?}: {bodies:#?}");
    assert!(successes.iter().all(|s| s["id"] == successes[0]["id"]), "one source for one URL: {successes:#?}");
    assert_eq!(room.app.row_count("sources").await, before[0].1 + 1);
}

async fn twenty_concurrent_updates_from_one_version_give_one_success_and_nineteen_conflicts(backend: Backend) {
    let room = Newsroom::open(backend).await;
    let created = room.app.ok_as(&room.editor, CREATE_FACT, json!({ "input": room.input("Version one.") })).await;
    let id = created["createFact"]["fact"]["id"].as_str().unwrap().to_owned();
    let parts = room.counts(&["citations", "fact_participants", "fact_qualifiers"]).await;
    let requests = (0..20)
        .map(|i| {
            let summary = format!("Concurrent edit number {i}.");
            (
                UPDATE_FACT,
                json!({ "input": with_fields(&room.input(&summary), json!({ "id": id, "expectedVersion": 1 })) }),
            )
        })
        .collect();
    let bodies = room.all_at_once(&room.editor, requests).await;
    let (successes, refusals) = outcomes(&bodies, "updateFact", "fact");
    assert_eq!(successes.len(), 1, "exactly one edit wins: {bodies:#?}");
    assert_eq!(refusals, vec!["CONFLICT".to_owned(); 19], "the others conflict");
    let winner = successes[0];
    assert_eq!(winner["version"], 2);

    let stored = room.app.ok_as(&room.editor, FACT_SUMMARY, json!({ "id": id })).await;
    assert_eq!(stored["fact"]["summary"], winner["summary"], "the winner's summary is stored");
    assert_eq!(stored["fact"]["version"], 2);
    let log = revisions_of(&room.app.db, fact_uuid(&id)).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, vec!["CREATED", "UPDATED"], "one new revision");
    assert!(log[1].snapshot.contains(winner["summary"].as_str().unwrap()), "the revision records the winner");
    assert_eq!(
        room.counts(&["citations", "fact_participants", "fact_qualifiers"]).await,
        parts,
        "the fact's parts were replaced, not piled up"
    );
    assert_chain_intact(&room.app).await;
}

async fn concurrent_decisions_on_one_submitted_fact_let_exactly_one_through(backend: Backend) {
    let room = Newsroom::open(backend).await;
    let created = room.app.ok_as(&room.editor, CREATE_FACT, json!({ "input": room.input("Decide me.") })).await;
    let id = created["createFact"]["fact"]["id"].as_str().unwrap().to_owned();
    room.app.ok_as(&room.editor, SUBMIT_FACT, json!({ "id": id, "v": 1 })).await;
    let decisions = ["APPROVE", "REJECT", "REQUEST_CHANGES"];
    let requests = (0..15)
        .map(|i| (REVIEW_FACT, json!({ "id": id, "v": 2, "d": decisions[i % 3], "c": format!("Decision {i}.") })))
        .collect();
    let bodies = room.all_at_once(&room.reviewer, requests).await;
    let (successes, refusals) = outcomes(&bodies, "reviewFact", "fact");
    assert_eq!(successes.len(), 1, "one decision is taken: {bodies:#?}");
    assert_eq!(refusals, vec!["CONFLICT".to_owned(); 14]);
    let stored = room.app.ok_as(&room.reviewer, FACT_SUMMARY, json!({ "id": id })).await;
    assert_eq!(stored["fact"]["status"], successes[0]["status"]);
    assert_eq!(stored["fact"]["version"], 3);
    let log = revisions_of(&room.app.db, fact_uuid(&id)).await.unwrap();
    assert_eq!(log.len(), 3, "created, submitted and one decision");
    assert_chain_intact(&room.app).await;
}

async fn concurrent_writes_to_different_facts_keep_the_revision_chain_whole(backend: Backend) {
    let room = Newsroom::open(backend).await;
    let revisions = room.app.row_count("revisions").await;
    let requests =
        (0..25).map(|i| (CREATE_FACT, json!({ "input": room.input(&format!("Independent fact {i}.")) }))).collect();
    let bodies = room.all_at_once(&room.editor, requests).await;
    let (successes, refusals) = outcomes(&bodies, "createFact", "fact");
    assert!(refusals.is_empty(), "{bodies:#?}");
    assert_eq!(successes.len(), 25);
    assert_eq!(room.app.row_count("revisions").await, revisions + 25);
    assert_chain_intact(&room.app).await;
}

async fn concurrent_actor_updates_from_one_version_let_one_win(backend: Backend) {
    let room = Newsroom::open(backend).await;
    let uuid = ids::decode_uuid(&room.russia, ids::ACTOR, "id").unwrap();
    let requests = (0..12)
        .map(|i| {
            let input = json!({
                "name": "Russia",
                "kind": "STATE",
                "country": "RU",
                "wikidataQid": "Q159",
                "description": format!("The Russian Federation (edit {i})."),
                "aliases": ["Russian Federation", "Moscow", format!("Rossiya {i}")],
            });
            (UPDATE_ACTOR, json!({ "input": with_fields(&input, json!({ "id": room.russia, "expectedVersion": 1 })) }))
        })
        .collect();
    let bodies = room.all_at_once(&room.editor, requests).await;
    let (successes, refusals) = outcomes(&bodies, "updateActor", "actor");
    assert_eq!(successes.len(), 1, "exactly one edit wins: {bodies:#?}");
    assert_eq!(refusals, vec!["CONFLICT".to_owned(); 11]);
    let winner = successes[0];

    let stored = room
        .app
        .query_ok("query($id: ID!) { actor(id: $id) { description aliases } }", json!({ "id": room.russia }))
        .await;
    assert_eq!(stored["actor"]["description"], winner["description"]);
    let mut stored_aliases: Vec<String> = serde_json::from_value(stored["actor"]["aliases"].clone()).unwrap();
    let mut winner_aliases: Vec<String> = serde_json::from_value(winner["aliases"].clone()).unwrap();
    stored_aliases.sort();
    winner_aliases.sort();
    assert_eq!(stored_aliases, winner_aliases, "the winner's aliases, and only those");
    let row = entity::actor::Entity::find_by_id(uuid).one(&room.app.db).await.unwrap().unwrap();
    assert_eq!(row.version, 2);
}

const SUPERSEDE_FACT: &str = r#"
mutation($input: SupersedeFactInput!) {
  supersedeFact(input: $input) {
    fact { id status version supersedes { id } }
  }
}"#;

/// The variables of a correction of `original`, read at `version`, retried under `key`.
fn correction(room: &Newsroom, original: &str, version: i64, key: &str) -> Value {
    let fields = json!({ "id": original, "expectedVersion": version, "idempotencyKey": key });
    json!({ "input": with_fields(&room.input("Corrected."), fields) })
}

/// A published fact by the demo editor: (id, version).
async fn published_fact(room: &Newsroom) -> (String, i64) {
    let created = room.app.ok_as(&room.editor, CREATE_FACT, json!({ "input": room.input("To be corrected.") })).await;
    let id = created["createFact"]["fact"]["id"].as_str().unwrap().to_owned();
    room.app.ok_as(&room.editor, SUBMIT_FACT, json!({ "id": id, "v": 1 })).await;
    let approved = room.app.ok_as(&room.reviewer, REVIEW_FACT, json!({ "id": id, "v": 2, "d": "APPROVE" })).await;
    (id, approved["reviewFact"]["fact"]["version"].as_i64().unwrap())
}

async fn concurrent_identical_corrections_with_one_key_make_one_draft(backend: Backend) {
    let room = Newsroom::open(backend).await;
    let (original, version) = published_fact(&room).await;
    let before = room.counts(&FACT_TABLES).await;
    let request = correction(&room, &original, version, "fix-1");
    let bodies = room.all_at_once(&room.editor, vec![(SUPERSEDE_FACT, request); 20]).await;
    for body in &bodies {
        assert!(body.get("errors").is_none(), "every retry succeeds: {body:#}");
        assert_eq!(body, &bodies[0], "every retry gets the first answer");
    }
    assert_eq!(bodies[0]["data"]["supersedeFact"]["fact"]["supersedes"]["id"], original.as_str());
    let after = room.counts(&FACT_TABLES).await;
    assert_eq!(after[0].1, before[0].1 + 1, "one correction");
    assert_eq!(after[1].1, before[1].1 + 1, "one revision");
}

async fn a_retried_correction_returns_the_first_even_after_the_original_changed(backend: Backend) {
    // "the same key and input return the first result": also once the original was retracted.
    let room = Newsroom::open(backend).await;
    let (original, version) = published_fact(&room).await;
    let request = correction(&room, &original, version, "fix-2");
    let first = room.app.ok_as(&room.editor, SUPERSEDE_FACT, request.clone()).await;
    room.app
        .ok_as(
            &room.reviewer,
            "mutation($id: ID!, $v: Int!) { retractFact(input: {id: $id, expectedVersion: $v, reason: \"Wrong.\"}) { fact { id } } }",
            json!({ "id": original, "v": version }),
        )
        .await;
    let retry = room.app.graphql_as(&room.editor, SUPERSEDE_FACT, request).await;
    assert!(retry.get("errors").is_none(), "the retry is answered like the first call: {retry:#}");
    assert_eq!(retry["data"]["supersedeFact"]["fact"]["id"], first["supersedeFact"]["fact"]["id"]);
}

/// A retried createActor with its idempotency key records one actor, not a second "Hürriyet
/// Daily News"; the same key with another input is refused and records nothing.
async fn a_retried_create_actor_with_its_key_records_one_actor(backend: Backend) {
    let room = Newsroom::open(backend).await;
    let create = "mutation($input: CreateActorInput!) { createActor(input: $input) { actor { id name } } }";
    let input = json!({ "name": "Hürriyet Daily News", "kind": "MEDIA_OUTLET", "country": "TR" });
    let actors = room.app.row_count("actors").await;
    let answers = join_all((0..4).map(|_| {
        let request = json!({ "input": with_fields(&input, json!({ "idempotencyKey": "hurriyet-1" })) });
        room.app.graphql_as(&room.editor, create, request)
    }))
    .await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|body| {
            assert!(body.get("errors").is_none(), "{body:#}");
            body["data"]["createActor"]["actor"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every retry answers the same actor");
    assert_eq!(room.app.row_count("actors").await, actors + 1);
    let other = json!({ "name": "Hurriyet", "kind": "MEDIA_OUTLET" });
    let refused = room
        .app
        .graphql_as(
            &room.editor,
            create,
            json!({ "input": with_fields(&other, json!({ "idempotencyKey": "hurriyet-1" })) }),
        )
        .await;
    assert_bad_input(&refused, "idempotencyKey");
    assert_eq!(room.app.row_count("actors").await, actors + 1);
}

backend_tests!(
    a_retried_create_actor_with_its_key_records_one_actor,
    fifty_concurrent_identical_creates_with_one_key_make_one_fact,
    fifty_concurrent_identical_source_creates_with_one_key_make_one_source,
    creating_a_source_under_a_stored_canonical_url_returns_the_stored_one,
    twenty_concurrent_updates_from_one_version_give_one_success_and_nineteen_conflicts,
    concurrent_decisions_on_one_submitted_fact_let_exactly_one_through,
    concurrent_writes_to_different_facts_keep_the_revision_chain_whole,
    concurrent_actor_updates_from_one_version_let_one_win,
    concurrent_identical_corrections_with_one_key_make_one_draft,
    a_retried_correction_returns_the_first_even_after_the_original_changed,
);
