//! The `fact_kind_revisions` table: every change of a fact kind, as a snapshot.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "fact_kind_revisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind_key: String,
    pub kind_version: i32,
    pub action: String,
    pub actor_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub snapshot: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
