//! Configuration: every setting is a flag and an environment variable, with defaults that
//! start a working server on the embedded SQLite store.
use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

// Every default, written once: the flags and the `Default` implementations both use these.
pub const DEFAULT_BODY_LIMIT_BYTES: usize = 64 * 1024;
pub const DEFAULT_RESPONSE_CACHE_BYTES: usize = 32 * 1024 * 1024;
pub const DEFAULT_API_KEY_RECHECK_SECS: u64 = 5;
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 20;
pub const DEFAULT_MAX_IN_FLIGHT: usize = 512;
/// Bulk exports streamed at once: each keeps a slot for its whole download.
pub const DEFAULT_MAX_CONCURRENT_EXPORTS: usize = 4;
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 1200;
pub const DEFAULT_MAX_QUERY_BYTES: usize = 16 * 1024;
pub const DEFAULT_MAX_QUERY_FIELDS: u64 = 2_000;
pub const DEFAULT_MAX_QUERY_ALIASES: u64 = 50;
pub const DEFAULT_MAX_QUERY_DEPTH: u64 = 16;
pub const DEFAULT_MAX_QUERY_DIRECTIVES: usize = 4;
pub const DEFAULT_MAX_QUERY_TOKENS: usize = 4_000;
pub const DEFAULT_MAX_VALUE_DEPTH: usize = 32;
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_RESPONSE_WRITE_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_BODY_READ_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_BODY_MIN_BYTES_PER_SEC: u64 = 1024;
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
pub const DEFAULT_MAX_WEBSOCKETS_PER_ADDRESS: usize = 16;
pub const DEFAULT_MAX_WEBSOCKETS: usize = 2_048;
pub const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 32;
pub const DEFAULT_SUBSCRIPTION_BUFFER: usize = 256;
pub const DEFAULT_SUBSCRIPTION_STALL_SECS: u64 = 10;
pub const DEFAULT_WEBSOCKET_PING_SECS: u64 = 15;
pub const DEFAULT_WEBSOCKET_IDLE_TIMEOUT_SECS: u64 = 45;
pub const DEFAULT_WEBSOCKET_INIT_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_SUBSCRIPTION_POLL_MS: u64 = 2_000;
pub const DEFAULT_TOKEN_TTL_SECS: i64 = 3600;
pub const DEFAULT_TOKEN_LEEWAY_SECS: u64 = 30;
pub const DEFAULT_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS: u32 = 5;
pub const DEFAULT_LOGIN_FAILURES_PER_ADDRESS: u32 = 20;
pub const DEFAULT_LOGIN_FAILURES_PER_ACCOUNT: u32 = 100;
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 10;
pub const DEFAULT_DB_MIN_CONNECTIONS: u32 = 1;
pub const DEFAULT_DB_ACQUIRE_TIMEOUT_SECS: u64 = 5;
pub const DEFAULT_DB_IDLE_TIMEOUT_SECS: u64 = 600;
pub const DEFAULT_DB_MAX_LIFETIME_SECS: u64 = 1800;
pub const DEFAULT_DB_STATEMENT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_TOKEN_ISSUER: &str = "chancery";
pub const DEFAULT_TOKEN_AUDIENCE: &str = "chancery-api";
pub const DEFAULT_EXTERNAL_ROLE_CLAIM: &str = "roles";
pub const DEFAULT_SEED_FACTS: u64 = 10_000;
pub const MAX_SEED_FACTS: u64 = 10_000_000;

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
        #[arg(long, value_name = "SEQUENCE:HASH", value_parser = parse_head)]
        since_head: Option<HeadSpec>,
    },
    /// Write a synthetic dataset of N facts (with actors, sources, citations and history) into a
    /// migrated database, after the demo; refused where a seed was already written.
    Seed {
        /// How many facts to write (1 to 10,000,000).
        #[arg(long, value_name = "N", default_value_t = DEFAULT_SEED_FACTS, value_parser = parse_fact_count, allow_negative_numbers = true)]
        facts: u64,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the API keys of clients (each with its own request rate).
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Probe a running server's readiness endpoint (used by container health checks).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080/readyz")]
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; it is printed once (only its SHA-256 is stored).
    Create {
        /// Name shown in logs and metrics (a-z, 0-9, `-`, `_`, `.`).
        #[arg(long)]
        name: String,
        /// Requests per minute (0: no limit).
        #[arg(long = "rate-per-minute", allow_negative_numbers = true)]
        rate_per_minute: Option<i32>,
    },
    /// List every key: name, prefix, rate, state.
    List,
    /// Revoke the key named NAME.
    Revoke {
        /// The key's name.
        name: String,
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
    /// List every account: global id, email, role, and whether it is active.
    List,
    /// Change an account's role; its existing tokens are revoked.
    SetRole {
        /// Sign-in email of the account.
        #[arg(long)]
        email: String,
        /// EDITOR, REVIEWER or ADMIN.
        #[arg(long, value_parser = parse_role)]
        role: entity::enums::UserRole,
    },
    /// Deactivate an account; its existing tokens are revoked and it can no longer sign in.
    Deactivate {
        /// Sign-in email of the account.
        #[arg(long)]
        email: String,
    },
}

/// A head of the revision log as `historyHead` reports it: the revision at `sequence` had `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadSpec {
    pub sequence: i64,
    pub hash: String,
}

