//! The `chancery` command line.
use std::time::Duration;

use anyhow::{bail, Context as _};
use migration::MigratorTrait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{ApiKeyCommand, Cli, Command, DatabaseConfig, MigrateDirection, ServeConfig, UserCommand};
use crate::db::{self, StatementCounter};
use crate::demo::{self, DemoReport};
use crate::domain::account::query::user_by_email;
use crate::domain::account::store as users;
use crate::domain::fact::history::{verify_chain_since, ChainVerdict, SeenHead};
use crate::domain::ids::UserId;
use entity::user;
use sea_orm::{EntityTrait, QueryOrder};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or_else(|| Command::Serve(Box::new(ServeConfig::default_for_cli()))) {
        Command::Serve(serve) => run_server(&cli.database, *serve).await,
        Command::Demo => {
            let db = connect(&cli.database).await?;
            let report = demo::load_demo(&db).await?;
            print_demo(&report);
            Ok(())
        }
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Migrate { direction } => {
            let db = db::connect(&cli.database, &StatementCounter::default()).await?;
            match direction {
                MigrateDirection::Up => migration::Migrator::up(&db, None).await?,
                MigrateDirection::Down => {
                    // Rolling back every migration drops every table; on a database with records
                    // it would also fail half-way (the seeded vocabulary is still referenced), so
                    // it is refused before it starts, saying what is there and what to do.
                    let held = db::records_held(&db).await?;
                    if !held.is_empty() {
                        let held = held.iter().map(|(table, n)| format!("{n} {table}")).collect::<Vec<_>>().join(", ");
                        bail!(
                            "migrate down rolls back every migration and drops every table, and this database holds \
                             records ({held}); it runs only on a database without them. To start over, drop the \
                             database instead (Postgres: dropdb; SQLite: delete the file with its -wal and -shm \
                             files) and run `chancery migrate up`."
                        )
                    }
                    migration::Migrator::down(&db, None).await?
                }
            }
            println!("migrations: {direction:?} done");
            Ok(())
        }
        Command::VerifyHistory { since_head } => {
            let db = connect(&cli.database).await?;
            let since_head = since_head.map(|head| SeenHead { sequence: head.sequence, hash: head.hash });
            match verify_chain_since(&db, since_head.as_ref()).await? {
                ChainVerdict::Intact { length } => {
                    println!("history intact: {length} revisions verified");
                    if let Some(seen) = since_head {
                        println!("it extends the head seen earlier: revision #{} {}", seen.sequence, seen.hash);
                    }
                    Ok(())
                }
                ChainVerdict::Broken { seq, revision_id: Some(id), reason } => {
                    bail!("history broken at revision #{seq} ({id}): {reason}")
                }
                ChainVerdict::Broken { seq, revision_id: None, reason } => {
                    bail!("history broken after revision #{seq}: {reason}")
                }
            }
        }
        Command::Seed { facts } => crate::seed::seed(&connect(&cli.database).await?, facts).await.map(drop),
        Command::Healthcheck { url } => healthcheck(&url).await,
        Command::User(UserCommand::Create { email, role, name }) => {
            let db = connect(&cli.database).await?;
            let (password, generated) = read_or_generate_password()?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let user =
                users::create_user(&db, users::NewUser { email, display_name: name, role, password: password.clone() })
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} as {}: {}", user.email, user.role.as_str(), user_global_id(&user));
            if generated {
                println!("password (shown once): {password}");
            }
            Ok(())
        }
        Command::ApiKey(command) => api_key_command(&cli.database, command).await,
        Command::User(UserCommand::List) => {
            let db = connect(&cli.database).await?;
            let accounts = user::Entity::find().order_by_asc(user::Column::Id).all(&db).await?;
            for account in &accounts {
                let state = if account.active { "active" } else { "deactivated" };
                println!("{}\t{}\t{}\t{state}", user_global_id(account), account.email, account.role.as_str());
            }
            Ok(())
        }
        Command::User(UserCommand::SetRole { email, role }) => {
            let db = connect(&cli.database).await?;
            let account = account_by_email(&db, &email).await?;
            let changed = users::set_role(&db, UserId(account.id), role).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{} is now {}; its tokens are revoked", changed.email, changed.role.as_str());
            Ok(())
        }
        Command::User(UserCommand::Deactivate { email }) => {
            let db = connect(&cli.database).await?;
            let account = account_by_email(&db, &email).await?;
            let changed = users::deactivate(&db, UserId(account.id)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{} is deactivated; its tokens are revoked", changed.email);
            Ok(())
        }
    }
}

