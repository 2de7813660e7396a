//! "As of" reads (`facts(asOf:)`, `fact(id, asOf:)`) ask the revision log which facts had an
//! APPROVED (and which a RETRACTED or SUPERSEDED) entry by a moment. The only index of the log
//! led with `fact_id`, so each of those questions scanned every revision; this one answers
//! them from a range of the index alone (it covers `fact_id`).
use sea_orm_migration::prelude::*;

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = ["subject", "action", "created_at", "fact_id"];
        manager.create_index(index("revisions", "idx_revisions_action_at", &columns, false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX idx_revisions_action_at").await.map(drop)
    }
}
