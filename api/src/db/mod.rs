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

/// The file of an embedded SQLite database URL; None for Postgres and in-memory databases.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// Creates a new embedded database file readable and writable by its owner only (0600), like
/// the token secret beside it, before SQLite would create it with the process umask (usually
/// world-readable); SQLite gives the `-wal` and `-shm` files the mode of the database file. An
/// existing file keeps its mode, with a warning when others may read it.
fn create_private_sqlite_file(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let created = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
        match created {
            Ok(_) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        path = %path.display(),
                        mode = format!("{:o}", mode & 0o777),
                        "the database file is readable by other users; `chmod 600` it and its -wal and -shm files"
                    );
                }
                Ok(())
            }
            Err(error) => Err(error),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Opens the pool described by `config`, with the durability settings each backend needs.
pub async fn connect(config: &DatabaseConfig, counter: &StatementCounter) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file(&config.url).filter(|_| !config.url.contains("mode=ro")) {
        create_private_sqlite_file(&path)
            .map_err(|error| DbErr::Custom(format!("creating the database file {}: {error}", path.display())))?;
    }
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

/// What a failed database call means for the caller, whichever backend raised it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFailure {
    /// The store cannot be reached right now (down, restarting, pool exhausted, SQLite busy):
    /// the same request may succeed when retried.
    Unavailable,
    /// The statement ran longer than the configured `statement_timeout`.
    StatementTimeout,
    /// Anything else: a bug or a broken invariant, reported as internal.
    Other,
}

/// Classifies a database error without looking at its text.
pub fn classify(error: &DbErr) -> DbFailure {
    use sea_orm::RuntimeErr;
    let sqlx_error = match error {
        DbErr::ConnectionAcquire(_) => return DbFailure::Unavailable,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::Conn(_) => return DbFailure::Unavailable,
        _ => return DbFailure::Other,
    };
    use sea_orm::sqlx::Error;
    match sqlx_error.as_ref() {
        Error::Io(_) | Error::Tls(_) | Error::Protocol(_) | Error::PoolTimedOut | Error::PoolClosed => {
            DbFailure::Unavailable
        }
        Error::Database(db_error) => classify_code(db_error.code().as_deref().unwrap_or_default()),
        _ => DbFailure::Other,
    }
}

/// SQLSTATE (Postgres) or result code (SQLite) to failure.
fn classify_code(code: &str) -> DbFailure {
    match code {
        // query_canceled: what statement_timeout raises.
        "57014" => DbFailure::StatementTimeout,
        // admin_shutdown, crash_shutdown, cannot_connect_now, and the connection_exception class.
        "57P01" | "57P02" | "57P03" => DbFailure::Unavailable,
        c if c.starts_with("08") => DbFailure::Unavailable,
        // serialization_failure and deadlock_detected: the transaction was rolled back; a retry may pass.
        "40001" | "40P01" => DbFailure::Unavailable,
        // SQLITE_BUSY and SQLITE_LOCKED with their extended codes (SQLSTATEs are five characters,
        // SQLite codes at most four digits), after busy_timeout ran out.
        c if c.len() < 5 && c.parse::<u32>().is_ok_and(|n| n & 0xff == 5 || n & 0xff == 6) => DbFailure::Unavailable,
        _ => DbFailure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_and_sqlite_codes_map_to_what_the_caller_can_do() {
        assert_eq!(classify_code("57014"), DbFailure::StatementTimeout);
        assert_eq!(classify_code("57P01"), DbFailure::Unavailable);
        assert_eq!(classify_code("08006"), DbFailure::Unavailable);
        assert_eq!(classify_code("5"), DbFailure::Unavailable);
        assert_eq!(classify_code("517"), DbFailure::Unavailable);
        assert_eq!(classify_code("262"), DbFailure::Unavailable);
        assert_eq!(classify_code("23505"), DbFailure::Other);
        assert_eq!(classify_code("2067"), DbFailure::Other);
        assert_eq!(classify_code(""), DbFailure::Other);
        assert_eq!(
            classify(&DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout)),
            DbFailure::Unavailable
        );
        assert_eq!(classify(&DbErr::RecordNotFound("x".into())), DbFailure::Other);
    }
}
