//! Accounts: signing in (and its throttling), the admin mutations that create, re-role and
//! deactivate accounts, and the `chancery user create` command. Every refusal must change
//! nothing: the `users` table is counted before and after.

use std::process::{Output, Stdio};
use std::time::Duration;

use crate::support::{assert_bad_input, single_error, Backend, TestApp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use entity::enums::UserRole;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

const LOGIN: &str = "mutation($e: String!, $p: String!) {
  login(input: {email: $e, password: $p}) { token expiresAt viewer { id email displayName role } }
}";
const VIEWER: &str = "{ viewer { id email role } }";
const CREATE_USER: &str =
    "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id email displayName role active } } }";
const SET_USER_ROLE: &str =
    "mutation($id: ID!, $role: UserRole!) { setUserRole(input: {id: $id, role: $role}) { user { id email role active } } }";
const DEACTIVATE_USER: &str =
    "mutation($id: ID!) { deactivateUser(input: {id: $id}) { user { id email role active } } }";

const EDITOR_EMAIL: &str = "editor@demo.chancery";
const EDITOR_PASSWORD: &str = "demo-editor-password";
const REVIEWER_EMAIL: &str = "reviewer@demo.chancery";
const REVIEWER_PASSWORD: &str = "demo-reviewer-password";
/// The password `TestApp::user_with_role` gives its accounts.
const TEST_USER_PASSWORD: &str = "a-test-password-123";

async fn attempt(app: &TestApp, email: &str, password: &str) -> Value {
    app.graphql(LOGIN, json!({ "e": email, "p": password })).await
}

/// Asserts a successful sign-in; returns its payload.
async fn logs_in(app: &TestApp, email: &str, password: &str) -> Value {
    let body = attempt(app, email, password).await;
    assert!(body.get("errors").is_none(), "{email} should sign in: {body:#}");
    body["data"]["login"].clone()
}

/// Asserts the refusal of a sign-in as UNAUTHENTICATED; returns the error.
fn assert_login_refused(body: &Value) -> Value {
    let (code, _, _) = single_error(body);
    assert_eq!(code, "UNAUTHENTICATED", "{body:#}");
    assert!(body["data"].is_null(), "{body:#}");
    body["errors"][0].clone()
}

/// Asserts a RATE_LIMITED answer; returns its `retryAfter`.
fn assert_rate_limited(body: &Value) -> u64 {
    let (code, _, _) = single_error(body);
    assert_eq!(code, "RATE_LIMITED", "{body:#}");
    let retry_after = body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("RATE_LIMITED carries extensions.retryAfter in seconds: {body:#}"));
    assert!(retry_after > 0 && retry_after <= 15 * 60, "retry within the 15 min window: {body:#}");
    assert!(body["data"].is_null(), "{body:#}");
    retry_after
}

fn new_user(email: &str, role: &str, password: &str) -> Value {
    json!({ "input": { "email": email, "displayName": "New Colleague", "role": role, "password": password } })
}

/// The global id of the account behind `token`.
async fn id_of(app: &TestApp, token: &str) -> String {
    app.ok_as(token, VIEWER, json!({})).await["viewer"]["id"].as_str().unwrap().to_owned()
}

/// Asserts that `token` no longer opens anything.
async fn assert_token_refused(app: &TestApp, token: &str) {
    let body = app.graphql_as(token, VIEWER, json!({})).await;
    assert_eq!(single_error(&body).0, "UNAUTHENTICATED", "{body:#}");
}

// ---------------------------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------------------------

async fn login_returns_a_token_valid_for_about_an_hour_and_the_viewer(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let login = logs_in(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let token = login["token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a compact JWS: {token}");

    let expires_at = chrono::DateTime::parse_from_rfc3339(login["expiresAt"].as_str().unwrap()).unwrap();
    let ahead = expires_at.timestamp() - chrono::Utc::now().timestamp();
    assert!((3540..=3600).contains(&ahead), "expires about 1 h ahead, not {ahead} s");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["exp"], expires_at.timestamp(), "expiresAt is the token's `exp`");

    assert_eq!(login["viewer"]["email"], EDITOR_EMAIL);
    assert_eq!(login["viewer"]["role"], "EDITOR");
    assert!(!login["viewer"]["displayName"].as_str().unwrap().is_empty());
    let viewer = app.ok_as(token, VIEWER, json!({})).await;
    assert_eq!(viewer["viewer"]["id"], login["viewer"]["id"], "the token speaks for the viewer returned");

    // The email is matched case-insensitively and trimmed.
    let again = logs_in(&app, "  Editor@Demo.Chancery ", EDITOR_PASSWORD).await;
    assert_eq!(again["viewer"]["id"], login["viewer"]["id"]);
}

