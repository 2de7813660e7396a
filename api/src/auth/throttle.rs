//! Throttling of failed logins, per account and per client address, so that passwords cannot be
//! guessed at speed. Kept in memory: a restart forgets it, which only ever lets a client retry.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub max_failures_per_account: u32,
    pub max_failures_per_address: u32,
    pub window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self { max_failures_per_account: 5, max_failures_per_address: 20, window: Duration::from_secs(15 * 60) }
    }
}

#[derive(Debug, Default)]
struct Failures {
    count: u32,
    window_start: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    policy: ThrottlePolicy,
    failures: Mutex<HashMap<String, Failures>>,
}

impl LoginThrottle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self { policy, failures: Mutex::default() }
    }

    fn keys(account: &str, address: &str) -> [(String, bool); 2] {
        [(format!("account:{}", account.trim().to_lowercase()), true), (format!("address:{address}"), false)]
    }

    /// Starts a login attempt: `Err(seconds)` while the account or the address is locked out;
    /// otherwise the attempt is counted as a failure until `record_success` says otherwise.
    /// Checking and counting under one lock is what stops concurrent guesses from slipping
    /// past the limit.
    pub fn try_begin(&self, account: &str, address: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let keys = Self::keys(account, address);
        for (key, is_account) in &keys {
            let limit =
                if *is_account { self.policy.max_failures_per_account } else { self.policy.max_failures_per_address };
            if let Some(Failures { count, window_start: Some(start) }) = failures.get(key) {
                let elapsed = now.duration_since(*start);
                if *count >= limit && elapsed < self.policy.window {
                    return Err((self.policy.window - elapsed).as_secs().max(1));
                }
            }
        }
        for (key, _) in keys {
            let entry = failures.entry(key).or_default();
            let expired = entry.window_start.is_none_or(|start| now.duration_since(start) >= self.policy.window);
            if expired {
                *entry = Failures { count: 0, window_start: Some(now) };
            }
            entry.count += 1;
        }
        Ok(())
    }

    /// The attempt succeeded: the account's failures are forgotten and this attempt no longer
    /// counts against the address.
    pub fn record_success(&self, account: &str, address: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let [(account_key, _), (address_key, _)] = Self::keys(account, address);
        failures.remove(&account_key);
        if let Some(entry) = failures.get_mut(&address_key) {
            entry.count = entry.count.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_after_repeated_failures() {
        let throttle = LoginThrottle::new(ThrottlePolicy { max_failures_per_account: 2, ..Default::default() });
        assert!(throttle.try_begin("a@x.org", "1.1.1.1").is_ok());
        assert!(throttle.try_begin("A@x.org", "2.2.2.2").is_ok());
        assert!(throttle.try_begin("a@x.org", "3.3.3.3").is_err(), "locked whatever the address");
        assert!(throttle.try_begin("b@x.org", "1.1.1.1").is_ok(), "other accounts unaffected");
        throttle.record_success("b@x.org", "1.1.1.1");
        assert!(throttle.try_begin("b@x.org", "1.1.1.1").is_ok());
    }
}
