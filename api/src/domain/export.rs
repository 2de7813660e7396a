//! Reading the public record for the bulk exports (`/export/facts.*`), in batches.
//!
//! An export is bounded by the change feed's head taken when it starts (`ExportScope::head`,
//! a position in the revision log): it holds the facts published at or before the head, or,
//! with `since`, the facts a public event in `(since, head]` touched. The head is what the
//! response's ETag and `Chancery-Feed-Cursor` name, so the next pull starts where this one's
//! events end and no event is skipped between them.
//!
//! Why batches of short statements rather than one cursor over a long transaction: a download
//! goes at the client's pace, and a stalled client would otherwise keep a pooled connection and
//! a snapshot (holding back vacuum on Postgres, the write lock's checkpoints on SQLite) for as
//! long as it likes. Here every batch is a few statements on a connection taken from the pool
//! and given back before the batch is sent, so between batches a download holds nothing of the
//! database, however slowly it is read. The price is that a fact is read in its state when its
//! batch is read, which may be later than the head if a public event touched it meanwhile;
//! that event is after the head, so the next pull (`since` the head) carries the fact again in
//! its newer state. Applying a pull replaces facts by id, so applying one twice is harmless.
//!
//! Only what the public sees: the facts `Visibility::Public` allows (the same condition as the
//! `facts` query), the citations in `PUBLIC_CITATION_STATUSES`, and nothing that names an editor
//! or a reviewer (the rendering leaves out `created_by`, `reviewed_by`, `proposed_by`, …).
use std::collections::HashMap;

use entity::{actor, citation, fact, fact_participant, fact_qualifier, revision, source};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::chain::Subject;
use super::fact::parts::{parts_of_facts, PartsWanted};
use super::fact::query::{qualifiers_of, ValidFactFilter, Visibility, PUBLIC_CITATION_STATUSES};
use super::feed::public_subjects_between;
use super::DomainResult;

/// Facts read per batch: large enough that the statements' round trips are a small part of the
/// time, small enough that a batch's rows stay small and that Postgres still reads the cited
/// sources by index: at 500 facts (about 1,000 citations) it hashed the whole `sources` table
/// instead (29 ms a batch on 100,000 facts, against 2.5 ms for 200 facts by nested loop).
pub const EXPORT_BATCH_SIZE: u64 = 200;

/// Which part of the record an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportScope {
    /// The feed position the consumer already has (`since`); None for the whole record.
    pub after: Option<i64>,
    /// The feed's head when the export started: nothing after it is exported.
    pub head: i64,
}

/// Where the reading stands.
#[derive(Debug, Clone, Copy)]
enum Position {
    /// The whole record is read in publication order (the log's sequence of approvals), which
    /// the log's unique index on `seq` serves as one range scan per batch.
    PublishedAfter(i64),
    /// An increment is read in id order, so a fact touched by several events appears once.
    FactAfter(Option<Uuid>),
    Done,
}

/// One batch of facts with everything the exports show of them.
#[derive(Debug, Default)]
pub struct ExportBatch {
    /// The facts, in export order.
    pub facts: Vec<fact::Model>,
    pub participants: HashMap<Uuid, Vec<fact_participant::Model>>,
    pub qualifiers: HashMap<Uuid, Vec<fact_qualifier::Model>>,
    /// The public citations of each fact (active and withdrawn), in their recorded order.
    pub citations: HashMap<Uuid, Vec<citation::Model>>,
    /// The sources the citations name (without their snapshot text).
    pub sources: HashMap<Uuid, source::Model>,
    /// Every actor the batch names: participants, outlets, those quoted and those relayed.
    pub actors: HashMap<Uuid, actor::Model>,
}

impl ExportBatch {
    /// A fact's participants, in their recorded order.
    pub fn participants_of(&self, fact: Uuid) -> &[fact_participant::Model] {
        self.participants.get(&fact).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn qualifiers_of(&self, fact: Uuid) -> &[fact_qualifier::Model] {
        self.qualifiers.get(&fact).map(Vec::as_slice).unwrap_or_default()
    }

    /// A fact's public citations, in their recorded order.
    pub fn citations_of(&self, fact: Uuid) -> &[citation::Model] {
        self.citations.get(&fact).map(Vec::as_slice).unwrap_or_default()
    }
}

/// Reads an export batch by batch; each `next_batch` is a handful of short statements.
#[derive(Debug)]
pub struct ExportReader {
    scope: ExportScope,
    position: Position,
    batch_size: u64,
}

impl ExportReader {
    pub fn new(scope: ExportScope, batch_size: u64) -> Self {
        let position = match scope.after {
            None => Position::PublishedAfter(0),
            Some(_) => Position::FactAfter(None),
        };
        Self { scope, position, batch_size: Ord::max(batch_size, 1) }
    }

    /// The next batch, or None when the export is complete.
    pub async fn next_batch<C: ConnectionTrait>(&mut self, db: &C) -> DomainResult<Option<ExportBatch>> {
        let facts = match self.position {
            Position::Done => return Ok(None),
            Position::PublishedAfter(after) => self.published_after(db, after).await?,
            Position::FactAfter(after) => self.touched_after(db, after).await?,
        };
        if facts.is_empty() {
            self.position = Position::Done;
            return Ok(None);
        }
        load_parts(db, facts).await.map(Some)
    }

