//! Credentials: password hashing and access tokens (issued, and external ones verified). It
//! knows nothing of accounts or requests: `domain::account` uses it to sign users in and to
//! resolve a token to the principal it speaks for.
pub mod passwords;
pub mod tokens;
