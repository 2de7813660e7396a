//! A read replica (`--database-read-url`): anonymous queries are answered from a real Postgres
//! streaming replica (made with `pg_basebackup -R`), while writes and signed-in callers use the
//! primary, so an editor reads what they just wrote even while the replica lags.
use std::time::Duration;

use crate::support::faults::PrivatePostgres;
use crate::support::{TestApp, TestDatabase};
use chancery::config::{DatabaseConfig, ServeConfig};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

const NEWEST: &str = "{ facts(first: 1) { nodes { id status version } } }";
const RETRACT: &str = "mutation($id: ID!, $v: Int!) { retractFact(input: {id: $id, expectedVersion: $v, \
                       reason: \"Replica test.\"}) { fact { id status } } }";

async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.client.get(format!("{}/metrics", app.base_url)).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in {text}"))
}

/// Polls an anonymous query until `done` holds of its data (replication is asynchronous).
async fn eventually(app: &TestApp, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let body = app.graphql(query, json!({})).await;
        if body.get("errors").is_none() && done(&body["data"]) {
            return body["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replica never showed it: {:#}", app.graphql(query, json!({})).await);
}

#[tokio::test]
#[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
async fn anonymous_reads_come_from_the_replica_and_editors_read_their_own_writes() {
    let Some(primary) = PrivatePostgres::start().await else { return };
    let replica = primary.start_replica().await;
    let config = DatabaseConfig { read_url: Some(replica.url()), ..DatabaseConfig::for_url(primary.url()) };
    let serve = ServeConfig { demo: true, rate_limit_per_minute: 0, ..ServeConfig::default() };
    let app =
        TestApp::spawn_on(crate::support::Backend::Postgres, TestDatabase::existing(primary.url()), &config, serve)
            .await;
    // The demo, written to the primary by the server's start, streams to the replica.
    let first = eventually(&app, NEWEST, |data| data["facts"]["nodes"][0]["status"] == "PUBLISHED").await;
    let fact = first["facts"]["nodes"][0].clone();

    let (on_replica, on_primary) = (metric(&app, "chancery_db_replica_statements_total").await, app.statements.get());
    app.query_ok("{ facts(first: 20) { nodes { id participants { actor { name } } } } }", json!({})).await;
    assert_eq!(metric(&app, "chancery_db_replica_statements_total").await - on_replica, 2, "page and participants");
    assert_eq!(app.statements.get() - on_primary, 0, "the primary ran none of it");

    // The replica stops replaying: what the primary now commits, it does not show yet.
    let standby = Database::connect(replica.url()).await.unwrap();
    standby.execute_unprepared("SELECT pg_wal_replay_pause()").await.unwrap();
    let (_, reviewer) = app.user_with_role(entity::enums::UserRole::Reviewer).await;
    let retracted = app.ok_as(&reviewer, RETRACT, json!({ "id": fact["id"], "v": fact["version"] })).await;
    assert_eq!(retracted["retractFact"]["fact"]["status"], "RETRACTED");
    let mine = app.ok_as(&reviewer, NEWEST, json!({})).await;
    assert_eq!(mine["facts"]["nodes"][0]["status"], "RETRACTED", "the reviewer reads their own write");
    let public = app.query_ok(NEWEST, json!({})).await;
    assert_eq!(public["facts"]["nodes"][0]["status"], "PUBLISHED", "the paused replica answers the public");

    standby.execute_unprepared("SELECT pg_wal_replay_resume()").await.unwrap();
    eventually(&app, NEWEST, |data| data["facts"]["nodes"][0]["status"] == "RETRACTED").await;
    let ready = app.client.get(format!("{}/readyz", app.base_url)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    standby.close().await.unwrap();
}

#[tokio::test]
async fn a_read_url_needs_postgres_on_both_sides() {
    let config =
        DatabaseConfig { read_url: Some("sqlite://replica.db".into()), ..DatabaseConfig::for_url("sqlite::memory:") };
    let error = chancery::app::build(&config, &ServeConfig::default()).await.err().expect("refused");
    assert!(format!("{error:#}").contains("--database-read-url"), "{error:#}");
}
