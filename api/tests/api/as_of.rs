//! "As of" reads (`facts(asOf:)`, `fact(id, asOf:)`): the public record as it stood at a past
//! moment, rebuilt from the revision log. Every moment is one the database stamped (read back
//! from `historyHead.at`), never the test's clock, so nothing depends on timing or clock skew.
use crate::bad_input::refused_naming_all;
use crate::support::{visit_input, Backend, TestApp, VISIT_QUOTE};
use chancery::config::ServeConfig;
use serde_json::{json, Value};

const CREATE: &str = "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id version } } }";
const SUBMIT: &str =
    "mutation($id: ID!, $v: Int!) { submitFact(input: {id: $id, expectedVersion: $v}) { fact { version } } }";
const APPROVE: &str = "mutation($id: ID!, $v: Int!) { reviewFact(input: {id: $id, expectedVersion: $v, \
     decision: APPROVE}) { fact { version } } }";
const RETRACT: &str = "mutation($id: ID!, $v: Int!) { retractFact(input: {id: $id, expectedVersion: $v, \
     reason: \"The visit did not take place.\"}) { fact { version } } }";
const SUPERSEDE: &str =
    "mutation($input: SupersedeFactInput!) { supersedeFact(input: $input) { fact { id version } } }";
const PROPOSE: &str = "mutation($input: ProposeCitationInput!) { proposeCitation(input: $input) { citation { id } } }";
const REVIEW_CITATION: &str = "mutation($id: ID!) { reviewCitation(input: {citationId: $id, decision: APPROVE}) \
     { citation { status } } }";
const WITHDRAW: &str = "mutation($id: ID!) { withdrawCitation(input: {citationId: $id, \
     reason: \"The report was pulled.\"}) { citation { status } } }";
const HEAD: &str = "{ historyHead { at } }";

/// What the tests compare of a fact, read now (`at` null) or as of a moment.
const FACT_FIELDS: &str = "id status version summary publishedAt retractedAt retractionReason updatedAt \
     kind { key } participants { role actor { id } } qualifiers { key value } \
     citations(statuses: [ACTIVE, WITHDRAWN]) { id status statusReason quote source { id } } outletCount \
     supersedes { id status } supersededBy { id status version } history { action at }";

fn fact_query() -> String {
    format!("query($id: ID!, $at: DateTime) {{ fact(id: $id, asOf: $at) {{ {FACT_FIELDS} }} }}")
}

fn list_query() -> String {
    list_of(FACT_FIELDS)
}

fn list_of(fields: &str) -> String {
    format!(
        "query($at: DateTime, $filter: FactFilterInput, $order: FactOrderInput, $first: Int, $after: String, \
         $last: Int, $before: String) {{ facts(asOf: $at, filter: $filter, orderBy: $order, first: $first, \
         after: $after, last: $last, before: $before) {{ totalCount nodes {{ {fields} }} \
         pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
    )
}

/// The demo with its editor and reviewer signed in.
struct Desk {
    app: TestApp,
    editor: String,
    reviewer: String,
    russia: String,
    syria: String,
    article: String,
}

impl Desk {
    async fn open(backend: Backend) -> Self {
        // With the response cache on, so every anonymous read below also shows that an "as of"
        // answer is never served for a plain one, nor one moment's for another's.
        let app =
            TestApp::spawn_with(backend, ServeConfig { demo: true, response_cache: true, ..Default::default() }).await;
        let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
        let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
        let (russia, syria, article) =
            (app.actor_id("Russia").await, app.actor_id("Syria").await, app.demo_source_id().await);
        Desk { app, editor, reviewer, russia, syria, article }
    }

    fn input(&self, summary: &str) -> Value {
        visit_input(&self.russia, &self.syria, &self.article, summary)
    }

    /// A new fact submitted for review: (id, version).
    async fn submitted(&self, input: Value) -> (String, i64) {
        let created = self.app.ok_as(&self.editor, CREATE, json!({ "input": input })).await;
        let fact = &created["createFact"]["fact"];
        let id = fact["id"].as_str().unwrap().to_owned();
        let submitted = self.app.ok_as(&self.editor, SUBMIT, json!({ "id": id, "v": fact["version"] })).await;
        (id, submitted["submitFact"]["fact"]["version"].as_i64().unwrap())
    }

    async fn approve(&self, id: &str, version: i64) -> i64 {
        let approved = self.app.ok_as(&self.reviewer, APPROVE, json!({ "id": id, "v": version })).await;
        approved["reviewFact"]["fact"]["version"].as_i64().unwrap()
    }