/// Parses `<sequence>:<hash>`.
fn parse_head(text: &str) -> Result<HeadSpec, String> {
    let (sequence, hash) = text.split_once(':').ok_or("a head reads <sequence>:<hash>")?;
    let sequence = sequence.trim().parse::<i64>().map_err(|_| "the sequence is not a number")?;
    let hash = hash.trim().to_ascii_lowercase();
    if sequence < 0 {
        return Err("the sequence is negative".into());
    }
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the hash is not 64 hexadecimal digits".into());
    }
    Ok(HeadSpec { sequence, hash })
}

/// A number of facts to seed: 1 to `MAX_SEED_FACTS`.
fn parse_fact_count(text: &str) -> Result<u64, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_SEED_FACTS as i64).contains(&n) => Ok(n as u64),
        Ok(_) => Err(format!("the number of facts must be from 1 to {MAX_SEED_FACTS}")),
        Err(_) => Err("the number of facts must be a whole number, e.g. 10000".into()),
    }
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

/// Where the store is and how the pool behaves. Its flags, like the log flags, are global: they
/// may come before or after the subcommand (`chancery serve --database-url …`); their ids are
/// prefixed so that they cannot clash with a subcommand's own (`serve --max-connections`).
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Database URL: `postgres://…` for production, `sqlite://file.db` for the embedded store.
    #[arg(
        id = "database_url",
        value_name = "URL",
        global = true,
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "sqlite://chancery.db"
    )]
    pub url: String,
    /// A Postgres streaming replica of that database: anonymous queries read from it; writes,
    /// and every signed-in caller's reads, go to the primary (so a caller always reads its own
    /// writes).
    #[arg(
        id = "database_read_url",
        value_name = "URL",
        global = true,
        long = "database-read-url",
        env = "DATABASE_READ_URL"
    )]
    pub read_url: Option<String>,
    /// Largest number of pooled connections.
    #[arg(id = "database_max_connections", value_name = "N", global = true, long = "db-max-connections", env = "CHANCERY_DB_MAX_CONNECTIONS", default_value_t = DEFAULT_DB_MAX_CONNECTIONS)]
    pub max_connections: u32,
    /// Connections kept open when idle.
    #[arg(id = "database_min_connections", value_name = "N", global = true, long = "db-min-connections", env = "CHANCERY_DB_MIN_CONNECTIONS", default_value_t = DEFAULT_DB_MIN_CONNECTIONS)]
    pub min_connections: u32,
    /// Seconds to wait for a pooled connection before failing the request.
    #[arg(id = "database_acquire_timeout_secs", value_name = "SECS", global = true, long = "db-acquire-timeout-secs", env = "CHANCERY_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = DEFAULT_DB_ACQUIRE_TIMEOUT_SECS)]
    pub acquire_timeout_secs: u64,
    /// Seconds an idle connection is kept.
    #[arg(id = "database_idle_timeout_secs", value_name = "SECS", global = true, long = "db-idle-timeout-secs", env = "CHANCERY_DB_IDLE_TIMEOUT_SECS", default_value_t = DEFAULT_DB_IDLE_TIMEOUT_SECS)]
    pub idle_timeout_secs: u64,
    /// Seconds after which a connection is replaced.
    #[arg(id = "database_max_lifetime_secs", value_name = "SECS", global = true, long = "db-max-lifetime-secs", env = "CHANCERY_DB_MAX_LIFETIME_SECS", default_value_t = DEFAULT_DB_MAX_LIFETIME_SECS)]
    pub max_lifetime_secs: u64,
    /// Postgres `statement_timeout` in milliseconds (0 disables it).
    #[arg(id = "database_statement_timeout_ms", value_name = "MS", global = true, long = "db-statement-timeout-ms", env = "CHANCERY_DB_STATEMENT_TIMEOUT_MS", default_value_t = DEFAULT_DB_STATEMENT_TIMEOUT_MS)]
    pub statement_timeout_ms: u64,
}

