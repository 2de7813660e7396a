//! Starting the server: the whole configuration is checked before the database is touched, and a
//! failure to start names what failed, where, and what to do, once, without the URL's password.
use std::time::Duration;

use crate::support::{self, Backend, TestDatabase, TEST_JWT_SECRET};

/// Runs the `chancery` binary with `args` and `env` (and none of the caller's Chancery settings);
/// it is expected to fail: (success, standard error).
async fn chancery(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chancery"));
    command.args(args).stdin(std::process::Stdio::null()).kill_on_drop(true);
    for name in ["DATABASE_URL", "CHANCERY_JWT_SECRET", "CHANCERY_JWT_SECRET_FILE", "CHANCERY_LOG"] {
        command.env_remove(name);
    }
    command.env("CHANCERY_LOG", "error");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("the binary gives up within a minute")
        .expect("the chancery binary runs");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The `error: …` line the binary ends with.
fn error_line(stderr: &str) -> String {
    stderr.lines().find(|line| line.starts_with("error: ")).unwrap_or_else(|| panic!("an error line: {stderr}")).into()
}

/// No clause of the message is said twice (the drivers' errors repeat their text through their
/// source chain).
fn assert_said_once(message: &str) {
    let clauses: Vec<&str> = message.split([':', ';']).map(str::trim).filter(|clause| clause.len() > 12).collect();
    for (i, clause) in clauses.iter().enumerate() {
        assert!(!clauses[i + 1..].contains(clause), "`{clause}` is said twice: {message}");
    }
}

/// A directory of the test's own, removed with it.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("chancery-startup-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn a_bad_configuration_is_refused_before_the_database_is_touched(backend: Backend) {
    let database = TestDatabase::empty(backend).await;
    let missing_jwks = std::env::temp_dir().join(format!("chancery-no-such-jwks-{}.json", uuid::Uuid::now_v7()));
    let (started, stderr) = chancery(
        &["--database-url", &database.url, "serve", "--demo", "--external-jwks-file", missing_jwks.to_str().unwrap()],
        &[("CHANCERY_JWT_SECRET", TEST_JWT_SECRET)],
    )
    .await;
    assert!(!started, "a JWK set that cannot be read is refused");
    let error = error_line(&stderr);
    assert!(error.contains("--external-jwks-file") && error.contains(missing_jwks.to_str().unwrap()), "{error}");
    match backend {
        Backend::Sqlite => {
            let file = chancery::db::sqlite_file(&database.url).unwrap();
            assert!(!file.exists(), "no database file was made for a start that was refused");
        }
        Backend::Postgres => {
            assert_eq!(database.tables().await, Vec::<String>::new(), "no migration ran");
            // Postgres has no file to keep a generated secret by: without one the start is
            // refused, saying how to make one, and still no table is created.
            let (started, stderr) = chancery(&["--database-url", &database.url, "serve", "--demo"], &[]).await;
            assert!(!started);
            let error = error_line(&stderr);
            assert!(error.contains("CHANCERY_JWT_SECRET") && error.contains("openssl rand -hex 32"), "{error}");
            assert_eq!(database.tables().await, Vec::<String>::new(), "no migration ran without a secret");
        }
    }
}

async fn the_token_secret_can_be_read_from_a_file(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let dir = TempDir::new();
    let secret_file = dir.0.join("jwt-secret");
    std::fs::write(&secret_file, format!("{TEST_JWT_SECRET}\n")).unwrap();
    let mut server = support::faults::ServerProcess::start_with_env(
        &database.url,
        &[("CHANCERY_JWT_SECRET_FILE", secret_file.as_os_str())],
    );
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{}/graphql", server.base_url))
        .json(&serde_json::json!({
            "query": "mutation { login(input: {email: \"editor@demo.chancery\", password: \"demo-editor-password\"}) { token } }"
        }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let token = login["data"]["login"]["token"].as_str().unwrap_or_else(|| panic!("{login:#}"));
    // The token is signed with the file's secret (a trailing newline is not part of it).
    let key = jsonwebtoken::DecodingKey::from_secret(TEST_JWT_SECRET.as_bytes());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&["chancery-api"]);
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).expect("signed with the file's secret");
    server.sigterm();
    server.wait_for_exit(Duration::from_secs(30)).await.expect("the server stops");

    // A short secret in the file, a missing file, and both settings at once are refused.
    std::fs::write(&secret_file, "too-short\n").unwrap();
    let (started, stderr) = chancery(
        &["--database-url", &database.url, "serve"],
        &[("CHANCERY_JWT_SECRET_FILE", secret_file.to_str().unwrap())],
    )
    .await;
    let error = error_line(&stderr);
    assert!(!started && error.contains("--jwt-secret-file") && error.contains("32"), "{error}");
    assert!(!error.contains("too-short"), "the secret itself is never shown: {error}");
    let missing = dir.0.join("absent");
    let (started, stderr) =
        chancery(&["--database-url", &database.url, "serve", "--jwt-secret-file", missing.to_str().unwrap()], &[])
            .await;
    let error = error_line(&stderr);
    assert!(!started && error.contains(missing.to_str().unwrap()), "{error}");
    let (started, stderr) = chancery(
        &["--database-url", &database.url, "serve", "--jwt-secret", TEST_JWT_SECRET, "--jwt-secret-file", "x"],
        &[],
    )
    .await;
    assert!(!started && stderr.contains("cannot be used with"), "one secret or the other: {stderr}");
}

