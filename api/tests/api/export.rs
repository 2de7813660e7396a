//! The bulk exports (`/export/facts.ndjson`, `.csv`, `.jsonld`): the public record and nothing
//! else, increments since a feed cursor, conditional requests, gzip, bad parameters, and a
//! record larger than one batch exported whole.
use std::collections::HashSet;
use std::io::Read;

use crate::support::{self, Backend, TestApp};
use chancery::domain::export::{ExportReader, ExportScope};
use chancery::graphql::ids;
use serde_json::{json, Value};

const CREATE_FACT: &str = "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id version } } }";
const APPROVE_FACT: &str = "mutation($id: ID!, $v: Int!) { reviewFact(input: {id: $id, expectedVersion: $v, \
     decision: APPROVE}) { fact { id status version } } }";
const RETRACT_FACT: &str = "mutation($id: ID!, $v: Int!) { retractFact(input: {id: $id, expectedVersion: $v, \
     reason: \"The visit did not take place.\"}) { fact { id version } } }";

/// What one GET of an export answered.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|value| value.to_str().unwrap().to_owned())
    }

    fn lines(&self) -> Vec<Value> {
        self.body.lines().map(|line| serde_json::from_str(line).expect("every line is JSON")).collect()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = app.client.get(format!("{}{path}", app.base_url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).expect("valid gzip");
        text
    } else {
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    Answer { status, headers, body }
}

/// A fact with `summary`, published by the demo reviewer: (global id, version).
pub async fn published_fact(app: &TestApp, summary: &str) -> (String, i64) {
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
    let (id, version) = support::submitted_fact(app, &editor, summary).await;
    let approved = app.ok_as(&reviewer, APPROVE_FACT, json!({ "id": id, "v": version })).await;
    (id, approved["reviewFact"]["fact"]["version"].as_i64().unwrap())
}

async fn retract(app: &TestApp, id: &str, version: i64) {
    let reviewer = app.login("reviewer@demo.chancery", "demo-reviewer-password").await;
    app.ok_as(&reviewer, RETRACT_FACT, json!({ "id": id, "v": version })).await;
}

fn ids(lines: &[Value]) -> Vec<String> {
    lines.iter().map(|line| line["id"].as_str().unwrap().to_owned()).collect()
}

async fn the_ndjson_export_holds_the_public_record_with_its_parts_and_nobody_who_wrote_it(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    // A draft and a fact in review are not public.
    let input = support::visit_input(
        &app.actor_id("Russia").await,
        &app.actor_id("Syria").await,
        &app.demo_source_id().await,
        "A draft visit nobody outside sees.",
    );
    app.ok_as(&editor, CREATE_FACT, json!({ "input": input })).await;
    let (in_review, _) = support::submitted_fact(&app, &editor, "A visit waiting for its reviewer.").await;
    let (retracted, version) = published_fact(&app, "A visit that was published, then retracted.").await;
    retract(&app, &retracted, version).await;

    let export = get(&app, "/export/facts.ndjson", &[]).await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert_eq!(export.header("content-type").unwrap(), "application/x-ndjson; charset=utf-8");
    let lines = export.lines();
    let public = app.query_ok("{ facts(first: 100) { totalCount nodes { id status } } }", json!({})).await;
    let expected: HashSet<String> = public["facts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(public["facts"]["totalCount"], 11, "the demo's ten and the retracted one");
    assert_eq!(ids(&lines).into_iter().collect::<HashSet<_>>(), expected, "exactly the public facts");
    assert_eq!(lines.len(), expected.len(), "each once");
    assert!(!ids(&lines).contains(&in_review));
    assert!(!export.body.contains("draft visit"), "no draft");

    let gone = lines.iter().find(|line| line["id"] == retracted.as_str()).unwrap();
    assert_eq!(gone["status"], "RETRACTED");
    assert_eq!(gone["retractionReason"], "The visit did not take place.");
    assert_eq!(gone["kind"], "diplomatic.visit");
    assert_eq!(gone["occurred"], json!({ "date": "2025-01-01", "precision": "MONTH" }));
    assert_eq!(gone["participants"][0]["role"], "SUBJECT");
    assert_eq!(gone["participants"][0]["actor"]["name"], "Russia");
    assert_eq!(gone["participants"][1]["actor"]["name"], "Syria");
    assert_eq!(gone["qualifiers"], json!([{ "key": "location", "value": "Damascus" }]));
    let citation = &gone["citations"][0];
    assert_eq!(citation["quote"], support::VISIT_QUOTE);
    assert_eq!(citation["status"], "ACTIVE");
    assert_eq!(citation["verified"], true);
    assert_eq!(citation["source"]["url"], support::DEMO_SOURCE_URL);
    assert_eq!(citation["source"]["outlet"]["name"], "RT");

    // The same fact as GraphQL shows it to the public.
    let node = app
        .query_ok(
            "query($id: ID!) { node(id: $id) { ... on Fact { summary version citations { id quote } } } }",
            json!({ "id": retracted }),
        )
        .await;
    assert_eq!(gone["summary"], node["node"]["summary"]);
    assert_eq!(gone["version"], node["node"]["version"]);
    assert_eq!(gone["citations"][0]["id"], node["node"]["citations"][0]["id"]);

    for secret in ["editor@demo.chancery", "reviewer@demo.chancery", "Demo Editor", "Demo Reviewer"] {
        assert!(!export.body.contains(secret), "the export names nobody: {secret}");
    }
    for key in ["createdBy", "reviewedBy", "lastEditedBy", "proposedBy", "decidedBy", "snapshot\""] {
        assert!(!export.body.contains(key), "no {key} in the export");
    }
}

async fn an_export_since_a_cursor_holds_only_the_facts_touched_after_it(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let first = get(&app, "/export/facts.ndjson", &[]).await;
    assert_eq!(first.lines().len(), 10);
    let cursor = first.header("chancery-feed-cursor").expect("the export says where to continue");
    // The header is the feed's cursor at its head: the same as `Query.changes` ends with.
    let feed = app.query_ok("{ changes(first: 100) { pageInfo { endCursor } } }", json!({})).await;
    assert_eq!(feed["changes"]["pageInfo"]["endCursor"], cursor.as_str());

    let unchanged = get(&app, &format!("/export/facts.ndjson?since={cursor}"), &[]).await;
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.body, "", "nothing public happened since");
    assert_eq!(unchanged.header("chancery-feed-cursor").unwrap(), cursor, "the head has not moved");

    let (published, version) = published_fact(&app, "A visit published after the first pull.").await;
    let next = get(&app, &format!("/export/facts.ndjson?since={cursor}"), &[]).await;
    assert_eq!(ids(&next.lines()), std::slice::from_ref(&published));
    assert_eq!(next.lines()[0]["status"], "PUBLISHED");
    let cursor2 = next.header("chancery-feed-cursor").unwrap();
    assert_ne!(cursor2, cursor);

    retract(&app, &published, version).await;
    let after_retraction = get(&app, &format!("/export/facts.ndjson?since={cursor2}"), &[]).await;
    let lines = after_retraction.lines();
    assert_eq!(ids(&lines), std::slice::from_ref(&published), "a retraction reaches the consumer");
    assert_eq!(lines[0]["status"], "RETRACTED");
    // From the first cursor, the fact appears once, in its current state.
    let both = get(&app, &format!("/export/facts.ndjson?since={cursor}"), &[]).await;
    assert_eq!(ids(&both.lines()), std::slice::from_ref(&published));
    assert_eq!(both.lines()[0]["status"], "RETRACTED");
    let head = after_retraction.header("chancery-feed-cursor").unwrap();
    assert_eq!(get(&app, &format!("/export/facts.csv?since={head}"), &[]).await.body.lines().count(), 1, "the header");

    // A changed source that public facts cite touches every fact citing it.
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let source = app.demo_source_id().await;
    app.ok_as(
        &editor,
        "mutation($id: ID!) { updateSource(input: {id: $id, expectedVersion: 1, title: \"Putin talks to Syria\"}) \
         { source { id } } }",
        json!({ "id": source }),
    )
    .await;
    let touched = get(&app, &format!("/export/facts.ndjson?since={head}"), &[]).await;
    let lines = touched.lines();
    assert_eq!(lines.len(), 11, "every public fact cites the demo source: {}", touched.body);
    assert!(lines.iter().all(|line| line["citations"][0]["source"]["title"] == "Putin talks to Syria"));
}

/// Splits RFC 4180 text into records of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "records end with CRLF"),
            (false, '\n') => panic!("a bare LF outside quotes"),
            (false, c) => field.push(c),
        }
        if !quoted && c == '\r' {
            record.push(std::mem::take(&mut field));
            records.push(std::mem::take(&mut record));
        }
    }
    assert!(field.is_empty() && record.is_empty(), "the text ends with a full record");
    records
}

