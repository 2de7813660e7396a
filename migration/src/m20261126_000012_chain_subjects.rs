//! One chain for the whole record: revisions name their subject (a fact, a kind of fact, a
//! source, an actor), so changes of the vocabulary, of sources and merges of actors are appended
//! to the same hash chain as facts' revisions. Existing revisions are facts'.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = ColumnDef::new("subject").string_len(16).not_null().default("FACT").to_owned();
        manager.alter_table(Table::alter().table("revisions").add_column(&mut column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The chain is append-only: entries about other subjects cannot be removed, and without
        // this column they would read as facts' revisions.
        let others = manager
            .get_connection()
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                manager.get_database_backend(),
                "SELECT COUNT(*) AS n FROM revisions WHERE subject <> 'FACT'",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if others > 0 {
            return Err(DbErr::Migration(format!(
                "the history holds {others} entries about kinds, sources or actors; the chain is append-only, so \
                 this migration cannot be undone on this database"
            )));
        }
        manager.alter_table(Table::alter().table("revisions").drop_column("subject").to_owned()).await
    }
}
