//! API keys for clients such as a frontend's server, which sends every visitor's query from one
//! address: each key has its own request rate, is shown once and stored as its SHA-256 only, and
//! can be revoked.
use sea_orm_migration::prelude::*;

use crate::schema_helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("name").string().not_null().unique_key())
                    .col(ColumnDef::new("key_sha256").string().not_null().unique_key())
                    .col(ColumnDef::new("key_prefix").string().not_null())
                    .col(
                        ColumnDef::new("rate_per_minute")
                            .integer()
                            .not_null()
                            .check(Expr::col("rate_per_minute").gte(0)),
                    )
                    .col(ColumnDef::new("created_by").uuid().null())
                    .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new("revoked_at").timestamp_with_time_zone().null())
                    .col(ColumnDef::new("revoked_by").uuid().null())
                    .foreign_key(&mut fk("api_keys", "created_by", "users", ForeignKeyAction::SetNull))
                    .foreign_key(&mut fk("api_keys", "revoked_by", "users", ForeignKeyAction::SetNull))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("api_keys").to_owned()).await
    }
}
