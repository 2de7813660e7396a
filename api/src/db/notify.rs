//! Telling every server process that the record changed. On Postgres, several processes share
//! one database: a writer sends `NOTIFY` on one channel and each process `LISTEN`s on it. The
//! embedded SQLite store is served by one process, which wakes its own readers; there is nothing
//! to send. A notification only says "read the log now": it carries nothing a reader relies on,
//! so one lost while a connection was down costs latency (the readers' poll catches up), never
//! an event.
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr};

/// The channel of change notifications.
const CHANNEL: &str = "chancery_changes";

/// Tells the other processes on the same Postgres database that the record changed.
pub async fn announce_change(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

/// Change notifications from other processes: a LISTEN connection on Postgres, nothing on SQLite.
pub struct ChangeListener(Option<PgListener>);

impl ChangeListener {
    /// Starts listening (on Postgres, with a connection of its own for as long as it lives).
    pub async fn start(db: &DatabaseConnection) -> Result<Self, DbErr> {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(Self(None));
        }
        let mut listener = PgListener::connect_with(db.get_postgres_connection_pool())
            .await
            .map_err(|error| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(error.into())))?;
        listener.listen(CHANNEL).await.map_err(|error| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(error.into())))?;
        Ok(Self(Some(listener)))
    }

    /// Resolves at the next notification; never on SQLite. When the connection fails it waits a
    /// second (the listener reconnects on the next call) and resolves, so that the caller reads
    /// whatever a lost notification announced.
    pub async fn notified(&mut self) {
        match &mut self.0 {
            None => std::future::pending().await,
            Some(listener) => {
                if let Err(error) = listener.recv().await {
                    tracing::warn!(%error, "listening for change notifications; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}
