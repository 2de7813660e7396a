//! Throttles that an attacker cannot turn against others or multiply: the request rate limit
//! counts the verified principal (else the client address), failed logins lock a pair or an
//! address but not the account's owner elsewhere, forwarding headers are believed from trusted
//! proxies only, and several server processes share their counts.

use std::net::IpAddr;

use crate::support::{Backend, TestApp, TestDatabase};
use chancery::config::{DatabaseConfig, ServeConfig, ThrottleConfig};
use entity::enums::UserRole;
use serde_json::{json, Value};

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }";
const EDITOR_EMAIL: &str = "editor@demo.chancery";
const EDITOR_PASSWORD: &str = "demo-editor-password";
const REVIEWER_EMAIL: &str = "reviewer@demo.chancery";
const REVIEWER_PASSWORD: &str = "demo-reviewer-password";
const TEST_USER_PASSWORD: &str = "a-test-password-123";
/// The Redis the shared-state tests may use (`.ci/run` starts one and sets it); they are
/// skipped without it, as the Postgres runs are without `TEST_DATABASE_URL`.
fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL").ok().filter(|url| !url.is_empty())
}

/// A client whose connections come from `address` (any 127.0.0.0/8 address is loopback).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder().local_address(address.parse::<IpAddr>().unwrap()).build().unwrap()
}

