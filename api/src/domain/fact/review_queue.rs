//! The review queue: everything that waits for a reviewer's decision, in one list, longest
//! waiting first — facts in review (since their last change) and citations proposed as further
//! evidence of published facts (since they were proposed). Both halves are read with the same
//! keyset on (waiting since, id) and merged, so a page costs two index range scans at any depth.
use chrono::{DateTime, Utc};
use entity::enums::CitationStatus;
use entity::{citation, fact};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Select, Value};
use uuid::Uuid;

use super::query::{count_facts, ValidFactFilter, Visibility};
use crate::domain::pagination::{finish_page, keyset, Cursor, Page, PageDirection, PageRequest};
use crate::domain::{DomainError, DomainResult};

/// One item of the queue.
#[derive(Debug, Clone)]
pub enum QueueEntry {
    /// A fact submitted for review.
    Fact(fact::Model),
    /// A citation proposed for a published fact.
    Citation(citation::Model),
}

impl QueueEntry {
    /// Since when it waits: a fact since it last changed, a citation since it was proposed.
    pub fn waiting_since(&self) -> DateTime<Utc> {
        match self {
            QueueEntry::Fact(fact) => fact.updated_at,
            // Every pending citation has one (set on proposal, back-filled by the migration).
            QueueEntry::Citation(citation) => citation.proposed_at.unwrap_or_default(),
        }
    }

    fn id(&self) -> Uuid {
        match self {
            QueueEntry::Fact(fact) => fact.id,
            QueueEntry::Citation(citation) => citation.id,
        }
    }
}

const QUEUE_CURSOR: &str = "review-queue";

/// The cursor pointing at `entry` in the queue.
pub fn queue_cursor_of(entry: &QueueEntry) -> Cursor {
    Cursor { ordering: QUEUE_CURSOR, key: entry.waiting_since().timestamp_micros().to_string(), id: entry.id() }
}

/// The pending citations of the facts `filter` matches (among the public ones: citations are
/// proposed for published facts only).
fn pending_citations(filter: &ValidFactFilter, backend: sea_orm::DatabaseBackend) -> Select<citation::Entity> {
    let of_matching_facts = Query::select()
        .column(fact::Column::Id)
        .from(fact::Entity)
        .cond_where(filter.condition(backend, Visibility::Public))
        .to_owned();
    citation::Entity::find().filter(
        Condition::all()
            .add(citation::Column::Status.eq(CitationStatus::Pending))
            .add(citation::Column::FactId.in_subquery(of_matching_facts)),
    )
}

/// One page of the queue: facts in review that match `filter`, and the pending citations of
/// published facts that match it, merged by how long they have waited.
pub async fn list_review_queue<C: ConnectionTrait>(
    db: &C,
    filter: &ValidFactFilter,
    page: &PageRequest,
) -> DomainResult<Page<QueueEntry>> {
    let position = match &page.cursor {
        Some(raw) => {
            let argument = page.cursor_argument();
            let cursor = Cursor::decode(raw, QUEUE_CURSOR, argument)?;
            let invalid = || DomainError::invalid(argument, "is not a cursor of this list and ordering");
            let micros: i64 = cursor.key.parse().map_err(|_| invalid())?;
            let since = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(invalid)?;
            Some((Value::from(since), cursor.id))
        }
        None => None,
    };
    let backend = db.get_database_backend();
    let facts = fact::Entity::find().filter(filter.condition(backend, Visibility::InReview));
    let facts = keyset(facts, fact::Column::UpdatedAt, fact::Column::Id, position.clone(), true, page).all(db).await?;
    let citations = pending_citations(filter, backend);
    let citations =
        keyset(citations, citation::Column::ProposedAt, citation::Column::Id, position, true, page).all(db).await?;
    // Each half holds at most one page and its probe row in walking order; merged in that same
    // order, the first page-and-probe of the merge is the page.
    let mut entries: Vec<QueueEntry> =
        facts.into_iter().map(QueueEntry::Fact).chain(citations.into_iter().map(QueueEntry::Citation)).collect();
    entries.sort_by_key(|entry| (entry.waiting_since(), entry.id()));
    if page.direction == PageDirection::Backward {
        entries.reverse();
    }
    entries.truncate(page.size as usize + 1);
    Ok(finish_page(entries, page))
}

/// How many items the queue holds for `filter`.
pub async fn count_review_queue<C: ConnectionTrait>(db: &C, filter: &ValidFactFilter) -> DomainResult<u64> {
    let facts = count_facts(db, Visibility::InReview, filter).await?;
    let citations = pending_citations(filter, db.get_database_backend()).count(db).await?;
    Ok(facts + citations)
}

/// An item's place in the queue as the live review-queue subscription compares successive
/// readings: a fact resubmitted since the last reading waits since a new time, so it shows as
/// having left and come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QueueMember {
    Fact { id: Uuid, since: DateTime<Utc> },
    Citation { id: Uuid },
}

/// Every item waiting now, in two index scans. The queue is what reviewers can work through,
/// so it stays small next to the record; the subscription reads it only while a reviewer listens.
pub async fn queue_members<C: ConnectionTrait>(db: &C) -> DomainResult<std::collections::BTreeSet<QueueMember>> {
    use entity::enums::FactStatus;
    use sea_orm::QuerySelect;
    let facts: Vec<(Uuid, DateTime<Utc>)> = fact::Entity::find()
        .select_only()
        .columns([fact::Column::Id, fact::Column::UpdatedAt])
        .filter(fact::Column::Status.eq(FactStatus::InReview))
        .into_tuple()
        .all(db)
        .await?;
    let citations: Vec<Uuid> = citation::Entity::find()
        .select_only()
        .column(citation::Column::Id)
        .filter(citation::Column::Status.eq(CitationStatus::Pending))
        .into_tuple()
        .all(db)
        .await?;
    Ok(facts
        .into_iter()
        .map(|(id, since)| QueueMember::Fact { id, since })
        .chain(citations.into_iter().map(|id| QueueMember::Citation { id }))
        .collect())
}
