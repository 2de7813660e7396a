//! The one write path of accounts: creation (CLI, admin API, demo), role changes and
//! deactivation, both of which revoke the account's tokens.
use entity::enums::UserRole;
use entity::user;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use validator::ValidateEmail;

use crate::auth::passwords::hash_password;
use crate::domain::ids::UserId;
use crate::domain::{now, DomainError, DomainResult, Violations};

/// The domain of the accounts that stand for external users. No password account may use it
/// (`create_user` refuses it), so an external token can never act as a local account.
pub const EXTERNAL_ACCOUNT_DOMAIN: &str = "external.invalid";

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A new account, as requested.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: UserRole,
    pub password: String,
}

pub async fn create_user<C: ConnectionTrait>(db: &C, input: NewUser) -> DomainResult<user::Model> {
    let mut violations = Violations::new();
    let email = input.email.trim().to_lowercase();
    if email.len() > 254 || !email.validate_email() {
        violations.add("email", "must be a valid email address");
    } else if email.ends_with(&format!("@{}", EXTERNAL_ACCOUNT_DOMAIN)) {
        violations.add("email", "is reserved for accounts of the external identity provider");
    }
    let name = input.display_name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        violations.add("displayName", "must be 1 to 120 characters");
    }
    if input.password.chars().count() < MIN_PASSWORD_CHARS || input.password.len() > MAX_PASSWORD_BYTES {
        violations.add(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters (and at most {MAX_PASSWORD_BYTES} bytes)"),
        );
    }
    violations.into_result()?;
    if user::Entity::find().filter(user::Column::Email.eq(email.clone())).one(db).await?.is_some() {
        return Err(DomainError::invalid("email", "is already registered"));
    }
    let at = now();
    let created = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        display_name: Set(name.to_owned()),
        role: Set(input.role),
        password_hash: Set(hash_password(&input.password).map_err(|e| DomainError::Internal(e.to_string()))?),
        active: Set(true),
        token_version: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await;
    match created {
        Ok(user) => Ok(user),
        // Two concurrent creations of one email: the unique index decides.
        Err(error) if matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            Err(DomainError::invalid("email", "is already registered"))
        }
        Err(error) => Err(error.into()),
    }
}

async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> DomainResult<user::Model> {
    user::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("user".into()))
}

/// Changes a role; existing tokens are revoked so the new role applies at once everywhere.
pub async fn set_role<C: ConnectionTrait>(db: &C, id: UserId, role: UserRole) -> DomainResult<user::Model> {
    revise(db, id, |q| q.col_expr(user::Column::Role, Expr::val(role.as_str()))).await
}

/// Deactivates an account and revokes every token issued to it.
pub async fn deactivate<C: ConnectionTrait>(db: &C, id: UserId) -> DomainResult<user::Model> {
    revise(db, id, |q| q.col_expr(user::Column::Active, Expr::val(false))).await
}

async fn revise<C: ConnectionTrait>(
    db: &C,
    id: UserId,
    change: impl FnOnce(sea_orm::UpdateMany<user::Entity>) -> sea_orm::UpdateMany<user::Entity>,
) -> DomainResult<user::Model> {
    let update = user::Entity::update_many()
        .col_expr(user::Column::TokenVersion, Expr::col(user::Column::TokenVersion).add(1))
        .col_expr(user::Column::UpdatedAt, Expr::val(now()))
        .filter(user::Column::Id.eq(id.0));
    let result = change(update).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(DomainError::NotFound("user".into()));
    }
    find(db, id.0).await
}

/// The account of an external user, created on first sight and kept in step with the role and
/// display name the provider claims; a deactivated account is returned as it is, unchanged.
pub async fn upsert_external_user<C: ConnectionTrait>(
    db: &C,
    account: &str,
    display_name: &str,
    role: UserRole,
) -> DomainResult<user::Model> {
    let existing = user::Entity::find().filter(user::Column::Email.eq(account)).one(db).await?;
    Ok(match existing {
        Some(user) if !user.active || (user.role == role && user.display_name == display_name) => user,
        Some(user) => {
            let mut active: user::ActiveModel = user.into();
            active.role = Set(role);
            active.display_name = Set(display_name.to_owned());
            active.updated_at = Set(now());
            active.update(db).await?
        }
        None => {
            let at = now();
            user::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(account.to_owned()),
                display_name: Set(display_name.to_owned()),
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
    })
}
