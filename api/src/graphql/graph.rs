//! The object types of the public graph: a fact with its parts (participants, qualifiers,
//! citations, revisions), actors and sources. They live together because they reference one
//! another (a fact names actors and cites sources; an actor and a source list facts): in
//! separate modules they would import each other. Related records come from the request's
//! DataLoaders; lists of facts from `fact::list`.
use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::scalars::CalendarDate;
use entity::enums::{
    ActorKind, Attribution, CitationStatus, DatePrecision, FactStatus, Modality, ParticipantRole, SourceKind,
};
use entity::{actor, citation, fact, fact_participant, fact_qualifier, source};

use super::connection::{Connection, ListNode};
use super::context::ContextExt;
use super::error::{loader_error, Result};
use super::fact::input::{FactFilterInput, FactOrderInput};
use super::fact::list::{fact_connection, FactPage};
use super::ids;
use super::kind::FactKind;
use crate::domain::fact::as_of::FactAsOf;
use crate::domain::fact::history::{
    changes_since_last_review, fact_of_revision, revisions_of, FieldChange as DomainFieldChange, RevisionAction,
};
use crate::domain::fact::query::PUBLIC_CITATION_STATUSES;
use crate::domain::fact::workflow::can_read;
use crate::domain::ids::{ActorId, CitationId, FactId, RevisionId, SourceId};
use crate::domain::pagination::Page;
use crate::domain::source::store::source_history;
use crate::domain::DomainError;

/// A page of facts.
pub type FactConnection = Connection<Fact>;

impl From<FactPage> for FactConnection {
    fn from(read: FactPage) -> Self {
        let order = read.order;
        let Page { items, has_next_page, has_previous_page } = read.page;
        let mut as_of = read.as_of;
        let items = items
            .into_iter()
            .map(|model| match as_of.as_mut() {
                Some(past) => {
                    let citations = past.citations.remove(&model.id).unwrap_or_default();
                    Fact::as_it_stood(model, past.at, citations)
                }
                None => Fact::from(model),
            })
            .collect();
        let page = Page { items, has_next_page, has_previous_page };
        Connection::new(page, |f: &Fact| order.cursor_of(&f.0), |f| f, read.total)
    }
}

impl ListNode for Fact {
    const NAME: &'static str = "Fact";
}

/// A date known to a stated precision.
#[derive(Debug, Clone, SimpleObject)]
pub struct FuzzyDate {
    /// The first day of the period the date denotes (e.g. 2025-02-01 for February 2025).
    pub date: CalendarDate,
    /// How exactly the date is known.
    pub precision: DatePrecision,
    /// The date as it should be shown: `12 February 2025`, `February 2025` or `2025`.
    pub text: String,
}

impl FuzzyDate {
    pub fn new(date: NaiveDate, precision: DatePrecision) -> Self {
        let text = match precision {
            DatePrecision::Day => format!("{} {}", date.day(), date.format("%B %Y")),
            DatePrecision::Month => date.format("%B %Y").to_string(),
            DatePrecision::Year => date.year().to_string(),
        };
        Self { date: CalendarDate(date), precision, text }
    }
}

/// A fact as it stands now, or (with its `Moment`) as the public saw it at a past moment.
#[derive(Clone)]
pub struct Fact(pub fact::Model, Option<Moment>);

/// What a fact read "as of" a moment knows besides its row (already as it stood): the moment,
/// for the facts it links to and its history, and its evidence then.
#[derive(Clone)]
struct Moment {
    at: DateTime<Utc>,
    citations: Arc<Vec<citation::Model>>,
}

impl From<fact::Model> for Fact {
    fn from(model: fact::Model) -> Self {
        Fact(model, None)
    }
}

impl From<(FactAsOf, DateTime<Utc>)> for Fact {
    fn from((then, at): (FactAsOf, DateTime<Utc>)) -> Self {
        Fact::as_it_stood(then.fact, at, then.citations)
    }
}

impl Fact {
    /// `model` as it stood at `at` (see `domain::fact::as_of`), with its evidence then.
    fn as_it_stood(model: fact::Model, at: DateTime<Utc>, citations: Vec<citation::Model>) -> Self {
        Fact(model, Some(Moment { at, citations: Arc::new(citations) }))
    }