#[tokio::test]
async fn a_missing_sqlite_directory_is_named_with_what_to_do() {
    let parent = std::env::temp_dir().join(format!("chancery-absent-{}", uuid::Uuid::now_v7()));
    let file = parent.join("x.db");
    let url = format!("sqlite://{}", file.display());
    for subcommand in [&["migrate", "up"][..], &["serve"], &["demo"]] {
        let mut args = vec!["--database-url", url.as_str()];
        args.extend_from_slice(subcommand);
        let (ok, stderr) = chancery(&args, &[]).await;
        let error = error_line(&stderr);
        assert!(!ok);
        assert!(error.contains(&parent.display().to_string()), "names the directory: {error}");
        assert!(error.contains("does not exist") && error.contains("mkdir -p"), "says what to do: {error}");
        assert_said_once(&error);
    }
    assert!(!parent.exists(), "nothing was created");
}

#[tokio::test]
async fn an_unwritable_sqlite_directory_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o555)).unwrap();
    let url = format!("sqlite://{}", dir.0.join("x.db").display());
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_chancery"));
    // root may write anywhere: as root (as in CI), the binary runs as `nobody`.
    let probe = dir.0.join("probe");
    if std::fs::write(&probe, b"").is_ok() {
        std::fs::remove_file(&probe).unwrap();
        command = std::process::Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_chancery")]);
    }
    let output = command
        .args(["--database-url", &url, "migrate", "up"])
        .env_remove("DATABASE_URL")
        .env("CHANCERY_LOG", "error")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let error = error_line(&stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(error.contains("may not write in") && error.contains(&dir.0.display().to_string()), "{error}");
    assert_said_once(&error);
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_named() {
    let dir = TempDir::new();
    let file = dir.0.join("notes.db");
    std::fs::write(&file, "these are notes, not a database\n".repeat(200)).unwrap();
    let url = format!("sqlite://{}", file.display());
    let (ok, stderr) = chancery(&["--database-url", &url, "migrate", "up"], &[]).await;
    let error = error_line(&stderr);
    assert!(!ok && error.contains(&file.display().to_string()) && error.contains("not a database"), "{error}");
    assert_said_once(&error);
}

#[tokio::test]
async fn an_unreachable_postgres_is_named_by_host_and_port_without_the_password() {
    let port = closed_port();
    let url = format!("postgres://chancery:hunter2-secret@127.0.0.1:{port}/chancery");
    let (ok, stderr) =
        chancery(&["--database-url", &url, "--db-acquire-timeout-secs", "2", "migrate", "up"], &[]).await;
    let error = error_line(&stderr);
    assert!(!ok);
    assert!(error.contains(&format!("127.0.0.1:{port}")), "names host and port: {error}");
    assert!(error.contains("refused"), "says why: {error}");
    assert!(!error.contains("pool timed out"), "not the pool's words: {error}");
    assert!(!stderr.contains("hunter2-secret"), "the password is never shown: {stderr}");
    assert_said_once(&error);

    let (ok, stderr) =
        chancery(&["--database-url", "postgres://u:hunter2-secret@nosuchhost.invalid:5432/x", "migrate", "up"], &[])
            .await;
    let error = error_line(&stderr);
    assert!(!ok && error.contains("nosuchhost.invalid:5432") && !stderr.contains("hunter2-secret"), "{error}");
}

#[tokio::test]
async fn a_url_of_another_database_is_refused_by_its_scheme() {
    let (ok, stderr) =
        chancery(&["--database-url", "mysql://root:hunter2-secret@localhost/x", "migrate", "up"], &[]).await;
    let error = error_line(&stderr);
    assert!(
        !ok && error.contains("`mysql:`") && error.contains("postgres://") && error.contains("sqlite://"),
        "{error}"
    );
    assert!(!stderr.contains("hunter2-secret"), "{stderr}");
}

#[tokio::test]
#[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
async fn a_missing_postgres_role_or_database_is_named_with_the_statement_that_creates_it() {
    let admin = url::Url::parse(&support::postgres_url().unwrap()).unwrap();
    let place = format!("{}:{}", admin.host_str().unwrap(), admin.port().unwrap_or(5432));
    let mut no_role = admin.clone();
    no_role.set_username("chancery_no_such_role").unwrap();
    no_role.set_password(Some("hunter2-secret")).unwrap();
    let (ok, stderr) = chancery(&["--database-url", no_role.as_str(), "migrate", "up"], &[]).await;
    let error = error_line(&stderr);
    assert!(!ok && error.contains(&place), "names the server: {error}");
    assert!(error.contains("CREATE ROLE chancery_no_such_role LOGIN"), "says how to make it: {error}");
    assert!(!error.contains(" at line "), "not the server's source line: {error}");
    assert!(!stderr.contains("hunter2-secret"), "{stderr}");
    assert_said_once(&error);

    let mut no_database = admin.clone();
    no_database.set_path("/chancery_no_such_database");
    let (ok, stderr) = chancery(&["--database-url", no_database.as_str(), "migrate", "up"], &[]).await;
    let error = error_line(&stderr);
    assert!(!ok && error.contains(&place), "{error}");
    assert!(error.contains("CREATE DATABASE chancery_no_such_database OWNER"), "{error}");
    assert_said_once(&error);
}

backend_tests!(a_bad_configuration_is_refused_before_the_database_is_touched, the_token_secret_can_be_read_from_a_file);
