//! The fact kind aggregate: the vocabulary of kinds, each with the roles and qualifiers it
//! admits. Migrations ship the vocabulary; admins add, revise and deprecate kinds through
//! `store`, its one write path.
use std::collections::HashMap;

use entity::fact_kind;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::DomainResult;

pub mod store;

/// Every kind, sorted by key.
pub async fn list_kinds<C: ConnectionTrait>(db: &C, category: Option<&str>) -> DomainResult<Vec<fact_kind::Model>> {
    let mut select = fact_kind::Entity::find().order_by_asc(fact_kind::Column::Key);
    if let Some(category) = category {
        select = select.filter(fact_kind::Column::Category.eq(category));
    }
    Ok(select.all(db).await?)
}

/// Kinds by key, in one statement.
pub async fn kinds_by_keys<C: ConnectionTrait>(
    db: &C,
    keys: &[String],
) -> DomainResult<HashMap<String, fact_kind::Model>> {
    let rows = fact_kind::Entity::find().filter(fact_kind::Column::Key.is_in(keys.iter().cloned())).all(db).await?;
    Ok(rows.into_iter().map(|row| (row.key.clone(), row)).collect())
}

/// The strings of a JSON array column (qualifier keys, roles).
pub fn string_list(value: &sea_orm::JsonValue) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(|item| item.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}
