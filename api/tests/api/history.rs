//! The history's tamper evidence beyond the revisions themselves: the chain head is guarded by
//! the database like the revisions, a missing or disagreeing head is reported as broken, and the
//! head is published (`historyHead`) so that an outside observer can later prove with
//! `verify-history --since-head` that the log still extends what they saw.
use crate::support;

use crate::support::{Backend, TestApp};
use chancery::domain::fact::history::{verify_chain, ChainVerdict};
use entity::enums::UserRole;
use sea_orm::ConnectionTrait;
use serde_json::json;

const HISTORY_HEAD: &str = "{ historyHead { sequence hash at } }";
const CREATE_FACT: &str = "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id } } }";
const GENESIS_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The first column of the one row `sql` selects.
async fn scalar<T: sea_orm::TryGetable>(app: &TestApp, sql: &str) -> T {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(app.db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<T>(0).unwrap()
}

async fn stored_head(app: &TestApp) -> (i64, String) {
    (
        scalar::<i64>(app, "SELECT length FROM revision_chain WHERE id = 1").await,
        scalar::<String>(app, "SELECT head_hash FROM revision_chain WHERE id = 1").await,
    )
}

async fn hash_of(app: &TestApp, seq: i64) -> String {
    scalar::<String>(app, &format!("SELECT hash FROM revisions WHERE seq = {seq}")).await
}

/// The head as the public API reports it, as `<sequence>:<hash>`.
async fn published_head(app: &TestApp) -> (i64, String) {
    let data = app.query_ok(HISTORY_HEAD, json!({})).await;
    let head = &data["historyHead"];
    (head["sequence"].as_i64().unwrap(), head["hash"].as_str().unwrap().to_owned())
}

/// Records one more fact through the API, which appends one revision.
async fn record_a_fact(app: &TestApp, token: &str) {
    let russia = app.actor_id("Russia").await;
    let syria = app.actor_id("Syria").await;
    let source = app.demo_source_id().await;
    let summary = format!("A visit recorded by the history tests {}.", uuid::Uuid::now_v7().simple());
    let input = support::visit_input(&russia, &syria, &source, &summary);
    app.ok_as(token, CREATE_FACT, json!({ "input": input })).await;
}

/// What an attacker with DDL rights does first: switch off the guards of both tables.
async fn disable_guards(app: &TestApp) {
    let statements: &[&str] = match app.backend {
        Backend::Sqlite => &[
            "DROP TRIGGER IF EXISTS revision_chain_guard_insert",
            "DROP TRIGGER IF EXISTS revision_chain_guard_delete",
            "DROP TRIGGER IF EXISTS revision_chain_guard_update",
            "DROP TRIGGER revisions_append_only_delete",
        ],
        Backend::Postgres => {
            &["ALTER TABLE revision_chain DISABLE TRIGGER USER", "ALTER TABLE revisions DISABLE TRIGGER USER"]
        }
    };
    for sql in statements {
        app.db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

async fn the_chain_head_refuses_delete_truncate_insert_and_any_update_but_one_appended_step(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (length, head_hash) = stored_head(&app).await;
    assert!(length > 3, "the demo wrote revisions");
    let previous = hash_of(&app, length - 1).await;
    let mut attacks = vec![
        "DELETE FROM revision_chain".to_owned(),
        "DELETE FROM revision_chain WHERE id = 1".to_owned(),
        format!("INSERT INTO revision_chain (id, length, head_hash) VALUES (2, 0, '{GENESIS_HASH}')"),
        // Set back by one revision, consistently: what cutting off the newest revision needs.
        format!("UPDATE revision_chain SET length = {}, head_hash = '{previous}' WHERE id = 1", length - 1),
        "UPDATE revision_chain SET length = length + 1 WHERE id = 1".to_owned(),
        format!("UPDATE revision_chain SET head_hash = '{GENESIS_HASH}' WHERE id = 1"),
        // A step forward to a revision that is not there, or to one that does not link to the head.
        format!("UPDATE revision_chain SET length = length + 1, head_hash = '{}' WHERE id = 1", "f".repeat(64)),
        format!("UPDATE revision_chain SET length = length + 1, head_hash = '{previous}' WHERE id = 1"),
        format!("UPDATE revision_chain SET length = length + 2, head_hash = '{head_hash}' WHERE id = 1"),
    ];
    if backend == Backend::Postgres {
        attacks.push("TRUNCATE revision_chain".to_owned());
    }
    for sql in &attacks {
        let refused = app.db.execute_unprepared(sql).await;
        let error = refused.err().unwrap_or_else(|| panic!("`{sql}` must be refused")).to_string();
        assert!(error.contains("revision chain head") || sql.starts_with("INSERT"), "{sql}: {error}");
        assert_eq!(stored_head(&app).await, (length, head_hash.clone()), "{sql}: the head is as it was");
    }
    assert_eq!(app.row_count("revision_chain").await, 1);

    // The application's own append path still advances it, one step per revision.
    let (_, token) = app.user_with_role(UserRole::Editor).await;
    record_a_fact(&app, &token).await;
    let (advanced, advanced_hash) = stored_head(&app).await;
    assert_eq!(advanced, length + 1);
    assert_eq!(advanced_hash, hash_of(&app, length + 1).await);
    assert_eq!(verify_chain(&app.db).await.unwrap(), ChainVerdict::Intact { length: advanced as u64 });
}

async fn a_deleted_head_with_the_newest_revisions_cut_is_reported_broken(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (length, _) = stored_head(&app).await;
    disable_guards(&app).await;
    app.db.execute_unprepared("DELETE FROM revision_chain").await.expect("with the guards off the head goes");
    app.db
        .execute_unprepared(&format!("DELETE FROM revisions WHERE seq > {}", length - 3))
        .await
        .expect("and so do the newest revisions");

    match verify_chain(&app.db).await.unwrap() {
        ChainVerdict::Broken { reason, revision_id, .. } => {
            assert!(reason.contains("head is missing"), "{reason}");
            assert!(revision_id.is_none(), "no revision is at fault");
        }
        intact => panic!("a log without its head must not pass: {intact:?}"),
    }
    let (ok, stdout, stderr) = app.verify_history_cli(&[]).await;
    assert!(!ok, "verify-history fails without a head: {stdout} {stderr}");
    assert!(stderr.contains("head is missing"), "says why: {stderr}");
    assert!(!stdout.contains("intact"), "{stdout}");
}

async fn a_head_that_disagrees_with_the_log_is_reported_broken(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (length, _) = stored_head(&app).await;
    disable_guards(&app).await;
    // The newest revisions cut, the head left as it was.
    app.db.execute_unprepared(&format!("DELETE FROM revisions WHERE seq > {}", length - 2)).await.unwrap();
    match verify_chain(&app.db).await.unwrap() {
        ChainVerdict::Broken { reason, .. } => assert!(reason.contains("counts"), "{reason}"),
        intact => panic!("{intact:?}"),
    }
    // The length made to agree, the hash not.
    app.db.execute_unprepared(&format!("UPDATE revision_chain SET length = {}", length - 2)).await.unwrap();
    match verify_chain(&app.db).await.unwrap() {
        ChainVerdict::Broken { reason, .. } => assert!(reason.contains("hash"), "{reason}"),
        intact => panic!("{intact:?}"),
    }
    let (ok, _, stderr) = app.verify_history_cli(&[]).await;
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("head's hash"), "{stderr}");
}

async fn history_head_publishes_the_newest_revision_to_anyone(backend: Backend) {
    let empty = TestApp::spawn(backend).await;
    let data = empty.query_ok(HISTORY_HEAD, json!({})).await;
    assert_eq!(data["historyHead"], json!({ "sequence": 0, "hash": GENESIS_HASH, "at": null }));

    let app = TestApp::spawn_with_demo(backend).await;
    let data = app.query_ok(HISTORY_HEAD, json!({})).await;
    let head = &data["historyHead"];
    let length = app.row_count("revisions").await;
    assert_eq!(head["sequence"], length, "{data:#}");
    assert_eq!(head["hash"], hash_of(&app, length).await.as_str());
    let at = chrono::DateTime::parse_from_rfc3339(head["at"].as_str().unwrap()).expect("an RFC 3339 time");
    assert!(at <= chrono::Utc::now(), "{at}");

    let (_, token) = app.user_with_role(UserRole::Editor).await;
    record_a_fact(&app, &token).await;
    let (sequence, hash) = published_head(&app).await;
    assert_eq!(sequence, length + 1, "a draft's revision moves the head too");
    assert_eq!(hash, hash_of(&app, length + 1).await);
}

async fn verify_history_since_head_accepts_an_extended_log_and_refuses_a_cut_or_rebuilt_one(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, token) = app.user_with_role(UserRole::Editor).await;
    let (seen, seen_hash) = published_head(&app).await;
    let seen_head = format!("{seen}:{seen_hash}");

    // The log grew: it extends every head seen before.
    record_a_fact(&app, &token).await;
    record_a_fact(&app, &token).await;
    let (ok, stdout, stderr) = app.verify_history_cli(&["--since-head", &seen_head]).await;
    assert!(ok, "an extended log passes: {stdout} {stderr}");
    assert!(stdout.contains("extends the head seen earlier"), "{stdout}");
    let (ok, _, stderr) = app.verify_history_cli(&["--since-head", &format!("0:{GENESIS_HASH}")]).await;
    assert!(ok, "every log extends the empty one: {stderr}");

    // A head nobody published: the revision at that position has another hash.
    let (ok, _, stderr) = app.verify_history_cli(&["--since-head", &format!("{seen}:{}", "a".repeat(64))]).await;
    assert!(!ok, "a different hash fails: {stderr}");
    assert!(stderr.contains(&format!("revision #{seen}")) && stderr.contains("differs"), "{stderr}");
    let (ok, _, stderr) = app.verify_history_cli(&["--since-head", "12-abc"]).await;
    assert!(!ok, "a malformed head is refused: {stderr}");

    // Someone with database access cuts the tail and sets the head back consistently: the
    // chain on its own is intact, but it no longer extends the published head.
    disable_guards(&app).await;
    let keep = seen - 2;
    app.db.execute_unprepared(&format!("DELETE FROM revisions WHERE seq > {keep}")).await.unwrap();
    let kept_hash = hash_of(&app, keep).await;
    app.db
        .execute_unprepared(&format!("UPDATE revision_chain SET length = {keep}, head_hash = '{kept_hash}'"))
        .await
        .unwrap();
    assert_eq!(verify_chain(&app.db).await.unwrap(), ChainVerdict::Intact { length: keep as u64 });
    let (ok, _, _) = app.verify_history_cli(&[]).await;
    assert!(ok, "without a published head the cut goes unseen");
    let (ok, stdout, stderr) = app.verify_history_cli(&["--since-head", &seen_head]).await;
    assert!(!ok, "a cut log fails against the head seen before: {stdout} {stderr}");
    assert!(stderr.contains("cut"), "{stderr}");

    // And rebuilt past the published length by ordinary writes: the revision at the published
    // position is another one now.
    for _ in 0..4 {
        record_a_fact(&app, &token).await;
    }
    let (length, _) = stored_head(&app).await;
    assert!(length > seen);
    assert!(matches!(verify_chain(&app.db).await.unwrap(), ChainVerdict::Intact { .. }));
    let (ok, stdout, stderr) = app.verify_history_cli(&["--since-head", &seen_head]).await;
    assert!(!ok, "a rebuilt log fails against the head seen before: {stdout} {stderr}");
    assert!(stderr.contains(&format!("revision #{seen}")) && stderr.contains("differs"), "{stderr}");
}

async fn a_revision_is_a_node_found_by_its_id_by_whoever_may_read_its_fact(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    const HISTORY: &str = "{ facts(first: 1) { nodes { id history { id version action sequence hash } } } }";
    let fact = app.query_ok(HISTORY, json!({})).await["facts"]["nodes"][0].clone();
    let revisions = fact["history"].as_array().unwrap();
    assert!(revisions.len() >= 2, "{fact:#}");
    const NODE: &str =
        "query($id: ID!) { node(id: $id) { __typename id ... on Revision { version action sequence hash } } }";
    for revision in revisions {
        let found = app.query_ok(NODE, json!({ "id": revision["id"] })).await;
        assert_eq!(found["node"]["__typename"], "Revision");
        for field in ["id", "version", "action", "sequence", "hash"] {
            assert_eq!(found["node"][field], revision[field], "{field} as in the fact's history");
        }
    }
    let ids: std::collections::HashSet<_> = revisions.iter().map(|revision| revision["id"].clone()).collect();
    assert_eq!(ids.len(), revisions.len(), "each revision has an id of its own");

    // A draft's revisions are the author's and reviewers' only, as the draft is.
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let (russia, syria, source) =
        (app.actor_id("Russia").await, app.actor_id("Syria").await, app.demo_source_id().await);
    let input = support::visit_input(&russia, &syria, &source, "A draft visit whose history only its author sees.");
    let created = app.ok_as(&editor, CREATE_FACT, json!({ "input": input })).await;
    const DRAFT_HISTORY: &str = "query($id: ID!) { node(id: $id) { ... on Fact { status history { id } } } }";
    let draft = app.ok_as(&editor, DRAFT_HISTORY, json!({ "id": created["createFact"]["fact"]["id"] })).await;
    assert_eq!(draft["node"]["status"], "DRAFT");
    let draft_revision = draft["node"]["history"][0]["id"].clone();
    assert!(draft_revision.is_string(), "{draft:#}");
    let anonymous = app.query_ok(NODE, json!({ "id": draft_revision })).await;
    assert!(anonymous["node"].is_null(), "the public does not see a draft's revision: {anonymous:#}");
    let author = app.ok_as(&editor, NODE, json!({ "id": draft_revision })).await;
    assert_eq!(author["node"]["action"], "CREATED", "{author:#}");

    // An id that is not a revision's, or of no revision, is refused or null.
    let unknown = chancery::graphql::ids::encode_uuid("Revision", uuid::Uuid::now_v7());
    assert!(app.query_ok(NODE, json!({ "id": unknown })).await["node"].is_null());
    let forged = chancery::graphql::ids::encode("Revision", "not-a-uuid");
    let refused = app.graphql(NODE, json!({ "id": forged })).await;
    assert_eq!(support::single_error(&refused).0, "BAD_USER_INPUT", "{refused:#}");
}

backend_tests!(
    a_revision_is_a_node_found_by_its_id_by_whoever_may_read_its_fact,
    the_chain_head_refuses_delete_truncate_insert_and_any_update_but_one_appended_step,
    a_deleted_head_with_the_newest_revisions_cut_is_reported_broken,
    a_head_that_disagrees_with_the_log_is_reported_broken,
    history_head_publishes_the_newest_revision_to_anyone,
    verify_history_since_head_accepts_an_extended_log_and_refuses_a_cut_or_rebuilt_one,
);
