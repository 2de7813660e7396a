//! The public change feed (`Query.changes`): every public event once, in commit order, nothing
//! that is not public, no editor's or reviewer's identity; tailing it while many writers
//! publish at once never skips or repeats an event.
use std::collections::HashSet;
use std::time::Duration;

use crate::support::{self, Backend, TestApp};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::support::SUBMIT_FACT;
pub(crate) const APPROVE_FACT: &str =
    "mutation($id: ID!, $v: Int!) { reviewFact(input: {id: $id, expectedVersion: $v, \
     decision: APPROVE}) { fact { id status version } } }";
pub(crate) const RETRACT_FACT: &str =
    "mutation($id: ID!, $v: Int!) { retractFact(input: {id: $id, expectedVersion: $v, \
     reason: \"The call did not take place.\"}) { fact { id version } } }";
const CHANGES: &str = "query($first: Int, $after: String) { changes(first: $first, after: $after) { totalCount \
     edges { cursor node { type at subjectId subject { __typename ... on Fact { id status } } correction { id } \
     mergedActorId } } pageInfo { hasNextPage endCursor } } }";

/// One event as the tests compare them: (type, subject id).
fn event(edge: &Value) -> (String, String) {
    (edge["node"]["type"].as_str().unwrap().to_owned(), edge["node"]["subjectId"].as_str().unwrap().to_owned())
}

pub(crate) async fn changes(app: &TestApp, first: i64, after: Option<&str>) -> Value {
    app.query_ok(CHANGES, json!({ "first": first, "after": after })).await["changes"].clone()
}

/// The whole feed, read in pages of `size`: its events and the last cursor.
async fn read_all(app: &TestApp, size: i64) -> (Vec<(String, String)>, Option<String>) {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = changes(app, size, cursor.as_deref()).await;
        events.extend(page["edges"].as_array().unwrap().iter().map(event));
        if let Some(end) = page["pageInfo"]["endCursor"].as_str() {
            cursor = Some(end.to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return (events, cursor);
        }
    }
}

