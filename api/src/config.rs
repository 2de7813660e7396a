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
    Serve(Box<ServeConfig>),
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
    VerifyHistory {
        /// A head published earlier by `historyHead`, as `<sequence>:<hash>`: also prove that
        /// the current log extends it (that revision is still there, unchanged).
        #[arg(long, value_name = "SEQUENCE:HASH")]
        since_head: Option<crate::domain::history::SeenHead>,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Probe a running server's readiness endpoint (used by container health checks).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080/readyz")]
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input (one line) when it is not
    /// a terminal; otherwise a strong one is generated and printed once.
    Create {
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// EDITOR, REVIEWER or ADMIN.
        #[arg(long, value_parser = parse_role)]
        role: entity::enums::UserRole,
        /// Name shown to colleagues (defaults to the part of the email before `@`).
        #[arg(long)]
        name: Option<String>,
    },
}

fn parse_role(value: &str) -> Result<entity::enums::UserRole, String> {
    use entity::enums::UserRole;
    match value.to_ascii_uppercase().as_str() {
        "EDITOR" => Ok(UserRole::Editor),
        "REVIEWER" => Ok(UserRole::Reviewer),
        "ADMIN" => Ok(UserRole::Admin),
        other => Err(format!("unknown role `{other}`: use EDITOR, REVIEWER or ADMIN")),
    }
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
    /// Serve introspection to callers without a token (off hides the schema from the public).
    #[arg(long = "anonymous-introspection", env = "CHANCERY_ANONYMOUS_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub anonymous_introspection: bool,
    /// Suggest field names in validation errors ("did you mean …").
    #[arg(long = "suggestions", env = "CHANCERY_SUGGESTIONS", default_value_t = true, action = clap::ArgAction::Set)]
    pub suggestions: bool,
    /// Origins allowed to call the API from a browser, comma-separated (empty: no CORS).
    #[arg(long = "cors-origins", env = "CHANCERY_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// GraphQL requests served at once; beyond it the answer is 503 with Retry-After.
    #[arg(long = "max-in-flight", env = "CHANCERY_MAX_IN_FLIGHT", default_value_t = 512)]
    pub max_in_flight: usize,
    /// GraphQL requests per minute per token (or per client address without one); 0 is no limit.
    #[arg(long = "rate-limit-per-minute", env = "CHANCERY_RATE_LIMIT_PER_MINUTE", default_value_t = 1200)]
    pub rate_limit_per_minute: u32,
    /// Longest query text accepted, in bytes.
    #[arg(long = "max-query-bytes", env = "CHANCERY_MAX_QUERY_BYTES", default_value_t = 16 * 1024)]
    pub max_query_bytes: usize,
    /// Most fields a query may select once its fragments are expanded.
    #[arg(long = "max-query-fields", env = "CHANCERY_MAX_QUERY_FIELDS", default_value_t = 2_000)]
    pub max_query_fields: u64,
    /// Most aliased fields in a query (`__typename` included).
    #[arg(long = "max-query-aliases", env = "CHANCERY_MAX_QUERY_ALIASES", default_value_t = 50)]
    pub max_query_aliases: u64,
    /// Deepest nesting of a query's selections.
    #[arg(long = "max-query-depth", env = "CHANCERY_MAX_QUERY_DEPTH", default_value_t = 16)]
    pub max_query_depth: u64,
    /// Most directives on one selection.
    #[arg(long = "max-query-directives", env = "CHANCERY_MAX_QUERY_DIRECTIVES", default_value_t = 4)]
    pub max_query_directives: usize,
    /// Most lexical tokens in a query, counted before it is parsed.
    #[arg(long = "max-query-tokens", env = "CHANCERY_MAX_QUERY_TOKENS", default_value_t = 4_000)]
    pub max_query_tokens: usize,
    /// Deepest nesting of list and object values, in a query's text and in its variables.
    #[arg(long = "max-value-depth", env = "CHANCERY_MAX_VALUE_DEPTH", default_value_t = 32)]
    pub max_value_depth: usize,
    /// Largest answer to one request, in bytes of text (the data is discarded beyond it).
    #[arg(long = "max-response-bytes", env = "CHANCERY_MAX_RESPONSE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_response_bytes: usize,
    /// Seconds a client has to send a request's headers; an idle keep-alive connection is
    /// closed after as long.
    #[arg(long = "header-read-timeout-secs", env = "CHANCERY_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Seconds an answer may wait on a client that takes none of it; the connection is then closed.
    #[arg(long = "response-write-timeout-secs", env = "CHANCERY_RESPONSE_WRITE_TIMEOUT_SECS", default_value_t = 30)]
    pub response_write_timeout_secs: u64,
    /// Seconds a client has to send a request's whole body.
    #[arg(long = "body-read-timeout-secs", env = "CHANCERY_BODY_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub body_read_timeout_secs: u64,
    /// Slowest average rate a body may arrive at, in bytes per second, after its first second (0: none).
    #[arg(long = "body-min-bytes-per-sec", env = "CHANCERY_BODY_MIN_BYTES_PER_SEC", default_value_t = 1024)]
    pub body_min_bytes_per_sec: u64,
    /// Open connections at once (default: 4,096, or fewer when the open-file limit is lower).
    #[arg(long = "max-connections", env = "CHANCERY_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Open connections at once from one client address (an IPv6 /64 counts as one); 0 is no limit.
    #[arg(long = "max-connections-per-address", env = "CHANCERY_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 64)]
    pub max_connections_per_address: usize,
    #[command(flatten)]
    pub auth: AuthConfig,
    #[command(flatten)]
    pub throttle: ThrottleConfig,
}

