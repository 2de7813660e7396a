//! Assembling and running the application: used by `chancery serve` and by the tests, which
//! spawn the very same app on a fresh database.
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::tokens::{ExternalProvider, TokenService};
use crate::config::{AuthConfig, DatabaseConfig, JwtSecret, ServeConfig, MIN_SECRET_BYTES};
use crate::db::{self, StatementCounter};
use crate::demo::{load_demo, DemoReport};
use crate::graphql::{build_schema_with, ChancerySchemaBuilder, QueryLimits, SchemaServices};
use crate::http::connections::{raise_open_file_limit, ConnectionLimits};
use crate::http::{router, AppState};
use crate::throttling::login::{LoginThrottle, ThrottlePolicy};

/// A ready-to-serve application.
pub struct App {
    pub router: axum::Router,
    pub db: DatabaseConnection,
    pub statements: StatementCounter,
    /// Statements run on the read replica, when there is one.
    pub replica_statements: StatementCounter,
    pub demo: Option<DemoReport>,
    pub connections: ConnectionLimits,
}

/// Connects, migrates, loads the demo data when asked, and builds the router.
pub async fn build(database: &DatabaseConfig, serve: &ServeConfig) -> anyhow::Result<App> {
    build_with(database, serve, |schema| schema).await
}

/// `build`, letting `customize` add to the GraphQL schema before it is finished: extensions
/// for an embedder's tracing, or the faults that tests inject to see how the server copes.
pub async fn build_with(
    database: &DatabaseConfig,
    serve: &ServeConfig,
    customize: impl FnOnce(ChancerySchemaBuilder) -> ChancerySchemaBuilder,
) -> anyhow::Result<App> {
    raise_open_file_limit();
    if let Some(url) = &database.read_url {
        anyhow::ensure!(
            url.starts_with("postgres") && database.url.starts_with("postgres"),
            "--database-read-url names a Postgres replica of a Postgres --database-url"
        );
    }
    // Every setting is checked before the database is touched: a refused start leaves no
    // migrated tables, no demo data and no half-made file behind it.
    let tokens = token_service(&serve.auth, &database.url)?;
    let connections = ConnectionLimits::new(serve, database.max_connections);
    let statements = StatementCounter::default();
    let db = db::connect(database, &statements).await?;
    let replica_statements = StatementCounter::default();
    let read_db = match &database.read_url {
        Some(url) => {
            let replica = DatabaseConfig { url: url.clone(), read_url: None, ..database.clone() };
            Some(db::connect(&replica, &replica_statements).await.context("connecting to the read replica")?)
        }
        None => None,
    };
    db::migrate(&db).await.context("applying migrations")?;
    let recanonicalized = crate::domain::source::store::recanonicalize_urls(&db)
        .await
        .context("bringing source URLs to their canonical form")?;
    if recanonicalized > 0 {
        tracing::info!(sources = recanonicalized, "source URLs brought to their canonical form");
    }
    let demo = if serve.demo { Some(load_demo(&db).await.context("loading the demo data")?) } else { None };
    let limits = QueryLimits {
        introspection: serve.introspection,
        suggestions: serve.suggestions,
        max_depth: serve.max_query_depth as usize,
        max_response_bytes: serve.max_response_bytes,
        ..QueryLimits::default()
    };
    let throttle_store = Arc::new(
        crate::throttling::ThrottleStore::connect(serve.throttle.redis_url.as_deref(), database)
            .await
            .context("opening the throttle store")?,
    );
    let policy = ThrottlePolicy {
        max_failures_per_account_and_address: serve.throttle.login_failures_per_account_and_address,
        max_failures_per_address: serve.throttle.login_failures_per_address,
        max_failures_per_account: serve.throttle.login_failures_per_account,
        ..ThrottlePolicy::default()
    };
    let throttle = LoginThrottle::new(policy, throttle_store.clone());
    let live = crate::live::LiveHub::new(db.clone(), Duration::from_millis(serve.subscriptions.poll_ms.max(10)));
    let services = SchemaServices { db: db.clone(), tokens: tokens.clone(), throttle, live: live.clone() };
    let state = AppState {
        schema: build_schema_with(Some(services), limits, customize),
        tokens,
        cost_limits: serve.cost_limits(),
        anonymous_introspection: serve.anonymous_introspection,
        in_flight: Arc::new(tokio::sync::Semaphore::new(serve.max_in_flight)),
        export_slots: Arc::new(tokio::sync::Semaphore::new(serve.max_concurrent_exports)),
        rate_limiter: crate::throttling::RequestRateLimiter::new(serve.rate_limit_per_minute, throttle_store.clone()),
        trusted_proxies: (&serve.throttle.trusted_proxies).into(),
        db: db.clone(),
        read_db,
        statements: statements.clone(),
        replica_statements: replica_statements.clone(),
        requests: Arc::new(Default::default()),
        response_cache: serve
            .response_cache
            .then(|| Arc::new(crate::http::response_cache::ResponseCache::new(serve.response_cache_bytes))),
        cache_max_age_secs: serve.cache_max_age_secs,
        api_keys: Arc::new(crate::http::api_keys::ApiKeys::new(
            db.clone(),
            throttle_store,
            std::time::Duration::from_secs(serve.api_key_recheck_secs),
        )),
        live,
        sockets: Arc::default(),
        subscriptions: serve.subscriptions.clone(),
    };
    Ok(App { router: router(state, serve), db, statements, replica_statements, demo, connections })
}