async fn the_feed_lists_public_events_in_commit_order_and_names_nobody(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let first = changes(&app, 100, None).await;
    let demo: Vec<_> = first["edges"].as_array().unwrap().iter().map(event).collect();
    assert!(!demo.is_empty(), "the demo's facts were published: {first:#}");
    assert_eq!(first["totalCount"].as_i64().unwrap() as usize, demo.len());
    for edge in first["edges"].as_array().unwrap() {
        assert_eq!(edge["node"]["subject"]["id"], edge["node"]["subjectId"], "the subject resolves: {edge:#}");
    }
    let times: Vec<&str> =
        first["edges"].as_array().unwrap().iter().map(|e| e["node"]["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "oldest first: {times:?}");
    // Read in pages of two, the feed is the same events in the same order.
    let (paged, end) = read_all(&app, 2).await;
    assert_eq!(paged, demo);
    let end = end.unwrap();

    // A draft and a submission are not public: the feed does not move.
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
    let (id, version) = support::submitted_fact(&app, &editor, "A visit the feed shows once it is published.").await;
    let unmoved = changes(&app, 10, Some(&end)).await;
    assert_eq!(unmoved["edges"], json!([]), "nothing public happened: {unmoved:#}");
    assert_eq!(unmoved["pageInfo"]["hasNextPage"], false);

    // Publication, then retraction: two events, after the cursor kept from before.
    let approved = app.ok_as(&reviewer, APPROVE_FACT, json!({ "id": id, "v": version })).await;
    let version = approved["reviewFact"]["fact"]["version"].as_i64().unwrap();
    app.ok_as(&reviewer, RETRACT_FACT, json!({ "id": id, "v": version })).await;
    let next = changes(&app, 10, Some(&end)).await;
    let events: Vec<_> = next["edges"].as_array().unwrap().iter().map(event).collect();
    assert_eq!(
        events,
        [("FACT_PUBLISHED".to_owned(), id.clone()), ("FACT_RETRACTED".to_owned(), id.clone())],
        "{next:#}"
    );
    assert_eq!(next["edges"][1]["node"]["subject"]["status"], "RETRACTED", "the subject as it is now");

    // No identity anywhere: not the staff's emails, names or account ids.
    let (everything, _) = read_all(&app, 100).await;
    let text = changes(&app, 100, None).await.to_string();
    for secret in ["editor@demo.chancery", "reviewer@demo.chancery", "Demo Editor", "Demo Reviewer"] {
        assert!(!text.contains(secret), "the feed names nobody: {secret}");
    }
    assert_eq!(everything.len(), demo.len() + 2);
    let fields = app.query_ok("{ __type(name: \"Change\") { fields { name } } }", json!({})).await;
    let names: Vec<&str> =
        fields["__type"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["type", "at", "subjectId", "subject", "correction", "mergedActorId"]);
}

/// A cursor in the feed's own format, with `key` where its position goes.
fn feed_cursor(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("chg|{key}|{}", uuid::Uuid::now_v7()))
}

/// A source by the demo editor holding `quote`, not yet cited by anything: (id, version).
async fn unseen_source(app: &TestApp, editor: &str, quote: &str) -> (String, i64) {
    let input = json!({ "url": format!("https://example.org/feed/{}", uuid::Uuid::now_v7().simple()),
        "title": "A second report of the call", "kind": "NEWS_ARTICLE",
        "snapshot": format!("The second report says: {quote} That is all.") });
    let created = app
        .ok_as(
            editor,
            "mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id version } } }",
            json!({ "i": input }),
        )
        .await;
    let source = &created["createSource"]["source"];
    (source["id"].as_str().unwrap().to_owned(), source["version"].as_i64().unwrap())
}

async fn update_title(app: &TestApp, token: &str, source: &str, version: i64, title: &str) -> i64 {
    let update = "mutation($i: UpdateSourceInput!) { updateSource(input: $i) { source { version } } }";
    let updated =
        app.ok_as(token, update, json!({ "i": { "id": source, "expectedVersion": version, "title": title } })).await;
    updated["updateSource"]["source"]["version"].as_i64().unwrap()
}

async fn every_kind_of_public_event_reaches_the_feed_and_nothing_else(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, start) = read_all(&app, 100).await;
    let start = start.unwrap();
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
    let (_, admin) = app.user_with_role(entity::enums::UserRole::Admin).await;
    let (russia, syria, demo_source) =
        (app.actor_id("Russia").await, app.actor_id("Syria").await, app.demo_source_id().await);

    // A fact published, then replaced by a published correction.
    let (original, version) = support::submitted_fact(&app, &editor, "A visit a correction will replace.").await;
    let approved = app.ok_as(&reviewer, APPROVE_FACT, json!({ "id": original, "v": version })).await;
    let version = approved["reviewFact"]["fact"]["version"].as_i64().unwrap();
    let mut correction = support::visit_input(&russia, &syria, &demo_source, "The corrected visit.");
    correction["id"] = json!(original);
    correction["expectedVersion"] = json!(version);
    let supersede = "mutation($input: SupersedeFactInput!) { supersedeFact(input: $input) { fact { id version } } }";
    let draft = app.ok_as(&editor, supersede, json!({ "input": correction })).await["supersedeFact"]["fact"].clone();
    let corrected = draft["id"].as_str().unwrap().to_owned();
    let submitted = app.ok_as(&editor, SUBMIT_FACT, json!({ "id": corrected, "v": draft["version"] })).await;
    let version = submitted["submitFact"]["fact"]["version"].clone();
    app.ok_as(&reviewer, APPROVE_FACT, json!({ "id": corrected, "v": version })).await;

    // A second outlet's report: its source changed while unseen (no event, ever), cited,
    // changed while public (an event), its citation withdrawn.
    let quote = "Moscow and Damascus agreed to keep talking.";
    let (source, version) = unseen_source(&app, &editor, quote).await;
    let version = update_title(&app, &editor, &source, version, "Retitled while nobody could see it").await;
    let propose = "mutation($i: ProposeCitationInput!) { proposeCitation(input: $i) { citation { id } } }";
    let citation =
        json!({ "factId": corrected, "citation": { "source": source, "quote": quote, "attribution": "DIRECT" } });
    let proposed = app.ok_as(&editor, propose, json!({ "i": citation })).await;
    let citation_id = proposed["proposeCitation"]["citation"]["id"].clone();
    let review =
        "mutation($c: ID!) { reviewCitation(input: {citationId: $c, decision: APPROVE}) { citation { status } } }";
    app.ok_as(&reviewer, review, json!({ "c": citation_id })).await;
    update_title(&app, &admin, &source, version, "Retitled in public").await;
    let withdraw = "mutation($c: ID!) { withdrawCitation(input: {citationId: $c, reason: \"The report was removed.\"}) { citation { status } } }";
    app.ok_as(&reviewer, withdraw, json!({ "c": citation_id })).await;

    // Two actors merged.
    let (keep, gone) = app.two_states_merged(&admin).await;

    let page = changes(&app, 100, Some(&start)).await;
    let events: Vec<(String, String)> = page["edges"].as_array().unwrap().iter().map(event).collect();
    let kinds: Vec<&str> = events.iter().map(|(kind, _)| kind.as_str()).collect();
    // The correction's approval writes the original's supersession, then its own publication,
    // in one transaction: the log's order.
    assert_eq!(
        kinds,
        [
            "FACT_PUBLISHED",
            "FACT_SUPERSEDED",
            "FACT_PUBLISHED",
            "CITATION_ADDED",
            "SOURCE_UPDATED",
            "CITATION_WITHDRAWN",
            "ACTOR_MERGED"
        ],
        "one event per public change, none for the change made while the source was unseen: {events:#?}"
    );
    let node = |i: usize| page["edges"][i]["node"].clone();
    assert_eq!(events[0].1, original);
    assert_eq!(events[1].1, original);
    assert_eq!(node(1)["correction"]["id"], json!(corrected), "a supersession names its correction");
    assert_eq!(node(1)["subject"]["status"], "SUPERSEDED");
    assert_eq!(events[2].1, corrected);
    assert_eq!(events[3].1, corrected);
    assert_eq!(events[4].1, source, "the source's change while public");
    assert_eq!(node(4)["subject"]["__typename"], "Source");
    assert_eq!(events[5].1, corrected);
    assert_eq!(events[6].1, keep["id"].as_str().unwrap());
    assert_eq!(node(6)["mergedActorId"], gone["id"], "a merge names the actor merged away");
    assert_eq!(node(6)["subject"]["__typename"], "Actor");
}

