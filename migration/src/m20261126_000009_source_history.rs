//! The history of a source: every revision of its description or snapshot, with who made it,
//! why (a replaced snapshot needs a reason) and what re-verifying its citations found.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("source_revisions")
                    .col(pk_uuid("id"))
                    .col(uuid("source_id"))
                    .col(integer("source_version"))
                    .col(string_len("action", 32))
                    .col(uuid_null("actor_id"))
                    .col(text("detail"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("source_revisions", "source_id", "sources", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("source_revisions", "actor_id", "users", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "source_revisions",
                "idx_source_revisions_source",
                &["source_id", "source_version"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("source_revisions").to_owned()).await
    }
}
