//! The chain head (`revision_chain`, one row) is guarded like the revisions it summarizes: it
//! can be neither deleted, truncated nor duplicated, and an UPDATE may only advance it by one
//! revision, to the revision that was just appended and that links to the old head. Without
//! this, deleting the head row and the newest revisions would go unnoticed, and a head set back
//! to an earlier revision would let the log be cut and rebuilt.
//!
//! An UPDATE that changes nothing is let through: the append path takes the head's row lock with
//! one before it reads the head.
use sea_orm_migration::prelude::*;

use crate::backend_sql::run_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE FUNCTION chancery_revision_chain_guard() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP = 'UPDATE' THEN \
         IF NEW.id = OLD.id AND NEW.length = OLD.length AND NEW.head_hash = OLD.head_hash THEN \
           RETURN NEW; \
         END IF; \
         IF NEW.id = OLD.id AND NEW.length = OLD.length + 1 AND EXISTS ( \
              SELECT 1 FROM revisions r \
              WHERE r.seq = NEW.length AND r.hash = NEW.head_hash AND r.prev_hash = OLD.head_hash) THEN \
           RETURN NEW; \
         END IF; \
       END IF; \
       RAISE EXCEPTION 'the revision chain head only advances one appended revision at a time' \
         USING ERRCODE = 'restrict_violation'; \
     END $$",
    "CREATE TRIGGER revision_chain_guard_row BEFORE INSERT OR UPDATE OR DELETE ON revision_chain \
     FOR EACH ROW EXECUTE FUNCTION chancery_revision_chain_guard()",
    "CREATE TRIGGER revision_chain_guard_truncate BEFORE TRUNCATE ON revision_chain \
     FOR EACH STATEMENT EXECUTE FUNCTION chancery_revision_chain_guard()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS revision_chain_guard_truncate ON revision_chain",
    "DROP TRIGGER IF EXISTS revision_chain_guard_row ON revision_chain",
    "DROP FUNCTION IF EXISTS chancery_revision_chain_guard()",
];

// SQLite has no TRUNCATE: an unqualified DELETE is the same statement, and the DELETE trigger
// (which also turns off SQLite's truncate optimization) refuses it.
const SQLITE_UP: &[&str] = &[
    "CREATE TRIGGER revision_chain_guard_insert BEFORE INSERT ON revision_chain BEGIN \
     SELECT RAISE(ABORT, 'the revision chain head only advances one appended revision at a time'); END",
    "CREATE TRIGGER revision_chain_guard_delete BEFORE DELETE ON revision_chain BEGIN \
     SELECT RAISE(ABORT, 'the revision chain head only advances one appended revision at a time'); END",
    "CREATE TRIGGER revision_chain_guard_update BEFORE UPDATE ON revision_chain \
     WHEN NOT ( \
       (new.id = old.id AND new.length = old.length AND new.head_hash = old.head_hash) \
       OR (new.id = old.id AND new.length = old.length + 1 AND EXISTS ( \
             SELECT 1 FROM revisions r \
             WHERE r.seq = new.length AND r.hash = new.head_hash AND r.prev_hash = old.head_hash))) \
     BEGIN \
     SELECT RAISE(ABORT, 'the revision chain head only advances one appended revision at a time'); END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS revision_chain_guard_update",
    "DROP TRIGGER IF EXISTS revision_chain_guard_delete",
    "DROP TRIGGER IF EXISTS revision_chain_guard_insert",
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
