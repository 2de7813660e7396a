//! Access tokens, attacked from every side. A token the server does not accept must get exactly
//! the answer a missing token gets on a protected operation — HTTP 200, one error coded
//! `UNAUTHENTICATED` with the same message whatever was wrong with it, no data — and must not
//! change the database: each refused token is sent with `viewer` and with `createActor`, and
//! the `actors` and `users` tables are counted before and after. Positive controls show that
//! the forging code itself is right, so that each refusal is due to the one defect planted.
//!
//! Tokens are built with `jsonwebtoken` where it can express them, and by hand (base64url
//! JSON, signed with `jsonwebtoken::crypto::sign`) where it deliberately cannot.

use crate::support::{single_error, Backend, TestApp, TestDatabase, TEST_JWT_SECRET};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chancery::config::{AuthConfig, DatabaseConfig, ServeConfig};
use entity::enums::UserRole;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const VIEWER: &str = "{ viewer { id email role } }";
const CREATE_ACTOR: &str = "mutation($input: CreateActorInput!) { createActor(input: $input) { actor { id name } } }";
const SET_USER_ROLE: &str =
    "mutation($id: ID!, $role: UserRole!) { setUserRole(input: {id: $id, role: $role}) { user { id role } } }";
const DEACTIVATE_USER: &str = "mutation($id: ID!) { deactivateUser(input: {id: $id}) { user { id active } } }";
const LOGIN: &str = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }";

const EDITOR_EMAIL: &str = "editor@demo.chancery";
const EDITOR_PASSWORD: &str = "demo-editor-password";
const REVIEWER_EMAIL: &str = "reviewer@demo.chancery";
const REVIEWER_PASSWORD: &str = "demo-reviewer-password";

const LOCAL_ISSUER: &str = "chancery";
const AUDIENCE: &str = "chancery-api";
const EXTERNAL_ISSUER: &str = "https://idp.test";
const JWKS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/external-jwks.json");
const RS256_PRIVATE_PEM: &str = include_str!("../fixtures/external-rs256-private.pem");
const RS256_PUBLIC_PEM: &str = include_str!("../fixtures/external-rs256-public.pem");
const ED25519_PRIVATE_PEM: &str = include_str!("../fixtures/external-ed25519-private.pem");

