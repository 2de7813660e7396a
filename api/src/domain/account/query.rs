//! Reading accounts: the admin's list, and lookups by email and id.
use std::collections::HashMap;

use entity::enums::UserRole;
use entity::user;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::pagination::{id_cursor, page_by_id, Cursor, Page, PageRequest};
use crate::domain::DomainResult;

const CURSOR_TAG: &str = "user-id";

/// Which accounts a list shows.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub roles: Vec<UserRole>,
    pub active: Option<bool>,
}

impl UserFilter {
    fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if !self.roles.is_empty() {
            cond = cond.add(user::Column::Role.is_in(self.roles.iter().copied()));
        }
        if let Some(active) = self.active {
            cond = cond.add(user::Column::Active.eq(active));
        }
        cond
    }
}

/// The cursor pointing at `account` in the oldest-first ordering.
pub fn cursor_of(account: &user::Model) -> Cursor {
    id_cursor(CURSOR_TAG, account.id)
}

/// One page of accounts, oldest first (ids are UUIDv7).
pub async fn list_users<C: ConnectionTrait>(
    db: &C,
    filter: &UserFilter,
    page: &PageRequest,
) -> DomainResult<Page<user::Model>> {
    let select = user::Entity::find().filter(filter.condition());
    page_by_id(db, select, user::Column::Id, CURSOR_TAG, true, page).await
}

/// How many accounts match `filter`.
pub async fn count_users<C: ConnectionTrait>(db: &C, filter: &UserFilter) -> DomainResult<u64> {
    Ok(user::Entity::find().filter(filter.condition()).count(db).await?)
}

/// The account signing in with `email` (compared lower-cased).
pub async fn user_by_email<C: ConnectionTrait>(db: &C, email: &str) -> DomainResult<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email.trim().to_lowercase())).one(db).await?)
}

/// Accounts by id, in one statement.
pub async fn users_by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> DomainResult<HashMap<Uuid, user::Model>> {
    let rows = user::Entity::find().filter(user::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}
