//! The account aggregate: users, their roles, the principal a request acts as, and signing in.
//! `store` is its one write path (creation, role changes, deactivation); `principal` resolves a
//! verified token to the account's current state; `login` checks a password and issues a token.
pub mod login;
pub mod principal;
pub mod query;
pub mod store;

pub use principal::Principal;
