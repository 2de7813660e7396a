//! How long the server takes to reject a bad access token and to verify a good one (signature
//! and claims; the account check that follows is one primary-key lookup, measured separately in
//! `authenticate`).
mod support;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chancery::auth::tokens::TokenService;
use entity::enums::UserRole;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use support::measure;

fn main() {
    let secret = b"bench-secret-0123456789abcdef0123456789";
    let service = TokenService::new(secret, "chancery".into(), "chancery-api".into(), 3600, 30, None).unwrap();
    let user = uuid::Uuid::now_v7();
    let (good, _) = service.issue(user, UserRole::Editor, 0).unwrap();

    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64| {
        serde_json::json!({ "sub": user.to_string(), "iss": "chancery", "aud": "chancery-api",
                            "exp": exp, "nbf": now, "iat": now, "role": "EDITOR", "ver": 0 })
    };
    let header = Header { typ: Some("at+jwt".into()), ..Header::new(Algorithm::HS256) };
    let wrong_key =
        encode(&header, &claims(now + 3600), &EncodingKey::from_secret(b"another-secret-0123456789abcdef0123"))
            .unwrap();
    let expired = encode(&header, &claims(now - 3600), &EncodingKey::from_secret(secret)).unwrap();
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#),
        URL_SAFE_NO_PAD.encode(claims(now + 3600).to_string())
    );
    let mut tampered = good.clone();
    tampered.replace_range(good.find('.').unwrap() + 5..good.find('.').unwrap() + 6, "A");
    let oversized = format!("{}.{}.{}", "a".repeat(9000), "b", "c");

    println!("token validation (HS256), {} iterations per sample:", 20_000);
    let good_time = measure("verify a good token", 20_000, || {
        assert!(service.validate(std::hint::black_box(&good)).is_ok());
    });
    let mut rejections = Vec::new();
    for (name, token) in [
        ("reject: signed with the wrong key", wrong_key.as_str()),
        ("reject: expired", expired.as_str()),
        ("reject: alg none", alg_none.as_str()),
        ("reject: tampered payload", tampered.as_str()),
        ("reject: malformed (two parts)", "abc.def"),
        ("reject: oversized", oversized.as_str()),
    ] {
        rejections.push(measure(name, 20_000, || {
            assert!(service.validate(std::hint::black_box(token)).is_err());
        }));
    }
    let slowest = rejections.iter().max().unwrap();
    println!(
        "summary: good token verified in {:.2} µs; bad tokens rejected in at most {:.2} µs",
        support::as_us(good_time),
        support::as_us(*slowest)
    );
}
