//! The review queue holds everything waiting for a reviewer: facts in review and citations
//! proposed for published facts, in one list, longest waiting first, paged by keyset.
use crate::support::{assert_bad_input, single_error, visit_input, Backend, TestApp};
use migration::MigratorTrait;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const QUEUE: &str = r#"
query($filter: FactFilterInput, $first: Int, $after: String, $last: Int, $before: String) {
  reviewQueue(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes {
      __typename
      ... on Fact { id status summary }
      ... on Citation { id status proposedAt quote fact { id status } quoteInContext(chars: 30) { before quote after } }
    }
  }
}"#;

const REPORT: &str = "On Wednesday Vladimir Putin spoke by telephone with Ahmed al-Sharaa, the outlet reported.";
const QUOTE: &str = "Vladimir Putin spoke by telephone with Ahmed al-Sharaa";

/// The demo, a draft submitted for review, then a citation proposed for the published
/// phone-call fact: two things waiting, the fact first.
struct Queue {
    app: TestApp,
    editor: String,
    reviewer: String,
    submitted: String,
    citation: String,
    phone_call: String,
}

impl Queue {
    async fn open(backend: Backend) -> Self {
        let app = TestApp::spawn_with_demo(backend).await;
        let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
        let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
        let (russia, syria, article) =
            (app.actor_id("Russia").await, app.actor_id("Syria").await, app.demo_source_id().await);
        let draft = visit_input(&russia, &syria, &article, "A Russian delegation visited Damascus.");
        let created = app
            .ok_as(
                &editor,
                "mutation($i: CreateFactInput!) { createFact(input: $i) { fact { id version } } }",
                json!({ "i": draft }),
            )
            .await;
        let submitted = created["createFact"]["fact"]["id"].as_str().unwrap().to_owned();
        app.ok_as(
            &editor,
            "mutation($id: ID!) { submitFact(input: {id: $id, expectedVersion: 1}) { fact { status } } }",
            json!({ "id": submitted }),
        )
        .await;
        let calls =
            app.query_ok(r#"{ facts(filter: {kinds: ["diplomatic.phone_call"]}) { nodes { id } } }"#, json!({})).await;
        let phone_call = calls["facts"]["nodes"][0]["id"].as_str().unwrap().to_owned();
        let outlet = app
            .ok_as(
                &editor,
                "mutation { createActor(input: {name: \"Hürriyet Daily News\", kind: MEDIA_OUTLET}) { actor { id } } }",
                json!({}),
            )
            .await["createActor"]["actor"]["id"]
            .clone();
        let source = json!({ "url": "https://www.hurriyetdailynews.com/putin-al-sharaa-call", "title": "Putin, al-Sharaa talk",
            "kind": "NEWS_ARTICLE", "outlet": outlet, "snapshot": REPORT });
        let source = app
            .ok_as(
                &editor,
                "mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id } } }",
                json!({ "i": source }),
            )
            .await["createSource"]["source"]["id"]
            .clone();
        let citation = json!({ "source": source, "quote": QUOTE, "attribution": "DIRECT" });
        let proposed = app
            .ok_as(
                &editor,
                "mutation($i: ProposeCitationInput!) { proposeCitation(input: $i) { citation { id } } }",
                json!({ "i": { "factId": phone_call, "citation": citation } }),
            )
            .await;
        let citation = proposed["proposeCitation"]["citation"]["id"].as_str().unwrap().to_owned();
        Queue { app, editor, reviewer, submitted, citation, phone_call }
    }

    async fn read(&self, variables: Value) -> Value {
        self.app.ok_as(&self.reviewer, QUEUE, variables).await["reviewQueue"].clone()
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect()
}

async fn the_queue_lists_facts_in_review_and_pending_citations_longest_waiting_first(backend: Backend) {
    let queue = Queue::open(backend).await;
    let page = queue.read(json!({})).await;
    assert_eq!(page["totalCount"], 2);
    assert_eq!(ids(&page), vec![queue.submitted.clone(), queue.citation.clone()]);
    let (fact, citation) = (&page["nodes"][0], &page["nodes"][1]);
    assert_eq!(fact["__typename"], "Fact");
    assert_eq!(fact["status"], "IN_REVIEW");
    assert_eq!(citation["__typename"], "Citation");
    assert_eq!(citation["status"], "PENDING");
    assert!(citation["proposedAt"].is_string(), "{citation:#}");
    assert_eq!(citation["fact"]["id"], queue.phone_call.as_str(), "the citation names its published fact");
    assert_eq!(citation["fact"]["status"], "PUBLISHED");
    let context = &citation["quoteInContext"];
    assert_eq!(context["quote"], QUOTE, "the reviewer sees the quote in its snapshot");
    assert_eq!(context["before"], "On Wednesday ");
    assert_eq!(context["after"], ", the outlet reported.");
}

async fn the_queue_pages_forwards_and_backwards_across_both_kinds(backend: Backend) {
    let queue = Queue::open(backend).await;
    let first = queue.read(json!({ "first": 1 })).await;
    assert_eq!(ids(&first), vec![queue.submitted.clone()]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = queue.read(json!({ "first": 1, "after": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(ids(&second), vec![queue.citation.clone()]);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let last = queue.read(json!({ "last": 1 })).await;
    assert_eq!(ids(&last), vec![queue.citation.clone()]);
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
    let before = queue.read(json!({ "last": 5, "before": last["pageInfo"]["startCursor"] })).await;
    assert_eq!(ids(&before), vec![queue.submitted.clone()]);
    assert_eq!(before["pageInfo"]["hasPreviousPage"], false);
}

async fn the_queue_filter_selects_facts_and_the_citations_of_the_facts_it_matches(backend: Backend) {
    let queue = Queue::open(backend).await;
    let calls = queue.read(json!({ "filter": { "kinds": ["diplomatic.phone_call"] } })).await;
    assert_eq!(ids(&calls), vec![queue.citation.clone()], "only the phone call's citation");
    assert_eq!(calls["totalCount"], 1);
    let visits = queue.read(json!({ "filter": { "kinds": ["diplomatic.visit"] } })).await;
    assert_eq!(ids(&visits), vec![queue.submitted.clone()]);
    assert_eq!(visits["totalCount"], 1);
}

async fn a_decided_item_leaves_the_queue(backend: Backend) {
    let queue = Queue::open(backend).await;
    queue
        .app
        .ok_as(
            &queue.reviewer,
            "mutation($c: ID!) { reviewCitation(input: {citationId: $c, decision: APPROVE}) { citation { status } } }",
            json!({ "c": queue.citation }),
        )
        .await;
    queue
        .app
        .ok_as(
            &queue.reviewer,
            "mutation($id: ID!) { reviewFact(input: {id: $id, expectedVersion: 2, decision: APPROVE}) { fact { status } } }",
            json!({ "id": queue.submitted }),
        )
        .await;
    let page = queue.read(json!({})).await;
    assert_eq!(page["totalCount"], 0);
    assert!(ids(&page).is_empty());
}

async fn the_queue_refuses_editors_bad_cursors_and_statuses_it_cannot_hold(backend: Backend) {
    let queue = Queue::open(backend).await;
    let editor = queue.app.graphql_as(&queue.editor, QUEUE, json!({})).await;
    assert_eq!(single_error(&editor).0, "FORBIDDEN");
    let anonymous = queue.app.graphql(QUEUE, json!({})).await;
    assert_eq!(single_error(&anonymous).0, "UNAUTHENTICATED");
    let bad = |variables: Value, field: &'static str| {
        let app = &queue.app;
        let reviewer = queue.reviewer.clone();
        async move { assert_bad_input(&app.graphql_as(&reviewer, QUEUE, variables).await, field) }
    };
    bad(json!({ "after": "garbage" }), "after").await;
    // A cursor of another list is not one of this list.
    let facts = queue.app.query_ok("{ facts(first: 1) { pageInfo { endCursor } } }", json!({})).await;
    bad(json!({ "after": facts["facts"]["pageInfo"]["endCursor"] }), "after").await;
    bad(json!({ "first": 101 }), "first").await;
    bad(json!({ "filter": { "statuses": ["PUBLISHED"] } }), "filter.statuses[0]").await;
    bad(json!({ "filter": { "kinds": ["no.such.kind"] } }), "filter.kinds[0]").await;
}

/// Citations pending when migration 000011 ran were stamped by the database's clock, which
/// SQLite writes as `2026-11-26 22:19:01`, not in Chancery's RFC 3339 text; migration 000013
/// rewrites them so the keyset, which compares text on SQLite, agrees with the instants.
async fn a_citation_stamped_by_the_upgrade_pages_in_its_place(backend: Backend) {
    let queue = Queue::open(backend).await;
    let stamp = match backend {
        Backend::Sqlite => "strftime('%Y-%m-%d %H:%M:%S', 'now', '+1 minute')",
        Backend::Postgres => "CURRENT_TIMESTAMP + INTERVAL '1 minute'",
    };
    let backfill = format!("UPDATE citations SET proposed_at = {stamp} WHERE status = 'PENDING'");
    queue.app.db.execute_unprepared(&backfill).await.unwrap();
    // Undo migration 000013 (and those after it), then apply them again.
    let since_000013 = (migration::Migrator::migrations().len() - 12) as u32;
    migration::Migrator::down(&queue.app.db, Some(since_000013)).await.unwrap();
    migration::Migrator::up(&queue.app.db, None).await.unwrap();
    let first = queue.read(json!({ "first": 1 })).await;
    assert_eq!(ids(&first), vec![queue.submitted.clone()], "the fact has waited longer");
    let second = queue.read(json!({ "first": 1, "after": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(ids(&second), vec![queue.citation.clone()], "the citation follows it");
}

backend_tests!(
    the_queue_lists_facts_in_review_and_pending_citations_longest_waiting_first,
    the_queue_pages_forwards_and_backwards_across_both_kinds,
    the_queue_filter_selects_facts_and_the_citations_of_the_facts_it_matches,
    a_decided_item_leaves_the_queue,
    the_queue_refuses_editors_bad_cursors_and_statuses_it_cannot_hold,
    a_citation_stamped_by_the_upgrade_pages_in_its_place,
);
