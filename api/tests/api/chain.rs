//! One hash chain for the whole record: besides facts' revisions, changes of the vocabulary,
//! revisions of sources and merges of actors are appended to it, `chancery verify-history`
//! verifies them with the rest, and an entry about a kind, a source or an actor edited behind
//! the application's back is reported as the break it is.
use crate::support::{Backend, TestApp};
use entity::enums::UserRole;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

/// How many entries of the chain are about `subject`.
async fn entries_about(app: &TestApp, subject: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM revisions WHERE subject = '{subject}'");
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// The demo, with one change of each kind the chain covers besides facts: a kind created,
/// revised and deprecated; a source revised; an actor merged into another.
async fn a_record_with_every_kind_of_change(backend: Backend) -> TestApp {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let kind = json!({ "key": "humanitarian.hostage_release", "label": "Hostage release",
        "description": "An actor released hostages it held.", "allowedQualifiers": ["number"],
        "requiredQualifiers": [], "allowedRoles": ["SUBJECT", "OBJECT"], "cameoCode": "0841" });
    app.ok_as(
        &admin,
        "mutation($i: CreateFactKindInput!) { createFactKind(input: $i) { factKind { version } } }",
        json!({ "i": kind }),
    )
    .await;
    let revised = json!({ "key": "humanitarian.hostage_release", "expectedVersion": 1,
        "kind": { "key": "humanitarian.hostage_release", "label": "Release of hostages", "description": "An actor released hostages it held.",
                  "allowedQualifiers": ["number"], "requiredQualifiers": [], "allowedRoles": ["SUBJECT", "OBJECT"] } });
    app.ok_as(
        &admin,
        "mutation($i: UpdateFactKindInput!) { updateFactKind(input: $i) { factKind { version } } }",
        json!({ "i": revised }),
    )
    .await;
    let deprecated =
        json!({ "key": "humanitarian.hostage_release", "expectedVersion": 2, "reason": "Merged into another kind." });
    app.ok_as(
        &admin,
        "mutation($i: DeprecateFactKindInput!) { deprecateFactKind(input: $i) { factKind { version } } }",
        json!({ "i": deprecated }),
    )
    .await;

    let source = app.demo_source_id().await;
    let version = app.query_ok("query($id: ID!) { source(id: $id) { version } }", json!({ "id": source })).await
        ["source"]["version"]
        .clone();
    app.ok_as(
        &admin,
        "mutation($i: UpdateSourceInput!) { updateSource(input: $i) { source { version } } }",
        json!({ "i": { "id": source, "expectedVersion": version, "title": "A revised title" } }),
    )
    .await;

    app.two_states_merged(&admin).await;
    app
}

async fn kinds_sources_and_merges_are_chained_and_verified_with_facts(backend: Backend) {
    let app = a_record_with_every_kind_of_change(backend).await;
    assert_eq!(entries_about(&app, "FACT_KIND").await, 3, "created, updated, deprecated");
    assert_eq!(entries_about(&app, "SOURCE").await, 1);
    assert_eq!(entries_about(&app, "ACTOR").await, 1);
    let facts = entries_about(&app, "FACT").await;
    assert!(facts > 0, "the demo's facts are chained too");
    let (ok, out, err) = app.verify_history_cli(&[]).await;
    assert!(ok, "{out}\n{err}");
    let total = facts + 5;
    assert!(out.contains(&total.to_string()), "verify-history counts every entry ({total}): {out}");
    // A fact's history still lists only its own revisions.
    let fact = app.query_ok("{ facts(first: 1) { nodes { history { action } } } }", json!({})).await;
    let actions: Vec<Value> = fact["facts"]["nodes"][0]["history"].as_array().unwrap().clone();
    assert!(!actions.is_empty());
}

async fn an_edited_vocabulary_entry_breaks_the_chain(backend: Backend) {
    let app = a_record_with_every_kind_of_change(backend).await;
    let guard_off = match app.backend {
        Backend::Sqlite => "DROP TRIGGER revisions_append_only_update",
        Backend::Postgres => "ALTER TABLE revisions DISABLE TRIGGER USER",
    };
    app.db.execute_unprepared(guard_off).await.unwrap();
    app.db
        .execute_unprepared(
            "UPDATE revisions SET snapshot = REPLACE(snapshot, 'Hostage release', 'Prisoner release') \
             WHERE subject = 'FACT_KIND'",
        )
        .await
        .unwrap();
    let (ok, out, err) = app.verify_history_cli(&[]).await;
    assert!(!ok, "a rewritten vocabulary entry is found: {out}");
    assert!(format!("{out}{err}").contains("does not match its hash"), "{out}\n{err}");
}

async fn an_entry_moved_to_another_subject_breaks_the_chain(backend: Backend) {
    let app = a_record_with_every_kind_of_change(backend).await;
    let guard_off = match app.backend {
        Backend::Sqlite => "DROP TRIGGER revisions_append_only_update",
        Backend::Postgres => "ALTER TABLE revisions DISABLE TRIGGER USER",
    };
    app.db.execute_unprepared(guard_off).await.unwrap();
    app.db.execute_unprepared("UPDATE revisions SET subject = 'SOURCE' WHERE subject = 'ACTOR'").await.unwrap();
    let (ok, out, _) = app.verify_history_cli(&[]).await;
    assert!(!ok, "the subject is covered by the hash: {out}");
}

backend_tests!(
    kinds_sources_and_merges_are_chained_and_verified_with_facts,
    an_edited_vocabulary_entry_breaks_the_chain,
    an_entry_moved_to_another_subject_breaks_the_chain,
);
