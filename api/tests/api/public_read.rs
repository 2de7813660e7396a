//! The public read side on the demo data: provenance, visibility, keyset pagination, the fixed
//! statement cost of a page, the demo loader, migrations and the operational endpoints.

use crate::support::{Backend, TestApp, TestDatabase};
use chancery::demo::{DEMO_EDITOR_EMAIL, DEMO_EDITOR_PASSWORD};
use chrono::{Duration, Utc};
use entity::enums::FactStatus;
use entity::{citation, fact, fact_participant, fact_qualifier};
use migration::MigratorTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, Database, EntityTrait, IntoActiveModel, TransactionTrait,
};
use serde_json::{json, Value};
use uuid::Uuid;

const FACT_PAGE: &str = r#"
query Page($first: Int, $after: String, $last: Int, $before: String, $order: FactOrderInput) {
  facts(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor
      node {
        id summary status version modality country publishedAt
        kind { key label category cameoCode }
        occurred { date precision text }
        participants { role title actor { id name kind country wikidataQid aliases } }
        qualifiers { key value }
        outletCount
        citations {
          quote verified attribution snapshotStart snapshotEnd
          attributedTo { name }
          relayedFrom { name }
          source { id url title kind language hasSnapshot snapshotSha256 retrievedAt
                   published { date precision text } outlet { name aliases } }
        }
        supersedes { id }
        supersededBy { id }
      }
    }
  }
}"#;