    async fn published_after<C: ConnectionTrait>(&mut self, db: &C, after: i64) -> DomainResult<Vec<fact::Model>> {
        let approvals: Vec<(i64, Uuid)> = revision::Entity::find()
            .select_only()
            .columns([revision::Column::Seq, revision::Column::FactId])
            .filter(revision::Column::Subject.eq(Subject::Fact.as_str()))
            .filter(revision::Column::Action.eq("APPROVED"))
            .filter(revision::Column::Seq.gt(after))
            .filter(revision::Column::Seq.lte(self.scope.head))
            .order_by_asc(revision::Column::Seq)
            .limit(self.batch_size)
            .into_tuple()
            .all(db)
            .await?;
        self.position = match approvals.last() {
            Some(&(seq, _)) if approvals.len() as u64 == self.batch_size => Position::PublishedAfter(seq),
            _ => Position::Done,
        };
        let ids: Vec<Uuid> = approvals.iter().map(|&(_, id)| id).collect();
        let mut by_id: HashMap<Uuid, fact::Model> = public_facts()
            .filter(fact::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|fact| (fact.id, fact))
            .collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn touched_after<C: ConnectionTrait>(
        &mut self,
        db: &C,
        after: Option<Uuid>,
    ) -> DomainResult<Vec<fact::Model>> {
        let mut select = public_facts().filter(touched_by_events(self.scope));
        if let Some(after) = after {
            select = select.filter(fact::Column::Id.gt(after));
        }
        let facts = select.order_by_asc(fact::Column::Id).limit(self.batch_size).all(db).await?;
        self.position = match facts.last() {
            Some(last) if facts.len() as u64 == self.batch_size => Position::FactAfter(Some(last.id)),
            _ => Position::Done,
        };
        Ok(facts)
    }
}

/// The facts the public sees, by the same rule as the `facts` query.
fn public_facts() -> sea_orm::Select<fact::Entity> {
    // The backend only matters to filters over actor or source ids, which an empty filter has.
    let condition = ValidFactFilter::default().condition(sea_orm::DatabaseBackend::Postgres, Visibility::Public);
    fact::Entity::find().filter(condition)
}

/// The ids of what the public events in the scope concern, for one kind of subject.
fn event_subjects(scope: ExportScope, subject: Subject) -> SelectStatement {
    let events = Alias::new("events");
    Query::select()
        .column((events.clone(), revision::Column::FactId))
        .from_subquery(public_subjects_between(scope.after, scope.head), events.clone())
        .and_where(Expr::col((events, revision::Column::Subject)).eq(subject.as_str()))
        .to_owned()
}

/// The facts a public event in the scope touched: the facts published, retracted, superseded
/// or whose citations changed; the facts citing a source that changed; the facts naming a
/// merged actor (the one kept), as a participant, as the one quoted or relayed, or as the
/// outlet of a cited source.
fn touched_by_events(scope: ExportScope) -> Condition {
    let facts = event_subjects(scope, Subject::Fact);
    let sources = event_subjects(scope, Subject::Source);
    let actors = || event_subjects(scope, Subject::Actor);
    let citing = |condition: Condition| {
        Query::select().column(citation::Column::FactId).from(citation::Entity).cond_where(condition).to_owned()
    };
    let outlets_sources = Query::select()
        .column(source::Column::Id)
        .from(source::Entity)
        .and_where(source::Column::OutletId.in_subquery(actors()))
        .to_owned();
    let naming_actors = Condition::any()
        .add(citation::Column::AttributedToId.in_subquery(actors()))
        .add(citation::Column::RelayedFromId.in_subquery(actors()))
        .add(citation::Column::SourceId.in_subquery(outlets_sources));
    let participating = Query::select()
        .column(fact_participant::Column::FactId)
        .from(fact_participant::Entity)
        .and_where(fact_participant::Column::ActorId.in_subquery(actors()))
        .to_owned();
    Condition::any()
        .add(fact::Column::Id.in_subquery(facts))
        .add(
            fact::Column::Id.in_subquery(citing(Condition::all().add(citation::Column::SourceId.in_subquery(sources)))),
        )
        .add(fact::Column::Id.in_subquery(participating))
        .add(fact::Column::Id.in_subquery(citing(naming_actors)))
}

/// Everything the exports show of `facts`: participants, citations, sources and their outlets
/// in one statement (`parts_of_facts`), qualifiers in a second, and the actors citations quote
/// or relay (when the first did not already read them) in a third; the count is the same for
/// a batch of one fact or of five hundred.
async fn load_parts<C: ConnectionTrait>(db: &C, facts: Vec<fact::Model>) -> DomainResult<ExportBatch> {
    let ids: Vec<Uuid> = facts.iter().map(|fact| fact.id).collect();
    let parts = parts_of_facts(db, &ids, PartsWanted { participants: true, citations: true }).await?;
    let qualifiers = qualifiers_of(db, &ids).await?;
    let mut batch = ExportBatch { facts, qualifiers, ..ExportBatch::default() };
    if let Some(read) = parts.participants {
        batch.participants = read.participants;
        batch.actors.extend(read.actors.into_iter().map(|actor| (actor.id, actor)));
    }
    if let Some(read) = parts.citations {
        batch.citations = read
            .citations
            .into_iter()
            .map(|(fact, list)| {
                (fact, list.into_iter().filter(|c| PUBLIC_CITATION_STATUSES.contains(&c.status)).collect())
            })
            .collect();
        batch.sources = read.sources.into_iter().map(|source| (source.id, source)).collect();
        batch.actors.extend(read.outlets.into_iter().map(|actor| (actor.id, actor)));
    }
    let mut named: Vec<Uuid> = batch
        .citations
        .values()
        .flatten()
        .flat_map(|c| [c.attributed_to_id, c.relayed_from_id])
        .flatten()
        .filter(|id| !batch.actors.contains_key(id))
        .collect();
    named.sort_unstable();
    named.dedup();
    if !named.is_empty() {
        let actors = actor::Entity::find().filter(actor::Column::Id.is_in(named)).all(db).await?;
        batch.actors.extend(actors.into_iter().map(|actor| (actor.id, actor)));
    }
    Ok(batch)
}
