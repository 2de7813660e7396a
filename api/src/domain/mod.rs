//! The rules of Chancery: validation, queries over the published record, provenance and
//! history. Nothing here knows about GraphQL or HTTP.
pub mod actors;
pub mod catalog;
pub mod countries;
pub mod demo;
pub mod error;
pub mod fact_input;
pub mod facts;
pub mod history;
pub mod idempotency;
pub mod kinds;
pub mod pagination;
pub mod quotes;
pub mod rules;
pub mod sources;
pub mod urls;
pub mod users;
pub mod workflow;

pub use error::{DomainError, DomainResult, FieldViolation, Violations};

/// SHA-256 of `text`, hex-encoded: snapshot digests, quote digests, request fingerprints.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Case-folds a name or alias for case-insensitive lookup.
pub fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Current time truncated to microseconds, the finest resolution both backends store, so a
/// value read back equals the value written (which the revision hash chain depends on).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(now)
}