// ---------------------------------------------------------------------------------------------
// Building tokens
// ---------------------------------------------------------------------------------------------

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// The decoded payload of a token.
fn payload_of(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a three-part token");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The user id (`sub`) a local token was issued to.
pub(crate) fn subject_of(token: &str) -> String {
    payload_of(token)["sub"].as_str().unwrap().to_owned()
}

/// The claims of a token this server issues, for `user_id`, valid now.
pub(crate) fn local_claims(user_id: &str) -> Value {
    let now = now();
    json!({
        "sub": user_id,
        "iss": LOCAL_ISSUER,
        "aud": AUDIENCE,
        "exp": now + 3600,
        "nbf": now,
        "iat": now,
        "role": "EDITOR",
        "ver": 0,
    })
}

/// `claims` with `key` set to `value`.
pub(crate) fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

/// `claims` without `key`.
fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn local_header() -> Header {
    Header { typ: Some("at+jwt".into()), ..Header::new(Algorithm::HS256) }
}

fn hs256(header: &Header, claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// A token signed exactly as the test server signs its own.
pub(crate) fn local_token(claims: &Value) -> String {
    hs256(&local_header(), claims, TEST_JWT_SECRET.as_bytes())
}

/// A token whose header and payload are given as raw JSON, signed over exactly those bytes.
fn signed_by_hand(header: &Value, claims: &Value, key: &EncodingKey, algorithm: Algorithm) -> String {
    let message = format!("{}.{}", b64_json(header), b64_json(claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, algorithm).unwrap();
    format!("{message}.{signature}")
}

/// The DER inside a PEM file.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

/// Splits one DER element off `bytes`: (tag, contents, what follows).
fn der_element(bytes: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = bytes[0];
    let (length, header) = if bytes[1] < 0x80 {
        (bytes[1] as usize, 2)
    } else {
        let count = (bytes[1] & 0x7f) as usize;
        (bytes[2..2 + count].iter().fold(0usize, |acc, byte| (acc << 8) | *byte as usize), 2 + count)
    };
    (tag, &bytes[header..header + length], &bytes[header + length..])
}

/// The provider's RSA private key. The fixture is PKCS#8; jsonwebtoken (built without its PEM
/// feature) signs with PKCS#1 DER, which is the OCTET STRING inside the PKCS#8 structure.
fn rs256_key() -> EncodingKey {
    let pkcs8 = pem_der(RS256_PRIVATE_PEM);
    let (_, private_key_info, _) = der_element(&pkcs8);
    let (_, _, rest) = der_element(private_key_info); // version
    let (_, _, rest) = der_element(rest); // algorithm identifier
    let (tag, pkcs1, _) = der_element(rest);
    assert_eq!(tag, 0x04, "the PKCS#8 private key is an OCTET STRING");
    EncodingKey::from_rsa_der(pkcs1)
}

/// The provider's Ed25519 private key (PKCS#8 DER, as jsonwebtoken takes it).
fn ed25519_key() -> EncodingKey {
    EncodingKey::from_ed_der(&pem_der(ED25519_PRIVATE_PEM))
}

/// The claims of the external provider's token for alice, a reviewer.
fn alice_claims() -> Value {
    let now = now();
    json!({
        "iss": EXTERNAL_ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "email": "alice@idp.test",
        "roles": ["chancery-reviewer"],
        "exp": now + 600,
        "nbf": now,
        "iat": now,
    })
}

fn external_token(algorithm: Algorithm, kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let header = Header { typ: Some("at+jwt".into()), kid: Some(kid.into()), ..Header::new(algorithm) };
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn rs256_token(claims: &Value) -> String {
    external_token(Algorithm::RS256, "test-rs256", &rs256_key(), claims)
}

// ---------------------------------------------------------------------------------------------
// Servers and checks
// ---------------------------------------------------------------------------------------------

/// Token settings with the pretend external identity provider of the fixtures configured.
fn external_auth() -> AuthConfig {
    AuthConfig {
        external_jwks_file: Some(JWKS_FILE.into()),
        external_issuer: EXTERNAL_ISSUER.into(),
        external_audience: AUDIENCE.into(),
        external_role_claim: "roles".into(),
        external_role_map: "chancery-editor=EDITOR,chancery-reviewer=REVIEWER".parse().unwrap(),
        ..ServeConfig::default().auth
    }
}

/// A demo server that also accepts the external provider's tokens.
async fn spawn_with_external_provider(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, ServeConfig { demo: true, auth: external_auth(), ..ServeConfig::default() }).await
}

fn actor_input() -> Value {
    json!({ "input": { "name": format!("Token probe {}", uuid::Uuid::now_v7().simple()), "kind": "ORGANIZATION" } })
}

/// POSTs an operation with `authorization` as the raw Authorization header (or none), asserting
/// HTTP 200.
async fn post(app: &TestApp, authorization: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request =
        app.client.post(format!("{}/graphql", app.base_url)).json(&json!({ "query": query, "variables": variables }));
    if let Some(value) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    let response = request.send().await.expect("request reaches the server");
    assert_eq!(response.status(), 200, "GraphQL answers with HTTP 200");
    response.json().await.expect("a JSON body")
}

/// The message of the refusal every unauthenticated request gets: an anonymous write.
async fn reference_refusal(app: &TestApp) -> String {
    let body = post(app, None, CREATE_ACTOR, actor_input()).await;
    let (code, message, _) = single_error(&body);
    assert_eq!(code, "UNAUTHENTICATED", "{body:#}");
    message
}

async fn table_counts(app: &TestApp) -> [i64; 2] {
    [app.row_count("actors").await, app.row_count("users").await]
}

/// Asserts that a response is the one UNAUTHENTICATED refusal, with the shared message.
fn assert_unauthenticated(body: &Value, reference: &str, case: &str) {
    let (code, message, _) = single_error(body);
    assert_eq!(code, "UNAUTHENTICATED", "{case}: {body:#}");
    assert_eq!(message, reference, "{case}: every refusal reads the same: {body:#}");
    assert!(body.get("data").is_none_or(Value::is_null), "{case}: a refused request is not served: {body:#}");
}

/// Sends a read and a write with `authorization` as the whole Authorization header; both must
/// be refused, and nothing may be written.
async fn assert_refused_header(app: &TestApp, authorization: &str, case: &str) {
    let reference = reference_refusal(app).await;
    let before = table_counts(app).await;
    for (query, variables) in [(VIEWER, json!({})), (CREATE_ACTOR, actor_input())] {
        let body = post(app, Some(authorization), query, variables).await;
        assert_unauthenticated(&body, &reference, case);
    }
    assert_eq!(table_counts(app).await, before, "{case}: a refused token writes nothing");
}

async fn assert_refused(app: &TestApp, token: &str, case: &str) {
    assert_refused_header(app, &format!("Bearer {token}"), case).await;
}

/// Asserts that `token` is accepted as the account `email`; returns its viewer.
async fn assert_accepted(app: &TestApp, token: &str, email: &str) -> Value {
    let data = app.ok_as(token, VIEWER, json!({})).await;
    assert_eq!(data["viewer"]["email"], email, "{data:#}");
    data["viewer"].clone()
}

/// How alice is shown: her token claims an email her provider has not verified, and no name.
const ALICE_SHOWN_AS: &str = "unverified: alice@idp.test";

/// Asserts that an external `token` is accepted as one of the provider's users: an account of
/// its own (keyed by issuer and subject, never a local account), shown as `display_name`.
async fn assert_accepted_external(app: &TestApp, token: &str, display_name: &str) -> Value {
    let data = app.ok_as(token, "{ viewer { id email displayName role } }", json!({})).await;
    let viewer = data["viewer"].clone();
    assert_eq!(viewer["displayName"], display_name, "{data:#}");
    assert!(viewer["email"].as_str().unwrap().ends_with("@external.invalid"), "{data:#}");
    viewer
}

async fn viewer_id(app: &TestApp, token: &str) -> String {
    app.ok_as(token, VIEWER, json!({})).await["viewer"]["id"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------------------------
// Local tokens
// ---------------------------------------------------------------------------------------------

async fn a_valid_local_token_is_accepted_and_may_write(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let issued = app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let editor_id = subject_of(&issued);
    for token in [issued.clone(), local_token(&local_claims(&editor_id))] {
        let viewer = assert_accepted(&app, &token, EDITOR_EMAIL).await;
        assert_eq!(viewer["role"], "EDITOR");
        let global = URL_SAFE_NO_PAD.decode(viewer["id"].as_str().unwrap()).unwrap();
        assert_eq!(String::from_utf8(global).unwrap(), format!("User:{editor_id}"));

        let before = app.row_count("actors").await;
        app.ok_as(&token, CREATE_ACTOR, actor_input()).await;
        assert_eq!(app.row_count("actors").await, before + 1, "the same write with a valid token is performed");
    }
    // The issued token has exactly the shape the forged ones copy.
    let claims = payload_of(&issued);
    for key in ["sub", "iss", "aud", "exp", "nbf", "iat", "role", "ver"] {
        assert!(claims.get(key).is_some(), "issued tokens carry `{key}`: {claims:#}");
    }
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(issued.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["typ"], "at+jwt");
}

async fn unsigned_alg_none_token_is_refused(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let claims = b64_json(&local_claims(&editor_id));
    for alg in ["none", "None", "NONE"] {
        let header = json!({ "alg": alg, "typ": "at+jwt" });
        assert_refused(&app, &format!("{}.{claims}.", b64_json(&header)), &format!("alg {alg}")).await;
        // The same claims with a fake signature part.
        assert_refused(&app, &format!("{}.{claims}.c2lnbmF0dXJl", b64_json(&header)), &format!("alg {alg} + sig"))
            .await;
    }
    // Naming a configured external key does not make an unsigned token acceptable either.
    let header = json!({ "alg": "none", "typ": "at+jwt", "kid": "test-rs256" });
    assert_refused(&app, &format!("{}.{}.", b64_json(&header), b64_json(&alice_claims())), "alg none, rs256 kid").await;
}

async fn hs256_token_signed_with_the_rs256_public_key_is_refused(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let public_pem = RS256_PUBLIC_PEM.as_bytes();
    let public_der = pem_der(RS256_PUBLIC_PEM);
    for secret in [public_pem, public_pem.trim_ascii_end(), public_der.as_slice()] {
        // Without a kid: the local HS256 path, whose secret is not the public key.
        assert_refused(&app, &hs256(&local_header(), &local_claims(&editor_id), secret), "HS256/public key, no kid")
            .await;
        assert_refused(&app, &hs256(&local_header(), &alice_claims(), secret), "HS256/public key, external claims")
            .await;
        // With the RS256 key's kid: the key is RS256-only, whatever the header says.
        let header = Header { kid: Some("test-rs256".into()), ..local_header() };
        assert_refused(&app, &hs256(&header, &alice_claims(), secret), "HS256/public key, kid test-rs256").await;
        assert_refused(&app, &hs256(&header, &local_claims(&editor_id), secret), "HS256/public key, kid, local").await;
    }
    // Controls: the provider's genuine RS256 token and a genuine local token work on this server.
    assert_accepted_external(&app, &rs256_token(&alice_claims()), ALICE_SHOWN_AS).await;
    assert_accepted(&app, &local_token(&local_claims(&editor_id)), EDITOR_EMAIL).await;
}

async fn token_with_a_tampered_payload_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let token = app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let reviewer_id = subject_of(&app.login(REVIEWER_EMAIL, REVIEWER_PASSWORD).await);
    let parts: Vec<&str> = token.split('.').collect();
    let claims = payload_of(&token);
    let tampered = [
        ("role ADMIN", with(claims.clone(), "role", json!("ADMIN"))),
        ("sub of the reviewer", with(claims.clone(), "sub", json!(reviewer_id))),
        ("exp a year later", with(claims.clone(), "exp", json!(now() + 365 * 86_400))),
    ];
    for (case, changed) in tampered {
        let forged = format!("{}.{}.{}", parts[0], b64_json(&changed), parts[2]);
        assert_refused(&app, &forged, case).await;
    }
    // A signature moved from one token to another is no better.
    let other = app.login(REVIEWER_EMAIL, REVIEWER_PASSWORD).await;
    let spliced = format!("{}.{}.{}", parts[0], other.split('.').nth(1).unwrap(), parts[2]);
    assert_refused(&app, &spliced, "payload of another token").await;
    assert_accepted(&app, &token, EDITOR_EMAIL).await;
}

async fn token_signed_with_another_secret_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let claims = local_claims(&editor_id);
    for secret in ["another-secret-0123456789abcdef0123456789ab", "", "test-secret"] {
        assert_refused(&app, &hs256(&local_header(), &claims, secret.as_bytes()), &format!("secret {secret:?}")).await;
    }
    // The right secret as a prefix or with a byte appended is another key.
    assert_refused(&app, &hs256(&local_header(), &claims, &TEST_JWT_SECRET.as_bytes()[..32]), "secret prefix").await;
    let longer = format!("{TEST_JWT_SECRET}!");
    assert_refused(&app, &hs256(&local_header(), &claims, longer.as_bytes()), "secret + 1 byte").await;
    // HS384/HS512 with the right secret: only HS256 is configured.
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        let header = Header { typ: Some("at+jwt".into()), ..Header::new(algorithm) };
        assert_refused(&app, &hs256(&header, &claims, TEST_JWT_SECRET.as_bytes()), &format!("{algorithm:?}")).await;
    }
    assert_accepted(&app, &local_token(&claims), EDITOR_EMAIL).await;
}

async fn token_expired_beyond_the_leeway_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let now = now();
    let expired = with(with(local_claims(&editor_id), "exp", json!(now - 120)), "iat", json!(now - 3720));
    let expired = with(expired, "nbf", json!(now - 3720));
    assert_refused(&app, &local_token(&expired), "exp = now - 120").await;
    assert_refused(&app, &local_token(&with(expired.clone(), "exp", json!(now - 45))), "exp = now - 45").await;
    assert_refused(&app, &local_token(&without(expired.clone(), "exp")), "no exp").await;
    // Control: within the 30 s leeway a just-expired token still passes.
    assert_accepted(&app, &local_token(&with(expired, "exp", json!(now - 10))), EDITOR_EMAIL).await;
}

async fn token_not_yet_valid_beyond_the_leeway_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let now = now();
    let claims = local_claims(&editor_id);
    assert_refused(&app, &local_token(&with(claims.clone(), "nbf", json!(now + 120))), "nbf = now + 120").await;
    assert_refused(&app, &local_token(&without(claims.clone(), "nbf")), "no nbf").await;
    assert_accepted(&app, &local_token(&with(claims, "nbf", json!(now + 10))), EDITOR_EMAIL).await;
}

