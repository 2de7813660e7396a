//! Connecting to the store. Postgres is the production backend; when no URL is configured an
//! embedded SQLite file is used. Where the two differ, one function here hides the difference.
pub mod connect_error;
pub mod notify;
pub mod rows;
pub mod search;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use migration::MigratorTrait;
use sea_orm::sea_query::Expr;
use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr};

use crate::config::DatabaseConfig;
pub use connect_error::ConnectError;

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
pub async fn connect(config: &DatabaseConfig, counter: &StatementCounter) -> Result<DatabaseConnection, ConnectError> {
    if !["postgres:", "postgresql:", "sqlite:"].iter().any(|scheme| config.url.starts_with(scheme)) {
        return Err(connect_error::unsupported_scheme(&config.url));
    }
    if let Some(path) = sqlite_file(&config.url).filter(|_| !config.url.contains("mode=ro")) {
        create_private_sqlite_file(&path)
            .map_err(|error| connect_error::sqlite_file_failure("the database file", &path, &error))?;
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
    if let Some(mode) = default_tls(&config.url) {
        options.map_sqlx_postgres_opts(move |opts| opts.ssl_mode(mode));
    }
    if config.statement_timeout_ms > 0 && config.url.starts_with("postgres") {
        options.statement_timeout(Duration::from_millis(config.statement_timeout_ms));
    }
    let acquire_timeout = Duration::from_secs(config.acquire_timeout_secs);
    let mut db = match Database::connect(options).await {
        Ok(db) => db,
        Err(error) => return Err(connect_error::explain(&config.url, error, acquire_timeout).await),
    };
    let counter = counter.clone();
    db.set_metric_callback(move |info| {
        counter.increment();
        tracing::trace!(target: "chancery::sql", elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed, sql = %info.statement.sql);
    });
    Ok(db)
}

/// TLS to Postgres when the URL does not say (`sslmode=...` in the URL always decides): none to
/// a database on this machine, reached over loopback or a Unix socket, where encryption protects
/// nothing and costs 10 to 20 % of a read; elsewhere sqlx's default, `prefer` (TLS when the
/// server offers it). None for SQLite and for URLs that say.
pub fn default_tls(url: &str) -> Option<PgSslMode> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") || parsed.query_pairs().any(|(key, _)| key == "sslmode") {
        return None;
    }
    let socket = parsed.query_pairs().any(|(key, value)| key == "host" && value.starts_with('/'));
    let local = match parsed.host() {
        None => true,
        // `postgres:` is not a special scheme to the URL standard: an IPv4 address is a name.
        Some(url::Host::Domain(name)) => {
            name.is_empty()
                || name.eq_ignore_ascii_case("localhost")
                || name.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
        }
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
    };
    (socket || local).then_some(PgSslMode::Disable)
}

/// Ids a filter names (actors, sources, outlets), as a statement should hold them. How many
/// facts one of them touches ranges from one to hundreds of thousands, and a prepared statement
/// that binds them gets, from its sixth execution on a connection, Postgres's generic plan, which
/// assumes the average: "facts involving Russia and Syria" took 933 ms with it, 11 ms with a plan
/// for the actual ids. So on Postgres the ids are written into the SQL, and each set gets its own
/// plan (they are parsed UUIDs: no caller's text reaches the SQL); the keyset positions and page
/// ids, whose selectivity does not vary, stay bound and keep their cached plans. SQLite plans
/// every statement without looking at bound values: there they stay bound.
pub fn skewed_ids(backend: DatabaseBackend, ids: impl IntoIterator<Item = uuid::Uuid>) -> Vec<Expr> {
    match backend {
        DatabaseBackend::Postgres => ids.into_iter().map(|id| Expr::cust(format!("'{id}'::uuid"))).collect(),
        _ => ids.into_iter().map(Expr::val).collect(),
    }
}

/// `column` is one of `ids`: for lists of hundreds of ids whose length changes from statement to
/// statement (the sources an export batch cites, say). An IN list of n parameters is a different
/// statement for every n, which Postgres parses and plans anew and each pooled connection keeps
/// prepared; on Postgres the ids are one array parameter instead, so every length is the same
/// prepared statement. SQLite has no arrays: there they are an IN list padded (with the last id
/// again) to a power of two, so a dozen statements serve every length rather than a new one
/// prepared, and cached by each connection, for every length.
pub fn among_ids(backend: DatabaseBackend, column: Expr, ids: &[uuid::Uuid]) -> Expr {
    use sea_orm::sea_query::ExprTrait;
    match backend {
        DatabaseBackend::Postgres => {
            let mut array = String::with_capacity(2 + ids.len() * 37);
            array.push('{');
            for (index, id) in ids.iter().enumerate() {
                if index > 0 {
                    array.push(',');
                }
                array.push_str(id.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()));
            }
            array.push('}');
            Expr::cust_with_exprs("$1 = ANY(CAST($2 AS uuid[]))", [column, Expr::val(array)])
        }
        _ => {
            let padded = ids.len().next_power_of_two();
            let last = ids.last().copied();
            column.is_in(ids.iter().copied().chain(std::iter::repeat_n(last, padded - ids.len()).flatten()))
        }
    }
}

