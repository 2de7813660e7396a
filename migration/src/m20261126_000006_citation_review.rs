//! Evidence that grows on a published fact: a citation has a status (ACTIVE, or PENDING until a
//! reviewer other than its proposer decides, REJECTED, WITHDRAWN with its reason), who proposed
//! it and who decided. Existing citations are ACTIVE. The uniqueness of a quote per fact and
//! source no longer counts rejected proposals, so a rejected one can be proposed again, fixed.
use sea_orm_migration::prelude::*;

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const STATUSES: &[&str] = &["ACTIVE", "PENDING", "REJECTED", "WITHDRAWN"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let status_check = Expr::col(Alias::new("status")).is_in(STATUSES.iter().map(|s| Expr::val(*s))).to_owned();
        // SQLite takes one column per ALTER TABLE.
        let columns = [
            ColumnDef::new("status").string_len(16).not_null().default("ACTIVE").check(status_check).to_owned(),
            ColumnDef::new("proposed_by").uuid().null().to_owned(),
            ColumnDef::new("decided_by").uuid().null().to_owned(),
            ColumnDef::new("status_reason").text().null().to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table("citations").add_column(&mut column).to_owned()).await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX uq_citations_fact_source_quote").await?;
        db.execute_unprepared(
                "CREATE UNIQUE INDEX uq_citations_fact_source_quote_unrejected ON citations (fact_id, source_id, quote_sha256) \
                 WHERE status <> 'REJECTED'",
            )
            .await?;
        manager.create_index(index("citations", "idx_citations_status", &["status"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_citations_status").await?;
        db.execute_unprepared("DROP INDEX uq_citations_fact_source_quote_unrejected").await?;
        // Proposals that were never part of the evidence go with the columns that describe them.
        db.execute_unprepared("DELETE FROM citations WHERE status IN ('PENDING', 'REJECTED')").await?;
        manager
            .create_index(index(
                "citations",
                "uq_citations_fact_source_quote",
                &["fact_id", "source_id", "quote_sha256"],
                true,
            ))
            .await?;
        for column in ["status_reason", "decided_by", "proposed_by", "status"] {
            manager.alter_table(Table::alter().table("citations").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
