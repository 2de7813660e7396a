//! The vocabulary administered through the API: admins add, revise and deprecate fact kinds;
//! every change names the version it read and is kept in the kind's history; a deprecated kind
//! stays valid for the facts that use it, and no new fact may use it.
use crate::support::{assert_bad_input, single_error, visit_input, Backend, TestApp};
use entity::enums::UserRole;
use serde_json::{json, Value};

const CREATE: &str = "mutation($input: CreateFactKindInput!) { createFactKind(input: $input) { factKind { key version category allowedRoles history { version action } } } }";
const UPDATE: &str = "mutation($input: UpdateFactKindInput!) { updateFactKind(input: $input) { factKind { key version label history { version action } } } }";
const DEPRECATE: &str = "mutation($input: DeprecateFactKindInput!) { deprecateFactKind(input: $input) { factKind { key version deprecatedAt deprecationReason } } }";
const CREATE_FACT: &str = "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id version } } }";

fn kind(key: &str) -> Value {
    json!({ "key": key, "label": "Hostage release", "description": "An actor released hostages it held.",
            "allowedQualifiers": ["number", "location"], "requiredQualifiers": ["number"],
            "allowedRoles": ["SUBJECT", "OBJECT", "MEDIATOR"], "cameoCode": "0841" })
}

async fn state(app: &TestApp) -> (i64, i64) {
    (app.row_count("fact_kinds").await, app.row_count("fact_kind_revisions").await)
}

async fn an_admin_adds_a_kind_that_facts_may_use_and_bad_ones_change_nothing(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let before = state(&app).await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut input = kind("humanitarian.hostage_release");
        change(&mut input);
        json!({ "input": input })
    };
    let refusals: Vec<(Value, &str)> = vec![
        (with(&|k| k["key"] = json!("Hostage Release")), "key"),
        (with(&|k| k["key"] = json!("nodot")), "key"),
        (with(&|k| k["key"] = json!("diplomatic.phone_call")), "key"),
        (with(&|k| k["label"] = json!("")), "label"),
        (with(&|k| k["description"] = json!(" ")), "description"),
        (with(&|k| k["allowedQualifiers"] = json!(["number", "Bad-Key"])), "allowedQualifiers[1]"),
        (with(&|k| k["allowedQualifiers"] = json!(["number", "number"])), "allowedQualifiers[1]"),
        (with(&|k| k["requiredQualifiers"] = json!(["casualties"])), "requiredQualifiers[0]"),
        (with(&|k| k["allowedRoles"] = json!([])), "allowedRoles"),
        (with(&|k| k["cameoCode"] = json!("12345")), "cameoCode"),
    ];
    for (variables, field) in refusals {
        assert_bad_input(&app.graphql_as(&admin, CREATE, variables).await, field);
    }
    let refused = app.graphql_as(&editor, CREATE, with(&|_| {})).await;
    assert_eq!(single_error(&refused).0, "FORBIDDEN");
    assert_eq!(state(&app).await, before, "refused changes write nothing");

    let created = app.ok_as(&admin, CREATE, with(&|_| {})).await["createFactKind"]["factKind"].clone();
    assert_eq!(created["category"], "humanitarian");
    assert_eq!(created["version"], 1);
    assert_eq!(created["history"], json!([{ "version": 1, "action": "CREATED" }]));
    let (russia, syria, source) =
        (app.actor_id("Russia").await, app.actor_id("Syria").await, app.demo_source_id().await);
    let mut input = visit_input(&russia, &syria, &source, "Hostages were released.");
    input["kind"] = json!("humanitarian.hostage_release");
    input["qualifiers"] = json!([]);
    assert_bad_input(&app.graphql_as(&editor, CREATE_FACT, json!({ "input": input.clone() })).await, "qualifiers");
    input["qualifiers"] = json!([{ "key": "number", "value": "3" }]);
    app.ok_as(&editor, CREATE_FACT, json!({ "input": input })).await;
}

