//! Errors from below the API — a constraint the database enforces, a panic in a resolver —
//! reach the client as a code and an error id only, change nothing, and the server goes on.
use crate::support;

use std::sync::Arc;

use crate::support::{Backend, TestApp, TestDatabase};
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ServerResult, Value};
use chancery::config::{DatabaseConfig, ServeConfig};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{json, Value as Json};

/// What no error body may contain, whatever went wrong underneath.
const LEAKS: [&str; 12] = [
    "sqlstate",
    "23505",
    "2067",
    "unique",
    "duplicate",
    "constraint",
    "revisions",
    "seq",
    "select ",
    "insert ",
    "panicked",
    ".rs:",
];

fn assert_masked(body: &Json) -> String {
    let (code, _, _) = support::single_error(body);
    assert_eq!(code, "INTERNAL", "{body:#}");
    let error_id = body["errors"][0]["extensions"]["errorId"].as_str().expect("an error id to quote").to_owned();
    assert!(uuid::Uuid::parse_str(&error_id).is_ok(), "{error_id}");
    let text = body.to_string().to_lowercase();
    for leak in LEAKS {
        assert!(!text.contains(leak), "the error leaks `{leak}`: {body:#}");
    }
    error_id
}

async fn a_constraint_violation_inside_a_write_is_masked_and_rolls_the_write_back(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, token) = app.user_with_role(entity::enums::UserRole::Editor).await;
    let russia = app.actor_id("Russia").await;
    let syria = app.actor_id("Syria").await;
    let source = app.demo_source_id().await;
    // Take the revision number the next write will use, so that its insert breaks the unique
    // index on `revisions.seq` inside the creating transaction.
    let head = entity::revision_chain::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    entity::revision::Entity::insert(entity::revision::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        seq: Set(head.length + 1),
        subject: Set("FACT".into()),
        fact_id: Set(uuid::Uuid::now_v7()),
        fact_version: Set(1),
        action: Set("create".into()),
        actor_id: Set(None),
        comment: Set(None),
        snapshot: Set("{}".into()),
        created_at: Set(chrono::Utc::now()),
        prev_hash: Set("0".repeat(64)),
        hash: Set("f".repeat(64)),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
    let tables = ["facts", "fact_participants", "citations", "revisions", "idempotency_keys"];
    let mut before = Vec::new();
    for table in tables {
        before.push(app.row_count(table).await);
    }

    let mut input = support::visit_input(&russia, &syria, &source, "A visit that cannot be recorded.");
    input["idempotencyKey"] = json!("k-1");
    let body = app
        .graphql_as(
            &token,
            "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id } } }",
            json!({ "input": input }),
        )
        .await;
    assert_masked(&body);
    let mut after = Vec::new();
    for table in tables {
        after.push(app.row_count(table).await);
    }
    assert_eq!(after, before, "nothing of the failed write is left ({tables:?})");
    let ok = app.graphql("{ factKinds { key } }", json!({})).await;
    assert!(ok.get("errors").is_none(), "the server keeps serving: {ok:#}");
}

/// Panics inside the resolver of `factKinds`, with a message that must never reach a client.
struct PanicInFactKinds;

impl ExtensionFactory for PanicInFactKinds {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PanicInFactKinds)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for PanicInFactKinds {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.name == "factKinds" {
            panic!("index out of bounds in /srv/chancery/src/secret.rs:12 (SQLSTATE 23505)");
        }
        next.run(ctx, info).await
    }
}

async fn a_panicking_resolver_is_answered_internal_and_the_server_keeps_serving(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let config = DatabaseConfig::for_url(database.url.clone());
    let serve = ServeConfig { demo: true, ..ServeConfig::default() };
    let app =
        TestApp::spawn_customized(backend, database, &config, serve, |schema| schema.extension(PanicInFactKinds)).await;
    let response = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .json(&json!({ "query": "{ factKinds { key } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body: Json = response.json().await.unwrap();
    assert_masked(&body);
    for _ in 0..3 {
        let ok = app.graphql("{ actors(first: 1) { nodes { name } } }", json!({})).await;
        assert!(ok.get("errors").is_none(), "the server keeps serving: {ok:#}");
    }
}

backend_tests!(
    a_constraint_violation_inside_a_write_is_masked_and_rolls_the_write_back,
    a_panicking_resolver_is_answered_internal_and_the_server_keeps_serving,
);