    /// A new published fact: (id, version).
    async fn published(&self, input: Value) -> (String, i64) {
        let (id, version) = self.submitted(input).await;
        let version = self.approve(&id, version).await;
        (id, version)
    }

    /// A source of its own whose snapshot holds `text`.
    async fn source(&self, text: &str) -> String {
        let input = json!({
            "url": format!("https://example.org/as-of/{}", uuid::Uuid::now_v7().simple()),
            "title": "A second report", "kind": "NEWS_ARTICLE", "snapshot": text,
        });
        let created = "mutation($input: CreateSourceInput!) { createSource(input: $input) { source { id } } }";
        let data = self.app.ok_as(&self.editor, created, json!({ "input": input })).await;
        data["createSource"]["source"]["id"].as_str().unwrap().to_owned()
    }

    /// The moment of the newest entry of the log, as the database stamped it.
    async fn now(&self) -> String {
        self.app.query_ok(HEAD, json!({})).await["historyHead"]["at"].as_str().unwrap().to_owned()
    }

    async fn fact(&self, id: &str, at: Option<&str>) -> Value {
        self.app.query_ok(&fact_query(), json!({ "id": id, "at": at })).await["fact"].clone()
    }

    async fn list(&self, at: Option<&str>, variables: Value) -> Value {
        let mut variables = variables;
        variables["at"] = json!(at);
        self.app.query_ok(&list_query(), variables).await["facts"].clone()
    }
}

fn ids(list: &Value) -> Vec<String> {
    list["nodes"].as_array().unwrap().iter().map(|fact| fact["id"].as_str().unwrap().to_owned()).collect()
}

fn statuses(fact: &Value) -> Vec<(String, Option<String>)> {
    fact["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["status"].as_str().unwrap().to_owned(), c["statusReason"].as_str().map(str::to_owned)))
        .collect()
}

fn actions(fact: &Value) -> Vec<String> {
    fact["history"].as_array().unwrap().iter().map(|step| step["action"].as_str().unwrap().to_owned()).collect()
}

/// The record after a day's work at the desk, and the moment noted before the later changes.
struct Scenario {
    desk: Desk,
    /// The moment noted: after the four facts below were published and one was submitted.
    then: String,
    retracted: String,
    corroborated: String,
    weakened: String,
    corrected: String,
    correction: String,
    published_later: String,
    in_review_then: String,
}

const SECOND_REPORT: &str = "Officials confirmed the delegation reached Damascus on Tuesday, the report said.";
const SECOND_QUOTE: &str = "Officials confirmed the delegation reached Damascus on Tuesday";
const THIRD_REPORT: &str = "A spokesman said talks in Damascus lasted four hours, the agency reported.";
const THIRD_QUOTE: &str = "A spokesman said talks in Damascus lasted four hours";

async fn scenario(backend: Backend) -> Scenario {
    let desk = Desk::open(backend).await;
    let second = desk.source(SECOND_REPORT).await;
    let third = desk.source(THIRD_REPORT).await;
    let (retracted, retracted_v) = desk.published(desk.input("A visit that is retracted later.")).await;
    let (corroborated, _) = desk.published(desk.input("A visit that gains a citation later.")).await;
    let mut two_citations = desk.input("A visit that loses a citation later.");
    two_citations["citations"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "source": second, "quote": SECOND_QUOTE, "attribution": "DIRECT" }));
    let (weakened, _) = desk.published(two_citations).await;
    let (corrected, corrected_v) = desk.published(desk.input("A visit that is corrected later.")).await;
    let (in_review_then, in_review_v) = desk.submitted(desk.input("A visit still in review at the moment.")).await;
    let then = desk.now().await;

    // Everything after the moment noted.
    desk.app.ok_as(&desk.reviewer, RETRACT, json!({ "id": retracted, "v": retracted_v })).await;
    let citation = json!({ "source": third, "quote": THIRD_QUOTE, "attribution": "DIRECT" });
    let proposed = desk
        .app
        .ok_as(&desk.editor, PROPOSE, json!({ "input": { "factId": corroborated, "citation": citation } }))
        .await;
    let proposal = proposed["proposeCitation"]["citation"]["id"].clone();
    desk.app.ok_as(&desk.reviewer, REVIEW_CITATION, json!({ "id": proposal })).await;
    let now = desk.fact(&weakened, None).await;
    let second_citation = now["citations"].as_array().unwrap().iter().find(|c| c["quote"] == SECOND_QUOTE).unwrap();
    desk.app.ok_as(&desk.reviewer, WITHDRAW, json!({ "id": second_citation["id"] })).await;
    let mut fix = desk.input("A visit, as corrected.");
    fix["id"] = json!(corrected);
    fix["expectedVersion"] = json!(corrected_v);
    let draft = desk.app.ok_as(&desk.editor, SUPERSEDE, json!({ "input": fix })).await;
    let correction = draft["supersedeFact"]["fact"]["id"].as_str().unwrap().to_owned();
    let v = draft["supersedeFact"]["fact"]["version"].as_i64().unwrap();
    let submitted = desk.app.ok_as(&desk.editor, SUBMIT, json!({ "id": correction, "v": v })).await;
    desk.approve(&correction, submitted["submitFact"]["fact"]["version"].as_i64().unwrap()).await;
    let (published_later, _) = desk.published(desk.input("A visit published after the moment.")).await;
    desk.approve(&in_review_then, in_review_v).await;
    Scenario { desk, then, retracted, corroborated, weakened, corrected, correction, published_later, in_review_then }
}

