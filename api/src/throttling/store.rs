//! Where throttle and rate-limit counts live: in this process's memory on the embedded store
//! (one process), and otherwise where every server process sees them — Redis when one is
//! configured, else the Postgres database (`login_failures` and `rate_windows`).
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement, TransactionTrait, Value};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("throttle store (database): {0}")]
    Database(#[from] DbErr),
    #[error("throttle store (redis): {0}")]
    Redis(#[from] redis::RedisError),
}

/// Milliseconds since the Unix epoch: the clock every store shares (server processes on
/// several hosts agree on it closely enough for windows of minutes).
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

/// A failure counter to check and, if the attempt may go ahead, count.
#[derive(Debug, Clone)]
pub struct Counter {
    pub key: String,
    /// Failures within the window after which attempts are refused.
    pub limit: u32,
}

/// Failures and the end of their window, per counter key.
#[derive(Debug, Clone, Copy, Default)]
struct Failures {
    count: u32,
    window_ends_ms: i64,
}

/// The rule every store applies under its own lock: refuse if any counter is at its limit
/// within its window (with the seconds until the latest of those windows ends), otherwise
/// count one more failure on each, starting a fresh window where the old one has ended.
fn judge(rows: &mut [Failures], counters: &[Counter], window: Duration, now: i64) -> Result<Vec<u32>, u64> {
    let refused = rows
        .iter()
        .zip(counters)
        .filter(|(row, counter)| row.window_ends_ms > now && row.count >= counter.limit)
        // Never more than a window: a window another process opened after this attempt read the
        // clock (it waited for the row lock), or on a host whose clock runs ahead, ends later.
        .map(|(row, _)| ((row.window_ends_ms - now) as u64).div_ceil(1000).clamp(1, window.as_secs().max(1)))
        .max();
    if let Some(retry_after_secs) = refused {
        return Err(retry_after_secs);
    }
    Ok(rows
        .iter_mut()
        .map(|row| {
            if row.window_ends_ms <= now {
                *row = Failures { count: 0, window_ends_ms: now + window.as_millis() as i64 };
            }
            row.count += 1;
            row.count
        })
        .collect())
}

/// Counts kept in this process (the embedded, single-process default).
#[derive(Debug, Default)]
pub struct MemoryCounts {
    failures: Mutex<MemoryTable>,
}

#[derive(Debug, Default)]
struct MemoryTable {
    rows: HashMap<String, Failures>,
    /// Expired rows are swept when the table grows past this; it then doubles the live size,
    /// so sweeping stays amortized O(1) per attempt.
    sweep_at: usize,
}

impl MemoryTable {
    fn sweep(&mut self, now: i64) {
        if self.rows.len() >= self.sweep_at.max(10_000) {
            self.rows.retain(|_, row| row.window_ends_ms > now);
            self.sweep_at = self.rows.len() * 2;
        }
    }
}

/// Throttle and rate-limit state, shared or not.
pub enum ThrottleStore {
    Memory(MemoryCounts),
    Postgres(DatabaseConnection),
    Redis(redis::aio::ConnectionManager),
}

impl std::fmt::Debug for ThrottleStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Memory(_) => "ThrottleStore::Memory",
            Self::Postgres(_) => "ThrottleStore::Postgres",
            Self::Redis(_) => "ThrottleStore::Redis",
        })
    }
}

const BEGIN_SCRIPT: &str = r"
local window_ms = tonumber(ARGV[1])
local refused = -1
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[i + 1]) then
    refused = math.max(refused, redis.call('PTTL', key))
  end
end
if refused >= 0 then return {-1, refused} end
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('PEXPIRE', key, window_ms) end
end
return counts
";

const UNCOUNT_SCRIPT: &str = r"
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0
";

