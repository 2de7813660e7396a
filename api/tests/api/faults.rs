//! Faults: the database crashing and coming back under a steady write load, the server told to
//! stop with writes in flight, and requests or statements that run past their time. In every
//! case an acknowledged write is in the database afterwards, an unacknowledged one is either
//! whole or absent, and the client gets a coded error rather than a hang.
use crate::support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::faults::{PrivatePostgres, ServerProcess, WriteBlocker};
use crate::support::{Backend, TestApp, TestDatabase, DEMO_SOURCE_URL};
use chancery::config::{DatabaseConfig, ServeConfig};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};

const CREATE_FACT: &str = "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id } } }";

/// The tests here measure how the server rides out a fault; each runs alone, so that the
/// others' load does not starve the one being measured.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What one request ended as: the created fact's id, or the error code (or transport failure).
type Answer = Result<String, String>;

/// A signed-in editor and the ids a fact needs, reached over plain HTTP.
#[derive(Clone)]
struct Desk {
    base_url: String,
    http: reqwest::Client,
    token: String,
    russia: String,
    syria: String,
    source: String,
}

impl Desk {
    async fn open(base_url: &str) -> Self {
        // No request may hang: a client-side limit well past the server's own turns a hang into a failure.
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let mut desk = Self {
            base_url: base_url.to_owned(),
            http,
            token: String::new(),
            russia: String::new(),
            syria: String::new(),
            source: String::new(),
        };
        let login = desk
            .post(
                None,
                "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
                json!({ "e": "editor@demo.chancery", "p": "demo-editor-password" }),
            )
            .await
            .expect("the demo editor signs in");
        desk.token = login["login"]["token"].as_str().unwrap().to_owned();
        let ids = desk
            .post(
                None,
                "query($u: String!) { sourceByUrl(url: $u) { id } actors(filter: {search: \"Syria\"}, first: 20) { nodes { id name } } russia: actors(filter: {search: \"Russia\"}, first: 20) { nodes { id name } } }",
                json!({ "u": DEMO_SOURCE_URL }),
            )
            .await
            .expect("the demo data is there");
        let named = |list: &Value, name: &str| {
            list["nodes"].as_array().unwrap().iter().find(|a| a["name"] == name).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        desk.syria = named(&ids["actors"], "Syria");
        desk.russia = named(&ids["russia"], "Russia");
        desk.source = ids["sourceByUrl"]["id"].as_str().unwrap().to_owned();
        desk
    }

    /// POSTs an operation; its `data`, or the first error's code.
    async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Result<Value, String> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| format!("transport: {e}"))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| format!("HTTP {status}, body: {e}"))?;
        match body["errors"].get(0) {
            Some(error) => {
                let code = error["extensions"]["code"].as_str().unwrap_or("<no code>");
                assert_no_leak(&body);
                Err(if status == 200 { code.to_owned() } else { format!("HTTP {} {code}", status.as_u16()) })
            }
            None => Ok(body["data"].clone()),
        }
    }

    fn input(&self, summary: &str) -> Value {
        support::visit_input(&self.russia, &self.syria, &self.source, summary)
    }

    /// Creates the fact with `summary` under idempotency key `key`.
    async fn create(&self, key: &str, summary: &str) -> Answer {
        let mut input = self.input(summary);
        input["idempotencyKey"] = json!(key);
        let data = self.post(Some(&self.token), CREATE_FACT, json!({ "input": input })).await?;
        Ok(data["createFact"]["fact"]["id"].as_str().unwrap().to_owned())
    }
}

/// No error, whatever happened underneath, may show the database's or the code's insides.
fn assert_no_leak(body: &Value) {
    let text = body.to_string().to_lowercase();
    for leak in ["sqlstate", "select ", "insert ", "constraint", "connection refused", "pool", "panicked", ".rs:"] {
        assert!(!text.contains(leak), "an error leaks internals ({leak}): {body:#}");
    }
}

/// One write of the load.
#[derive(Debug, Clone)]
struct Write {
    key: String,
    summary: String,
    started: Instant,
    ended: Instant,
    answer: Answer,
}

