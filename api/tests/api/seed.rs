//! `chancery seed --facts N`: a realistic dataset written in bulk, which must read back through
//! the public API like data written by editors — the same snapshots, search documents and hash
//! chain the write path would have produced — and which is written once per database.
use std::collections::{HashMap, HashSet};

use crate::support::{Backend, TestApp, TestDatabase};
use chancery::domain::fact::history::{snapshot_fact, verify_chain, ChainVerdict};
use chancery::domain::fact::quotes::verify_quote;
use chancery::seed::{seed, SeedReport, RUSSIA, SYRIA};
use entity::{
    citation, fact, fact_kind, fact_participant, fact_qualifier, fact_search_document, revision, source, user,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use uuid::Uuid;

const FACTS: u64 = 200;

/// A server on a fresh database, seeded with `FACTS` facts.
async fn seeded(backend: Backend) -> (TestApp, SeedReport) {
    let app = TestApp::spawn(backend).await;
    let report = seed(&app.db, FACTS).await.expect("seeding succeeds");
    (app, report)
}

/// The facts the seed wrote (by its accounts), by id.
async fn seeded_facts(app: &TestApp) -> HashMap<Uuid, fact::Model> {
    let accounts: Vec<Uuid> = user::Entity::find()
        .filter(user::Column::Email.like("%@seed.chancery"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    fact::Entity::find()
        .filter(fact::Column::CreatedBy.is_in(accounts))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.id, f))
        .collect()
}

fn global_id(kind: &str, id: Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// Every table the seed writes to, with its row count.
async fn row_counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in [
        "users",
        "actors",
        "actor_aliases",
        "sources",
        "facts",
        "fact_participants",
        "fact_qualifiers",
        "citations",
        "fact_search_documents",
        "revisions",
        "revision_chain",
    ] {
        counts.push((table, app.row_count(table).await));
    }
    counts
}

async fn seeding_writes_what_it_reports_as_the_write_path_would(backend: Backend) {
    let (app, report) = seeded(backend).await;
    let facts = seeded_facts(&app).await;
    let ids: Vec<Uuid> = facts.keys().copied().collect();
    assert_eq!(facts.len() as u64, FACTS, "{report:?}");
    assert_eq!(report.facts, FACTS);
    assert_eq!(report.sources, FACTS / 5);
    assert!(report.actors >= 2_000, "a few thousand actors: {report:?}");
    let participants = fact_participant::Entity::find()
        .filter(fact_participant::Column::FactId.is_in(ids.clone()))
        .all(&app.db)
        .await
        .unwrap();
    let qualifiers = fact_qualifier::Entity::find()
        .filter(fact_qualifier::Column::FactId.is_in(ids.clone()))
        .all(&app.db)
        .await
        .unwrap();
    let citations = citation::Entity::find()
        .filter(citation::Column::FactId.is_in(ids.clone()))
        .order_by_asc(citation::Column::Position)
        .all(&app.db)
        .await
        .unwrap();
    let revisions =
        revision::Entity::find().filter(revision::Column::FactId.is_in(ids.clone())).all(&app.db).await.unwrap();
    assert_eq!(participants.len() as u64, report.participants);
    assert_eq!(qualifiers.len() as u64, report.qualifiers);
    assert_eq!(citations.len() as u64, report.citations);
    assert_eq!(revisions.len() as u64, report.revisions);
    assert_eq!(app.row_count("sources").await, FACTS as i64 / 5 + 1, "the demo's source and the seed's");
    assert_eq!(app.row_count("fact_search_documents").await, app.row_count("facts").await);

    // 2–3 participants in roles their kind allows, 0–2 qualifiers (the kind's required ones
    // among them), 1–3 citations; Russia in about 13 % of facts, Syria in about 8 %, both in some.
    let kinds: HashMap<String, fact_kind::Model> =
        fact_kind::Entity::find().all(&app.db).await.unwrap().into_iter().map(|k| (k.key.clone(), k)).collect();
    let list = |value: &Value| -> Vec<String> {
        value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
    };
    let mut by_fact: HashMap<Uuid, (Vec<&fact_participant::Model>, Vec<&fact_qualifier::Model>, usize)> =
        HashMap::new();
    for p in &participants {
        by_fact.entry(p.fact_id).or_default().0.push(p);
    }
    for q in &qualifiers {
        by_fact.entry(q.fact_id).or_default().1.push(q);
    }
    for c in &citations {
        by_fact.entry(c.fact_id).or_default().2 += 1;
    }
    let (mut russia, mut syria, mut both) = (0, 0, 0);
    for (id, f) in &facts {
        let (ps, qs, cs) = &by_fact[id];
        let kind = &kinds[&f.kind_key];
        assert!((2..=3).contains(&ps.len()), "{}: {} participants", f.id, ps.len());
        assert!((1..=3).contains(cs), "{}: {cs} citations", f.id);
        assert!(qs.len() <= 2, "{}: {} qualifiers", f.id, qs.len());
        let roles = list(&kind.allowed_roles);
        assert!(ps.iter().all(|p| roles.contains(&p.role.as_str().to_owned())), "{}: roles of {}", f.id, f.kind_key);
        let keys: Vec<String> = qs.iter().map(|q| q.key.clone()).collect();
        let allowed = list(&kind.allowed_qualifiers);
        assert!(keys.iter().all(|k| allowed.contains(k)), "{}: qualifiers {keys:?} of {}", f.id, f.kind_key);
        assert!(
            list(&kind.required_qualifiers).iter().all(|k| keys.contains(k)),
            "{}: required of {}",
            f.id,
            f.kind_key
        );
        let has = |actor: Uuid| ps.iter().any(|p| p.actor_id == actor);
        russia += has(RUSSIA) as u32;
        syria += has(SYRIA) as u32;
        both += (has(RUSSIA) && has(SYRIA)) as u32;
    }
    let share = |n: u32| n as f64 / FACTS as f64;
    assert!((0.07..=0.20).contains(&share(russia)), "Russia in {russia} of {FACTS}");
    assert!((0.03..=0.14).contains(&share(syria)), "Syria in {syria} of {FACTS}");
    assert!(both > 0, "Russia and Syria together in some facts");

    // ~90 % published; the other statuses of the workflow too, each consistent.
    let mut statuses: HashMap<&str, usize> = HashMap::new();
    for f in facts.values() {
        *statuses.entry(f.status.as_str()).or_default() += 1;
    }
    let published = statuses.get("PUBLISHED").copied().unwrap_or_default();
    assert!((0.84..=0.95).contains(&(published as f64 / FACTS as f64)), "{statuses:?}");
    for status in ["RETRACTED", "SUPERSEDED", "IN_REVIEW", "DRAFT"] {
        assert!(statuses.get(status).copied().unwrap_or_default() > 0, "no {status}: {statuses:?}");
    }
    for f in facts.values().filter(|f| f.status.as_str() == "SUPERSEDED") {
        let correction = &facts[&f.superseded_by_id.expect("a superseded fact names its correction")];
        assert_eq!(correction.supersedes_id, Some(f.id));
        assert_eq!(correction.status.as_str(), "PUBLISHED");
    }

    // Quotes of sources with a snapshot are verbatim there, located where verification finds them.
    let sources: HashMap<Uuid, source::Model> =
        source::Entity::find().all(&app.db).await.unwrap().into_iter().map(|s| (s.id, s)).collect();
    let mut verified = 0;
    for c in &citations {
        let snapshot = sources[&c.source_id].snapshot.as_deref();
        assert_eq!(c.verified, snapshot.is_some(), "{}", c.id);
        if let Some(snapshot) = snapshot {
            let found = verify_quote(snapshot, &c.quote).expect("the quote is in the snapshot");
            assert_eq!((c.quote_start, c.quote_end), (Some(found.start as i32), Some(found.end as i32)));
            verified += 1;
        }
    }
    assert!(verified > 0 && verified < citations.len(), "some sources have a snapshot, not all");

    // Each fact's latest revision is the snapshot the write path takes of it, and its search
    // document is the one the store would rebuild.
    for f in facts.values() {
        let latest = revisions.iter().filter(|r| r.fact_id == f.id).max_by_key(|r| r.seq).unwrap();
        assert_eq!(latest.fact_version, f.version, "{}", f.id);
        let expected = snapshot_fact(&app.db, f).await.unwrap().to_string();
        assert_eq!(latest.snapshot, expected, "the snapshot of {}", f.id);
    }
    for id in ids.iter().take(40) {
        let stored = fact_search_document::Entity::find_by_id(*id).one(&app.db).await.unwrap().unwrap().document;
        chancery::domain::fact::store::refresh_search_document(&app.db, *id).await.unwrap();
        let rebuilt = fact_search_document::Entity::find_by_id(*id).one(&app.db).await.unwrap().unwrap().document;
        assert_eq!(stored, rebuilt, "the search document of {id}");
    }

    // The chain holds the demo's revisions and the seed's, intact, and the CLI agrees.
    let total = app.row_count("revisions").await;
    assert_eq!(verify_chain(&app.db).await.unwrap(), ChainVerdict::Intact { length: total as u64 });
    let (ok, stdout, stderr) = app.verify_history_cli(&[]).await;
    assert!(ok, "verify-history: {stdout} {stderr}");
    assert!(stdout.contains(&format!("history intact: {total} revisions verified")), "{stdout}");
}

const PAGE: &str = r#"query($filter: FactFilterInput) {
  facts(first: 20, orderBy: {field: OCCURRED_AT, direction: DESC}, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id summary participants { role actor { id name } } citations { quote source { url outlet { name } } } }
  }
}"#;

