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
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{
    ActorKind, Attribution, CitationStatus, DatePrecision, FactStatus, Modality, ParticipantRole, SourceKind,
};
use entity::{actor, citation, fact, fact_participant, fact_qualifier, revision, source};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::chain::Subject;
use super::fact::query::{ValidFactFilter, Visibility, PUBLIC_CITATION_STATUSES};
use super::feed::public_subjects_between;
use super::{group_by_parent, DomainResult};
use crate::db::among_ids;
use crate::db::rows::{row_at, rows_where};

/// Facts read per batch: large enough that the statements' round trips are a small part of the
/// time (each batch is five to seven short statements), small enough that a batch's rows and its
/// rendering stay well under a megabyte.
pub const EXPORT_BATCH_SIZE: u64 = 500;

/// How many actors and how many sources an export keeps between batches, per generation of
/// `RecentlyUsed` (so up to twice as many). Facts cite a few popular sources and name a few
/// popular actors again and again, so most batches find most of what they name already read;
/// the bound keeps an export of any size in constant memory (the seeded record of a million
/// facts names 20,000 actors and 200,000 sources).
pub const KEPT_PER_GENERATION: usize = 4_096;

/// Hashes a uuid by its bytes folded into a word, without SipHash's mixing (a twentieth of an
/// export's CPU went to hashing ids): the ids are the server's own UUIDv7s (v4 for some
/// imported), whose low 62 bits are random, so they spread well as they are, and no client
/// chooses them.
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidHasher(u64);

impl std::hash::Hasher for UuidHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by uuid, hashed with [`UuidHasher`].
pub type ByUuid<V> = HashMap<Uuid, V, std::hash::BuildHasherDefault<UuidHasher>>;

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
    fn condition<C: ConnectionTrait>(self, db: &C, fact_id: impl ColumnTrait) -> Condition {
        match self {
            Members::Range { after, last } => {
                let mut range = Condition::all().add(fact_id.lte(last));
                if let Some(after) = after {
                    range = range.add(fact_id.gt(after));
                }
                range
            }
            Members::Listed(ids) => by_ids(db, fact_id, ids),
        }
    }
}