async fn the_csv_export_is_rfc_4180_with_formulas_defused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let summary = "=HYPERLINK(\"http://evil.example\", \"click\"), a \"visit\" in two\nlines.";
    let (id, _) = published_fact(&app, summary).await;
    let export = get(&app, "/export/facts.csv", &[]).await;
    assert_eq!(export.status, 200);
    assert!(export.header("content-type").unwrap().starts_with("text/csv"));
    let records = parse_csv(&export.body);
    let header = &records[0];
    assert_eq!(header[..6], ["id", "kind", "category", "cameo_code", "event_date", "date_precision"]);
    assert_eq!(records.len(), 12, "a header and the eleven public facts");
    assert!(records.iter().all(|record| record.len() == header.len()), "every row has every column");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = records.iter().find(|record| record[0] == id).expect("the new fact's row");
    let summary_cell = &row[column("summary")];
    if summary_cell != &format!("'{summary}") {
        // Summaries may be normalized on write; what matters is that the cell is text.
        assert!(summary_cell.starts_with("'="), "{summary_cell:?}");
    }
    assert_eq!(row[column("kind")], "diplomatic.visit");
    assert_eq!(row[column("subjects")], "Russia");
    assert_eq!(row[column("objects")], "Syria");
    assert_eq!(row[column("outlet_count")], "1");
    assert_eq!(row[column("source_urls")], support::DEMO_SOURCE_URL);
    assert_eq!(row[column("event_date")], "2025-01-01");
    assert_eq!(row[column("date_precision")], "MONTH");
    let phone_call = records.iter().find(|record| record[column("kind")] == "diplomatic.phone_call").unwrap();
    assert!(!phone_call[column("cameo_code")].is_empty(), "CAMEO codes where the kind has one");
    for record in &records[1..] {
        for cell in record {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "no cell a spreadsheet would run: {cell:?}");
        }
    }
}

