//! Shared set-up for the integration tests: every test gets the real application, served over
//! HTTP on a loopback port, on a fresh database of its own — a temporary SQLite file, or a
//! Postgres database cloned from a migrated template when `TEST_DATABASE_URL` is set.
#![allow(dead_code)]

pub mod browser;
pub mod faults;
pub mod websocket;

use std::sync::atomic::{AtomicU64, Ordering};

use chancery::config::{DatabaseConfig, ServeConfig};
use chancery::db::StatementCounter;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per backend for each listed `async fn name(backend: Backend)`.
/// The Postgres variant is reported as ignored when `TEST_DATABASE_URL` is not set (see
/// `api/build.rs`).
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
                async fn $name() {
                    super::$name($crate::support::Backend::Postgres).await;
                }
            )*
        }
    };
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.is_empty())
}

/// With `CHANCERY_REQUIRE_POSTGRES_TESTS` set (CI sets it), fails unless the Postgres half was
/// built to run and has a database: a CI run whose Postgres tests were all ignored is a failure,
/// not a pass.
#[test]
fn the_postgres_half_runs_where_it_is_required() {
    if std::env::var_os("CHANCERY_REQUIRE_POSTGRES_TESTS").is_some() {
        if !cfg!(postgres_tests) {
            panic!("the tests were built without TEST_DATABASE_URL: the Postgres half is ignored");
        }
        assert!(postgres_url().is_some(), "TEST_DATABASE_URL is not set: the Postgres half cannot run");
    }
}

/// The secret test servers sign tokens with (tests forge tokens with it too).
pub const TEST_JWT_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static DATABASE_SEQ: AtomicU64 = AtomicU64::new(0);

fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

fn process_alive(pid: &str) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Drops databases left behind by test processes that are no longer running.
async fn drop_orphans(admin: &DatabaseConnection) {
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT datname FROM pg_database WHERE datname LIKE 'chancery_t%'",
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else { continue };
        let pid = name.split('_').nth(2).unwrap_or_default();
        if !pid.is_empty() && !process_alive(pid) {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
        }
    }
}

/// A migrated database that each test's database is cloned from (one per test process).
async fn template(admin_url: &str) -> String {
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("chancery_tpl_{}", std::process::id());
            let admin = Database::connect(admin_url).await.expect("connect to TEST_DATABASE_URL");
            drop_orphans(&admin).await;
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\"")).await.unwrap();
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
            admin.close().await.unwrap();
            let db = Database::connect(database_url(admin_url, &name)).await.unwrap();
            chancery::db::migrate(&db).await.expect("migrations apply on Postgres");
            db.close().await.unwrap();
            name
        })
        .await
        .clone()
}