fn nodes(data: &Value) -> Vec<Value> {
    data["facts"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

fn fact_with_kind(facts: &[Value], kind: &str) -> Value {
    facts.iter().find(|f| f["kind"]["key"] == kind).unwrap_or_else(|| panic!("a {kind} fact")).clone()
}

async fn demo_facts_carry_their_full_provenance(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let data = app.query_ok(FACT_PAGE, json!({ "first": 100 })).await;
    let facts = nodes(&data);
    assert_eq!(data["facts"]["totalCount"], 10);
    assert_eq!(facts.len(), 10);
    for fact in &facts {
        assert_eq!(fact["status"], "PUBLISHED");
        assert!(!fact["citations"].as_array().unwrap().is_empty());
        for citation in fact["citations"].as_array().unwrap() {
            assert_eq!(citation["verified"], true, "{citation:#}");
            assert!(citation["snapshotEnd"].as_i64() > citation["snapshotStart"].as_i64());
        }
        assert_eq!(fact["outletCount"], 1);
    }

    let call = fact_with_kind(&facts, "diplomatic.phone_call");
    assert_eq!(call["occurred"], json!({ "date": "2025-02-12", "precision": "DAY", "text": "12 February 2025" }));
    assert_eq!(call["citations"][0]["attribution"], "RELAYED");
    assert_eq!(call["citations"][0]["attributedTo"]["name"], "The Kremlin");
    let source = &call["citations"][0]["source"];
    assert_eq!(source["url"], "https://chattythat.news/putin-talks-to-new-syrian-leadership-kremlin-438343.html");
    assert_eq!(source["published"], json!({ "date": "2025-02-01", "precision": "MONTH", "text": "February 2025" }));
    assert_eq!(source["outlet"]["name"], "RT");
    assert_eq!(source["hasSnapshot"], true);
    assert_eq!(source["snapshotSha256"].as_str().unwrap().len(), 64);

    let bases = fact_with_kind(&facts, "military.basing_access");
    assert_eq!(bases["modality"], "CONDITIONAL");
    assert_eq!(bases["occurred"]["precision"], "MONTH");
    assert_eq!(bases["occurred"]["date"], "2025-02-01");
    let speaker = bases["participants"].as_array().unwrap().iter().find(|p| p["role"] == "SPEAKER").unwrap().clone();
    assert_eq!(speaker["actor"]["name"], "Murhaf Abu Qasra");
    assert_eq!(speaker["title"], "Defense Minister of Syria");
    let qualifiers = bases["qualifiers"].as_array().unwrap();
    assert!(
        qualifiers.contains(&json!({ "key": "condition", "value": "provided it serves the Arab nation's interests" }))
    );
    assert!(qualifiers.contains(&json!({ "key": "facility", "value": "naval base" })));
    assert!(qualifiers.contains(&json!({ "key": "facility", "value": "air base" })));
    assert_eq!(bases["citations"][0]["attribution"], "RELAYED");
    assert_eq!(bases["citations"][0]["attributedTo"]["name"], "Murhaf Abu Qasra");
    assert_eq!(bases["citations"][0]["relayedFrom"]["name"], "The Washington Post");

    let leader = fact_with_kind(&facts, "leadership.change");
    assert_eq!(leader["occurred"]["text"], "December 2024");
    let al_sharaa = &leader["participants"][0]["actor"];
    assert_eq!(al_sharaa["name"], "Ahmed al-Sharaa");
    assert!(al_sharaa["aliases"].as_array().unwrap().contains(&json!("Abu Mohammad al-Julani")));
    let visit = fact_with_kind(&facts, "diplomatic.visit");
    assert_eq!(visit["occurred"]["text"], "January 2025");
    fact_with_kind(&facts, "aid.pledge");
    fact_with_kind(&facts, "policy.support_statement");
    fact_with_kind(&facts, "leadership.flight");
}

async fn relations_between_russia_and_syria_newest_first(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (russia, syria) = (app.actor_id("Russia").await, app.actor_id("Syria").await);
    let data = app
        .query_ok(
            "query($a: [ID!]) { facts(filter: {allOf: $a}, orderBy: {field: OCCURRED_AT, direction: DESC}, first: 50) {
                totalCount nodes { occurred { date } participants { actor { name } } } } }",
            json!({ "a": [russia, syria] }),
        )
        .await;
    let facts = data["facts"]["nodes"].as_array().unwrap();
    // phone call, support, aid, visit, Bogdanov's statement, strategic interests, base access
    assert_eq!(facts.len(), 7);
    assert_eq!(data["facts"]["totalCount"], 7);
    let dates: Vec<&str> = facts.iter().map(|f| f["occurred"]["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");
    for fact in facts {
        let names: Vec<&str> =
            fact["participants"].as_array().unwrap().iter().map(|p| p["actor"]["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"Russia") && names.contains(&"Syria"), "{names:?}");
    }
}

async fn ids_of(app: &TestApp, variables: Value) -> (Vec<String>, Value) {
    let data = app.query_ok(FACT_PAGE, variables).await;
    let ids = nodes(&data).iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect();
    (ids, data["facts"]["pageInfo"].clone())
}

async fn keyset_pages_walk_every_fact_once_in_both_directions(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for order in [
        json!({ "field": "OCCURRED_AT", "direction": "DESC" }),
        json!({ "field": "OCCURRED_AT", "direction": "ASC" }),
        json!({ "field": "PUBLISHED_AT", "direction": "DESC" }),
        json!({ "field": "PUBLISHED_AT", "direction": "ASC" }),
    ] {
        let (all, _) = ids_of(&app, json!({ "first": 100, "order": order })).await;
        assert_eq!(all.len(), 10);

        let mut forward = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, info) = ids_of(&app, json!({ "first": 3, "after": after, "order": order })).await;
            assert!(page.len() <= 3);
            forward.extend(page);
            if info["hasNextPage"] == false {
                break;
            }
            assert_eq!(info["hasPreviousPage"] == true, after.is_some());
            after = info["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(forward, all, "forward pages in order {order}");

        let mut backward = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let (mut page, info) = ids_of(&app, json!({ "last": 4, "before": before, "order": order })).await;
            page.extend(backward);
            backward = page;
            if info["hasPreviousPage"] == false {
                break;
            }
            before = info["startCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(backward, all, "backward pages in order {order}");
    }
}

/// Copies every demo fact (with participants, qualifiers and citations) until there are `total`.
async fn grow_demo_to(app: &TestApp, total: usize) {
    let db = &app.db;
    let originals = fact::Entity::find().all(db).await.unwrap();
    let participants = fact_participant::Entity::find().all(db).await.unwrap();
    let qualifiers = fact_qualifier::Entity::find().all(db).await.unwrap();
    let citations = citation::Entity::find().all(db).await.unwrap();
    let mut count = originals.len();
    let mut round = 0;
    while count < total {
        round += 1;
        for original in &originals {
            if count >= total {
                break;
            }
            let id = Uuid::now_v7();
            let mut copy = original.clone();
            copy.id = id;
            copy.occurred_on -= Duration::days(round);
            copy.published_at = Some(Utc::now());
            fact::Entity::insert(copy.into_active_model().reset_all()).exec_without_returning(db).await.unwrap();
            for p in participants.iter().filter(|p| p.fact_id == original.id) {
                let mut p = p.clone();
                (p.id, p.fact_id) = (Uuid::now_v7(), id);
                p.into_active_model().reset_all().insert(db).await.unwrap();
            }
            for q in qualifiers.iter().filter(|q| q.fact_id == original.id) {
                let mut q = q.clone();
                (q.id, q.fact_id) = (Uuid::now_v7(), id);
                q.into_active_model().reset_all().insert(db).await.unwrap();
            }
            for c in citations.iter().filter(|c| c.fact_id == original.id) {
                let mut c = c.clone();
                (c.id, c.fact_id) = (Uuid::now_v7(), id);
                c.into_active_model().reset_all().insert(db).await.unwrap();
            }
            count += 1;
        }
    }
}

async fn a_page_of_100_facts_costs_the_same_statements_as_a_page_of_1(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    grow_demo_to(&app, 120).await;
    let (one, body_one) = app.statements_for(FACT_PAGE, json!({ "first": 1 })).await;
    let (hundred, body_hundred) = app.statements_for(FACT_PAGE, json!({ "first": 100 })).await;
    assert!(body_one.get("errors").is_none() && body_hundred.get("errors").is_none(), "{body_hundred:#}");
    assert_eq!(nodes(&body_hundred["data"]).len(), 100);
    assert_eq!(body_hundred["data"]["facts"]["totalCount"], 120);
    assert_eq!(one, hundred, "statements for 1 fact: {one}, for 100 facts: {hundred}");
    // page + count + kinds + participants + qualifiers + citations + actors (participants and
    // attributions) + sources + outlets + links: README quotes this number.
    assert!(hundred <= 12, "a page costs {hundred} statements");
    eprintln!("statements per page of facts with full provenance: {hundred}");
}

/// What a reader's page shows: each fact with its kind, participants and their actors, citations
/// with their sources and outlets (the benchmark's Q1).
const READER_PAGE: &str = r#"query($first: Int) {
  facts(first: $first, orderBy: {field: OCCURRED_AT, direction: DESC}) {
    pageInfo { hasNextPage endCursor }
    nodes { id summary kind { key label } occurred { date precision }
            participants { role actor { name } }
            citations { quote source { url outlet { name } } } }
  }
}"#;

async fn a_readers_page_costs_two_statements_and_one_fact_two(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    grow_demo_to(&app, 120).await;
    for first in [1, 20, 100] {
        let (statements, body) = app.statements_for(READER_PAGE, json!({ "first": first })).await;
        let page = &body["data"]["facts"]["nodes"];
        assert_eq!(page.as_array().map(Vec::len), Some(first), "{body:#}");
        assert!(page[0]["kind"]["label"].is_string() && page[0]["participants"][0]["actor"]["name"].is_string());
        assert!(page[0]["citations"][0]["source"]["outlet"]["name"].is_string(), "{:#}", page[0]);
        // The page with its kinds; participants with their actors and citations with their
        // sources and outlets.
        assert_eq!(statements, 2, "a page of {first}");
    }
    let id = app.query_ok("{ facts(first: 1) { nodes { id } } }", json!({})).await["facts"]["nodes"][0]["id"].clone();
    let one = "query($id: ID!) { node(id: $id) { ... on Fact { id summary citations { quote source { url outlet { name } } } } } }";
    let (statements, body) = app.statements_for(one, json!({ "id": id })).await;
    assert!(body["data"]["node"]["citations"][0]["source"]["outlet"]["name"].is_string(), "{body:#}");
    assert_eq!(statements, 2, "the fact; its citations with their sources and outlets");
    let (statements, body) =
        app.statements_for("query($id: ID!) { fact(id: $id) { id summary } }", json!({ "id": id })).await;
    assert_eq!(body["data"]["fact"]["id"], id);
    assert_eq!(statements, 1);
}

/// The page and its parts are read from joined rows by position (`db::rows`); every model
/// read so equals the same record read by sea-orm by name, on both backends, including
/// citations of every status, sources with and without an outlet, and nullable columns.
async fn rows_read_by_position_equal_the_records_read_by_name(backend: Backend) {
    use chancery::domain::fact::parts::{parts_of_facts, PartsWanted};
    use chancery::domain::fact::query::{list_facts, FactFilter, FactOrder, Visibility};
    use chancery::domain::pagination::PageRequest;
    use entity::{actor, fact_kind, source};

    let app = TestApp::spawn_with_demo(backend).await;
    let filter = FactFilter::default().validate(&app.db, "filter", Default::default()).await.unwrap();
    let request = PageRequest::new(Some(100), None, None, None).unwrap();
    let page = list_facts(&app.db, Visibility::Public, &filter, FactOrder::default(), &request).await.unwrap();
    assert!(!page.page.items.is_empty());
    for fact in &page.page.items {
        assert_eq!(Some(fact), fact::Entity::find_by_id(fact.id).one(&app.db).await.unwrap().as_ref());
    }
    for kind in &page.kinds {
        assert_eq!(Some(kind), fact_kind::Entity::find_by_id(kind.key.clone()).one(&app.db).await.unwrap().as_ref());
    }
    let ids: Vec<Uuid> = fact::Entity::find().all(&app.db).await.unwrap().iter().map(|f| f.id).collect();
    let parts = parts_of_facts(&app.db, &ids, PartsWanted { participants: true, citations: true }).await.unwrap();
    let participants = parts.participants.unwrap();
    let by_name: Vec<_> = fact_participant::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(participants.participants.values().map(Vec::len).sum::<usize>(), by_name.len());
    for participant in by_name {
        assert!(participants.participants[&participant.fact_id].contains(&participant), "{participant:?}");
    }
    for actor in &participants.actors {
        assert_eq!(Some(actor), actor::Entity::find_by_id(actor.id).one(&app.db).await.unwrap().as_ref());
    }
    let citations = parts.citations.unwrap();
    let by_name: Vec<_> = citation::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(citations.citations.values().map(Vec::len).sum::<usize>(), by_name.len());
    for citation in by_name {
        assert!(citations.citations[&citation.fact_id].contains(&citation), "{citation:?}");
    }
    for read in &citations.sources {
        let stored = source::Entity::find_by_id(read.id).one(&app.db).await.unwrap().unwrap();
        assert_eq!(read, &source::Model { snapshot: None, ..stored }, "all but the snapshot text");
    }
    assert!(!citations.outlets.is_empty());
    for outlet in &citations.outlets {
        assert_eq!(Some(outlet), actor::Entity::find_by_id(outlet.id).one(&app.db).await.unwrap().as_ref());
    }
}

/// A page's citations are read by fact id, whatever their status; the unique index on citations
/// is partial (unrejected ones only) and cannot serve that, so without an index of its own the
/// read scanned every citation. SQLite's plan is deterministic; Postgres's depends on table
/// sizes, so this looks at SQLite's.
#[tokio::test]
async fn citations_are_read_by_fact_through_an_index() {
    let app = TestApp::spawn_with_demo(Backend::Sqlite).await;
    let plan = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "EXPLAIN QUERY PLAN SELECT * FROM citations WHERE fact_id IN (x'00', x'01') ORDER BY fact_id, position",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "detail").unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(plan.contains("USING INDEX idx_citations_fact"), "{plan}");
}

async fn unpublished_facts_are_invisible_to_the_public(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let data = app.query_ok("{ facts(first: 1) { nodes { id } } }", json!({})).await;
    let id = data["facts"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let uuid = fact_uuid(&id);
    let mut statuses = vec![];
    for status in [FactStatus::Draft, FactStatus::InReview, FactStatus::ChangesRequested, FactStatus::Rejected] {
        let mut model = fact::Entity::find_by_id(uuid).one(&app.db).await.unwrap().unwrap().into_active_model();
        model.status = Set(status);
        model.published_at = Set(None);
        model.update(&app.db).await.unwrap();
        let data = app
            .query_ok(
                "query($id: ID!) { fact(id: $id) { id } node(id: $id) { id } nodes(ids: [$id]) { id } facts { totalCount } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data["fact"], Value::Null, "{status:?} fact is hidden");
        assert_eq!(data["node"], Value::Null);
        assert_eq!(data["nodes"], json!([null]));
        assert_eq!(data["facts"]["totalCount"], 9);
        statuses.push(status);
    }
    assert_eq!(statuses.len(), 4);
}

fn fact_uuid(global_id: &str) -> Uuid {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(global_id).unwrap();
    Uuid::parse_str(String::from_utf8(raw).unwrap().strip_prefix("Fact:").unwrap()).unwrap()
}

async fn retracted_and_superseded_facts_stay_readable_and_marked(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let data = app.query_ok("{ facts(first: 2) { nodes { id } } }", json!({})).await;
    let old = fact_uuid(data["facts"]["nodes"][0]["id"].as_str().unwrap());
    let new = fact_uuid(data["facts"]["nodes"][1]["id"].as_str().unwrap());
    let mut model = fact::Entity::find_by_id(old).one(&app.db).await.unwrap().unwrap().into_active_model();
    model.status = Set(FactStatus::Superseded);
    model.superseded_by_id = Set(Some(new));
    model.update(&app.db).await.unwrap();
    let mut model = fact::Entity::find_by_id(new).one(&app.db).await.unwrap().unwrap().into_active_model();
    model.supersedes_id = Set(Some(old));
    model.status = Set(FactStatus::Retracted);
    model.retracted_at = Set(Some(Utc::now()));
    model.retraction_reason = Set(Some("The quote was misattributed.".into()));
    model.update(&app.db).await.unwrap();

    let data = app
        .query_ok(
            "query($id: ID!) { fact(id: $id) { status supersededBy { id status retractionReason supersedes { id } } } facts { totalCount } }",
            json!({ "id": data["facts"]["nodes"][0]["id"] }),
        )
        .await;
    assert_eq!(data["facts"]["totalCount"], 10, "nothing published disappears");
    assert_eq!(data["fact"]["status"], "SUPERSEDED");
    assert_eq!(data["fact"]["supersededBy"]["status"], "RETRACTED");
    assert_eq!(data["fact"]["supersededBy"]["retractionReason"], "The quote was misattributed.");
    assert!(data["fact"]["supersededBy"]["supersedes"]["id"].is_string());
}

async fn loading_the_demo_twice_creates_nothing_twice(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let tables = ["facts", "actors", "actor_aliases", "sources", "citations", "revisions", "users"];
    let mut before = Vec::new();
    for table in tables {
        before.push(app.row_count(table).await);
    }
    let report = chancery::demo::load_demo(&app.db).await.unwrap();
    assert_eq!(report, Default::default(), "second load creates nothing");
    for (table, count) in tables.iter().zip(before) {
        assert_eq!(app.row_count(table).await, count, "{table}");
    }
    assert_eq!(app.row_count("facts").await, 10);
    assert_eq!(app.row_count("revisions").await, 30, "created, submitted and approved for each fact");
}

async fn demo_history_is_an_intact_hash_chain(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let verdict = chancery::domain::fact::history::verify_chain(&app.db).await.unwrap();
    assert_eq!(verdict, chancery::domain::fact::history::ChainVerdict::Intact { length: 30 });
    // The database itself refuses to rewrite history.
    let refused = app.db.execute_unprepared("UPDATE revisions SET comment = 'rewritten'").await;
    assert!(refused.is_err(), "revisions are append-only");
    let refused = app.db.execute_unprepared("DELETE FROM revisions").await;
    assert!(refused.is_err(), "revisions cannot be deleted");
    assert_eq!(app.row_count("revisions").await, 30);
}

async fn migrations_roll_back_completely_and_apply_again(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let db = Database::connect(&database.url).await.unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    migration::Migrator::down(&db, None).await.unwrap();
    let remaining = migration::Migrator::get_applied_migrations(&db).await.unwrap();
    assert!(remaining.is_empty());
    assert!(db.execute_unprepared("SELECT 1 FROM facts").await.is_err(), "tables are gone");
    migration::Migrator::up(&db, None).await.unwrap();
    chancery::demo::load_demo(&db).await.unwrap();
    db.close().await.unwrap();
}

/// `chancery migrate down` on a database with records is refused before it starts, naming what
/// is there and what to do, and leaves everything in place.
async fn migrate_down_on_a_database_with_records_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let facts = app.row_count("facts").await;
    let (ok, _, stderr) = crate::support::run_cli(&app.database.url, "migrate", &["down"]).await;
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("migrate down rolls back every migration") && stderr.contains(&format!("{facts} facts")),
        "{stderr}"
    );
    assert!(stderr.contains("dropdb"), "says what to do: {stderr}");
    assert_eq!(stderr.matches("drops every table").count(), 1, "said once: {stderr}");
    assert_eq!(app.row_count("facts").await, facts);
    let applied = migration::Migrator::get_applied_migrations(&app.db).await.unwrap();
    assert_eq!(applied.len(), migration::Migrator::migrations().len(), "nothing was rolled back");
}

/// migrate down's guard counts what each table holds; a count that fails for any reason but the
/// table's absence is an error, never "holds nothing" (which would let the tables be dropped).
#[tokio::test]
#[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
async fn a_table_that_cannot_be_counted_stops_migrate_down_guard() {
    let app = TestApp::spawn_with_demo(Backend::Postgres).await;
    let holder = Database::connect(&app.database.url).await.unwrap();
    let locked = holder.begin().await.unwrap();
    locked.execute_unprepared("LOCK TABLE facts IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let mut options = sea_orm::ConnectOptions::new(app.database.url.clone());
    options.max_connections(1).min_connections(1);
    let counter = Database::connect(options).await.unwrap();
    counter.execute_unprepared("SET lock_timeout = '200ms'").await.unwrap();
    let held = chancery::db::records_held(&counter).await;
    assert!(held.is_err(), "a count that timed out is an error, not an empty table: {held:?}");
    locked.rollback().await.unwrap();
    let held = chancery::db::records_held(&counter).await.unwrap();
    assert!(held.iter().any(|(table, count)| *table == "facts" && *count > 0), "{held:?}");
}

async fn health_readiness_graphiql_and_request_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let health = client.get(format!("{}/healthz", app.base_url)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"), "every response carries a request id");
    assert_eq!(client.get(format!("{}/readyz", app.base_url)).send().await.unwrap().status(), 200);
    let graphiql = client.get(format!("{}/graphql", app.base_url)).send().await.unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().to_lowercase().contains("graphiql"));
    let root = client.get(format!("{}/", app.base_url)).send().await.unwrap();
    assert!(root.status().is_redirection());
    assert_eq!(root.headers()["location"], "/graphql");
    let metrics = client.get(format!("{}/metrics", app.base_url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("chancery_db_statements_total"));
    let echoed =
        client.get(format!("{}/healthz", app.base_url)).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
}

/// Every list answers `totalCount` with what its filter matches, as the caller may see it: the
/// public counts only the sources a public fact cites, an editor counts every source.
async fn every_list_counts_what_its_filter_matches_as_the_caller_sees_it(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(DEMO_EDITOR_EMAIL, DEMO_EDITOR_PASSWORD).await;
    let actors = app.query_ok("{ actors(first: 1) { totalCount nodes { id } } }", json!({})).await;
    assert_eq!(actors["actors"]["totalCount"], 14, "{actors:#}");
    let page = actors["actors"]["nodes"].as_array().map(Vec::len);
    assert_eq!(page, Some(1), "the count is of the whole list, not of the page");
    let outlets = app.query_ok(r#"{ actors(filter: {kinds: [MEDIA_OUTLET]}) { totalCount } }"#, json!({})).await;
    assert_eq!(outlets["actors"]["totalCount"], 3, "{outlets:#}");
    let created = app
        .ok_as(
            &editor,
            "mutation($input: CreateSourceInput!) { createSource(input: $input) { source { id } } }",
            json!({ "input": { "url": "https://example.org/uncited", "title": "Not cited yet", "kind": "NEWS_ARTICLE" } }),
        )
        .await;
    assert!(created["createSource"]["source"]["id"].is_string(), "{created:#}");
    let public = app.query_ok("{ sources { totalCount } }", json!({})).await;
    assert_eq!(public["sources"]["totalCount"], 1, "an uncited source is not counted for the public: {public:#}");
    let staff = app.ok_as(&editor, "{ sources { totalCount } }", json!({})).await;
    assert_eq!(staff["sources"]["totalCount"], 2, "{staff:#}");
}

/// One document, one source: `www.`, a default port, a trailing `/` and a fragment do not make
/// another one, when recording it or looking it up.
async fn a_source_is_found_and_recorded_once_under_any_spelling_of_its_url(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let demo = app.demo_source_id().await;
    let by_url = "query($u: String!) { sourceByUrl(url: $u) { id } }";
    for spelling in [
        "https://www.chattythat.news/putin-talks-to-new-syrian-leadership-kremlin-438343.html",
        "https://CHATTYTHAT.news:443/putin-talks-to-new-syrian-leadership-kremlin-438343.html/",
        "https://www.chattythat.news/putin-talks-to-new-syrian-leadership-kremlin-438343.html#top",
    ] {
        let found = app.query_ok(by_url, json!({ "u": spelling })).await;
        assert_eq!(found["sourceByUrl"]["id"], demo.as_str(), "{spelling}");
    }
    let editor = app.login(DEMO_EDITOR_EMAIL, DEMO_EDITOR_PASSWORD).await;
    let sources = app.row_count("sources").await;
    let input = json!({ "url": "https://www.chattythat.news/putin-talks-to-new-syrian-leadership-kremlin-438343.html/",
        "title": "The same article", "kind": "NEWS_ARTICLE" });
    let created = app
        .ok_as(
            &editor,
            "mutation($i: CreateSourceInput!) { createSource(input: $i) { source { id } } }",
            json!({ "i": input }),
        )
        .await;
    assert_eq!(created["createSource"]["source"]["id"], demo.as_str(), "the stored source is the answer");
    assert_eq!(app.row_count("sources").await, sources);
}

/// Sources stored before `www.` and a trailing `/` were folded are brought to the new form when
/// the server starts, unless another source already holds it.
async fn stored_source_urls_are_brought_to_the_canonical_form_at_start(backend: Backend) {
    use chancery::config::{DatabaseConfig, ServeConfig};
    let database = TestDatabase::new(backend).await;
    let config = DatabaseConfig::for_url(database.url.clone());
    let mut serve = ServeConfig::default();
    serve.auth.jwt_secret = Some("s".repeat(32).parse().unwrap());
    let first = chancery::app::build(&config, &serve).await.expect("starts");
    let insert = |id: Uuid, url: &str| entity::source::ActiveModel {
        id: Set(id),
        canonical_url: Set(url.to_owned()),
        url: Set(url.to_owned()),
        title: Set("Stored by an earlier release".into()),
        kind: Set(entity::enums::SourceKind::NewsArticle),
        outlet_id: Set(None),
        published_on: Set(None),
        published_precision: Set(None),
        retrieved_at: Set(Utc::now()),
        language: Set(None),
        archive_url: Set(None),
        snapshot: Set(None),
        snapshot_sha256: Set(None),
        created_by: Set(None),
        version: Set(1),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    };
    let (old, clash, holder) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    insert(old, "https://www.example.org/report/").insert(&first.db).await.unwrap();
    insert(holder, "https://example.net/b").insert(&first.db).await.unwrap();
    insert(clash, "https://www.example.net/b/").insert(&first.db).await.unwrap();
    drop(first);
    let second = chancery::app::build(&config, &serve).await.expect("restarts");
    let canonical = |id: Uuid| {
        let db = second.db.clone();
        async move { entity::source::Entity::find_by_id(id).one(&db).await.unwrap().unwrap().canonical_url }
    };
    assert_eq!(canonical(old).await, "https://example.org/report");
    assert_eq!(canonical(clash).await, "https://www.example.net/b/", "a clash is left for an editor");
}

backend_tests!(
    a_source_is_found_and_recorded_once_under_any_spelling_of_its_url,
    stored_source_urls_are_brought_to_the_canonical_form_at_start,
    every_list_counts_what_its_filter_matches_as_the_caller_sees_it,
    demo_facts_carry_their_full_provenance,
    relations_between_russia_and_syria_newest_first,
    keyset_pages_walk_every_fact_once_in_both_directions,
    a_page_of_100_facts_costs_the_same_statements_as_a_page_of_1,
    a_readers_page_costs_two_statements_and_one_fact_two,
    rows_read_by_position_equal_the_records_read_by_name,
    unpublished_facts_are_invisible_to_the_public,
    retracted_and_superseded_facts_stay_readable_and_marked,
    loading_the_demo_twice_creates_nothing_twice,
    demo_history_is_an_intact_hash_chain,
    migrations_roll_back_completely_and_apply_again,
    migrate_down_on_a_database_with_records_is_refused_and_changes_nothing,
    health_readiness_graphiql_and_request_ids,
    the_answer_lists_fields_in_the_order_of_the_query,
);

/// The keys of every object of an answer, in the order the server wrote them.
fn key_orders(value: &async_graphql::Value, path: &str, into: &mut Vec<(String, Vec<String>)>) {
    match value {
        async_graphql::Value::Object(object) => {
            into.push((path.to_owned(), object.keys().map(|key| key.to_string()).collect()));
            for (key, child) in object {
                key_orders(child, &format!("{path}.{key}"), into);
            }
        }
        async_graphql::Value::List(items) => {
            for item in items {
                key_orders(item, &format!("{path}[]"), into);
            }
        }
        _ => {}
    }
}

/// The answer's objects and their keys, as written (serde_json's map would sort them).
async fn answer_key_orders(app: &TestApp, query: &str, variables: Value) -> Vec<(String, Vec<String>)> {
    let text = app.graphql_text(query, variables).await;
    let answer: async_graphql::Value = serde_json::from_str(&text).unwrap();
    let async_graphql::Value::Object(answer) = answer else { panic!("{text}") };
    assert!(answer.get("errors").is_none(), "{text}");
    let mut orders = Vec::new();
    key_orders(&answer["data"], "data", &mut orders);
    orders
}

async fn the_answer_lists_fields_in_the_order_of_the_query(backend: Backend) {
    // The spec's order: document order, fragments expanded where they stand and where their type
    // condition applies, a key selected twice kept at its first place, skipped fields absent.
    // async-graphql adds fields as their resolvers finish: the slow `facts` would come last.
    let app = TestApp::spawn_with_demo(backend).await;
    let fact_id = app.query_ok("{ facts(first: 1) { nodes { id } } }", json!({})).await["facts"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = r#"
        query Ordered($withSummary: Boolean!, $fact: ID!) {
          zeta: facts(first: 2) {
            totalCount
            nodes { summary @include(if: $withSummary) id kind { label key } ...Reviewed citations { quote } }
          }
          alpha: factKinds { key }
          node(id: $fact) { ... on Actor { name } ... on Fact { summary } id ... on Node { __typename } }
          __typename
          mid: actors(first: 1) { totalCount nodes { name id } }
        }
        fragment Reviewed on Fact { status id }
    "#;
    let orders = answer_key_orders(&app, query, json!({ "withSummary": true, "fact": fact_id })).await;
    let of = |path: &str| -> Vec<String> {
        orders.iter().find(|(at, _)| at == path).unwrap_or_else(|| panic!("no object at {path}: {orders:?}")).1.clone()
    };
    assert_eq!(of("data"), ["zeta", "alpha", "node", "__typename", "mid"]);
    assert_eq!(of("data.zeta"), ["totalCount", "nodes"]);
    assert_eq!(of("data.zeta.nodes[]"), ["summary", "id", "kind", "status", "citations"]);
    assert_eq!(of("data.zeta.nodes[].kind"), ["label", "key"]);
    assert_eq!(of("data.node"), ["summary", "id", "__typename"], "the inline fragment on Actor does not apply");
    assert_eq!(of("data.mid.nodes[]"), ["name", "id"]);
    for (path, keys) in orders.iter().filter(|(path, _)| path == "data.zeta.nodes[]") {
        assert_eq!(keys, &["summary", "id", "kind", "status", "citations"], "every node of the list: {path}");
    }

    let orders = answer_key_orders(&app, query, json!({ "withSummary": false, "fact": fact_id })).await;
    let nodes = orders.iter().find(|(at, _)| at == "data.zeta.nodes[]").unwrap();
    assert_eq!(nodes.1, ["id", "kind", "status", "citations"], "a skipped field is absent, the rest in order");
}