/// The generation number of the public record (migration 000014): raised by any change to what
/// the public can read, in the same transaction.
pub async fn public_generation<C: sea_orm::ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let statement = sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT generation FROM public_generation WHERE id = 1",
    );
    let row = db.query_one_raw(statement).await?.ok_or_else(|| DbErr::RecordNotFound("public_generation".into()))?;
    row.try_get_by_index(0)
}

/// The tables whose rows people wrote (not the vocabulary the migrations seed), with how many
/// rows each holds, leaving out empty and absent ones: what rolling every migration back would
/// destroy.
pub async fn records_held<C: sea_orm::ConnectionTrait>(db: &C) -> Result<Vec<(&'static str, i64)>, DbErr> {
    let backend = db.get_database_backend();
    // The catalogue says which tables exist; a table the migrations have not created yet holds
    // nothing. Every other failure (a permission refused, the connection lost) is an error:
    // read as "empty", it would let `migrate down` drop what it could not count.
    let existing = match backend {
        DatabaseBackend::Postgres => {
            "SELECT tablename AS name FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table'",
    };
    let existing: std::collections::HashSet<String> = db
        .query_all_raw(sea_orm::Statement::from_string(backend, existing))
        .await?
        .iter()
        .map(|row| row.try_get::<String>("", "name"))
        .collect::<Result<_, _>>()?;
    let mut held = Vec::new();
    for table in ["facts", "actors", "sources", "users", "api_keys"] {
        if !existing.contains(table) {
            continue;
        }
        let statement = sea_orm::Statement::from_string(backend, format!("SELECT COUNT(*) FROM {table}"));
        let row = db.query_one_raw(statement).await?.ok_or_else(|| DbErr::RecordNotFound(table.to_owned()))?;
        let count: i64 = row.try_get_by_index(0)?;
        if count > 0 {
            held.push((table, count));
        }
    }
    Ok(held)
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
    fn lists_of_ids_of_any_length_are_a_few_statements() {
        use sea_orm::sea_query::{Alias, Asterisk, PostgresQueryBuilder, Query, SqliteQueryBuilder};
        let statement = |backend, n: usize| {
            let ids: Vec<uuid::Uuid> = (0..n).map(|_| uuid::Uuid::now_v7()).collect();
            let query = Query::select()
                .column(Asterisk)
                .from(Alias::new("sources"))
                .and_where(among_ids(backend, Expr::col(Alias::new("id")), &ids))
                .to_owned();
            match backend {
                DatabaseBackend::Postgres => query.build(PostgresQueryBuilder),
                _ => query.build(SqliteQueryBuilder),
            }
        };
        let (one, values) = statement(DatabaseBackend::Postgres, 1);
        assert_eq!(values.0.len(), 1, "one array parameter: {one}");
        assert_eq!(statement(DatabaseBackend::Postgres, 700).0, one);
        let (three, values) = statement(DatabaseBackend::Sqlite, 3);
        assert_eq!(values.0.len(), 4, "padded to a power of two");
        assert_eq!(statement(DatabaseBackend::Sqlite, 4).0, three);
        let lengths: std::collections::HashSet<String> =
            (1..=1000).map(|n| statement(DatabaseBackend::Sqlite, n).0).collect();
        assert_eq!(lengths.len(), 11, "1, 2, 4, …, 1024");
    }

    #[test]
    fn tls_follows_the_url_and_is_off_for_a_database_on_this_machine() {
        let off = |url| matches!(default_tls(url), Some(PgSslMode::Disable));
        assert!(off("postgres://postgres@127.0.0.1:5432/chancery"));
        assert!(off("postgres://postgres@localhost/chancery"));
        assert!(off("postgresql://postgres@[::1]:5432/chancery"));
        assert!(off("postgres:///chancery?host=/var/run/postgresql"));
        assert!(default_tls("postgres://db.example.org/chancery").is_none(), "sqlx's prefer");
        assert!(default_tls("postgres://127.0.0.1/chancery?sslmode=require").is_none(), "the URL decides");
        assert!(default_tls("sqlite://chancery.db?mode=rwc").is_none());
    }

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