/// A login attempt, optionally through a proxy that reports the client in `X-Forwarded-For`.
async fn login_via(
    app: &TestApp,
    client: &reqwest::Client,
    forwarded_for: Option<&str>,
    email: &str,
    password: &str,
) -> Value {
    let mut request = client
        .post(format!("{}/graphql", app.base_url))
        .json(&json!({ "query": LOGIN, "variables": { "e": email, "p": password } }));
    if let Some(client_address) = forwarded_for {
        request = request.header("x-forwarded-for", client_address);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The outcome of a login: OK, or the error's code.
fn outcome(body: &Value) -> String {
    match body["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None if body["data"]["login"]["token"].is_string() => "OK".to_owned(),
        None => panic!("neither a token nor a coded error: {body:#}"),
    }
}

/// A client address nobody else uses (counts in Redis outlive a test run).
fn fresh_address() -> String {
    let bytes = uuid::Uuid::now_v7().into_bytes();
    format!("10.{}.{}.{}", bytes[13], bytes[14], bytes[15].max(1))
}

/// An account of its own (counts in Redis outlive a test run); returns its email.
async fn fresh_account(app: &TestApp) -> String {
    let email = format!("throttled-{}@test.chancery", uuid::Uuid::now_v7().simple());
    chancery::domain::account::store::create_user(
        &app.db,
        chancery::domain::account::store::NewUser {
            email: email.clone(),
            display_name: "Throttled".into(),
            role: UserRole::Editor,
            password: TEST_USER_PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    email
}

async fn post(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut request =
        app.client.post(format!("{}/graphql", app.base_url)).json(&json!({ "query": "{ viewer { email } }" }));
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    request.send().await.unwrap()
}

async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.client.get(format!("{}/metrics", app.base_url)).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} in {text}"))
        .parse()
        .unwrap()
}

fn with_rate(per_minute: u32) -> ServeConfig {
    ServeConfig { demo: true, rate_limit_per_minute: per_minute, ..ServeConfig::default() }
}

// ---------------------------------------------------------------------------------------------
// The request rate limit
// ---------------------------------------------------------------------------------------------

async fn many_spellings_of_one_token_share_one_budget(backend: Backend) {
    let app = TestApp::spawn_with(backend, with_rate(10)).await;
    let (_, token) = app.user_with_role(UserRole::Editor).await;
    let spellings = [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer   {token}  "),
        format!(" bEaReR {token}"),
    ];
    let mut answered = 0;
    for round in 0..4 {
        for spelling in &spellings {
            let response = post(&app, Some(spelling)).await;
            match response.status().as_u16() {
                200 => answered += 1,
                429 => {}
                other => panic!("unexpected {other} in round {round}"),
            }
        }
    }
    // 10 a minute, plus one if the machine was slow enough for the budget to refill a step.
    assert!(answered <= 11, "{answered} of 20 requests with one token were answered; the limit is 10 a minute");
    assert!(answered >= 10, "the token's own budget was served: {answered}");
}

async fn a_flood_of_unique_invalid_tokens_is_limited_per_address_and_the_state_stays_bounded(backend: Backend) {
    let app = TestApp::spawn_with(backend, with_rate(20)).await;
    let (_, token) = app.user_with_role(UserRole::Editor).await;
    let mut answered = 0;
    for n in 0..200 {
        let response = post(&app, Some(&format!("Bearer not-a-token-{n}-{}", uuid::Uuid::now_v7()))).await;
        match response.status().as_u16() {
            200 => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body:#}");
                answered += 1;
            }
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    // The address signed in once; 20 a minute in all, plus a refill step on a slow machine.
    assert!(answered <= 20, "{answered} of 200 invented tokens from one address were answered");
    let tracked = metric(&app, "chancery_rate_limit_callers").await;
    assert!(tracked <= 4, "the limiter holds state for {tracked} callers after 200 invented tokens");
    // The editor's own budget is untouched by the flood from the address.
    assert_eq!(post(&app, Some(&format!("Bearer {token}"))).await.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Failed logins
// ---------------------------------------------------------------------------------------------

async fn failing_from_one_address_does_not_lock_the_owner_out_from_another(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let attacker = client_from("127.0.0.1");
    let mut outcomes = Vec::new();
    for n in 0..30 {
        outcomes.push(outcome(&login_via(&app, &attacker, None, REVIEWER_EMAIL, &format!("guess-{n}")).await));
    }
    assert_eq!(outcomes.iter().filter(|o| *o == "UNAUTHENTICATED").count(), 5, "{outcomes:?}");
    assert!(outcomes[5..].iter().all(|o| o == "RATE_LIMITED"), "{outcomes:?}");
    assert_eq!(outcome(&login_via(&app, &attacker, None, REVIEWER_EMAIL, REVIEWER_PASSWORD).await), "RATE_LIMITED");

    let reviewer = client_from("127.0.0.2");
    assert_eq!(outcome(&login_via(&app, &reviewer, None, REVIEWER_EMAIL, REVIEWER_PASSWORD).await), "OK");
}

async fn past_the_account_ceiling_strangers_are_refused_but_the_owners_own_address_is_not(backend: Backend) {
    let throttle = ThrottleConfig { login_failures_per_account: 8, ..ThrottleConfig::default() };
    let app = TestApp::spawn_with(backend, ServeConfig { demo: true, throttle, ..ServeConfig::default() }).await;
    let owner = client_from("127.0.0.1");
    assert_eq!(outcome(&login_via(&app, &owner, None, EDITOR_EMAIL, EDITOR_PASSWORD).await), "OK");
    // Guesses from three addresses, at most five from each, reach the account's ceiling of 8.
    let mut judged = 0;
    for address in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        let stranger = client_from(address);
        for n in 0..5 {
            if outcome(&login_via(&app, &stranger, None, EDITOR_EMAIL, &format!("guess-{n}")).await)
                == "UNAUTHENTICATED"
            {
                judged += 1;
            }
        }
    }
    assert_eq!(judged, 8, "8 guesses are judged in all");
    let newcomer = client_from("127.0.0.5");
    assert_eq!(outcome(&login_via(&app, &newcomer, None, EDITOR_EMAIL, EDITOR_PASSWORD).await), "RATE_LIMITED");
    assert_eq!(outcome(&login_via(&app, &owner, None, EDITOR_EMAIL, EDITOR_PASSWORD).await), "OK");
}

async fn forwarded_clients_are_told_apart_behind_a_trusted_proxy_only(backend: Backend) {
    let throttle = ThrottleConfig { trusted_proxies: "127.0.0.1/32".parse().unwrap(), ..ThrottleConfig::default() };
    let app = TestApp::spawn_with(backend, ServeConfig { demo: true, throttle, ..ServeConfig::default() }).await;
    let proxy = client_from("127.0.0.1");
    for n in 0..25 {
        let body = login_via(&app, &proxy, Some("198.51.100.7"), &format!("guess-{n}@demo.chancery"), "nope").await;
        let expected = if n < 20 { "UNAUTHENTICATED" } else { "RATE_LIMITED" };
        assert_eq!(outcome(&body), expected, "attempt {n}");
    }
    // The forwarded client is locked out, whatever it writes to the left of what the proxy saw.
    assert_eq!(
        outcome(&login_via(&app, &proxy, Some("198.51.100.7"), EDITOR_EMAIL, EDITOR_PASSWORD).await),
        "RATE_LIMITED"
    );
    let chain = "203.0.113.50, 198.51.100.7";
    assert_eq!(outcome(&login_via(&app, &proxy, Some(chain), EDITOR_EMAIL, EDITOR_PASSWORD).await), "RATE_LIMITED");
    // Other clients of the same proxy are not.
    assert_eq!(outcome(&login_via(&app, &proxy, Some("198.51.100.8"), EDITOR_EMAIL, EDITOR_PASSWORD).await), "OK");
    let forwarded = proxy
        .post(format!("{}/graphql", app.base_url))
        .header("forwarded", r#"for="198.51.100.9:4711";proto=https"#)
        .json(&json!({ "query": LOGIN, "variables": { "e": REVIEWER_EMAIL, "p": REVIEWER_PASSWORD } }))
        .send()
        .await
        .unwrap();
    assert_eq!(outcome(&forwarded.json().await.unwrap()), "OK");

    // From a peer that is not a trusted proxy the headers are ignored: inventing a new
    // forwarded address for each guess does not escape the address's limit.
    let spoofer = client_from("127.0.0.2");
    for n in 0..20 {
        let claimed = format!("192.0.2.{n}");
        let body = login_via(&app, &spoofer, Some(&claimed), &format!("spoof-{n}@demo.chancery"), "nope").await;
        assert_eq!(outcome(&body), "UNAUTHENTICATED", "attempt {n}");
    }
    let body = login_via(&app, &spoofer, Some("192.0.2.200"), EDITOR_EMAIL, EDITOR_PASSWORD).await;
    assert_eq!(outcome(&body), "RATE_LIMITED");
}

backend_tests!(
    many_spellings_of_one_token_share_one_budget,
    a_flood_of_unique_invalid_tokens_is_limited_per_address_and_the_state_stays_bounded,
    failing_from_one_address_does_not_lock_the_owner_out_from_another,
    past_the_account_ceiling_strangers_are_refused_but_the_owners_own_address_is_not,
    forwarded_clients_are_told_apart_behind_a_trusted_proxy_only,
);

// ---------------------------------------------------------------------------------------------
// Several server processes
// ---------------------------------------------------------------------------------------------

/// Two servers on one database (and one Redis when `redis` is set), as behind a load balancer
/// whose own address is the trusted proxy.
async fn two_processes(backend: Backend, redis: bool, rate_limit_per_minute: u32) -> (TestApp, TestApp) {
    let serve = ServeConfig {
        demo: true,
        rate_limit_per_minute,
        throttle: ThrottleConfig {
            trusted_proxies: "127.0.0.1/32".parse().unwrap(),
            redis_url: redis.then(|| redis_url().expect("TEST_REDIS_URL")),
            login_failures_per_account: 8,
            ..ThrottleConfig::default()
        },
        ..ServeConfig::default()
    };
    let first = TestApp::spawn_with(backend, serve.clone()).await;
    let url = first.database.url.clone();
    let second =
        TestApp::spawn_on(backend, TestDatabase::existing(url.clone()), &DatabaseConfig::for_url(url), serve).await;
    (first, second)
}

async fn login_limits_hold_across_processes(backend: Backend, redis: bool) {
    let (first, second) = two_processes(backend, redis, 0).await;
    let proxy = client_from("127.0.0.1");
    let email = fresh_account(&first).await;
    // Five failures per account and address, split over the two processes, lock the pair.
    let address = fresh_address();
    for (n, app) in [&first, &first, &second, &first, &second].into_iter().enumerate() {
        let body = login_via(app, &proxy, Some(&address), &email, &format!("guess-{n}")).await;
        assert_eq!(outcome(&body), "UNAUTHENTICATED", "guess {n}");
    }
    for app in [&first, &second] {
        let body = login_via(app, &proxy, Some(&address), &email, TEST_USER_PASSWORD).await;
        assert_eq!(outcome(&body), "RATE_LIMITED");
    }
    // The account's ceiling (8 here) counts the failures of every address on every process.
    for n in 0..3 {
        let body = login_via(&second, &proxy, Some(&fresh_address()), &email, &format!("again-{n}")).await;
        assert_eq!(outcome(&body), "UNAUTHENTICATED", "guess {n} from elsewhere");
    }
    for app in [&first, &second] {
        let body = login_via(app, &proxy, Some(&fresh_address()), &email, TEST_USER_PASSWORD).await;
        assert_eq!(outcome(&body), "RATE_LIMITED", "past the account's ceiling");
    }
}

async fn the_request_rate_limit_holds_across_processes(backend: Backend, redis: bool) {
    let (first, second) = two_processes(backend, redis, 10).await;
    let email = fresh_account(&first).await;
    let token = first.login(&email, TEST_USER_PASSWORD).await;
    let authorization = format!("Bearer {token}");
    // The shared count is per minute: keep the requests (about 10 s) inside one.
    let second_of_minute = chrono::Utc::now().timestamp() % 60;
    if second_of_minute > 40 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second_of_minute) as u64)).await;
    }
    let mut answered = [0, 0, 0];
    // Several sync intervals (1 s), so that a loaded machine still syncs in between.
    let sync = std::time::Duration::from_secs(3);
    for (step, (app, requests)) in [(&first, 6), (&second, 3), (&second, 6)].into_iter().enumerate() {
        for _ in 0..requests {
            if post(app, Some(&authorization)).await.status() == 200 {
                answered[step] += 1;
            }
        }
        tokio::time::sleep(sync).await;
    }
    assert_eq!(answered[..2], [6, 3], "within the limit of 10 a minute: {answered:?}");
    assert!(answered[2] <= 1, "the second process knew of the first's requests: {answered:?}");
}

mod shared {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
    async fn login_limits_hold_across_two_processes_on_one_postgres() {
        login_limits_hold_across_processes(Backend::Postgres, false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
    async fn the_request_rate_limit_holds_across_two_processes_on_one_postgres() {
        the_request_rate_limit_holds_across_processes(Backend::Postgres, false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn login_limits_hold_across_two_processes_sharing_redis() {
        if redis_url().is_none() {
            eprintln!("TEST_REDIS_URL is not set: skipping the Redis run");
            return;
        }
        login_limits_hold_across_processes(Backend::Sqlite, true).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_request_rate_limit_holds_across_two_processes_sharing_redis() {
        if redis_url().is_none() {
            eprintln!("TEST_REDIS_URL is not set: skipping the Redis run");
            return;
        }
        the_request_rate_limit_holds_across_processes(Backend::Sqlite, true).await;
    }
}