async fn wrong_password_and_unknown_email_get_the_identical_error(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let wrong_password = assert_login_refused(&attempt(&app, EDITOR_EMAIL, "not-the-password").await);
    let unknown_email = assert_login_refused(&attempt(&app, "nobody@demo.chancery", "not-the-password").await);
    let empty = assert_login_refused(&attempt(&app, "", "").await);
    assert_eq!(wrong_password, unknown_email, "nothing tells an account that exists from one that does not");
    assert_eq!(wrong_password, empty);
    // And the refusal of a login reads like any other missing authentication.
    let anonymous = app.graphql("{ myFacts { totalCount } }", json!({})).await;
    let (code, message, _) = single_error(&anonymous);
    assert_eq!(code, "UNAUTHENTICATED");
    assert_eq!(wrong_password["message"], message);
}

async fn after_five_failures_an_account_is_locked_even_for_the_right_password(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for _ in 0..5 {
        assert_login_refused(&attempt(&app, EDITOR_EMAIL, "not-the-password").await);
    }
    assert_rate_limited(&attempt(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await);
    assert_rate_limited(&attempt(&app, EDITOR_EMAIL, "not-the-password").await);
    // Spelling the email differently does not escape the lock.
    assert_rate_limited(&attempt(&app, " EDITOR@demo.chancery ", EDITOR_PASSWORD).await);
    // Another account signs in from the same address.
    let reviewer = logs_in(&app, REVIEWER_EMAIL, REVIEWER_PASSWORD).await;
    assert_eq!(reviewer["viewer"]["email"], REVIEWER_EMAIL);
}

async fn four_failures_do_not_lock_an_account(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    for _ in 0..4 {
        assert_login_refused(&attempt(&app, EDITOR_EMAIL, "not-the-password").await);
    }
    logs_in(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    // A success starts the count again.
    for _ in 0..4 {
        assert_login_refused(&attempt(&app, EDITOR_EMAIL, "not-the-password").await);
    }
    logs_in(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
}

async fn after_twenty_failures_from_one_address_every_login_from_it_is_throttled(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    // One failure each for 19 different emails: no account is near its own limit.
    for n in 0..19 {
        assert_login_refused(&attempt(&app, &format!("guess-{n}@demo.chancery"), "not-the-password").await);
    }
    // The 20th failure is still judged on its merits …
    assert_login_refused(&attempt(&app, REVIEWER_EMAIL, "not-the-password").await);
    // … after it, the address is locked out, for every account and even the right password.
    assert_rate_limited(&attempt(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await);
    assert_rate_limited(&attempt(&app, REVIEWER_EMAIL, REVIEWER_PASSWORD).await);
    assert_rate_limited(&attempt(&app, "guess-99@demo.chancery", "not-the-password").await);
}

async fn concurrent_failures_cannot_outrun_the_account_lock(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    // A burst of guesses sent at once must not be judged more often than guesses sent in turn.
    let guesses = (0..20).map(|n| {
        let app = &app;
        async move { attempt(app, EDITOR_EMAIL, &format!("guess-number-{n}")).await }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let mut judged = 0;
    for body in &answers {
        match single_error(body).0.as_str() {
            "UNAUTHENTICATED" => judged += 1,
            "RATE_LIMITED" => {
                assert_rate_limited(body);
            }
            other => panic!("unexpected {other}: {body:#}"),
        }
    }
    assert!(judged <= 5, "{judged} of 20 concurrent guesses were checked against the password; the limit is 5");
    assert_rate_limited(&attempt(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await);
}

// ---------------------------------------------------------------------------------------------
// Account administration
// ---------------------------------------------------------------------------------------------

async fn create_user_by_an_admin_creates_an_account_that_can_log_in(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let before = app.row_count("users").await;
    let data =
        app.ok_as(&admin, CREATE_USER, new_user("New.Reviewer@Example.org", "REVIEWER", "a-fresh-password-42")).await;
    let user = &data["createUser"]["user"];
    assert_eq!(user["email"], "new.reviewer@example.org", "emails are stored lower-cased");
    assert_eq!(user["displayName"], "New Colleague");
    assert_eq!(user["role"], "REVIEWER");
    assert_eq!(user["active"], true);
    assert_eq!(app.row_count("users").await, before + 1);

    let login = logs_in(&app, "new.reviewer@example.org", "a-fresh-password-42").await;
    assert_eq!(login["viewer"]["id"], user["id"]);
    assert_eq!(login["viewer"]["role"], "REVIEWER");
    assert_login_refused(&attempt(&app, "new.reviewer@example.org", "a-fresh-password-43").await);
}

async fn create_user_by_anyone_but_an_admin_is_refused_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let reviewer = app.login(REVIEWER_EMAIL, REVIEWER_PASSWORD).await;
    let before = app.row_count("users").await;
    let input = new_user("sneaky@example.org", "ADMIN", "a-fresh-password-42");
    for token in [&editor, &reviewer] {
        let body = app.graphql_as(token, CREATE_USER, input.clone()).await;
        assert_eq!(single_error(&body).0, "FORBIDDEN", "{body:#}");
        assert!(body["data"].is_null(), "{body:#}");
    }
    let body = app.graphql(CREATE_USER, input).await;
    assert_eq!(single_error(&body).0, "UNAUTHENTICATED", "{body:#}");
    assert_eq!(app.row_count("users").await, before, "a refused createUser writes nothing");
    assert_login_refused(&attempt(&app, "sneaky@example.org", "a-fresh-password-42").await);
}

async fn create_user_with_an_invalid_email_is_refused_naming_email(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let before = app.row_count("users").await;
    let long = format!("{}@example.org", "a".repeat(250));
    for email in ["not-an-email", "", "two@@example.org", "spaces in@example.org", long.as_str()] {
        let body = app.graphql_as(&admin, CREATE_USER, new_user(email, "EDITOR", "a-fresh-password-42")).await;
        assert_bad_input(&body, "email");
    }
    assert_eq!(app.row_count("users").await, before);
}

async fn create_user_with_a_short_password_is_refused_naming_password(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let before = app.row_count("users").await;
    for password in ["", "short", "eleven-char"] {
        let body = app.graphql_as(&admin, CREATE_USER, new_user("short@example.org", "EDITOR", password)).await;
        assert_bad_input(&body, "password");
    }
    assert_eq!(app.row_count("users").await, before);
    // Twelve characters are enough.
    app.ok_as(&admin, CREATE_USER, new_user("short@example.org", "EDITOR", "twelve-chars")).await;
    logs_in(&app, "short@example.org", "twelve-chars").await;
}

async fn create_user_with_a_registered_email_is_refused_naming_email(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let before = app.row_count("users").await;
    for email in [EDITOR_EMAIL, "EDITOR@Demo.Chancery", " editor@demo.chancery "] {
        let body = app.graphql_as(&admin, CREATE_USER, new_user(email, "ADMIN", "a-fresh-password-42")).await;
        assert_bad_input(&body, "email");
    }
    assert_eq!(app.row_count("users").await, before);
    // The existing account is untouched: same password, same role.
    let login = logs_in(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    assert_eq!(login["viewer"]["role"], "EDITOR");
    assert_login_refused(&attempt(&app, EDITOR_EMAIL, "a-fresh-password-42").await);
}

async fn set_user_role_changes_the_role_and_revokes_the_old_token(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let (email, token) = app.user_with_role(UserRole::Editor).await;
    let id = id_of(&app, &token).await;
    let before = app.row_count("users").await;

    let data = app.ok_as(&admin, SET_USER_ROLE, json!({ "id": id, "role": "REVIEWER" })).await;
    assert_eq!(data["setUserRole"]["user"]["id"], id);
    assert_eq!(data["setUserRole"]["user"]["email"], email);
    assert_eq!(data["setUserRole"]["user"]["role"], "REVIEWER");
    assert_eq!(data["setUserRole"]["user"]["active"], true);
    assert_eq!(app.row_count("users").await, before);

    assert_token_refused(&app, &token).await;
    let login = logs_in(&app, &email, TEST_USER_PASSWORD).await;
    assert_eq!(login["viewer"]["role"], "REVIEWER");
    let fresh = login["token"].as_str().unwrap();
    assert_eq!(app.ok_as(fresh, VIEWER, json!({})).await["viewer"]["role"], "REVIEWER");
    // Setting a role again revokes again, even when it is the same role.
    app.ok_as(&admin, SET_USER_ROLE, json!({ "id": id, "role": "REVIEWER" })).await;
    assert_token_refused(&app, fresh).await;
}

async fn set_user_role_by_a_non_admin_is_forbidden_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let reviewer = app.login(REVIEWER_EMAIL, REVIEWER_PASSWORD).await;
    let editor_id = id_of(&app, &editor).await;
    for token in [&editor, &reviewer] {
        let body = app.graphql_as(token, SET_USER_ROLE, json!({ "id": editor_id, "role": "ADMIN" })).await;
        assert_eq!(single_error(&body).0, "FORBIDDEN", "{body:#}");
        let body = app.graphql_as(token, DEACTIVATE_USER, json!({ "id": editor_id })).await;
        assert_eq!(single_error(&body).0, "FORBIDDEN", "{body:#}");
    }
    // Neither the role nor the tokens changed.
    assert_eq!(app.ok_as(&editor, VIEWER, json!({})).await["viewer"]["role"], "EDITOR");
}

async fn deactivate_user_revokes_tokens_and_blocks_login(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let (email, token) = app.user_with_role(UserRole::Editor).await;
    let id = id_of(&app, &token).await;
    let before = app.row_count("users").await;

    let data = app.ok_as(&admin, DEACTIVATE_USER, json!({ "id": id })).await;
    assert_eq!(data["deactivateUser"]["user"]["id"], id);
    assert_eq!(data["deactivateUser"]["user"]["active"], false);
    assert_eq!(app.row_count("users").await, before, "deactivation keeps the account (and its history)");

    assert_token_refused(&app, &token).await;
    let refused = assert_login_refused(&attempt(&app, &email, TEST_USER_PASSWORD).await);
    let wrong_password = assert_login_refused(&attempt(&app, EDITOR_EMAIL, "not-the-password").await);
    assert_eq!(refused, wrong_password, "a deactivated account is refused like a wrong password");
}

async fn unknown_user_id_is_not_found(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let before = app.row_count("users").await;
    let id = URL_SAFE_NO_PAD.encode(format!("User:{}", uuid::Uuid::now_v7()));
    for (query, variables) in
        [(SET_USER_ROLE, json!({ "id": id, "role": "ADMIN" })), (DEACTIVATE_USER, json!({ "id": id }))]
    {
        let body = app.graphql_as(&admin, query, variables).await;
        assert_eq!(single_error(&body).0, "NOT_FOUND", "{body:#}");
        assert!(body["data"].is_null(), "{body:#}");
    }
    assert_eq!(app.row_count("users").await, before);
}

async fn malformed_user_id_is_refused_naming_id(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let actor_id = app.actor_id("Vladimir Putin").await;
    let ids = [
        "garbage".to_owned(),
        String::new(),
        URL_SAFE_NO_PAD.encode("User:not-a-uuid"),
        URL_SAFE_NO_PAD.encode("User:"),
        actor_id,
        "x".repeat(500),
    ];
    for id in ids {
        for (query, variables) in
            [(SET_USER_ROLE, json!({ "id": id, "role": "ADMIN" })), (DEACTIVATE_USER, json!({ "id": id }))]
        {
            let body = app.graphql_as(&admin, query, variables).await;
            assert_bad_input(&body, "id");
        }
    }
    // Nothing was touched: the demo editor still signs in, as an editor.
    assert_eq!(logs_in(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await["viewer"]["role"], "EDITOR");
}

// ---------------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------------

/// Runs `chancery --database-url <the test database> <args>`, with `stdin` piped in (or no
/// standard input at all).
async fn chancery(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chancery"));
    command
        .arg("--database-url")
        .arg(&app.database.url)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("CHANCERY_LOG", "warn")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("the chancery binary runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        // A command that refuses its arguments exits before it reads standard input.
        match pipe.write_all(input.as_bytes()).await {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
            written => written.unwrap(),
        }
        drop(pipe);
    }
    tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the command finishes")
        .expect("its output is collected")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn cli_user_create_takes_the_password_from_stdin(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let output =
        chancery(&app, &["user", "create", "--email", "x@y.org", "--role", "reviewer"], Some("a-piped-password-1\n"))
            .await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "exit 0: {output:?}");
    assert!(stdout.contains("x@y.org"), "reports the account: {stdout}");
    assert!(!stdout.contains("a-piped-password-1"), "a chosen password is not echoed: {stdout}");
    assert!(!stdout.contains("shown once"), "no password is generated: {stdout}");

    let login = logs_in(&app, "x@y.org", "a-piped-password-1").await;
    assert_eq!(login["viewer"]["role"], "REVIEWER");
    assert_eq!(login["viewer"]["displayName"], "x", "the name defaults to the email's local part");
}

async fn cli_user_create_without_stdin_prints_a_generated_password_once(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let output = chancery(&app, &["user", "create", "--email", "x@y.org", "--role", "reviewer"], None).await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "exit 0: {output:?}");
    let marker = "password (shown once): ";
    assert_eq!(stdout.matches(marker).count(), 1, "the password is printed exactly once: {stdout}");
    let password = stdout.split(marker).nth(1).unwrap().lines().next().unwrap().trim().to_owned();
    assert!(password.chars().count() >= 12, "a strong generated password: {password:?}");
    assert!(!text(&output.stderr).contains(&password), "the password does not go to the logs");

    let login = logs_in(&app, "x@y.org", &password).await;
    assert_eq!(login["viewer"]["role"], "REVIEWER");
}

async fn cli_user_create_refuses_a_registered_email(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let before = app.row_count("users").await;
    for email in [EDITOR_EMAIL, "Editor@Demo.Chancery"] {
        let output =
            chancery(&app, &["user", "create", "--email", email, "--role", "admin"], Some("a-new-password-12\n")).await;
        assert!(!output.status.success(), "a duplicate email fails: {output:?}");
        assert!(text(&output.stderr).contains("email"), "says what is wrong: {output:?}");
    }
    assert_eq!(app.row_count("users").await, before);
    let login = logs_in(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    assert_eq!(login["viewer"]["role"], "EDITOR", "the existing account is untouched");
}

async fn cli_user_create_refuses_a_short_password_or_an_unknown_role(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let before = app.row_count("users").await;
    let output = chancery(&app, &["user", "create", "--email", "x@y.org", "--role", "editor"], Some("short\n")).await;
    assert!(!output.status.success(), "a short password fails: {output:?}");
    let output =
        chancery(&app, &["user", "create", "--email", "x@y.org", "--role", "owner"], Some("a-new-password-12\n")).await;
    assert!(!output.status.success(), "an unknown role fails: {output:?}");
    assert_eq!(app.row_count("users").await, before);
}

async fn cli_user_commands_list_change_and_deactivate_accounts_and_revoke_tokens(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let output =
        chancery(&app, &["user", "create", "--email", "desk@y.org", "--role", "editor"], Some("a-piped-password-1\n"))
            .await;
    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output.stdout);
    let global_id = stdout.trim().rsplit(' ').next().unwrap().to_owned();
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let node = app
        .ok_as(&admin, "query($id: ID!) { node(id: $id) { ... on User { email role } } }", json!({ "id": global_id }))
        .await;
    assert_eq!(node["node"]["email"], "desk@y.org", "create prints the account's global id: {stdout}");
    let listed = text(&chancery(&app, &["user", "list"], None).await.stdout);
    assert!(
        listed.lines().any(|line| line.starts_with(&global_id) && line.contains("EDITOR") && line.ends_with("active")),
        "{listed}"
    );
    let token = app.login("desk@y.org", "a-piped-password-1").await;
    let output = chancery(&app, &["user", "set-role", "--email", "DESK@y.org", "--role", "reviewer"], None).await;
    assert!(output.status.success(), "{output:?}");
    let revoked = app.graphql_as(&token, "{ viewer { role } }", json!({})).await;
    assert_eq!(single_error(&revoked).0, "UNAUTHENTICATED", "a role change revokes the account's tokens");
    let token = app.login("desk@y.org", "a-piped-password-1").await;
    assert_eq!(app.ok_as(&token, "{ viewer { role } }", json!({})).await["viewer"]["role"], "REVIEWER");
    let output = chancery(&app, &["user", "deactivate", "--email", "desk@y.org"], None).await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(single_error(&app.graphql_as(&token, "{ viewer { role } }", json!({})).await).0, "UNAUTHENTICATED");
    let login = app
        .graphql(
            "mutation { login(input: {email: \"desk@y.org\", password: \"a-piped-password-1\"}) { token } }",
            json!({}),
        )
        .await;
    assert_eq!(single_error(&login).0, "UNAUTHENTICATED", "a deactivated account cannot sign in");
    let listed = text(&chancery(&app, &["user", "list"], None).await.stdout);
    assert!(listed.lines().any(|line| line.starts_with(&global_id) && line.ends_with("deactivated")), "{listed}");
    let unknown = chancery(&app, &["user", "deactivate", "--email", "nobody@y.org"], None).await;
    assert!(!unknown.status.success(), "an unknown account is an error");
    assert!(text(&unknown.stderr).contains("nobody@y.org"), "{unknown:?}");
}

async fn admins_list_accounts_and_see_them_as_nodes_nobody_else_does(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let editor = app.login("editor@demo.chancery", "demo-editor-password").await;
    let query = "query($f: UserFilterInput, $after: String) { users(filter: $f, after: $after) { totalCount nodes { id email role active } } }";
    let all = app.ok_as(&admin, query, json!({})).await;
    assert_eq!(all["users"]["totalCount"], 3, "the two demo accounts and the admin: {all:#}");
    let reviewers = app.ok_as(&admin, query, json!({ "f": { "roles": ["REVIEWER"] } })).await;
    assert_eq!(reviewers["users"]["nodes"][0]["email"], "reviewer@demo.chancery");
    assert_eq!(reviewers["users"]["totalCount"], 1);
    let refused = app.graphql_as(&editor, query, json!({})).await;
    assert_eq!(single_error(&refused).0, "FORBIDDEN");
    assert_eq!(single_error(&app.graphql(query, json!({})).await).0, "UNAUTHENTICATED");
    assert_bad_input(&app.graphql_as(&admin, query, json!({ "after": "garbage" })).await, "after");
    let reviewer_id = reviewers["users"]["nodes"][0]["id"].clone();
    let node = "query($id: ID!) { node(id: $id) { id ... on User { email } } }";
    assert_eq!(app.ok_as(&admin, node, json!({ "id": reviewer_id })).await["node"]["email"], "reviewer@demo.chancery");
    assert!(
        app.ok_as(&editor, node, json!({ "id": reviewer_id })).await["node"].is_null(),
        "an editor sees no account"
    );
    assert!(app.query_ok(node, json!({ "id": reviewer_id })).await["node"].is_null());
}

backend_tests!(
    cli_user_commands_list_change_and_deactivate_accounts_and_revoke_tokens,
    admins_list_accounts_and_see_them_as_nodes_nobody_else_does,
    login_returns_a_token_valid_for_about_an_hour_and_the_viewer,
    wrong_password_and_unknown_email_get_the_identical_error,
    after_five_failures_an_account_is_locked_even_for_the_right_password,
    four_failures_do_not_lock_an_account,
    after_twenty_failures_from_one_address_every_login_from_it_is_throttled,
    create_user_by_an_admin_creates_an_account_that_can_log_in,
    create_user_by_anyone_but_an_admin_is_refused_and_writes_nothing,
    create_user_with_an_invalid_email_is_refused_naming_email,
    create_user_with_a_short_password_is_refused_naming_password,
    create_user_with_a_registered_email_is_refused_naming_email,
    set_user_role_changes_the_role_and_revokes_the_old_token,
    set_user_role_by_a_non_admin_is_forbidden_and_changes_nothing,
    deactivate_user_revokes_tokens_and_blocks_login,
    unknown_user_id_is_not_found,
    malformed_user_id_is_refused_naming_id,
    cli_user_create_takes_the_password_from_stdin,
    cli_user_create_without_stdin_prints_a_generated_password_once,
    cli_user_create_refuses_a_registered_email,
    cli_user_create_refuses_a_short_password_or_an_unknown_role,
    concurrent_failures_cannot_outrun_the_account_lock,
);
