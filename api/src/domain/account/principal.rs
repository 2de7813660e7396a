//! The principal a request acts as, resolved from its bearer token against the current state
//! of the account (active, token version); external users get an account on first sight.
use entity::enums::UserRole;
use entity::user;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::store::{upsert_external_user, EXTERNAL_ACCOUNT_DOMAIN};
use crate::auth::tokens::{external_user_key, ExternalIdentity, TokenSubject};
use crate::domain::ids::UserId;
use crate::domain::{DomainError, DomainResult};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
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
        Self { user_id: UserId(user.id), role: user.role, display_name: user.display_name, email: user.email }
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
    let user = upsert_external_user(db, &account, &display_name, role).await?;
    if !user.active {
        return Err(DomainError::Unauthenticated);
    }
    Ok(Principal::of(user))
}