/// `writers` tasks creating facts one after another, each with its own idempotency key.
struct Load {
    stop: Arc<AtomicBool>,
    writes: Arc<Mutex<Vec<Write>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(desk: &Desk, label: &str, writers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let writes = Arc::new(Mutex::new(Vec::new()));
        let tasks = (0..writers)
            .map(|writer| {
                let (desk, stop, writes, label) = (desk.clone(), stop.clone(), writes.clone(), label.to_owned());
                tokio::spawn(async move {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let key = format!("{label}-{writer}-{n}");
                        let summary = format!("Load probe {label} {writer}-{n}.");
                        let started = Instant::now();
                        let answer = desk.create(&key, &summary).await;
                        writes.lock().unwrap().push(Write { key, summary, started, ended: Instant::now(), answer });
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
            })
            .collect();
        Self { stop, writes, tasks }
    }

    fn acknowledged(&self) -> usize {
        self.writes.lock().unwrap().iter().filter(|w| w.answer.is_ok()).count()
    }

    fn snapshot(&self) -> Vec<Write> {
        self.writes.lock().unwrap().clone()
    }

    async fn finish(self) -> Vec<Write> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        let writes = self.writes.lock().unwrap().clone();
        writes
    }
}

/// The facts the load created, checked whole: each has its creating revision, its two
/// participants and its citation, or it is not there at all. Returns their summaries (each
/// write of the load has its own).
async fn assert_every_probe_fact_is_whole(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT f.id AS id, f.summary AS summary, \
               (SELECT COUNT(*) FROM revisions r WHERE r.fact_id = f.id) AS revisions, \
               (SELECT COUNT(*) FROM fact_participants p WHERE p.fact_id = f.id) AS participants, \
               (SELECT COUNT(*) FROM citations c WHERE c.fact_id = f.id) AS citations \
             FROM facts f WHERE f.summary LIKE 'Load probe %'"
                .to_owned(),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            let id: uuid::Uuid = row.try_get("", "id").unwrap();
            let parts: Vec<i64> =
                ["revisions", "participants", "citations"].iter().map(|c| row.try_get("", c).unwrap()).collect();
            assert_eq!(parts, vec![1, 2, 1], "fact {id} is partial (revisions, participants, citations)");
            row.try_get::<String>("", "summary").unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
async fn a_postgres_crash_and_restart_under_write_load_loses_no_acknowledged_write() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(postgres) = PrivatePostgres::start().await else { return };
    let acquire_timeout = Duration::from_secs(2);
    let request_timeout = Duration::from_secs(10);
    let config = DatabaseConfig {
        max_connections: 8,
        acquire_timeout_secs: acquire_timeout.as_secs(),
        statement_timeout_ms: 5_000,
        ..DatabaseConfig::for_url(postgres.url())
    };
    let serve = ServeConfig {
        demo: true,
        request_timeout_secs: request_timeout.as_secs(),
        rate_limit_per_minute: 0,
        ..ServeConfig::default()
    };
    let app = TestApp::spawn_on(Backend::Postgres, TestDatabase::existing(postgres.url()), &config, serve).await;
    let desk = Desk::open(&app.base_url).await;

    let load = Load::start(&desk, "restart", 4);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let down = Instant::now();
    postgres.crash().await;
    // Down for longer than the acquire timeout, so that writes are refused meanwhile.
    tokio::time::sleep(Duration::from_secs(4)).await;
    postgres.start_again().await;
    let back = Instant::now();
    let first_success_after_back = loop {
        let succeeded_since =
            load.snapshot().into_iter().filter(|w| w.answer.is_ok() && w.started >= back).map(|w| w.ended).min();
        if let Some(at) = succeeded_since {
            break at;
        }
        assert!(back.elapsed() < Duration::from_secs(30), "no write succeeded within 30 s of the database's return");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let writes = load.finish().await;

    let recovered_after = first_success_after_back - back;
    let failed: Vec<&Write> = writes.iter().filter(|w| w.answer.is_err()).collect();
    let longest = writes.iter().map(|w| w.ended - w.started).max().unwrap();
    eprintln!(
        "restart under load: {} writes, {} acknowledged, {} refused; database down {:.2} s; \
         first write {:.3} s after it was back; longest request {:.3} s; refusals: {:?}",
        writes.len(),
        writes.len() - failed.len(),
        failed.len(),
        (back - down).as_secs_f64(),
        recovered_after.as_secs_f64(),
        longest.as_secs_f64(),
        failed.iter().map(|w| w.answer.clone().unwrap_err()).collect::<std::collections::BTreeSet<_>>(),
    );

    assert!(writes.iter().any(|w| w.answer.is_ok() && w.ended < down), "writes succeed before the crash");
    assert!(!failed.is_empty(), "writes sent while the database was down fail");
    assert!(recovered_after <= acquire_timeout, "recovery took {recovered_after:?}, past the acquire timeout");
    assert!(longest <= request_timeout + Duration::from_secs(1), "a request was held {longest:?}");
    for write in &failed {
        let code = write.answer.as_ref().unwrap_err();
        assert!(code == "UNAVAILABLE" || code == "TIMEOUT", "{}: refused with {code}", write.key);
        assert!(
            write.ended >= down && write.started <= first_success_after_back,
            "{} failed outside the outage",
            write.key
        );
    }

    // Every acknowledged write is there, whole.
    let observer = Database::connect(postgres.url()).await.unwrap();
    let stored = assert_every_probe_fact_is_whole(&observer).await;
    for write in writes.iter().filter(|w| w.answer.is_ok()) {
        assert!(stored.contains(&write.summary), "acknowledged write {} is missing", write.key);
    }
    // Retrying each refused write with its key creates it exactly once, whether or not the
    // refused attempt had committed: no write is lost and none is doubled.
    for write in &failed {
        desk.create(&write.key, &write.summary).await.unwrap_or_else(|code| panic!("retry of {}: {code}", write.key));
    }
    let stored = assert_every_probe_fact_is_whole(&observer).await;
    assert_eq!(stored.len(), writes.len(), "one fact per idempotency key");
    observer.close().await.unwrap();
}

/// Where a SIGTERM test's server keeps its data.
struct Store {
    url: String,
    _postgres: Option<PrivatePostgres>,
    _sqlite_dir: Option<SqliteDir>,
}

struct SqliteDir(std::path::PathBuf);

impl Drop for SqliteDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Store {
    async fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Postgres => {
                let postgres = PrivatePostgres::start().await?;
                Some(Self { url: postgres.url(), _postgres: Some(postgres), _sqlite_dir: None })
            }
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("chancery-sigterm-{}", uuid::Uuid::now_v7().simple()));
                std::fs::create_dir_all(&dir).unwrap();
                let url = format!("sqlite://{}?mode=rwc", dir.join("chancery.db").display());
                Some(Self { url, _postgres: None, _sqlite_dir: Some(SqliteDir(dir)) })
            }
        }
    }
}