async fn token_from_another_issuer_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let claims = local_claims(&editor_id);
    for issuer in [json!("https://evil.test"), json!("Chancery"), json!(""), json!(["chancery"])] {
        assert_refused(&app, &local_token(&with(claims.clone(), "iss", issuer.clone())), &format!("iss {issuer}"))
            .await;
    }
    assert_refused(&app, &local_token(&without(claims, "iss")), "no iss").await;
}

async fn token_for_another_audience_or_without_one_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let claims = local_claims(&editor_id);
    for audience in [json!("other-api"), json!("Chancery-API"), json!(""), json!(["other-api"])] {
        assert_refused(&app, &local_token(&with(claims.clone(), "aud", audience.clone())), &format!("aud {audience}"))
            .await;
    }
    assert_refused(&app, &local_token(&without(claims, "aud")), "no aud").await;
}

async fn token_without_a_subject_or_whose_subject_is_not_a_user_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let claims = local_claims(&editor_id);
    assert_refused(&app, &local_token(&without(claims.clone(), "sub")), "no sub").await;
    let subjects = [
        json!("admin"),
        json!(""),
        json!(EDITOR_EMAIL),
        json!(uuid::Uuid::now_v7().to_string()),
        json!(format!("{editor_id} ")),
        json!(42),
        json!(null),
    ];
    for subject in subjects {
        assert_refused(&app, &local_token(&with(claims.clone(), "sub", subject.clone())), &format!("sub {subject}"))
            .await;
    }
}