async fn the_public_api_reads_seeded_facts(backend: Backend) {
    let (app, _) = seeded(backend).await;
    let facts = seeded_facts(&app).await;
    let public = |f: &&fact::Model| matches!(f.status.as_str(), "PUBLISHED" | "RETRACTED" | "SUPERSEDED");
    let public_ids: HashSet<String> = facts.values().filter(public).map(|f| global_id("Fact", f.id)).collect();

    // The first page: seeded facts with their participants, citations, sources and outlets.
    let data = app.query_ok(PAGE, json!({})).await;
    let page = &data["facts"];
    assert_eq!(page["totalCount"].as_u64().unwrap(), public_ids.len() as u64 + 10, "with the demo's 10 facts");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let nodes = page["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 20);
    let seeded_nodes: Vec<&Value> = nodes.iter().filter(|n| public_ids.contains(n["id"].as_str().unwrap())).collect();
    assert!(!seeded_nodes.is_empty(), "the newest facts include seeded ones: {page:#}");
    for node in seeded_nodes {
        let participants = node["participants"].as_array().unwrap();
        assert!((2..=3).contains(&participants.len()), "{node:#}");
        assert!(participants.iter().all(|p| !p["actor"]["name"].as_str().unwrap().is_empty()));
        let citations = node["citations"].as_array().unwrap();
        assert!((1..=3).contains(&citations.len()), "{node:#}");
        for c in citations {
            assert!(c["source"]["url"].as_str().unwrap().starts_with("https://"), "{c:#}");
            assert!(!c["source"]["outlet"]["name"].as_str().unwrap().is_empty(), "{c:#}");
            assert!(!c["quote"].as_str().unwrap().is_empty());
        }
    }

    // Full-text search finds seeded facts by words of their summaries, qualifiers and quotes.
    let data = app.query_ok(PAGE, json!({ "filter": { "search": "naval" } })).await;
    let found = data["facts"]["nodes"].as_array().unwrap();
    assert!(found.iter().any(|n| public_ids.contains(n["id"].as_str().unwrap())), "{data:#}");

    // Facts involving both Russia and Syria: as many as the seed wrote, each naming both.
    let both = json!({ "allOf": [global_id("Actor", RUSSIA), global_id("Actor", SYRIA)] });
    let data = app.query_ok(PAGE, json!({ "filter": both })).await;
    let participants = fact_participant::Entity::find()
        .filter(fact_participant::Column::ActorId.is_in([RUSSIA, SYRIA]))
        .all(&app.db)
        .await
        .unwrap();
    let mut actors_of: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for p in participants {
        actors_of.entry(p.fact_id).or_default().insert(p.actor_id);
    }
    let seeded_with_both =
        facts.values().filter(public).filter(|f| actors_of.get(&f.id).is_some_and(|a| a.len() == 2)).count();
    assert!(seeded_with_both > 0);
    let total = data["facts"]["totalCount"].as_u64().unwrap();
    assert!(total >= seeded_with_both as u64, "{total} facts with both, the seed wrote {seeded_with_both}");
    for node in data["facts"]["nodes"].as_array().unwrap() {
        let names: Vec<&str> =
            node["participants"].as_array().unwrap().iter().map(|p| p["actor"]["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"Russia") && names.contains(&"Syria"), "{node:#}");
    }

    // One published fact by its global id, with its citations.
    let one = facts.values().find(|f| f.status.as_str() == "PUBLISHED").unwrap();
    let data = app
        .query_ok(
            "query($id: ID!) { node(id: $id) { ... on Fact { id summary citations { quote source { url } } } } }",
            json!({ "id": global_id("Fact", one.id) }),
        )
        .await;
    assert_eq!(data["node"]["summary"], one.summary);
    // Drafts and facts in review stay out of the public record.
    let hidden = facts.values().find(|f| f.status.as_str() == "DRAFT").unwrap();
    let data =
        app.query_ok("query($id: ID!) { node(id: $id) { id } }", json!({ "id": global_id("Fact", hidden.id) })).await;
    assert_eq!(data["node"], Value::Null);
}

/// Runs `chancery seed` with `args` on `url`: (success, stdout, stderr).
async fn seed_cli(url: &str, args: &[&str]) -> (bool, String, String) {
    crate::support::run_cli(url, "seed", args).await
}

async fn seeding_twice_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let refused = seed(&app.db, 0).await.unwrap_err().to_string();
    assert!(refused.contains("from 1 to"), "{refused}");

    let (ok, stdout, stderr) = seed_cli(&app.database.url, &["--facts", "50"]).await;
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("seeded 50 facts, "), "the final count line: {stdout}");
    let before = row_counts(&app).await;
    let head = app.query_ok("{ historyHead { sequence hash } }", json!({})).await;

    let error = seed(&app.db, 50).await.unwrap_err().to_string();
    assert!(error.contains("already seeded") && error.contains("50 facts"), "{error}");
    let (ok, stdout, stderr) = seed_cli(&app.database.url, &["--facts", "10"]).await;
    assert!(!ok, "a second seed through the CLI is refused: {stdout}");
    assert!(stderr.contains("already seeded"), "{stderr}");
    assert_eq!(row_counts(&app).await, before, "nothing changed");
    assert_eq!(app.query_ok("{ historyHead { sequence hash } }", json!({})).await, head);

    // The same N gives the same data on another database.
    let other = TestDatabase::new(backend).await;
    let other_db = sea_orm::Database::connect(&other.url).await.unwrap();
    chancery::db::migrate(&other_db).await.unwrap();
    seed(&other_db, 50).await.unwrap();
    let content = |db: sea_orm::DatabaseConnection| async move {
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT f.summary, f.status, f.occurred_on, p.role, a.name FROM facts f \
                 JOIN fact_participants p ON p.fact_id = f.id JOIN actors a ON a.id = p.actor_id \
                 ORDER BY f.id, p.position",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                (1..5).fold(r.try_get_by_index::<String>(0).unwrap(), |line, n| {
                    let value = r
                        .try_get_by_index::<String>(n)
                        .or_else(|_| r.try_get_by_index::<chrono::NaiveDate>(n).map(|d| d.to_string()))
                        .unwrap();
                    format!("{line}|{value}")
                })
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(content(app.db.clone()).await, content(other_db.clone()).await, "deterministic for a given N");
    other_db.close().await.unwrap();
}

#[tokio::test]
async fn bad_fact_counts_are_refused_with_a_clear_message() {
    use chancery::config::{Cli, Command};
    use clap::Parser;
    for (arg, expected) in [
        ("0", "the number of facts must be from 1 to 10000000"),
        ("-3", "the number of facts must be from 1 to 10000000"),
        ("10000001", "the number of facts must be from 1 to 10000000"),
        ("many", "the number of facts must be a whole number"),
    ] {
        let error = Cli::try_parse_from(["chancery", "seed", "--facts", arg]).unwrap_err().to_string();
        assert!(error.contains(expected) && error.contains("--facts"), "{arg}: {error}");
    }
    let parsed = Cli::try_parse_from(["chancery", "seed"]).unwrap();
    assert!(matches!(parsed.command, Some(Command::Seed { facts: 10_000 })), "{parsed:?}");
    // The binary says so and exits non-zero, before touching any database.
    let (ok, _, stderr) = seed_cli("sqlite:///nonexistent-dir/never.db", &["--facts", "0"]).await;
    assert!(!ok);
    assert!(stderr.contains("the number of facts must be from 1 to 10000000"), "{stderr}");
}

backend_tests!(
    seeding_writes_what_it_reports_as_the_write_path_would,
    the_public_api_reads_seeded_facts,
    seeding_twice_is_refused_and_changes_nothing,
);
