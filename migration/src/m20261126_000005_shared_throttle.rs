//! Throttle and rate-limit counts that every server process sharing one Postgres database sees:
//! failed logins per key (`login_failures`) and admitted requests per caller per minute
//! (`rate_windows`). UNLOGGED: the counts are worth no WAL traffic, and losing them in a crash
//! only lets clients retry sooner. The embedded SQLite store serves one process, which keeps
//! its counts in memory, so there is nothing to create there.
use sea_orm_migration::prelude::*;

use crate::backend_sql::run_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    // `key` names a counter (`pair:…`, `address:…`, `account:…`, `known:…`); accounts appear
    // only as hashes. `window_ends_ms` is Unix milliseconds.
    "CREATE UNLOGGED TABLE login_failures (\
       key VARCHAR(200) PRIMARY KEY, \
       failures INTEGER NOT NULL CHECK (failures >= 0), \
       window_ends_ms BIGINT NOT NULL)",
    // `window_start` is the minute's start in Unix seconds; `caller` is `a:<address>`,
    // `u:<user id>` or `x:<hash of issuer and subject>`.
    "CREATE UNLOGGED TABLE rate_windows (\
       window_start BIGINT NOT NULL, \
       caller VARCHAR(100) NOT NULL, \
       admitted BIGINT NOT NULL CHECK (admitted >= 0), \
       PRIMARY KEY (window_start, caller))",
];

const POSTGRES_DOWN: &[&str] = &["DROP TABLE IF EXISTS rate_windows", "DROP TABLE IF EXISTS login_failures"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_for_backend(manager, POSTGRES_UP, &[]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_for_backend(manager, POSTGRES_DOWN, &[]).await
    }
}
