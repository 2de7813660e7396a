//! The `citations` table.
#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "citations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub fact_id: Uuid,
    pub source_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub quote: String,
    pub quote_sha256: String,
    pub attributed_to_id: Option<Uuid>,
    pub attribution: Attribution,
    pub relayed_from_id: Option<Uuid>,
    pub verified: bool,
    /// Character offset (Unicode scalar values) of the quote in the source snapshot.
    pub quote_start: Option<i32>,
    pub quote_end: Option<i32>,
    pub position: i32,
    pub status: CitationStatus,
    /// Who proposed it for a published fact (drafts' citations have none).
    pub proposed_by: Option<Uuid>,
    /// The reviewer who approved or rejected the proposal, or withdrew the citation.
    pub decided_by: Option<Uuid>,
    /// Why it was rejected or withdrawn.
    #[sea_orm(column_type = "Text", nullable)]
    pub status_reason: Option<String>,
    /// When it was proposed for a published fact (drafts' citations have none).
    pub proposed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
