//! The request rate limit: GraphQL requests per minute per caller, where the caller is the
//! verified principal of a good token, and otherwise the client address (a bad token counts
//! against the address it came from, so inventing tokens buys nothing).
//!
//! Each process limits with `governor` (GCRA: O(1) per request, state per caller swept of idle
//! callers every few seconds). When the state is shared (Postgres or Redis), each process also
//! counts admissions per caller per fixed minute, adds them to the shared count once a second
//! and reads back which callers have used up their minute anywhere. Between two syncs a process
//! only knows the shared count of the last one, so a caller spread over N processes may get
//! up to what the other N − 1 processes admit in one sync interval beyond the limit (never more
//! than N times the limit in a minute); a request never waits for the shared store.
use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use dashmap::DashMap;
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota};
use uuid::Uuid;

use super::client::ClientAddress;
use super::store::{now_ms, ThrottleStore};
use crate::auth::tokens::{external_user_key, TokenSubject};

/// How often admissions are added to the shared count.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);
/// How often idle callers are dropped from memory.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// Whom a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A client without a good token. IPv6 clients are counted per /64, the block one
    /// subscriber usually holds, so that walking through one's own addresses buys nothing.
    Address(IpAddr),
    /// A local account.
    Account(Uuid),
    /// A user of the external identity provider (hash of issuer and subject).
    External([u8; 16]),
    /// A client presenting an API key (counted against the key's own rate).
    ApiKey(Uuid),
}

impl Caller {
    pub fn of_address(address: ClientAddress) -> Self {
        match address.0 {
            IpAddr::V6(v6) => {
                let block = u128::from(v6) & !((1u128 << 64) - 1);
                Self::Address(IpAddr::V6(block.into()))
            }
            v4 => Self::Address(v4),
        }
    }

    pub fn of_subject(subject: &TokenSubject) -> Self {
        match subject {
            TokenSubject::Local { user_id, .. } => Self::Account(*user_id),
            TokenSubject::External { issuer, subject, .. } => Self::External(external_user_key(issuer, subject)),
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address(address) => write!(f, "a:{address}"),
            Self::Account(id) => write!(f, "u:{id}"),
            Self::External(key) => write!(f, "x:{}", hex::encode(key)),
            Self::ApiKey(id) => write!(f, "k:{id}"),
        }
    }
}

/// One caller's admissions in the current shared window.
#[derive(Debug, Default, Clone, Copy)]
struct WindowCount {
    start: i64,
    /// The shared total as of the last sync (this process's synced admissions included).
    known: u64,
    /// Admissions sent to the store and not yet answered.
    sending: u64,
    /// Admissions since then.
    unsynced: u64,
    /// The store says the caller has used up this window.
    exhausted: bool,
}

struct SharedWindows {
    store: Arc<ThrottleStore>,
    callers: DashMap<String, WindowCount>,
}

/// The per-caller request rate limit (`--rate-limit-per-minute`).
pub struct RequestRateLimiter {
    per_minute: u32,
    local: Option<DefaultKeyedRateLimiter<Caller>>,
    shared: Option<SharedWindows>,
}

fn window_start(now_ms: i64) -> i64 {
    now_ms.div_euclid(60_000) * 60
}

impl RequestRateLimiter {
    /// A limit of `per_minute` (0: none), shared through `store` when it is shared.
    pub fn new(per_minute: u32, store: Arc<ThrottleStore>) -> Arc<Self> {
        let local = NonZeroU32::new(per_minute).map(|n| DefaultKeyedRateLimiter::dashmap(Quota::per_minute(n)));
        let shared = (local.is_some() && store.is_shared()).then(|| SharedWindows { store, callers: DashMap::new() });
        let limiter = Arc::new(Self { per_minute, local, shared });
        if limiter.local.is_some() {
            tokio::spawn(upkeep(Arc::downgrade(&limiter)));
        }
        limiter
    }

    /// `Err(seconds to wait)` once the caller has used up its rate.
    pub fn admit(&self, caller: &Caller) -> Result<(), u64> {
        let Some(local) = &self.local else { return Ok(()) };
        if let Err(not_until) = local.check_key(caller) {
            return Err(not_until.wait_time_from(local.clock().now()).as_secs().max(1));
        }
        let Some(shared) = &self.shared else { return Ok(()) };
        let now = now_ms();
        let start = window_start(now);
        let mut count = shared.callers.entry(caller.to_string()).or_default();
        if count.start != start {
            *count = WindowCount { start, ..WindowCount::default() };
        }
        if count.exhausted || count.known + count.sending + count.unsynced >= u64::from(self.per_minute) {
            return Err(((start + 60) * 1000 - now).max(0).unsigned_abs().div_ceil(1000).max(1));
        }
        count.unsynced += 1;
        Ok(())
    }

    /// Callers this process holds state for (exported as a metric: it must stay bounded).
    pub fn tracked_callers(&self) -> usize {
        self.local.as_ref().map_or(0, |local| local.len()) + self.shared.as_ref().map_or(0, |s| s.callers.len())
    }

    fn sweep(&self) {
        if let Some(local) = &self.local {
            local.retain_recent();
            local.shrink_to_fit();
        }
    }

    async fn sync(&self) {
        let Some(shared) = &self.shared else { return };
        let start = window_start(now_ms());
        shared.callers.retain(|_, count| count.start == start);
        if shared.callers.is_empty() {
            return;
        }
        let mut batch = Vec::new();
        for mut entry in shared.callers.iter_mut() {
            if entry.unsynced > 0 {
                let key = entry.key().clone();
                let count = entry.value_mut();
                count.sending = count.unsynced;
                count.unsynced = 0;
                batch.push((key, count.sending));
            }
        }
        match shared.store.add_admissions(start, &batch, u64::from(self.per_minute)).await {
            Ok((totals, exhausted)) => {
                for (caller, total) in totals {
                    if let Some(mut count) = shared.callers.get_mut(&caller) {
                        if count.start == start {
                            count.known = count.known.max(total);
                            count.sending = 0;
                        }
                    }
                }
                for caller in exhausted {
                    let mut count = shared.callers.entry(caller).or_default();
                    if count.start != start {
                        *count = WindowCount { start, ..WindowCount::default() };
                    }
                    count.exhausted = true;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "could not share request counts; limiting this process alone until it can");
                for (caller, _) in batch {
                    if let Some(mut count) = shared.callers.get_mut(&caller) {
                        count.unsynced += count.sending;
                        count.sending = 0;
                    }
                }
            }
        }
    }
}

/// Syncs with the shared store and sweeps idle callers until the limiter is dropped.
async fn upkeep(limiter: Weak<RequestRateLimiter>) {
    let mut ticks: u64 = 0;
    let mut interval = tokio::time::interval(SYNC_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(limiter) = limiter.upgrade() else { return };
        limiter.sync().await;
        ticks += 1;
        if ticks % SWEEP_INTERVAL.as_secs() == 0 {
            limiter.sweep();
        }
        if ticks % 60 == 0 {
            if let Some(shared) = &limiter.shared {
                if let Err(error) = shared.store.sweep(window_start(now_ms()) - 120).await {
                    tracing::warn!(%error, "could not sweep expired throttle state");
                }
            }
        }
    }
}