/// A fact as the exports show it. Each export record type holds exactly the columns the
/// exports show, read by position (`db::rows`): nothing that names an editor or a reviewer is
/// even read.
#[derive(Debug, Clone)]
pub struct ExportFact {
    pub id: Uuid,
    pub kind_key: String,
    pub summary: String,
    pub modality: Modality,
    pub occurred_on: NaiveDate,
    pub occurred_precision: DatePrecision,
    pub occurred_until: Option<NaiveDate>,
    pub country: Option<String>,
    pub status: FactStatus,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub retracted_at: Option<DateTime<Utc>>,
    pub retraction_reason: Option<String>,
    pub supersedes_id: Option<Uuid>,
    pub superseded_by_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct ExportParticipant {
    pub fact_id: Uuid,
    pub actor_id: Uuid,
    pub role: ParticipantRole,
    pub title: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ExportQualifier {
    pub fact_id: Uuid,
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct ExportCitation {
    pub id: Uuid,
    pub fact_id: Uuid,
    pub source_id: Uuid,
    pub quote: String,
    pub attribution: Attribution,
    pub attributed_to_id: Option<Uuid>,
    pub relayed_from_id: Option<Uuid>,
    pub verified: bool,
    pub quote_start: Option<i32>,
    pub quote_end: Option<i32>,
    pub status: CitationStatus,
    pub status_reason: Option<String>,
    pub proposed_at: Option<DateTime<Utc>>,
}

/// A source as the exports show it: without its snapshot text, with the text's digest.
#[derive(Debug, Clone)]
pub struct ExportSource {
    pub id: Uuid,
    pub url: String,
    pub title: String,
    pub kind: SourceKind,
    pub outlet_id: Option<Uuid>,
    pub published_on: Option<NaiveDate>,
    pub published_precision: Option<DatePrecision>,
    pub retrieved_at: DateTime<Utc>,
    pub language: Option<String>,
    pub archive_url: Option<String>,
    pub snapshot_sha256: Option<String>,
    pub version: i32,
}

#[derive(Debug, Clone)]
pub struct ExportActor {
    pub id: Uuid,
    pub name: String,
    pub kind: ActorKind,
    pub country: Option<String>,
    pub wikidata_qid: Option<String>,
}

row_at! {
    ExportFact {
        id, kind_key, summary, modality, occurred_on, occurred_precision, occurred_until, country, status,
        version, updated_at, published_at, retracted_at, retraction_reason, supersedes_id, superseded_by_id,
    }
    ExportParticipant { fact_id, actor_id, role, title }
    ExportQualifier { fact_id, key, value }
    ExportCitation {
        id, fact_id, source_id, quote, attribution, attributed_to_id, relayed_from_id, verified, quote_start,
        quote_end, status, status_reason, proposed_at,
    }
    ExportSource {
        id, url, title, kind, outlet_id, published_on, published_precision, retrieved_at, language, archive_url,
        snapshot_sha256, version,
    }
    ExportActor { id, name, kind, country, wikidata_qid }
}

/// One batch of facts with everything the exports show of them.
#[derive(Debug, Default)]
pub struct ExportBatch {
    /// The facts, in export order.
    pub facts: Vec<ExportFact>,
    pub participants: ByUuid<Vec<ExportParticipant>>,
    pub qualifiers: ByUuid<Vec<ExportQualifier>>,
    /// The public citations of each fact (active and withdrawn), in their recorded order.
    pub citations: ByUuid<Vec<ExportCitation>>,
    /// The sources the citations name.
    pub sources: ByUuid<Arc<ExportSource>>,
    /// Every actor the batch names: participants, outlets, those quoted and those relayed.
    pub actors: ByUuid<Arc<ExportActor>>,
}

impl ExportBatch {
    /// A fact's participants, in their recorded order.
    pub fn participants_of(&self, fact: Uuid) -> &[ExportParticipant] {
        self.participants.get(&fact).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn qualifiers_of(&self, fact: Uuid) -> &[ExportQualifier] {
        self.qualifiers.get(&fact).map(Vec::as_slice).unwrap_or_default()
    }

    /// A fact's public citations, in their recorded order.
    pub fn citations_of(&self, fact: Uuid) -> &[ExportCitation] {
        self.citations.get(&fact).map(Vec::as_slice).unwrap_or_default()
    }

    /// The outlet of one of the batch's sources.
    pub fn outlet_of(&self, source: &ExportSource) -> Option<&Arc<ExportActor>> {
        self.actors.get(&source.outlet_id?)
    }
}

/// Values by id, the recently used ones kept and the rest forgotten, in bounded memory: two
/// generations of up to `per_generation` each. A value is put in the current generation, and
/// one found in the previous is moved to the current; when the current is full, it becomes the
/// previous and the one before is forgotten. So a value used again and again stays, however
/// many others pass by once, at the cost of a lookup in two maps.
#[derive(Debug)]
pub struct RecentlyUsed<V> {
    current: ByUuid<V>,
    previous: ByUuid<V>,
    per_generation: usize,
}

impl<V> RecentlyUsed<V> {
    pub fn new(per_generation: usize) -> Self {
        Self { current: ByUuid::default(), previous: ByUuid::default(), per_generation: per_generation.max(1) }
    }

    /// The value of `id`, which counts as a use.
    pub fn get(&mut self, id: Uuid) -> Option<&V> {
        if !self.current.contains_key(&id) {
            let value = self.previous.remove(&id)?;
            self.insert(id, value);
        }
        self.current.get(&id)
    }

    /// The value of `id`, without counting a use.
    pub fn peek(&self, id: Uuid) -> Option<&V> {
        self.current.get(&id).or_else(|| self.previous.get(&id))
    }

    pub fn insert(&mut self, id: Uuid, value: V) {
        if self.current.len() >= self.per_generation && !self.current.contains_key(&id) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(id, value);
    }

    /// How many values are held.
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Records an export has read and may show again without reading them again. They were read
/// after the export's head was taken, so what they show is the record at the head or later, as
/// for the facts themselves (see the module's comment).
#[derive(Debug)]
struct Kept<T> {
    records: RecentlyUsed<Arc<T>>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self { records: RecentlyUsed::new(KEPT_PER_GENERATION) }
    }
}

impl<T> Kept<T> {
    /// Puts the kept records among `ids` into `batch` and returns the others, each once.
    fn take_known(&mut self, ids: impl IntoIterator<Item = Uuid>, batch: &mut ByUuid<Arc<T>>) -> Vec<Uuid> {
        let mut missing = Vec::new();
        for id in ids {
            if batch.contains_key(&id) {
                continue;
            }
            match self.records.get(id) {
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

    /// Keeps the records just read and puts them into `batch`.
    fn keep(&mut self, read: impl IntoIterator<Item = (Uuid, T)>, batch: &mut ByUuid<Arc<T>>) {
        for (id, record) in read {
            let record = Arc::new(record);
            self.records.insert(id, Arc::clone(&record));
            batch.insert(id, record);
        }
    }
}

/// The actors and sources an export has read, shared by the loads of its batches.
#[derive(Debug, Default)]
struct Known {
    actors: Kept<ExportActor>,
    sources: Kept<ExportSource>,
}

/// Reads an export batch by batch. Choosing a batch's facts is one short statement, each
/// choice starting where the last ended; loading the batch (its facts' rows and parts) is most
/// of the work, and the loads of several batches may run at once (`BatchToLoad`).
#[derive(Debug)]
pub struct ExportReader {
    scope: ExportScope,
    position: Position,
    batch_size: u64,
    known: Arc<Mutex<Known>>,
}

impl ExportReader {
    pub fn new(scope: ExportScope, batch_size: u64) -> Self {
        Self { scope, position: Position::After(None), batch_size: Ord::max(batch_size, 1), known: Arc::default() }
    }

    /// The next batch, or None when the export is complete.
    pub async fn next_batch<C: ConnectionTrait>(&mut self, db: &C) -> DomainResult<Option<ExportBatch>> {
        while let Some(to_load) = self.next_to_load(db).await? {
            if let Some(batch) = to_load.load(db).await? {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }

    /// Chooses the next batch's facts, or None when the export is complete: for the whole
    /// record, the next `batch_size` facts' id range; for an increment, the next `batch_size`
    /// facts an event in the scope touched.
    pub async fn next_to_load<C: ConnectionTrait>(&mut self, db: &C) -> DomainResult<Option<BatchToLoad>> {
        let Position::After(after) = self.position else {
            return Ok(None);
        };
        let chosen = match self.scope.after {
            None => {
                let mut range = fact::Entity::find().select_only().column(fact::Column::Id);
                if let Some(after) = after {
                    range = range.filter(fact::Column::Id.gt(after));
                }
                let range: Vec<Uuid> =
                    range.order_by_asc(fact::Column::Id).limit(self.batch_size).into_tuple().all(db).await?;
                self.position = self.position_after(range.len(), range.last().copied());
                let Some(&last) = range.last() else {
                    return Ok(None);
                };
                Chosen::Range { after, last }
            }
            Some(_) => {
                let mut condition = public_facts().add(touched_by_events(self.scope));
                if let Some(after) = after {
                    condition = condition.add(fact::Column::Id.gt(after));
                }
                let facts: Vec<ExportFact> = rows_where(db, "facts", condition, &["id"], Some(self.batch_size)).await?;
                self.position = self.position_after(facts.len(), facts.last().map(|fact| fact.id));
                if facts.is_empty() {
                    return Ok(None);
                }
                Chosen::Read(facts)
            }
        };
        Ok(Some(BatchToLoad { chosen, known: Arc::clone(&self.known) }))
    }

    /// Where the reading stands after choosing `chosen` facts, the last of them `last`: a choice
    /// shorter than a batch was the last one.
    fn position_after(&self, chosen: usize, last: Option<Uuid>) -> Position {
        match last {
            Some(last) if chosen as u64 == self.batch_size => Position::After(Some(last)),
            _ => Position::Done,
        }
    }
}

/// A batch whose facts are chosen but not yet read with their parts.
#[derive(Debug)]
pub struct BatchToLoad {
    chosen: Chosen,
    known: Arc<Mutex<Known>>,
}

#[derive(Debug)]
enum Chosen {
    /// The public facts among the facts with ids in `(after, last]`.
    Range { after: Option<Uuid>, last: Uuid },
    /// These facts, already read.
    Read(Vec<ExportFact>),
}

impl BatchToLoad {
    /// The batch, or None when its range holds no fact the public sees.
    pub async fn load<C: ConnectionTrait>(self, db: &C) -> DomainResult<Option<ExportBatch>> {
        let (facts, range) = match self.chosen {
            Chosen::Range { after, last } => {
                let range = Members::Range { after, last };
                let condition = public_facts().add(range.condition(db, fact::Column::Id));
                (rows_where(db, "facts", condition, &["id"], None).await?, Some(range))
            }
            Chosen::Read(facts) => (facts, None),
        };
        if facts.is_empty() {
            return Ok(None);
        }
        let ids: Vec<Uuid> = facts.iter().map(|fact| fact.id).collect();
        let members = range.unwrap_or(Members::Listed(&ids));
        load_parts(db, facts, &ids, members, &self.known).await.map(Some)
    }
}

/// Everything the exports show of `facts`: participants, qualifiers and citations in a
/// statement each, then the sources and actors they name that this export has not kept
/// from an earlier batch (a statement each, when there are any).
async fn load_parts<C: ConnectionTrait>(
    db: &C,
    facts: Vec<ExportFact>,
    ids: &[Uuid],
    members: Members<'_>,
    known: &Mutex<Known>,
) -> DomainResult<ExportBatch> {
    let by_position = &["fact_id", "position"];
    let participants: Vec<ExportParticipant> =
        rows_where(db, "fact_participants", members.condition(db, fact_participant::Column::FactId), by_position, None)
            .await?;
    let qualifiers: Vec<ExportQualifier> =
        rows_where(db, "fact_qualifiers", members.condition(db, fact_qualifier::Column::FactId), by_position, None)
            .await?;
    // The statuses the public sees are kept here rather than asked of the database: SQLite
    // answered a status condition from its status index, reading every active citation of the
    // record for each batch (an export of a million facts did not end in 8 minutes).
    let mut citations: Vec<ExportCitation> =
        rows_where(db, "citations", members.condition(db, citation::Column::FactId), by_position, None).await?;
    citations.retain(|c| PUBLIC_CITATION_STATUSES.contains(&c.status));
    let mut batch = ExportBatch {
        participants: group_by_parent(ids, participants, |p| p.fact_id),
        qualifiers: group_by_parent(ids, qualifiers, |q| q.fact_id),
        citations: group_by_parent(ids, citations, |c| c.fact_id),
        facts,
        ..ExportBatch::default()
    };

    let cited = batch.citations.values().flatten().map(|c| c.source_id);
    let missing = lock(known).sources.take_known(cited, &mut batch.sources);
    if !missing.is_empty() {
        let read: Vec<ExportSource> =
            rows_where(db, "sources", by_ids(db, source::Column::Id, &missing), &[], None).await?;
        lock(known).sources.keep(read.into_iter().map(|s| (s.id, s)), &mut batch.sources);
    }

    let participants = batch.participants.values().flatten().map(|p| Some(p.actor_id));
    let outlets = batch.sources.values().map(|s| s.outlet_id);
    let named = batch.citations.values().flatten().flat_map(|c| [c.attributed_to_id, c.relayed_from_id]);
    let actors: Vec<Uuid> = participants.chain(outlets).chain(named).flatten().collect();
    let missing = lock(known).actors.take_known(actors, &mut batch.actors);
    if !missing.is_empty() {
        let read: Vec<ExportActor> =
            rows_where(db, "actors", by_ids(db, actor::Column::Id, &missing), &[], None).await?;
        lock(known).actors.keep(read.into_iter().map(|a| (a.id, a)), &mut batch.actors);
    }
    Ok(batch)
}

/// The known records; a load that panicked while holding them left nothing half-changed that
/// matters (at worst a record is read again).
fn lock(known: &Mutex<Known>) -> std::sync::MutexGuard<'_, Known> {
    known.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The rows whose `column` is one of `ids`.
fn by_ids<C: ConnectionTrait>(db: &C, column: impl ColumnTrait, ids: &[Uuid]) -> Condition {
    Condition::all().add(among_ids(db.get_database_backend(), Expr::col(column), ids))
}

/// The facts the public sees, by the same rule as the `facts` query.
fn public_facts() -> Condition {
    // The backend only matters to filters over actor or source ids, which an empty filter has.
    Condition::all().add(ValidFactFilter::default().condition(DatabaseBackend::Postgres, Visibility::Public))
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
    fn a_value_used_again_and_again_stays_while_others_pass_by_once() {
        let mut recent = RecentlyUsed::new(4);
        let popular = Uuid::now_v7();
        recent.insert(popular, 0);
        for n in 1..100 {
            recent.insert(Uuid::now_v7(), n);
            if n % 3 == 0 {
                assert_eq!(recent.get(popular), Some(&0), "still there after {n} others");
            }
            assert!(recent.len() <= 8, "two generations of four at most");
        }
        let once = Uuid::now_v7();
        recent.insert(once, 100);
        for n in 0..8 {
            recent.insert(Uuid::now_v7(), n);
        }
        assert_eq!(recent.peek(once), None, "forgotten after two generations without a use");
    }

    #[test]
    fn kept_records_are_given_to_later_batches_and_bounded() {
        let mut kept: Kept<u32> = Kept::default();
        let ids: Vec<Uuid> = (0..2 * KEPT_PER_GENERATION + 5).map(|_| Uuid::now_v7()).collect();
        let mut batch = ByUuid::default();
        let missing = kept.take_known(ids[..3].iter().chain(&ids[..3]).copied(), &mut batch);
        assert_eq!(missing.len(), 3, "each missing id once");
        kept.keep(missing.iter().map(|&id| (id, 7)), &mut batch);
        assert_eq!(batch.len(), 3);

        let mut later = ByUuid::default();
        assert!(kept.take_known(ids[..3].iter().copied(), &mut later).is_empty(), "kept from the first batch");
        assert_eq!(*later[&ids[0]], 7);

        let mut large = ByUuid::default();
        let missing = kept.take_known(ids.iter().copied(), &mut large);
        assert_eq!(missing.len(), 2 * KEPT_PER_GENERATION + 2);
        kept.keep(missing.iter().map(|&id| (id, 8)), &mut large);
        assert_eq!(large.len(), ids.len(), "the batch gets every record it names");
        assert!(kept.records.len() <= 2 * KEPT_PER_GENERATION, "but no more are kept than the bound");
    }
}