async fn token_with_typ_jwt_or_without_typ_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let claims = local_claims(&editor_id);
    let secret = TEST_JWT_SECRET.as_bytes();
    for typ in [Some("JWT"), Some("jwt"), Some("at+jwt+x"), Some(""), None] {
        let header = Header { typ: typ.map(str::to_owned), ..Header::new(Algorithm::HS256) };
        assert_refused(&app, &hs256(&header, &claims, secret), &format!("typ {typ:?}")).await;
    }
    // typ must be a string: a hand-made header with typ as a number.
    let header = json!({ "alg": "HS256", "typ": 1 });
    let token = signed_by_hand(&header, &claims, &EncodingKey::from_secret(secret), Algorithm::HS256);
    assert_refused(&app, &token, "typ 1").await;
    assert_accepted(&app, &local_token(&claims), EDITOR_EMAIL).await;
}

async fn the_role_claim_grants_nothing_beyond_the_accounts_role(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let token = local_token(&with(local_claims(&editor_id), "role", json!("ADMIN")));
    let viewer = assert_accepted(&app, &token, EDITOR_EMAIL).await;
    assert_eq!(viewer["role"], "EDITOR", "the account's role decides, not the claim");
    let before = app.row_count("users").await;
    let body = app
        .graphql_as(
            &token,
            "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } } }",
            json!({ "input": { "email": "minted@x.org", "displayName": "Minted", "role": "ADMIN",
                               "password": "a-long-enough-password" } }),
        )
        .await;
    assert_eq!(single_error(&body).0, "FORBIDDEN", "{body:#}");
    assert_eq!(app.row_count("users").await, before);
}

async fn token_issued_before_a_role_change_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let (email, token) = app.user_with_role(UserRole::Editor).await;
    let user_id = subject_of(&token);
    assert_eq!(payload_of(&token)["ver"], 0);
    let id = viewer_id(&app, &token).await;

    let data = app.ok_as(&admin, SET_USER_ROLE, json!({ "id": id, "role": "REVIEWER" })).await;
    assert_eq!(data["setUserRole"]["user"]["role"], "REVIEWER");
    assert_refused(&app, &token, "issued before setUserRole").await;
    assert_refused(&app, &local_token(&local_claims(&user_id)), "forged with the old version").await;
    // Control: with the bumped version the account is accepted, in its new role.
    let viewer = assert_accepted(&app, &local_token(&with(local_claims(&user_id), "ver", json!(1))), &email).await;
    assert_eq!(viewer["role"], "REVIEWER");
}

