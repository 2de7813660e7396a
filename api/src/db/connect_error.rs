//! Why the store could not be opened, said once: what failed, where, and what to do.
//!
//! The driver's own errors repeat themselves through their source chain ("… at line 768: …
//! at line 768"), name neither the file nor the server, and a refused Postgres connection
//! surfaces only as "pool timed out". A person starting the server needs the opposite, and must
//! never see the password the URL may carry: only the scheme, host, port, database and user
//! appear here.
use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

/// The store could not be opened. Its message is complete on its own (no source chain).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

impl ConnectError {
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// The URL names neither Postgres nor SQLite.
pub fn unsupported_scheme(url: &str) -> ConnectError {
    let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
    let shown = if scheme.is_empty() { "no scheme".to_owned() } else { format!("`{scheme}:`") };
    ConnectError(format!(
        "the database URL (--database-url, DATABASE_URL) must start with postgres:// or sqlite://, not {shown}; \
         e.g. sqlite://chancery.db or postgres://chancery:PASSWORD@localhost:5432/chancery"
    ))
}

/// Creating the embedded database file (or a file beside it) failed.
pub fn sqlite_file_failure(what: &str, path: &Path, error: &std::io::Error) -> ConnectError {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let advice = match error.kind() {
        std::io::ErrorKind::NotFound => format!(
            "the directory {} does not exist: create it (mkdir -p {}) or choose another --database-url",
            directory.display(),
            directory.display()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "this user may not write in {}: choose a writable directory in --database-url or change its permissions",
            directory.display()
        ),
        std::io::ErrorKind::ReadOnlyFilesystem => {
            format!("{} is on a read-only file system: choose another --database-url", directory.display())
        }
        _ => format!("{error}"),
    };
    ConnectError(format!("cannot create {what} {}: {advice}", path.display()))
}

/// Where a database URL points, without its password.
struct Target {
    postgres: bool,
    /// `host:port` for Postgres, the file for SQLite.
    place: String,
    host: String,
    port: u16,
    database: String,
    user: String,
}

impl Target {
    fn of(url: &str) -> Self {
        if let Some(file) = super::sqlite_file(url) {
            return Self {
                postgres: false,
                place: file.display().to_string(),
                host: String::new(),
                port: 0,
                database: String::new(),
                user: String::new(),
            };
        }
        let parsed = url::Url::parse(url).ok();
        let query = |key: &str| {
            parsed.as_ref().and_then(|url| url.query_pairs().find(|(name, _)| name == key).map(|(_, v)| v.into_owned()))
        };
        let host = parsed
            .as_ref()
            .and_then(|url| url.host_str().filter(|host| !host.is_empty()).map(str::to_owned))
            .or_else(|| query("host"))
            .unwrap_or_else(|| "localhost".to_owned());
        let port = parsed.as_ref().and_then(url::Url::port).unwrap_or(5432);
        let user = parsed
            .as_ref()
            .map(|url| url.username().to_owned())
            .filter(|user| !user.is_empty())
            .unwrap_or_else(|| "the current user's name".to_owned());
        let database = parsed
            .as_ref()
            .map(|url| url.path().trim_start_matches('/').to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| user.clone());
        let place = if host.starts_with('/') { format!("socket {host}") } else { format!("{host}:{port}") };
        Self { postgres: url.starts_with("postgres"), place, host, port, database, user }
    }
}

/// Explains a failure of `Database::connect` for `url`.
pub async fn explain(url: &str, error: DbErr, acquire_timeout: Duration) -> ConnectError {
    let target = Target::of(url);
    let sqlx_error = match &error {
        DbErr::Conn(RuntimeErr::SqlxError(inner)) | DbErr::Exec(RuntimeErr::SqlxError(inner)) => Some(inner.clone()),
        _ => None,
    };
    let Some(sqlx_error) = sqlx_error else {
        return ConnectError(format!("cannot open the database at {}: {error}", target.place));
    };
    if !target.postgres {
        let reason = match &*sqlx_error {
            sqlx::Error::Database(database) => database.message().to_owned(),
            other => other.to_string(),
        };
        return ConnectError(format!(
            "cannot open the SQLite database {}: {reason}; check that the file is a Chancery database and that \
             this user may read and write it and its directory",
            target.place
        ));
    }
    let Target { place, host, port, database, user, .. } = &target;
    let message = match &*sqlx_error {
        sqlx::Error::Database(refusal) => {
            let code = refusal.code().map(|code| code.into_owned()).unwrap_or_default();
            match code.as_str() {
                // invalid_catalog_name
                "3D000" => format!(
                    "Postgres at {place} has no database \"{database}\": create it as a superuser \
                     (CREATE DATABASE {database} OWNER {user};) or correct the database in --database-url"
                ),
                // invalid_password
                "28P01" => format!(
                    "Postgres at {place} refused the password for user \"{user}\": correct it in --database-url \
                     (DATABASE_URL), or in the pgpass file (PGPASSFILE) when the URL has none"
                ),
                // invalid_authorization_specification: no such role, or not allowed to log in here
                "28000" => format!(
                    "Postgres at {place} refused user \"{user}\": {}. Create the role as a superuser \
                     (CREATE ROLE {user} LOGIN PASSWORD '…';), or correct the user in --database-url",
                    refusal.message()
                ),
                // too_many_connections
                "53300" => format!(
                    "Postgres at {place} has no connection left ({}): lower --db-max-connections or raise the \
                     server's max_connections",
                    refusal.message()
                ),
                _ => format!("Postgres at {place} refused the connection: {} (SQLSTATE {code})", refusal.message()),
            }
        }
        sqlx::Error::Io(io) => format!(
            "cannot reach Postgres at {place}: {io}; is the server running and listening there? \
             (--database-url, DATABASE_URL)"
        ),
        sqlx::Error::Tls(tls) => format!(
            "the TLS handshake with Postgres at {place} failed: {tls}; set sslmode in --database-url \
             (sslmode=disable turns TLS off, sslmode=require insists on it)"
        ),
        sqlx::Error::Configuration(reason) => format!("the Postgres URL in --database-url is not valid: {reason}"),
        sqlx::Error::PoolTimedOut => {
            // sqlx retried until the acquire timeout and kept no reason: ask the network why.
            let reason = match tokio::time::timeout(
                Duration::from_secs(2),
                tokio::net::TcpStream::connect((host.as_str(), *port)),
            )
            .await
            {
                _ if host.starts_with('/') => "no session could be opened on that socket".to_owned(),
                Ok(Err(io)) => io.to_string(),
                Err(_) => "the server does not answer (a firewall, or a wrong host?)".to_owned(),
                Ok(Ok(_)) => "the server accepts connections but opened no session".to_owned(),
            };
            format!(
                "cannot reach Postgres at {place} within {} s: {reason}; is the server running and listening \
                 there? (--database-url, DATABASE_URL; --db-acquire-timeout-secs)",
                acquire_timeout.as_secs()
            )
        }
        other => format!("cannot connect to Postgres at {place}: {other}"),
    };
    ConnectError(message)
}
