//! The `fact_search_documents` table.
#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fact_search_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub fact_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub document: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