impl ServeConfig {
    /// The query cost limits this configuration sets.
    pub fn cost_limits(&self) -> crate::graphql::cost::CostLimits {
        crate::graphql::cost::CostLimits {
            max_bytes: self.max_query_bytes,
            max_fields: self.max_query_fields,
            max_aliases: self.max_query_aliases,
            max_depth: self.max_query_depth,
            max_directives: self.max_query_directives,
            max_tokens: self.max_query_tokens,
            max_value_depth: self.max_value_depth,
        }
    }
}

/// Access tokens and the optional external identity provider.
#[derive(Debug, Clone, Args, Default)]
pub struct AuthConfig {
    /// Secret that signs access tokens (at least 32 bytes). Required on Postgres; on the
    /// embedded default one is generated and kept beside the database file.
    #[arg(long = "jwt-secret", env = "CHANCERY_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of an access token, in seconds.
    #[arg(long = "token-ttl-secs", env = "CHANCERY_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub token_ttl_secs: i64,
    /// `iss` of issued tokens.
    #[arg(long = "token-issuer", env = "CHANCERY_TOKEN_ISSUER", default_value = "chancery")]
    pub token_issuer: String,
    /// `aud` of issued tokens.
    #[arg(long = "token-audience", env = "CHANCERY_TOKEN_AUDIENCE", default_value = "chancery-api")]
    pub token_audience: String,
    /// Clock leeway for `exp` and `nbf`, in seconds (at most 30).
    #[arg(long = "token-leeway-secs", env = "CHANCERY_TOKEN_LEEWAY_SECS", default_value_t = 30)]
    pub token_leeway_secs: u64,
    /// JWK set (JSON file) of an external identity provider whose RS256/EdDSA tokens are accepted.
    #[arg(long = "external-jwks-file", env = "CHANCERY_EXTERNAL_JWKS_FILE")]
    pub external_jwks_file: Option<std::path::PathBuf>,
    /// Required `iss` of external tokens.
    #[arg(long = "external-issuer", env = "CHANCERY_EXTERNAL_ISSUER", default_value = "")]
    pub external_issuer: String,
    /// Required `aud` of external tokens.
    #[arg(long = "external-audience", env = "CHANCERY_EXTERNAL_AUDIENCE", default_value = "chancery-api")]
    pub external_audience: String,
    /// Claim of external tokens that carries the role(s).
    #[arg(long = "external-role-claim", env = "CHANCERY_EXTERNAL_ROLE_CLAIM", default_value = "roles")]
    pub external_role_claim: String,
    /// Claim value to role, e.g. `chancery-editor=EDITOR,chancery-reviewer=REVIEWER`.
    #[arg(long = "external-role-map", env = "CHANCERY_EXTERNAL_ROLE_MAP", default_value = "")]
    pub external_role_map: String,
}

/// Who the client is behind proxies, where throttle counts are kept, and the login limits.
#[derive(Debug, Clone, Args)]
pub struct ThrottleConfig {
    /// Reverse proxies (comma-separated CIDRs) whose `X-Forwarded-For` / `Forwarded` headers
    /// name the client; from any other peer they are ignored (empty: the peer is the client).
    #[arg(long = "trusted-proxies", env = "CHANCERY_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: crate::throttling::TrustedProxies,
    /// Redis URL (`redis://host:6379/0`) where every server process keeps its throttle and
    /// rate-limit counts; without it they are kept in Postgres, or in memory on the embedded store.
    #[arg(long = "redis-url", env = "CHANCERY_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Failed logins per account from one client address before that pair is locked (15 min).
    #[arg(
        long = "login-failures-per-account-and-address",
        env = "CHANCERY_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS",
        default_value_t = 5
    )]
    pub login_failures_per_account_and_address: u32,
    /// Failed logins from one client address, for any accounts, before it is locked (15 min).
    #[arg(long = "login-failures-per-address", env = "CHANCERY_LOGIN_FAILURES_PER_ADDRESS", default_value_t = 20)]
    pub login_failures_per_address: u32,
    /// Failed logins per account from addresses it has not signed in from before further
    /// attempts from those are refused (15 min); past 10 each attempt is delayed, doubling.
    #[arg(long = "login-failures-per-account", env = "CHANCERY_LOGIN_FAILURES_PER_ACCOUNT", default_value_t = 100)]
    pub login_failures_per_account: u32,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Default::default(),
            redis_url: None,
            login_failures_per_account_and_address: 5,
            login_failures_per_address: 20,
            login_failures_per_account: 100,
        }
    }
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
            anonymous_introspection: true,
            suggestions: true,
            cors_origins: String::new(),
            max_in_flight: 512,
            rate_limit_per_minute: 1200,
            max_query_bytes: 16 * 1024,
            max_query_fields: 2_000,
            max_query_aliases: 50,
            max_query_depth: 16,
            max_query_directives: 4,
            max_query_tokens: 4_000,
            max_value_depth: 32,
            max_response_bytes: 16 * 1024 * 1024,
            header_read_timeout_secs: 10,
            response_write_timeout_secs: 30,
            body_read_timeout_secs: 10,
            body_min_bytes_per_sec: 1024,
            max_connections: None,
            max_connections_per_address: 64,
            auth: AuthConfig {
                token_ttl_secs: 3600,
                token_issuer: "chancery".into(),
                token_audience: "chancery-api".into(),
                token_leeway_secs: 30,
                external_audience: "chancery-api".into(),
                external_role_claim: "roles".into(),
                ..AuthConfig::default()
            },
            throttle: ThrottleConfig::default(),
        }
    }
}
