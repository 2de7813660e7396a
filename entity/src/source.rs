//! The `sources` table.
#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub canonical_url: String,
    pub url: String,
    pub title: String,
    pub kind: SourceKind,
    pub outlet_id: Option<Uuid>,
    pub published_on: Option<Date>,
    pub published_precision: Option<DatePrecision>,
    pub retrieved_at: DateTimeUtc,
    pub language: Option<String>,
    pub archive_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub snapshot: Option<String>,
    pub snapshot_sha256: Option<String>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