async fn one_fact_as_of_a_moment_shows_its_state_then(backend: Backend) {
    let s = scenario(backend).await;
    let (desk, then) = (&s.desk, Some(s.then.as_str()));

    let retracted = desk.fact(&s.retracted, then).await;
    assert_eq!(retracted["status"], "PUBLISHED", "retracted later, published then: {retracted:#}");
    assert!(retracted["retractionReason"].is_null() && retracted["retractedAt"].is_null(), "{retracted:#}");
    assert_eq!(actions(&retracted), ["CREATED", "SUBMITTED", "APPROVED"], "its history up to then");
    let retracted_now = desk.fact(&s.retracted, None).await;
    assert_eq!(retracted_now["status"], "RETRACTED");
    assert_eq!(retracted_now["version"].as_i64().unwrap(), retracted["version"].as_i64().unwrap() + 1);

    let corroborated = desk.fact(&s.corroborated, then).await;
    assert_eq!(statuses(&corroborated), [("ACTIVE".to_owned(), None)], "the citation added later is missing");
    assert_eq!(corroborated["outletCount"], 1, "{corroborated:#}");
    assert_eq!(statuses(&desk.fact(&s.corroborated, None).await).len(), 2);

    let weakened = desk.fact(&s.weakened, then).await;
    let active = ("ACTIVE".to_owned(), None);
    assert_eq!(statuses(&weakened), [active.clone(), active.clone()], "withdrawn later, active then: {weakened:#}");
    let weakened_now = desk.fact(&s.weakened, None).await;
    let withdrawn = ("WITHDRAWN".to_owned(), Some("The report was pulled.".to_owned()));
    assert_eq!(statuses(&weakened_now), [active, withdrawn]);
    let citation_ids = |fact: &Value| -> Vec<Value> {
        fact["citations"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect()
    };
    assert_eq!(citation_ids(&weakened), citation_ids(&weakened_now), "the same citations, by the same ids");

    let corrected = desk.fact(&s.corrected, then).await;
    assert_eq!(corrected["status"], "PUBLISHED", "superseded later, not yet then: {corrected:#}");
    assert!(corrected["supersededBy"].is_null(), "{corrected:#}");
    let corrected_now = desk.fact(&s.corrected, None).await;
    assert_eq!(corrected_now["status"], "SUPERSEDED");
    assert_eq!(corrected_now["supersededBy"]["id"], s.correction.as_str());

    for (absent, why) in [
        (&s.correction, "a correction published later"),
        (&s.published_later, "a fact published later"),
        (&s.in_review_then, "a fact in review then"),
    ] {
        assert!(desk.fact(absent, then).await.is_null(), "{why} is absent");
        assert!(!desk.fact(absent, None).await.is_null(), "{why} is public now");
        // Whoever asks: an "as of" read is the public record, even for the desk.
        let query = fact_query();
        let signed_in = desk.app.ok_as(&desk.reviewer, &query, json!({ "id": absent, "at": then })).await;
        assert!(signed_in["fact"].is_null(), "{why} is absent for a reviewer too");
    }

    // Before the first entry of the log, nothing was public.
    assert!(desk.fact(&s.retracted, Some("2000-01-01T00:00:00Z")).await.is_null());
    // At the moment the correction was published, the old fact already points at it, and the
    // correction at the old fact as it stood then: superseded.
    let correction_now = desk.fact(&s.correction, None).await;
    let published = correction_now["history"].as_array().unwrap().last().unwrap()["at"].as_str().unwrap().to_owned();
    let correction = desk.fact(&s.correction, Some(&published)).await;
    assert_eq!(correction["status"], "PUBLISHED");
    assert_eq!(correction["supersedes"], json!({ "id": s.corrected, "status": "SUPERSEDED" }));
    let old = desk.fact(&s.corrected, Some(&published)).await;
    assert_eq!(old["supersededBy"]["id"], s.correction.as_str());
}

async fn the_list_as_of_a_moment_holds_the_facts_public_then_as_they_stood(backend: Backend) {
    let s = scenario(backend).await;
    let (desk, then) = (&s.desk, Some(s.then.as_str()));
    let all = json!({ "first": 100 });
    let past = desk.list(then, all.clone()).await;
    let present = desk.list(None, all.clone()).await;
    let (past_ids, present_ids) = (ids(&past), ids(&present));
    assert_eq!(past["totalCount"].as_u64().unwrap() as usize, past_ids.len());
    for id in [&s.retracted, &s.corroborated, &s.weakened, &s.corrected] {
        assert!(past_ids.contains(id), "published then: {past:#}");
    }
    for id in [&s.correction, &s.published_later, &s.in_review_then] {
        assert!(!past_ids.contains(id), "not public then");
        assert!(present_ids.contains(id), "public now");
    }
    assert_eq!(past_ids.len() + 3, present_ids.len(), "three facts were published since");
    let in_past = |id: &str| past["nodes"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap().clone();
    assert_eq!(in_past(&s.retracted), desk.fact(&s.retracted, then).await, "the list and one fact agree");
    assert_eq!(in_past(&s.weakened), desk.fact(&s.weakened, then).await);

    // Statuses are those of then: nothing was retracted or superseded yet.
    let by_status = |status: &str| json!({ "first": 100, "filter": { "statuses": [status] } });
    assert_eq!(desk.list(then, by_status("RETRACTED")).await["totalCount"], 0);
    assert_eq!(desk.list(then, by_status("SUPERSEDED")).await["totalCount"], 0);
    assert_eq!(ids(&desk.list(then, by_status("PUBLISHED")).await), past_ids);
    let retracted_now = ids(&desk.list(None, by_status("RETRACTED")).await);
    assert!(retracted_now.contains(&s.retracted));

    // The claim's filters work as they do now.
    let kind = json!({ "first": 100, "filter": { "kinds": ["diplomatic.visit"], "allOf": [desk.russia, desk.syria] } });
    let visits = ids(&desk.list(then, kind.clone()).await);
    assert!(visits.contains(&s.retracted) && !visits.contains(&s.published_later), "{visits:?}");
    let visits_now = ids(&desk.list(None, kind).await);
    assert_eq!(visits.iter().filter(|id| !visits_now.contains(id)).count(), 0, "a subset of today's");

    // Paged forwards and backwards, by either ordering, it is the same list.
    for order in [json!({ "field": "OCCURRED_AT", "direction": "DESC" }), json!({ "field": "PUBLISHED_AT" })] {
        let whole = ids(&desk.list(then, json!({ "first": 100, "order": order })).await);
        let mut forwards = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = desk.list(then, json!({ "first": 2, "after": after, "order": order })).await;
            forwards.extend(ids(&page));
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(forwards, whole, "paged forwards by {order}");
        let last = desk.list(then, json!({ "last": 3, "order": order })).await;
        assert_eq!(ids(&last), whole[whole.len() - 3..], "the last page by {order}");
        let before = last["pageInfo"]["startCursor"].clone();
        let earlier = desk.list(then, json!({ "last": 2, "before": before, "order": order })).await;
        assert_eq!(ids(&earlier), whole[whole.len() - 5..whole.len() - 3], "paged backwards by {order}");
    }

    // Before the first entry: empty. Now, and any moment after the last change: today's record.
    let nothing = desk.list(Some("2000-01-01T00:00:00Z"), all.clone()).await;
    assert_eq!((nothing["totalCount"].clone(), ids(&nothing).len()), (json!(0), 0));
    let now = desk.now().await;
    assert_eq!(desk.list(Some(&now), all.clone()).await, present, "as of now agrees with the plain read");
    assert_eq!(desk.list(Some("2999-01-01T00:00:00+02:00"), all.clone()).await, present, "a future moment too");
    for id in [&s.retracted, &s.correction, &s.weakened] {
        assert_eq!(desk.fact(id, Some(&now)).await, desk.fact(id, None).await);
    }
    // Asked again, each answer comes from the cache, under its own moment.
    assert_eq!(desk.list(then, all.clone()).await, past);
    assert_eq!(desk.list(None, all).await, present);
}

async fn a_page_as_of_a_moment_costs_the_same_statements_at_any_size(backend: Backend) {
    let s = scenario(backend).await;
    // Every part of a fact, as of the moment; `history` aside, which is read per fact in any
    // list (as of a moment or not).
    let query = list_of(&FACT_FIELDS.replace("history { action at }", ""));
    let count = |at: Option<&str>, first: i64| {
        let variables = json!({ "at": at, "first": first });
        let app = &s.desk.app;
        let query = &query;
        async move {
            let (statements, body) = app.statements_for(query, variables).await;
            assert!(body.get("errors").is_none(), "{body:#}");
            (statements, body["data"]["facts"]["nodes"].as_array().unwrap().len())
        }
    };
    let then = Some(s.then.as_str());
    let (small, small_len) = count(then, 2).await;
    let (large, large_len) = count(then, 100).await;
    assert!(large_len > small_len + 2, "a larger page ({small_len} vs {large_len})");
    assert_eq!(small, large, "no statement per fact");
    // Without `supersedes` and `supersededBy`, two more than the same page now: the snapshots
    // and today's citations.
    let query = list_of(
        &FACT_FIELDS
            .replace("history { action at }", "")
            .replace("supersedes { id status }", "")
            .replace("supersededBy { id status version }", ""),
    );
    let (as_of, _) = s.desk.app.statements_for(&query, json!({ "at": then, "first": 100 })).await;
    let (now, _) = s.desk.app.statements_for(&query, json!({ "first": 100 })).await;
    assert_eq!(as_of, now + 2, "the rebuild's statements");
}

/// Runs `query` and checks it was refused as bad input naming exactly `fields`, with nothing
/// changed.
async fn refused(desk: &Desk, query: &str, variables: Value, fields: &[&str]) {
    refused_naming_all(&desk.app, query, variables, fields).await;
}

async fn bad_moments_and_refused_filters_are_named_and_change_nothing(backend: Backend) {
    let desk = Desk::open(backend).await;
    let (fact, _) = desk.published(desk.input("A visit for the bad input.")).await;
    let then = desk.now().await;
    let (list, one) = (list_query(), fact_query());
    for bad in ["yesterday", "2025-02-12", "2025-02-12T10:00:00", "2025-02-30T10:00:00Z", "", "12:00:00Z"] {
        refused(&desk, &list, json!({ "at": bad, "first": 5 }), &["asOf"]).await;
        refused(&desk, &one, json!({ "id": fact, "at": bad }), &["asOf"]).await;
    }
    refused(&desk, &list, json!({ "at": 20250212, "first": 5 }), &["asOf"]).await;
    // Written in the query rather than as a variable, the same.
    refused(&desk, r#"{ facts(asOf: "2025-02-12") { totalCount } }"#, json!({}), &["asOf"]).await;
    refused(&desk, r#"{ fact(id: "x", asOf: "2025-02-12") { id } }"#, json!({}), &["asOf"]).await;

    let with = |filter: Value| json!({ "at": then, "first": 5, "filter": filter });
    refused(&desk, &list, with(json!({ "search": "visit" })), &["filter.search"]).await;
    refused(&desk, &list, with(json!({ "sources": [desk.article] })), &["filter.sources"]).await;
    refused(&desk, &list, with(json!({ "outlets": [desk.russia] })), &["filter.outlets"]).await;
    refused(&desk, &list, with(json!({ "verifiedOnly": true })), &["filter.verifiedOnly"]).await;
    refused(
        &desk,
        &list,
        with(json!({ "search": "visit", "verifiedOnly": true, "sources": [desk.article] })),
        &["filter.search", "filter.verifiedOnly", "filter.sources"],
    )
    .await;
    // `verifiedOnly: false` selects nothing, so it is no refusal; the other arguments' faults are
    // named as without `asOf`.
    let fine = desk.list(Some(&then), with(json!({ "verifiedOnly": false }))).await;
    assert!(ids(&fine).contains(&fact));
    refused(&desk, &list, with(json!({ "statuses": ["DRAFT"] })), &["filter.statuses[0]"]).await;
    refused(&desk, &list, json!({ "at": then, "first": 101 }), &["first"]).await;
    refused(&desk, &list, json!({ "at": then, "first": 5, "after": "not-a-cursor" }), &["after"]).await;
    // The quote of a fact cited as it is now.
    assert_eq!(desk.fact(&fact, Some(&then)).await["citations"][0]["quote"], VISIT_QUOTE);
}

backend_tests!(
    one_fact_as_of_a_moment_shows_its_state_then,
    the_list_as_of_a_moment_holds_the_facts_public_then_as_they_stood,
    a_page_as_of_a_moment_costs_the_same_statements_at_any_size,
    bad_moments_and_refused_filters_are_named_and_change_nothing,
);
