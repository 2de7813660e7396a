//! Accounts and credentials.
pub mod passwords;
