//! Signing in with a password: throttled per account and client address, timing-equalized
//! for unknown accounts, and answered with an access token.
use std::sync::OnceLock;

use entity::user;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::Principal;
use crate::auth::passwords::{hash_password, verify_password};
use crate::auth::tokens::TokenService;
use crate::domain::{DomainError, DomainResult};
use crate::throttling::login::LoginThrottle;
use crate::throttling::store::StoreError;
use crate::throttling::ClientAddress;

/// A hash to verify against when the account does not exist, so a wrong email costs the same
/// time as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("chancery-timing-equalizer").unwrap_or_default())
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoginGrant {
    pub token: String,
    pub expires_at: i64,
    pub principal: Principal,
}

/// Checks credentials (throttled per account and client address) and issues a token.
pub async fn login<C: ConnectionTrait>(
    db: &C,
    tokens: &TokenService,
    throttle: &LoginThrottle,
    email: &str,
    password: &str,
    client_address: ClientAddress,
) -> DomainResult<LoginGrant> {
    let store_failed = |error: StoreError| DomainError::Internal(error.to_string());
    // Counted before the password is checked, so a burst of guesses cannot outrun the limit.
    if let Err(retry_after_secs) = throttle.try_begin(email, client_address).await.map_err(store_failed)? {
        return Err(DomainError::RateLimited { retry_after_secs });
    }
    let folded = email.trim().to_lowercase();
    let user = if folded.len() <= 254 {
        user::Entity::find().filter(user::Column::Email.eq(folded.clone())).one(db).await?
    } else {
        None
    };
    // Argon2 is deliberately slow: keep it off the async workers.
    let (candidate, stored) = (password.to_owned(), user.as_ref().map(|u| u.password_hash.clone()));
    let password_ok = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => verify_password(&candidate, &hash),
        None => {
            verify_password(&candidate, dummy_hash());
            false
        }
    })
    .await
    .map_err(|e| DomainError::Internal(format!("password check failed: {e}")))?;
    let user = match user {
        Some(user) if password_ok && user.active => user,
        _ => return Err(DomainError::Unauthenticated),
    };
    throttle.record_success(email, client_address).await.map_err(store_failed)?;
    let (token, expires_at) =
        tokens.issue(user.id, user.role, user.token_version).map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(LoginGrant { token, expires_at, principal: Principal::of(user) })
}