async fn token_issued_before_deactivation_is_refused_and_login_fails(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let (email, token) = app.user_with_role(UserRole::Editor).await;
    let user_id = subject_of(&token);
    let id = viewer_id(&app, &token).await;

    let data = app.ok_as(&admin, DEACTIVATE_USER, json!({ "id": id })).await;
    assert_eq!(data["deactivateUser"]["user"]["active"], false);
    assert_refused(&app, &token, "issued before deactivateUser").await;
    for version in [0, 1] {
        let forged = local_token(&with(local_claims(&user_id), "ver", json!(version)));
        assert_refused(&app, &forged, &format!("deactivated account, ver {version}")).await;
    }
    let reference = reference_refusal(&app).await;
    let body = app.graphql(LOGIN, json!({ "e": email, "p": "a-test-password-123" })).await;
    assert_unauthenticated(&body, &reference, "login of a deactivated account");
}

async fn token_with_a_wrong_version_claim_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let (email, token) = app.user_with_role(UserRole::Editor).await;
    let user_id = subject_of(&token);
    for version in [json!(1), json!(-1), json!(7), json!("0"), json!(null)] {
        let forged = local_token(&with(local_claims(&user_id), "ver", version.clone()));
        assert_refused(&app, &forged, &format!("ver {version}")).await;
    }
    assert_refused(&app, &local_token(&without(local_claims(&user_id), "ver")), "no ver").await;
    assert_accepted(&app, &local_token(&local_claims(&user_id)), &email).await;
}

async fn malformed_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let token = app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let parts: Vec<&str> = token.split('.').collect();
    let cases = [
        ("two parts", format!("{}.{}", parts[0], parts[1])),
        ("four parts", format!("{token}.{}", parts[2])),
        ("four parts, empty last", format!("{token}.")),
        ("one part", parts[0].to_owned()),
        ("empty parts", "..".to_owned()),
        ("bad base64 header", format!("***.{}.{}", parts[1], parts[2])),
        ("bad base64 payload", format!("{}.%%%.{}", parts[0], parts[2])),
        ("bad base64 signature", format!("{}.{}.!!!", parts[0], parts[1])),
        ("header not JSON", format!("{}.{}.{}", URL_SAFE_NO_PAD.encode("not json"), parts[1], parts[2])),
        ("payload not JSON", format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode("not json"), parts[2])),
        ("padded base64", format!("{}==.{}.{}", parts[0], parts[1], parts[2])),
        ("garbage", "not-a-token".to_owned()),
    ];
    for (case, malformed) in cases {
        assert_refused(&app, &malformed, case).await;
    }
    assert_accepted(&app, &token, EDITOR_EMAIL).await;
}

async fn token_larger_than_8_kib_is_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let key = EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes());
    let header = json!({ "alg": "HS256", "typ": "at+jwt" });
    // Correctly signed, otherwise valid tokens: only their size is wrong.
    let padded_header = json!({ "alg": "HS256", "typ": "at+jwt", "pad": "h".repeat(9 * 1024) });
    let oversized_header = signed_by_hand(&padded_header, &local_claims(&editor_id), &key, Algorithm::HS256);
    let padded_claims = with(local_claims(&editor_id), "pad", json!("p".repeat(9 * 1024)));
    let oversized_payload = signed_by_hand(&header, &padded_claims, &key, Algorithm::HS256);
    for (case, token) in [("oversized header", &oversized_header), ("oversized payload", &oversized_payload)] {
        assert!(token.len() > 8 * 1024);
        assert_refused(&app, token, case).await;
    }
    // Control: a padded token below the limit is accepted.
    let padded_claims = with(local_claims(&editor_id), "pad", json!("p".repeat(5 * 1024)));
    let large = signed_by_hand(&header, &padded_claims, &key, Algorithm::HS256);
    assert!(large.len() < 8 * 1024);
    assert_accepted(&app, &large, EDITOR_EMAIL).await;
}

async fn authorization_headers_that_are_not_bearer_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let token = app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let basic = format!("Basic {}", STANDARD.encode(format!("{EDITOR_EMAIL}:{EDITOR_PASSWORD}")));
    let cases = [
        ("Basic credentials", basic),
        ("Basic with a token", format!("Basic {token}")),
        ("Bearer without a token", "Bearer".to_owned()),
        ("Bearer and a space", "Bearer ".to_owned()),
        ("Bearer and spaces", "Bearer     ".to_owned()),
        ("token without a scheme", token.clone()),
        ("empty header", String::new()),
    ];
    for (case, header) in cases {
        assert_refused_header(&app, &header, case).await;
    }
    // Control: the same token as a bearer token.
    let body = post(&app, Some(&format!("Bearer {token}")), VIEWER, json!({})).await;
    assert_eq!(body["data"]["viewer"]["email"], EDITOR_EMAIL, "{body:#}");
}

// ---------------------------------------------------------------------------------------------
// The external identity provider
// ---------------------------------------------------------------------------------------------

async fn external_rs256_token_is_accepted_with_the_mapped_role(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    let token = rs256_token(&alice_claims());
    let viewer = assert_accepted_external(&app, &token, ALICE_SHOWN_AS).await;
    assert_eq!(viewer["role"], "REVIEWER");
    // Seen again, alice is the same account.
    let users = app.row_count("users").await;
    let again = assert_accepted_external(&app, &token, ALICE_SHOWN_AS).await;
    assert_eq!(again["id"], viewer["id"]);
    assert_eq!(app.row_count("users").await, users);
    // The role follows the provider's claims.
    let editor = rs256_token(&with(alice_claims(), "roles", json!(["chancery-editor"])));
    assert_eq!(assert_accepted_external(&app, &editor, ALICE_SHOWN_AS).await["role"], "EDITOR");
}