async fn the_jsonld_export_carries_the_context_the_server_serves(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let context = get(&app, "/export/context.jsonld", &[]).await;
    assert_eq!(context.status, 200);
    assert!(context.header("content-type").unwrap().starts_with("application/ld+json"));
    let context = context.json();
    assert_eq!(context["@context"]["prov"], "http://www.w3.org/ns/prov#");
    assert_eq!(context["@context"]["schema"], "https://schema.org/");

    let export = get(&app, "/export/facts.jsonld", &[]).await;
    assert!(export.header("content-type").unwrap().starts_with("application/ld+json"));
    let document = export.json();
    assert_eq!(document["@context"], context["@context"], "the context is embedded: nothing to fetch");
    let graph = document["@graph"].as_array().unwrap();
    assert_eq!(graph.len(), 10);
    let ndjson = get(&app, "/export/facts.ndjson", &[]).await.lines();
    for (node, line) in graph.iter().zip(&ndjson) {
        assert_eq!(node["id"], line["id"], "the same facts in the same order");
        assert!(node["@id"].as_str().unwrap().starts_with("urn:uuid:"));
        assert!(node["@type"].as_array().unwrap().contains(&json!("prov:Entity")));
        let citation = &node["citations"][0];
        assert!(citation["@type"].as_array().unwrap().contains(&json!("prov:Derivation")));
        assert!(citation["source"]["@type"].as_array().unwrap().contains(&json!("schema:CreativeWork")));
        // Every key the node uses is a term of the context (or a keyword), so nothing is dropped.
        let terms = context["@context"].as_object().unwrap();
        for key in node.as_object().unwrap().keys() {
            assert!(key.starts_with('@') || terms.contains_key(key), "`{key}` is a term of the context");
        }
    }
}

