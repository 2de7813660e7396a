//! Backend-specific strengths behind the same behaviour: full-text search (Postgres `tsvector`
//! with GIN, SQLite FTS5) and the database-enforced append-only revision log (a PL/pgSQL
//! trigger on Postgres, `RAISE(ABORT)` triggers on SQLite).
use sea_orm_migration::prelude::*;

use crate::backend_sql::run_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

// The review queue walks the few facts in review, oldest change first (a partial index, so the
// planner never prefers it for the public record, where status hardly narrows anything).
const REVIEW_QUEUE_INDEX: &str =
    "CREATE INDEX idx_facts_review_queue ON facts (updated_at, id) WHERE status = 'IN_REVIEW'";

const POSTGRES_UP: &[&str] = &[
    REVIEW_QUEUE_INDEX,
    "ALTER TABLE fact_search_documents ADD COLUMN tsv tsvector \
     GENERATED ALWAYS AS (to_tsvector('english', document)) STORED",
    "CREATE INDEX idx_fact_search_documents_tsv ON fact_search_documents USING GIN (tsv)",
    "CREATE FUNCTION chancery_revisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'revisions are append-only' USING ERRCODE = 'restrict_violation'; END $$",
    "CREATE TRIGGER revisions_append_only_row BEFORE UPDATE OR DELETE ON revisions \
     FOR EACH ROW EXECUTE FUNCTION chancery_revisions_append_only()",
    "CREATE TRIGGER revisions_append_only_truncate BEFORE TRUNCATE ON revisions \
     FOR EACH STATEMENT EXECUTE FUNCTION chancery_revisions_append_only()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_facts_review_queue",
    "DROP TRIGGER IF EXISTS revisions_append_only_truncate ON revisions",
    "DROP TRIGGER IF EXISTS revisions_append_only_row ON revisions",
    "DROP FUNCTION IF EXISTS chancery_revisions_append_only()",
    "DROP INDEX IF EXISTS idx_fact_search_documents_tsv",
    "ALTER TABLE fact_search_documents DROP COLUMN IF EXISTS tsv",
];

// The FTS table keeps its own copy of the fact id (UNINDEXED) rather than an external-content
// rowid link, because the rowid of a table without INTEGER PRIMARY KEY may change on VACUUM.
const SQLITE_UP: &[&str] = &[
    REVIEW_QUEUE_INDEX,
    "CREATE VIRTUAL TABLE fact_search_fts USING fts5(fact_id UNINDEXED, document, \
     tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER fact_search_documents_ai AFTER INSERT ON fact_search_documents BEGIN \
     INSERT INTO fact_search_fts (fact_id, document) VALUES (new.fact_id, new.document); END",
    "CREATE TRIGGER fact_search_documents_au AFTER UPDATE ON fact_search_documents BEGIN \
     DELETE FROM fact_search_fts WHERE fact_id = old.fact_id; \
     INSERT INTO fact_search_fts (fact_id, document) VALUES (new.fact_id, new.document); END",
    "CREATE TRIGGER fact_search_documents_ad AFTER DELETE ON fact_search_documents BEGIN \
     DELETE FROM fact_search_fts WHERE fact_id = old.fact_id; END",
    "CREATE TRIGGER revisions_append_only_update BEFORE UPDATE ON revisions BEGIN \
     SELECT RAISE(ABORT, 'revisions are append-only'); END",
    "CREATE TRIGGER revisions_append_only_delete BEFORE DELETE ON revisions BEGIN \
     SELECT RAISE(ABORT, 'revisions are append-only'); END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_facts_review_queue",
    "DROP TRIGGER IF EXISTS revisions_append_only_delete",
    "DROP TRIGGER IF EXISTS revisions_append_only_update",
    "DROP TRIGGER IF EXISTS fact_search_documents_ad",
    "DROP TRIGGER IF EXISTS fact_search_documents_au",
    "DROP TRIGGER IF EXISTS fact_search_documents_ai",
    "DROP TABLE IF EXISTS fact_search_fts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_for_backend(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_for_backend(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}
