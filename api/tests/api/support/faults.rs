//! What the fault tests need beyond a running app: a Postgres server of the test's own, which
//! it can crash and restart without touching the shared one; the `chancery` binary as a real
//! process, to send signals to; and a way to hold the store's write lock from outside.
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// A Postgres cluster in a temporary directory, on a free loopback port, owned by one test;
/// stopped and deleted when dropped.
pub struct PrivatePostgres {
    cluster: Arc<Cluster>,
}

struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// `initdb` and `postgres` refuse to run as root: under root they run as user `postgres`.
    run_as: Option<String>,
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: the newest Debian server, else PATH.
fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.sort_by_key(|dir| {
        dir.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    let from_path =
        std::env::var_os("PATH").map(|path| std::env::split_paths(&path).collect::<Vec<_>>()).unwrap_or_default();
    versions.into_iter().rev().chain(from_path).find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl PrivatePostgres {
    /// Starts a fresh cluster, or returns `None` (with a note) when Postgres tests are off
    /// because `TEST_DATABASE_URL` is unset. With it set, missing binaries fail the test.
    pub async fn start() -> Option<Self> {
        if super::postgres_url().is_none() {
            eprintln!("TEST_DATABASE_URL is not set: skipping the test that needs a private Postgres");
            return None;
        }
        let bin = postgres_bin_dir().expect("initdb and pg_ctl are installed (Debian package postgresql)");
        let dir = std::env::temp_dir().join(format!("chancery-pg-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let run_as = running_as_root().then(|| "postgres".to_owned());
        if let Some(user) = &run_as {
            let status = Command::new("chown").args(["-R", &format!("{user}:{user}")]).arg(&dir).status().unwrap();
            assert!(status.success(), "chown of the cluster directory");
        }
        let cluster = Cluster { dir, bin, port: free_port(), run_as };
        let (initdb, data) = (cluster.program("initdb"), cluster.data_dir());
        cluster.run(
            &initdb,
            &["-D", &data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
        );
        let postgres = Self { cluster: Arc::new(cluster) };
        postgres.start_again().await;
        Some(postgres)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.cluster.port)
    }

    /// Starts the server and waits until it accepts connections (after crash recovery, if any).
    /// Durability settings are Postgres's defaults: fsync and synchronous commit on.
    pub async fn start_again(&self) {
        self.off_the_workers(|cluster| {
            let options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=60 -c fsync=on -c synchronous_commit=on",
                cluster.port,
                cluster.dir.display()
            );
            let log = cluster.dir.join("server.log").display().to_string();
            let data = cluster.data_dir();
            cluster
                .run(&cluster.program("pg_ctl"), &["start", "-D", &data, "-l", &log, "-w", "-t", "60", "-o", &options]);
        })
        .await;
    }

    /// A streaming replica of this cluster (`pg_basebackup -R`) in a directory of its own, on
    /// another free port, started and accepting (read-only) connections.
    pub async fn start_replica(&self) -> PrivatePostgres {
        let primary = Arc::clone(&self.cluster);
        let dir = std::env::temp_dir().join(format!("chancery-pg-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = Cluster { dir, bin: primary.bin.clone(), port: free_port(), run_as: primary.run_as.clone() };
        if let Some(user) = &cluster.run_as {
            let status =
                Command::new("chown").args(["-R", &format!("{user}:{user}")]).arg(&cluster.dir).status().unwrap();
            assert!(status.success(), "chown of the replica directory");
        }
        let replica = Arc::new(cluster);
        let copy = Arc::clone(&replica);
        tokio::task::spawn_blocking(move || {
            let port = primary.port.to_string();
            let data = copy.data_dir();
            let args =
                ["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-D", &data, "-R", "-X", "stream", "--no-sync"];
            copy.run(&copy.program("pg_basebackup"), &args);
        })
        .await
        .unwrap();
        let replica = PrivatePostgres { cluster: replica };
        replica.start_again().await;
        replica
    }

    /// Stops the server the way a crash would: no shutdown checkpoint, every connection cut.
    pub async fn crash(&self) {
        self.off_the_workers(Cluster::crash).await;
    }

    /// Runs a blocking step off the async workers, so the load the test generates keeps going.
    async fn off_the_workers(&self, step: impl FnOnce(&Cluster) + Send + 'static) {
        let cluster = Arc::clone(&self.cluster);
        tokio::task::spawn_blocking(move || step(&cluster)).await.unwrap();
    }
}

impl Cluster {
    fn program(&self, name: &str) -> String {
        self.bin.join(name).display().to_string()
    }

    fn data_dir(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self.command(program, args).output().unwrap_or_else(|e| panic!("running {program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}\nserver log:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
        );
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut command = match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--", program]);
                command
            }
            None => Command::new(program),
        };
        command.args(args).stdin(Stdio::null()).current_dir(&self.dir);
        command
    }

    fn crash(&self) {
        let data = self.data_dir();
        self.run(&self.program("pg_ctl"), &["stop", "-D", &data, "-m", "immediate", "-w"]);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let cluster = &self.cluster;
        let data = cluster.data_dir();
        let _ = cluster.command(&cluster.program("pg_ctl"), &["stop", "-D", &data, "-m", "immediate", "-w"]).output();
        let _ = std::fs::remove_dir_all(&cluster.dir);
    }
}

/// Holds the store's write lock from a connection of its own until released, so that writes
/// sent meanwhile stay in flight: on Postgres they block inside their transaction at the first
/// insert into `revisions`; on SQLite they wait for the database lock.
pub struct WriteBlocker {
    connection: DatabaseConnection,
}

impl WriteBlocker {
    pub async fn hold(url: &str) -> Self {
        let mut options = ConnectOptions::new(url.to_owned());
        options.max_connections(1).min_connections(1).sqlx_logging(false);
        let connection = Database::connect(options).await.expect("the blocker connects");
        if url.starts_with("postgres") {
            connection.execute_unprepared("BEGIN").await.unwrap();
            connection.execute_unprepared("LOCK TABLE revisions IN SHARE MODE").await.unwrap();
        } else {
            connection.execute_unprepared("BEGIN IMMEDIATE").await.unwrap();
        }
        Self { connection }
    }

    pub async fn release(self) {
        self.connection.execute_unprepared("COMMIT").await.unwrap();
        self.connection.close().await.unwrap();
    }
}

/// The `chancery` binary, serving on a loopback port.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base_url: String,
}

impl ServerProcess {
    /// Starts `chancery --database-url <url> serve --demo …` with `extra` serve flags and waits
    /// for the line that says where it listens.
    pub fn start(database_url: &str, extra: &[&str]) -> Self {
        Self::spawn(database_url, extra, &[("CHANCERY_JWT_SECRET", std::ffi::OsStr::new(super::TEST_JWT_SECRET))])
    }

    /// `start` with no extra flags and the given environment (which must carry the token
    /// secret, or the file that holds it).
    pub fn start_with_env(database_url: &str, env: &[(&str, &std::ffi::OsStr)]) -> Self {
        Self::spawn(database_url, &[], env)
    }

    fn spawn(database_url: &str, extra: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Self {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_chancery"))
            .args(["--database-url", database_url, "serve", "--demo", "--bind", "127.0.0.1:0"])
            .args(["--rate-limit-per-minute", "0"])
            .args(extra)
            .env_remove("CHANCERY_JWT_SECRET")
            .envs(env.iter().copied())
            .env("CHANCERY_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the chancery binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let base_url = loop {
            let line = lines.next().expect("the server prints where it listens before exiting").unwrap();
            if let Some(rest) = line.split("serving GraphiQL at ").nth(1) {
                break rest.split("/graphql").next().unwrap().to_owned();
            }
        };
        // Keep draining standard output so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, base_url }
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -TERM");
    }

    /// Waits up to `limit` for the process to exit; its exit status and how long it took.
    pub async fn wait_for_exit(&mut self, limit: Duration) -> Option<(std::process::ExitStatus, Duration)> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some((status, started.elapsed()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
