//! Assembling and running the application: used by `chancery serve` and by the tests, which
//! spawn the very same app on a fresh database.
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::{DatabaseConfig, ServeConfig};
use crate::db::{self, StatementCounter};
use crate::domain::demo::{load_demo, DemoReport};
use crate::graphql::{build_schema, QueryLimits};
use crate::http::{router, AppState};

/// A ready-to-serve application.
pub struct App {
    pub router: axum::Router,
    pub db: DatabaseConnection,
    pub statements: StatementCounter,
    pub demo: Option<DemoReport>,
}

/// Connects, migrates, loads the demo data when asked, and builds the router.
pub async fn build(database: &DatabaseConfig, serve: &ServeConfig) -> anyhow::Result<App> {
    let statements = StatementCounter::default();
    let db = db::connect(database, &statements).await.context("connecting to the database")?;
    db::migrate(&db).await.context("applying migrations")?;
    let demo = if serve.demo { Some(load_demo(&db).await.context("loading the demo data")?) } else { None };
    let limits = QueryLimits { introspection: serve.introspection, ..QueryLimits::default() };
    let state = AppState {
        schema: build_schema(Some(db.clone()), limits),
        db: db.clone(),
        statements: statements.clone(),
        requests: Arc::new(Default::default()),
    };
    Ok(App { router: router(state, serve), db, statements, demo })
}

/// Serves until SIGINT or SIGTERM, then lets in-flight requests finish within the grace period.
pub async fn serve(app: App, listener: TcpListener, grace: Duration) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut stop_rx_for_server = stop_rx.clone();
    let server = axum::serve(listener, app.router).with_graceful_shutdown(async move {
        let _ = stop_rx_for_server.wait_for(|stop| *stop).await;
    });
    let server = tokio::spawn(async move { server.await });
    shutdown_signal().await;
    tracing::info!(grace_secs = grace.as_secs(), "shutting down: finishing in-flight requests");
    let _ = stop_tx.send(true);
    match tokio::time::timeout(grace, server).await {
        Ok(result) => result.context("server task")?.context("server")?,
        Err(_) => tracing::warn!("grace period elapsed with requests still in flight"),
    }
    app.db.close().await.context("closing the database")?;
    drop(stop_rx);
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
