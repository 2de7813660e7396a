//! Every validation rule of the writing mutations (createFact/updateFact, createActor/updateActor,
//! createSource): each refusal is one BAD_USER_INPUT error naming exactly the offending fields by
//! their path in the input, it leaks nothing of the implementation, and it writes nothing. Also
//! what the rules accept: quotes that differ from the snapshot only in typography, and citations
//! of sources without a snapshot (stored unverified).
use crate::support;

use crate::support::{assert_bad_input, single_error, Backend, TestApp, VISIT_QUOTE};
use chancery::demo::ARTICLE;
use chancery::graphql::ids;
use serde_json::{json, Value};

const DRAFT_SUMMARY: &str = "A Russian delegation visited Damascus.";
/// The Wikidata id of the actor each bench creates.
const OBSERVATORY_QID: &str = "Q2382440";

/// Every table a write could touch.
const TABLES: [&str; 10] = [
    "facts",
    "fact_participants",
    "fact_qualifiers",
    "citations",
    "revisions",
    "actors",
    "actor_aliases",
    "sources",
    "idempotency_keys",
    "fact_search_documents",
];

const CREATE_FACT: &str = r#"
mutation($input: CreateFactInput!) {
  createFact(input: $input) {
    fact {
      id version status
      citations { quote verified snapshotStart snapshotEnd source { id hasSnapshot } }
    }
  }
}"#;
const UPDATE_FACT: &str = r#"
mutation($input: UpdateFactInput!) {
  updateFact(input: $input) { fact { id version } }
}"#;
const SUBMIT_FACT: &str =
    "mutation($id: ID!, $v: Int!) { submitFact(input: {id: $id, expectedVersion: $v}) { fact { id status } } }";
const CREATE_ACTOR: &str = r#"
mutation($input: CreateActorInput!) { createActor(input: $input) { actor { id name country wikidataQid aliases } } }"#;
const UPDATE_ACTOR: &str = r#"
mutation($input: UpdateActorInput!) {
  updateActor(input: $input) { actor { id name wikidataQid aliases } }
}"#;
const CREATE_SOURCE: &str = r#"
mutation($input: CreateSourceInput!) {
  createSource(input: $input) { source { id url hasSnapshot } }
}"#;
const DRAFT_STATE: &str = "query($id: ID!) { fact(id: $id) { version summary status } }";
const ACTOR_STATE: &str = "query($id: ID!) { actor(id: $id) { name description country wikidataQid aliases } }";

/// `input` with `fields` added: the id, version read and idempotency key travel inside the input.
fn with_fields(input: &Value, fields: Value) -> Value {
    let mut input = input.clone();
    for (name, value) in fields.as_object().expect("fields are an object") {
        input[name] = value.clone();
    }
    input
}

/// A global id of `type_name` for a record that does not exist.
fn missing(type_name: &str) -> String {
    ids::encode_uuid(type_name, uuid::Uuid::now_v7()).0
}