async fn a_repeat_request_is_answered_304_until_something_public_changes(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for path in ["/export/facts.ndjson", "/export/facts.csv", "/export/facts.jsonld"] {
        let first = get(&app, path, &[]).await;
        let etag = first.header("etag").expect("an ETag");
        let modified = first.header("last-modified").expect("a Last-Modified");
        let repeat = get(&app, path, &[("if-none-match", &etag)]).await;
        assert_eq!(repeat.status, 304, "{path}");
        assert_eq!(repeat.body, "");
        assert_eq!(repeat.header("etag").unwrap(), etag);
        assert_eq!(get(&app, path, &[("if-modified-since", &modified)]).await.status, 304, "{path}");
        assert_eq!(get(&app, path, &[("if-none-match", "W/\"something-else\"")]).await.status, 200);
        assert_eq!(get(&app, path, &[("if-modified-since", "Mon, 01 Jan 2024 00:00:00 GMT")]).await.status, 200);
    }
    let before = get(&app, "/export/facts.ndjson", &[]).await;
    let etag = before.header("etag").unwrap();
    // A draft is not a public change: still 304.
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    support::submitted_fact(&app, &editor, "A visit still in review.").await;
    assert_eq!(get(&app, "/export/facts.ndjson", &[("if-none-match", &etag)]).await.status, 304);
    published_fact(&app, "A visit that changes the record.").await;
    let after = get(&app, "/export/facts.ndjson", &[("if-none-match", &etag)]).await;
    assert_eq!(after.status, 200);
    assert_ne!(after.header("etag").unwrap(), etag);
    assert_eq!(after.lines().len(), 11);
}

async fn exports_are_gzipped_for_clients_that_ask(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for path in ["/export/facts.ndjson", "/export/facts.csv", "/export/facts.jsonld"] {
        let plain = get(&app, path, &[]).await;
        assert_eq!(plain.header("content-encoding"), None);
        let zipped = get(&app, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(zipped.header("content-encoding").as_deref(), Some("gzip"), "{path}");
        assert!(zipped.header("vary").unwrap().to_lowercase().contains("accept-encoding"));
        assert_eq!(zipped.body, plain.body, "the same bytes once unzipped: {path}");
        assert_eq!(zipped.header("etag"), plain.header("etag"));
        let refused = get(&app, path, &[("accept-encoding", "gzip;q=0, identity")]).await;
        assert_eq!(refused.header("content-encoding"), None, "q=0 refuses gzip");
    }
}

async fn bad_export_parameters_are_refused_with_the_parameter_named(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let head = get(&app, "/export/facts.ndjson", &[]).await.header("chancery-feed-cursor").unwrap();
    let facts_cursor = app.query_ok("{ facts(first: 1) { pageInfo { endCursor } } }", json!({})).await["facts"]
        ["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    use base64::Engine;
    let ahead =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("chg|999999999|{}", uuid::Uuid::now_v7()));
    let events_before = app.row_count("revisions").await;
    let cases = [
        ("since=garbage", "since"),
        ("since=", "since"),
        (&*format!("since={facts_cursor}"), "since"),
        (&*format!("since={ahead}"), "since"),
        (&*format!("since={head}&since={head}"), "since"),
        ("format=csv", "format"),
        (&*format!("since={head}&limit=10"), "limit"),
    ];
    for (query, parameter) in cases {
        for path in ["/export/facts.ndjson", "/export/facts.csv", "/export/facts.jsonld"] {
            let answer = get(&app, &format!("{path}?{query}"), &[]).await;
            assert_eq!(answer.status, 400, "{path}?{query}: {}", answer.body);
            assert!(answer.header("content-type").unwrap().starts_with("application/json"));
            support::assert_bad_input(&answer.json(), parameter);
            assert_eq!(answer.header("chancery-feed-cursor"), None);
        }
    }
    assert_eq!(app.row_count("revisions").await, events_before, "nothing changed");
    assert_eq!(get(&app, "/export/facts.ndjson", &[]).await.lines().len(), 10);
}

async fn an_export_larger_than_a_batch_is_complete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ok, _, stderr) = support::run_cli(&app.database.url, "seed", &["--facts", "1234"]).await;
    assert!(ok, "seeding: {stderr}");
    let public = app.query_ok("{ facts { totalCount } }", json!({})).await["facts"]["totalCount"].as_u64().unwrap();
    assert!(public > 1000, "more public facts than two batches: {public}");
    let export = get(&app, "/export/facts.ndjson", &[("accept-encoding", "gzip")]).await;
    let lines = export.lines();
    assert_eq!(lines.len() as u64, public, "every public fact");
    assert_eq!(ids(&lines).into_iter().collect::<HashSet<_>>().len() as u64, public, "each once");
    let csv = get(&app, "/export/facts.csv", &[]).await;
    assert_eq!(parse_csv(&csv.body).len() as u64, public + 1);
    let cursor = export.header("chancery-feed-cursor").unwrap();
    assert_eq!(get(&app, &format!("/export/facts.ndjson?since={cursor}"), &[]).await.body, "");
}