fn placeholders(from: usize, count: usize) -> String {
    (from..from + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

impl ThrottleStore {
    /// Whether this store is seen by every server process.
    pub fn is_shared(&self) -> bool {
        !matches!(self, Self::Memory(_))
    }

    /// Checks every counter and counts one failure on each, atomically: `Err(seconds)` when
    /// one is at its limit (and nothing is counted), otherwise each counter's new count.
    pub async fn begin(&self, counters: &[Counter], window: Duration) -> Result<Result<Vec<u32>, u64>, StoreError> {
        let now = now_ms();
        match self {
            Self::Memory(memory) => {
                let mut table = memory.failures.lock().unwrap_or_else(|e| e.into_inner());
                table.sweep(now);
                let mut rows: Vec<Failures> =
                    counters.iter().map(|c| table.rows.get(&c.key).copied().unwrap_or_default()).collect();
                let verdict = judge(&mut rows, counters, window, now);
                if verdict.is_ok() {
                    for (counter, row) in counters.iter().zip(rows) {
                        table.rows.insert(counter.key.clone(), row);
                    }
                }
                Ok(verdict)
            }
            Self::Postgres(db) => {
                // Rows are created, then locked, in key order, so that concurrent attempts on
                // overlapping counters (from any process) queue instead of deadlocking.
                let mut sorted: Vec<&Counter> = counters.iter().collect();
                sorted.sort_by(|a, b| a.key.cmp(&b.key));
                sorted.dedup_by(|a, b| a.key == b.key);
                let keys: Vec<Value> = sorted.iter().map(|c| c.key.clone().into()).collect();
                let txn = db.begin().await?;
                let rows_sql = (1..=keys.len()).map(|n| format!("(${n}, 0, 0)")).collect::<Vec<_>>().join(", ");
                txn.execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    format!(
                        "INSERT INTO login_failures (key, failures, window_ends_ms) VALUES {rows_sql} \
                         ON CONFLICT (key) DO NOTHING"
                    ),
                    keys.clone(),
                ))
                .await?;
                let found = txn
                    .query_all_raw(Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        format!(
                            "SELECT key, failures, window_ends_ms FROM login_failures WHERE key IN ({}) \
                             ORDER BY key FOR UPDATE",
                            placeholders(1, keys.len())
                        ),
                        keys,
                    ))
                    .await?;
                let mut current = HashMap::new();
                for row in found {
                    let key: String = row.try_get("", "key")?;
                    let count: i32 = row.try_get("", "failures")?;
                    let ends: i64 = row.try_get("", "window_ends_ms")?;
                    current.insert(key, Failures { count: count.max(0) as u32, window_ends_ms: ends });
                }
                let mut rows: Vec<Failures> =
                    counters.iter().map(|c| current.get(&c.key).copied().unwrap_or_default()).collect();
                // The clock is read once the rows are locked: waiting for the lock takes time.
                let verdict = judge(&mut rows, counters, window, now_ms());
                if verdict.is_ok() {
                    for (counter, row) in counters.iter().zip(rows) {
                        txn.execute_raw(Statement::from_sql_and_values(
                            DatabaseBackend::Postgres,
                            "UPDATE login_failures SET failures = $2, window_ends_ms = $3 WHERE key = $1",
                            [counter.key.clone().into(), (row.count as i32).into(), row.window_ends_ms.into()],
                        ))
                        .await?;
                    }
                }
                txn.commit().await?;
                Ok(verdict)
            }
            Self::Redis(connection) => {
                let script = redis::Script::new(BEGIN_SCRIPT);
                let mut invocation = script.prepare_invoke();
                invocation.arg(window.as_millis() as u64);
                for counter in counters {
                    invocation.key(redis_key(&counter.key)).arg(counter.limit);
                }
                let answer: Vec<i64> = invocation.invoke_async(&mut connection.clone()).await?;
                Ok(match answer.as_slice() {
                    [-1, ttl_ms] => Err((*ttl_ms.max(&1) as u64).div_ceil(1000)),
                    counts => Ok(counts.iter().map(|&c| c.max(0) as u32).collect()),
                })
            }
        }
    }

    /// Takes back one counted failure from each of `keys` (the attempt succeeded).
    pub async fn uncount(&self, keys: &[String]) -> Result<(), StoreError> {
        match self {
            Self::Memory(memory) => {
                let mut table = memory.failures.lock().unwrap_or_else(|e| e.into_inner());
                for key in keys {
                    if let Some(row) = table.rows.get_mut(key) {
                        row.count = row.count.saturating_sub(1);
                    }
                }
            }
            Self::Postgres(db) => {
                db.execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    format!(
                        "UPDATE login_failures SET failures = GREATEST(failures - 1, 0) WHERE key IN ({})",
                        placeholders(1, keys.len())
                    ),
                    keys.iter().map(|k| Value::from(k.clone())),
                ))
                .await?;
            }
            Self::Redis(connection) => {
                let script = redis::Script::new(UNCOUNT_SCRIPT);
                let mut invocation = script.prepare_invoke();
                for key in keys {
                    invocation.key(redis_key(key));
                }
                let _: i64 = invocation.invoke_async(&mut connection.clone()).await?;
            }
        }
        Ok(())
    }

    /// Forgets a counter, or sets it to one for `lasting` (a mark, such as "this account has
    /// signed in from this address").
    pub async fn set(&self, key: &str, lasting: Option<Duration>) -> Result<(), StoreError> {
        let ends = lasting.map(|d| now_ms() + d.as_millis() as i64);
        match self {
            Self::Memory(memory) => {
                let mut table = memory.failures.lock().unwrap_or_else(|e| e.into_inner());
                match ends {
                    Some(window_ends_ms) => table.rows.insert(key.to_owned(), Failures { count: 1, window_ends_ms }),
                    None => table.rows.remove(key),
                };
            }
            Self::Postgres(db) => {
                let statement = match ends {
                    Some(ends) => Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        "INSERT INTO login_failures (key, failures, window_ends_ms) VALUES ($1, 1, $2) \
                         ON CONFLICT (key) DO UPDATE SET failures = 1, window_ends_ms = EXCLUDED.window_ends_ms",
                        [key.into(), ends.into()],
                    ),
                    None => Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        "DELETE FROM login_failures WHERE key = $1",
                        [key.into()],
                    ),
                };
                db.execute_raw(statement).await?;
            }
            Self::Redis(connection) => {
                let command = match lasting {
                    Some(lasting) => {
                        let mut set = redis::cmd("SET");
                        set.arg(redis_key(key)).arg(1).arg("PX").arg(lasting.as_millis() as u64);
                        set
                    }
                    None => {
                        let mut del = redis::cmd("DEL");
                        del.arg(redis_key(key));
                        del
                    }
                };
                let _: () = command.query_async(&mut connection.clone()).await?;
            }
        }
        Ok(())
    }

    /// Whether a mark set with `set` is still there.
    pub async fn is_set(&self, key: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        match self {
            Self::Memory(memory) => {
                let table = memory.failures.lock().unwrap_or_else(|e| e.into_inner());
                Ok(table.rows.get(key).is_some_and(|row| row.count > 0 && row.window_ends_ms > now))
            }
            Self::Postgres(db) => Ok(db
                .query_one_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT 1 AS present FROM login_failures WHERE key = $1 AND failures > 0 AND window_ends_ms > $2",
                    [key.into(), now.into()],
                ))
                .await?
                .is_some()),
            Self::Redis(connection) => {
                let exists: bool =
                    redis::cmd("EXISTS").arg(redis_key(key)).query_async(&mut connection.clone()).await?;
                Ok(exists)
            }
        }
    }

    /// Adds this process's admissions per caller to the shared counts of the window starting
    /// at `window_start` (Unix seconds) and answers which callers have used up `limit` in it,
    /// in any process, with the shared total of each caller sent.
    pub async fn add_admissions(
        &self,
        window_start: i64,
        admissions: &[(String, u64)],
        limit: u64,
    ) -> Result<(Vec<(String, u64)>, Vec<String>), StoreError> {
        match self {
            Self::Memory(_) => Ok((admissions.to_vec(), Vec::new())),
            Self::Postgres(db) => {
                let mut totals = Vec::with_capacity(admissions.len());
                // Sorted, so that processes adding overlapping callers lock rows in one order.
                let mut sorted: Vec<&(String, u64)> = admissions.iter().collect();
                sorted.sort();
                for chunk in sorted.chunks(1_000) {
                    let mut values: Vec<Value> = vec![window_start.into()];
                    let mut rows = Vec::with_capacity(chunk.len());
                    for (n, (caller, admitted)) in chunk.iter().enumerate() {
                        rows.push(format!("($1, ${}, ${})", 2 * n + 2, 2 * n + 3));
                        values.push(caller.clone().into());
                        values.push((*admitted as i64).into());
                    }
                    let found = db
                        .query_all_raw(Statement::from_sql_and_values(
                            DatabaseBackend::Postgres,
                            format!(
                                "INSERT INTO rate_windows (window_start, caller, admitted) VALUES {} \
                                 ON CONFLICT (window_start, caller) DO UPDATE \
                                 SET admitted = rate_windows.admitted + EXCLUDED.admitted RETURNING caller, admitted",
                                rows.join(", ")
                            ),
                            values,
                        ))
                        .await?;
                    for row in found {
                        let admitted: i64 = row.try_get("", "admitted")?;
                        totals.push((row.try_get("", "caller")?, admitted.max(0) as u64));
                    }
                }
                let exhausted = db
                    .query_all_raw(Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        "SELECT caller FROM rate_windows WHERE window_start = $1 AND admitted >= $2",
                        [window_start.into(), (limit as i64).into()],
                    ))
                    .await?
                    .into_iter()
                    .map(|row| row.try_get("", "caller"))
                    .collect::<Result<_, _>>()?;
                Ok((totals, exhausted))
            }
            Self::Redis(connection) => {
                let mut connection = connection.clone();
                let exhausted_set = format!("chancery:rate:{window_start}:exhausted");
                let mut pipeline = redis::pipe();
                for (caller, admitted) in admissions {
                    let key = format!("chancery:rate:{window_start}:{caller}");
                    pipeline.cmd("INCRBY").arg(&key).arg(*admitted);
                    pipeline.cmd("EXPIRE").arg(&key).arg(180).ignore();
                }
                let counts: Vec<u64> = pipeline.query_async(&mut connection).await?;
                let totals: Vec<(String, u64)> =
                    admissions.iter().map(|(caller, _)| caller.clone()).zip(counts).collect();
                let mut pipeline = redis::pipe();
                for (caller, _) in totals.iter().filter(|(_, total)| *total >= limit) {
                    pipeline.cmd("SADD").arg(&exhausted_set).arg(caller).ignore();
                }
                pipeline.cmd("EXPIRE").arg(&exhausted_set).arg(180).ignore();
                pipeline.cmd("SMEMBERS").arg(&exhausted_set);
                let (exhausted,): (Vec<String>,) = pipeline.query_async(&mut connection).await?;
                Ok((totals, exhausted))
            }
        }
    }

    /// Deletes what has expired (Redis expires keys by itself).
    pub async fn sweep(&self, older_window_start: i64) -> Result<(), StoreError> {
        if let Self::Postgres(db) = self {
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "DELETE FROM login_failures WHERE window_ends_ms < $1",
                [now_ms().into()],
            ))
            .await?;
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "DELETE FROM rate_windows WHERE window_start < $1",
                [older_window_start.into()],
            ))
            .await?;
        }
        Ok(())
    }
}

