//! Merging duplicate actors: the merged actor's id keeps resolving to the kept one, as Wikidata
//! redirects do; the redirect records who merged and when.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::schema_helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("actor_redirects")
                    .col(pk_uuid("from_id"))
                    .col(uuid("to_id"))
                    .col(string_len("merged_name", 200))
                    .col(uuid_null("merged_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("actor_redirects", "to_id", "actors", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("actor_redirects", "merged_by", "users", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("actor_redirects").to_owned()).await
    }
}
