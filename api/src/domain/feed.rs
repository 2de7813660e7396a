//! The public change feed: every public event of the record, in commit order, read from the
//! revision log.
//!
//! The log is what makes the order safe to tail. Its sequence numbers are taken under the chain
//! head's row lock, which the appending transaction holds until it commits (`chain::append`):
//! a second writer waits for the first to commit before it reads the head. So sequence order
//! is commit order, and once number N is visible, every number below it already is: a reader
//! that remembers the last number it saw never skips an event committed after it looked, nor
//! sees one twice. (Sequences taken freely inside transactions would not do: B could commit
//! 42 before A commits 41, and a reader at 42 would never see 41.)
//!
//! Which entries are public follows from the workflow table: approval publishes a fact;
//! retraction, supersession and every citation step happen only to a published fact; a merge
//! changes the public actors. A source's change is public if a public fact cited the source
//! when it changed (the public does not see an unseen source, nor learn when an editor changed
//! it): the source's write path marks such entries as it appends them, so a change never
//! appears later behind a reader's cursor. Nothing in the feed names an editor or a reviewer.
use chrono::{DateTime, Utc};
use entity::revision;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::chain::Subject;
use super::pagination::{Cursor, Page, PageDirection, PageRequest};
use super::{DomainError, DomainResult};

/// The tag of the feed's cursors.
const CURSOR_TAG: &str = "chg";

/// What happened, publicly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    FactPublished,
    FactRetracted,
    FactSuperseded,
    CitationAdded,
    CitationWithdrawn,
    ActorMerged,
    SourceUpdated,
}

impl ChangeKind {
    /// The kind of a log entry, or None for an entry the public does not see as an event.
    fn of(subject: &str, action: &str) -> Option<Self> {
        match (subject, action) {
            ("FACT", "APPROVED") => Some(Self::FactPublished),
            ("FACT", "RETRACTED") => Some(Self::FactRetracted),
            ("FACT", "SUPERSEDED") => Some(Self::FactSuperseded),
            ("FACT", "CITATION_ADDED") => Some(Self::CitationAdded),
            ("FACT", "CITATION_WITHDRAWN") => Some(Self::CitationWithdrawn),
            ("ACTOR", "MERGED") => Some(Self::ActorMerged),
            ("SOURCE", _) => Some(Self::SourceUpdated),
            _ => None,
        }
    }
}

/// The fact actions that are public events (see the module's comment).
const PUBLIC_FACT_ACTIONS: &[&str] = &["APPROVED", "RETRACTED", "SUPERSEDED", "CITATION_ADDED", "CITATION_WITHDRAWN"];

/// One public event.
#[derive(Debug, Clone)]
pub struct Change {
    /// Its place in the revision log.
    pub sequence: i64,
    /// The log entry's id.
    pub revision_id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: ChangeKind,
    /// The fact, actor (the one kept, for a merge) or source it concerns.
    pub subject_id: Uuid,
    /// For a merge, the actor merged away.
    pub merged_actor_id: Option<Uuid>,
}

impl Change {
    /// The cursor just after this event.
    pub fn cursor(&self) -> Cursor {
        Cursor { ordering: CURSOR_TAG, key: self.sequence.to_string(), id: self.revision_id }
    }
}

/// The condition that keeps the log's public entries.
fn public_entries() -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(revision::Column::Subject.eq(Subject::Fact.as_str()))
                .add(revision::Column::Action.is_in(PUBLIC_FACT_ACTIONS.iter().copied())),
        )
        .add(
            Condition::all()
                .add(revision::Column::Subject.eq(Subject::Actor.as_str()))
                .add(revision::Column::Action.eq("MERGED")),
        )
        .add(Condition::all().add(revision::Column::Subject.eq(Subject::Source.as_str())).add(
            revision::Column::Seq.in_subquery(
                Query::select().column(PublicSourceEvents::Seq).from(PublicSourceEvents::Table).to_owned(),
            ),
        ))
}

/// The columns of a log entry the feed reads.
#[derive(Debug, FromQueryResult)]
struct LogRow {
    seq: i64,
    id: Uuid,
    created_at: DateTime<Utc>,
    subject: String,
    action: String,
    fact_id: Uuid,
    merge_snapshot: Option<String>,
}

/// The positions of the log's source entries written while the source was public.
#[derive(sea_orm::DeriveIden)]
enum PublicSourceEvents {
    Table,
    Seq,
}

