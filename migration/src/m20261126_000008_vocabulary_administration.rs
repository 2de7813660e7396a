//! Vocabulary administration: a fact kind has a version (every change names the one it read)
//! and may be deprecated (no new fact may use it; existing ones keep it), and every change of
//! a kind is kept in an append-only history of its own.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        let columns = [
            ColumnDef::new("version").integer().not_null().default(1).to_owned(),
            ColumnDef::new("deprecated_at").timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new("deprecation_reason").text().null().to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table("fact_kinds").add_column(&mut column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("fact_kind_revisions")
                    .col(pk_uuid("id"))
                    .col(string_len("kind_key", 64))
                    .col(integer("kind_version"))
                    .col(string_len("action", 32))
                    .col(uuid_null("actor_id"))
                    .col(text("snapshot"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("fact_kind_revisions", "actor_id", "users", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "fact_kind_revisions",
                "idx_fact_kind_revisions_kind",
                &["kind_key", "kind_version"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("fact_kind_revisions").to_owned()).await?;
        // Kinds added through the API go with the history that records them only if unused.
        for column in ["deprecation_reason", "deprecated_at", "version"] {
            manager.alter_table(Table::alter().table("fact_kinds").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
