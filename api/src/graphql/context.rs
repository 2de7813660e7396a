//! What every resolver reads from its context, in one place: the database, the request's
//! DataLoaders, the principal it acts as, and the role checks. Resolvers write `ctx.db()` and
//! `ctx.require_role(Required::Reviewer, …)` instead of looking data up by type themselves.
use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::error::Result;
use super::loaders::Loaders;
use crate::domain::account::Principal;
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::DomainError;

/// A role a resolver demands beyond being signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    /// A reviewer or an admin.
    Reviewer,
    /// An admin.
    Admin,
}

/// The context accessors every resolver uses.
pub trait ContextExt<'a> {
    /// The database of the application.
    fn db(&self) -> &'a DatabaseConnection;
    /// The DataLoaders of this request.
    fn loaders(&self) -> &'a Loaders;
    /// The signed-in caller, if any.
    fn principal(&self) -> Option<&'a Principal>;
    /// The signed-in caller; UNAUTHENTICATED without one.
    fn require_principal(&self) -> Result<&'a Principal>;
    /// The signed-in caller holding `role`; FORBIDDEN (saying `why`) for anyone else.
    fn require_role(&self, role: Required, why: &str) -> Result<&'a Principal>;
}

impl<'a> ContextExt<'a> for Context<'a> {
    fn db(&self) -> &'a DatabaseConnection {
        self.data_unchecked::<DatabaseConnection>()
    }

    fn loaders(&self) -> &'a Loaders {
        self.data_unchecked::<Loaders>()
    }

    fn principal(&self) -> Option<&'a Principal> {
        self.data_opt::<Principal>()
    }

    fn require_principal(&self) -> Result<&'a Principal> {
        self.principal().ok_or_else(|| DomainError::Unauthenticated.into())
    }

    fn require_role(&self, role: Required, why: &str) -> Result<&'a Principal> {
        let principal = self.require_principal()?;
        let allowed = match role {
            Required::Reviewer => principal.can_review(),
            Required::Admin => principal.is_admin(),
        };
        if allowed {
            Ok(principal)
        } else {
            Err(DomainError::Forbidden(why.to_owned()).into())
        }
    }
}

/// The idempotency key of a creating mutation, scoped to the caller and the operation, with the
/// decoded input as the request it stands for.
pub fn idempotency_key_for(
    principal: &Principal,
    operation: &'static str,
    key: Option<String>,
    request: &impl serde::Serialize,
) -> Result<Option<IdempotencyKey>> {
    Ok(match key {
        Some(key) => Some(IdempotencyKey::new(principal.user_id.to_string(), operation, &key, request)?),
        None => None,
    })
}