    /// Its citations: those it had at its moment, or today's.
    async fn citation_rows(&self, ctx: &Context<'_>) -> Result<Vec<citation::Model>> {
        match &self.1 {
            Some(moment) => Ok(moment.citations.to_vec()),
            None => Ok(ctx.loaders().citations.load_one(self.0.id).await.map_err(loader_error)?.unwrap_or_default()),
        }
    }

    /// A fact this one links to, as it stood at the same moment, or as it is now.
    async fn linked(&self, ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Fact>> {
        let Some(moment) = &self.1 else { return visible_fact(ctx, id).await };
        let Some(id) = id else { return Ok(None) };
        let then = ctx.loaders().facts_as_of.load_one((id, moment.at)).await.map_err(loader_error)?;
        Ok(then.map(|then| Fact::from((then, moment.at))))
    }
}

/// A sourced statement about international relations, with its full provenance.
#[Object]
impl Fact {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::global(FactId(self.0.id))
    }
    /// The kind of fact, from the controlled vocabulary.
    async fn kind(&self, ctx: &Context<'_>) -> Result<FactKind> {
        let model = ctx.loaders().kinds.load_one(self.0.kind_key.clone()).await.map_err(loader_error)?;
        model
            .map(|model| FactKind { model })
            .ok_or_else(|| DomainError::Internal(format!("fact kind {} missing", self.0.kind_key)).into())
    }
    /// A neutral one-sentence summary.
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Whether the fact records an event, a statement, an intention, a conditional offer or a denial.
    async fn modality(&self) -> Modality {
        self.0.modality
    }
    /// When it happened.
    async fn occurred(&self) -> FuzzyDate {
        FuzzyDate::new(self.0.occurred_on, self.0.occurred_precision)
    }
    /// When it ended, for facts that span a period.
    async fn occurred_until(&self) -> Option<FuzzyDate> {
        self.0.occurred_until.map(|date| FuzzyDate::new(date, self.0.occurred_precision))
    }
    /// ISO 3166-1 alpha-2 code of the country where it happened, if one applies.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// Workflow status. The public sees PUBLISHED, RETRACTED and SUPERSEDED facts only.
    async fn status(&self) -> FactStatus {
        self.0.status
    }
    /// Incremented by every change; writes must name the version they read.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the fact was first published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// When the fact was retracted, if it was.
    async fn retracted_at(&self) -> Option<DateTime<Utc>> {
        self.0.retracted_at
    }
    /// Why the fact was retracted.
    async fn retraction_reason(&self) -> Option<&str> {
        self.0.retraction_reason.as_deref()
    }
    /// When the fact was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the fact last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The actors involved, each with their role and the title they held at the time.
    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<Participant>> {
        let rows = ctx.loaders().participants.load_one(self.0.id).await.map_err(loader_error)?;
        Ok(rows.unwrap_or_default().into_iter().map(Participant).collect())
    }
    /// Key/value details such as `condition` or `facility`.
    async fn qualifiers(&self, ctx: &Context<'_>) -> Result<Vec<Qualifier>> {
        let rows = ctx.loaders().qualifiers.load_one(self.0.id).await.map_err(loader_error)?;
        Ok(rows.unwrap_or_default().into_iter().map(Qualifier::from).collect())
    }
    /// The quotes that source the fact, each tied to a source document.
    ///
    /// Only the active ones unless `statuses` asks for others. Anyone may ask for WITHDRAWN ones
    /// (kept, marked, with the reason); PENDING and REJECTED ones are for signed-in editors,
    /// reviewers and admins.
    async fn citations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which citations to list (default: ACTIVE).")] statuses: Option<Vec<CitationStatus>>,
    ) -> Result<Vec<Citation>> {
        let wanted = statuses.unwrap_or_else(|| vec![CitationStatus::Active]);
        let unpublished = wanted.iter().any(|s| !PUBLIC_CITATION_STATUSES.contains(s));
        if unpublished && ctx.principal().is_none() {
            let message = "only signed-in editors, reviewers and admins see PENDING and REJECTED citations";
            return Err(DomainError::Forbidden(message.into()).into());
        }
        let rows = self.citation_rows(ctx).await?;
        Ok(rows.into_iter().filter(|c| wanted.contains(&c.status)).map(Citation).collect())
    }
    /// How many distinct outlets published the sources of its active citations (a rough measure
    /// of corroboration).
    async fn outlet_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let loaders = ctx.loaders();
        let citations = self.citation_rows(ctx).await?;
        let active = citations.iter().filter(|c| c.status == CitationStatus::Active);
        let source_ids: Vec<_> = active.map(|c| c.source_id).collect();
        let sources = loaders.sources.load_many(source_ids).await.map_err(loader_error)?;
        let outlets: HashSet<_> = sources.values().filter_map(|s| s.outlet_id).collect();
        Ok(outlets.len() as i32)
    }
    /// The published fact this one corrects, if it is a correction.
    async fn supersedes(&self, ctx: &Context<'_>) -> Result<Option<Fact>> {
        self.linked(ctx, self.0.supersedes_id).await
    }
    /// Every change and workflow step of this fact, oldest first. The public sees actions and
    /// times; the author, reviewers and admins also see comments. Read "as of" a moment, the
    /// steps up to that moment.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<Revision>> {
        let mut revisions = Revision::of_fact(ctx, &self.0).await?;
        if let Some(moment) = &self.1 {
            revisions.retain(|revision| revision.model.created_at <= moment.at);
        }
        Ok(revisions)
    }
    /// For the author, reviewers and admins: what changed since a reviewer last decided on this
    /// fact (everything, if none has). Null for everyone else, and in an "as of" read.
    async fn changes_since_last_review(&self, ctx: &Context<'_>) -> Result<Option<Vec<FieldChange>>> {
        let allowed =
            self.1.is_none() && ctx.principal().is_some_and(|p| p.can_review() || p.user_id == self.0.created_by);
        if !allowed {
            return Ok(None);
        }
        let db = ctx.db();
        Ok(Some(changes_since_last_review(db, self.0.id).await?.into_iter().map(FieldChange::from).collect()))
    }
    /// The correction that replaced this fact, if it was superseded.
    async fn superseded_by(&self, ctx: &Context<'_>) -> Result<Option<Fact>> {
        self.linked(ctx, self.0.superseded_by_id).await
    }
}

