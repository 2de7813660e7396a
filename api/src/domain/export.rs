//! Reading the public record for the bulk exports (`/export/facts.*`), in batches.
//!
//! An export starts at the change feed's head (`ExportScope::head`, a position in the revision
//! log), which the response's ETag and `Chancery-Feed-Cursor` name. The whole record is every
//! fact public when its batch is read; with `since`, the facts a public event in
//! `(since, head]` touched. Either way every fact public at the head whose state the consumer
//! lacks is in it, so the next pull, `since` the head, starts where this one's events end and
//! nothing is skipped between them.
//!
//! Why batches of short statements rather than one cursor over a long transaction: a download
//! goes at the client's pace, and a stalled client would otherwise keep a pooled connection and
//! a snapshot (holding back vacuum on Postgres, the write lock's checkpoints on SQLite) for as
//! long as it likes. Here every batch is a few statements on a connection taken from the pool
//! and given back before the batch is sent, so between batches a download holds nothing of the
//! database, however slowly it is read. The price is that a fact is read in its state when its
//! batch is read, which may be later than the head if a public event touched it meanwhile (or
//! published it); that event is after the head, so the next pull carries the fact again in its
//! newer state. Applying a pull replaces facts by id, so applying one twice is harmless.
//!
//! Both kinds of export go in fact id order. The whole record is read by ranges of ids, so each
//! table's part of a batch is one index range scan rather than a lookup per fact: the range is
//! the next `batch_size` facts of any status, and the parts of those the public does not see
//! are read and dropped (a range of drafts costs a batch of nothing, never unbounded memory).
//! An increment's facts are scattered over the ids, so its parts are read by list.
//!
//! Only what the public sees: the facts `Visibility::Public` allows (the same condition as the
//! `facts` query), the citations in `PUBLIC_CITATION_STATUSES`, and nothing that names an editor
//! or a reviewer (the rendering leaves out `created_by`, `reviewed_by`, `proposed_by`, …).
use std::collections::HashMap;
use std::sync::Arc;

use entity::{actor, citation, fact, fact_participant, fact_qualifier, revision, source};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::chain::Subject;
use super::fact::query::{ValidFactFilter, Visibility, PUBLIC_CITATION_STATUSES};
use super::feed::public_subjects_between;
use super::source::query::without_snapshot;
use super::DomainResult;
use crate::db::among_ids;

/// Facts read per batch: large enough that the statements' round trips are a small part of the
/// time (each batch is five to seven short statements), small enough that a batch's rows and its
/// rendering stay well under a megabyte.
pub const EXPORT_BATCH_SIZE: u64 = 500;

/// How many actors and how many sources an export keeps between batches. Facts cite a few
/// popular sources and name a few popular actors again and again, so most batches find most of
/// what they name already read; the bound keeps an export of any size in constant memory (the
/// seeded record of a million facts names 20,000 actors and 200,000 sources). When a batch
/// would overflow it, the export forgets what it kept and starts again.
const KEPT_PER_KIND: usize = 8_192;

/// Which part of the record an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportScope {
    /// The feed position the consumer already has (`since`); None for the whole record.
    pub after: Option<i64>,
    /// The feed's head when the export started: an increment holds the events up to it.
    pub head: i64,
}

/// Where the reading stands: after this fact id (None: at the start), or done.
#[derive(Debug, Clone, Copy)]
enum Position {
    After(Option<Uuid>),
    Done,
}

/// The facts whose parts a batch reads, as its statements name them.
#[derive(Debug, Clone, Copy)]
enum Members<'a> {
    /// Every fact with an id in `(after, last]`; the rows of those not in the batch are dropped.
    Range { after: Option<Uuid>, last: Uuid },
    /// The facts listed.
    Listed(&'a [Uuid]),
}

impl Members<'_> {
    fn condition(self, backend: DatabaseBackend, fact_id: impl ColumnTrait) -> Condition {
        match self {
            Members::Range { after, last } => {
                let mut range = Condition::all().add(fact_id.lte(last));
                if let Some(after) = after {
                    range = range.add(fact_id.gt(after));
                }
                range
            }
            Members::Listed(ids) => Condition::all().add(among_ids(backend, Expr::col(fact_id), ids)),
        }
    }
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
    pub sources: HashMap<Uuid, Arc<source::Model>>,
    /// Every actor the batch names: participants, outlets, those quoted and those relayed.
    pub actors: HashMap<Uuid, Arc<actor::Model>>,
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

