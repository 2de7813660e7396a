//! The principal a request acts as, resolved from its bearer token against the current state
//! of the account (active, token version), and the login that issues tokens.
use std::sync::OnceLock;

use entity::enums::UserRole;
use entity::user;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::passwords::{hash_password, verify_password};
use super::throttle::LoginThrottle;
use super::tokens::{external_user_key, ExternalIdentity, TokenService, TokenSubject};
use crate::domain::{now, DomainError, DomainResult};
use crate::throttling::store::StoreError;
use crate::throttling::ClientAddress;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub role: UserRole,
    pub display_name: String,
    pub email: String,
}

impl Principal {
    pub fn can_review(&self) -> bool {
        matches!(self.role, UserRole::Reviewer | UserRole::Admin)
    }

    pub fn is_admin(&self) -> bool {
        self.role == UserRole::Admin
    }

    /// The principal an account acts as (the caller has established who it is).
    pub fn of(user: user::Model) -> Self {
        Self { user_id: user.id, role: user.role, display_name: user.display_name, email: user.email }
    }
}

/// The principal a verified token (`TokenService::validate`) speaks for, checked against the account's current state.
pub async fn principal_of<C: ConnectionTrait>(db: &C, subject: TokenSubject) -> DomainResult<Principal> {
    match subject {
        TokenSubject::Local { user_id, token_version } => {
            let user = user::Entity::find_by_id(user_id).one(db).await?;
            match user {
                Some(user) if user.active && user.token_version == token_version => Ok(Principal::of(user)),
                _ => {
                    tracing::info!(%user_id, "token of an unknown, deactivated or revoked account");
                    Err(DomainError::Unauthenticated)
                }
            }
        }
        TokenSubject::External { issuer, subject, claimed, role } => {
            external_principal(db, &issuer, &subject, &claimed, role).await
        }
    }
}

/// The domain of the accounts that stand for external users. No password account may use it
/// (`users::create_user` refuses it), so an external token can never act as a local account.
pub const EXTERNAL_ACCOUNT_DOMAIN: &str = "external.invalid";

/// The name an external user is shown by: the `name` claim; else an email the provider verified;
/// else the claimed email marked as unverified (anyone may claim any address at some providers,
/// and a display name is read as who did the work); else the subject.
pub fn external_display_name(claimed: &ExternalIdentity, subject: &str) -> String {
    let present = |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let name = match (present(&claimed.name), present(&claimed.email)) {
        (Some(name), _) => name,
        (None, Some(email)) if claimed.email_verified => email,
        (None, Some(email)) => format!("unverified: {email}"),
        (None, None) => subject.to_owned(),
    };
    name.chars().take(120).collect()
}

/// External users get an account of their own on first sight, keyed by the provider's issuer
/// and subject (never by the email they claim), so that their work can be attributed; its role
/// and display name follow the provider's claims.
async fn external_principal<C: ConnectionTrait>(
    db: &C,
    issuer: &str,
    subject: &str,
    claimed: &ExternalIdentity,
    role: UserRole,
) -> DomainResult<Principal> {
    let key = hex::encode(external_user_key(issuer, subject));
    let account = format!("{key}@{EXTERNAL_ACCOUNT_DOMAIN}");
    let display_name = external_display_name(claimed, subject);
    let existing = user::Entity::find().filter(user::Column::Email.eq(account.clone())).one(db).await?;
    let user = match existing {
        Some(user) if !user.active => return Err(DomainError::Unauthenticated),
        Some(user) if user.role == role && user.display_name == display_name => user,
        Some(user) => {
            let mut active: user::ActiveModel = user.into();
            active.role = Set(role);
            active.display_name = Set(display_name);
            active.updated_at = Set(now());
            active.update(db).await?
        }
        None => {
            let at = now();
            user::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(account),
                display_name: Set(display_name),
                role: Set(role),
                password_hash: Set("!external".into()),
                active: Set(true),
                token_version: Set(0),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(db)
            .await?
        }
    };
    Ok(Principal::of(user))
}

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