/// An error as one line for a person: each cause once. Drivers' errors often print their source
/// inside their own message, and anyhow's `{:#}` would then say everything twice.
pub fn error_report(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// The global id the API shows for an account.
fn user_global_id(account: &user::Model) -> String {
    crate::graphql::ids::global(UserId(account.id)).to_string()
}

async fn account_by_email(db: &sea_orm::DatabaseConnection, email: &str) -> anyhow::Result<user::Model> {
    user_by_email(db, email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| format!("no account signs in as {email}"))
}

async fn connect(config: &DatabaseConfig) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = db::connect(config, &StatementCounter::default()).await?;
    db::migrate(&db).await.context("applying migrations")?;
    Ok(db)
}

fn print_demo(report: &DemoReport) {
    println!(
        "demo data: {} facts, {} actors, {} sources, {} users created (existing ones kept)",
        report.facts_created, report.actors_created, report.sources_created, report.users_created
    );
    println!("demo editor:   {} / {}", demo::DEMO_EDITOR_EMAIL, demo::DEMO_EDITOR_PASSWORD);
    println!("demo reviewer: {} / {}", demo::DEMO_REVIEWER_EMAIL, demo::DEMO_REVIEWER_PASSWORD);
}

async fn run_server(database: &DatabaseConfig, serve: ServeConfig) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let app = crate::app::build(database, &serve).await?;
    if let Some(report) = &app.demo {
        print_demo(report);
    }
    let listener =
        tokio::net::TcpListener::bind(serve.bind).await.with_context(|| format!("binding {}", serve.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, startup_ms = started.elapsed().as_millis() as u64, "listening");
    println!(
        "Chancery is serving GraphiQL at http://{address}/graphql (started in {} ms)",
        started.elapsed().as_millis()
    );
    println!("Chancery is serving the editorial desk at http://{address}/desk");
    crate::app::serve(app, listener, Duration::from_secs(serve.shutdown_grace_secs)).await
}

impl ServeConfig {
    /// `chancery` with no command behaves like `chancery serve` with its defaults.
    fn default_for_cli() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            serve: ServeConfig,
        }
        Wrapper::parse_from(["chancery"]).serve
    }
}

/// The password piped on standard input, or a generated one when standard input is a terminal.
fn read_or_generate_password() -> anyhow::Result<(String, bool)> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if !password.is_empty() {
            return Ok((password, false));
        }
    }
    use password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 18];
    OsRng.fill_bytes(&mut bytes);
    use base64::Engine;
    Ok((base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes), true))
}

/// A dependency-free GET that succeeds on a 2xx answer (the runtime image has no curl).
async fn healthcheck(url: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(url).context("parsing the URL")?;
    let host = parsed.host_str().context("the URL has no host")?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    let mut stream = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect((host, port)))
        .await
        .context("connecting timed out")??;
    let request = format!("GET {} HTTP/1.0\r\nHost: {host}\r\n\r\n", parsed.path());
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .context("reading timed out")??;
    let status_line = String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned();
    if status_line.split_whitespace().nth(1).is_some_and(|code| code.starts_with('2')) {
        println!("{status_line}");
        Ok(())
    } else {
        bail!("unhealthy: {status_line}")
    }
}

async fn api_key_command(database: &DatabaseConfig, command: ApiKeyCommand) -> anyhow::Result<()> {
    use crate::domain::api_key::{api_key_named, create_api_key, list_api_keys, revoke_api_key, NewApiKey};
    let db = connect(database).await?;
    match command {
        ApiKeyCommand::Create { name, rate_per_minute } => {
            let created = create_api_key(&db, NewApiKey { name, rate_per_minute }, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created API key {} ({} requests a minute)", created.record.name, created.record.rate_per_minute);
            println!("key (shown once; send it in the X-Api-Key header): {}", created.key);
        }
        ApiKeyCommand::List => {
            for key in list_api_keys(&db).await.map_err(|e| anyhow::anyhow!("{e}"))? {
                let state = key.revoked_at.map_or("active".to_owned(), |at| format!("revoked {}", at.to_rfc3339()));
                println!("{}\t{}…\t{}/min\t{state}", key.name, key.key_prefix, key.rate_per_minute);
            }
        }
        ApiKeyCommand::Revoke { name } => {
            let key = api_key_named(&db, &name).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            revoke_api_key(&db, key.id, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("revoked API key {}", key.name);
        }
    }
    Ok(())
}
