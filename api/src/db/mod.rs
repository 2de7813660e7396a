//! Connecting to the store. Postgres is the production backend; when no URL is configured an
//! embedded SQLite file is used. Where the two differ, one function here hides the difference.
pub mod search;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use migration::MigratorTrait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseConfig;

/// Counts the SQL statements the application executes; exported as a metric and used by the
/// tests that prove a page of facts costs a fixed number of statements.
#[derive(Debug, Default, Clone)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn increment(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Opens the pool described by `config`, with the durability settings each backend needs.
pub async fn connect(config: &DatabaseConfig, counter: &StatementCounter) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(Duration::from_secs(config.acquire_timeout_secs))
        .connect_timeout(Duration::from_secs(config.acquire_timeout_secs))
        .idle_timeout(Duration::from_secs(config.idle_timeout_secs))
        .max_lifetime(Duration::from_secs(config.max_lifetime_secs))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            // WAL with synchronous=FULL: an acknowledged commit survives a crash or power loss.
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    if config.statement_timeout_ms > 0 && config.url.starts_with("postgres") {
        options.statement_timeout(Duration::from_millis(config.statement_timeout_ms));
    }
    let mut db = Database::connect(options).await?;
    let counter = counter.clone();
    db.set_metric_callback(move |info| {
        counter.increment();
        tracing::trace!(target: "chancery::sql", elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed, sql = %info.statement.sql);
    });
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await
}