/// Loads a linked fact when the caller may see it.
pub async fn visible_fact(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Fact>> {
    let Some(id) = id else { return Ok(None) };
    let found = ctx.loaders().facts.load_one(id).await.map_err(loader_error)?;
    Ok(found.filter(|f| can_read(ctx.principal(), f)).map(Fact::from))
}

/// What a revision of a fact records.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "RevisionAction")]
pub enum RevisionActionKind {
    /// The fact was created as a draft (or a correction).
    Created,
    /// Its content was edited.
    Updated,
    /// It was submitted for review.
    Submitted,
    /// A reviewer approved it: it was published.
    Approved,
    /// A reviewer sent it back to its author.
    ChangesRequested,
    /// A reviewer refused it.
    Rejected,
    /// It was retracted, with a reason.
    Retracted,
    /// A published correction replaced it.
    Superseded,
    /// The draft was deleted.
    Deleted,
    /// A proposed citation was approved as further evidence.
    CitationAdded,
    /// A citation was withdrawn, with a reason.
    CitationWithdrawn,
}

impl From<RevisionAction> for RevisionActionKind {
    fn from(action: RevisionAction) -> Self {
        match action {
            RevisionAction::Created => Self::Created,
            RevisionAction::Updated => Self::Updated,
            RevisionAction::Submitted => Self::Submitted,
            RevisionAction::Approved => Self::Approved,
            RevisionAction::ChangesRequested => Self::ChangesRequested,
            RevisionAction::Rejected => Self::Rejected,
            RevisionAction::Retracted => Self::Retracted,
            RevisionAction::Superseded => Self::Superseded,
            RevisionAction::Deleted => Self::Deleted,
            RevisionAction::CitationAdded => Self::CitationAdded,
            RevisionAction::CitationWithdrawn => Self::CitationWithdrawn,
        }
    }
}

/// One entry of a fact's history.
pub struct Revision {
    model: entity::revision::Model,
    number: i64,
    staff: bool,
}

impl Revision {
    /// Every revision of a fact the caller may read, oldest first, numbered among the fact's
    /// revisions (whoever sees the fact sees all of them).
    pub async fn of_fact(ctx: &Context<'_>, fact: &fact::Model) -> Result<Vec<Revision>> {
        let staff = ctx.principal().is_some_and(|p| p.can_review() || p.user_id == fact.created_by);
        let revisions = revisions_of(ctx.db(), fact.id).await?;
        Ok(revisions.into_iter().zip(1..).map(|(model, number)| Revision { model, number, staff }).collect())
    }

    /// The revision of a fact the caller may read, by its id.
    pub async fn by_id(ctx: &Context<'_>, id: RevisionId) -> Result<Option<Revision>> {
        let Some(fact_id) = fact_of_revision(ctx.db(), id).await? else { return Ok(None) };
        let Some(fact) = visible_fact(ctx, Some(fact_id)).await? else { return Ok(None) };
        Ok(Revision::of_fact(ctx, &fact.0).await?.into_iter().find(|revision| revision.model.id == id.0))
    }
}

/// A revision: a full snapshot of a fact after one change or workflow step.
#[Object]
impl Revision {
    /// Opaque global id (`node(id:)` finds the revision again, for whoever may read its fact).
    pub async fn id(&self) -> ID {
        ids::global(RevisionId(self.model.id))
    }
    /// The fact's version after this step.
    async fn version(&self) -> i32 {
        self.model.fact_version
    }
    /// What happened.
    async fn action(&self) -> Result<RevisionActionKind> {
        RevisionAction::parse(&self.model.action)
            .map(RevisionActionKind::from)
            .ok_or_else(|| DomainError::Internal(format!("unknown revision action {}", self.model.action)).into())
    }
    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    /// The reviewer's or editor's comment (author, reviewers and admins only).
    async fn comment(&self) -> Option<&str> {
        self.model.comment.as_deref().filter(|_| self.staff)
    }
    /// This revision's number among the fact's own revisions: 1 for the first, then 2, 3 and so
    /// on without gaps, as everyone who sees the fact sees all of its revisions. It counts this
    /// fact's steps only, so it says nothing about other facts (their position in the log, which
    /// chains every fact's revisions, published or not, is not exposed; `Query.historyHead`
    /// publishes the log's length and newest hash).
    async fn sequence(&self) -> i64 {
        self.number
    }
    /// SHA-256 of the previous revision's hash and this revision's canonical content.
    async fn hash(&self) -> &str {
        &self.model.hash
    }
}

/// A field that differs between two revisions of a fact.
#[derive(SimpleObject)]
pub struct FieldChange {
    /// The field (e.g. `summary`, `citations`).
    pub field: String,
    /// Its value before, as JSON (related records named by global id); null when absent.
    pub before: Option<String>,
    /// Its value after, as JSON (related records named by global id); null when absent.
    pub after: Option<String>,
}

impl From<DomainFieldChange> for FieldChange {
    fn from(change: DomainFieldChange) -> Self {
        let global = |text: Option<String>| text.map(|text| with_global_ids(&text));
        Self { field: change.field, before: global(change.before), after: global(change.after) }
    }
}

/// The type of the record a snapshot's id field names.
fn id_type(key: &str) -> Option<&'static str> {
    match key {
        "actorId" | "attributedToId" | "relayedFromId" => Some(ids::ACTOR),
        "sourceId" => Some(ids::SOURCE),
        "supersedesId" | "supersededById" => Some(ids::FACT),
        "proposedBy" | "decidedBy" => Some(ids::USER),
        _ => None,
    }
}