/// The token secret: configured, or on the embedded store generated once and kept beside the
/// database file (mode 0600) so tokens survive restarts. Postgres deployments must configure it.
fn token_secret(auth: &AuthConfig, database_url: &str) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &auth.jwt_secret {
        return Ok(secret.as_bytes().to_vec());
    }
    if let Some(path) = &auth.jwt_secret_file {
        let contents = std::fs::read_to_string(path)
            .with_context(|| format!("reading the token secret from {} (--jwt-secret-file)", path.display()))?;
        let secret: JwtSecret = contents
            .trim_end_matches(['\r', '\n'])
            .parse()
            .map_err(|reason: String| anyhow::anyhow!("{} (--jwt-secret-file): {reason}", path.display()))?;
        return Ok(secret.as_bytes().to_vec());
    }
    let Some(db_file) = crate::db::sqlite_file(database_url) else {
        anyhow::bail!(
            "a token secret is required when the database is not the embedded default: set CHANCERY_JWT_SECRET \
             (--jwt-secret) to at least {MIN_SECRET_BYTES} random bytes, e.g. CHANCERY_JWT_SECRET=$(openssl rand -hex 32), \
             or CHANCERY_JWT_SECRET_FILE (--jwt-secret-file) to a file holding one"
        );
    };
    let path = std::path::PathBuf::from(format!("{}.jwt-secret", db_file.display()));
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        anyhow::ensure!(existing.len() >= MIN_SECRET_BYTES, "{} is too short", path.display());
        return Ok(existing.into_bytes());
    }
    use password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write as _;
    options
        .open(&path)
        .and_then(|mut file| file.write_all(secret.as_bytes()))
        .map_err(|error| crate::db::connect_error::sqlite_file_failure("the token secret file", &path, &error))?;
    tracing::info!(path = %path.display(), "generated a token secret for the embedded store");
    Ok(secret.into_bytes())
}

fn token_service(auth: &AuthConfig, database_url: &str) -> anyhow::Result<TokenService> {
    let external = match &auth.external_jwks_file {
        Some(path) => {
            let jwks = std::fs::read_to_string(path).with_context(|| {
                format!("reading the external provider's JWK set {} (--external-jwks-file)", path.display())
            })?;
            anyhow::ensure!(!auth.external_issuer.is_empty(), "an external provider needs --external-issuer");
            Some(ExternalProvider::from_jwks(
                &jwks,
                auth.external_issuer.clone(),
                auth.external_audience.clone(),
                auth.external_role_claim.clone(),
                auth.external_role_map.0.clone(),
            )?)
        }
        None => None,
    };
    TokenService::new(
        &token_secret(auth, database_url)?,
        auth.token_issuer.clone(),
        auth.token_audience.clone(),
        auth.token_ttl_secs,
        auth.token_leeway_secs,
        external,
    )
}

/// Serves the app's router on `listener` until `stop` resolves, then until the requests in
/// flight finish: the connection handling of `chancery serve`, which the tests drive too.
pub async fn serve_until(
    router: axum::Router,
    limits: ConnectionLimits,
    listener: TcpListener,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    crate::http::connections::serve(listener, router, limits, stop).await;
}

/// Serves until SIGINT or SIGTERM, then lets in-flight requests finish within the grace period.
/// Past it the process ends anyway: requests still running are abandoned, and their open
/// transactions, never committed, are rolled back by the database when the connections close.
pub async fn serve(app: App, listener: TcpListener, grace: Duration) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut stop_rx_for_server = stop_rx.clone();
    let server = serve_until(app.router, app.connections, listener, async move {
        let _ = stop_rx_for_server.wait_for(|stop| *stop).await;
    });
    let mut server = tokio::spawn(server);
    tokio::select! {
        _ = shutdown_signal() => {}
        result = &mut server => {
            result.context("server task")?;
            return Ok(());
        }
    }
    let started = std::time::Instant::now();
    tracing::info!(grace_secs = grace.as_secs(), "shutting down: finishing in-flight requests");
    let _ = stop_tx.send(true);
    match tokio::time::timeout(grace, &mut server).await {
        Ok(result) => {
            result.context("server task")?;
            // Every request has finished, so every connection is back in the pool.
            let remaining = grace.saturating_sub(started.elapsed()).max(Duration::from_secs(1));
            if tokio::time::timeout(remaining, app.db.close()).await.is_err() {
                tracing::warn!("the database pool did not close in time");
            }
        }
        Err(_) => {
            // Closing the pool would wait for the abandoned requests' connections: skip it.
            tracing::warn!("grace period elapsed with requests still in flight; abandoning them");
            server.abort();
        }
    }
    drop(stop_rx);
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
