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
pub const PUBLIC_FACT_ACTIONS: &[&str] =
    &["APPROVED", "RETRACTED", "SUPERSEDED", "CITATION_ADDED", "CITATION_WITHDRAWN"];

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
    let mut items = changes_after(db, after, request.size + 1).await?;
    let has_next_page = items.len() as u64 > request.size;
    items.truncate(request.size as usize);
    Ok(Page { items, has_next_page, has_previous_page: after.is_some() })
}

/// At most `limit` public events after position `after` (from the start without one), oldest
/// first, in one statement.
pub async fn changes_after<C: ConnectionTrait>(db: &C, after: Option<i64>, limit: u64) -> DomainResult<Vec<Change>> {
    let mut select = log_rows().filter(public_entries());
    if let Some(after) = after {
        select = select.filter(revision::Column::Seq.gt(after));
    }
    let rows: Vec<LogRow> =
        select.order_by_asc(revision::Column::Seq).limit(limit).into_model::<LogRow>().all(db).await?;
    Ok(rows.into_iter().filter_map(LogRow::into_change).collect())
}

/// The position of the log's last entry (0 for an empty log): every event at or before it is
/// committed and visible.
pub async fn log_head<C: ConnectionTrait>(db: &C) -> DomainResult<i64> {
    let head = entity::revision_chain::Entity::find_by_id(1).one(db).await?;
    Ok(head.map_or(0, |head| head.length))
}

/// What a subscriber may select a fact's events by: its kind and the actors taking part.
#[derive(Debug, Clone, Default)]
pub struct FactFacets {
    pub kind_key: String,
    pub actor_ids: Vec<Uuid>,
}

/// The facets of `fact_ids`, in two statements whatever their number.
pub async fn fact_facets<C: ConnectionTrait>(
    db: &C,
    fact_ids: &[Uuid],
) -> DomainResult<std::collections::HashMap<Uuid, FactFacets>> {
    use entity::{fact, fact_participant};
    let mut facets = std::collections::HashMap::new();
    if fact_ids.is_empty() {
        return Ok(facets);
    }
    let kinds: Vec<(Uuid, String)> = fact::Entity::find()
        .select_only()
        .columns([fact::Column::Id, fact::Column::KindKey])
        .filter(fact::Column::Id.is_in(fact_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    for (id, kind_key) in kinds {
        facets.insert(id, FactFacets { kind_key, actor_ids: Vec::new() });
    }
    let participants: Vec<(Uuid, Uuid)> = fact_participant::Entity::find()
        .select_only()
        .columns([fact_participant::Column::FactId, fact_participant::Column::ActorId])
        .filter(fact_participant::Column::FactId.is_in(fact_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    for (fact_id, actor_id) in participants {
        if let Some(facets) = facets.get_mut(&fact_id) {
            facets.actor_ids.push(actor_id);
        }
    }
    Ok(facets)
}

/// How many public events the feed holds.
pub async fn count_public_changes<C: ConnectionTrait>(db: &C) -> DomainResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(revision::Entity::find().filter(public_entries()).count(db).await?)
}

impl ChangeKind {
    /// Whether the event concerns a fact (rather than an actor or a source).
    pub fn is_about_a_fact(self) -> bool {
        matches!(
            self,
            Self::FactPublished
                | Self::FactRetracted
                | Self::FactSuperseded
                | Self::CitationAdded
                | Self::CitationWithdrawn
        )
    }
}

/// Which facts' events a subscriber asked for: lists are OR within a field and AND across,
/// except `all_of_actors`, every one of whom must take part.
#[derive(Debug, Clone, Default)]
pub struct FactEventSelection {
    pub kinds: Vec<String>,
    pub actors: Vec<Uuid>,
    pub all_of_actors: Vec<Uuid>,
}

impl FactEventSelection {
    /// Checks the lists' lengths (those of the `facts` filter) and that every kind exists,
    /// reporting every problem at once under `prefix`, with those found decoding ids (`reported`).
    pub async fn validate<C: ConnectionTrait>(
        self,
        db: &C,
        prefix: &str,
        reported: super::Violations,
    ) -> DomainResult<Self> {
        use super::fact::query::{truncate, MAX_ALL_OF_ACTORS, MAX_FILTER_LIST};
        let mut violations = reported;
        for (name, length, most) in [
            ("kinds", self.kinds.len(), MAX_FILTER_LIST),
            ("actors", self.actors.len(), MAX_FILTER_LIST),
            ("allOfActors", self.all_of_actors.len(), MAX_ALL_OF_ACTORS),
        ] {
            if length > most {
                violations.add(format!("{prefix}.{name}"), format!("may list at most {most} values"));
            }
        }
        if !self.kinds.is_empty() {
            let known: Vec<String> = entity::fact_kind::Entity::find()
                .select_only()
                .column(entity::fact_kind::Column::Key)
                .into_tuple()
                .all(db)
                .await?;
            for (index, kind) in self.kinds.iter().enumerate() {
                if !known.contains(kind) {
                    violations
                        .add(format!("{prefix}.kinds[{index}]"), format!("unknown fact kind `{}`", truncate(kind)));
                }
            }
        }
        violations.into_result()?;
        Ok(self)
    }

    /// Whether a subscriber with this selection receives `change`, whose fact has `facets`.
    pub fn matches(&self, change: &Change, facets: Option<&FactFacets>) -> bool {
        if !change.kind.is_about_a_fact() {
            return false;
        }
        let Some(facets) = facets else { return false };
        (self.kinds.is_empty() || self.kinds.contains(&facets.kind_key))
            && (self.actors.is_empty() || self.actors.iter().any(|actor| facets.actor_ids.contains(actor)))
            && self.all_of_actors.iter().all(|actor| facets.actor_ids.contains(actor))
    }
}

/// A public event with the facets of its fact (None for an actor's or a source's event).
#[derive(Debug, Clone)]
pub struct FacetedChange {
    pub change: Change,
    pub facets: Option<FactFacets>,
}

/// At most `limit` public events after position `after`, each with its fact's facets: three
/// statements whatever the number.
pub async fn faceted_changes_after<C: ConnectionTrait>(
    db: &C,
    after: Option<i64>,
    limit: u64,
) -> DomainResult<Vec<FacetedChange>> {
    let changes = changes_after(db, after, limit).await?;
    let fact_ids: Vec<Uuid> =
        changes.iter().filter(|change| change.kind.is_about_a_fact()).map(|change| change.subject_id).collect();
    let facets = fact_facets(db, &fact_ids).await?;
    Ok(changes
        .into_iter()
        .map(|change| {
            let facets = if change.kind.is_about_a_fact() { facets.get(&change.subject_id).cloned() } else { None };
            FacetedChange { change, facets }
        })
        .collect())
}
