//! Evidence that grows on a published fact: proposing a citation, a reviewer other than the
//! proposer approving or rejecting it, withdrawing a citation found wrong. The fact keeps its id,
//! never looks corrected, and pending citations never conflict with each other.
use std::sync::Arc;

use crate::support::{assert_bad_input, single_error, Backend, TestApp};
use chancery::domain::fact::history::{verify_chain, ChainVerdict};
use entity::enums::UserRole;
use futures_util::future::join_all;
use serde_json::{json, Value};

const PROPOSE: &str = r#"
mutation($input: ProposeCitationInput!) {
  proposeCitation(input: $input) { citation { id status quote } fact { id version outletCount } }
}"#;
const REVIEW: &str = r#"
mutation($input: ReviewCitationInput!) {
  reviewCitation(input: $input) { citation { id status statusReason } fact { id version outletCount } }
}"#;
const WITHDRAW: &str = r#"
mutation($input: WithdrawCitationInput!) {
  withdrawCitation(input: $input) { citation { id status statusReason } fact { id version outletCount } }
}"#;
const CREATE_SOURCE: &str = "mutation($input: CreateSourceInput!) { createSource(input: $input) { source { id } } }";
const FACT: &str = r#"
query($id: ID!, $statuses: [CitationStatus!]) {
  fact(id: $id) { id version outletCount status
    citations(statuses: $statuses) { id status statusReason quote }
    history { action } }
}"#;

/// The demo with its accounts signed in, and the published phone-call fact.
struct Desk {
    app: Arc<TestApp>,
    editor: String,
    reviewer: String,
    fact: String,
    article: String,
}

