//! Schema migrations for Chancery. The same migrations run on Postgres and SQLite; where the
//! backends differ (full-text search, append-only triggers) each migration branches on the
//! backend explicitly.
pub use sea_orm_migration::prelude::*;

mod backend_sql;
mod kind_seeds;
mod m20261125_000001_core_schema;
mod m20261125_000002_fact_kind_vocabulary;
mod m20261125_000003_search_and_history_guards;
mod m20261126_000004_history_head_guard;
mod m20261126_000005_shared_throttle;
mod m20261126_000006_citation_review;
mod m20261126_000007_wider_vocabulary;
mod m20261126_000008_vocabulary_administration;
mod m20261126_000009_source_history;
mod m20261126_000010_actor_merges;
mod m20261126_000011_review_queue;
mod m20261126_000012_chain_subjects;
mod m20261126_000013_proposed_at_format;
mod m20261127_000014_public_generation;
mod m20261127_000015_api_keys;
mod m20261127_000016_citations_by_fact;
mod m20261127_000017_public_source_events;
mod m20261127_000018_revisions_as_of;
mod schema_helpers;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_core_schema::Migration),
            Box::new(m20261125_000002_fact_kind_vocabulary::Migration),
            Box::new(m20261125_000003_search_and_history_guards::Migration),
            Box::new(m20261126_000004_history_head_guard::Migration),
            Box::new(m20261126_000005_shared_throttle::Migration),
            Box::new(m20261126_000006_citation_review::Migration),
            Box::new(m20261126_000007_wider_vocabulary::Migration),
            Box::new(m20261126_000008_vocabulary_administration::Migration),
            Box::new(m20261126_000009_source_history::Migration),
            Box::new(m20261126_000010_actor_merges::Migration),
            Box::new(m20261126_000011_review_queue::Migration),
            Box::new(m20261126_000012_chain_subjects::Migration),
            Box::new(m20261126_000013_proposed_at_format::Migration),
            Box::new(m20261127_000014_public_generation::Migration),
            Box::new(m20261127_000015_api_keys::Migration),
            Box::new(m20261127_000016_citations_by_fact::Migration),
            Box::new(m20261127_000017_public_source_events::Migration),
            Box::new(m20261127_000018_revisions_as_of::Migration),
        ]
    }
}
pub use m20261125_000001_core_schema::GENESIS_HASH;
