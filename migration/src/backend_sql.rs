//! Migrations whose SQL differs per backend: each gives its statements for Postgres and for
//! SQLite, and this runs the right list in order.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Runs `postgres` or `sqlite` (in order) on the backend being migrated.
pub(crate) async fn run_for_backend(
    manager: &SchemaManager<'_>,
    postgres: &[&str],
    sqlite: &[&str],
) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        DatabaseBackend::Postgres => postgres,
        DatabaseBackend::Sqlite => sqlite,
        _ => return Err(DbErr::Migration("Chancery supports Postgres and SQLite only".into())),
    };
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}
