//! The live tail of the record, for subscriptions: while anyone in this process subscribes, one
//! task reads the revision log as it grows and fans each new public event out to every
//! subscriber, and, while a reviewer listens, compares successive readings of the review queue.
//!
//! The log, not the notifications, is what subscribers rely on. Its order is commit order (see
//! `domain::feed`), so the task, remembering the last position it read, never skips or repeats
//! an event. Notifications only say "read now": a write served by this process wakes it at once;
//! one served by another process on the same Postgres database wakes it through `LISTEN`
//! (`db::notify`); and a poll catches whatever a lost notification announced (a write made by
//! another tool, a LISTEN connection that dropped). One reader per process, whatever the number
//! of subscribers: each change is read once, not once per subscriber.
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::{broadcast, Mutex, Notify};

use crate::db::notify::{announce_change, ChangeListener};
use crate::domain::fact::review_queue::{queue_members, QueueMember};
use crate::domain::feed::{faceted_changes_after, log_head, FacetedChange};
use crate::domain::DomainResult;

/// Events the reader may run ahead of the slowest subscriber in this process; one further
/// behind misses events and is told to resume from its last cursor.
const FAN_OUT_CAPACITY: usize = 4096;

/// Log entries read per statement.
const READ_BATCH: u64 = 256;

/// What the reader fans out.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// A public event, with its fact's facets for subscribers' filters.
    Change(Arc<FacetedChange>),
    /// The review queue changed between two readings.
    Queue(Arc<QueueChange>),
}

/// What entered and what left the review queue between two readings.
#[derive(Debug, Default)]
pub struct QueueChange {
    pub entered: Vec<QueueMember>,
    pub left: Vec<QueueMember>,
}

/// The process's live tail; cheap to clone.
#[derive(Clone)]
pub struct LiveHub(Arc<Inner>);

struct Inner {
    db: DatabaseConnection,
    events: broadcast::Sender<LiveEvent>,
    wake: Notify,
    poll: Duration,
    reader: Mutex<ReaderState>,
    queue_watchers: AtomicUsize,
}

#[derive(Default)]
struct ReaderState {
    running: bool,
    /// The position of the last public event fanned out.
    position: i64,
    /// The last reading of the review queue, while a reviewer listens.
    queue: Option<BTreeSet<QueueMember>>,
}

/// A subscriber's place in the tail: events after `position` arrive on `events`.
pub struct Subscription {
    pub events: broadcast::Receiver<LiveEvent>,
    pub position: i64,
}

/// Held by a review-queue subscriber: the queue is read only while one is held.
pub struct QueueWatch(Arc<Inner>);

impl Drop for QueueWatch {
    fn drop(&mut self) {
        self.0.queue_watchers.fetch_sub(1, Ordering::SeqCst);
    }
}

impl LiveHub {
    pub fn new(db: DatabaseConnection, poll: Duration) -> Self {
        let (events, _) = broadcast::channel(FAN_OUT_CAPACITY);
        Self(Arc::new(Inner {
            db,
            events,
            wake: Notify::new(),
            poll,
            reader: Mutex::new(ReaderState::default()),
            queue_watchers: AtomicUsize::new(0),
        }))
    }

    /// Subscribes to the public events committed from now on; `position` is where they start.
    pub async fn subscribe(&self) -> DomainResult<Subscription> {
        let mut state = self.0.reader.lock().await;
        self.ensure_reading(&mut state).await?;
        Ok(Subscription { events: self.0.events.subscribe(), position: state.position })
    }

    /// Subscribes to the changes of the review queue from now on; also returns what waits now,
    /// which the changes are changes of.
    pub async fn watch_queue(&self) -> DomainResult<(Subscription, QueueWatch, BTreeSet<QueueMember>)> {
        let mut state = self.0.reader.lock().await;
        self.ensure_reading(&mut state).await?;
        let waiting = match &state.queue {
            Some(waiting) => waiting.clone(),
            None => state.queue.insert(queue_members(&self.0.db).await?).clone(),
        };
        self.0.queue_watchers.fetch_add(1, Ordering::SeqCst);
        let subscription = Subscription { events: self.0.events.subscribe(), position: state.position };
        Ok((subscription, QueueWatch(self.0.clone()), waiting))
    }

    /// The record changed (a write this process served): the reader reads now, and so do those of
    /// the other processes on the same database.
    pub fn announce(&self) {
        self.0.wake.notify_one();
        let db = self.0.db.clone();
        tokio::spawn(async move {
            if let Err(error) = announce_change(&db).await {
                tracing::warn!(%error, "announcing a change to the other server processes");
            }
        });
    }

    /// Starts the reader unless it runs; it starts at the log's head, so that whoever subscribes
    /// once this returns receives every event committed after.
    async fn ensure_reading(&self, state: &mut ReaderState) -> DomainResult<()> {
        if state.running {
            return Ok(());
        }
        state.position = log_head(&self.0.db).await?;
        state.queue = None;
        state.running = true;
        let inner = self.0.clone();
        tokio::spawn(async move { read_while_subscribed(inner).await });
        Ok(())
    }
}

/// The reader: waits for a reason to read, reads, fans out; ends when no one subscribes.
async fn read_while_subscribed(inner: Arc<Inner>) {
    let mut listener = match ChangeListener::start(&inner.db).await {
        Ok(listener) => Some(listener),
        Err(error) => {
            tracing::warn!(%error, "cannot listen for other processes' changes; polling only");
            None
        }
    };
    loop {
        tokio::select! {
            () = inner.wake.notified() => {}
            () = async {
                match &mut listener {
                    Some(listener) => listener.notified().await,
                    None => std::future::pending().await,
                }
            } => {}
            () = tokio::time::sleep(inner.poll) => {}
        }
        let mut state = inner.reader.lock().await;
        // Checked under the lock that `subscribe` takes, so no subscriber is left without a reader.
        if inner.events.receiver_count() == 0 {
            state.running = false;
            state.queue = None;
            return;
        }
        if let Err(error) = read_news(&inner, &mut state).await {
            tracing::warn!(%error, "reading the revision log for subscribers; retrying at the next wake");
        }
    }
}

/// Fans out every public event after the reader's position and what changed in the queue.
async fn read_news(inner: &Inner, state: &mut ReaderState) -> DomainResult<()> {
    loop {
        let batch = faceted_changes_after(&inner.db, Some(state.position), READ_BATCH).await?;
        let complete = (batch.len() as u64) < READ_BATCH;
        for change in batch {
            state.position = change.change.sequence;
            // No receiver at this instant is not an error: one may subscribe later.
            let _ = inner.events.send(LiveEvent::Change(Arc::new(change)));
        }
        if complete {
            break;
        }
    }
    if inner.queue_watchers.load(Ordering::SeqCst) == 0 {
        state.queue = None;
        return Ok(());
    }
    let now = queue_members(&inner.db).await?;
    if let Some(before) = state.queue.replace(now.clone()) {
        let change = QueueChange {
            entered: now.difference(&before).copied().collect(),
            left: before.difference(&now).copied().collect(),
        };
        if !change.entered.is_empty() || !change.left.is_empty() {
            let _ = inner.events.send(LiveEvent::Queue(Arc::new(change)));
        }
    }
    Ok(())
}