async fn external_ed25519_token_is_accepted(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    let token = external_token(Algorithm::EdDSA, "test-ed25519", &ed25519_key(), &alice_claims());
    let viewer = assert_accepted_external(&app, &token, ALICE_SHOWN_AS).await;
    assert_eq!(viewer["role"], "REVIEWER");
}

async fn an_external_users_unverified_email_does_not_become_their_display_name(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    let as_subject = |subject: &str, claims: Value| rs256_token(&with(claims, "sub", json!(subject)));
    // Anyone may claim any address at some providers: shown as a claim, not as a name.
    let claimed = as_subject("mallory", with(alice_claims(), "email", json!("ceo@chancery.example")));
    assert_accepted_external(&app, &claimed, "unverified: ceo@chancery.example").await;
    let unverified = with(claimed_claims("bob"), "email_verified", json!(false));
    assert_accepted_external(&app, &as_subject("bob", unverified), "unverified: bob@idp.test").await;
    // The provider's `name` is the name; an address it verified will do without one.
    let named = with(claimed_claims("carol"), "name", json!("Carol Example"));
    assert_accepted_external(&app, &as_subject("carol", named), "Carol Example").await;
    for (subject, verified) in [("dave", json!(true)), ("erin", json!("true"))] {
        let claims = with(claimed_claims(subject), "email_verified", verified);
        assert_accepted_external(&app, &as_subject(subject, claims), &format!("{subject}@idp.test")).await;
    }
    let bare = without(claimed_claims("frank"), "email");
    assert_accepted_external(&app, &as_subject("frank", bare), "frank").await;
    // The name follows the claims, as the role does.
    let renamed = with(alice_claims(), "email", json!("ceo@chancery.example"));
    let renamed = as_subject("mallory", with(renamed, "name", json!("Mallory")));
    assert_accepted_external(&app, &renamed, "Mallory").await;
}

/// alice's claims for another subject, claiming `<subject>@idp.test`.
fn claimed_claims(subject: &str) -> Value {
    with(with(alice_claims(), "sub", json!(subject)), "email", json!(format!("{subject}@idp.test")))
}

async fn external_token_with_an_unknown_kid_is_refused(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    for kid in ["test-unknown", "", "TEST-RS256", "test-rs256 "] {
        let token = external_token(Algorithm::RS256, kid, &rs256_key(), &alice_claims());
        assert_refused(&app, &token, &format!("kid {kid:?}")).await;
    }
    // Nor is the kid ignored: a local token naming an unknown kid is refused too.
    let editor_id = subject_of(&app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await);
    let header = Header { kid: Some("test-unknown".into()), ..local_header() };
    assert_refused(&app, &hs256(&header, &local_claims(&editor_id), TEST_JWT_SECRET.as_bytes()), "local, unknown kid")
        .await;
}

async fn external_token_whose_role_maps_to_nothing_is_refused(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    let roles = [json!(["another-app-admin"]), json!([]), json!("chancery-admin"), json!(["EDITOR", "ADMIN"])];
    for value in roles {
        assert_refused(&app, &rs256_token(&with(alice_claims(), "roles", value.clone())), &format!("roles {value}"))
            .await;
    }
    assert_refused(&app, &rs256_token(&without(alice_claims(), "roles")), "no roles claim").await;
    // The role claim is `roles`; a mapped value under another claim does not count.
    let elsewhere = with(without(alice_claims(), "roles"), "groups", json!(["chancery-reviewer"]));
    assert_refused(&app, &rs256_token(&elsewhere), "mapped value under `groups`").await;
}

async fn external_token_from_another_issuer_or_for_another_audience_is_refused(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    for issuer in ["https://evil.test", "https://idp.test/", LOCAL_ISSUER] {
        let token = rs256_token(&with(alice_claims(), "iss", json!(issuer)));
        assert_refused(&app, &token, &format!("iss {issuer}")).await;
    }
    assert_refused(&app, &rs256_token(&without(alice_claims(), "iss")), "no iss").await;
    assert_refused(&app, &rs256_token(&with(alice_claims(), "aud", json!("other-api"))), "aud other-api").await;
    assert_refused(&app, &rs256_token(&without(alice_claims(), "aud")), "no aud").await;
    assert_refused(&app, &rs256_token(&with(alice_claims(), "exp", json!(now() - 120))), "expired").await;
    assert_refused(&app, &rs256_token(&without(alice_claims(), "sub")), "no sub").await;
    assert_refused(&app, &rs256_token(&with(alice_claims(), "sub", json!(""))), "empty sub").await;
    let typ_jwt = Header { typ: Some("JWT".into()), kid: Some("test-rs256".into()), ..Header::new(Algorithm::RS256) };
    let token = jsonwebtoken::encode(&typ_jwt, &alice_claims(), &rs256_key()).unwrap();
    assert_refused(&app, &token, "typ JWT").await;
}