/// A snapshot value (JSON) with the ids of related records as the API's global ids, so that a
/// client can look them up with `node(id:)`.
fn with_global_ids(text: &str) -> String {
    fn walk(value: &mut serde_json::Value, key: Option<&str>) {
        match value {
            serde_json::Value::Object(map) => map.iter_mut().for_each(|(k, v)| walk(v, Some(k))),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, key)),
            serde_json::Value::String(raw) => {
                if let (Some(type_name), Ok(uuid)) = (key.and_then(id_type), uuid::Uuid::parse_str(raw)) {
                    *raw = ids::encode_uuid(type_name, uuid).to_string();
                }
            }
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut value) => {
            walk(&mut value, None);
            value.to_string()
        }
        Err(_) => text.to_owned(),
    }
}

pub struct Participant(fact_participant::Model);

/// An actor's part in a fact.
#[Object]
impl Participant {
    /// The actor.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Actor> {
        load_actor(ctx, self.0.actor_id).await
    }
    /// What part the actor plays.
    async fn role(&self) -> ParticipantRole {
        self.0.role
    }
    /// The title the actor held at the time, e.g. "Defence Minister".
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
}

/// A key/value detail of a fact, e.g. `condition` = "provided it serves the Arab nation's interests".
#[derive(SimpleObject)]
pub struct Qualifier {
    /// The qualifier key, one the fact's kind allows.
    pub key: String,
    /// The value.
    pub value: String,
}