impl DatabaseConfig {
    /// The configuration the tests and the defaults share, pointing at `url`.
    pub fn for_url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            read_url: None,
            max_connections: DEFAULT_DB_MAX_CONNECTIONS,
            min_connections: DEFAULT_DB_MIN_CONNECTIONS,
            acquire_timeout_secs: DEFAULT_DB_ACQUIRE_TIMEOUT_SECS,
            idle_timeout_secs: DEFAULT_DB_IDLE_TIMEOUT_SECS,
            max_lifetime_secs: DEFAULT_DB_MAX_LIFETIME_SECS,
            statement_timeout_ms: DEFAULT_DB_STATEMENT_TIMEOUT_MS,
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
    #[arg(
        id = "log_level",
        value_name = "FILTER",
        global = true,
        long = "log-level",
        env = "CHANCERY_LOG",
        default_value = "info"
    )]
    pub level: String,
    /// Log line format.
    #[arg(id = "log_format", value_name = "FORMAT", global = true, long = "log-format", env = "CHANCERY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
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
    #[arg(long = "body-limit-bytes", env = "CHANCERY_BODY_LIMIT_BYTES", default_value_t = DEFAULT_BODY_LIMIT_BYTES)]
    pub body_limit_bytes: usize,
    /// Seconds a request may run before it is answered with a timeout.
    #[arg(long = "request-timeout-secs", env = "CHANCERY_REQUEST_TIMEOUT_SECS", default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS)]
    pub request_timeout_secs: u64,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long = "shutdown-grace-secs", env = "CHANCERY_SHUTDOWN_GRACE_SECS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace_secs: u64,
    /// Serve introspection queries (disable in production if the schema should not be browsable).
    #[arg(long = "introspection", env = "CHANCERY_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub introspection: bool,
    /// Serve introspection to callers without a token (off hides the schema from the public).
    #[arg(long = "anonymous-introspection", env = "CHANCERY_ANONYMOUS_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub anonymous_introspection: bool,
    /// Suggest field names in validation errors ("did you mean …").
    #[arg(long = "suggestions", env = "CHANCERY_SUGGESTIONS", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub suggestions: bool,
    /// Origins allowed to call the API from a browser, comma-separated (empty: no CORS).
    #[arg(long = "cors-origins", env = "CHANCERY_CORS_ORIGINS", default_value = "")]
    pub cors_origins: AllowedOrigins,
    /// GraphQL requests served at once; beyond it the answer is 503 with Retry-After.
    #[arg(long = "max-in-flight", env = "CHANCERY_MAX_IN_FLIGHT", default_value_t = DEFAULT_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
    /// Bulk exports (`/export/…`) streamed at once; beyond it the answer is 503 with Retry-After.
    #[arg(long = "max-concurrent-exports", env = "CHANCERY_MAX_CONCURRENT_EXPORTS", default_value_t = DEFAULT_MAX_CONCURRENT_EXPORTS)]
    pub max_concurrent_exports: usize,
    /// GraphQL requests per minute per token (or per client address without one); 0 is no limit.
    #[arg(long = "rate-limit-per-minute", env = "CHANCERY_RATE_LIMIT_PER_MINUTE", default_value_t = DEFAULT_RATE_LIMIT_PER_MINUTE)]
    pub rate_limit_per_minute: u32,
    /// Longest query text accepted, in bytes.
    #[arg(long = "max-query-bytes", env = "CHANCERY_MAX_QUERY_BYTES", default_value_t = DEFAULT_MAX_QUERY_BYTES)]
    pub max_query_bytes: usize,
    /// Most fields a query may select once its fragments are expanded.
    #[arg(long = "max-query-fields", env = "CHANCERY_MAX_QUERY_FIELDS", default_value_t = DEFAULT_MAX_QUERY_FIELDS)]
    pub max_query_fields: u64,
    /// Most aliased fields in a query (`__typename` included).
    #[arg(long = "max-query-aliases", env = "CHANCERY_MAX_QUERY_ALIASES", default_value_t = DEFAULT_MAX_QUERY_ALIASES)]
    pub max_query_aliases: u64,
    /// Deepest nesting of a query's selections.
    #[arg(long = "max-query-depth", env = "CHANCERY_MAX_QUERY_DEPTH", default_value_t = DEFAULT_MAX_QUERY_DEPTH)]
    pub max_query_depth: u64,
    /// Most directives on one selection.
    #[arg(long = "max-query-directives", env = "CHANCERY_MAX_QUERY_DIRECTIVES", default_value_t = DEFAULT_MAX_QUERY_DIRECTIVES)]
    pub max_query_directives: usize,
    /// Most lexical tokens in a query, counted before it is parsed.
    #[arg(long = "max-query-tokens", env = "CHANCERY_MAX_QUERY_TOKENS", default_value_t = DEFAULT_MAX_QUERY_TOKENS)]
    pub max_query_tokens: usize,
    /// Deepest nesting of list and object values, in a query's text and in its variables.
    #[arg(long = "max-value-depth", env = "CHANCERY_MAX_VALUE_DEPTH", default_value_t = DEFAULT_MAX_VALUE_DEPTH)]
    pub max_value_depth: usize,
    /// Largest answer to one request, in bytes of text (the data is discarded beyond it).
    #[arg(long = "max-response-bytes", env = "CHANCERY_MAX_RESPONSE_BYTES", default_value_t = DEFAULT_MAX_RESPONSE_BYTES)]
    pub max_response_bytes: usize,
    /// Seconds a client has to send a request's headers; an idle keep-alive connection is
    /// closed after as long.
    #[arg(long = "header-read-timeout-secs", env = "CHANCERY_HEADER_READ_TIMEOUT_SECS", default_value_t = DEFAULT_HEADER_READ_TIMEOUT_SECS)]
    pub header_read_timeout_secs: u64,
    /// Seconds an answer may wait on a client that takes none of it; the connection is then closed.
    #[arg(long = "response-write-timeout-secs", env = "CHANCERY_RESPONSE_WRITE_TIMEOUT_SECS", default_value_t = DEFAULT_RESPONSE_WRITE_TIMEOUT_SECS)]
    pub response_write_timeout_secs: u64,
    /// Seconds a client has to send a request's whole body.
    #[arg(long = "body-read-timeout-secs", env = "CHANCERY_BODY_READ_TIMEOUT_SECS", default_value_t = DEFAULT_BODY_READ_TIMEOUT_SECS)]
    pub body_read_timeout_secs: u64,
    /// Slowest average rate a body may arrive at, in bytes per second, after its first second (0: none).
    #[arg(long = "body-min-bytes-per-sec", env = "CHANCERY_BODY_MIN_BYTES_PER_SEC", default_value_t = DEFAULT_BODY_MIN_BYTES_PER_SEC)]
    pub body_min_bytes_per_sec: u64,
    /// Open connections at once (default: 4,096, or fewer when the open-file limit is lower).
    #[arg(long = "max-connections", env = "CHANCERY_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Open connections at once from one client address (an IPv6 /64 counts as one); 0 is no limit.
    #[arg(long = "max-connections-per-address", env = "CHANCERY_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)]
    pub max_connections_per_address: usize,
    /// Cache answers to anonymous queries until the public record changes (ETag, 304).
    #[arg(long = "response-cache", env = "CHANCERY_RESPONSE_CACHE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub response_cache: bool,
    /// Most bytes of answers the response cache holds.
    #[arg(long = "response-cache-bytes", env = "CHANCERY_RESPONSE_CACHE_BYTES", default_value_t = DEFAULT_RESPONSE_CACHE_BYTES)]
    pub response_cache_bytes: usize,
    /// `max-age` in the Cache-Control of cached answers: how long a CDN or browser may serve one
    /// without asking again (0: it asks every time, with the ETag, and gets 304 while unchanged).
    #[arg(long = "cache-max-age-secs", env = "CHANCERY_CACHE_MAX_AGE_SECS", default_value_t = 0)]
    pub cache_max_age_secs: u64,
    /// Seconds a verified API key is trusted before it is looked up again (how long a
    /// revocation may take to reach every server process).
    #[arg(long = "api-key-recheck-secs", env = "CHANCERY_API_KEY_RECHECK_SECS", default_value_t = DEFAULT_API_KEY_RECHECK_SECS)]
    pub api_key_recheck_secs: u64,
    #[command(flatten)]
    pub auth: AuthConfig,
    #[command(flatten)]
    pub throttle: ThrottleConfig,
    #[command(flatten)]
    pub subscriptions: SubscriptionConfig,
}