async fn exports_beyond_the_concurrent_limit_are_refused_with_retry_after(backend: Backend) {
    // One slot: downloads one after the other each get it back (a finished body frees it).
    let serve = chancery::config::ServeConfig { demo: true, max_concurrent_exports: 1, ..Default::default() };
    let app = TestApp::spawn_with(backend, serve).await;
    for path in ["/export/facts.ndjson", "/export/facts.csv", "/export/facts.jsonld", "/export/facts.ndjson"] {
        assert_eq!(get(&app, path, &[]).await.status, 200, "{path}");
    }
    // No slot free (here: none at all), so every export is refused with a time to come back.
    let serve = chancery::config::ServeConfig { demo: true, max_concurrent_exports: 0, ..Default::default() };
    let app = TestApp::spawn_with(backend, serve).await;
    let refused = get(&app, "/export/facts.csv", &[]).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(support::single_error(&refused.json()).0, "OVERLOADED");
    assert!(refused.header("retry-after").is_some());
    assert_eq!(refused.header("etag"), None, "a refusal is not the record");
    // The context is a small static document: it needs no slot.
    assert_eq!(get(&app, "/export/context.jsonld", &[]).await.status, 200);
}

/// The whole record is read by ranges of fact ids, each range's parts by index range, and the
/// parts of the facts the public does not see dropped: read in ranges of one, two and three
/// facts (so some ranges hold only drafts), the batches hold exactly the public facts, each
/// once, in id order, never an empty batch, and no batch holds a part of a fact it leaves out.
async fn the_whole_record_read_in_small_ranges_is_the_public_record(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let (russia, syria, source) =
        (app.actor_id("Russia").await, app.actor_id("Syria").await, app.demo_source_id().await);
    for n in 0..4 {
        let input = support::visit_input(&russia, &syria, &source, &format!("Draft visit number {n}."));
        app.ok_as(&editor, CREATE_FACT, json!({ "input": input })).await;
    }
    support::submitted_fact(&app, &editor, "A visit waiting for its reviewer.").await;
    published_fact(&app, "A visit published after the drafts.").await;
    let public = app.query_ok("{ facts(first: 100) { nodes { id } } }", json!({})).await;
    let mut expected: Vec<String> =
        public["facts"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect();
    expected.sort_by_key(|id| ids::decode_uuid(id, ids::FACT, "id").unwrap());
    assert_eq!(expected.len(), 11);

    for batch_size in [1, 2, 3] {
        let scope = ExportScope { after: None, head: i64::MAX };
        let mut reader = ExportReader::new(scope, batch_size);
        let mut read = Vec::new();
        while let Some(batch) = reader.next_batch(&app.db).await.unwrap() {
            assert!(!batch.facts.is_empty(), "no empty batch (batch size {batch_size})");
            assert!(batch.facts.len() as u64 <= batch_size);
            let held: HashSet<_> = batch.facts.iter().map(|fact| fact.id).collect();
            let parts: [HashSet<_>; 3] = [
                batch.participants.keys().copied().collect(),
                batch.citations.keys().copied().collect(),
                batch.qualifiers.keys().copied().collect(),
            ];
            assert!(parts.iter().all(|part| part.is_subset(&held)), "only the batch's facts' parts");
            for fact in &batch.facts {
                assert!(!batch.participants_of(fact.id).is_empty(), "{}: its participants", fact.summary);
                assert!(!batch.citations_of(fact.id).is_empty(), "{}: its citations", fact.summary);
                read.push(ids::encode_uuid(ids::FACT, fact.id).0);
            }
        }
        assert_eq!(read, expected, "the public facts, each once, in id order (batch size {batch_size})");
    }
}

backend_tests!(
    the_whole_record_read_in_small_ranges_is_the_public_record,
    exports_beyond_the_concurrent_limit_are_refused_with_retry_after,
    the_ndjson_export_holds_the_public_record_with_its_parts_and_nobody_who_wrote_it,
    an_export_since_a_cursor_holds_only_the_facts_touched_after_it,
    the_csv_export_is_rfc_4180_with_formulas_defused,
    the_jsonld_export_carries_the_context_the_server_serves,
    a_repeat_request_is_answered_304_until_something_public_changes,
    exports_are_gzipped_for_clients_that_ask,
    bad_export_parameters_are_refused_with_the_parameter_named,
    an_export_larger_than_a_batch_is_complete,
);
