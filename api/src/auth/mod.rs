//! Accounts and credentials: password hashing, access tokens, login throttling and the
//! principal a request acts as.
pub mod passwords;
pub mod principal;
pub mod throttle;
pub mod tokens;

pub use principal::Principal;