fn days_from_today(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

/// The demo data, the demo editor's token, a draft to update and an actor to update.
struct Bench {
    app: TestApp,
    editor: String,
    russia: String,
    syria: String,
    washington_post: String,
    source: String,
    draft: String,
    actor: String,
}

impl Bench {
    async fn open(backend: Backend) -> Self {
        let app = TestApp::spawn_with_demo(backend).await;
        let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
        let russia = app.actor_id("Russia").await;
        let syria = app.actor_id("Syria").await;
        let washington_post = app.actor_id("The Washington Post").await;
        let source = app.demo_source_id().await;
        let mut bench =
            Self { app, editor, russia, syria, washington_post, source, draft: String::new(), actor: String::new() };
        let created = bench.app.ok_as(&bench.editor, CREATE_FACT, json!({ "input": bench.visit() })).await;
        bench.draft = created["createFact"]["fact"]["id"].as_str().unwrap().to_owned();
        let mut actor = Self::actor_input();
        actor["wikidataQid"] = json!(OBSERVATORY_QID);
        let actor = bench.app.ok_as(&bench.editor, CREATE_ACTOR, json!({ "input": actor })).await;
        bench.actor = actor["createActor"]["actor"]["id"].as_str().unwrap().to_owned();
        bench
    }

    /// A valid fact: the visit of the brief, cited from the demo article.
    fn visit(&self) -> Value {
        support::visit_input(&self.russia, &self.syria, &self.source, DRAFT_SUMMARY)
    }

    /// The visit with `change` applied.
    fn visit_with(&self, change: impl FnOnce(&mut Value)) -> Value {
        let mut input = self.visit();
        change(&mut input);
        input
    }

    fn citation(&self, quote: &str) -> Value {
        json!({ "source": self.source, "quote": quote, "attribution": "DIRECT" })
    }

    /// A valid actor (without a Wikidata id: the bench's own actor holds it).
    fn actor_input() -> Value {
        json!({
            "name": "Syrian Observatory for Human Rights",
            "description": "Monitoring group based in the United Kingdom.",
            "kind": "ORGANIZATION",
            "country": "GB",
            "aliases": ["SOHR"],
        })
    }

    async fn counts(&self) -> Vec<(&'static str, i64)> {
        let mut counts = Vec::new();
        for table in TABLES {
            counts.push((table, self.app.row_count(table).await));
        }
        counts
    }

    /// Sends a write as the editor that must be refused naming exactly `fields`, writing nothing.
    async fn refused(&self, query: &str, variables: Value, fields: &[&str]) -> Value {
        let before = self.counts().await;
        let body = self.app.graphql_as(&self.editor, query, variables.clone()).await;
        for field in fields {
            assert_bad_input(&body, field);
        }
        let (_, message, mut named) = single_error(&body);
        named.sort();
        named.dedup();
        let mut wanted: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        wanted.sort();
        assert_eq!(named, wanted, "exactly these fields are named ({message}) for {variables:#}");
        assert!(body["data"].is_null(), "{body:#}");
        assert_eq!(self.counts().await, before, "a refused write writes nothing: {variables:#}");
        body
    }

    /// A fact input refused by createFact and by updateFact alike, naming exactly `fields`.
    async fn refuse_fact(&self, input: Value, fields: &[&str]) {
        let draft_before = self.app.ok_as(&self.editor, DRAFT_STATE, json!({ "id": self.draft })).await;
        self.refused(CREATE_FACT, json!({ "input": input }), fields).await;
        let update = with_fields(&input, json!({ "id": self.draft, "expectedVersion": 1 }));
        self.refused(UPDATE_FACT, json!({ "input": update }), fields).await;
        let draft_after = self.app.ok_as(&self.editor, DRAFT_STATE, json!({ "id": self.draft })).await;
        assert_eq!(draft_after, draft_before, "the draft is unchanged");
    }

    /// An actor input refused by createActor and by updateActor alike, naming exactly `fields`.
    async fn refuse_actor(&self, input: Value, fields: &[&str]) {
        let before = self.app.query_ok(ACTOR_STATE, json!({ "id": self.actor })).await;
        self.refused(CREATE_ACTOR, json!({ "input": input }), fields).await;
        let update = with_fields(&input, json!({ "id": self.actor, "expectedVersion": 1 }));
        self.refused(UPDATE_ACTOR, json!({ "input": update }), fields).await;
        assert_eq!(self.app.query_ok(ACTOR_STATE, json!({ "id": self.actor })).await, before, "the actor is unchanged");
    }

    async fn refuse_source(&self, change: impl FnOnce(&mut Value), fields: &[&str]) {
        let mut input = source_input();
        change(&mut input);
        self.refused(CREATE_SOURCE, json!({ "input": input }), fields).await;
    }
}

/// A valid new source.
fn source_input() -> Value {
    json!({
        "url": "https://news.example/2025/02/12/putin-sharaa-call",
        "title": "Putin and al-Sharaa speak by phone",
        "kind": "NEWS_ARTICLE",
        "publishedOn": "2025-02-12",
        "publishedPrecision": "DAY",
        "language": "en",
        "archiveUrl": "https://web.archive.org/web/2025/https://news.example/2025/02/12/putin-sharaa-call",
    })
}

async fn the_valid_inputs_of_these_tests_are_accepted(backend: Backend) {
    // The baseline every refusal below changes one thing of.
    let bench = Bench::open(backend).await;
    let fact = bench.app.ok_as(&bench.editor, CREATE_FACT, json!({ "input": bench.visit() })).await;
    assert_eq!(fact["createFact"]["fact"]["citations"][0]["verified"], true);
    let source = bench.app.ok_as(&bench.editor, CREATE_SOURCE, json!({ "input": source_input() })).await;
    assert_eq!(source["createSource"]["source"]["url"], "https://news.example/2025/02/12/putin-sharaa-call");
    let mut actor = Bench::actor_input();
    actor["name"] = json!("Another Observatory");
    actor["wikidataQid"] = json!("Q1");
    bench.app.ok_as(&bench.editor, CREATE_ACTOR, json!({ "input": actor })).await;
}

async fn an_unknown_kind_is_refused_naming_kind(backend: Backend) {
    let bench = Bench::open(backend).await;
    for kind in ["diplomatic.teleportation", "", "DIPLOMATIC.VISIT", "diplomatic"] {
        bench.refuse_fact(bench.visit_with(|i| i["kind"] = json!(kind)), &["kind"]).await;
    }
}

async fn an_empty_or_overlong_summary_is_refused_naming_summary(backend: Backend) {
    let bench = Bench::open(backend).await;
    for summary in [String::new(), "   \n\t ".to_owned(), "x".repeat(501)] {
        bench.refuse_fact(bench.visit_with(|i| i["summary"] = json!(summary)), &["summary"]).await;
    }
    let longest = bench.visit_with(|i| i["summary"] = json!("x".repeat(500)));
    bench.app.ok_as(&bench.editor, CREATE_FACT, json!({ "input": longest })).await;
}

async fn a_future_date_is_refused_naming_occurred_on(backend: Backend) {
    let bench = Bench::open(backend).await;
    for date in [days_from_today(2), "2999-01-01".to_owned()] {
        let input = bench.visit_with(|i| {
            i["occurredOn"] = json!(date);
            i["occurredPrecision"] = json!("DAY");
        });
        bench.refuse_fact(input, &["occurredOn"]).await;
    }
}

async fn a_month_or_year_date_must_be_the_first_day_of_its_period(backend: Backend) {
    let bench = Bench::open(backend).await;
    for (date, precision) in [("2025-01-15", "MONTH"), ("2025-01-02", "MONTH"), ("2025-02-01", "YEAR")] {
        let input = bench.visit_with(|i| {
            i["occurredOn"] = json!(date);
            i["occurredPrecision"] = json!(precision);
        });
        bench.refuse_fact(input, &["occurredOn"]).await;
    }
}

async fn an_end_before_the_start_is_refused_naming_occurred_until(backend: Backend) {
    let bench = Bench::open(backend).await;
    let input = bench.visit_with(|i| {
        i["occurredOn"] = json!("2025-01-10");
        i["occurredPrecision"] = json!("DAY");
        i["occurredUntil"] = json!("2025-01-05");
    });
    bench.refuse_fact(input, &["occurredUntil"]).await;
}

async fn a_country_that_is_not_an_iso_code_is_refused_naming_country(backend: Backend) {
    let bench = Bench::open(backend).await;
    for country in ["XX", "sy", "SYR", "S", "Syria"] {
        bench.refuse_fact(bench.visit_with(|i| i["country"] = json!(country)), &["country"]).await;
    }
}

async fn a_fact_without_participants_is_refused_naming_participants(backend: Backend) {
    let bench = Bench::open(backend).await;
    bench.refuse_fact(bench.visit_with(|i| i["participants"] = json!([])), &["participants"]).await;
}

async fn an_unknown_actor_is_refused_naming_where_it_appears(backend: Backend) {
    let bench = Bench::open(backend).await;
    let ghost = missing(ids::ACTOR);
    bench
        .refuse_fact(bench.visit_with(|i| i["participants"][0]["actor"] = json!(ghost)), &["participants[0].actor"])
        .await;
    let input = bench.visit_with(|i| {
        i["citations"][0]["attribution"] = json!("RELAYED");
        i["citations"][0]["attributedTo"] = json!(ghost);
        i["citations"][0]["relayedFrom"] = json!(missing(ids::ACTOR));
    });
    bench.refuse_fact(input, &["citations[0].attributedTo", "citations[0].relayedFrom"]).await;
}

async fn a_role_the_kind_does_not_admit_is_refused_naming_the_role(backend: Backend) {
    let bench = Bench::open(backend).await;
    let pledge = json!({
        "kind": "aid.pledge",
        "summary": "Russia pledged humanitarian assistance to Syria.",
        "modality": "INTENDED",
        "occurredOn": "2025-02-12",
        "occurredPrecision": "DAY",
        "participants": [
            { "actor": bench.russia, "role": "MEDIATOR" },
            { "actor": bench.syria, "role": "OBJECT" },
        ],
        "qualifiers": [{ "key": "aid_type", "value": "humanitarian assistance" }],
        "citations": [bench.citation("including through providing humanitarian assistance to its people")],
    });
    bench.refuse_fact(pledge.clone(), &["participants[0].role"]).await;
    let body = bench.app.graphql_as(&bench.editor, CREATE_FACT, json!({ "input": pledge })).await;
    let message = body["errors"][0]["extensions"]["fields"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("SUBJECT") && message.contains("SPEAKER"), "names the roles it admits: {message}");
}

async fn a_participant_listed_twice_in_one_role_is_refused_naming_the_second(backend: Backend) {
    let bench = Bench::open(backend).await;
    let input = bench.visit_with(|i| {
        i["participants"] = json!([
            { "actor": bench.russia, "role": "SUBJECT" },
            { "actor": bench.russia, "role": "SUBJECT", "title": "again" },
            { "actor": bench.syria, "role": "OBJECT" },
        ])
    });
    bench.refuse_fact(input, &["participants[1]"]).await;
}

async fn a_qualifier_the_kind_does_not_allow_is_refused_naming_its_key(backend: Backend) {
    let bench = Bench::open(backend).await;
    let input = bench.visit_with(|i| i["qualifiers"] = json!([{ "key": "facility", "value": "naval base" }]));
    bench.refuse_fact(input, &["qualifiers[0].key"]).await;
}

async fn a_missing_required_qualifier_is_refused_naming_qualifiers(backend: Backend) {
    let bench = Bench::open(backend).await;
    let basing = json!({
        "kind": "military.basing_access",
        "summary": "Syria offered Russia continued use of its bases.",
        "modality": "CONDITIONAL",
        "occurredOn": "2025-02-01",
        "occurredPrecision": "MONTH",
        "participants": [
            { "actor": bench.syria, "role": "SUBJECT" },
            { "actor": bench.russia, "role": "OBJECT" },
        ],
        "qualifiers": [{ "key": "condition", "value": "provided it serves the Arab nation's interests" }],
        "citations": [bench.citation("willing to allow Russia to keep its naval and air bases on Syrian soil")],
    });
    bench.refuse_fact(basing.clone(), &["qualifiers"]).await;
    let mut complete = basing;
    complete["qualifiers"].as_array_mut().unwrap().push(json!({ "key": "facility", "value": "naval base" }));
    bench.app.ok_as(&bench.editor, CREATE_FACT, json!({ "input": complete })).await;
}

async fn an_empty_qualifier_value_is_refused_naming_the_value(backend: Backend) {
    let bench = Bench::open(backend).await;
    for value in ["", "   "] {
        let input = bench.visit_with(|i| i["qualifiers"] = json!([{ "key": "location", "value": value }]));
        bench.refuse_fact(input, &["qualifiers[0].value"]).await;
    }
}

async fn an_unknown_source_is_refused_naming_the_citation_source(backend: Backend) {
    let bench = Bench::open(backend).await;
    let input = bench.visit_with(|i| i["citations"][0]["source"] = json!(missing(ids::SOURCE)));
    bench.refuse_fact(input, &["citations[0].source"]).await;
}

async fn an_empty_quote_is_refused_naming_the_quote(backend: Backend) {
    let bench = Bench::open(backend).await;
    for quote in ["", " \n "] {
        bench
            .refuse_fact(bench.visit_with(|i| i["citations"][0]["quote"] = json!(quote)), &["citations[0].quote"])
            .await;
    }
}

async fn a_quote_not_in_the_snapshot_is_refused_naming_that_quote(backend: Backend) {
    let bench = Bench::open(backend).await;
    for altered in [
        "Moscow opposes Syria's unity, sovereignty, and territorial integrity",
        "It followed the first Russian military visit to Syria",
        "the Kremlin announced on Thursday",
    ] {
        let input = bench.visit_with(|i| {
            i["citations"] = json!([bench.citation(VISIT_QUOTE), bench.citation(altered)]);
        });
        bench.refuse_fact(input, &["citations[1].quote"]).await;
    }
}

async fn relayed_from_on_a_direct_citation_is_refused(backend: Backend) {
    let bench = Bench::open(backend).await;
    let input = bench.visit_with(|i| i["citations"][0]["relayedFrom"] = json!(bench.washington_post));
    bench.refuse_fact(input, &["citations[0].relayedFrom"]).await;
    let relayed = bench.visit_with(|i| {
        i["citations"][0]["attribution"] = json!("RELAYED");
        i["citations"][0]["relayedFrom"] = json!(bench.washington_post);
    });
    bench.app.ok_as(&bench.editor, CREATE_FACT, json!({ "input": relayed })).await;
}

async fn the_same_quote_of_the_same_source_twice_is_refused_naming_the_second(backend: Backend) {
    let bench = Bench::open(backend).await;
    let curly = "Moscow supports Syria\u{2019}s unity, sovereignty, and territorial integrity";
    let straight = "Moscow  supports Syria's unity,\nsovereignty, and territorial integrity ";
    for (first, second) in [(VISIT_QUOTE, VISIT_QUOTE), (curly, straight)] {
        let input = bench.visit_with(|i| i["citations"] = json!([bench.citation(first), bench.citation(second)]));
        bench.refuse_fact(input, &["citations[1]"]).await;
    }
}

async fn malformed_ids_are_refused_naming_their_fields(backend: Backend) {
    let bench = Bench::open(backend).await;
    let input = bench.visit_with(|i| {
        i["participants"][0]["actor"] = json!("garbage");
        i["citations"][0]["source"] = json!("garbage");
    });
    bench.refuse_fact(input, &["participants[0].actor", "citations[0].source"]).await;
    // Ids of the wrong type are no better.
    let input = bench.visit_with(|i| {
        i["participants"][1]["actor"] = json!(bench.source);
        i["citations"][0]["source"] = json!(bench.russia);
        i["citations"][0]["attributedTo"] = json!(bench.draft);
    });
    bench.refuse_fact(input, &["participants[1].actor", "citations[0].source", "citations[0].attributedTo"]).await;
}

async fn every_violation_of_one_request_is_reported_together(backend: Backend) {
    let bench = Bench::open(backend).await;
    let input = bench.visit_with(|i| {
        i["summary"] = json!("");
        i["occurredOn"] = json!("2999-01-01");
        i["occurredPrecision"] = json!("DAY");
        i["country"] = json!("XX");
        i["participants"][0]["actor"] = json!(missing(ids::ACTOR));
        i["participants"][1]["role"] = json!("MEDIATOR");
        i["qualifiers"] = json!([{ "key": "facility", "value": "" }]);
        i["citations"] = json!([bench.citation("Not in the article at all."), bench.citation("")]);
    });
    bench
        .refuse_fact(
            input,
            &[
                "summary",
                "occurredOn",
                "country",
                "participants[0].actor",
                "participants[1].role",
                "qualifiers[0].key",
                "qualifiers[0].value",
                "citations[0].quote",
                "citations[1].quote",
            ],
        )
        .await;
}

async fn malformed_ids_are_reported_together_with_the_other_violations(backend: Backend) {
    // Every violation of a request is reported at once; a malformed id should not hide the rest.
    let bench = Bench::open(backend).await;
    let input = bench.visit_with(|i| {
        i["summary"] = json!("");
        i["participants"][0]["actor"] = json!("garbage");
    });
    bench.refuse_fact(input, &["summary", "participants[0].actor"]).await;
    // The same holds for a source's outlet.
    bench
        .refuse_source(
            |i| {
                i["title"] = json!("");
                i["outlet"] = json!("garbage");
            },
            &["title", "outlet"],
        )
        .await;
}

/// Character offsets of `passage` in the demo article.
fn offsets_in_article(passage: &str) -> (usize, usize) {
    let byte = ARTICLE.find(passage).unwrap_or_else(|| panic!("the article contains {passage}"));
    let start = ARTICLE[..byte].chars().count();
    (start, start + passage.chars().count())
}

async fn a_quote_differing_only_in_quote_marks_dashes_and_white_space_is_verified(backend: Backend) {
    let bench = Bench::open(backend).await;
    let cases = [
        (
            // The article has curly quotes and a hyphen; the editor typed straight quotes, an en
            // dash and broke the line.
            "The sides have had a \"constructive, business\u{2013}like\"  phone\nconversation, Moscow has said",
            "The sides have had a \u{201C}constructive, business-like\u{201D} phone conversation, Moscow has said",
        ),
        (
            "Moscow supports Syria's unity, sovereignty, and territorial integrity",
            "Moscow supports Syria\u{2019}s unity, sovereignty, and territorial integrity",
        ),
        ("Putin talks to new Syrian leadership - Kremlin", "Putin talks to new Syrian leadership \u{2013} Kremlin"),
    ];
    let citations: Vec<Value> = cases.iter().map(|(typed, _)| bench.citation(typed)).collect();
    let input = bench.visit_with(|i| i["citations"] = json!(citations));
    let data = bench.app.ok_as(&bench.editor, CREATE_FACT, json!({ "input": input })).await;
    for (index, (typed, original)) in cases.iter().enumerate() {
        let citation = &data["createFact"]["fact"]["citations"][index];
        assert_eq!(citation["verified"], true, "{typed}: {citation:#}");
        let (start, end) = offsets_in_article(original);
        assert_eq!(citation["snapshotStart"], start, "{typed}");
        assert_eq!(citation["snapshotEnd"], end, "{typed}");
    }
}

async fn a_citation_of_a_source_without_a_snapshot_is_stored_unverified(backend: Backend) {
    let bench = Bench::open(backend).await;
    for (url, snapshot) in
        [("https://news.example/no-snapshot", Value::Null), ("https://news.example/blank", json!("  \n"))]
    {
        let mut input = source_input();
        input["url"] = json!(url);
        input["snapshot"] = snapshot;
        let source = bench.app.ok_as(&bench.editor, CREATE_SOURCE, json!({ "input": input })).await;
        assert_eq!(source["createSource"]["source"]["hasSnapshot"], false);
        let source_id = source["createSource"]["source"]["id"].as_str().unwrap().to_owned();

        let fact = bench.visit_with(|i| {
            i["citations"] =
                json!([{ "source": source_id, "quote": "Words nobody can check yet.", "attribution": "DIRECT" }]);
        });
        let data = bench.app.ok_as(&bench.editor, CREATE_FACT, json!({ "input": fact })).await;
        let citation = &data["createFact"]["fact"]["citations"][0];
        assert_eq!(citation["verified"], false, "{citation:#}");
        assert!(citation["snapshotStart"].is_null() && citation["snapshotEnd"].is_null(), "{citation:#}");
        assert_eq!(citation["source"]["hasSnapshot"], false);
        let id = data["createFact"]["fact"]["id"].as_str().unwrap();
        let submitted = bench.app.ok_as(&bench.editor, SUBMIT_FACT, json!({ "id": id, "v": 1 })).await;
        assert_eq!(submitted["submitFact"]["fact"]["status"], "IN_REVIEW", "an unverified citation still counts");
    }
}

async fn a_malformed_idempotency_key_is_refused_naming_it(backend: Backend) {
    let bench = Bench::open(backend).await;
    for key in [String::new(), "   ".to_owned(), "k".repeat(201), "line\nbreak".to_owned()] {
        let fact = with_fields(&bench.visit(), json!({ "idempotencyKey": key }));
        bench.refused(CREATE_FACT, json!({ "input": fact }), &["idempotencyKey"]).await;
        let source = with_fields(&source_input(), json!({ "idempotencyKey": key }));
        bench.refused(CREATE_SOURCE, json!({ "input": source }), &["idempotencyKey"]).await;
    }
}

async fn an_actor_needs_a_name(backend: Backend) {
    let bench = Bench::open(backend).await;
    for name in [String::new(), "  ".to_owned(), "n".repeat(201)] {
        let mut input = Bench::actor_input();
        input["name"] = json!(name);
        bench.refuse_actor(input, &["name"]).await;
    }
}

async fn a_malformed_wikidata_id_is_refused(backend: Backend) {
    let bench = Bench::open(backend).await;
    for qid in ["858", "Q0", "Qabc", "Q", "q858", "Q0858", "Q-1", "Q1234567890123"] {
        let mut input = Bench::actor_input();
        input["wikidataQid"] = json!(qid);
        bench.refuse_actor(input, &["wikidataQid"]).await;
    }
}

async fn a_wikidata_id_of_another_actor_is_refused(backend: Backend) {
    let bench = Bench::open(backend).await;
    for qid in ["Q858", " Q858 "] {
        let mut input = Bench::actor_input();
        input["wikidataQid"] = json!(qid);
        bench.refuse_actor(input, &["wikidataQid"]).await;
    }
    // An actor keeps its own id when it is updated.
    let mut own = Bench::actor_input();
    own["description"] = json!("Monitoring group based in Coventry.");
    own["wikidataQid"] = json!(OBSERVATORY_QID);
    let own = with_fields(&own, json!({ "id": bench.actor, "expectedVersion": 1 }));
    let updated = bench.app.ok_as(&bench.editor, UPDATE_ACTOR, json!({ "input": own })).await;
    assert_eq!(updated["updateActor"]["actor"]["wikidataQid"], OBSERVATORY_QID);
    // And no other actor can take it.
    let mut taken = Bench::actor_input();
    taken["name"] = json!("Impostor");
    taken["wikidataQid"] = json!(OBSERVATORY_QID);
    bench.refused(CREATE_ACTOR, json!({ "input": taken }), &["wikidataQid"]).await;
}

async fn an_actor_country_must_be_an_iso_code(backend: Backend) {
    let bench = Bench::open(backend).await;
    for country in ["XX", "sy", "SYR", "UK"] {
        let mut input = Bench::actor_input();
        input["country"] = json!(country);
        bench.refuse_actor(input, &["country"]).await;
    }
}

async fn a_repeated_alias_is_refused_naming_it(backend: Backend) {
    let bench = Bench::open(backend).await;
    let mut twice = Bench::actor_input();
    twice["aliases"] = json!(["SOHR", "sohr"]);
    bench.refuse_actor(twice, &["aliases[1]"]).await;
    let mut name = Bench::actor_input();
    name["aliases"] = json!(["SOHR", " syrian observatory for human rights "]);
    bench.refuse_actor(name, &["aliases[1]"]).await;
    let mut empty = Bench::actor_input();
    empty["aliases"] = json!(["", "SOHR"]);
    bench.refuse_actor(empty, &["aliases[0]"]).await;
}

async fn a_source_url_must_be_http_or_https(backend: Backend) {
    let bench = Bench::open(backend).await;
    for url in ["ftp://news.example/a.txt", "javascript:alert(1)", "not a url", "", "file:///etc/passwd", "https://"] {
        bench.refuse_source(|i| i["url"] = json!(url), &["url"]).await;
    }
}

async fn a_source_needs_a_title(backend: Backend) {
    let bench = Bench::open(backend).await;
    for title in [String::new(), "  ".to_owned(), "t".repeat(501)] {
        bench.refuse_source(|i| i["title"] = json!(title), &["title"]).await;
    }
}

async fn a_published_date_and_its_precision_go_together(backend: Backend) {
    let bench = Bench::open(backend).await;
    bench.refuse_source(|i| i["publishedPrecision"] = Value::Null, &["publishedPrecision"]).await;
    bench.refuse_source(|i| i["publishedOn"] = Value::Null, &["publishedPrecision"]).await;
}

async fn a_source_cannot_be_published_or_retrieved_in_the_future(backend: Backend) {
    let bench = Bench::open(backend).await;
    bench.refuse_source(|i| i["publishedOn"] = json!(days_from_today(2)), &["publishedOn"]).await;
    bench
        .refuse_source(
            |i| {
                i["publishedOn"] = json!("2025-02-12");
                i["publishedPrecision"] = json!("MONTH");
            },
            &["publishedOn"],
        )
        .await;
    bench.refuse_source(|i| i["retrievedAt"] = json!("2999-01-01T00:00:00Z"), &["retrievedAt"]).await;
}

async fn a_source_language_must_be_a_language_tag(backend: Backend) {
    let bench = Bench::open(backend).await;
    for language in ["english", "EN", "e", "en_US", "en-", "ar-!!"] {
        bench.refuse_source(|i| i["language"] = json!(language), &["language"]).await;
    }
}

async fn an_archive_url_must_be_http_or_https(backend: Backend) {
    let bench = Bench::open(backend).await;
    for url in ["ftp://archive.example/x", "javascript:alert(1)", "archive"] {
        bench.refuse_source(|i| i["archiveUrl"] = json!(url), &["archiveUrl"]).await;
    }
}

async fn an_unknown_outlet_is_refused(backend: Backend) {
    let bench = Bench::open(backend).await;
    let source = bench.source.clone();
    for outlet in [missing(ids::ACTOR), "garbage".to_owned(), source] {
        bench.refuse_source(|i| i["outlet"] = json!(outlet), &["outlet"]).await;
    }
}

async fn writes_without_a_valid_token_are_unauthenticated_and_write_nothing(backend: Backend) {
    let bench = Bench::open(backend).await;
    let published = bench.app.query_ok("{ facts(first: 1) { nodes { id version } } }", json!({})).await["facts"]
        ["nodes"][0]
        .clone();
    let writes = [
        (CREATE_FACT, json!({ "input": bench.visit() })),
        (UPDATE_FACT, json!({ "input": with_fields(&bench.visit(), json!({ "id": bench.draft, "expectedVersion": 1 })) })),
        (SUBMIT_FACT, json!({ "id": bench.draft, "v": 1 })),
        (
            "mutation($id: ID!) { reviewFact(input: {id: $id, expectedVersion: 1, decision: APPROVE}) { fact { id } } }",
            json!({ "id": bench.draft }),
        ),
        (
            "mutation($id: ID!, $v: Int!) { retractFact(input: {id: $id, expectedVersion: $v, reason: \"r\"}) { fact { id } } }",
            json!({ "id": published["id"], "v": published["version"] }),
        ),
        (
            "mutation($input: SupersedeFactInput!) { supersedeFact(input: $input) { fact { id } } }",
            json!({ "input": with_fields(&bench.visit(), json!({ "id": published["id"], "expectedVersion": published["version"] })) }),
        ),
        (
            "mutation($id: ID!) { deleteDraft(input: {id: $id, expectedVersion: 1}) { deletedFactId } }",
            json!({ "id": bench.draft }),
        ),
        (CREATE_ACTOR, json!({ "input": { "name": "Nobody", "kind": "PERSON" } })),
        (UPDATE_ACTOR, json!({ "input": with_fields(&Bench::actor_input(), json!({ "id": bench.actor, "expectedVersion": 1 })) })),
        (CREATE_SOURCE, json!({ "input": source_input() })),
    ];
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    for (query, variables) in writes {
        for token in [None, Some(forged), Some("not-a-jwt")] {
            let before = bench.counts().await;
            let body = match token {
                Some(token) => bench.app.graphql_as(token, query, variables.clone()).await,
                None => bench.app.graphql(query, variables.clone()).await,
            };
            let (code, _, _) = single_error(&body);
            assert_eq!(code, "UNAUTHENTICATED", "{query} with {token:?}: {body:#}");
            assert!(body["data"].is_null(), "{body:#}");
            assert_eq!(bench.counts().await, before, "{query}: nothing is written");
        }
    }
}

backend_tests!(
    the_valid_inputs_of_these_tests_are_accepted,
    an_unknown_kind_is_refused_naming_kind,
    an_empty_or_overlong_summary_is_refused_naming_summary,
    a_future_date_is_refused_naming_occurred_on,
    a_month_or_year_date_must_be_the_first_day_of_its_period,
    an_end_before_the_start_is_refused_naming_occurred_until,
    a_country_that_is_not_an_iso_code_is_refused_naming_country,
    a_fact_without_participants_is_refused_naming_participants,
    an_unknown_actor_is_refused_naming_where_it_appears,
    a_role_the_kind_does_not_admit_is_refused_naming_the_role,
    a_participant_listed_twice_in_one_role_is_refused_naming_the_second,
    a_qualifier_the_kind_does_not_allow_is_refused_naming_its_key,
    a_missing_required_qualifier_is_refused_naming_qualifiers,
    an_empty_qualifier_value_is_refused_naming_the_value,
    an_unknown_source_is_refused_naming_the_citation_source,
    an_empty_quote_is_refused_naming_the_quote,
    a_quote_not_in_the_snapshot_is_refused_naming_that_quote,
    relayed_from_on_a_direct_citation_is_refused,
    the_same_quote_of_the_same_source_twice_is_refused_naming_the_second,
    malformed_ids_are_refused_naming_their_fields,
    every_violation_of_one_request_is_reported_together,
    a_quote_differing_only_in_quote_marks_dashes_and_white_space_is_verified,
    a_citation_of_a_source_without_a_snapshot_is_stored_unverified,
    a_malformed_idempotency_key_is_refused_naming_it,
    an_actor_needs_a_name,
    a_malformed_wikidata_id_is_refused,
    a_wikidata_id_of_another_actor_is_refused,
    an_actor_country_must_be_an_iso_code,
    a_repeated_alias_is_refused_naming_it,
    a_source_url_must_be_http_or_https,
    a_source_needs_a_title,
    a_published_date_and_its_precision_go_together,
    a_source_cannot_be_published_or_retrieved_in_the_future,
    a_source_language_must_be_a_language_tag,
    an_archive_url_must_be_http_or_https,
    an_unknown_outlet_is_refused,
    writes_without_a_valid_token_are_unauthenticated_and_write_nothing,
    malformed_ids_are_reported_together_with_the_other_violations,
);
