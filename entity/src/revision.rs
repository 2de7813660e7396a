//! The `revisions` table.
#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "revisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Position in the global hash chain, starting at 1.
    pub seq: i64,
    /// What the entry is about: FACT, FACT_KIND, SOURCE or ACTOR.
    pub subject: String,
    /// The subject's id (a fact's for FACT entries; for a kind, `chain::kind_subject_id`).
    pub fact_id: Uuid,
    /// The subject's version after the change.
    pub fact_version: i32,
    pub action: String,
    pub actor_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    /// Canonical JSON of the fact after the change.
    #[sea_orm(column_type = "Text")]
    pub snapshot: String,
    pub created_at: DateTimeUtc,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