/// Limits on one query, measured before it runs; every one is a flag of `ServeConfig`.
#[derive(Debug, Clone, Copy)]
pub struct CostLimits {
    /// Longest query text, in bytes.
    pub max_bytes: usize,
    /// Most fields once every fragment is expanded (aliases and `__typename` count).
    pub max_fields: u64,
    /// Most aliased fields, `__typename` included.
    pub max_aliases: u64,
    /// Deepest nesting of selections.
    pub max_depth: u64,
    /// Most directives on one field, fragment spread or inline fragment.
    pub max_directives: usize,
    /// Most lexical tokens (names, values, punctuation), counted before the query is parsed.
    pub max_tokens: usize,
    /// Deepest nesting of list and object values, in the query and in its variables.
    pub max_value_depth: usize,
}

impl Default for CostLimits {
    fn default() -> Self {
        ServeConfig::default().cost_limits()
    }
}

/// The shortest secret that may sign access tokens, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// A secret that signs access tokens: at least `MIN_SECRET_BYTES` bytes, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtSecret(String);

impl JwtSecret {
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSecret(…)")
    }
}

impl std::str::FromStr for JwtSecret {
    type Err = String;

    fn from_str(secret: &str) -> Result<Self, Self::Err> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!("the token secret must be at least {MIN_SECRET_BYTES} bytes"));
        }
        Ok(Self(secret.to_owned()))
    }
}