async fn a_revision_names_the_version_it_read_and_is_kept_in_history(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    app.ok_as(&admin, CREATE, json!({ "input": kind("humanitarian.hostage_release") })).await;
    let mut revised = kind("humanitarian.hostage_release");
    revised["label"] = json!("Release of hostages");
    let before = state(&app).await;
    let stale = app
        .graphql_as(
            &admin,
            UPDATE,
            json!({ "input": { "key": "humanitarian.hostage_release", "expectedVersion": 7, "kind": revised } }),
        )
        .await;
    assert_eq!(single_error(&stale).0, "CONFLICT");
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 1);
    let mut renamed = revised.clone();
    renamed["key"] = json!("humanitarian.other");
    let refused = app
        .graphql_as(
            &admin,
            UPDATE,
            json!({ "input": { "key": "humanitarian.hostage_release", "expectedVersion": 1, "kind": renamed } }),
        )
        .await;
    assert_bad_input(&refused, "kind.key");
    let mut unlabelled = revised.clone();
    unlabelled["label"] = json!("");
    let refused = app
        .graphql_as(
            &admin,
            UPDATE,
            json!({ "input": { "key": "humanitarian.hostage_release", "expectedVersion": 1, "kind": unlabelled } }),
        )
        .await;
    assert_bad_input(&refused, "kind.label");
    assert_eq!(state(&app).await, before, "refused revisions write nothing");
    let updated = app
        .ok_as(
            &admin,
            UPDATE,
            json!({ "input": { "key": "humanitarian.hostage_release", "expectedVersion": 1, "kind": revised } }),
        )
        .await["updateFactKind"]["factKind"]
        .clone();
    assert_eq!(updated["label"], "Release of hostages");
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["history"],
        json!([{ "version": 1, "action": "CREATED" }, { "version": 2, "action": "UPDATED" }])
    );
}

async fn a_deprecated_kind_takes_no_new_fact_and_the_old_ones_stay_valid(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let (russia, syria, source) =
        (app.actor_id("Russia").await, app.actor_id("Syria").await, app.demo_source_id().await);
    let draft_input = visit_input(&russia, &syria, &source, "A visit drafted before the deprecation.");
    let draft =
        app.ok_as(&editor, CREATE_FACT, json!({ "input": draft_input.clone() })).await["createFact"]["fact"].clone();
    let visits = r#"{ facts(filter: {kinds: ["diplomatic.visit"]}) { totalCount } }"#;
    let published = app.query_ok(visits, json!({})).await["facts"]["totalCount"].clone();
    let deprecate = |version: i64, reason: &str| json!({ "input": { "key": "diplomatic.visit", "expectedVersion": version, "reason": reason } });
    assert_bad_input(&app.graphql_as(&admin, DEPRECATE, deprecate(1, "")).await, "reason");
    let done = app.ok_as(&admin, DEPRECATE, deprecate(1, "Split into summits and bilateral visits.")).await;
    assert_eq!(done["deprecateFactKind"]["factKind"]["version"], 2);
    assert!(done["deprecateFactKind"]["factKind"]["deprecatedAt"].is_string());
    assert_bad_input(&app.graphql_as(&admin, DEPRECATE, deprecate(2, "Again.")).await, "key");

    let refused = app.graphql_as(&editor, CREATE_FACT, json!({ "input": draft_input.clone() })).await;
    assert_bad_input(&refused, "kind");
    assert_eq!(app.query_ok(visits, json!({})).await["facts"]["totalCount"], published, "published facts keep it");
    let update = "mutation($input: UpdateFactInput!) { updateFact(input: $input) { fact { version } } }";
    let mut edited = draft_input;
    edited["summary"] = json!("A visit drafted before the deprecation, edited after it.");
    edited["id"] = draft["id"].clone();
    edited["expectedVersion"] = draft["version"].clone();
    let kept = app.ok_as(&editor, update, json!({ "input": edited })).await;
    assert_eq!(kept["updateFact"]["fact"]["version"], 2, "a draft that has the kind keeps it");
}

backend_tests!(
    an_admin_adds_a_kind_that_facts_may_use_and_bad_ones_change_nothing,
    a_revision_names_the_version_it_read_and_is_kept_in_history,
    a_deprecated_kind_takes_no_new_fact_and_the_old_ones_stay_valid,
);
