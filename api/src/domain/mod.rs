//! The rules of Chancery, one folder per aggregate: `fact`, `actor`, `source`, `kind` and
//! `account`. Each aggregate has exactly one write path (its `store`), which every writer uses:
//! the API, the CLI and the demo dataset alike. Nothing here knows about GraphQL or HTTP.
//!
//! Beside the aggregates are the building blocks they share: the error type (`error`), typed
//! ids (`ids`), text, date, country and URL rules (`rules`, `countries`, `urls`), keyset
//! pagination (`pagination`) and idempotency keys (`idempotency`).
use std::collections::HashMap;

pub mod account;
pub mod actor;
pub mod api_key;
pub mod chain;
pub mod countries;
pub mod error;
pub mod export;
pub mod fact;
pub mod feed;
pub mod idempotency;
pub mod ids;
pub mod kind;
pub mod pagination;
pub mod rules;
pub mod source;
pub mod urls;

pub use error::{stale, DomainError, DomainResult, FieldViolation, Violations};

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

/// Groups rows by their parent id, with an (empty) entry for every id asked for: an absent
/// entry would read as "not loaded" to a cache and be asked for again. Rows of a parent not
/// asked for (read by a range wider than the ids, as the exports read) are dropped.
pub fn group_by_parent<K: std::hash::Hash + Eq + Clone, T, S: std::hash::BuildHasher + Default>(
    keys: &[K],
    rows: Vec<T>,
    parent_of: impl Fn(&T) -> K,
) -> HashMap<K, Vec<T>, S> {
    let mut grouped: HashMap<K, Vec<T>, S> = keys.iter().map(|key| (key.clone(), Vec::new())).collect();
    for row in rows {
        if let Some(list) = grouped.get_mut(&parent_of(&row)) {
            list.push(row);
        }
    }
    grouped
}
