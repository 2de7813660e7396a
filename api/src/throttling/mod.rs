//! Defences against too much traffic from one client: who the client is (behind trusted
//! proxies), the per-caller request rate limit, and the store that lets several server
//! processes share their counts; and the login throttle, which keeps its state in the same
//! store.
pub mod client;
pub mod login;
pub mod rate;
pub mod store;

pub use client::{ClientAddress, TrustedProxies};
pub use rate::{Caller, RequestRateLimiter};
pub use store::ThrottleStore;
