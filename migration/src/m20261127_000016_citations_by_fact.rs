//! A fact's citations are read by `fact_id` (a page's citations, one fact's, a fact's evidence),
//! and no index led with it: the only one, `uq_citations_fact_source_quote_unrejected`, is
//! partial (`status <> 'REJECTED'`), so the planner could not use it for reads that list every
//! status, and scanned every citation instead (2 M rows per page at 1 M facts).
use sea_orm_migration::prelude::*;

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index("citations", "idx_citations_fact", &["fact_id", "position"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX idx_citations_fact").await.map(drop)
    }
}