impl Desk {
    async fn open(backend: Backend) -> Self {
        let app = TestApp::spawn_with_demo(backend).await;
        let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
        let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
        let facts =
            app.query_ok(r#"{ facts(filter: {kinds: ["diplomatic.phone_call"]}) { nodes { id } } }"#, json!({})).await;
        let fact = facts["facts"]["nodes"][0]["id"].as_str().unwrap().to_owned();
        let article = app.demo_source_id().await;
        Desk { app: Arc::new(app), editor, reviewer, fact, article }
    }

    /// A source (of a new outlet) whose snapshot is `text`, recorded by the editor.
    async fn source(&self, text: &str) -> String {
        let outlet = self
            .app
            .ok_as(
                &self.editor,
                "mutation($n: String!) { createActor(input: {name: $n, kind: MEDIA_OUTLET}) { actor { id } } }",
                json!({ "n": format!("Outlet {}", uuid::Uuid::now_v7().simple()) }),
            )
            .await["createActor"]["actor"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let input = json!({
            "url": format!("https://example.org/report/{}", uuid::Uuid::now_v7().simple()),
            "title": "A second outlet's report", "kind": "NEWS_ARTICLE", "outlet": outlet, "snapshot": text,
        });
        let data = self.app.ok_as(&self.editor, CREATE_SOURCE, json!({ "input": input })).await;
        data["createSource"]["source"]["id"].as_str().unwrap().to_owned()
    }

    async fn propose(&self, token: &str, source: &str, quote: &str) -> Value {
        let citation = json!({ "source": source, "quote": quote, "attribution": "DIRECT" });
        self.app.graphql_as(token, PROPOSE, json!({ "input": { "factId": self.fact, "citation": citation } })).await
    }

    async fn proposed(&self, token: &str, source: &str, quote: &str) -> String {
        let body = self.propose(token, source, quote).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"]["proposeCitation"]["citation"]["id"].as_str().unwrap().to_owned()
    }

    async fn review(&self, token: &str, citation: &str, decision: &str, comment: Option<&str>) -> Value {
        let input = json!({ "citationId": citation, "decision": decision, "comment": comment });
        self.app.graphql_as(token, REVIEW, json!({ "input": input })).await
    }

    async fn fact(&self, token: Option<&str>, statuses: Value) -> Value {
        let variables = json!({ "id": self.fact, "statuses": statuses });
        match token {
            Some(token) => self.app.ok_as(token, FACT, variables).await["fact"].clone(),
            None => self.app.query_ok(FACT, variables).await["fact"].clone(),
        }
    }

    /// What a refused request must leave as it was.
    async fn state(&self) -> (i64, i64, Value) {
        let fact = self.fact(Some(&self.reviewer), json!(["ACTIVE", "PENDING", "REJECTED", "WITHDRAWN"])).await;
        (self.app.row_count("citations").await, self.app.row_count("revisions").await, fact)
    }
}

const REPORT: &str = "Vladimir Putin spoke by telephone with Ahmed al-Sharaa on Wednesday, the outlet reported.";
const QUOTE: &str = "Vladimir Putin spoke by telephone with Ahmed al-Sharaa on Wednesday";

async fn a_proposal_is_refused_naming_its_field_and_changes_nothing(backend: Backend) {
    let desk = Desk::open(backend).await;
    let source = desk.source(REPORT).await;
    let before = desk.state().await;
    let refusals: Vec<(Value, &str)> = vec![
        (
            json!({ "factId": desk.fact, "citation": { "source": source, "quote": "Words the report never printed.", "attribution": "DIRECT" } }),
            "citation.quote",
        ),
        (
            json!({ "factId": desk.fact, "citation": { "source": source, "quote": "", "attribution": "DIRECT" } }),
            "citation.quote",
        ),
        (
            json!({ "factId": desk.fact, "citation": { "source": "garbage", "quote": QUOTE, "attribution": "DIRECT" } }),
            "citation.source",
        ),
        (
            json!({ "factId": desk.fact, "citation": { "source": desk.fact, "quote": QUOTE, "attribution": "DIRECT" } }),
            "citation.source",
        ),
        (
            json!({ "factId": desk.fact, "citation": { "source": source, "quote": QUOTE, "attribution": "DIRECT", "attributedTo": "garbage" } }),
            "citation.attributedTo",
        ),
        (
            json!({ "factId": desk.fact, "citation": { "source": source, "quote": QUOTE, "attribution": "DIRECT", "relayedFrom": source } }),
            "citation.relayedFrom",
        ),
        (
            json!({ "factId": "garbage", "citation": { "source": source, "quote": QUOTE, "attribution": "DIRECT" } }),
            "factId",
        ),
        (
            json!({ "factId": desk.fact, "citation": { "source": source, "quote": QUOTE, "attribution": "DIRECT" }, "idempotencyKey": "" }),
            "idempotencyKey",
        ),
    ];
    for (input, field) in refusals {
        let body = desk.app.graphql_as(&desk.editor, PROPOSE, json!({ "input": input })).await;
        assert_bad_input(&body, field);
    }
    // The fact already cites this quote of the demo article.
    let cited = desk.fact(None, json!(null)).await["citations"][0]["quote"].as_str().unwrap().to_owned();
    assert_bad_input(&desk.propose(&desk.editor, &desk.article, &cited).await, "citation");
    let anonymous = desk.app.graphql(PROPOSE, json!({ "input": { "factId": desk.fact, "citation": { "source": source, "quote": QUOTE, "attribution": "DIRECT" } } })).await;
    assert_eq!(single_error(&anonymous).0, "UNAUTHENTICATED");
    assert_eq!(desk.state().await, before, "a refused proposal writes nothing");
}

async fn a_draft_takes_citations_inline_not_by_proposal(backend: Backend) {
    let desk = Desk::open(backend).await;
    let (russia, syria) = (desk.app.actor_id("Russia").await, desk.app.actor_id("Syria").await);
    let input = crate::support::visit_input(&russia, &syria, &desk.article, "A draft that is not public yet.");
    let draft = desk
        .app
        .ok_as(
            &desk.editor,
            "mutation($i: CreateFactInput!) { createFact(input: $i) { fact { id } } }",
            json!({ "i": input }),
        )
        .await["createFact"]["fact"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let source = desk.source(REPORT).await;
    let citation = json!({ "source": source, "quote": QUOTE, "attribution": "DIRECT" });
    let body =
        desk.app.graphql_as(&desk.editor, PROPOSE, json!({ "input": { "factId": draft, "citation": citation } })).await;
    let (code, _, _) = single_error(&body);
    assert_eq!(code, "INVALID_TRANSITION", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["allowed"], json!(["EDIT", "SUBMIT", "DELETE"]));
}

async fn nobody_decides_on_a_citation_they_proposed_and_editors_decide_on_none(backend: Backend) {
    let desk = Desk::open(backend).await;
    let source = desk.source(REPORT).await;
    let citation = desk.proposed(&desk.reviewer, &source, QUOTE).await;
    let before = desk.state().await;
    let own = desk.review(&desk.reviewer, &citation, "APPROVE", None).await;
    assert_eq!(single_error(&own).0, "FORBIDDEN", "{own:#}");
    let editor = desk.review(&desk.editor, &citation, "APPROVE", None).await;
    assert_eq!(single_error(&editor).0, "FORBIDDEN", "{editor:#}");
    let (_, other_reviewer) = desk.app.user_with_role(UserRole::Reviewer).await;
    assert_bad_input(&desk.review(&other_reviewer, &citation, "REJECT", None).await, "comment");
    assert_bad_input(&desk.review(&other_reviewer, "garbage", "APPROVE", None).await, "citationId");
    assert_eq!(desk.state().await, before, "refused decisions write nothing");
    let approved = desk.review(&other_reviewer, &citation, "APPROVE", None).await;
    assert!(approved.get("errors").is_none(), "{approved:#}");
    let again = desk.review(&desk.editor, &citation, "APPROVE", None).await;
    assert_eq!(single_error(&again).0, "FORBIDDEN", "an editor is refused before the citation's state is told");
    let twice = desk.review(&other_reviewer, &citation, "REJECT", Some("second thoughts")).await;
    assert_eq!(single_error(&twice).0, "CONFLICT", "{twice:#}");
}

async fn an_approved_citation_is_evidence_of_the_same_fact(backend: Backend) {
    let desk = Desk::open(backend).await;
    let source = desk.source(REPORT).await;
    let before = desk.fact(None, json!(null)).await;
    let citation = desk.proposed(&desk.editor, &source, QUOTE).await;
    let pending = desk.fact(None, json!(null)).await;
    assert_eq!(pending, before, "the public sees nothing of a proposal");
    let as_staff = desk.fact(Some(&desk.editor), json!(["PENDING"])).await;
    assert_eq!(as_staff["citations"][0]["id"], citation.as_str());
    let refused = desk.app.graphql(FACT, json!({ "id": desk.fact, "statuses": ["PENDING"] })).await;
    assert_eq!(single_error(&refused).0, "FORBIDDEN", "the public may not list proposals");
    let approved = desk.review(&desk.reviewer, &citation, "APPROVE", Some("Matches the outlet's report.")).await;
    assert_eq!(approved["data"]["reviewCitation"]["fact"]["id"], desk.fact.as_str(), "the same id");
    let after = desk.fact(None, json!(null)).await;
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    assert_eq!(after["status"], "PUBLISHED", "corroboration is not a correction");
    assert_eq!(after["outletCount"], before["outletCount"].as_i64().unwrap() + 1);
    assert_eq!(after["citations"].as_array().unwrap().len(), before["citations"].as_array().unwrap().len() + 1);
    assert_eq!(after["history"].as_array().unwrap().last().unwrap()["action"], "CITATION_ADDED");
    let found =
        desk.app.query_ok(r#"{ facts(filter: {search: "telephone Wednesday"}) { totalCount } }"#, json!({})).await;
    assert_eq!(found["facts"]["totalCount"], 1, "an approved quote is searchable");
    assert_eq!(verify_chain(&desk.app.db).await.unwrap(), ChainVerdict::Intact { length: 31 });
}

async fn a_pending_citation_and_its_source_stay_private_until_approved(backend: Backend) {
    let desk = Desk::open(backend).await;
    let source = desk.source(REPORT).await;
    let citation = desk.proposed(&desk.editor, &source, QUOTE).await;
    let public_sources = "{ sources { totalCount } }";
    assert_eq!(desk.app.query_ok(public_sources, json!({})).await["sources"]["totalCount"], 1);
    let search = r#"{ facts(filter: {search: "telephone Wednesday"}) { totalCount } }"#;
    assert_eq!(
        desk.app.query_ok(search, json!({})).await["facts"]["totalCount"],
        0,
        "a pending quote is not searchable"
    );
    let source_query = "query($id: ID!) { source(id: $id) { id } }";
    assert!(desk.app.query_ok(source_query, json!({ "id": source })).await["source"].is_null());
    desk.review(&desk.reviewer, &citation, "APPROVE", None).await;
    assert_eq!(desk.app.query_ok(public_sources, json!({})).await["sources"]["totalCount"], 2);
    assert_eq!(desk.app.query_ok(source_query, json!({ "id": source })).await["source"]["id"], source.as_str());
}

async fn a_rejected_proposal_stays_out_of_the_evidence_and_may_be_proposed_again(backend: Backend) {
    let desk = Desk::open(backend).await;
    let source = desk.source(REPORT).await;
    let before = desk.fact(None, json!(null)).await;
    let citation = desk.proposed(&desk.editor, &source, QUOTE).await;
    assert_bad_input(&desk.propose(&desk.editor, &source, QUOTE).await, "citation");
    let rejected = desk.review(&desk.reviewer, &citation, "REJECT", Some("The outlet retracted its story.")).await;
    assert_eq!(rejected["data"]["reviewCitation"]["citation"]["status"], "REJECTED");
    assert_eq!(rejected["data"]["reviewCitation"]["citation"]["statusReason"], "The outlet retracted its story.");
    assert_eq!(desk.fact(None, json!(null)).await, before, "a rejection changes nothing public");
    let again = desk.proposed(&desk.editor, &source, QUOTE).await;
    assert_ne!(again, citation);
}

async fn a_retried_proposal_creates_one_pending_citation(backend: Backend) {
    let desk = Desk::open(backend).await;
    let source = desk.source(REPORT).await;
    let input = |quote: &str| {
        json!({ "input": { "factId": desk.fact, "idempotencyKey": "retry-1",
            "citation": { "source": source, "quote": quote, "attribution": "DIRECT" } } })
    };
    let first = desk.app.ok_as(&desk.editor, PROPOSE, input(QUOTE)).await;
    let rows = desk.app.row_count("citations").await;
    let second = desk.app.ok_as(&desk.editor, PROPOSE, input(QUOTE)).await;
    assert_eq!(first["proposeCitation"]["citation"]["id"], second["proposeCitation"]["citation"]["id"]);
    assert_eq!(desk.app.row_count("citations").await, rows);
    let other = desk.app.graphql_as(&desk.editor, PROPOSE, input("Vladimir Putin spoke by telephone")).await;
    assert_bad_input(&other, "idempotencyKey");
}

async fn a_withdrawn_citation_stays_readable_marked_and_the_last_one_stays(backend: Backend) {
    let desk = Desk::open(backend).await;
    let before = desk.fact(None, json!(null)).await;
    let citations: Vec<String> =
        before["citations"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(citations.len(), 2, "the phone-call fact cites two quotes");
    let withdraw = |token: String, citation: String, reason: &'static str| {
        let app = desk.app.clone();
        async move {
            app.graphql_as(&token, WITHDRAW, json!({ "input": { "citationId": citation, "reason": reason } })).await
        }
    };
    let state = desk.state().await;
    let editor = withdraw(desk.editor.clone(), citations[0].clone(), "Misquoted.").await;
    assert_eq!(single_error(&editor).0, "FORBIDDEN");
    assert_bad_input(&withdraw(desk.reviewer.clone(), citations[0].clone(), "").await, "reason");
    assert_bad_input(&withdraw(desk.reviewer.clone(), "garbage".into(), "Misquoted.").await, "citationId");
    assert_eq!(desk.state().await, state, "refused withdrawals write nothing");
    let done = withdraw(desk.reviewer.clone(), citations[0].clone(), "The Kremlin's readout says otherwise.").await;
    assert_eq!(done["data"]["withdrawCitation"]["citation"]["status"], "WITHDRAWN", "{done:#}");
    let after = desk.fact(None, json!(null)).await;
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    assert_eq!(after["citations"].as_array().unwrap().len(), 1, "only active citations by default");
    assert_eq!(after["history"].as_array().unwrap().last().unwrap()["action"], "CITATION_WITHDRAWN");
    let marked = desk.fact(None, json!(["WITHDRAWN"])).await;
    assert_eq!(marked["citations"][0]["statusReason"], "The Kremlin's readout says otherwise.");
    let last = withdraw(desk.reviewer.clone(), citations[1].clone(), "Also wrong.").await;
    assert_bad_input(&last, "citationId");
    assert!(single_error(&last).1.contains("retract"), "the refusal says what to do instead: {last:#}");
    let twice = withdraw(desk.reviewer.clone(), citations[0].clone(), "Again.").await;
    assert_eq!(single_error(&twice).0, "CONFLICT");
    assert_eq!(
        verify_chain(&desk.app.db).await.unwrap(),
        ChainVerdict::Intact { length: 31 },
        "the withdrawal is chained"
    );
    let (intact, stdout, stderr) = desk.app.verify_history_cli(&[]).await;
    assert!(intact, "chancery verify-history accepts it: {stdout} {stderr}");
}

/// Ten editors propose ten quotes; ten approvals run at once: none conflicts, all ten are
/// evidence afterwards, the version went up by ten, and the chain verifies.
async fn ten_pending_citations_approved_concurrently_all_become_evidence(backend: Backend) {
    let desk = Desk::open(backend).await;
    let sentences: Vec<String> =
        (1..=10).map(|n| format!("Witness number {n} confirmed that the call took place.")).collect();
    let source = desk.source(&sentences.join(" ")).await;
    let before = desk.fact(None, json!(null)).await;
    let mut proposals = Vec::new();
    for sentence in &sentences {
        let (_, editor) = desk.app.user_with_role(UserRole::Editor).await;
        proposals.push(desk.proposed(&editor, &source, sentence).await);
    }
    let (_, second_reviewer) = desk.app.user_with_role(UserRole::Reviewer).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(proposals.len()));
    let approvals = proposals.iter().enumerate().map(|(index, citation)| {
        let (app, barrier, citation) = (desk.app.clone(), barrier.clone(), citation.clone());
        let token = if index % 2 == 0 { desk.reviewer.clone() } else { second_reviewer.clone() };
        tokio::spawn(async move {
            barrier.wait().await;
            let input = json!({ "citationId": citation, "decision": "APPROVE" });
            app.graphql_as(&token, REVIEW, json!({ "input": input })).await
        })
    });
    for answer in join_all(approvals).await {
        let body = answer.unwrap();
        assert!(body.get("errors").is_none(), "no approval conflicts with another: {body:#}");
    }
    let after = desk.fact(None, json!(null)).await;
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 10);
    assert_eq!(after["citations"].as_array().unwrap().len(), before["citations"].as_array().unwrap().len() + 10);
    assert_eq!(after["outletCount"], before["outletCount"].as_i64().unwrap() + 1);
    assert_eq!(verify_chain(&desk.app.db).await.unwrap(), ChainVerdict::Intact { length: 40 });
}

const MERGE: &str = r#"
mutation($input: MergeActorsInput!) { mergeActors(input: $input) { actor { id name version aliases wikidataQid } } }"#;

/// A duplicate actor merged into the one kept: its facts and sources move, its names become
/// aliases, its global id answers with the kept actor, and a bad merge changes nothing.
async fn a_duplicate_actor_is_merged_and_its_id_keeps_resolving(backend: Backend) {
    let desk = Desk::open(backend).await;
    let (_, admin) = desk.app.user_with_role(UserRole::Admin).await;
    let create = "mutation($input: CreateActorInput!) { createActor(input: $input) { actor { id version } } }";
    let duplicate = desk
        .app
        .ok_as(
            &desk.editor,
            create,
            json!({ "input": { "name": "Vladimir V. Putin", "kind": "PERSON", "aliases": ["V. Putin"] } }),
        )
        .await["createActor"]["actor"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let putin = desk.app.actor_id("Vladimir Putin").await;
    let (russia, syria) = (desk.app.actor_id("Russia").await, desk.app.actor_id("Syria").await);
    let mut input = crate::support::visit_input(&russia, &syria, &desk.article, "A draft naming the duplicate.");
    input["participants"][0]["actor"] = json!(duplicate);
    desk.app
        .ok_as(
            &desk.editor,
            "mutation($i: CreateFactInput!) { createFact(input: $i) { fact { id } } }",
            json!({ "i": input }),
        )
        .await;
    let merge = |keep: &str, gone: &str, keep_version: i64, merge_version: i64| json!({ "input": { "keepId": keep, "mergeId": gone, "expectedVersions": { "keep": keep_version, "merge": merge_version } } });
    let rows = (desk.app.row_count("actors").await, desk.app.row_count("fact_participants").await);
    let editor = desk.app.graphql_as(&desk.editor, MERGE, merge(&putin, &duplicate, 1, 1)).await;
    assert_eq!(single_error(&editor).0, "FORBIDDEN");
    assert_bad_input(&desk.app.graphql_as(&admin, MERGE, merge(&putin, &putin, 1, 1)).await, "mergeId");
    assert_bad_input(&desk.app.graphql_as(&admin, MERGE, merge(&putin, "garbage", 1, 1)).await, "mergeId");
    let stale = desk.app.graphql_as(&admin, MERGE, merge(&putin, &duplicate, 1, 9)).await;
    assert_eq!(single_error(&stale).0, "CONFLICT");
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 1);
    assert_eq!((desk.app.row_count("actors").await, desk.app.row_count("fact_participants").await), rows);

    let merged = desk.app.ok_as(&admin, MERGE, merge(&putin, &duplicate, 1, 1)).await["mergeActors"]["actor"].clone();
    assert_eq!(merged["id"], putin.as_str());
    assert_eq!(merged["version"], 2);
    let aliases = merged["aliases"].as_array().unwrap();
    assert!(aliases.contains(&json!("Vladimir V. Putin")) && aliases.contains(&json!("V. Putin")), "{merged:#}");
    assert_eq!(merged["wikidataQid"], "Q7747");
    let by_old_id = desk
        .app
        .query_ok("query($id: ID!) { actor(id: $id) { id } node(id: $id) { id } }", json!({ "id": duplicate }))
        .await;
    assert_eq!(by_old_id["actor"]["id"], putin.as_str(), "the merged id answers with the kept actor");
    assert_eq!(by_old_id["node"]["id"], putin.as_str());
    assert_eq!(desk.app.row_count("actors").await, rows.0 - 1);
    let own = desk
        .app
        .ok_as(
            &desk.editor,
            "{ myFacts(filter: {statuses: [DRAFT]}) { nodes { participants { actor { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        own["myFacts"]["nodes"][0]["participants"][0]["actor"]["id"],
        putin.as_str(),
        "the fact names the kept actor"
    );
}

backend_tests!(
    a_duplicate_actor_is_merged_and_its_id_keeps_resolving,
    a_proposal_is_refused_naming_its_field_and_changes_nothing,
    a_draft_takes_citations_inline_not_by_proposal,
    nobody_decides_on_a_citation_they_proposed_and_editors_decide_on_none,
    an_approved_citation_is_evidence_of_the_same_fact,
    a_pending_citation_and_its_source_stay_private_until_approved,
    a_rejected_proposal_stays_out_of_the_evidence_and_may_be_proposed_again,
    a_retried_proposal_creates_one_pending_citation,
    a_withdrawn_citation_stays_readable_marked_and_the_last_one_stays,
    ten_pending_citations_approved_concurrently_all_become_evidence,
);