impl From<fact_qualifier::Model> for Qualifier {
    fn from(model: fact_qualifier::Model) -> Self {
        Self { key: model.key, value: model.value }
    }
}

#[derive(Clone)]
pub struct Citation(pub citation::Model);

impl ListNode for Citation {
    const NAME: &'static str = "Citation";
}

/// A page of citations.
pub type CitationConnection = Connection<Citation>;

/// A quote in the text around it, as a reviewer checks a proposed citation.
#[derive(SimpleObject)]
pub struct QuoteInContext {
    /// The snapshot's text just before the quote.
    pub before: String,
    /// The quote as the snapshot has it (it may differ from the citation's in white space,
    /// quote marks and dashes).
    pub quote: String,
    /// The snapshot's text just after the quote.
    pub after: String,
}

/// Most characters of context on either side of a quote.
const MAX_CONTEXT_CHARS: i32 = 1000;

/// A verbatim quote linking a fact to the source it came from.
#[Object]
impl Citation {
    /// Opaque global id.
    async fn id(&self) -> ID {
        ids::global(CitationId(self.0.id))
    }
    /// Where it stands: ACTIVE evidence, PENDING a reviewer's decision, REJECTED, or WITHDRAWN.
    async fn status(&self) -> CitationStatus {
        self.0.status
    }
    /// Why it was withdrawn or rejected.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    /// When it was proposed as further evidence of a published fact (null for the citations a
    /// fact was written with).
    async fn proposed_at(&self) -> Option<DateTime<Utc>> {
        self.0.proposed_at
    }
    /// The fact it is evidence of (null when the caller may not see that fact).
    async fn fact(&self, ctx: &Context<'_>) -> Result<Option<Fact>> {
        visible_fact(ctx, Some(self.0.fact_id)).await
    }
    /// The quote in its snapshot, with up to `chars` characters on either side; null when the
    /// quote was not verified against a snapshot.
    async fn quote_in_context(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Characters of context on either side (default 200, at most 1000).")] chars: Option<i32>,
    ) -> Result<Option<QuoteInContext>> {
        let chars = chars.unwrap_or(200);
        if !(0..=MAX_CONTEXT_CHARS).contains(&chars) {
            let message = format!("must be between 0 and {MAX_CONTEXT_CHARS}");
            return Err(DomainError::invalid("chars", message).into());
        }
        let (Some(start), Some(end)) = (self.0.quote_start, self.0.quote_end) else { return Ok(None) };
        let snapshot = ctx.loaders().snapshots.load_one(self.0.source_id).await.map_err(loader_error)?;
        let Some(snapshot) = snapshot else { return Ok(None) };
        let text: Vec<char> = snapshot.chars().collect();
        let (start, end) = (start as usize, (end as usize).min(text.len()));
        let from = start.saturating_sub(chars as usize);
        let to = (end + chars as usize).min(text.len());
        let piece = |a: usize, b: usize| text[a.min(b)..b].iter().collect::<String>();
        Ok(Some(QuoteInContext { before: piece(from, start), quote: piece(start, end), after: piece(end, to) }))
    }
    /// The source document.
    async fn source(&self, ctx: &Context<'_>) -> Result<Source> {
        ctx.loaders()
            .sources
            .load_one(self.0.source_id)
            .await
            .map_err(loader_error)?
            .map(Source)
            .ok_or_else(|| DomainError::Internal(format!("source {} missing", self.0.source_id)).into())
    }
    /// The quote, exactly as it appears in the source.
    async fn quote(&self) -> &str {
        &self.0.quote
    }
    /// Whether the source states it directly or relays another's statement.
    async fn attribution(&self) -> Attribution {
        self.0.attribution
    }
    /// Whose words these are (the Kremlin, the defence minister), when not the source's own.
    async fn attributed_to(&self, ctx: &Context<'_>) -> Result<Option<Actor>> {
        load_optional_actor(ctx, self.0.attributed_to_id).await
    }
    /// For relayed statements: the publication or body the source relays (e.g. The Washington Post).
    async fn relayed_from(&self, ctx: &Context<'_>) -> Result<Option<Actor>> {
        load_optional_actor(ctx, self.0.relayed_from_id).await
    }
    /// Whether the quote was found verbatim in the source's stored snapshot (after normalizing
    /// white space, quote marks and dashes). False when the source has no snapshot.
    async fn verified(&self) -> bool {
        self.0.verified
    }
    /// Offset of the quote in the snapshot, in characters, when verified.
    async fn snapshot_start(&self) -> Option<i32> {
        self.0.quote_start
    }
    /// End offset (exclusive) of the quote in the snapshot, in characters, when verified.
    async fn snapshot_end(&self) -> Option<i32> {
        self.0.quote_end
    }
}