/// Records an export has read and may show again without reading them again, up to
/// `KEPT_PER_KIND`. They were read after the export's head was taken, so what they show is the
/// record at the head or later, as for the facts themselves (see the module's comment).
#[derive(Debug)]
struct Kept<T> {
    records: HashMap<Uuid, Arc<T>>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self { records: HashMap::new() }
    }
}

impl<T> Kept<T> {
    /// Puts the kept records among `ids` into `batch` and returns the others, each once.
    fn take_known(&self, ids: impl IntoIterator<Item = Uuid>, batch: &mut HashMap<Uuid, Arc<T>>) -> Vec<Uuid> {
        let mut missing = Vec::new();
        for id in ids {
            if batch.contains_key(&id) {
                continue;
            }
            match self.records.get(&id) {
                Some(record) => {
                    batch.insert(id, Arc::clone(record));
                }
                None => missing.push(id),
            }
        }
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    /// Keeps the records just read (forgetting the older ones if they would not fit) and puts
    /// them into `batch`.
    fn keep(&mut self, read: impl ExactSizeIterator<Item = (Uuid, T)>, batch: &mut HashMap<Uuid, Arc<T>>) {
        if self.records.len() + read.len() > KEPT_PER_KIND {
            self.records.clear();
        }
        for (id, record) in read {
            let record = Arc::new(record);
            if self.records.len() < KEPT_PER_KIND {
                self.records.insert(id, Arc::clone(&record));
            }
            batch.insert(id, record);
        }
    }
}

/// Reads an export batch by batch; each `next_batch` is a handful of short statements.
#[derive(Debug)]
pub struct ExportReader {
    scope: ExportScope,
    position: Position,
    batch_size: u64,
    actors: Kept<actor::Model>,
    sources: Kept<source::Model>,
}

impl ExportReader {
    pub fn new(scope: ExportScope, batch_size: u64) -> Self {
        Self {
            scope,
            position: Position::After(None),
            batch_size: Ord::max(batch_size, 1),
            actors: Kept::default(),
            sources: Kept::default(),
        }
    }

    /// The next batch, or None when the export is complete.
    pub async fn next_batch<C: ConnectionTrait>(&mut self, db: &C) -> DomainResult<Option<ExportBatch>> {
        while let Position::After(after) = self.position {
            let batch = match self.scope.after {
                None => self.next_range(db, after).await?,
                Some(_) => self.next_touched(db, after).await?,
            };
            if batch.is_some() {
                return Ok(batch);
            }
        }
        Ok(None)
    }

    /// The public facts among the next `batch_size` facts of the record, with their parts; None
    /// when the range holds none (the reading has moved past it).
    async fn next_range<C: ConnectionTrait>(
        &mut self,
        db: &C,
        after: Option<Uuid>,
    ) -> DomainResult<Option<ExportBatch>> {
        let mut range = fact::Entity::find().select_only().column(fact::Column::Id);
        if let Some(after) = after {
            range = range.filter(fact::Column::Id.gt(after));
        }
        let range: Vec<Uuid> = range.order_by_asc(fact::Column::Id).limit(self.batch_size).into_tuple().all(db).await?;
        let Some(&last) = range.last() else {
            self.position = Position::Done;
            return Ok(None);
        };
        self.position =
            if range.len() as u64 == self.batch_size { Position::After(Some(last)) } else { Position::Done };
        let mut facts = public_facts().filter(fact::Column::Id.lte(last));
        if let Some(after) = after {
            facts = facts.filter(fact::Column::Id.gt(after));
        }
        let facts = facts.order_by_asc(fact::Column::Id).all(db).await?;
        if facts.is_empty() {
            return Ok(None);
        }
        self.load_parts(db, facts, Members::Range { after, last }).await.map(Some)
    }

    /// The next `batch_size` facts an event in the scope touched, with their parts.
    async fn next_touched<C: ConnectionTrait>(
        &mut self,
        db: &C,
        after: Option<Uuid>,
    ) -> DomainResult<Option<ExportBatch>> {
        let mut select = public_facts().filter(touched_by_events(self.scope));
        if let Some(after) = after {
            select = select.filter(fact::Column::Id.gt(after));
        }
        let facts = select.order_by_asc(fact::Column::Id).limit(self.batch_size).all(db).await?;
        self.position = match facts.last() {
            Some(last) if facts.len() as u64 == self.batch_size => Position::After(Some(last.id)),
            _ => Position::Done,
        };
        if facts.is_empty() {
            return Ok(None);
        }
        let ids: Vec<Uuid> = facts.iter().map(|fact| fact.id).collect();
        self.load_parts(db, facts, Members::Listed(&ids)).await.map(Some)
    }

