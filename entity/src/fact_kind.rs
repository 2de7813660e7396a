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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