#[derive(Clone)]
pub struct Actor(pub actor::Model);

/// A state, person, organization, government body, armed group, international organization or media outlet.
#[Object]
impl Actor {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::global(ActorId(self.0.id))
    }
    /// Name as usually written in English.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Short description.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// What sort of actor this is.
    async fn kind(&self) -> ActorKind {
        self.0.kind
    }
    /// ISO 3166-1 alpha-2 code of the actor's country, where one applies.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// Wikidata item id (`Q` followed by digits), when known.
    async fn wikidata_qid(&self) -> Option<&str> {
        self.0.wikidata_qid.as_deref()
    }
    /// Incremented by every change; `updateActor` must name the version it read.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Other names the actor is known by (lookup by name also matches these).
    async fn aliases(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(ctx.loaders().aliases.load_one(self.0.id).await.map_err(loader_error)?.unwrap_or_default())
    }
    /// Facts this actor takes part in, as a connection (same arguments as `Query.facts`).
    #[graphql(
        complexity = "crate::graphql::fact::list::fact_page_cost(filter.as_ref(), first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn facts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Further restrictions.")] filter: Option<FactFilterInput>,
        #[graphql(desc = "How to sort.")] order_by: Option<FactOrderInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<FactConnection> {
        let id = self.0.id;
        let read =
            fact_connection(ctx, None, filter, order_by, first, after, last, before, |f| f.all_of.push(ActorId(id)));
        Ok(read.await?.into())
    }
}

impl ListNode for Actor {
    const NAME: &'static str = "Actor";
}

/// A page of actors.
pub type ActorConnection = Connection<Actor>;

