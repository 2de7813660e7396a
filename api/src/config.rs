//! Configuration: every setting is a flag and an environment variable, with defaults that
//! start a working server on the embedded SQLite store.
use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Chancery: a curated, sourced fact store for international relations, served over GraphQL.
#[derive(Debug, Parser)]
#[command(name = "chancery", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub log: LogConfig,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default command).
    Serve(ServeConfig),
    /// Load the demo dataset (idempotent) and exit.
    Demo,
    /// Print the GraphQL schema (SDL) and exit.
    Schema,
    /// Apply or roll back migrations.
    Migrate {
        #[arg(value_enum, default_value_t = MigrateDirection::Up)]
        direction: MigrateDirection,
    },
    /// Recompute the revision hash chain and report the first revision that does not match.
    VerifyHistory,
    /// Probe a running server's readiness endpoint (used by container health checks).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080/readyz")]
        url: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MigrateDirection {
    /// Apply every pending migration.
    Up,
    /// Roll back every migration.
    Down,
}

/// Where the store is and how the pool behaves.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Database URL: `postgres://…` for production, `sqlite://file.db` for the embedded store.
    #[arg(long = "database-url", env = "DATABASE_URL", default_value = "sqlite://chancery.db")]
    pub url: String,
    /// Largest number of pooled connections.
    #[arg(long = "db-max-connections", env = "CHANCERY_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub max_connections: u32,
    /// Connections kept open when idle.
    #[arg(long = "db-min-connections", env = "CHANCERY_DB_MIN_CONNECTIONS", default_value_t = 1)]
    pub min_connections: u32,
    /// Seconds to wait for a pooled connection before failing the request.
    #[arg(long = "db-acquire-timeout-secs", env = "CHANCERY_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 5)]
    pub acquire_timeout_secs: u64,
    /// Seconds an idle connection is kept.
    #[arg(long = "db-idle-timeout-secs", env = "CHANCERY_DB_IDLE_TIMEOUT_SECS", default_value_t = 600)]
    pub idle_timeout_secs: u64,
    /// Seconds after which a connection is replaced.
    #[arg(long = "db-max-lifetime-secs", env = "CHANCERY_DB_MAX_LIFETIME_SECS", default_value_t = 1800)]
    pub max_lifetime_secs: u64,
    /// Postgres `statement_timeout` in milliseconds (0 disables it).
    #[arg(long = "db-statement-timeout-ms", env = "CHANCERY_DB_STATEMENT_TIMEOUT_MS", default_value_t = 10_000)]
    pub statement_timeout_ms: u64,
}

impl DatabaseConfig {
    /// The configuration the tests and the defaults share, pointing at `url`.
    pub fn for_url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            min_connections: 1,
            acquire_timeout_secs: 5,
            idle_timeout_secs: 600,
            max_lifetime_secs: 1800,
            statement_timeout_ms: 10_000,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct LogConfig {
    /// Log filter, e.g. `info` or `chancery=debug,tower_http=info`.
    #[arg(long = "log-level", env = "CHANCERY_LOG", default_value = "info")]
    pub level: String,
    /// Log line format.
    #[arg(long = "log-format", env = "CHANCERY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub format: LogFormat,
}

/// The HTTP server's settings.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "CHANCERY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Load the demo dataset before serving (idempotent).
    #[arg(long, env = "CHANCERY_DEMO")]
    pub demo: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long = "body-limit-bytes", env = "CHANCERY_BODY_LIMIT_BYTES", default_value_t = 64 * 1024)]
    pub body_limit_bytes: usize,
    /// Seconds a request may run before it is answered with a timeout.
    #[arg(long = "request-timeout-secs", env = "CHANCERY_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long = "shutdown-grace-secs", env = "CHANCERY_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
    /// Serve introspection queries (disable in production if the schema should not be browsable).
    #[arg(long = "introspection", env = "CHANCERY_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            demo: false,
            body_limit_bytes: 64 * 1024,
            request_timeout_secs: 30,
            shutdown_grace_secs: 20,
            introspection: true,
        }
    }
}