    /// Everything the exports show of `facts`: participants, qualifiers and citations in a
    /// statement each, then the sources and actors they name that this export has not kept
    /// from an earlier batch (a statement each, when there are any).
    async fn load_parts<C: ConnectionTrait>(
        &mut self,
        db: &C,
        facts: Vec<fact::Model>,
        members: Members<'_>,
    ) -> DomainResult<ExportBatch> {
        let backend = db.get_database_backend();
        let ids: Vec<Uuid> = facts.iter().map(|fact| fact.id).collect();
        let participants = fact_participant::Entity::find()
            .filter(members.condition(backend, fact_participant::Column::FactId))
            .order_by_asc(fact_participant::Column::FactId)
            .order_by_asc(fact_participant::Column::Position)
            .all(db)
            .await?;
        let qualifiers = fact_qualifier::Entity::find()
            .filter(members.condition(backend, fact_qualifier::Column::FactId))
            .order_by_asc(fact_qualifier::Column::FactId)
            .order_by_asc(fact_qualifier::Column::Position)
            .all(db)
            .await?;
        let citations = citation::Entity::find()
            .filter(members.condition(backend, citation::Column::FactId))
            .filter(citation::Column::Status.is_in(PUBLIC_CITATION_STATUSES.iter().copied()))
            .order_by_asc(citation::Column::FactId)
            .order_by_asc(citation::Column::Position)
            .all(db)
            .await?;
        let mut batch = ExportBatch {
            participants: of_facts(&ids, participants, |p| p.fact_id),
            qualifiers: of_facts(&ids, qualifiers, |q| q.fact_id),
            citations: of_facts(&ids, citations, |c| c.fact_id),
            facts,
            ..ExportBatch::default()
        };

        let cited = batch.citations.values().flatten().map(|c| c.source_id);
        let missing = self.sources.take_known(cited, &mut batch.sources);
        if !missing.is_empty() {
            let read = without_snapshot(source::Entity::find())
                .filter(among_ids(backend, Expr::col(source::Column::Id), &missing))
                .all(db)
                .await?;
            self.sources.keep(read.into_iter().map(|s| (s.id, s)), &mut batch.sources);
        }

        let participants = batch.participants.values().flatten().map(|p| Some(p.actor_id));
        let outlets = batch.sources.values().map(|s| s.outlet_id);
        let named = batch.citations.values().flatten().flat_map(|c| [c.attributed_to_id, c.relayed_from_id]);
        let actors: Vec<Uuid> = participants.chain(outlets).chain(named).flatten().collect();
        let missing = self.actors.take_known(actors, &mut batch.actors);
        if !missing.is_empty() {
            let read = actor::Entity::find()
                .filter(among_ids(backend, Expr::col(actor::Column::Id), &missing))
                .all(db)
                .await?;
            self.actors.keep(read.into_iter().map(|a| (a.id, a)), &mut batch.actors);
        }
        Ok(batch)
    }
}

/// The rows of the facts `ids`, by fact; rows of other facts (read by a range) are dropped.
fn of_facts<T>(ids: &[Uuid], rows: Vec<T>, fact_of: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut grouped: HashMap<Uuid, Vec<T>> = ids.iter().map(|&id| (id, Vec::new())).collect();
    for row in rows {
        if let Some(list) = grouped.get_mut(&fact_of(&row)) {
            list.push(row);
        }
    }
    grouped
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_records_are_given_to_later_batches_and_bounded() {
        let mut kept: Kept<u32> = Kept::default();
        let ids: Vec<Uuid> = (0..KEPT_PER_KIND + 5).map(|_| Uuid::now_v7()).collect();
        let mut batch = HashMap::new();
        let missing = kept.take_known(ids[..3].iter().chain(&ids[..3]).copied(), &mut batch);
        assert_eq!(missing.len(), 3, "each missing id once");
        kept.keep(missing.iter().map(|&id| (id, 7)), &mut batch);
        assert_eq!(batch.len(), 3);

        let mut later = HashMap::new();
        assert!(kept.take_known(ids[..3].iter().copied(), &mut later).is_empty(), "kept from the first batch");
        assert_eq!(*later[&ids[0]], 7);

        let mut large = HashMap::new();
        let missing = kept.take_known(ids.iter().copied(), &mut large);
        assert_eq!(missing.len(), KEPT_PER_KIND + 2);
        kept.keep(missing.iter().map(|&id| (id, 8)), &mut large);
        assert_eq!(large.len(), ids.len(), "the batch gets every record it names");
        assert!(kept.records.len() <= KEPT_PER_KIND, "but no more are kept than the bound");
    }
}