fn redis_key(key: &str) -> String {
    format!("chancery:login:{key}")
}

impl ThrottleStore {
    /// Redis when a URL is given; otherwise Postgres for a Postgres database (on a small pool of
    /// its own, so that throttling never waits behind requests for a connection); otherwise
    /// this process's memory.
    pub async fn connect(redis_url: Option<&str>, database: &crate::config::DatabaseConfig) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        if let Some(url) = redis_url {
            let client = redis::Client::open(url).context("parsing --redis-url")?;
            let connection = client.get_connection_manager().await.context("connecting to Redis")?;
            tracing::info!("throttle and rate-limit counts are kept in Redis");
            return Ok(Self::Redis(connection));
        }
        if database.url.starts_with("postgres") {
            let config = crate::config::DatabaseConfig { max_connections: 4, min_connections: 0, ..database.clone() };
            let db = crate::db::connect(&config, &crate::db::StatementCounter::default())
                .await
                .context("connecting to the database for throttle counts")?;
            return Ok(Self::Postgres(db));
        }
        Ok(Self::Memory(MemoryCounts::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_at_its_limit_refuses_and_counts_nothing() {
        let counters = [Counter { key: "a".into(), limit: 2 }, Counter { key: "b".into(), limit: 9 }];
        let window = Duration::from_secs(60);
        let mut rows = [Failures::default(); 2];
        assert_eq!(judge(&mut rows, &counters, window, 1_000), Ok(vec![1, 1]));
        assert_eq!(judge(&mut rows, &counters, window, 2_000), Ok(vec![2, 2]));
        assert_eq!(judge(&mut rows, &counters, window, 3_000), Err(58));
        assert_eq!(rows[1].count, 2, "a refused attempt counts nowhere");
        assert_eq!(judge(&mut rows, &counters, window, 61_000), Ok(vec![1, 1]), "the windows ended");
    }
}
