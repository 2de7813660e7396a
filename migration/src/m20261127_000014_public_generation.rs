//! A generation number of the public record, raised in the same transaction as any change to
//! what the public can read (facts and their parts, citations, sources, actors, the
//! vocabulary). Cached answers to anonymous queries are valid while it stays the same, which
//! holds across any number of server processes and whatever wrote the change (the server, the
//! CLI, a seeder, an operator's SQL).
//!
//! Postgres raises it once per statement; SQLite has row triggers only, so once per row. Draft
//! edits raise it too: telling them apart would need a lookup in every trigger, and they are
//! rare next to reads.
use sea_orm_migration::prelude::*;

use crate::backend_sql::run_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose rows the public reads.
const PUBLIC_TABLES: &[&str] = &[
    "facts",
    "fact_participants",
    "fact_qualifiers",
    "citations",
    "sources",
    "actors",
    "actor_aliases",
    "actor_redirects",
    "fact_kinds",
];

const BUMP: &str = "UPDATE public_generation SET generation = generation + 1 WHERE id = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut postgres = vec![
            "CREATE TABLE public_generation (id SMALLINT PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL)"
                .to_owned(),
            "INSERT INTO public_generation (id, generation) VALUES (1, 1)".to_owned(),
            format!(
                "CREATE FUNCTION bump_public_generation() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN {BUMP}; RETURN NULL; END $$"
            ),
        ];
        let mut sqlite = vec![
            "CREATE TABLE public_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL)"
                .to_owned(),
            "INSERT INTO public_generation (id, generation) VALUES (1, 1)".to_owned(),
        ];
        for table in PUBLIC_TABLES {
            postgres.push(format!(
                "CREATE TRIGGER trg_{table}_public_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE \
                 ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_public_generation()"
            ));
            for event in ["INSERT", "UPDATE", "DELETE"] {
                let name = event.to_lowercase();
                sqlite.push(format!(
                    "CREATE TRIGGER trg_{table}_public_generation_{name} AFTER {event} ON {table} BEGIN {BUMP}; END"
                ));
            }
        }
        let postgres: Vec<&str> = postgres.iter().map(String::as_str).collect();
        let sqlite: Vec<&str> = sqlite.iter().map(String::as_str).collect();
        run_for_backend(manager, &postgres, &sqlite).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut postgres = Vec::new();
        let mut sqlite = Vec::new();
        for table in PUBLIC_TABLES {
            postgres.push(format!("DROP TRIGGER trg_{table}_public_generation ON {table}"));
            for event in ["insert", "update", "delete"] {
                sqlite.push(format!("DROP TRIGGER trg_{table}_public_generation_{event}"));
            }
        }
        postgres.push("DROP FUNCTION bump_public_generation()".to_owned());
        postgres.push("DROP TABLE public_generation".to_owned());
        sqlite.push("DROP TABLE public_generation".to_owned());
        let postgres: Vec<&str> = postgres.iter().map(String::as_str).collect();
        let sqlite: Vec<&str> = sqlite.iter().map(String::as_str).collect();
        run_for_backend(manager, &postgres, &sqlite).await
    }
}