const GRACE: Duration = Duration::from_secs(3);

/// A `chancery` process on a fresh store with `writers` writing to it, once `acknowledged`
/// of their writes have succeeded.
async fn server_under_load(
    backend: Backend,
    writers: usize,
    acknowledged: usize,
) -> Option<(Store, ServerProcess, Desk, Load)> {
    let store = Store::new(backend).await?;
    let server = ServerProcess::start(&store.url, &["--shutdown-grace-secs", &GRACE.as_secs().to_string()]);
    let desk = Desk::open(&server.base_url).await;
    let load = Load::start(&desk, "sigterm", writers);
    while load.acknowledged() < acknowledged {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Some((store, server, desk, load))
}

async fn sigterm_with_writes_in_flight_lets_them_finish_and_exits_cleanly(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some((store, mut server, _desk, load)) = server_under_load(backend, 6, 10).await else { return };
    server.sigterm();
    let (status, took) = server.wait_for_exit(GRACE + Duration::from_secs(5)).await.expect("the server exits");
    let writes = load.finish().await;
    eprintln!("SIGTERM under load: exited {status} after {:.3} s; {} writes", took.as_secs_f64(), writes.len());
    assert!(status.success(), "a clean exit: {status}");
    assert!(took <= GRACE + Duration::from_secs(1), "exit took {took:?}, past the grace period");

    let observer = Database::connect(&store.url).await.unwrap();
    let stored = assert_every_probe_fact_is_whole(&observer).await;
    for write in writes.iter().filter(|w| w.answer.is_ok()) {
        assert!(stored.contains(&write.summary), "acknowledged write {} is missing", write.key);
    }
    observer.close().await.unwrap();
}

async fn sigterm_past_the_grace_period_abandons_blocked_writes_without_leaving_part_of_one(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some((store, mut server, desk, load)) = server_under_load(backend, 4, 4).await else { return };
    // Hold the write lock: the writes sent from now on stay in flight past the grace period.
    let blocker = WriteBlocker::hold(&store.url).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let acknowledged_before = load.acknowledged();
    server.sigterm();
    let (status, took) = server.wait_for_exit(GRACE + Duration::from_secs(5)).await.expect("the server exits");
    blocker.release().await;
    let writes = load.finish().await;
    let acknowledged = writes.iter().filter(|w| w.answer.is_ok()).count();
    eprintln!(
        "SIGTERM with blocked writes: exited {status} after {:.3} s; {} writes, {acknowledged} acknowledged",
        took.as_secs_f64(),
        writes.len()
    );
    assert!(status.success(), "a clean exit: {status}");
    assert!(took >= GRACE - Duration::from_millis(100), "the server waited for the blocked writes ({took:?})");
    assert!(took <= GRACE + Duration::from_secs(1), "exit took {took:?}, past the grace period");
    assert_eq!(acknowledged, acknowledged_before, "the blocked writes were not acknowledged");

    // Give the database a moment to roll the abandoned transactions back once unblocked.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let observer = Database::connect(&store.url).await.unwrap();
    let stored = assert_every_probe_fact_is_whole(&observer).await;
    for write in writes.iter().filter(|w| w.answer.is_ok()) {
        assert!(stored.contains(&write.summary), "acknowledged write {} is missing", write.key);
    }
    assert_eq!(stored.len(), acknowledged, "no abandoned write committed");
    observer.close().await.unwrap();

    // A restarted server takes the abandoned writes' retries, each exactly once.
    let server = ServerProcess::start(&store.url, &[]);
    let desk = Desk { base_url: server.base_url.clone(), ..desk };
    for write in writes.iter().filter(|w| w.answer.is_err()) {
        desk.create(&write.key, &write.summary).await.unwrap_or_else(|code| panic!("retry of {}: {code}", write.key));
    }
    let observer = Database::connect(&store.url).await.unwrap();
    assert_eq!(assert_every_probe_fact_is_whole(&observer).await.len(), writes.len());
    observer.close().await.unwrap();
}

/// Sends a write while the store's write lock is held elsewhere and checks it is refused with
/// `expected` well before the lock would let go, leaves nothing behind, and that the server
/// then takes the same write (same key) as if nothing had happened.
async fn assert_blocked_write_is_refused_whole(app: &TestApp, expected: &str) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let desk = Desk::open(&app.base_url).await;
    let facts_before = app.row_count("facts").await;
    let keys_before = app.row_count("idempotency_keys").await;
    let blocker = WriteBlocker::hold(&app.database.url).await;
    let started = Instant::now();
    let answer = desk.create("blocked-1", "Load probe blocked.").await;
    let took = started.elapsed();
    blocker.release().await;
    assert_eq!(answer, Err(expected.to_owned()), "after {took:?}");
    assert!(took < Duration::from_secs(5), "refused at the configured limit, not when the lock let go: {took:?}");
    // The abandoned transaction rolls back once the lock is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.row_count("facts").await, facts_before, "the refused write left nothing");
    assert_eq!(app.row_count("idempotency_keys").await, keys_before, "nor its idempotency key");
    desk.create("blocked-1", "Load probe blocked.").await.expect("the retry succeeds");
    assert_eq!(app.row_count("facts").await, facts_before + 1);
}

async fn a_request_past_its_time_is_answered_503_timeout_and_writes_nothing(backend: Backend) {
    let serve = ServeConfig { demo: true, request_timeout_secs: 1, ..ServeConfig::default() };
    let app = TestApp::spawn_with(backend, serve).await;
    assert_blocked_write_is_refused_whole(&app, "HTTP 503 TIMEOUT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
async fn a_postgres_statement_past_statement_timeout_is_cancelled_with_code_timeout() {
    let database = TestDatabase::new(Backend::Postgres).await;
    let config = DatabaseConfig { statement_timeout_ms: 300, ..DatabaseConfig::for_url(database.url.clone()) };
    let serve = ServeConfig { demo: true, ..ServeConfig::default() };
    let app = TestApp::spawn_on(Backend::Postgres, database, &config, serve).await;
    assert_blocked_write_is_refused_whole(&app, "TIMEOUT").await;
}

backend_tests!(
    sigterm_with_writes_in_flight_lets_them_finish_and_exits_cleanly,
    sigterm_past_the_grace_period_abandons_blocked_writes_without_leaving_part_of_one,
    a_request_past_its_time_is_answered_503_timeout_and_writes_nothing,
);