/// Marks the log entry at `sequence`, about a source the public can see, as a public event.
/// The source's write path calls it in the transaction that appended the entry.
pub async fn mark_public_source_event<C: ConnectionTrait>(db: &C, sequence: i64) -> DomainResult<()> {
    let insert = Query::insert()
        .into_table(PublicSourceEvents::Table)
        .columns([PublicSourceEvents::Seq])
        .values_panic([sequence.into()])
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}

/// The sequence number a cursor of the feed stands after.
fn position(request: &PageRequest) -> DomainResult<Option<i64>> {
    let Some(raw) = &request.cursor else { return Ok(None) };
    Ok(Some(sequence_of_cursor(raw, request.cursor_argument())?))
}

/// The sequence number the feed cursor `raw` stands after; anything else is a BAD_USER_INPUT
/// on `argument`.
pub fn sequence_of_cursor(raw: &str, argument: &str) -> DomainResult<i64> {
    let cursor = Cursor::decode(raw, CURSOR_TAG, argument)?;
    cursor.key.parse::<i64>().map_err(|_| DomainError::invalid(argument, "is not a cursor of this list"))
}

/// The public entries of the log in `(after, through]`: the subject (`FACT`, `ACTOR`,
/// `SOURCE`) and the id of what each concerns (`fact_id`, which holds any subject's id), for
/// readers that need to know what the feed's events touched (the bulk export).
pub fn public_subjects_between(after: Option<i64>, through: i64) -> sea_orm::sea_query::SelectStatement {
    let mut select = Query::select();
    select
        .columns([revision::Column::Subject, revision::Column::FactId])
        .from(revision::Entity)
        .cond_where(public_entries())
        .and_where(revision::Column::Seq.lte(through));
    if let Some(after) = after {
        select.and_where(revision::Column::Seq.gt(after));
    }
    select
}

/// The last public event, the feed's head (None while nothing is public).
pub async fn last_public_change<C: ConnectionTrait>(db: &C) -> DomainResult<Option<Change>> {
    let row = log_rows()
        .filter(public_entries())
        .order_by_desc(revision::Column::Seq)
        .limit(1)
        .into_model::<LogRow>()
        .one(db)
        .await?;
    Ok(row.and_then(LogRow::into_change))
}

/// The log's columns the feed reads.
fn log_rows() -> sea_orm::Select<revision::Entity> {
    revision::Entity::find()
        .select_only()
        .columns([
            revision::Column::Seq,
            revision::Column::Id,
            revision::Column::CreatedAt,
            revision::Column::Subject,
            revision::Column::Action,
            revision::Column::FactId,
        ])
        // Only a merge's entry is read for what it holds (the merged actor's id); a fact's
        // snapshot is the whole fact, never needed here.
        .expr_as(
            Expr::case(
                Expr::col(revision::Column::Subject).eq(Subject::Actor.as_str()),
                Expr::col(revision::Column::Snapshot),
            )
            .finally(Expr::val(Option::<String>::None)),
            "merge_snapshot",
        )
}

impl LogRow {
    fn into_change(self) -> Option<Change> {
        let kind = ChangeKind::of(&self.subject, &self.action)?;
        let merged_actor_id = self
            .merge_snapshot
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|snapshot| snapshot["mergedId"].as_str().and_then(|id| Uuid::parse_str(id).ok()));
        Some(Change {
            sequence: self.seq,
            revision_id: self.id,
            at: self.created_at,
            kind,
            subject_id: self.fact_id,
            merged_actor_id,
        })
    }
}

/// The public events after the request's cursor, oldest first, in one statement.
pub async fn public_changes<C: ConnectionTrait>(db: &C, request: &PageRequest) -> DomainResult<Page<Change>> {
    if request.direction == PageDirection::Backward {
        return Err(DomainError::invalid("last", "the feed is read forwards: use `first` and `after`"));
    }
    let after = position(request)?;
    let mut select = log_rows().filter(public_entries());
    if let Some(after) = after {
        select = select.filter(revision::Column::Seq.gt(after));
    }
    let rows: Vec<LogRow> =
        select.order_by_asc(revision::Column::Seq).limit(request.size + 1).into_model::<LogRow>().all(db).await?;
    let has_next_page = rows.len() as u64 > request.size;
    let items = rows.into_iter().take(request.size as usize).filter_map(LogRow::into_change).collect();
    Ok(Page { items, has_next_page, has_previous_page: after.is_some() })
}

/// How many public events the feed holds.
pub async fn count_public_changes<C: ConnectionTrait>(db: &C) -> DomainResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(revision::Entity::find().filter(public_entries()).count(db).await?)
}