/// A database that exists for one test and is dropped with it.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// A database the test made some other way (a private Postgres cluster): nothing to drop.
    Nothing,
    SqliteFile(std::path::PathBuf),
    PostgresDatabase {
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// A database that something else owns and cleans up.
    pub fn existing(url: String) -> Self {
        Self { url, cleanup: Cleanup::Nothing }
    }

    /// A database with nothing in it, not even the migrations: a Postgres database made
    /// without the template, or a SQLite file that does not exist yet.
    pub async fn empty(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::new(backend).await,
            Backend::Postgres => {
                let admin_url = postgres_url().expect("TEST_DATABASE_URL");
                let name =
                    format!("chancery_te_{}_{}", std::process::id(), DATABASE_SEQ.fetch_add(1, Ordering::Relaxed));
                let admin = Database::connect(&admin_url).await.unwrap();
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
                admin.close().await.unwrap();
                Self { url: database_url(&admin_url, &name), cleanup: Cleanup::PostgresDatabase { admin_url, name } }
            }
        }
    }

    /// The tables a database holds (Postgres: in its public schema).
    pub async fn tables(&self) -> Vec<String> {
        let sql = if self.url.starts_with("postgres") {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1"
        };
        let db = Database::connect(&self.url).await.expect("the test reads its database");
        let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        db.close().await.unwrap();
        rows.iter().map(|row| row.try_get::<String>("", "name").unwrap()).collect()
    }

    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("chancery-test-{}.db", uuid::Uuid::now_v7()));
                Self { url: format!("sqlite://{}?mode=rwc", path.display()), cleanup: Cleanup::SqliteFile(path) }
            }
            Backend::Postgres => {
                let admin_url = postgres_url().expect("TEST_DATABASE_URL");
                let template = template(&admin_url).await;
                let name =
                    format!("chancery_test_{}_{}", std::process::id(), DATABASE_SEQ.fetch_add(1, Ordering::Relaxed));
                let admin = Database::connect(&admin_url).await.unwrap();
                let mut attempt = 0;
                loop {
                    // Concurrent clones of one template can briefly collide; retry a few times.
                    match admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")).await
                    {
                        Ok(_) => break,
                        Err(error) if attempt < 20 => {
                            attempt += 1;
                            eprintln!("retrying CREATE DATABASE: {error}");
                            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        }
                        Err(error) => panic!("cannot create test database: {error}"),
                    }
                }
                admin.close().await.unwrap();
                Self { url: database_url(&admin_url, &name), cleanup: Cleanup::PostgresDatabase { admin_url, name } }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Nothing => {}
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm", ".jwt-secret"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; a fresh thread may block on its own one.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    runtime.block_on(async {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// The application under test, reachable over HTTP.
pub struct TestApp {
    pub backend: Backend,
    pub base_url: String,
    pub db: DatabaseConnection,
    pub statements: StatementCounter,
    pub client: reqwest::Client,
    pub database: TestDatabase,
}

impl TestApp {
    /// A server on an empty (migrated) database.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, ServeConfig::default()).await
    }

    /// A server with the demo dataset loaded.
    pub async fn spawn_with_demo(backend: Backend) -> Self {
        Self::spawn_with(backend, ServeConfig { demo: true, ..ServeConfig::default() }).await
    }

    pub async fn spawn_with(backend: Backend, serve: ServeConfig) -> Self {
        let database = TestDatabase::new(backend).await;
        let config = DatabaseConfig::for_url(database.url.clone());
        Self::spawn_on(backend, database, &config, serve).await
    }

    /// A server on `database`, connected with the pool settings of `config`.
    pub async fn spawn_on(
        backend: Backend,
        database: TestDatabase,
        config: &DatabaseConfig,
        serve: ServeConfig,
    ) -> Self {
        Self::spawn_customized(backend, database, config, serve, |schema| schema).await
    }

    /// A server whose GraphQL schema `customize` adds to (to inject faults).
    pub async fn spawn_customized(
        backend: Backend,
        database: TestDatabase,
        config: &DatabaseConfig,
        mut serve: ServeConfig,
        customize: impl FnOnce(chancery::graphql::ChancerySchemaBuilder) -> chancery::graphql::ChancerySchemaBuilder,
    ) -> Self {
        serve.auth.jwt_secret.get_or_insert_with(|| TEST_JWT_SECRET.parse().expect("the test secret is long enough"));
        let app = chancery::app::build_with(config, &serve, customize).await.expect("the application starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let db = app.db.clone();
        let statements = app.statements.clone();
        tokio::spawn(chancery::app::serve_until(app.router, app.connections, listener, std::future::pending()));
        Self { backend, base_url, db, statements, client: reqwest::Client::new(), database }
    }

    /// POSTs a GraphQL operation and returns the JSON body (HTTP 200 is asserted: GraphQL
    /// errors arrive in the body, so tests must look there).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        serde_json::from_str(&self.graphql_text(query, variables).await).expect("a JSON body")
    }

    /// POSTs a GraphQL operation and returns the body as the server wrote it.
    pub async fn graphql_text(&self, query: &str, variables: Value) -> String {
        let response = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request reaches the server");
        assert_eq!(response.status(), 200, "GraphQL answers with HTTP 200");
        response.text().await.expect("a body")
    }

    /// POSTs a GraphQL operation with `Authorization: Bearer <token>` and returns the JSON body.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request reaches the server");
        assert_eq!(response.status(), 200, "GraphQL answers with HTTP 200");
        response.json().await.expect("a JSON body")
    }

    /// Runs an authenticated operation that must succeed and returns its `data`.
    pub async fn ok_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.graphql_as(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Signs in through the API and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let data = self
            .query_ok(
                "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
                json!({ "e": email, "p": password }),
            )
            .await;
        data["login"]["token"].as_str().unwrap().to_owned()
    }

    /// Creates an account directly in the database and signs it in; returns (email, token).
    pub async fn user_with_role(&self, role: entity::enums::UserRole) -> (String, String) {
        let email = format!("{}-{}@test.chancery", role.as_str().to_lowercase(), uuid::Uuid::now_v7().simple());
        let password = "a-test-password-123".to_owned();
        chancery::domain::account::store::create_user(
            &self.db,
            chancery::domain::account::store::NewUser {
                email: email.clone(),
                display_name: format!("Test {}", role.as_str()),
                role,
                password: password.clone(),
            },
        )
        .await
        .expect("user created");
        let token = self.login(&email, &password).await;
        (email, token)
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn query_ok(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Counts the SQL statements one GraphQL request executes.
    pub async fn statements_for(&self, query: &str, variables: Value) -> (u64, Value) {
        let before = self.statements.get();
        let body = self.graphql(query, variables).await;
        (self.statements.get() - before, body)
    }

    /// Two new states, the second merged into the first by `admin`: (kept, merged), each as
    /// `{ id version }` when created.
    pub async fn two_states_merged(&self, admin: &str) -> (Value, Value) {
        let create = "mutation($n: String!) { createActor(input: {name: $n, kind: STATE}) { actor { id version } } }";
        let keep = self.ok_as(admin, create, json!({ "n": "Kept state" })).await["createActor"]["actor"].clone();
        let gone = self.ok_as(admin, create, json!({ "n": "Duplicate state" })).await["createActor"]["actor"].clone();
        let merge = json!({ "keepId": keep["id"], "mergeId": gone["id"],
            "expectedVersions": { "keep": keep["version"], "merge": gone["version"] } });
        let merged = "mutation($i: MergeActorsInput!) { mergeActors(input: $i) { actor { id } } }";
        self.ok_as(admin, merged, json!({ "i": merge })).await;
        (keep, gone)
    }

    /// The number of rows in `table`, to prove a refused request changed nothing.
    pub async fn row_count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// Runs `chancery verify-history` (with `extra` arguments) on this test's database:
    /// (success, stdout, stderr).
    pub async fn verify_history_cli(&self, extra: &[&str]) -> (bool, String, String) {
        run_cli(&self.database.url, "verify-history", extra).await
    }

    /// The global id of the demo article's source.
    pub async fn demo_source_id(&self) -> String {
        let data =
            self.query_ok("query($u: String!) { sourceByUrl(url: $u) { id } }", json!({ "u": DEMO_SOURCE_URL })).await;
        data["sourceByUrl"]["id"].as_str().expect("the demo source").to_owned()
    }

    /// The global id of the actor called `name`.
    pub async fn actor_id(&self, name: &str) -> String {
        let data = self
            .query_ok(
                "query($q: String!) { actors(filter: {search: $q}, first: 100) { nodes { id name } } }",
                json!({ "q": name }),
            )
            .await;
        data["actors"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("actor {name} exists"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The single error of a response: its code, its message and the paths of the fields it names.
pub fn single_error(body: &Value) -> (String, String, Vec<String>) {
    let errors = body["errors"].as_array().unwrap_or_else(|| panic!("expected errors in {body:#}"));
    assert_eq!(errors.len(), 1, "one error expected: {body:#}");
    let error = &errors[0];
    let code =
        error["extensions"]["code"].as_str().unwrap_or_else(|| panic!("error without code: {body:#}")).to_owned();
    let fields = error["extensions"]["fields"]
        .as_array()
        .map(|fields| fields.iter().map(|f| f["path"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    (code, error["message"].as_str().unwrap_or_default().to_owned(), fields)
}

/// Asserts a BAD_USER_INPUT error naming exactly `field` among its fields.
pub fn assert_bad_input(body: &Value, field: &str) {
    let (code, message, fields) = single_error(body);
    assert_eq!(code, "BAD_USER_INPUT", "{body:#}");
    assert!(fields.iter().any(|f| f == field), "error should name `{field}`: {message} {fields:?}");
    let text = body.to_string().to_lowercase();
    for leak in ["select ", "insert ", "sqlstate", "constraint", "panicked", ".rs:"] {
        assert!(!text.contains(leak), "error leaks internals ({leak}): {body:#}");
    }
}

/// The demo article's URL (its source is in every demo database).
pub const DEMO_SOURCE_URL: &str = "https://chattythat.news/putin-talks-to-new-syrian-leadership-kremlin-438343.html";
/// A quote that is in the demo article.
pub const VISIT_QUOTE: &str = "It followed the first Russian diplomatic visit to Syria";

/// A valid fact input: a Russian visit to Syria, cited from the demo article.
pub fn visit_input(russia: &str, syria: &str, source: &str, summary: &str) -> Value {
    json!({
        "kind": "diplomatic.visit",
        "summary": summary,
        "modality": "OCCURRED",
        "occurredOn": "2025-01-01",
        "occurredPrecision": "MONTH",
        "participants": [
            { "actor": russia, "role": "SUBJECT" },
            { "actor": syria, "role": "OBJECT" },
        ],
        "qualifiers": [{ "key": "location", "value": "Damascus" }],
        "citations": [{ "source": source, "quote": VISIT_QUOTE, "attribution": "DIRECT" }],
    })
}

/// Creates a fact: its id and version.
pub const CREATE_FACT: &str =
    "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id version } } }";
/// Submits a fact for review: its id and version.
pub const SUBMIT_FACT: &str =
    "mutation($id: ID!, $v: Int!) { submitFact(input: {id: $id, expectedVersion: $v}) { fact { id version } } }";

/// A visit (`visit_input`) by `editor` with `summary`, created and submitted for review:
/// (global id, version).
pub async fn submitted_fact(app: &TestApp, editor: &str, summary: &str) -> (String, i64) {
    submitted_visit(app, editor, "Russia", "Syria", summary).await
}

/// A visit of `subject` to `object` (actor names) by `editor` with `summary`, created and
/// submitted for review: (global id, version).
pub async fn submitted_visit(app: &TestApp, editor: &str, subject: &str, object: &str, summary: &str) -> (String, i64) {
    let (a, b, source) = (app.actor_id(subject).await, app.actor_id(object).await, app.demo_source_id().await);
    let input = visit_input(&a, &b, &source, summary);
    let created = app.ok_as(editor, CREATE_FACT, json!({ "input": input })).await;
    let id = created["createFact"]["fact"]["id"].as_str().unwrap().to_owned();
    let version = created["createFact"]["fact"]["version"].as_i64().unwrap();
    let submitted = app.ok_as(editor, SUBMIT_FACT, json!({ "id": id, "v": version })).await;
    (id, submitted["submitFact"]["fact"]["version"].as_i64().unwrap())
}

/// Runs `chancery --database-url URL SUBCOMMAND ARGS…` (without the environment's DATABASE_URL):
/// (success, stdout, stderr).
pub async fn run_cli(url: &str, subcommand: &str, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_chancery"))
        .args(["--database-url", url, subcommand])
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .await
        .expect("the chancery binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