async fn external_rs256_signature_naming_the_ed25519_kid_is_refused(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    // Honest header (alg RS256) but the Ed25519 kid.
    let token = external_token(Algorithm::RS256, "test-ed25519", &rs256_key(), &alice_claims());
    assert_refused(&app, &token, "RS256 with the Ed25519 kid").await;
    // Header claiming EdDSA, signature made with the RSA key.
    let header = json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": "test-ed25519" });
    let token = signed_by_hand(&header, &alice_claims(), &rs256_key(), Algorithm::RS256);
    assert_refused(&app, &token, "EdDSA header, RSA signature").await;
    // And the other way round: an Ed25519 signature under the RSA kid.
    let token = external_token(Algorithm::EdDSA, "test-rs256", &ed25519_key(), &alice_claims());
    assert_refused(&app, &token, "EdDSA with the RS256 kid").await;
}

/// A key of the attacker's own: a P-256 key from a fixed scalar (PKCS#8 DER of an EC private key
/// is a fixed prefix followed by the 32-byte scalar; the public point is optional).
fn attacker_key() -> EncodingKey {
    let mut der = hex_bytes("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");
    der.extend([7u8; 32]);
    EncodingKey::from_ec_der(&der)
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

async fn token_carrying_its_own_key_or_a_key_url_is_refused(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    let attacker = attacker_key();
    let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&attacker, Algorithm::ES256).unwrap();
    let header = |algorithm: Algorithm, kid: Option<&str>| Header {
        typ: Some("at+jwt".into()),
        kid: kid.map(str::to_owned),
        ..Header::new(algorithm)
    };
    let es256 = |kid: Option<&str>| header(Algorithm::ES256, kid);
    let headers = [
        ("embedded jwk, no kid", Header { jwk: Some(jwk.clone()), ..es256(None) }),
        ("embedded jwk, its own kid", Header { jwk: Some(jwk.clone()), ..es256(Some("attacker")) }),
        ("embedded jwk, the provider's kid", Header { jwk: Some(jwk.clone()), ..es256(Some("test-ed25519")) }),
        (
            "jku, the provider's kid",
            Header { jku: Some("https://attacker.test/jwks.json".into()), ..es256(Some("test-ed25519")) },
        ),
        (
            "x5u, the provider's kid",
            Header { x5u: Some("https://attacker.test/cert.pem".into()), ..es256(Some("test-ed25519")) },
        ),
    ];
    for (case, header) in &headers {
        assert_refused(&app, &jsonwebtoken::encode(header, &alice_claims(), &attacker).unwrap(), case).await;
    }
    // Control: the same header shape signed by the provider's real key is accepted, so the
    // refusals above are for the key alone.
    let genuine = Header { jwk: Some(jwk), ..header(Algorithm::EdDSA, Some("test-ed25519")) };
    assert_accepted_external(
        &app,
        &jsonwebtoken::encode(&genuine, &alice_claims(), &ed25519_key()).unwrap(),
        ALICE_SHOWN_AS,
    )
    .await;
}

async fn external_token_of_a_deactivated_account_is_refused(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    let (_, admin) = app.user_with_role(UserRole::Admin).await;
    let token = rs256_token(&alice_claims());
    let id = viewer_id(&app, &token).await;
    app.ok_as(&admin, DEACTIVATE_USER, json!({ "id": id })).await;
    assert_refused(&app, &token, "external account deactivated").await;
    assert_refused(&app, &rs256_token(&alice_claims()), "fresh token, account deactivated").await;
}

