//! Throttling of failed logins, so that passwords cannot be guessed at speed and an attacker
//! cannot lock the owner out on demand:
//!
//! - per (account, client address): a few failures lock that pair for the window;
//! - per client address: more failures lock the address, for every account;
//! - per account, from any address it has not signed in from lately: failures beyond a
//!   threshold slow each further attempt down (a delay that grows with them), and a much
//!   higher ceiling refuses them. The owner's own addresses are exempt, so someone guessing
//!   from elsewhere slows guessing down without locking the owner out.
//!
//! The counts live in the `ThrottleStore`: shared by every server process on Postgres or
//! Redis, and checked and counted atomically there, so no burst or process multiplies them.
use std::sync::Arc;
use std::time::Duration;

use crate::throttling::store::{Counter, StoreError};
use crate::throttling::{Caller, ClientAddress, ThrottleStore};

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub max_failures_per_account_and_address: u32,
    pub max_failures_per_address: u32,
    /// The ceiling per account, counting failures from addresses it has not signed in from.
    pub max_failures_per_account: u32,
    /// Account failures after which each attempt is delayed, the delay doubling with each.
    pub delay_after_account_failures: u32,
    pub window: Duration,
    /// How long a successful sign-in makes its address one of the account's own.
    pub known_address_lasts: Duration,
}

/// The first progressive delay, and the longest.
const FIRST_DELAY: Duration = Duration::from_millis(250);
const LONGEST_DELAY: Duration = Duration::from_secs(2);

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            max_failures_per_account_and_address: 5,
            max_failures_per_address: 20,
            max_failures_per_account: 100,
            delay_after_account_failures: 10,
            window: Duration::from_secs(15 * 60),
            known_address_lasts: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl ThrottlePolicy {
    /// The delay before judging an attempt on an account that has failed `failures` times.
    pub fn delay(&self, failures: u32) -> Duration {
        let beyond = failures.saturating_sub(self.delay_after_account_failures);
        if beyond == 0 {
            return Duration::ZERO;
        }
        FIRST_DELAY.saturating_mul(1 << (beyond - 1).min(16)).min(LONGEST_DELAY)
    }
}

#[derive(Debug)]
pub struct LoginThrottle {
    policy: ThrottlePolicy,
    store: Arc<ThrottleStore>,
}

/// The store keys of one attempt. Accounts appear hashed: the store holds no email.
struct Keys {
    pair: String,
    address: String,
    account: String,
    known: String,
}

impl Keys {
    fn of(account: &str, address: ClientAddress) -> Self {
        use sha2::{Digest, Sha256};
        let account = hex::encode(&Sha256::digest(account.trim().to_lowercase().as_bytes())[..16]);
        let address = Caller::of_address(address).to_string();
        Self {
            pair: format!("pair:{account}:{address}"),
            known: format!("known:{account}:{address}"),
            address: format!("address:{address}"),
            account: format!("account:{account}"),
        }
    }
}

impl LoginThrottle {
    pub fn new(policy: ThrottlePolicy, store: Arc<ThrottleStore>) -> Self {
        Self { policy, store }
    }

    /// Starts a login attempt: `Err(seconds)` while the attempt is refused; otherwise the
    /// attempt is counted as a failure (after the account's progressive delay, if any) until
    /// `record_success` says otherwise. Checking and counting is one atomic step in the store:
    /// concurrent guesses cannot slip past the limit.
    pub async fn try_begin(&self, account: &str, address: ClientAddress) -> Result<Result<(), u64>, StoreError> {
        let keys = Keys::of(account, address);
        let own_address = self.store.is_set(&keys.known).await?;
        let policy = &self.policy;
        let counters = [
            Counter { key: keys.pair, limit: policy.max_failures_per_account_and_address },
            Counter { key: keys.address, limit: policy.max_failures_per_address },
            Counter { key: keys.account, limit: if own_address { u32::MAX } else { policy.max_failures_per_account } },
        ];
        let counts = match self.store.begin(&counters, policy.window).await? {
            Ok(counts) => counts,
            Err(retry_after_secs) => return Ok(Err(retry_after_secs)),
        };
        if !own_address {
            let delay = policy.delay(counts.get(2).copied().unwrap_or_default());
            if !delay.is_zero() {
                tracing::info!(
                    delay_ms = delay.as_millis() as u64,
                    "login attempt delayed: the account is being guessed"
                );
                tokio::time::sleep(delay).await;
            }
        }
        Ok(Ok(()))
    }

    /// The attempt succeeded: the pair's failures are forgotten, this attempt no longer counts
    /// against the address or the account, and the address becomes one of the account's own.
    pub async fn record_success(&self, account: &str, address: ClientAddress) -> Result<(), StoreError> {
        let keys = Keys::of(account, address);
        self.store.set(&keys.pair, None).await?;
        self.store.uncount(&[keys.address, keys.account]).await?;
        self.store.set(&keys.known, Some(self.policy.known_address_lasts)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttling::store::MemoryCounts;

    fn address(text: &str) -> ClientAddress {
        ClientAddress(text.parse().unwrap())
    }

    #[tokio::test]
    async fn failures_lock_the_pair_and_the_address_but_not_the_account_elsewhere() {
        let policy = ThrottlePolicy {
            max_failures_per_account_and_address: 2,
            max_failures_per_address: 3,
            ..Default::default()
        };
        let throttle = LoginThrottle::new(policy, Arc::new(ThrottleStore::Memory(MemoryCounts::default())));
        assert_eq!(throttle.try_begin("a@x.org", address("1.1.1.1")).await.unwrap(), Ok(()));
        assert_eq!(throttle.try_begin("A@x.org ", address("1.1.1.1")).await.unwrap(), Ok(()));
        assert!(throttle.try_begin("a@x.org", address("1.1.1.1")).await.unwrap().is_err(), "the pair is locked");
        assert_eq!(throttle.try_begin("a@x.org", address("2.2.2.2")).await.unwrap(), Ok(()), "not elsewhere");
        assert_eq!(throttle.try_begin("b@x.org", address("1.1.1.1")).await.unwrap(), Ok(()));
        assert!(throttle.try_begin("c@x.org", address("1.1.1.1")).await.unwrap().is_err(), "the address is locked");
    }

    #[test]
    fn the_delay_doubles_past_the_threshold_up_to_its_ceiling() {
        let policy = ThrottlePolicy::default();
        assert_eq!(policy.delay(10), Duration::ZERO);
        assert_eq!(policy.delay(11), Duration::from_millis(250));
        assert_eq!(policy.delay(12), Duration::from_millis(500));
        assert_eq!(policy.delay(99), LONGEST_DELAY);
    }
}
