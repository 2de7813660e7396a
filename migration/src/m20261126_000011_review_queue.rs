//! The review queue lists facts in review and pending citations together, oldest first: a
//! citation records when it was proposed, as a fact records when it last changed. Pending
//! citations proposed before this migration count as proposed now.
use sea_orm_migration::prelude::*;

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = ColumnDef::new("proposed_at").timestamp_with_time_zone().null().to_owned();
        manager.alter_table(Table::alter().table("citations").add_column(&mut column).to_owned()).await?;
        let backfill = Query::update()
            .table("citations")
            .value("proposed_at", Expr::current_timestamp())
            .and_where(Expr::col("status").eq("PENDING"))
            .to_owned();
        manager.exec_stmt(backfill).await?;
        manager.create_index(index("citations", "idx_citations_waiting", &["status", "proposed_at", "id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX idx_citations_waiting").await?;
        manager.alter_table(Table::alter().table("citations").drop_column("proposed_at").to_owned()).await
    }
}