async fn external_token_sharing_a_local_accounts_email_does_not_act_as_that_account(backend: Backend) {
    let app = spawn_with_external_provider(backend).await;
    let editor = app.login(EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let editor_viewer = app.ok_as(&editor, VIEWER, json!({})).await["viewer"].clone();
    // Another person at the provider ("mallory") whose token carries the local editor's email.
    let claims = with(with(alice_claims(), "sub", json!("mallory")), "email", json!(EDITOR_EMAIL));
    let external = app.graphql_as(&rs256_token(&claims), VIEWER, json!({})).await;
    let after = app.ok_as(&editor, VIEWER, json!({})).await["viewer"].clone();

    let acted_as_local_account =
        external.get("errors").is_none() && external["data"]["viewer"]["id"] == editor_viewer["id"];
    let local_role_changed = after["role"] != editor_viewer["role"];
    assert!(
        !acted_as_local_account && !local_role_changed,
        "an external identity must neither act as the local password account that shares its email \
         nor change it.\nexternal token's viewer: {external:#}\nlocal editor before: {editor_viewer:#}\n\
         local editor after (same password-issued token): {after:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

fn serve_with_secret(secret: Option<String>) -> ServeConfig {
    let secret = secret.map(|secret| secret.parse().expect("a secret of the required length"));
    ServeConfig { auth: AuthConfig { jwt_secret: secret, ..ServeConfig::default().auth }, ..ServeConfig::default() }
}

async fn a_jwt_secret_shorter_than_32_bytes_is_refused_at_startup(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    for short in ["", "short", &"x".repeat(31)] {
        // The secret is parsed with the flags: the server refuses to start, saying why.
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_chancery"))
            .args(["--database-url", &database.url, "serve", "--bind", "127.0.0.1:0"])
            .env("CHANCERY_JWT_SECRET", short)
            .env_remove("DATABASE_URL")
            .output()
            .expect("the chancery binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "a {}-byte secret must be refused: {stderr}", short.len());
        assert!(stderr.contains("32"), "the error says how long a secret must be: {stderr}");
    }
    let config = DatabaseConfig::for_url(database.url.clone());
    let app = chancery::app::build(&config, &serve_with_secret(Some("x".repeat(32)))).await;
    assert!(app.is_ok(), "a 32-byte secret is enough");
}

async fn without_a_jwt_secret_a_database_that_is_not_an_embedded_file_is_refused(backend: Backend) {
    // Postgres (the production backend) and an in-memory SQLite have no file to keep a secret by.
    let database = TestDatabase::new(backend).await;
    let url = match backend {
        Backend::Postgres => database.url.clone(),
        Backend::Sqlite => "sqlite::memory:".to_owned(),
    };
    let config = DatabaseConfig { max_connections: 1, ..DatabaseConfig::for_url(url) };
    let built = chancery::app::build(&config, &serve_with_secret(None)).await;
    let error = built.err().expect("starting without a token secret must be refused");
    assert!(format!("{error:#}").contains("CHANCERY_JWT_SECRET"), "the error names the setting: {error:#}");
}

/// Serves a built application on a loopback port; returns its base URL.
async fn serve(app: chancery::app::App) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let server =
        tokio::spawn(chancery::app::serve_until(app.router, app.connections, listener, std::future::pending()));
    (base_url, server)
}

async fn post_to(base_url: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{base_url}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn on_sqlite_without_a_jwt_secret_one_is_generated_beside_the_database_and_reused(backend: Backend) {
    if backend != Backend::Sqlite {
        eprintln!("the generated secret is a feature of the embedded SQLite store only");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let database = TestDatabase::new(backend).await;
    let file = database.url.strip_prefix("sqlite://").unwrap().split('?').next().unwrap().to_owned();
    let secret_file = std::path::PathBuf::from(format!("{file}.jwt-secret"));
    assert!(!secret_file.exists());
    let config = DatabaseConfig::for_url(database.url.clone());

    let first = chancery::app::build(&config, &serve_with_secret(None)).await.expect("starts without a secret");
    let metadata = std::fs::metadata(&secret_file).expect("a secret file beside the database");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600, "only the owner may read the secret");
    let secret = std::fs::read_to_string(&secret_file).unwrap();
    assert!(secret.trim().len() >= 32, "a strong secret: {} bytes", secret.trim().len());

    let email = "kept@test.chancery";
    let password = "a-test-password-123";
    chancery::domain::account::store::create_user(
        &first.db,
        chancery::domain::account::store::NewUser {
            email: email.into(),
            display_name: "Kept".into(),
            role: UserRole::Editor,
            password: password.into(),
        },
    )
    .await
    .unwrap();
    let (first_url, first_server) = serve(first).await;
    let body = post_to(&first_url, None, LOGIN, json!({ "e": email, "p": password })).await;
    let token = body["data"]["login"]["token"].as_str().unwrap_or_else(|| panic!("login works: {body:#}")).to_owned();
    // The token is signed with the secret in the file.
    let (message, signature) = token.rsplit_once('.').unwrap();
    let key = jsonwebtoken::DecodingKey::from_secret(secret.trim().as_bytes());
    assert!(jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, Algorithm::HS256).unwrap());
    first_server.abort();

    let second = chancery::app::build(&config, &serve_with_secret(None)).await.expect("restarts on the same file");
    assert_eq!(std::fs::read_to_string(&secret_file).unwrap(), secret, "the secret is reused, not replaced");
    let (second_url, second_server) = serve(second).await;
    let body = post_to(&second_url, Some(&token), VIEWER, json!({})).await;
    assert_eq!(body["data"]["viewer"]["email"], email, "a token survives a restart: {body:#}");
    second_server.abort();
}

backend_tests!(
    a_valid_local_token_is_accepted_and_may_write,
    unsigned_alg_none_token_is_refused,
    hs256_token_signed_with_the_rs256_public_key_is_refused,
    token_with_a_tampered_payload_is_refused,
    token_signed_with_another_secret_is_refused,
    token_expired_beyond_the_leeway_is_refused,
    token_not_yet_valid_beyond_the_leeway_is_refused,
    token_from_another_issuer_is_refused,
    token_for_another_audience_or_without_one_is_refused,
    token_without_a_subject_or_whose_subject_is_not_a_user_is_refused,
    token_with_typ_jwt_or_without_typ_is_refused,
    the_role_claim_grants_nothing_beyond_the_accounts_role,
    token_issued_before_a_role_change_is_refused,
    token_issued_before_deactivation_is_refused_and_login_fails,
    token_with_a_wrong_version_claim_is_refused,
    malformed_tokens_are_refused,
    token_larger_than_8_kib_is_refused,
    authorization_headers_that_are_not_bearer_tokens_are_refused,
    external_rs256_token_is_accepted_with_the_mapped_role,
    external_ed25519_token_is_accepted,
    an_external_users_unverified_email_does_not_become_their_display_name,
    external_token_with_an_unknown_kid_is_refused,
    external_token_whose_role_maps_to_nothing_is_refused,
    external_token_from_another_issuer_or_for_another_audience_is_refused,
    external_rs256_signature_naming_the_ed25519_kid_is_refused,
    token_carrying_its_own_key_or_a_key_url_is_refused,
    external_token_of_a_deactivated_account_is_refused,
    a_jwt_secret_shorter_than_32_bytes_is_refused_at_startup,
    without_a_jwt_secret_a_database_that_is_not_an_embedded_file_is_refused,
    on_sqlite_without_a_jwt_secret_one_is_generated_beside_the_database_and_reused,
    external_token_sharing_a_local_accounts_email_does_not_act_as_that_account,
);
