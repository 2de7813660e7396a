//! Which entries of the revision log about a source are public events: those written while a
//! public fact cited the source. The change feed lists a source's change only if the public
//! could see the source when it changed; deciding that when the feed is read instead would make
//! an old change appear behind readers' cursors the day the source becomes public, which a
//! reader that tails the feed would never see. The log itself stays append-only and hashed as
//! before; this table only marks positions in it.
//!
//! Entries written before this migration are marked when their source is public now: the best
//! the data allows (when a source became public was not recorded).
use sea_orm_migration::prelude::*;

use crate::backend_sql::run_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const BACKFILL: &str = "INSERT INTO public_source_events (seq) \
     SELECT r.seq FROM revisions r WHERE r.subject = 'SOURCE' AND r.fact_id IN ( \
       SELECT c.source_id FROM citations c JOIN facts f ON f.id = c.fact_id \
       WHERE f.status IN ('PUBLISHED', 'RETRACTED', 'SUPERSEDED') AND c.status IN ('ACTIVE', 'WITHDRAWN'))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_for_backend(
            manager,
            &["CREATE TABLE public_source_events (seq BIGINT PRIMARY KEY REFERENCES revisions (seq))", BACKFILL],
            &["CREATE TABLE public_source_events (seq INTEGER PRIMARY KEY REFERENCES revisions (seq))", BACKFILL],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE public_source_events").await.map(drop)
    }
}
