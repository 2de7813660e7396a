//! API keys at the edge: which key a request carries, its own rate, and requests counted by key
//! name for the metrics. A verified key is remembered for `recheck` (default 5 s) so a client's
//! requests do not each cost a lookup; a revocation therefore takes effect within that time in
//! every server process.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::api_key::active_key;
use crate::domain::{sha256_hex, DomainResult};
use crate::throttling::{Caller, RequestRateLimiter, ThrottleStore};

/// The header a client sends its key in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// A key known to be valid.
#[derive(Debug, Clone)]
pub struct KnownKey {
    pub id: Uuid,
    pub name: String,
    pub rate_per_minute: u32,
}

pub struct ApiKeys {
    db: DatabaseConnection,
    store: Arc<ThrottleStore>,
    recheck: Duration,
    /// Verified keys by the SHA-256 of the secret, with when they were looked up.
    verified: DashMap<String, (KnownKey, Instant)>,
    limiters: DashMap<Uuid, Arc<RequestRateLimiter>>,
    requests: DashMap<String, AtomicU64>,
    /// Addresses that used up their rate on unknown keys, until when.
    guessing: DashMap<Caller, Instant>,
}

impl ApiKeys {
    pub fn new(db: DatabaseConnection, store: Arc<ThrottleStore>, recheck: Duration) -> Self {
        Self {
            db,
            store,
            recheck,
            verified: DashMap::new(),
            limiters: DashMap::new(),
            requests: DashMap::new(),
            guessing: DashMap::new(),
        }
    }

    /// The key with secret `key` when it was verified within `recheck`.
    pub fn recently_verified(&self, key: &str) -> Option<KnownKey> {
        let entry = self.verified.get(&sha256_hex(key))?;
        (entry.1.elapsed() < self.recheck).then(|| entry.0.clone())
    }

    /// Looks the key up; None when it is unknown or revoked.
    pub async fn look_up(&self, key: &str) -> DomainResult<Option<KnownKey>> {
        let hash = sha256_hex(key);
        let Some(record) = active_key(&self.db, key).await? else {
            self.verified.remove(&hash);
            return Ok(None);
        };
        let known = KnownKey {
            id: record.id,
            name: record.name,
            rate_per_minute: u32::try_from(record.rate_per_minute).unwrap_or(0),
        };
        if self.verified.len() > 10_000 {
            // Keys are few; this only bounds memory should that ever change.
            self.verified.clear();
        }
        self.verified.insert(hash, (known.clone(), Instant::now()));
        Ok(Some(known))
    }

    /// Seconds `address` must wait after using up its rate on unknown keys, if it must.
    pub fn guessing_blocked(&self, address: &Caller) -> Option<u64> {
        let until = *self.guessing.get(address)?;
        let now = Instant::now();
        if until <= now {
            self.guessing.remove(address);
            return None;
        }
        Some((until - now).as_secs().max(1))
    }

    /// Refuses keys from `address` without looking them up for `seconds`.
    pub fn block_guessing(&self, address: Caller, seconds: u64) {
        if self.guessing.len() > 100_000 {
            self.guessing.retain(|_, until| *until > Instant::now());
        }
        self.guessing.insert(address, Instant::now() + Duration::from_secs(seconds));
    }

    /// Counts a request carrying `key` against the key's own rate: `Err(seconds to wait)` once
    /// it is used up.
    pub fn admit(&self, key: &KnownKey) -> Result<(), u64> {
        self.requests.entry(key.name.clone()).or_default().fetch_add(1, Ordering::Relaxed);
        let limiter = self
            .limiters
            .entry(key.id)
            .or_insert_with(|| RequestRateLimiter::new(key.rate_per_minute, self.store.clone()))
            .clone();
        limiter.admit(&Caller::ApiKey(key.id))
    }

    /// Prometheus lines: requests per key name (names are `[a-z0-9._-]`, safe as labels).
    pub fn metrics(&self) -> String {
        let mut lines = String::from(
            "# HELP chancery_api_key_requests_total GraphQL requests carrying a valid API key, by key name.\n\
             # TYPE chancery_api_key_requests_total counter\n",
        );
        let mut counts: Vec<(String, u64)> =
            self.requests.iter().map(|entry| (entry.key().clone(), entry.value().load(Ordering::Relaxed))).collect();
        counts.sort();
        for (name, count) in counts {
            lines.push_str(&format!("chancery_api_key_requests_total{{key=\"{name}\"}} {count}\n"));
        }
        lines
    }
}
