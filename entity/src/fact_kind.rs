//! The `fact_kinds` table.
#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fact_kinds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub label: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub category: String,
    pub symmetric: bool,
    pub allowed_qualifiers: Json,
    pub required_qualifiers: Json,
    pub allowed_roles: Json,
    pub cameo_code: Option<String>,
    pub created_at: DateTimeUtc,
    /// Incremented by every change; a change names the version it read.
    pub version: i32,
    /// When it was deprecated: no new fact may use it.
    pub deprecated_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub deprecation_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