/// The actor a stored row names; a missing one is an internal error (a foreign key guards it).
pub async fn load_actor(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Actor> {
    ctx.loaders()
        .actors
        .load_one(id)
        .await
        .map_err(loader_error)?
        .map(Actor)
        .ok_or_else(|| DomainError::Internal(format!("actor {id} missing")).into())
}

/// `load_actor` for an optional reference.
pub async fn load_optional_actor(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Actor>> {
    match id {
        Some(id) => load_actor(ctx, id).await.map(Some),
        None => Ok(None),
    }
}

#[derive(Clone)]
pub struct Source(pub source::Model);

impl ListNode for Source {
    const NAME: &'static str = "Source";
}

/// A page of sources.
pub type SourceConnection = Connection<Source>;

/// Whether the caller sees only the sources public facts cite: anyone not signed in. Every
/// account (editor, reviewer, admin) sees all of them, as editors must find sources to cite.
pub fn public_only(ctx: &Context<'_>) -> bool {
    ctx.principal().is_none()
}

/// Loads a source when the caller may see it.
pub async fn visible_source(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Source>> {
    let loaders = ctx.loaders();
    let found =
        if public_only(ctx) { loaders.public_sources.load_one(id).await } else { loaders.sources.load_one(id).await };
    Ok(found.map_err(loader_error)?.map(Source))
}

/// One document (article, statement, transcript, interview, report), shared by every fact citing
/// it. The public sees a source once a published (or retracted or superseded) fact cites it.
#[Object]
impl Source {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::global(SourceId(self.0.id))
    }
    /// Canonical URL: lower-case host, no fragment, no `utm_*` parameters.
    async fn url(&self) -> &str {
        &self.0.canonical_url
    }
    /// Title of the document.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What sort of document it is.
    async fn kind(&self) -> SourceKind {
        self.0.kind
    }
    /// The outlet that published it.
    async fn outlet(&self, ctx: &Context<'_>) -> Result<Option<Actor>> {
        load_optional_actor(ctx, self.0.outlet_id).await
    }
    /// When it was published, to the precision the document itself establishes.
    async fn published(&self) -> Option<FuzzyDate> {
        match (self.0.published_on, self.0.published_precision) {
            (Some(date), Some(precision)) => Some(FuzzyDate::new(date, precision)),
            _ => None,
        }
    }
    /// When an editor retrieved it.
    async fn retrieved_at(&self) -> DateTime<Utc> {
        self.0.retrieved_at
    }
    /// Language (BCP 47 tag such as `en`).
    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }
    /// Address of an archived copy.
    async fn archive_url(&self) -> Option<&str> {
        self.0.archive_url.as_deref()
    }
    /// Whether a text snapshot is stored (quotes are verified against it).
    async fn has_snapshot(&self) -> bool {
        self.0.snapshot_sha256.is_some()
    }
    /// The stored text snapshot of the document. It may be long (up to 500,000 characters), so
    /// it weighs `LARGE_TEXT_COST` in a query's complexity and counts in full against the
    /// answer's size limit.
    #[graphql(complexity = "crate::graphql::cost::LARGE_TEXT_COST")]
    async fn snapshot(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        // Lists and loaders read sources without the text; a source just written carries it.
        if self.0.snapshot.is_some() || self.0.snapshot_sha256.is_none() {
            return Ok(self.0.snapshot.clone());
        }
        ctx.loaders().snapshots.load_one(self.0.id).await.map_err(loader_error)
    }
    /// Incremented by every revision; `updateSource` names the version read.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Every revision of this source, oldest first: what changed, why, and what re-verifying
    /// its citations found (who made it is not shown).
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<SourceRevision>> {
        let rows = source_history(ctx.db(), SourceId(self.0.id)).await?;
        Ok(rows
            .into_iter()
            .map(|row| SourceRevision {
                version: row.source_version,
                action: row.action,
                detail: row.detail,
                at: row.created_at,
            })
            .collect())
    }
    /// SHA-256 (hex) of the snapshot, to check a copy against.
    async fn snapshot_sha256(&self) -> Option<&str> {
        self.0.snapshot_sha256.as_deref()
    }
    /// Facts citing this source, as a connection (same arguments as `Query.facts`).
    #[graphql(
        complexity = "crate::graphql::fact::list::fact_page_cost(filter.as_ref(), first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn facts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Further restrictions.")] filter: Option<FactFilterInput>,
        #[graphql(desc = "How to sort.")] order_by: Option<FactOrderInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<FactConnection> {
        let id = self.0.id;
        let read = fact_connection(ctx, None, filter, order_by, first, after, last, before, |f| {
            f.sources = vec![SourceId(id)]
        });
        Ok(read.await?.into())
    }
}

/// One revision of a source.
#[derive(SimpleObject)]
pub struct SourceRevision {
    /// The source's version after the revision.
    pub version: i32,
    /// UPDATED, SNAPSHOT_ADDED or SNAPSHOT_REPLACED.
    pub action: String,
    /// JSON: the fields changed, the reason, and the citations re-verified.
    pub detail: String,
    /// When it happened.
    pub at: DateTime<Utc>,
}
