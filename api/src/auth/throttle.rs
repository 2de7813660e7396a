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

    /// `Err(seconds)` while either the account or the address is locked out.
    pub fn check(&self, account: &str, address: &str) -> Result<(), u64> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, is_account) in Self::keys(account, address) {
            let limit =
                if is_account { self.policy.max_failures_per_account } else { self.policy.max_failures_per_address };
            if let Some(entry) = failures.get(&key) {
                if let Some(start) = entry.window_start {
                    let elapsed = now.duration_since(start);
                    if entry.count >= limit && elapsed < self.policy.window {
                        return Err((self.policy.window - elapsed).as_secs().max(1));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, account: &str, address: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in Self::keys(account, address) {
            let entry = failures.entry(key).or_default();
            let expired = entry.window_start.is_none_or(|start| now.duration_since(start) >= self.policy.window);
            if expired {
                *entry = Failures { count: 0, window_start: Some(now) };
            }
            entry.count += 1;
        }
    }

    pub fn record_success(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&format!("account:{}", account.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_after_repeated_failures() {
        let throttle = LoginThrottle::new(ThrottlePolicy { max_failures_per_account: 2, ..Default::default() });
        assert!(throttle.check("a@x.org", "1.1.1.1").is_ok());
        throttle.record_failure("a@x.org", "1.1.1.1");
        throttle.record_failure("A@x.org", "2.2.2.2");
        assert!(throttle.check("a@x.org", "3.3.3.3").is_err(), "locked whatever the address");
        assert!(throttle.check("b@x.org", "1.1.1.1").is_ok(), "other accounts unaffected");
    }
}
