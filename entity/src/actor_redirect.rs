//! The `actor_redirects` table: a merged actor's id and the actor it now names.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "actor_redirects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub from_id: Uuid,
    pub to_id: Uuid,
    pub merged_name: String,
    pub merged_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
