//! The `facts` table.
#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "facts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind_key: String,
    pub summary: String,
    pub modality: Modality,
    pub occurred_on: Date,
    pub occurred_precision: DatePrecision,
    pub occurred_until: Option<Date>,
    pub country: Option<String>,
    pub status: FactStatus,
    pub version: i32,
    pub created_by: Uuid,
    pub last_edited_by: Uuid,
    pub reviewed_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub retracted_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub retraction_reason: Option<String>,
    pub supersedes_id: Option<Uuid>,
    pub superseded_by_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