async fn bad_feed_arguments_are_refused_with_the_argument_named(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let facts_cursor = app.query_ok("{ facts(first: 1) { pageInfo { endCursor } } }", json!({})).await["facts"]
        ["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    for (variables, field) in [
        (json!({ "first": -1 }), "first"),
        (json!({ "first": 101 }), "first"),
        (json!({ "after": "not a cursor" }), "after"),
        (json!({ "after": facts_cursor }), "after"),
        (json!({ "after": feed_cursor("eleven") }), "after"),
    ] {
        let body = app.graphql(CHANGES, variables.clone()).await;
        support::assert_bad_input(&body, field);
        assert!(body["data"].is_null() || body["data"]["changes"].is_null(), "{variables}: {body:#}");
    }
    let backwards = app.graphql("{ changes(last: 2) { totalCount } }", json!({})).await;
    assert_eq!(support::single_error(&backwards).0, "BAD_USER_INPUT", "the feed has no `last`: {backwards:#}");
}

async fn a_page_of_the_feed_costs_the_same_statements_at_any_size(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    const PAGE: &str = "query($first: Int) { changes(first: $first) { edges { node { type subject { \
         ... on Fact { id summary } ... on Source { id url } ... on Actor { id name } } } } } }";
    let (one, _) = app.statements_for(PAGE, json!({ "first": 1 })).await;
    let (all, body) = app.statements_for(PAGE, json!({ "first": 100 })).await;
    assert!(body["data"]["changes"]["edges"].as_array().unwrap().len() > 1, "{body:#}");
    assert_eq!(one, all, "subjects are loaded in one batch, not one statement per event");
}