/// Origins allowed to call the API from a browser, parsed from a comma-separated list.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(pub Vec<axum::http::HeaderValue>);

impl std::str::FromStr for AllowedOrigins {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(|origin| {
                let parsed = url::Url::parse(origin).map_err(|_| format!("`{origin}` is not an origin"))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.path() != "/" && !parsed.path().is_empty() {
                    return Err(format!("`{origin}` is not an origin such as https://app.example"));
                }
                axum::http::HeaderValue::from_str(origin.trim_end_matches('/'))
                    .map_err(|_| format!("`{origin}` is not an origin"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// External role claim values and the roles they grant, parsed from `value=ROLE,…`.
#[derive(Debug, Clone, Default)]
pub struct RoleMap(pub std::collections::HashMap<String, entity::enums::UserRole>);

impl std::str::FromStr for RoleMap {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let mut map = std::collections::HashMap::new();
        for pair in list.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            let (claim, role) =
                pair.split_once('=').ok_or_else(|| "external role map entries look like value=ROLE".to_owned())?;
            let role = match role.trim() {
                "EDITOR" => entity::enums::UserRole::Editor,
                "REVIEWER" => entity::enums::UserRole::Reviewer,
                "ADMIN" => entity::enums::UserRole::Admin,
                other => return Err(format!("unknown role `{other}` in the external role map")),
            };
            map.insert(claim.trim().to_owned(), role);
        }
        Ok(Self(map))
    }
}

/// Address ranges, parsed from comma-separated CIDRs; a bare address is a range of one.
#[derive(Debug, Clone, Default)]
pub struct AddressRanges(pub Vec<ipnet::IpNet>);

impl std::str::FromStr for AddressRanges {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<ipnet::IpNet>()
                    .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        format!("`{item}` is not an address or CIDR range (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)")
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl ServeConfig {
    /// The query cost limits this configuration sets.
    pub fn cost_limits(&self) -> CostLimits {
        CostLimits {
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
    pub jwt_secret: Option<JwtSecret>,
    /// A file holding the token secret (a trailing newline is ignored), for secrets mounted by
    /// an orchestrator (Docker or Kubernetes secrets) rather than passed in the environment.
    #[arg(long = "jwt-secret-file", env = "CHANCERY_JWT_SECRET_FILE", conflicts_with = "jwt_secret")]
    pub jwt_secret_file: Option<std::path::PathBuf>,
    /// Lifetime of an access token, in seconds.
    #[arg(long = "token-ttl-secs", env = "CHANCERY_TOKEN_TTL_SECS", default_value_t = DEFAULT_TOKEN_TTL_SECS)]
    pub token_ttl_secs: i64,
    /// `iss` of issued tokens.
    #[arg(long = "token-issuer", env = "CHANCERY_TOKEN_ISSUER", default_value = DEFAULT_TOKEN_ISSUER)]
    pub token_issuer: String,
    /// `aud` of issued tokens.
    #[arg(long = "token-audience", env = "CHANCERY_TOKEN_AUDIENCE", default_value = DEFAULT_TOKEN_AUDIENCE)]
    pub token_audience: String,
    /// Clock leeway for `exp` and `nbf`, in seconds (at most 30).
    #[arg(long = "token-leeway-secs", env = "CHANCERY_TOKEN_LEEWAY_SECS", default_value_t = DEFAULT_TOKEN_LEEWAY_SECS)]
    pub token_leeway_secs: u64,
    /// JWK set (JSON file) of an external identity provider whose RS256/EdDSA tokens are accepted.
    #[arg(long = "external-jwks-file", env = "CHANCERY_EXTERNAL_JWKS_FILE")]
    pub external_jwks_file: Option<std::path::PathBuf>,
    /// Required `iss` of external tokens.
    #[arg(long = "external-issuer", env = "CHANCERY_EXTERNAL_ISSUER", default_value = "")]
    pub external_issuer: String,
    /// Required `aud` of external tokens.
    #[arg(long = "external-audience", env = "CHANCERY_EXTERNAL_AUDIENCE", default_value = DEFAULT_TOKEN_AUDIENCE)]
    pub external_audience: String,
    /// Claim of external tokens that carries the role(s).
    #[arg(long = "external-role-claim", env = "CHANCERY_EXTERNAL_ROLE_CLAIM", default_value = DEFAULT_EXTERNAL_ROLE_CLAIM)]
    pub external_role_claim: String,
    /// Claim value to role, e.g. `chancery-editor=EDITOR,chancery-reviewer=REVIEWER`.
    #[arg(long = "external-role-map", env = "CHANCERY_EXTERNAL_ROLE_MAP", default_value = "")]
    pub external_role_map: RoleMap,
}

/// Who the client is behind proxies, where throttle counts are kept, and the login limits.
#[derive(Debug, Clone, Args)]
pub struct ThrottleConfig {
    /// Reverse proxies (comma-separated CIDRs) whose `X-Forwarded-For` / `Forwarded` headers
    /// name the client; from any other peer they are ignored (empty: the peer is the client).
    #[arg(long = "trusted-proxies", env = "CHANCERY_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: AddressRanges,
    /// Redis URL (`redis://host:6379/0`) where every server process keeps its throttle and
    /// rate-limit counts; without it they are kept in Postgres, or in memory on the embedded store.
    #[arg(long = "redis-url", env = "CHANCERY_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Failed logins per account from one client address before that pair is locked (15 min).
    #[arg(
        long = "login-failures-per-account-and-address",
        env = "CHANCERY_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS",
        default_value_t = DEFAULT_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS
    )]
    pub login_failures_per_account_and_address: u32,
    /// Failed logins from one client address, for any accounts, before it is locked (15 min).
    #[arg(long = "login-failures-per-address", env = "CHANCERY_LOGIN_FAILURES_PER_ADDRESS", default_value_t = DEFAULT_LOGIN_FAILURES_PER_ADDRESS)]
    pub login_failures_per_address: u32,
    /// Failed logins per account from addresses it has not signed in from before further
    /// attempts from those are refused (15 min); past 10 each attempt is delayed, doubling.
    #[arg(long = "login-failures-per-account", env = "CHANCERY_LOGIN_FAILURES_PER_ACCOUNT", default_value_t = DEFAULT_LOGIN_FAILURES_PER_ACCOUNT)]
    pub login_failures_per_account: u32,
}

/// Limits of GraphQL subscriptions over WebSocket: each bounds what one client can hold of
/// the server (sockets, subscriptions, memory) or how long a dead peer keeps its socket.
#[derive(Debug, Clone, Args)]
pub struct SubscriptionConfig {
    /// Open WebSockets at once from one client address; 0 is no limit.
    #[arg(long = "max-websockets-per-address", env = "CHANCERY_MAX_WEBSOCKETS_PER_ADDRESS", default_value_t = DEFAULT_MAX_WEBSOCKETS_PER_ADDRESS)]
    pub max_websockets_per_address: usize,
    /// Open WebSockets at once in all.
    #[arg(long = "max-websockets", env = "CHANCERY_MAX_WEBSOCKETS", default_value_t = DEFAULT_MAX_WEBSOCKETS)]
    pub max_websockets: usize,
    /// Subscriptions at once on one WebSocket.
    #[arg(long = "max-subscriptions-per-connection", env = "CHANCERY_MAX_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION)]
    pub max_subscriptions_per_connection: usize,
    /// Messages waiting to be sent to one WebSocket. A client that keeps it full (it does not
    /// read) for `--subscription-stall-secs` is disconnected with close code 1008.
    #[arg(long = "subscription-buffer", env = "CHANCERY_SUBSCRIPTION_BUFFER", default_value_t = DEFAULT_SUBSCRIPTION_BUFFER)]
    pub buffer: usize,
    /// Seconds a WebSocket's buffer may stay full before the client is disconnected (1008).
    #[arg(long = "subscription-stall-secs", env = "CHANCERY_SUBSCRIPTION_STALL_SECS", default_value_t = DEFAULT_SUBSCRIPTION_STALL_SECS)]
    pub stall_secs: u64,
    /// Seconds between the server's pings on an open WebSocket.
    #[arg(long = "websocket-ping-secs", env = "CHANCERY_WEBSOCKET_PING_SECS", default_value_t = DEFAULT_WEBSOCKET_PING_SECS)]
    pub ping_secs: u64,
    /// Seconds a WebSocket may stay silent (no pong, no message) before it is closed (code 3008).
    #[arg(long = "websocket-idle-timeout-secs", env = "CHANCERY_WEBSOCKET_IDLE_TIMEOUT_SECS", default_value_t = DEFAULT_WEBSOCKET_IDLE_TIMEOUT_SECS)]
    pub idle_timeout_secs: u64,
    /// Seconds a new WebSocket has to send `connection_init` (else close code 4408).
    #[arg(long = "websocket-init-timeout-secs", env = "CHANCERY_WEBSOCKET_INIT_TIMEOUT_SECS", default_value_t = DEFAULT_WEBSOCKET_INIT_TIMEOUT_SECS)]
    pub init_timeout_secs: u64,
    /// Milliseconds between reads of the revision log when nothing announced a change: the
    /// safety net for a missed notification (a write by another tool, a dropped LISTEN connection).
    #[arg(long = "subscription-poll-ms", env = "CHANCERY_SUBSCRIPTION_POLL_MS", default_value_t = DEFAULT_SUBSCRIPTION_POLL_MS)]
    pub poll_ms: u64,
}

impl Default for SubscriptionConfig {
    fn default() -> Self {
        Self {
            max_websockets_per_address: DEFAULT_MAX_WEBSOCKETS_PER_ADDRESS,
            max_websockets: DEFAULT_MAX_WEBSOCKETS,
            max_subscriptions_per_connection: DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION,
            buffer: DEFAULT_SUBSCRIPTION_BUFFER,
            stall_secs: DEFAULT_SUBSCRIPTION_STALL_SECS,
            ping_secs: DEFAULT_WEBSOCKET_PING_SECS,
            idle_timeout_secs: DEFAULT_WEBSOCKET_IDLE_TIMEOUT_SECS,
            init_timeout_secs: DEFAULT_WEBSOCKET_INIT_TIMEOUT_SECS,
            poll_ms: DEFAULT_SUBSCRIPTION_POLL_MS,
        }
    }
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Default::default(),
            redis_url: None,
            login_failures_per_account_and_address: DEFAULT_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS,
            login_failures_per_address: DEFAULT_LOGIN_FAILURES_PER_ADDRESS,
            login_failures_per_account: DEFAULT_LOGIN_FAILURES_PER_ACCOUNT,
        }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            demo: false,
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            shutdown_grace_secs: DEFAULT_SHUTDOWN_GRACE_SECS,
            introspection: true,
            anonymous_introspection: true,
            suggestions: true,
            cors_origins: AllowedOrigins::default(),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_concurrent_exports: DEFAULT_MAX_CONCURRENT_EXPORTS,
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            response_cache: false,
            response_cache_bytes: DEFAULT_RESPONSE_CACHE_BYTES,
            cache_max_age_secs: 0,
            api_key_recheck_secs: DEFAULT_API_KEY_RECHECK_SECS,
            max_query_bytes: DEFAULT_MAX_QUERY_BYTES,
            max_query_fields: DEFAULT_MAX_QUERY_FIELDS,
            max_query_aliases: DEFAULT_MAX_QUERY_ALIASES,
            max_query_depth: DEFAULT_MAX_QUERY_DEPTH,
            max_query_directives: DEFAULT_MAX_QUERY_DIRECTIVES,
            max_query_tokens: DEFAULT_MAX_QUERY_TOKENS,
            max_value_depth: DEFAULT_MAX_VALUE_DEPTH,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            header_read_timeout_secs: DEFAULT_HEADER_READ_TIMEOUT_SECS,
            response_write_timeout_secs: DEFAULT_RESPONSE_WRITE_TIMEOUT_SECS,
            body_read_timeout_secs: DEFAULT_BODY_READ_TIMEOUT_SECS,
            body_min_bytes_per_sec: DEFAULT_BODY_MIN_BYTES_PER_SEC,
            max_connections: None,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            auth: AuthConfig {
                token_ttl_secs: DEFAULT_TOKEN_TTL_SECS,
                token_issuer: DEFAULT_TOKEN_ISSUER.into(),
                token_audience: DEFAULT_TOKEN_AUDIENCE.into(),
                token_leeway_secs: DEFAULT_TOKEN_LEEWAY_SECS,
                external_audience: DEFAULT_TOKEN_AUDIENCE.into(),
                external_role_claim: DEFAULT_EXTERNAL_ROLE_CLAIM.into(),
                ..AuthConfig::default()
            },
            throttle: ThrottleConfig::default(),
            subscriptions: SubscriptionConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_and_log_flags_are_accepted_before_and_after_the_subcommand() {
        for args in [
            vec!["chancery", "--database-url", "sqlite://x.db", "--log-level", "warn", "serve"],
            vec!["chancery", "serve", "--database-url", "sqlite://x.db", "--log-level", "warn"],
            vec!["chancery", "migrate", "up", "--database-url", "sqlite://x.db", "--log-level", "warn"],
        ] {
            let cli = Cli::try_parse_from(&args).unwrap_or_else(|error| panic!("{args:?}: {error}"));
            assert_eq!(cli.database.url, "sqlite://x.db", "{args:?}");
            assert_eq!(cli.log.level, "warn", "{args:?}");
        }
    }

    /// A boolean setting alone means true, like `--demo`; with a value it takes that value.
    #[test]
    fn a_boolean_setting_alone_means_true_and_takes_a_value_too() {
        let serve = |args: &[&str]| match Cli::try_parse_from(args).unwrap_or_else(|error| panic!("{args:?}: {error}"))
        {
            Cli { command: Some(Command::Serve(serve)), .. } => *serve,
            _ => panic!("{args:?} is not serve"),
        };
        let bare = serve(&["chancery", "serve", "--response-cache", "--introspection", "--bind", "127.0.0.1:0"]);
        assert!(bare.response_cache && bare.introspection);
        let valued = serve(&["chancery", "serve", "--response-cache", "false", "--introspection", "false"]);
        assert!(!valued.response_cache && !valued.introspection);
        let defaults = serve(&["chancery", "serve"]);
        assert!(!defaults.response_cache && defaults.introspection && defaults.suggestions);
        assert!(Cli::try_parse_from(["chancery", "serve", "--response-cache", "maybe"]).is_err());
    }

    #[test]
    fn origins_are_parsed_once_and_a_bad_one_is_refused_at_startup() {
        let parsed: AllowedOrigins = "https://app.example, http://localhost:3000".parse().unwrap();
        assert_eq!(parsed.0.len(), 2);
        assert!("".parse::<AllowedOrigins>().unwrap().0.is_empty());
        for bad in ["not an origin", "ftp://files.example", "https://app.example/path"] {
            assert!(bad.parse::<AllowedOrigins>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_token_secret_shorter_than_32_bytes_is_refused_and_never_printed() {
        for short in ["", "short", &"x".repeat(31)] {
            let error = short.parse::<JwtSecret>().unwrap_err();
            assert!(error.contains("32"), "{error}");
        }
        let secret: JwtSecret = "s".repeat(32).parse().unwrap();
        assert!(!format!("{secret:?}").contains("sss"));
    }

    #[test]
    fn the_role_map_names_known_roles_only() {
        let map: RoleMap = "chancery-editor=EDITOR, ops=ADMIN".parse().unwrap();
        assert_eq!(map.0.get("ops"), Some(&entity::enums::UserRole::Admin));
        assert!("x=OWNER".parse::<RoleMap>().is_err());
        assert!("no-equals-sign".parse::<RoleMap>().is_err());
    }

    #[test]
    fn address_ranges_take_cidrs_and_bare_addresses() {
        let ranges: AddressRanges = "10.0.0.0/8, 192.0.2.7, fd00::/8".parse().unwrap();
        assert_eq!(ranges.0.len(), 3);
        assert!("10.0.0.0/33".parse::<AddressRanges>().is_err());
    }

    #[test]
    fn a_history_head_reads_sequence_colon_hash() {
        let hash = "a".repeat(64);
        assert_eq!(parse_head(&format!("7:{hash}")).unwrap(), HeadSpec { sequence: 7, hash: hash.clone() });
        assert!(parse_head(&format!("-1:{hash}")).is_err());
        assert!(parse_head("7:abc").is_err());
        assert!(parse_head("seven").is_err());
    }

    #[test]
    fn the_default_serve_configuration_is_the_flags_defaults() {
        let parsed = <Cli as Parser>::parse_from(["chancery", "serve"]);
        let Some(Command::Serve(flags)) = parsed.command else { panic!("serve") };
        let defaults = ServeConfig::default();
        assert_eq!(flags.max_query_tokens, defaults.max_query_tokens);
        assert_eq!(flags.body_limit_bytes, defaults.body_limit_bytes);
        assert_eq!(flags.auth.token_audience, defaults.auth.token_audience);
        assert_eq!(flags.throttle.login_failures_per_account, defaults.throttle.login_failures_per_account);
    }
}
