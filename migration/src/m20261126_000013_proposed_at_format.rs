//! Migration 000011 back-filled `citations.proposed_at` with the database's own clock. SQLite
//! writes that as `2026-11-26 22:19:01`, while Chancery writes RFC 3339
//! (`2026-11-26T22:18:50.053222+00:00`); SQLite compares the two as text, so the review queue's
//! keyset could order a back-filled citation differently from the order it merges in memory.
//! This rewrites such values in Chancery's format. Postgres stores a timestamp, not text: nothing
//! to do there.
use sea_orm_migration::prelude::*;

use crate::backend_sql::run_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite's `CURRENT_TIMESTAMP` is UTC, so the offset written is `+00:00`.
const REWRITE_SQLITE: &str = "UPDATE citations \
     SET proposed_at = strftime('%Y-%m-%dT%H:%M:%f', proposed_at) || '+00:00' \
     WHERE proposed_at IS NOT NULL AND proposed_at NOT LIKE '____-__-__T%'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_for_backend(manager, &[], &[REWRITE_SQLITE]).await
    }

    /// The rewritten values are the same instants: nothing to undo.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