/// 20 reviewers' approvals at once (on Postgres, 20 concurrent transactions) while a reader tails
/// the feed three events at a time: the reader sees each publication exactly once, in the order
/// of the revision log.
async fn twenty_concurrent_publishers_are_each_seen_once_in_log_order(backend: Backend) {
    const WRITERS: usize = 20;
    let app = std::sync::Arc::new(TestApp::spawn_with_demo(backend).await);
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
    let mut waiting = Vec::new();
    for n in 0..WRITERS {
        waiting.push(
            support::submitted_fact(&app, &editor, &format!("Concurrent publication number {n} of the feed test."))
                .await,
        );
    }
    let targets: HashSet<String> = waiting.iter().map(|(id, _)| id.clone()).collect();
    let (_, start) = read_all(&app, 100).await;

    let reader = {
        let app = app.clone();
        let targets = targets.clone();
        tokio::spawn(async move {
            let mut cursor = start;
            let mut seen: Vec<(String, String)> = Vec::new();
            let (mut polls, mut caught_up) = (0, 0);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
            while seen.iter().filter(|(kind, id)| kind == "FACT_PUBLISHED" && targets.contains(id)).count() < WRITERS {
                assert!(tokio::time::Instant::now() < deadline, "the reader saw only {seen:?}");
                let page = changes(&app, 3, cursor.as_deref()).await;
                polls += 1;
                caught_up += usize::from(page["pageInfo"]["hasNextPage"] == false);
                seen.extend(page["edges"].as_array().unwrap().iter().map(event));
                if let Some(end) = page["pageInfo"]["endCursor"].as_str() {
                    cursor = Some(end.to_owned());
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            // How much the reading overlapped the writing (reported, not asserted: it depends
            // on the machine's load).
            eprintln!("{polls} polls, {caught_up} of them at the head while the writers went on");
            seen
        })
    };
    let writers: Vec<_> = waiting
        .into_iter()
        .map(|(id, version)| {
            let app = app.clone();
            let reviewer = reviewer.clone();
            tokio::spawn(async move {
                let body = app.graphql_as(&reviewer, APPROVE_FACT, json!({ "id": id, "v": version })).await;
                assert_eq!(body["data"]["reviewFact"]["fact"]["status"], "PUBLISHED", "{body:#}");
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = reader.await.unwrap();

    let published: Vec<&String> = seen.iter().filter(|(kind, _)| kind == "FACT_PUBLISHED").map(|(_, id)| id).collect();
    let distinct: HashSet<&String> = published.iter().copied().collect();
    assert_eq!(published.len(), distinct.len(), "no event twice: {published:?}");
    assert_eq!(distinct.len(), WRITERS, "every publication, and nothing else: {seen:?}");
    assert!(distinct.iter().all(|id| targets.contains(*id)));

    // The order the reader saw is the order of the approvals in the revision log.
    let decode = |id: &str| chancery::graphql::ids::decode_any(id, "id").unwrap().1;
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT fact_id FROM revisions WHERE subject = 'FACT' AND action = 'APPROVED' ORDER BY seq",
        ))
        .await
        .unwrap();
    let log_order: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<uuid::Uuid>("", "fact_id").unwrap().to_string())
        .filter(|fact_id| published.iter().any(|id| &decode(id) == fact_id))
        .collect();
    let seen_order: Vec<String> = published.iter().map(|id| decode(id)).collect();
    assert_eq!(seen_order, log_order, "the reader's order is the log's");
}

backend_tests!(
    the_feed_lists_public_events_in_commit_order_and_names_nobody,
    every_kind_of_public_event_reaches_the_feed_and_nothing_else,
    bad_feed_arguments_are_refused_with_the_argument_named,
    a_page_of_the_feed_costs_the_same_statements_at_any_size,
    twenty_concurrent_publishers_are_each_seen_once_in_log_order,
);
